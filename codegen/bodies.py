"""openai-python's method parameter modules: a TypedDict of each method's keyword arguments.

Code written for openai-python builds the arguments of a call before making it, typed with
``openai.types.chat.CompletionCreateParamsStreaming`` and friends, then calls
``create(**params)``. This writes the same modules, at the same import paths
(`openai_method_params.METHOD_PARAMS`), from the method's own signature: each key is a
keyword parameter of the method (the last path parameter stays positional, as in the
method), ``Required`` where the method's parameter has no default, and its value type is
the parameter's annotation without ``Omit``. So a dict of the TypedDict type-checks as
``**`` arguments of exactly that method, and a stray key or a wrong value is reported.

A method that streams on ``stream=True`` gets openai-python's three classes: ``...Base``
without ``stream``, ``...NonStreaming`` (``stream`` False or absent) and ``...Streaming``
(``stream: Required[Literal[True]]``, which selects the stream overload), and the union.

The modules live in the private package ``types/_bodies/`` (``types/chat.py`` is a module,
so it cannot hold ``completion_create_params.py``); openai-python's package modules
re-export them (``from trio_openai.types.chat import completion_create_params``) and their
main TypedDict (``CompletionCreateParams``), imported on first use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .emit import HEADER, doc_literal, quote
from .ir import Resolver
from .names import camel, singular
from .openai_method_params import METHOD_PARAMS, NESTED_NAMES
from .operations import OpDef, ParamDef
from .param_shapes import split_union
from .params import ParamTyper
from .typenames import Alias, name_literals

BODIES = "_bodies"  # the package under types/

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ABC = ("Mapping", "Sequence")


def render_bodies(
    ops: list[OpDef], resolver: Resolver, modules: dict[str, str], typer: ParamTyper
) -> tuple[dict[str, str], dict[str, list[Alias]]]:
    """({file under types/: source}, {openai-python module: the aliases it gains})."""
    by_method = {f"{op.resource}.{op.name}": op for op in ops}
    files: dict[str, str] = {}
    aliases: dict[str, list[Alias]] = {}
    packages: set[str] = set()
    for path, (method, name) in sorted(METHOD_PARAMS.items()):
        op = by_method.get(method)
        if op is None:  # a spec without the method (tests/test_openai_method_params.py
            continue  # checks every entry is generated from the real one)
        package, _, leaf = path.rpartition(".")
        parts = package.split(".") if package else []
        for size in range(len(parts) + 1):
            packages.add(".".join(parts[:size]))
        nested = frozenset(NESTED_NAMES.get(path, "").split())
        writer = _BodyWriter(op, name, resolver, modules, typer, nested, up="." * (len(parts) + 2))
        files[f"{BODIES}/{path.replace('.', '/')}.py"] = writer.source(path)
        here = f"{BODIES}.{package}" if package else BODIES
        aliases.setdefault(package, []).extend(
            [(leaf, here, leaf), (name, f"{here}.{leaf}", name)]
        )
    for package in sorted(packages):
        folder = f"{BODIES}/{package.replace('.', '/')}" if package else BODIES
        files[f"{folder}/__init__.py"] = _package_source(package)
    return files, {p: sorted(a) for p, a in aliases.items()}


def _package_source(package: str) -> str:
    where = f"openai.types.{package}" if package else "openai.types"
    return "\n".join(
        [
            HEADER,
            doc_literal(
                f"The method parameter modules of ``{where}`` (codegen/bodies.py), each"
                " imported on first use.",
                "",
            ),
            "",
            "from __future__ import annotations",
            "",
            "from importlib import import_module",
            "from types import ModuleType",
            "",
            "",
            "def __getattr__(name: str) -> ModuleType:",
            '    module = f"{__name__}.{name}"',
            "    try:",
            "        return import_module(module)",
            "    except ModuleNotFoundError as e:",
            "        if e.name != module:",
            "            raise",
            '        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None',
            "",
        ]
    )


class _BodyWriter:
    """One module: the TypedDict(s) of one method's keyword arguments."""

    def __init__(
        self,
        op: OpDef,
        name: str,
        resolver: Resolver,
        modules: dict[str, str],
        typer: ParamTyper,
        wanted: frozenset[str],
        *,
        up: str,
    ) -> None:
        self.op = op
        self.name = name
        self.resolver = resolver
        self.modules = modules
        self.typer = typer
        self.param_names = {*typer.classes, *typer.aliases}
        self.nested: dict[str, str] = {}  # openai-python's names of the keys' types
        self.wanted = wanted  # ... the names openai-python's module has
        self.up = up
        self.types_used: set[str] = set()
        self.idents: set[str] = set()

    def _qualify(self, name: str) -> str:
        module = self.modules[name]
        self.types_used.add(module)
        return f"_t_{module}.{name}"

    def _ann(self, p: ParamDef) -> str:
        ann = name_literals(p.ann, self.resolver, self._qualify)
        self.idents.update(_IDENT.findall(ann))
        return ann

    def _field(self, p: ParamDef) -> str:
        ann = self._ann(p)
        self._nest("", p.name, ann, 1)
        return f"    {p.name}: Required[{ann}]" if p.required else f"    {p.name}: {ann}"

    def _classes(self) -> Iterator[str]:
        op = self.op
        path = op.path_params
        flag = op.flag_param
        keyword = [p for p in op.signature_params() if not (path and p is path[-1])]
        call = f"client.{op.resource}.{op.name}()"
        streams = flag is not None and flag.key == "stream"
        if flag is not None and not streams:  # speech's `stream_format`: one value type
            keyword.append(flag)
        base = f"{self.name}Base" if streams else self.name
        yield f"class {base}(TypedDict, total=False):"
        yield doc_literal(f"The keyword arguments of ``{call}``.", "    ")
        if keyword:
            yield ""
        yield from (self._field(p) for p in keyword)
        if not streams:
            return
        assert flag is not None
        nullable = " | None" if "None" in flag.ann else ""
        yield ""
        yield ""
        yield f"class {self.name}NonStreaming({base}, total=False):"
        yield doc_literal(f"``{call}`` returning the whole result.", "    ")
        yield ""
        yield f"    {flag.name}: Literal[False]{nullable}"
        yield ""
        yield ""
        yield f"class {self.name}Streaming({base}):"
        yield doc_literal(f"``{call}`` returning a stream of events.", "    ")
        yield ""
        yield f"    {flag.name}: Required[Literal[True]]"
        yield ""
        yield ""
        union = f"{self.name}NonStreaming | {self.name}Streaming"
        yield f"{self.name}: TypeAlias = {union}"
        self.idents.update(("Literal", "TypeAlias"))

    def names(self) -> list[str]:
        flag = self.op.flag_param
        own = [self.name]
        if flag is not None and flag.key == "stream":
            own += [self.name + s for s in ("Base", "NonStreaming", "Streaming")]
        return [*own, *self.nested]

    # --- openai-python's names of nested types ---------------------------------------

    def _nest(self, prefix: str, key: str, ann: str, depth: int) -> None:
        """openai-python names the type of each key of a request object after the key's
        path (``web_search_options.user_location`` -> ``WebSearchOptionsUserLocation``)
        and an array's item after its singular (``functions`` -> ``Function``); the same
        names alias the generated request types here, where a key's type is one."""
        members = [m for m in split_union(ann) if m != "None"]
        if len(members) == 1 and members[0].startswith("Sequence[") and members[0].endswith("]"):
            inner = members[0].removeprefix("Sequence[")[:-1]
            word = singular(camel(key))
            if not word.endswith("Item"):  # a plural key: its item is named
                self._name(prefix + word, inner, depth)
            return
        self._name(prefix + camel(key), " | ".join(members), depth)

    def _name(self, name: str, ann: str, depth: int) -> None:
        members = split_union(ann)
        if not name or name in self.nested or name.startswith(self.name) or not members:
            return
        if not any(m in self.param_names for m in members):
            return
        if name in self.wanted:
            self.nested[name] = ann
            self.idents.update(_IDENT.findall(ann))
        if depth >= 4 or len(members) != 1 or members[0] not in self.typer.classes:
            return
        for field in self.typer.classes[members[0]].fields:
            if field.key.isidentifier():
                self._nest(name, field.key, field.ann, depth + 1)

    def _nested_source(self) -> Iterator[str]:
        for name, ann in sorted(self.nested.items()):
            yield ""
            yield f"{name}: TypeAlias = {quote(ann)}"

    def source(self, path: str) -> str:
        body = "\n".join(self._classes())
        nested = list(self._nested_source())
        if nested:
            body += "\n\n" + "\n".join(nested)
            self.idents.add("TypeAlias")
        typing = ["TYPE_CHECKING"] if self._needs_type_checking() else []
        typing += [n for n in ("Literal", "Required", "TypeAlias") if n in self.idents]
        if "Required[" in body:
            typing.append("Required")
        typing = sorted(set(typing), key=lambda n: (n != "TYPE_CHECKING", n))
        head = [
            HEADER,
            doc_literal(
                f"openai-python's ``openai.types.{path}``: the keyword arguments of"
                f" ``client.{self.op.resource}.{self.op.name}()`` as a TypedDict, for"
                " ``await client."
                f"{self.op.resource}.{self.op.name}(**params)``.",
                "",
            ),
            "",
            "from __future__ import annotations",
            "",
        ]
        abc = [n for n in _ABC if n in self.idents]
        if abc:
            head.append(f"from collections.abc import {', '.join(abc)}")
        head.append(f"from typing import {', '.join([*typing, 'TypedDict'])}")
        if self._needs_type_checking():
            head += ["", "if TYPE_CHECKING:"]
            if "FileInput" in self.idents:
                head.append(f"    from {self.up}._multipart import FileInput")
            for module in sorted(self.types_used):
                head.append(f"    from {self.up} import {module} as _t_{module}")
            params = sorted(self.idents & self.param_names)
            if params:
                head.append(f"    from {self.up}params import (")
                head += [f"        {n}," for n in params]
                head.append("    )")
        head += ["", "__all__ = [", *(f"    {quote(n)}," for n in sorted(self.names())), "]"]
        return "\n".join(head) + "\n\n\n" + body + "\n"

    def _needs_type_checking(self) -> bool:
        return bool(
            self.types_used or "FileInput" in self.idents or self.idents & self.param_names
        )
