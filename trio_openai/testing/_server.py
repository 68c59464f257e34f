"""`LocalServer` and `open_local_server`: the scripted OpenAI-compatible server on 127.0.0.1.

The server speaks HTTP/1.1 through h11 directly on trio sockets rather than through an ASGI
framework, because its purpose is faults an ASGI app cannot produce: a RST before the status
line or mid-stream, a truncated chunked body, a body trickled one byte at a time, a
close-delimited HTTP/1.0 body.
"""

from __future__ import annotations

import functools
import inspect
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import final

import attrs
import trio

from ._background import BackgroundResponses
from ._batches import BatchService
from ._connection import serve_connection
from ._echo import echo_reply
from ._ratelimit import RateLimitBudget
from ._reply import RecordedRequest, Reply

__all__ = ["LocalServer", "open_local_server"]


def _route_key(method: str, path: str) -> tuple[str, str]:
    return method.upper(), path.partition("?")[0]


@final
class LocalServer:
    """A running local server; get one from `open_local_server` (or the `local_server` fixture).

    Requests go to scripted replies first (`script`), then to the built-in echo routes:
    POST /v1/chat/completions, POST /v1/responses, GET /v1/models, and the in-memory Files and
    Batches APIs under /v1/files and /v1/batches (knobs on `batches`); anything else is a 404.
    Every response carries `x-request-id: req_<n>` unless its reply sets one.
    """

    port: int
    base_url: str
    origin: str
    requests: list[RecordedRequest]
    connections_opened: int
    open_connections: int
    echo_pace: float

    def __init__(self, host: str, port: int) -> None:
        shown_host = f"[{host}]" if ":" in host else host
        self.port = port
        self.origin = f"http://{shown_host}:{port}"
        self.base_url = f"{self.origin}/v1"
        self.requests = []
        self.connections_opened = 0
        self.open_connections = 0
        self.echo_pace = 0.0  # seconds between the events the echo routes stream
        self.rate_limit: RateLimitBudget | None = None  # x-ratelimit headers and 429s
        self.batches = BatchService()  # /v1/files and /v1/batches
        self.background = BackgroundResponses()  # resumable background responses, cancel
        self._scripts: dict[tuple[str, str], deque[Reply]] = {}
        self._serial = 0
        self._connections_changed = trio.Event()

    def __repr__(self) -> str:
        return f"<LocalServer {self.base_url} open_connections={self.open_connections}>"

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Answer `method path` with `replies`, one per request, in order.

        The last reply is reused for every later request. The query string is ignored when
        matching. Scripting a route again replaces its queue; a scripted route overrides the
        built-in one.
        """
        if not replies:
            raise ValueError("script() needs at least one Reply")
        self._scripts[_route_key(method, path)] = deque(replies)

    def reset(self) -> None:
        """Forget every script and every recorded request (counters are kept)."""
        self._scripts.clear()
        self.requests.clear()

    async def wait_open_connections(self, count: int = 0) -> None:
        """Wait until exactly `count` TCP connections are open (the server notices a client's
        close only when it next reads, so a test should wait rather than assert at once)."""
        while self.open_connections != count:
            await self._connections_changed.wait()

    def _connections_moved(self, by: int) -> None:
        self.open_connections += by
        if by > 0:
            self.connections_opened += by
        self._connections_changed.set()
        self._connections_changed = trio.Event()

    def _next_scripted(self, request: RecordedRequest) -> Reply | None:
        queue = self._scripts.get(_route_key(request.method, request.path))
        if not queue:
            return None
        return queue.popleft() if len(queue) > 1 else queue[0]

    async def _respond(self, request: RecordedRequest) -> tuple[Reply, str]:
        self._serial += 1
        serial = self._serial
        self.requests.append(request)
        limit_headers: dict[str, str] = {}
        if self.rate_limit is not None:
            accepted, limit_headers = self.rate_limit.charge(request)
            if not accepted:
                message = "Rate limit reached (local server budget)."
                reply = Reply.error(429, message=message, type="requests", headers=limit_headers)
                return reply, f"req_{serial}"
        reply = self._next_scripted(request)
        if reply is None:
            reply = self.batches.respond(request)
        if reply is None:
            reply = self.background.respond(request)
        if reply is None:
            reply = echo_reply(request, serial=serial, pace=self.echo_pace)
        while reply.kind == "handler":
            reply = await self._run_handler(reply, request)
        if limit_headers:
            reply = attrs.evolve(reply, headers=(*reply.headers, *limit_headers.items()))
        return reply, f"req_{serial}"

    @staticmethod
    async def _run_handler(reply: Reply, request: RecordedRequest) -> Reply:
        assert reply.fn is not None
        try:
            result = reply.fn(request)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            return Reply.error(500, message=f"Reply.handler raised {exc!r}", type="server_error")
        # A user's handler may return anything, whatever its annotation says.
        if not isinstance(result, Reply):  # pyright: ignore[reportUnnecessaryIsInstance]
            return Reply.error(
                500,
                message=f"Reply.handler returned {type(result).__name__}, not a Reply",
                type="server_error",
            )
        return result

    async def _handle(self, stream: trio.SocketStream) -> None:
        self._connections_moved(+1)
        try:
            await serve_connection(stream, self._respond)
        finally:
            # Under cancellation aclose_forcefully re-raises Cancelled after closing the
            # socket, so the count is updated in a finally of its own.
            try:
                await trio.aclose_forcefully(stream)
            finally:
                self._connections_moved(-1)


@asynccontextmanager
async def open_local_server(
    *, host: str = "127.0.0.1", port: int = 0
) -> AsyncGenerator[LocalServer, None]:
    """Start a `LocalServer` listening on `host:port` (port 0 picks a free one).

    The server's tasks live in a nursery owned by this block. On exit, the listener and
    every open connection are closed, whatever they were doing. An exception raised inside
    the block propagates unchanged (not wrapped in an ExceptionGroup).
    """
    listeners = await trio.open_tcp_listeners(port, host=host)
    bound_port = listeners[0].socket.getsockname()[1]
    server = LocalServer(host, bound_port)
    failure: BaseException | None = None
    async with trio.open_nursery() as nursery:
        serve = functools.partial(
            trio.serve_listeners,
            server._handle,  # pyright: ignore[reportPrivateUsage]  # the server's own opener
            listeners,
            handler_nursery=nursery,
        )
        nursery.start_soon(serve)
        try:
            yield server
        except BaseException as exc:
            # Re-raised below, outside the nursery, so it does not arrive wrapped in a group.
            failure = exc
        finally:
            nursery.cancel_scope.cancel()
    if failure is not None:
        raise failure
