"""`open_cassette_server`: a cassette served over HTTP on 127.0.0.1.

For code under test that builds its own client (`OpenAI()` from OPENAI_BASE_URL) and so
cannot be handed the cassette as middleware: point OPENAI_BASE_URL at `server.base_url`.
Each request received is run through the cassette exactly as a client middleware would run
it (same matching, same trio timing), and the replayed response is written to the socket as
its body comes: a stream's events leave at their recorded times, so the client's own
transport, idle limits and parsing are exercised over a real connection. With `upstream`,
requests the cassette does not answer (modes new_episodes and all) are forwarded there and
recorded.

A request without a match is answered 400 with an OpenAI-shaped error whose message is the
mismatch report (the client raises BadRequestError showing it); `open_cassette` raises
`CassetteMismatchError` at its exit as well.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Final, final
from urllib.parse import urlencode, urlsplit

import h11
import httpx
import trio

from .._errors import APIError
from .._transport import BodyReader, make_http_client
from ._cassette import Cassette, CassetteMismatchError
from ._connection import _read_request as read_request  # pyright: ignore[reportPrivateUsage]
from ._reply import RecordedRequest

__all__ = ["CassetteServer", "open_cassette_server"]

_UNFORWARDED: Final = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}
)
_UNSENT: Final = frozenset({"content-length", "transfer-encoding", "connection"})
_PEER_GONE: Final = (trio.BrokenResourceError, trio.ClosedResourceError)


@final
class CassetteServer:
    """A running cassette server; `base_url` is for `OpenAI(base_url=...)`/OPENAI_BASE_URL."""

    base_url: str
    cassette: Cassette
    requests: int

    def __init__(self, cassette: Cassette, port: int, upstream: str | None, prefix: str) -> None:
        self.cassette = cassette
        self.base_url = f"http://127.0.0.1:{port}{prefix}"
        self.requests = 0
        self._upstream = urlsplit(upstream) if upstream else None
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"<CassetteServer {self.base_url} {self.cassette!r}>"

    async def _forward(self, request: httpx.Request) -> httpx.Response:
        if self._upstream is None or self._http is None:
            raise CassetteMismatchError(
                f"{request.method} {request.url.path}: not in the cassette and no upstream to "
                "record it from (pass upstream= to open_cassette_server)"
            )
        request.url = request.url.copy_with(
            scheme=self._upstream.scheme, netloc=self._upstream.netloc.encode()
        )
        request.headers["host"] = self._upstream.netloc
        return await self._http.send(request, stream=True)

    async def _respond(self, received: RecordedRequest) -> httpx.Response:
        self.requests += 1
        query = urlencode([(k, v) for k, values in received.query.items() for v in values])
        url = f"http://cassette{received.path}{'?' + query if query else ''}"
        headers = [(k, v) for k, v in received.headers.items() if k not in _UNFORWARDED]
        request = httpx.Request(received.method, url, headers=headers, content=received.body)
        try:
            return await self.cassette(request, self._forward)
        except CassetteMismatchError as exc:
            return _error(400, str(exc), "cassette_mismatch")
        except APIError as exc:
            return _error(502, f"upstream failed: {exc}", "cassette_upstream_error")

    async def _handle(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                received = await read_request(conn, stream)
                if received is None:
                    return
                response = await self._respond(received)
                await _write(conn, stream, response)
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (h11.ProtocolError, *_PEER_GONE):
            pass
        finally:
            await trio.aclose_forcefully(stream)


def _error(status: int, message: str, code: str) -> httpx.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return httpx.Response(status, json=body)


async def _write(conn: h11.Connection, stream: trio.SocketStream, response: httpx.Response) -> None:
    reader = BodyReader(response)
    try:
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _UNSENT]
        head = h11.Response(status_code=response.status_code, headers=headers)
        await stream.send_all(conn.send(head))
        while (chunk := await reader.next_chunk()) is not None:
            await stream.send_all(conn.send(h11.Data(data=chunk)))
        await stream.send_all(conn.send(h11.EndOfMessage()))
    finally:
        await reader.aclose()


@asynccontextmanager
async def open_cassette_server(
    cassette: Cassette, *, upstream: str | None = None
) -> AsyncGenerator[CassetteServer, None]:
    """Serve `cassette` on 127.0.0.1 (a free port) for the block.

    `upstream` is the real server's base URL, used to record what the cassette lacks; the
    server's `base_url` keeps its path (default "/v1"), so recorded paths are the same
    whichever way the cassette was recorded. Exits close every connection; an exception
    raised in the block comes out unchanged.
    """
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    prefix = urlsplit(upstream).path.rstrip("/") if upstream else "/v1"
    server = CassetteServer(cassette, port, upstream, prefix)
    failure: BaseException | None = None
    async with contextlib.AsyncExitStack() as stack:
        if upstream is not None:
            server._http = await stack.enter_async_context(make_http_client())  # pyright: ignore[reportPrivateUsage]
        async with trio.open_nursery() as nursery:
            serve = functools.partial(
                trio.serve_listeners,
                server._handle,  # pyright: ignore[reportPrivateUsage]
                listeners,
                handler_nursery=nursery,
            )
            nursery.start_soon(serve)
            try:
                yield server
            except BaseException as exc:
                failure = exc  # re-raised outside the nursery, so that it is not wrapped
            finally:
                nursery.cancel_scope.cancel()
    if failure is not None:
        raise failure
