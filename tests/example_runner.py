"""Run an example, original (openai-python, sync client in a thread) or ported (trio_openai),
against a local server that answers with the spec's example response, and record what it did.

The server is the project's own h11 server loop (`trio_openai.testing`) on 127.0.0.1 with a
router over every operation of the spec: the example's own operation gets the example's
response; any other call the example makes first (a list to find an id) gets that
operation's first example response. A request that matches no operation gets a 404.
"""

# pyright: reportPrivateUsage=false
# (the router reuses the local server's connection loop, trio_openai.testing._connection)

from __future__ import annotations

import ast
import functools
import inspect
import re
import threading
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

import attrs
import trio
from example_port import instrumented_original, ported
from spec_examples import Example, operations

from trio_openai.testing import RecordedRequest, Reply
from trio_openai.testing._connection import serve_connection

__all__ = ["Run", "open_example_server", "run_openai_python", "run_ported"]

API_KEY = "sk-example-test"
_OPENAI_LOCK = threading.Lock()  # openai-python's module-level client is process-global


@attrs.define
class ExampleServer:
    example: Example
    base_url: str = ""
    requests: list[RecordedRequest] = attrs.field(factory=list)

    def reply_for(self, request: RecordedRequest) -> Reply:
        self.requests.append(request)
        own = self.example.operation
        if own.matches(request.method, request.path):
            content_type, body = self.example.reply()
        else:
            op = next((o for o in operations() if o.matches(request.method, request.path)), None)
            if op is None:
                return Reply.error(404, message=f"no operation for {request.method} {request.path}")
            content_type, body = op.fallback()
        if content_type == "text/event-stream":
            return Reply.text(
                body, content_type=content_type, headers={"cache-control": "no-cache"}
            )
        return Reply.text(body, content_type=content_type)


@asynccontextmanager
async def open_example_server(example: Example) -> AsyncIterator[ExampleServer]:
    server = ExampleServer(example)
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    server.base_url = f"http://127.0.0.1:{listeners[0].socket.getsockname()[1]}/v1"

    async def respond(request: RecordedRequest) -> tuple[Reply, str]:
        return server.reply_for(request), f"req_{len(server.requests)}"

    async def handle(stream: trio.SocketStream) -> None:
        try:
            await serve_connection(stream, respond)
        finally:
            await trio.aclose_forcefully(stream)

    failure: BaseException | None = None
    async with trio.open_nursery() as nursery:
        nursery.start_soon(functools.partial(trio.serve_listeners, handle, listeners))
        try:
            yield server
        except BaseException as exc:  # re-raised below, outside the nursery: not in a group
            failure = exc
        finally:
            nursery.cancel_scope.cancel()
    if failure is not None:
        raise failure


@attrs.define
class Run:
    """What one run of an example did."""

    error: BaseException | None = None
    results: list[Any] = attrs.field(factory=list)  # the main call's result(s)
    events: list[Any] = attrs.field(factory=list)  # the items its stream yielded
    requests: list[RecordedRequest] = attrs.field(factory=list)
    opened: list[IO[Any]] = attrs.field(factory=list)

    def namespace(self, base_url: str, workdir: Path) -> dict[str, Any]:
        def record(value: Any) -> Any:
            self.results.append(value)
            return value

        def tracked_open(*args: Any, **kwargs: Any) -> IO[Any]:
            # Examples write `file=open("speech.mp3", "rb")` and never close it; the
            # harness closes what they opened, so no ResourceWarning leaks into later tests.
            file = open(*args, **kwargs)  # noqa: SIM115
            self.opened.append(file)
            return file

        return {
            "__name__": "example",
            "__file__": str(workdir / "example.py"),
            "__base_url__": base_url,
            "__api_key__": API_KEY,
            "__record__": record,
            "__event__": self.events.append,
            "open": tracked_open,
        }

    def close_files(self) -> None:
        for file in self.opened:
            file.close()


def create_input_files(example: Example, workdir: Path) -> None:
    """The files an example opens ("speech.mp3", "mydata.jsonl", ...), with stand-in bytes."""
    for node in ast.walk(ast.parse(example.python)):
        name = node.value if isinstance(node, ast.Constant) else None
        if isinstance(name, str) and re.fullmatch(r"[\w-]+\.(mp3|wav|png|jpg|jsonl|pdf)", name):
            (workdir / name).write_bytes(b"stand-in content of " + name.encode())


async def run_ported(example: Example, server: ExampleServer, workdir: Path) -> Run:
    run = Run()
    start = len(server.requests)
    code = compile(ported(example.python), f"<ported {example.name}>", "exec")
    namespace = run.namespace(server.base_url, workdir)
    try:
        exec(code, namespace)
        with trio.fail_after(30):
            await namespace["main"]()
    except Exception as exc:
        run.error = exc
    finally:
        run.close_files()
    run.requests = server.requests[start:]
    return run


def _run_sync(example: Example, base_url: str, workdir: Path, run: Run) -> None:
    import openai

    code = compile(instrumented_original(example.python), f"<{example.name}>", "exec")
    namespace = run.namespace(base_url, workdir)
    with _OPENAI_LOCK, warnings.catch_warnings():
        # openai-python warns that Assistants and Videos methods are deprecated; the
        # reference run only needs to know whether the example runs.
        warnings.simplefilter("ignore", DeprecationWarning)
        openai.base_url, openai.api_key = base_url + "/", API_KEY
        try:
            exec(code, namespace)
        except Exception as exc:
            run.error = exc
        finally:
            for value in list(namespace.values()):
                if isinstance(value, openai.OpenAI):
                    value.close()
            if openai._client is not None:
                openai._client.close()
            openai._reset_client()
            openai.base_url, openai.api_key = None, None
            run.close_files()


async def run_openai_python(example: Example, server: ExampleServer, workdir: Path) -> Run:
    run = Run()
    start = len(server.requests)
    with trio.fail_after(30):
        await trio.to_thread.run_sync(
            _run_sync, example, server.base_url, workdir, run, abandon_on_cancel=True
        )
    run.requests = server.requests[start:]
    return run


async def binary_of(value: Any) -> Any:
    """The bytes of a binary result (`read()`, awaited when it is a coroutine)."""
    read = getattr(value, "read", None)
    if read is None:
        return value
    data = read()
    return await data if inspect.isawaitable(data) else data
