"""The package's shape: public names, import cost and layering rules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import trio_openai

PACKAGE = Path(trio_openai.__file__).parent


def test_all_is_sorted_and_resolves() -> None:
    names = [n for n in trio_openai.__all__ if n != "NOT_GIVEN"]
    assert names == sorted(names, key=str.lower) or names == sorted(names)
    for name in trio_openai.__all__:
        assert getattr(trio_openai, name) is not None


def _runtime_nodes(node: ast.AST):  # type: ignore[no-untyped-def]
    """Every node, except what sits under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if (
            isinstance(child, ast.If)
            and isinstance(child.test, ast.Name)
            and child.test.id == "TYPE_CHECKING"
        ):
            continue
        yield child
        yield from _runtime_nodes(child)


def imports_of(path: Path) -> set[str]:
    """Top-level packages a module imports at run time (anywhere but TYPE_CHECKING blocks)."""
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_asyncio_anyio_or_sniffio() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert not imports_of(path) & {"asyncio", "anyio", "sniffio"}, path


def test_only_the_transport_imports_httpx_at_run_time() -> None:
    for path in PACKAGE.glob("*.py"):
        # the transport layer
        layer = (
            "_transport.py",
            "_pool.py",
            "_http11.py",
            "_connect.py",
            "_http_client.py",
            "_http2.py",
            "_http2_pool.py",
            "_http2_stream.py",
        )
        if path.name not in layer:
            assert "httpx" not in imports_of(path), path


def test_pure_modules_import_neither_trio_nor_httpx() -> None:
    pure = ("_sse.py", "_errors.py", "_types.py", "_redact.py", "_config.py", "_encoding.py")
    pure += ("_h1codec.py", "_wscodec.py")
    for name in (*pure, "_proxy.py"):
        assert not imports_of(PACKAGE / name) & {"trio", "httpx"}, name


def test_import_is_light() -> None:
    code = "import sys, trio_openai; print(sorted(m for m in ('httpx', 'trio', 'httpcore') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
