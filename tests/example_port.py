"""Port an openai-python example to trio_openai mechanically, and instrument it for the test.

The port rules (each is a line of docs/migration.md, "What Trio requires you to change"):

1. Imports: `openai` becomes `trio_openai` (`from openai import OpenAI` ->
   `from trio_openai import OpenAI`, `AsyncOpenAI` -> `OpenAI`, `AsyncAzureOpenAI` ->
   `AzureOpenAI`, `from openai.types.x import Y` -> `from trio_openai.types.x import Y`).
2. The client is closed by a block: `client = OpenAI(...)` -> `async with OpenAI(...) as
   client:` around the rest of the code. openai-python's module-level client
   (`import openai; openai.audio...`) becomes the same block, with `client.` for `openai.`.
3. Every call on `client.` is awaited (`await client.files.retrieve(...)`).
4. A `for` over a list call walks every page: `async for x in client.files.list()`.
5. `with` over a client call (`.stream(...)`, `.with_streaming_response.x(...)`) becomes
   `async with`, and the methods of the streamed response it yields are awaited
   (`await response.stream_to_file(...)`), as with `AsyncOpenAI`.
6. A `stream=True` call is used in a block: `s = client.x.create(..., stream=True)` followed
   by `for e in s:` -> `async with await client.x.create(..., stream=True) as s:` around the
   statements up to the last one using `s`, with `async for e in s:`; `for e in client.x.create(..., stream=True):` the same,
   naming the stream `stream`.
7. The code runs inside `async def main()`, started with `trio.run(main)` (the test awaits
   `main()` inside its own Trio run instead).

Nothing else changes. The test also instruments both the original and the port, which is
not part of the port: `OpenAI()` gets `base_url=` and `api_key=` of the local server, the
example's main call (its last call on the client) is wrapped in `__record__(...)`, and a loop
over its stream starts with `__event__(item)`. Both helpers return nothing the example sees
differently: `__record__(x)` returns `x`.
"""

from __future__ import annotations

import ast
import copy
from typing import Any

__all__ = ["instrumented_original", "ported"]

_CLIENT_CLASSES = {  # openai-python's client classes -> trio_openai's
    "OpenAI": "OpenAI",
    "AsyncOpenAI": "OpenAI",
    "AzureOpenAI": "AzureOpenAI",
    "AsyncAzureOpenAI": "AzureOpenAI",
}
_MAIN = "_is_main_call"  # attribute set on the main ast.Call
CLIENT = "client"


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _is_client_call(node: ast.AST, roots: tuple[str, ...] = (CLIENT, "openai")) -> bool:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    root = _root(node.func)
    return isinstance(root, ast.Name) and root.id in roots


def _is_stream_call(node: ast.AST) -> bool:
    return _is_client_call(node) and any(
        k.arg == "stream" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in node.keywords  # type: ignore[attr-defined]
    )


def _is_client_ctor(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _CLIENT_CLASSES
    )


def _name(id_: str, ctx: ast.expr_context | None = None) -> ast.Name:
    return ast.Name(id=id_, ctx=ctx or ast.Load())


# -- instrumentation, on the original tree (marks survive the port: nodes are reused) --------


def _instrument(tree: ast.Module) -> None:
    calls = [n for n in ast.walk(tree) if _is_client_call(n)]
    if not calls:
        return
    main = max(calls, key=lambda n: (n.lineno, n.col_offset))
    setattr(main, _MAIN, True)
    stream_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and node.value is main:
            stream_names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        if isinstance(node, ast.Call) and _is_client_ctor(node):
            node.keywords += [
                ast.keyword("base_url", _name("__base_url__")),
                ast.keyword("api_key", _name("__api_key__")),
            ]
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and (
            node.iter is main or (isinstance(node.iter, ast.Name) and node.iter.id in stream_names)
        ):
            call = ast.Call(_name("__event__"), [copy.deepcopy(node.target)], [])
            node.body.insert(0, ast.Expr(call))
            _set_load(node.body[0])
        if isinstance(node, ast.With) and any(i.context_expr is main for i in node.items):
            var = node.items[0].optional_vars
            if isinstance(var, ast.Name):
                node.body.insert(0, ast.Expr(ast.Call(_name("__record__"), [_name(var.id)], [])))
                delattr(main, _MAIN)


def _set_load(node: ast.AST) -> None:
    for sub in ast.walk(node):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()  # type: ignore[attr-defined]


class _RecordMain(ast.NodeTransformer):
    """Wrap the main call (with its `await`, once ported) in `__record__(...)`."""

    def visit_Await(self, node: ast.Await) -> Any:
        if getattr(node.value, _MAIN, False):
            self.generic_visit(node.value)
            return ast.Call(_name("__record__"), [node], [])
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> Any:
        self.generic_visit(node)
        if getattr(node, _MAIN, False):
            return ast.Call(_name("__record__"), [node], [])
        return node


def instrumented_original(source: str) -> ast.Module:
    """The example as openai-python runs it, instrumented (no port)."""
    tree = ast.parse(source)
    _instrument(tree)
    return ast.fix_missing_locations(_RecordMain().visit(tree))


# -- the port ------------------------------------------------------------------------------


class _AwaitClientCalls(ast.NodeTransformer):
    """Rules 3 and 5 (second half): await calls on the client and on streamed responses."""

    def __init__(self, streamed: set[str]) -> None:
        self.streamed = streamed

    def visit_Call(self, node: ast.Call) -> Any:
        self.generic_visit(node)
        if _is_client_call(node, (CLIENT, *self.streamed)):
            return ast.Await(node)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        return node  # `await` cannot appear in a lambda: left as written


def _last_use(stmts: list[ast.stmt], name: str) -> int:
    """Index of the last statement that mentions `name` (-1 if none)."""
    uses = [
        i
        for i, stmt in enumerate(stmts)
        if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(stmt))
    ]
    return max(uses, default=-1)


class _Porter:
    def __init__(self) -> None:
        self.streams: set[str] = set()  # names bound to an entered stream
        self.streamed: set[str] = set()  # names bound by `async with` over a client call

    def expr(self, node: ast.expr) -> ast.expr:
        return _AwaitClientCalls(self.streamed).visit(node)

    def inner(self, call: ast.expr) -> ast.expr:
        """`call` itself left unawaited, the calls in its arguments awaited."""
        return _AwaitClientCalls(self.streamed).generic_visit(call)  # type: ignore[return-value]

    def block(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for i, stmt in enumerate(stmts):
            rest = stmts[i + 1 :]
            if isinstance(stmt, ast.Assign) and _is_client_ctor(stmt.value):  # rule 2
                (target,) = stmt.targets
                func = stmt.value.func  # type: ignore[attr-defined]
                func.id = _CLIENT_CLASSES[func.id]  # AsyncOpenAI() -> OpenAI(), rule 1
                item = ast.withitem(self.expr(stmt.value), target)
                out.append(ast.AsyncWith([item], self.block(rest) or [ast.Pass()]))
                return out
            if isinstance(stmt, ast.Assign) and _is_stream_call(stmt.value):  # rule 6
                (target,) = stmt.targets
                assert isinstance(target, ast.Name)
                self.streams.add(target.id)
                item = ast.withitem(self.expr(stmt.value), target)
                inside = _last_use(rest, target.id) + 1
                out.append(ast.AsyncWith([item], self.block(rest[:inside]) or [ast.Pass()]))
                return out + self.block(rest[inside:])
            out.append(self.stmt(stmt))
        return out

    def stmt(self, stmt: ast.stmt) -> ast.stmt:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            return _port_import(stmt)
        if isinstance(stmt, ast.For):
            body = self.block(stmt.body)
            if _is_stream_call(stmt.iter):  # rule 6, inline
                self.streams.add("stream")
                loop = ast.AsyncFor(stmt.target, _name("stream"), body, stmt.orelse)
                item = ast.withitem(self.expr(stmt.iter), _name("stream", ast.Store()))
                return ast.AsyncWith([item], [loop])
            if isinstance(stmt.iter, ast.Name) and stmt.iter.id in self.streams:
                return ast.AsyncFor(stmt.target, stmt.iter, body, self.block(stmt.orelse))
            if _is_client_call(stmt.iter):  # rule 4: no await, the pager is iterated
                return ast.AsyncFor(
                    stmt.target, self.inner(stmt.iter), body, self.block(stmt.orelse)
                )
            stmt.iter = self.expr(stmt.iter)
            stmt.body, stmt.orelse = body, self.block(stmt.orelse)
            return stmt
        if isinstance(stmt, ast.With) and any(_is_client_call(i.context_expr) for i in stmt.items):
            for item in stmt.items:  # rule 5: the call is entered, not awaited
                item.context_expr = self.inner(item.context_expr)
                if isinstance(item.optional_vars, ast.Name):
                    self.streamed.add(item.optional_vars.id)
            return ast.AsyncWith(stmt.items, self.block(stmt.body))
        for field in ("body", "orelse", "finalbody"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, self.block(getattr(stmt, field)))
        for field, value in ast.iter_fields(stmt):
            if isinstance(value, ast.expr):
                setattr(stmt, field, self.expr(value))
            elif isinstance(value, list) and field not in ("body", "orelse", "finalbody"):
                setattr(
                    stmt, field, [self.expr(v) if isinstance(v, ast.expr) else v for v in value]
                )
        if isinstance(stmt, ast.With):
            for item in stmt.items:
                item.context_expr = self.expr(item.context_expr)
        return stmt


def _port_import(stmt: ast.Import | ast.ImportFrom) -> ast.stmt:  # rule 1
    if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.module.split(".")[0] == "openai":
        names = [ast.alias(_CLIENT_CLASSES.get(a.name, a.name), a.asname) for a in stmt.names]
        return ast.ImportFrom("trio_openai" + stmt.module[len("openai") :], names, stmt.level)
    if isinstance(stmt, ast.Import) and any(a.name == "openai" for a in stmt.names):
        return ast.ImportFrom("trio_openai", [ast.alias("OpenAI")], 0)
    return stmt


class _ModuleClient(ast.NodeTransformer):
    """Rule 2, second half: `openai.<resource>` -> `client.<resource>`."""

    def visit_Name(self, node: ast.Name) -> Any:
        return _name(CLIENT, node.ctx) if node.id == "openai" else node


def _uses_module_client(tree: ast.Module) -> bool:
    return any(
        isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "openai"
        for n in ast.walk(tree)
    )


def ported(source: str, *, instrument: bool = True) -> ast.Module:
    """The example ported to trio_openai (and instrumented): defines `async def main()`."""
    tree = ast.parse(source)
    if _uses_module_client(tree):
        tree = _ModuleClient().visit(tree)
        imports = 0
        while imports < len(tree.body) and isinstance(
            tree.body[imports], ast.Import | ast.ImportFrom
        ):
            imports += 1
        opened = ast.Assign([_name(CLIENT, ast.Store())], ast.Call(_name("OpenAI"), [], []))
        tree.body.insert(imports, opened)
    if instrument:
        _instrument(tree)
    body = _Porter().block(tree.body)  # rules 1-6
    main = ast.AsyncFunctionDef(  # rule 7
        name="main",
        args=ast.arguments([], [], None, [], [], None, []),
        body=body,
        decorator_list=[],
        returns=None,
        type_params=[],
    )
    module = ast.Module([main], [])
    return ast.fix_missing_locations(_RecordMain().visit(module))
