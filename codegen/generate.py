"""Run the whole generation: spec -> trio_openai/types/*.py and trio_openai/resources/*.py."""

from __future__ import annotations

import os
from pathlib import Path

from .emit import HEADER, ModuleWriter, doc_literal, quote
from .ir import AliasDef, Def, Ref, Resolver, UnionDef
from .layout import assign_modules
from .names import snake
from .operations import OperationBuilder, check_unique
from .params import PARAMS_MODULE, ParamTyper
from .resources import render_resources
from .spec import Spec, load

_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = _ROOT.parent / "shared" / "openapi" / "openapi.json"
_MACHINE_SPEC = Path("/work/shared/openapi/openapi.json")

_INDEX_DOC = """\
The models of the OpenAI API, generated from its OpenAPI spec.

Importing this package is cheap: a name is looked up in a generated table and its module
imported on first use, so ``from trio_openai.types import Response`` builds the classes of
one area, not all of them. ``decoder_for(name)`` gives the callable that turns decoded
JSON into that type: ``Model.from_dict`` for a model, the ``decode_*`` function of a union.\
"""

_INDEX_CODE = '''
def __getattr__(name: str) -> Any:
    index = _INDEX.get(name)
    if index is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_MODULES[index]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_INDEX})


def decoder_for(name: str) -> Callable[[Any], Any]:
    """The decode callable for the model, union or alias called `name`.

    A model gives its ``from_dict``; a union or an alias holding models gives its
    ``decode_*`` function; any other alias (strings, literals...) gives the identity.
    Raises KeyError for a name the spec does not define.
    """
    if name not in _INDEX:
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


def default_spec() -> Path:
    """$OPENAPI_SPEC, else ../shared beside the repository, else the machine's shared copy
    (for clones made elsewhere, as CI's)."""
    env = os.environ.get("OPENAPI_SPEC")
    if env:
        return Path(env)
    for candidate in (DEFAULT_SPEC, _MACHINE_SPEC):
        if candidate.exists():
            return candidate
    return DEFAULT_SPEC


def generate(spec_path: str | Path, out_dir: str | Path) -> dict[str, str]:
    """Write out_dir/types and out_dir/resources; returns {"types/x.py": source, ...}.

    Files of ours (they start with the generated-file header) that a run no longer
    produces are deleted; hand-written ones next to them are left alone.
    """
    types, resources = render_all(Spec(load(spec_path)))
    written: dict[str, str] = {}
    for folder, files in (("types", types), ("resources", resources)):
        directory = Path(out_dir) / folder
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.py"):
            if old.name not in files and old.read_text(encoding="utf-8").startswith(HEADER):
                old.unlink()
        for name, source in files.items():
            path = directory / name
            if not path.exists() or path.read_text(encoding="utf-8") != source:
                path.write_text(source, encoding="utf-8")
            written[f"{folder}/{name}"] = source
    return written


def render(spec: Spec) -> dict[str, str]:
    """{file name in types/: source} for the whole spec."""
    return render_all(spec)[0]


def render_all(spec: Spec) -> tuple[dict[str, str], dict[str, str]]:
    """({file in types/: source}, {file in resources/: source})."""
    resolver = Resolver(spec)
    resolver.build()
    modules = assign_modules(spec, resolver)
    typer = ParamTyper(spec)
    ops = OperationBuilder(spec, resolver, typer).build_all()
    check_unique(ops)
    by_module: dict[str, list[Def]] = {}
    for name, d in resolver.defs.items():
        by_module.setdefault(modules[name], []).append(d)
    files: dict[str, str] = {}
    for module in sorted(by_module):
        writer = ModuleWriter(resolver, modules, module)
        files[f"{module}.py"] = writer.source(by_module[module])
    files["__init__.py"] = _index(resolver, modules)
    files["_operations.py"] = _operations(resolver)
    files[f"{PARAMS_MODULE}.py"] = typer.source(HEADER)
    param_names = {*typer.classes, *typer.aliases}
    return files, render_resources(ops, resolver, modules, param_names)


def _decoders(resolver: Resolver) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, d in resolver.defs.items():
        if isinstance(d, UnionDef) or (
            isinstance(d, AliasDef) and resolver.needs_conversion(Ref(name))
        ):
            out[name] = f"decode_{snake(name)}"
    return out


def _index(resolver: Resolver, modules: dict[str, str]) -> str:
    decoders = _decoders(resolver)
    names: dict[str, str] = {}
    for name in resolver.defs:
        names[name] = modules[name]
    for name, fn in decoders.items():
        if fn in names:
            raise ValueError(f"decoder name {fn} collides with a type name")
        names[fn] = modules[name]
    module_list = sorted(set(names.values()))
    position = {m: i for i, m in enumerate(module_list)}
    ordered = sorted(names)
    lines = [HEADER, f'"""{_INDEX_DOC}\n"""', "", "from __future__ import annotations", ""]
    lines += [
        "from collections.abc import Callable",
        "from importlib import import_module",
        "from typing import TYPE_CHECKING, Any",
        "",
        "_MODULES = (",
        *(f"    {quote(m)}," for m in module_list),
        ")",
        "",
        "# name -> index into _MODULES",
        "_INDEX: dict[str, int] = {",
        *(f"    {quote(n)}: {position[names[n]]}," for n in ordered),
        "}",
        "",
        "# union or alias name -> its decode function",
        "_DECODERS: dict[str, str] = {",
        *(f"    {quote(n)}: {quote(decoders[n])}," for n in sorted(decoders)),
        "}",
        "",
        "__all__ = [",
        *(f"    {quote(n)}," for n in sorted([*ordered, "decoder_for"])),
        "]",
    ]
    lines.append(_INDEX_CODE)
    lines.append("")
    lines.append("if TYPE_CHECKING:")
    for module in module_list:
        members = sorted(n for n in ordered if names[n] == module)
        lines.append(f"    from .{module} import (")
        lines += [f"        {n} as {n}," for n in members]
        lines.append("    )")
    return "\n".join(lines) + "\n"


def _operations(resolver: Resolver) -> str:
    lines = [
        HEADER,
        doc_literal("The type of each operation's successful response, by content type.", ""),
        "",
        "from __future__ import annotations",
        "",
        "# operationId -> {content type: type name in trio_openai.types}",
        "RESPONSE_TYPES: dict[str, dict[str, str]] = {",
    ]
    for op_id in sorted(resolver.operation_types):
        entries: list[str] = []
        for content_type, t in sorted(resolver.operation_types[op_id].items()):
            if isinstance(t, Ref):
                entries.append(f"{quote(content_type)}: {quote(t.name)}")
        if entries:
            lines.append(f"    {quote(op_id)}: {{{', '.join(entries)}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"
