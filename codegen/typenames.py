"""The public name layer of trio_openai/types/: the package index and openai-python's names.

Two things come out of here:

- ``types/__init__.py``: one runtime table (name -> module) for lazy lookups, and one
  ``if TYPE_CHECKING:`` block of re-exports for type checkers. Nothing else lists the
  names (no ``__all__``: ``dir()`` gives them).
- openai-python's module shape (`aliases.OPENAI_NAMES`, and `param_aliases` for its
  ``...Param`` request types): ``types.chat.ChatCompletion``, ``types.beta.threads.Run``,
  ``types.responses.ToolParam``... For a module that is also a generated area module
  (``chat``, ``responses``...) the aliases are appended to it; the others (``beta``,
  ``beta.threads``, ``fine_tuning.jobs``...) become small alias-only modules or packages.
  An alias is a real attribute only once used (a module ``__getattr__`` imports its
  target), so importing ``trio_openai.types.chat`` builds no class of another area.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from .aliases import OPENAI_NAMES
from .ir import AliasDef, Raw, Resolver
from .param_aliases import param_aliases

# A Literal this long is written once, as a named alias, and referred to by name.
NAMED_LITERAL_MIN_VALUES = 12

# One alias: (openai-python's name, the module defining the target, the target's name).
Alias = tuple[str, str, str]


def alias_table(
    targets: dict[str, str],
    params: dict[str, str],
    bodies: dict[str, list[Alias]] | None = None,
) -> dict[str, list[Alias]]:
    """openai-python module -> its aliases whose target exists (`targets`: name -> module).

    `params` (request type name -> its annotation if an alias, "" for a TypedDict) gives
    openai-python's ``...Param`` names (param_aliases.py); `OPENAI_NAMES` wins a tie.
    `bodies` adds the method parameter modules and their TypedDicts (bodies.py).
    """
    table = param_aliases(params)
    for path, names in OPENAI_NAMES.items():
        table[path] = {**table.get(path, {}), **names}
    out: dict[str, list[Alias]] = {}
    for path, names in sorted(table.items()):
        found = [(alias, targets[t], t) for alias, t in sorted(names.items()) if t in targets]
        if found:
            out[path] = found
    for path, extra in (bodies or {}).items():
        taken = {alias for alias, _m, _t in out.get(path, [])} & {a for a, _m, _t in extra}
        if taken:
            raise ValueError(f"openai.types.{path}: {sorted(taken)} named twice")
        out[path] = sorted([*out.get(path, []), *extra])
    return out


def alias_module_files(
    table: dict[str, list[Alias]], generated: set[str], header: str
) -> dict[str, str]:
    """Files (relative to types/) for the openai-python modules that are not also a
    generated module: ``beta/__init__.py``, ``beta/threads/runs.py``..."""
    paths = {p for p in table if p} | {_parent for p in table for _parent in _parents(p)}
    clash = {p.split(".")[0] for p in paths if "." in p} & generated
    if clash:
        raise ValueError(f"generated modules {sorted(clash)} must be packages: rename them")
    files: dict[str, str] = {}
    for path in sorted(paths):
        if path in generated:
            continue
        is_package = any(other.startswith(path + ".") for other in paths)
        name = path.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        files[name] = _alias_module(path, table.get(path, []), is_package, header)
    return files


def _parents(path: str) -> Iterator[str]:
    parts = path.split(".")
    for size in range(1, len(parts)):
        yield ".".join(parts[:size])


def _alias_module(path: str, aliases: list[Alias], is_package: bool, header: str) -> str:
    depth = len(path.split("."))
    up = "." * (depth + 1 if is_package else depth)  # from here to types/
    lines = [
        header,
        f'"""openai-python\'s ``openai.types.{path}`` names, as aliases of the generated types."""',
        "",
        "from __future__ import annotations",
        "",
    ]
    if aliases:
        lines += [
            "from typing import TYPE_CHECKING",
            "",
            f"from {up}._models import alias_getattr as _alias_getattr",
            "",
            *alias_block(aliases, up, depth, here=None),
        ]
    return "\n".join(lines) + "\n"


def alias_block(aliases: list[Alias], up: str, depth: int, *, here: str | None) -> Iterator[str]:
    """The aliases of one module: assignments for targets defined in it (`here`), typed
    re-exports plus a lazy module ``__getattr__`` for the others."""
    local = [(a, t) for a, m, t in aliases if m == here and a != t]
    remote = [(a, m, t) for a, m, t in aliases if m != here]
    yield "# openai-python's names for these types (codegen/aliases.py)"
    for alias, target in local:
        yield f"{alias} = {target}"
    if not remote:
        return
    if local:
        yield ""
    yield "if TYPE_CHECKING:"
    yield from alias_imports(remote, up)
    yield ""
    yield f"__getattr__ = _alias_getattr(__name__, {depth}, {{"
    for alias, module, target in remote:
        yield f'    "{alias}": ("{module}", "{target}"),'
    yield "})"


def is_module_alias(alias: Alias) -> bool:
    """A re-exported submodule (``completion_create_params``), not a type."""
    name, module, target = alias
    return module.split(".")[0] == "_bodies" and name == target and name.islower()


def alias_imports(aliases: list[Alias], up: str) -> Iterator[str]:
    """The ``if TYPE_CHECKING:`` lines re-exporting `aliases` (indented); `up` leads from
    the module to types/. A module of a subpackage is imported by its last part, and a
    re-exported module in the redundant ``as`` form that marks a re-export."""
    types = [a for a in aliases if not is_module_alias(a)]
    for module in sorted({m for _a, m, _t in types}):
        package, _, leaf = module.rpartition(".")
        yield f"    from {up}{package} import {leaf} as _a_{module.replace('.', '_')}"
    for alias, module, target in aliases:
        if is_module_alias((alias, module, target)):
            yield f"    from {up}{module} import {target} as {alias}"
        else:
            yield f"    {alias} = _a_{module.replace('.', '_')}.{target}"


def name_literals(ann: str, resolver: Resolver, qualify: Callable[[str], str]) -> str:
    """`ann` with every long ``Literal[...]`` that a named alias of the spec spells out
    replaced by that alias (`qualify` turns the alias name into the reference to write,
    e.g. the resource writer's ``_type``: ``_t_audit_logs.AuditLogEventType``).

    For request annotations, which otherwise write out the values of a component enum
    (the 145 audit-log event types) in every signature that takes one.
    """
    if "Literal[" not in ann:
        return ann
    table = _literal_names(resolver)
    return _LITERAL.sub(lambda m: qualify(table[m[0]]) if m[0] in table else m[0], ann)


_LITERAL = re.compile(r"Literal\[[^\]]*\]")


def _literal_names(resolver: Resolver) -> dict[str, str]:
    if resolver.literal_names is None:
        found: dict[str, str] = {}
        for name, d in resolver.defs.items():
            if isinstance(d, AliasDef) and isinstance(d.type, Raw):
                ann = d.type.ann
                if ann.startswith("Literal[") and ann.count(", ") + 1 >= NAMED_LITERAL_MIN_VALUES:
                    found.setdefault(ann, name)
        resolver.literal_names = found
    return resolver.literal_names


# --- types/__init__.py -----------------------------------------------------------------

INDEX_DOC = """\
The models of the OpenAI API, generated from its OpenAPI spec.

Importing this package is cheap: a name is looked up in a generated table and its module
imported on first use, so ``from trio_openai.types import Response`` builds the classes of
one area, not all of them. openai-python's names (``FileObject``, ``Batch``...) are here
too, and in ``types.chat``, ``types.responses``, ``types.beta.threads``... as in
openai-python (see codegen/aliases.py). ``decoder_for(name)`` gives the callable that
turns decoded JSON into a type: ``Model.from_dict`` for a model, the ``decode_*``
function of a union.\
"""

INDEX_CODE = '''
def __getattr__(name: str) -> Any:
    module = _INDEX.get(name)
    if module is None:
        target = _ALIASES.get(name)
        if target is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(f"{__name__}.{target[0]}"), target[1])
    else:
        value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_INDEX, *_ALIASES})


def decoder_for(name: str) -> Callable[[Any], Any]:
    """The decode callable for the model, union or alias called `name`.

    A model gives its ``from_dict``; a union or an alias holding models gives its
    ``decode_*`` function; any other alias (strings, literals...) gives the identity.
    Raises KeyError for a name the spec does not define.
    """
    if name in _ALIASES:
        module, name = _ALIASES[name]
        if module not in _MODULES:  # a request TypedDict: nothing to decode
            raise KeyError(name)
    if name not in _INDEX or name in _DECODER_NAMES:
        raise KeyError(name)
    fn = _DECODERS.get(name)
    if fn is not None:
        found: Callable[[Any], Any] = __getattr__(fn)
        return found
    value: object = __getattr__(name)
    if isinstance(value, type) and hasattr(value, "from_dict"):
        decode: Callable[[Any], Any] = getattr(value, "from_dict")  # noqa: B009
        return decode
    return _identity


def _identity(value: Any) -> Any:
    return value
'''


def index_source(
    header: str,
    names: dict[str, str],
    decoders: dict[str, str],
    root_aliases: list[Alias],
) -> str:
    """``types/__init__.py``: `names` (name -> module, decoder functions included),
    `decoders` (type -> its decode function), the root aliases (openai-python's
    ``openai.types`` names)."""
    modules = sorted(set(names.values()))
    lines = [header, f'"""{INDEX_DOC}\n"""', "", "from __future__ import annotations", ""]
    lines += [
        "from collections.abc import Callable",
        "from importlib import import_module",
        "from typing import TYPE_CHECKING, Any",
        "",
        "if TYPE_CHECKING:",
    ]
    for module in modules:
        members = sorted(n for n, m in names.items() if m == module)
        lines.append(f"    from .{module} import (")
        lines += [f"        {n} as {n}," for n in members]
        lines.append("    )")
    # an alias of the same name is listed unless the index has it (a request TypedDict)
    renamed = [(a, m, t) for a, m, t in root_aliases if a != t or a not in names]
    lines += alias_imports(renamed, ".")
    lines += ["", "# name -> the module defining it: one string per module, names space-separated"]
    lines.append("_INDEX: dict[str, str] = {")
    lines.append("    name: module")
    lines.append("    for module, listed in {")
    for module in modules:
        members = sorted(n for n, m in names.items() if m == module)
        lines.append(f'        "{module}": (')
        lines += [f'            "{chunk}"' for chunk in _chunks(members)]
        lines.append("        ),")
    lines.append("    }.items()")
    lines.append("    for name in listed.split()")
    lines.append("}")
    lines += ["", "# type -> its decode function (unions, and aliases holding models)"]
    lines.append("_DECODERS: dict[str, str] = {")
    lines += [f'    "{n}": "{decoders[n]}",' for n in sorted(decoders)]
    lines.append("}")
    lines.append("_DECODER_NAMES = frozenset(_DECODERS.values())")
    lines += ["", "# openai-python's name -> the generated name (codegen/aliases.py)"]
    lines.append("_ALIASES: dict[str, tuple[str, str]] = {")
    lines += [f'    "{a}": ("{m}", "{t}"),' for a, m, t in renamed]
    lines.append("}")
    lines.append("_MODULES = frozenset(_INDEX.values())")
    lines.append(INDEX_CODE)
    return "\n".join(lines)


def _chunks(names: list[str], width: int = 80) -> Iterator[str]:
    current = ""
    for name in names:
        if current and len(current) + 1 + len(name) > width:
            yield current + " "
            current = name
        else:
            current = f"{current} {name}" if current else name
    if current:
        yield current
