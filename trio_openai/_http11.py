"""HTTP/1.1 on one connection, for `_pool.TrioTransport`: the I/O around the codec.

Part of the transport layer (with ``_pool.py``, ``_connect.py``, ``_transport.py``). The
protocol is ``_h1codec.py`` (sans-IO: heads written and parsed, bodies framed there);
here are the socket reads that feed it (`Connection.fill`), the writes of a streamed
request body (`send_stream`) and the response body as an httpx stream (`ResponseStream`).
Raises httpx's transport errors only.
"""

from __future__ import annotations

import contextlib
import os
import select
import ssl
from collections.abc import AsyncIterable
from typing import Final, Protocol, cast

import httpx
import trio

from . import _h1codec
from ._connect import Origin, describe as _describe
from ._h1codec import END, Head, ResponseParser
from ._proxy import Proxy
from ._transport import CLOSE_GRACE, LINGER, MemoryBody

__all__ = [
    "Connection",
    "Partial",
    "ResponseStream",
    "body_in_memory",
    "read_head",
    "request_head",
    "send_stream",
]

# One read's worth. Measured at 1,000 concurrent streams (docs/transport.md): the 64 KiB
# buffer lives only during the system call (the bytes object shrinks to what arrived);
# what cost memory was holding the bytes across a checkpoint (see `Connection._receive`).
_READ_SIZE: Final = 65536

# Closing a response early: how long and how many reads to spend finishing a body whose
# end is arriving (see ResponseStream.finish_if_arriving).
_FINISH_WAIT: Final = 0.005  # seconds
_FINISH_READS: Final = 4

_READ_ERRORS: Final = (trio.BrokenResourceError, trio.ClosedResourceError, OSError, ssl.SSLError)


class Connection:
    """One open HTTP/1.1 connection and its response parser (which holds the bytes read
    and not parsed yet)."""

    __slots__ = ("codec", "idle_since", "origin", "plain", "reused", "socket", "stream")

    def __init__(
        self, stream: trio.abc.Stream, socket: trio.socket.SocketType, origin: Origin
    ) -> None:
        self.stream = stream
        self.socket = socket  # the TCP socket under `stream` (a TLS stream has one too)
        self.origin = origin
        self.codec = ResponseParser()
        self.plain = isinstance(stream, trio.SocketStream)  # TCP, no TLS: read the socket
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

    async def fill(self) -> None:
        """Read once and feed the parser (the end of the stream too)."""
        try:
            if self.plain:
                data = await self._receive()
            else:
                data = bytes(await self.stream.receive_some(_READ_SIZE))  # the same for bytes
        except _READ_ERRORS as exc:
            raise httpx.ReadError(_describe(exc)) from exc
        if data:
            self.codec.receive_data(data)
        else:
            self.codec.receive_eof()

    async def _receive(self) -> bytes:
        """One read of the TCP socket, the checkpoint before it rather than after.

        trio's ``receive_some`` reads, then yields (a cancel-shielded checkpoint) with the
        bytes in hand: at 1,000 concurrent streams whose responses arrive together, every
        stream holds its bytes through a whole scheduling round, and those bytes were the
        largest thing in memory at the peak (docs/transport.md). Here the bytes go to the
        parser, and on up, before the task yields again.
        """
        sock = self.socket
        await trio.lowlevel.checkpoint()
        while True:
            try:
                return os.read(sock.fileno(), _READ_SIZE)
            except BlockingIOError:
                await trio.lowlevel.wait_readable(sock)


class Partial(httpx.RemoteProtocolError):
    """The server answered with a malformed response head, or closed in the middle of one
    (so a request that failed with it is not sent again)."""


def _remote_error(exc: _h1codec.RemoteProtocolError) -> httpx.RemoteProtocolError:
    kind = Partial if isinstance(exc, _h1codec.HeadError) else httpx.RemoteProtocolError
    return kind(str(exc))


class Releaser(Protocol):
    """The pool a response stream gives its connection back to."""

    def release(self, conn: Connection, *, reuse: bool) -> None: ...


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
    url = request.url
    target = url.raw_path
    authorization = None
    if forward is not None:
        target = url.raw_scheme + b"://" + url.netloc + target
        authorization = forward.authorization
    try:
        return _h1codec.request_head(
            request.method,
            target,
            request.headers.raw,
            netloc=url.netloc,
            body=body,
            proxy_authorization=authorization,
        )
    except _h1codec.LocalProtocolError as exc:
        raise httpx.LocalProtocolError(str(exc)) from None


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


async def read_head(conn: Connection, method: str) -> Head:
    """Read the final response head (informational ones are skipped); the body follows
    in ``conn.codec``. Raises ReadError, RemoteProtocolError (Partial: malformed)."""
    codec = conn.codec
    codec.start(method)
    while True:
        try:
            event = codec.next_event()
        except _h1codec.RemoteProtocolError as exc:
            raise _remote_error(exc) from None
        if isinstance(event, Head):
            if event.status >= 200:
                return event
        else:  # NEED_DATA: nothing else comes before the head
            await conn.fill()


class ResponseStream(httpx.AsyncByteStream):
    """A response body straight from the socket; its own iterator (no async generator).

    The connection goes back to the pool when the body has been read to its end and the
    connection may be reused (``keep``); `aclose()` before that, an error or a
    cancellation while reading close it.
    """

    def __init__(self, pool: Releaser, conn: Connection, keep: bool) -> None:
        self._pool = pool
        self._conn: Connection | None = conn
        self._keep = keep
        self.extensions: dict[str, object] = {}

    def __aiter__(self) -> ResponseStream:
        return self

    async def __anext__(self) -> bytes:
        conn = self._conn
        if conn is None:
            raise StopAsyncIteration
        codec = conn.codec
        try:
            while True:
                try:
                    event = codec.next_event()
                except _h1codec.RemoteProtocolError as exc:
                    raise _remote_error(exc) from None
                if event.__class__ is bytes:
                    if codec.complete:
                        self.finish()
                    return cast("bytes", event)
                if event is END:
                    self.finish()
                    raise StopAsyncIteration
                await conn.fill()  # NEED_DATA
        except BaseException:
            if self._conn is not None:
                self._conn = None
                self._pool.release(conn, reuse=False)
            raise

    def finish(self) -> None:
        """The body was read to its end: release the connection, to the pool if it may."""
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
        if not self._keep:  # a body that ends when the server closes, or a closing connection
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
