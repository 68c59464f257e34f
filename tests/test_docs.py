"""Every Python block of README.md and docs/ type-checks and runs, as a reader would use it.

A newcomer copies these blocks first, so a renamed method, a field that needs narrowing, or
a call the server answers differently must fail here, not in their editor. Each page's
blocks run in order in one namespace against the local server (``client`` is bound to it;
``OPENAI_BASE_URL`` points there for blocks that build their own client), with top-level
``await`` allowed and ``trio.run(main)`` run as ``await main()``. The same blocks are
type-checked by basedpyright in standard mode (what an editor shows), inside an
``async def`` whose parameters are ``client`` and ``server``. A block that shows
``async with OpenAI(...) as client:`` rebinds ``client`` only for itself: the next block
gets the page's client back, as a reader's own code would still have it.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest
import trio
from docs_blocks import ROOT, Block, blocks, pages
from pyright_run import pyright_errors

import trio_openai
from trio_openai.testing import Reply, open_local_server

_PAGES = [page for page in pages() if blocks(page)]
# Pages with a block to run (the others are type-checked only).
_RUN_PAGES = [page for page in _PAGES if any(b.skip is None for b in blocks(page))]


def _module_for(page: Path) -> tuple[str, list[tuple[int, Block, str]]]:
    """The page as one async function; and where each block starts in it."""
    lines = [
        "import trio",
        "import trio_openai",
        "from trio_openai.testing import LocalServer, Reply",
        "",
        "",
        "async def _page(client: trio_openai.OpenAI, server: LocalServer) -> None:",
    ]
    starts: list[tuple[int, Block, str]] = []
    for block in blocks(page):
        if not block.type_checked:
            continue
        for part, code in (("prelude", block.prelude), ("block", block.code)):
            if not code:
                continue
            starts.append((len(lines) + 1, block, part))
            lines.extend(textwrap.indent(code, "    ").splitlines())
    return "\n".join(lines) + "\n", starts


def _where(starts: list[tuple[int, Block, str]], line: int) -> str:
    for start, block, part in reversed(starts):
        if line >= start:
            offset = line - start
            if part == "block":
                return f"{block.page}:{block.line + offset}"
            return f"{block.page}:{block.line} (prelude line {offset + 1})"
    return "<generated header>"


def test_every_block_type_checks(tmp_path: Path) -> None:
    maps: dict[str, list[tuple[int, Block, str]]] = {}
    for page in _PAGES:
        source, starts = _module_for(page)
        name = page.stem.replace("-", "_") + ".py"
        (tmp_path / name).write_text(source)
        maps[name] = starts
    diagnostics, _ = pyright_errors(
        tmp_path, reportUnusedExpression="none", reportRedeclaration="none"
    )
    errors = [
        f"{_where(maps[Path(d['file']).name], d['range']['start']['line'] + 1)}: {d['message']}"
        for d in diagnostics
    ]
    assert not errors, "\n".join(errors)


class _RunAsAwait(ast.NodeTransformer):
    """`trio.run(main, *args)` -> `await main(*args)`: the page already runs inside trio."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "run"
            and isinstance(func.value, ast.Name)
            and func.value.id == "trio"
            and node.args
        ):
            call = ast.Call(func=node.args[0], args=node.args[1:], keywords=[])
            return ast.copy_location(ast.Await(value=call), node)
        return node


async def _run(code: str, filename: str, namespace: dict[str, Any]) -> None:
    tree = _RunAsAwait().visit(ast.parse(code, filename))
    ast.fix_missing_locations(tree)
    compiled = compile(tree, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, namespace)
    if compiled.co_flags & inspect.CO_COROUTINE:
        await result


@pytest.mark.parametrize("page", _RUN_PAGES, ids=lambda page: str(page.relative_to(ROOT)))
async def test_every_block_runs(
    page: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # files a block names ("speech.mp3") are made here
    # A real module, so that classes a block defines resolve their annotations as usual.
    module = types.ModuleType("docs_page")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    async with open_local_server() as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-docs-check")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        async with trio_openai.OpenAI(base_url=server.base_url, api_key="sk-docs-check") as client:
            namespace = module.__dict__
            namespace.update(trio=trio, trio_openai=trio_openai, client=client, server=server)
            namespace["Reply"] = Reply
            for block in blocks(page):
                if block.skip is not None:
                    continue
                with trio.fail_after(60):
                    if block.prelude:
                        await _run(block.prelude, f"{block.page}:{block.line}:prelude", namespace)
                    await _run("\n" * (block.line - 1) + block.code, block.page, namespace)
                if re.search(r"\bas client\b", block.code):  # its client is closed now
                    namespace["client"] = client
