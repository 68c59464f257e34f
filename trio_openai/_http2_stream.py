"""One HTTP/2 stream as `_http2.H2Connection` keeps it, the response body its caller reads,
and the request headers in HTTP/2 form.

Part of the transport layer; imported only with ``http2=True``. No socket I/O here: the
connection's reader fills a `Stream`, its caller waits on it.
"""

from __future__ import annotations

from typing import Final, Protocol

import httpx
import trio
from h2.errors import ErrorCodes

__all__ = [
    "H2ResponseStream",
    "NotSent",
    "Stream",
    "StreamOwner",
    "before_headers",
    "code_name",
    "request_headers",
]

_SKIPPED: Final = frozenset(
    {
        b"host",
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"upgrade",
        b"te",
    }
)


class NotSent(Exception):
    """The server did not process the request (GOAWAY above it, REFUSED_STREAM, or a
    connection that could not take it): safe to send again on another connection."""

    def __init__(self, error: httpx.TransportError) -> None:
        super().__init__(str(error))
        self.error = error


class Stream:
    """One request's state, fed by the connection's reader, waited on by its caller."""

    __slots__ = ("chunks", "ended", "error", "headers", "id", "unacked", "waiter")

    def __init__(self, stream_id: int) -> None:
        self.id = stream_id
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.chunks: list[bytes] = []  # a list: an empty deque costs ~600 bytes per stream
        self.unacked = 0  # flow-controlled bytes received and not yet taken by the caller
        self.ended = False
        self.error: Exception | None = None
        self.waiter: trio.Event | None = None

    def wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None:
            waiter.set()

    async def wait(self) -> None:
        waiter = self.waiter = trio.Event()
        await waiter.wait()


class StreamOwner(Protocol):
    """The connection a response stream takes its bytes from and releases itself to."""

    def take(self, stream: Stream) -> bytes: ...

    def release(self, stream: Stream) -> None: ...


class H2ResponseStream(httpx.AsyncByteStream):
    """A response body fed by the connection's reader; its own iterator (no generator)."""

    def __init__(self, conn: StreamOwner, stream: Stream) -> None:
        self._conn = conn
        self._stream: Stream | None = stream

    def __aiter__(self) -> H2ResponseStream:
        return self

    async def __anext__(self) -> bytes:
        stream = self._stream
        if stream is None:
            raise StopAsyncIteration
        try:
            while True:
                if stream.chunks:
                    return self._conn.take(stream)
                if stream.error is not None:
                    error = stream.error
                    raise error.error if isinstance(error, NotSent) else error
                if stream.ended:
                    self._stream = None
                    self._conn.release(stream)
                    raise StopAsyncIteration
                await stream.wait()
        except BaseException:
            if self._stream is not None:
                self._stream = None
                self._conn.release(stream)
            raise

    async def aclose(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            self._conn.release(stream)
        await trio.lowlevel.checkpoint()


def request_headers(request: httpx.Request) -> list[tuple[bytes, bytes]]:
    url = request.url
    authority = request.headers.get("host", "").encode("ascii") or url.netloc
    headers = [
        (b":method", request.method.encode("ascii")),
        (b":authority", authority),
        (b":scheme", url.raw_scheme),
        (b":path", url.raw_path),
    ]
    for name, value in request.headers.raw:
        lowered = name.lower()
        if lowered not in _SKIPPED:
            headers.append((lowered, value))
    return headers


def before_headers(error: Exception) -> httpx.TransportError:
    if isinstance(error, NotSent):
        return error.error
    if isinstance(error, httpx.TransportError):
        return httpx.RemoteProtocolError(
            f"Server disconnected without sending a response ({error})."
        )
    return httpx.RemoteProtocolError(str(error))


def code_name(code: object) -> str:
    return code.name if isinstance(code, ErrorCodes) else str(code)
