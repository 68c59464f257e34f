"""The package's layers, as its docstring lists them, hold: every module is in one layer,
run-time imports only point inward, and no module takes a private name from a module that
imports it back.

Imports under ``if TYPE_CHECKING:`` only name types for the checker and never run, so they
may point anywhere (a resource names the client's type; the client builds the resource).
Imports inside functions count: they run, later.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import attrs

import trio_openai

PACKAGE = Path(trio_openai.__file__).resolve().parent
_LAYER_LINE = re.compile(r"^    (\w+):\s+(.*)$")


def declared_layers() -> list[tuple[str, list[str]]]:
    """(layer, entries) inside out, from the package docstring; an entry is a module name
    (``_client``), a subpackage (``lib/``) or the package itself (``trio_openai``)."""
    doc = trio_openai.__doc__ or ""
    layers: list[tuple[str, list[str]]] = []
    for line in doc.splitlines():
        match = _LAYER_LINE.match(line)
        if match:
            layers.append((match[1], match[2].split()))
        elif layers and line.startswith(" " * 15) and line.strip():
            layers[-1][1].extend(line.split())
    return layers


def module_name(path: Path) -> str:
    parts = ["trio_openai", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str, layers: list[tuple[str, list[str]]]) -> int | None:
    """The index of the layer holding `module`: its own entry, else its subpackage's."""
    for index, (_, entries) in enumerate(layers):
        for entry in entries:
            if entry.endswith("/"):
                prefix = "trio_openai." + entry.rstrip("/").replace("/", ".")
                if module == prefix or module.startswith(prefix + "."):
                    return index
            elif module in (f"trio_openai.{entry}", entry):
                return index
    return None


@attrs.frozen
class Import:
    source: str
    target: str
    names: tuple[str, ...]
    line: int
    type_only: bool


def _type_only_nodes(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                ids.update(id(n) for n in ast.walk(child))
    return ids


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = _type_only_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("trio_openai"):
                continue
            names = tuple(alias.name for alias in node.names)
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            if submodules:  # `from . import _transport`: an import of the submodule
                for sub in submodules:
                    yield Import(module, sub, (), node.lineno, id(node) in type_only)
                continue
            yield Import(module, target, names, node.lineno, id(node) in type_only)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("trio_openai"):
                    yield Import(module, alias.name, (), node.lineno, id(node) in type_only)


def _owner(target: str, modules: dict[str, Path]) -> str:
    """The module a dotted import target names (``trio_openai.types.chat`` is a module;
    a name past a module is cut off)."""
    while target not in modules and "." in target:
        target = target.rpartition(".")[0]
    return target


def test_every_module_is_in_a_layer() -> None:
    layers = declared_layers()
    assert [name for name, _ in layers][:2] == ["pure", "models"]
    missing = [m for m in all_modules() if layer_of(m, layers) is None]
    assert not missing, f"add these to the layer list in trio_openai/__init__.py: {missing}"


def test_run_time_imports_point_inward() -> None:
    layers = declared_layers()
    modules = all_modules()
    outward: list[str] = []
    for module, path in modules.items():
        here = layer_of(module, layers)
        assert here is not None
        for imp in imports_of(module, path, modules):
            there = layer_of(_owner(imp.target, modules), layers)
            if not imp.type_only and there is not None and there > here:
                outward.append(
                    f"{module}:{imp.line} ({layers[here][0]}) imports {imp.target} "
                    f"({layers[there][0]})"
                )
    assert not outward, "\n".join(outward)


def test_no_private_name_is_taken_from_a_module_that_imports_back() -> None:
    modules = all_modules()
    graph: dict[str, list[Import]] = {
        module: list(imports_of(module, path, modules)) for module, path in modules.items()
    }
    cycles: list[str] = []
    for module, imports in graph.items():
        for imp in imports:
            owner = _owner(imp.target, modules)
            private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
            if not private or owner == module:
                continue
            if any(_owner(back.target, modules) == module for back in graph.get(owner, ())):
                cycles.append(f"{module}:{imp.line} takes {private} from {owner}, which imports it")
    assert not cycles, "move the shared primitive a layer down:\n" + "\n".join(cycles)


def test_the_layer_list_parses() -> None:
    """The parser of the docstring is not blind: it finds a known module in its layer."""
    layers = declared_layers()
    names = [name for name, _ in layers]
    assert layer_of("trio_openai._sse", layers) == names.index("pure")
    assert layer_of("trio_openai.types.chat", layers) == names.index("models")
    assert layer_of("trio_openai.not_a_module", layers) is None
