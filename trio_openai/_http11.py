"""HTTP/1.1 on one connection, for `_pool.TrioTransport`: request heads, response heads
(parsed by h11), body framing and the response stream.

Part of the transport layer (with ``_pool.py``, ``_connect.py``, ``_transport.py``). Sans-IO
where it can be (heads and framing are pure functions); the I/O is `Connection.fill` and
the writes of `send_stream`. Raises httpx's transport errors only.
"""

from __future__ import annotations

import contextlib
import re
import select
import ssl
from collections.abc import AsyncIterable
from typing import Final, Protocol, cast

import h11
import httpx
import trio

from ._connect import Origin, describe as _describe
from ._proxy import Proxy
from ._transport import CLOSE_GRACE, LINGER, MemoryBody

__all__ = [
    "CHUNKED",
    "EOF",
    "LENGTH",
    "Connection",
    "Partial",
    "ResponseStream",
    "body_in_memory",
    "body_framing",
    "read_head",
    "request_head",
    "send_stream",
]

# One read's worth. Measured at 1,000 concurrent streams (docs/transport.md): reads that
# start at 4 KiB and grow lowered what a stream holds between reads (43 -> 38 KiB) but not
# the peak RSS of the run, and cut bodies into more pieces; so one size.
_READ_SIZE: Final = 65536
_MAX_HEAD: Final = 65536  # a response head (status line and headers) larger than this is refused
_MAX_CHUNK_LINE: Final = 4096

_TOKEN: Final = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_BAD_VALUE: Final = re.compile(rb"[\x00\r\n]")
_BAD_TARGET: Final = re.compile(rb"[\x00-\x20\x7f]")
_HEAD_END: Final = re.compile(rb"\r?\n\r?\n")
_HEX: Final = re.compile(rb"[0-9A-Fa-f]{1,16}")

# Closing a response early: how long and how many reads to spend finishing a body whose
# end is arriving (see ResponseStream.finish_if_arriving).
_FINISH_WAIT: Final = 0.005  # seconds
_FINISH_READS: Final = 4

# How a response body ends.
LENGTH: Final = 0  # after Content-Length bytes
CHUNKED: Final = 1  # at the last chunk
EOF: Final = 2  # when the server closes (HTTP/1.0 style); the connection is not reused

_READ_ERRORS: Final = (trio.BrokenResourceError, trio.ClosedResourceError, OSError, ssl.SSLError)


class Connection:
    """One open HTTP/1.1 connection and the bytes read past the last response."""

    __slots__ = ("buffer", "idle_since", "origin", "reused", "socket", "stream")

    def __init__(
        self, stream: trio.abc.Stream, socket: trio.socket.SocketType, origin: Origin
    ) -> None:
        self.stream = stream
        self.socket = socket  # the TCP socket under `stream` (a TLS stream has one too)
        self.origin = origin
        self.buffer = b""
        self.idle_since = 0.0
        self.reused = False

    def close(self) -> None:
        """Close at once: no TLS close_notify, no await, safe in any `finally`."""
        self.socket.close()

    def readable(self) -> bool:
        """Idle, but the server sent something: EOF, a reset, or bytes nobody asked for."""
        try:
            poller = select.poll()
            poller.register(self.socket.fileno(), select.POLLIN)
            return bool(poller.poll(0))
        except (OSError, ValueError):  # closed already
            return True

    async def fill(self) -> bool:
        """Read more into the buffer; False at EOF."""
        try:
            data = bytes(await self.stream.receive_some(_READ_SIZE))  # the same object for bytes
        except _READ_ERRORS as exc:
            raise httpx.ReadError(_describe(exc)) from exc
        if not data:
            return False
        self.buffer = self.buffer + data if self.buffer else data
        return True


class Releaser(Protocol):
    """The pool a response stream gives its connection back to."""

    def release(self, conn: Connection, *, reuse: bool) -> None: ...


class Partial(httpx.RemoteProtocolError):
    """The server sent part of a response head, then closed."""


async def body_in_memory(request: httpx.Request) -> bytes | None:
    """The body, when it is bytes in memory (and so can be sent again); else None."""
    stream = request.stream
    if isinstance(stream, (MemoryBody, httpx.ByteStream)):
        return b"".join([chunk async for chunk in stream])  # no I/O: one chunk at most
    return None


def request_head(
    request: httpx.Request,
    body: bytes | None,
    forward: Proxy | None = None,
) -> tuple[bytes, bool]:
    """The request line and headers, validated; and whether the body goes chunked.

    With ``forward``, the request goes to that proxy: its target in absolute form, with
    the proxy's Proxy-Authorization when it has credentials.
    """
    method = request.method.encode("ascii")
    target = request.url.raw_path
    if forward is not None:
        url = request.url
        target = url.raw_scheme + b"://" + url.netloc + target
    if not _TOKEN.fullmatch(method):
        raise httpx.LocalProtocolError(f"invalid method {request.method!r}")
    if _BAD_TARGET.search(target):
        raise httpx.LocalProtocolError("invalid characters in the request target")
    lines = [method, b" ", target, b" HTTP/1.1\r\n"]
    has_host = chunked = False
    has_length = False
    for name, value in request.headers.raw:
        if not _TOKEN.fullmatch(name) or _BAD_VALUE.search(value):
            raise httpx.LocalProtocolError(f"invalid header {name!r}")
        lowered = name.lower()
        if lowered == b"host":
            has_host = True
        elif lowered == b"content-length":
            has_length = True
        elif lowered == b"transfer-encoding":
            chunked = value.lower().endswith(b"chunked")
        lines += (name, b": ", value, b"\r\n")
    if not has_host:
        lines[4:4] = [b"Host: ", request.url.netloc, b"\r\n"]
    if not has_length and not chunked:
        if body is None:
            lines += (b"Transfer-Encoding: chunked\r\n",)
            chunked = True
        elif body:
            lines += (b"Content-Length: %d\r\n" % len(body),)
    if forward is not None and forward.authorization is not None:
        lines += (b"Proxy-Authorization: ", forward.authorization, b"\r\n")
    lines.append(b"\r\n")
    return b"".join(lines), chunked


async def send_stream(stream: trio.abc.Stream, request: httpx.Request, chunked: bool) -> None:
    expected = request.headers.get("content-length")
    left = int(expected) if expected is not None and not chunked else None
    iterator = aiter(cast("AsyncIterable[bytes]", request.stream))
    finished = False
    try:
        async for chunk in iterator:
            if not chunk:
                continue
            if chunked:
                await stream.send_all(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                continue
            if left is not None:
                left -= len(chunk)
                if left < 0:
                    raise httpx.LocalProtocolError("request body longer than its Content-Length")
            await stream.send_all(chunk)
        finished = True
    finally:
        aclose = getattr(iterator, "aclose", None)
        if not finished and aclose is not None:
            # An async generator stopped early: finish it here, not in the GC.
            with trio.CancelScope(shield=True) as scope:
                scope.deadline = trio.current_time() + CLOSE_GRACE
                # The body's own failure is dropped: the send error is the one raised.
                with contextlib.suppress(Exception):
                    await aclose()
    if chunked:
        await stream.send_all(b"0\r\n\r\n")
    elif left:
        raise httpx.LocalProtocolError("request body shorter than its Content-Length")


async def read_head(
    conn: Connection, method: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes, bytes]:
    parser = h11.Connection(h11.CLIENT)
    parser.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
    while True:
        while (match := _HEAD_END.search(conn.buffer)) is None:
            if len(conn.buffer) > _MAX_HEAD:
                raise httpx.RemoteProtocolError("response head too large")
            if not await conn.fill():
                if conn.buffer:
                    raise Partial("server closed the connection in the response head")
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        end = match.end()
        parser.receive_data(conn.buffer[:end])
        try:
            event = parser.next_event()
        except h11.RemoteProtocolError as exc:
            raise Partial(f"malformed response head: {exc}") from exc
        conn.buffer = conn.buffer[end:]
        if isinstance(event, h11.Response):
            headers = list(event.headers.raw_items())
            return event.status_code, headers, event.http_version, event.reason
        if not isinstance(event, h11.InformationalResponse) or event.status_code == 101:
            raise Partial(f"unexpected response head {event!r}")


def body_framing(
    request: httpx.Request, status: int, headers: list[tuple[bytes, bytes]], version: bytes
) -> tuple[int, int, bool]:
    """How the body ends (LENGTH, CHUNKED, EOF), its length, and whether to keep the
    connection. h11 has validated Content-Length and Transfer-Encoding already."""
    keep = version == b"1.1"
    length: int | None = None
    chunked = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == b"transfer-encoding":
            chunked = True  # h11 accepts "chunked" only
        elif lowered == b"connection":
            tokens = {token.strip() for token in value.lower().split(b",")}
            if b"close" in tokens:
                keep = False
            elif b"keep-alive" in tokens and version == b"1.0":
                keep = True
    if request.headers.get("connection", "").lower() == "close":
        keep = False
    if request.method == "HEAD" or status in (204, 304) or status < 200:
        return LENGTH, 0, keep
    if chunked:
        return CHUNKED, 0, keep
    if length is not None:
        return LENGTH, length, keep
    return EOF, 0, False


class ResponseStream(httpx.AsyncByteStream):
    """A response body straight from the socket; its own iterator (no async generator).

    The connection goes back to the pool when the body has been read to its end and the
    connection may be reused; `aclose()` before that, an error or a cancellation while
    reading close it.
    """

    def __init__(
        self, pool: Releaser, conn: Connection, framing: int, length: int, keep: bool
    ) -> None:
        self._pool = pool
        self._conn: Connection | None = conn
        self._framing = framing
        self._left = length  # bytes left: of the body (LENGTH), or of the current chunk
        self._keep = keep
        self._done = False
        self._after_data = False  # chunked: the CRLF after a chunk's data is still due
        self.extensions: dict[str, object] = {}
        self._trailers = False  # chunked: past the last chunk, reading trailer lines

    def __aiter__(self) -> ResponseStream:
        return self

    async def __anext__(self) -> bytes:
        conn = self._conn
        if conn is None:
            raise StopAsyncIteration
        try:
            while True:
                if self._framing == CHUNKED:
                    piece = self._take_chunked(conn)
                elif self._framing == LENGTH:
                    piece = self._take_length(conn)
                else:
                    piece, conn.buffer = conn.buffer, b""
                if self._done:
                    self.finish()
                    if piece:
                        return piece
                    raise StopAsyncIteration
                if piece:
                    return piece
                if not await conn.fill():
                    if self._framing != EOF:
                        raise httpx.RemoteProtocolError(
                            "peer closed connection without sending complete message body"
                        )
                    self._done = True
        except BaseException:
            if self._conn is not None:
                self._conn = None
                self._pool.release(conn, reuse=False)
            raise

    def _take_length(self, conn: Connection) -> bytes:
        buffer = conn.buffer
        if len(buffer) <= self._left:
            conn.buffer = b""
            self._left -= len(buffer)
        else:  # bytes past the body: the connection cannot be trusted for another request
            buffer = buffer[: self._left]
            self._left = 0
            self._keep = False
        if not self._left:
            self._done = True
        return buffer

    def _take_chunked(self, conn: Connection) -> bytes:
        buffer = conn.buffer
        pos, end = 0, len(buffer)
        pieces: list[bytes] = []
        while pos < end:
            if self._left:
                stop = min(end, pos + self._left)
                pieces.append(buffer[pos:stop])
                self._left -= stop - pos
                pos = stop
                if self._left:
                    break
                self._after_data = True
            if self._after_data:
                if end - pos < 2:
                    break
                if buffer[pos : pos + 2] != b"\r\n":
                    raise httpx.RemoteProtocolError("malformed chunked body: no CRLF after data")
                pos += 2
                self._after_data = False
            line_end = buffer.find(b"\r\n", pos)
            if line_end < 0:
                if end - pos > _MAX_CHUNK_LINE:
                    raise httpx.RemoteProtocolError("malformed chunked body: line too long")
                break
            line = buffer[pos:line_end]
            pos = line_end + 2
            if self._trailers:
                if not line:  # the blank line that ends the message
                    self._done = True
                    break
                continue  # a trailer field: ignored
            size = line.split(b";", 1)[0].strip()
            if not _HEX.fullmatch(size):
                raise httpx.RemoteProtocolError(f"malformed chunked body: chunk size {line!r}")
            self._left = int(size, 16)
            if not self._left:
                self._trailers = True
        conn.buffer = buffer[pos:]
        if not pieces:
            return b""
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def finish(self) -> None:
        """The body was read to its end: release the connection, to the pool if it may."""
        self._done = True
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool.release(conn, reuse=self._keep)

    async def aclose(self) -> None:
        if self._conn is not None and self.extensions.get(LINGER):
            await self._finish_if_arriving()
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool.release(conn, reuse=False)

    async def _finish_if_arriving(self) -> None:
        """Read the end of the body if it arrives at once, so the connection is reused.

        A stream is usually closed at its last event (``[DONE]``, ``response.completed``)
        a moment before the final chunk arrives behind it; closing then would cost the
        next request a new connection (and a TLS handshake). Bounded: a few reads within
        a few milliseconds, the bytes read are dropped; a body that goes on is closed.
        Only when `_transport.BodyReader.aclose` asked for it (``LINGER``): never when the
        closer is being cancelled.
        """
        if self._framing == EOF:
            return
        with trio.move_on_after(_FINISH_WAIT):
            for _ in range(_FINISH_READS):
                if self._conn is None:
                    return
                try:
                    await self.__anext__()  # releases the connection at the end or on error
                except StopAsyncIteration:
                    return
                except httpx.HTTPError:
                    return
