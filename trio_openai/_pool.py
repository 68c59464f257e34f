"""An httpx transport on trio sockets and h11, with an idle-connection pool of O(1) checkout.

Part of the transport layer together with ``_transport.py``: these two modules are the only
ones that import httpx. ``_transport.make_http_client`` installs `TrioTransport` by default.

Why a transport of our own (docs/performance.md): httpcore's pool scans every connection
for every request, and its body iterator goes through h11 and several async generators per
chunk. Here:

- Idle connections wait per origin (scheme, host, port) in LIFO order; checkout and
  check-in are O(1) whatever the number of idle connections. A global LRU order lets the
  pool drop its oldest idle connection in O(1) too (``max_keepalive``, expiry, and making
  room under ``max_connections``).
- The request head is written by hand (validated) and goes out with a small body in one
  write. The response head is parsed by h11; the body is read here, in bulk: after each
  socket read, every complete chunk of a chunked body is handed up as one piece.
- The response stream is an iterator class, not an async generator: nothing is left for
  the garbage collector when a caller stops early.

Cancellation: every path that leaves a connection checked out ends in a ``finally`` that
closes its socket synchronously (no await, so nothing to shield), and only a connection
whose response was read to its end goes back to the pool.

Proxies: ``_connect.py`` opens the connection (a CONNECT tunnel for https origins); an
http origin behind a proxy gets its request line in absolute form here. The pool key is
the origin and the proxy, so connections through different proxies never mix.

Memory (benchmarks, 1,000 concurrent 30-event streams, peak RSS growth per stream): the
raw httpx reader over this pool (``httpx_raw_trio_pool``) ~34 KiB, over httpcore ~17 KiB.
At tracemalloc's peak each stream here holds the bytes of its last read across trio's
post-recv checkpoint and the de-chunked piece the reader still references (~9 KiB more
than httpcore's per-event pieces); the rest is allocator fragmentation. Smaller reads did
not lower the peak (see ``_READ_SIZE``).

Out of scope: HTTP/2, ``Expect: 100-continue``.
"""

from __future__ import annotations

import contextlib
import re
import select
import ssl
from collections import OrderedDict
from collections.abc import AsyncIterable
from typing import Final, cast

import h11
import httpx
import trio

from ._connect import Origin, describe as _describe, open_connection
from ._proxy import Proxy, ProxyRouter
from ._transport import CLOSE_GRACE, LINGER, MemoryBody, shared_ssl_context

__all__ = ["TrioTransport"]

# One read's worth. Measured at 1,000 concurrent streams (docs/transport.md): reads that
# start at 4 KiB and grow lowered what a stream holds between reads (43 -> 38 KiB) but not
# the peak RSS of the run, and cut bodies into more pieces; so one size.
_READ_SIZE: Final = 65536
_MAX_HEAD: Final = 65536  # a response head (status line and headers) larger than this is refused
_MAX_CHUNK_LINE: Final = 4096
_ONE_WRITE: Final = 1 << 20  # bodies up to this size go out in the same write as the head
_DEFAULT_PORTS: Final = {b"http": 80, b"https": 443}

_TOKEN: Final = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_BAD_VALUE: Final = re.compile(rb"[\x00\r\n]")
_BAD_TARGET: Final = re.compile(rb"[\x00-\x20\x7f]")
_HEAD_END: Final = re.compile(rb"\r?\n\r?\n")
_HEX: Final = re.compile(rb"[0-9A-Fa-f]{1,16}")

# Closing a response early: how long and how many reads to spend finishing a body whose
# end is arriving (see _ResponseStream.finish_if_arriving).
_FINISH_WAIT: Final = 0.005  # seconds
_FINISH_READS: Final = 4

# How a response body ends.
_LENGTH: Final = 0  # after Content-Length bytes
_CHUNKED: Final = 1  # at the last chunk
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_EOF: Final = 2  # when the server closes (HTTP/1.0 style); the connection is not reused

_READ_ERRORS: Final = (trio.BrokenResourceError, trio.ClosedResourceError, OSError, ssl.SSLError)


class _Connection:
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


class _Stale(Exception):
    """A reused connection failed before any response byte: the server had closed it."""

    def __init__(self, error: httpx.TransportError) -> None:
        super().__init__(str(error))
        self.error = error


class TrioTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over trio (TCP, or TLS through `trio.SSLStream`) with a keep-alive pool.

    ``max_connections`` bounds open connections; a request beyond it waits, first come
    first served. At most ``max_keepalive`` idle connections are kept, none longer than
    ``keepalive_expiry`` seconds. A request that fails on a reused connection before any
    response byte arrives (the server closed it while idle) is sent once more on a new
    connection when its body is in memory.

    Raises httpx errors only: ConnectError, ConnectTimeout, PoolTimeout, ReadError,
    WriteError, RemoteProtocolError, LocalProtocolError. Cancellation propagates as is.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 1000,
        max_keepalive: int = 100,
        keepalive_expiry: float = 5.0,
        local_address: str | None = None,
        proxies: ProxyRouter | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        self._ssl_context = ssl_context if ssl_context is not None else shared_ssl_context()
        self._local_address = local_address
        self._proxies = proxies
        self._max_connections = max_connections
        self._max_keepalive = max(0, min(max_keepalive, max_connections))
        self._keepalive_expiry = keepalive_expiry
        self._slots = trio.Semaphore(max_connections)  # FIFO: trio's ParkingLot
        # Idle connections: per origin, newest last (checkout pops the newest), and all of
        # them oldest first (eviction pops the oldest). OrderedDict: O(1) at both ends and
        # O(1) removal of one connection from the other order.
        self._idle: dict[Origin, OrderedDict[_Connection, None]] = {}
        self._lru: OrderedDict[_Connection, None] = OrderedDict()
        self._busy = 0
        self._closed = False

    # -- introspection ----------------------------------------------------------------

    def statistics(self) -> dict[str, int]:
        """Open connections, idle and busy ones, and requests waiting for a slot."""
        idle = len(self._lru)
        return {
            "connections": idle + self._busy,
            "idle": idle,
            "busy": self._busy,
            "unconnected": 0,
            "waiting": self._slots.statistics().tasks_waiting,
        }

    # -- the pool ---------------------------------------------------------------------

    def _checkout(self, origin: Origin) -> _Connection | None:
        stack = self._idle.get(origin)
        if not stack:
            return None
        deadline = trio.current_time() - self._keepalive_expiry
        while stack:
            conn, _ = stack.popitem()
            del self._lru[conn]
            if conn.idle_since < deadline:
                # The newest has expired, so have the older ones of this origin.
                conn.close()
                self._drop_all(stack)
                break
            if conn.readable():
                conn.close()
                continue
            conn.reused = True
            self._busy += 1
            return conn
        return None

    def _drop_all(self, stack: OrderedDict[_Connection, None]) -> None:
        while stack:
            conn, _ = stack.popitem()
            del self._lru[conn]
            conn.close()

    def _drop_oldest(self) -> None:
        conn, _ = self._lru.popitem(last=False)
        del self._idle[conn.origin][conn]
        conn.close()

    def release(self, conn: _Connection, *, reuse: bool) -> None:
        """End a connection's request: back to the pool or closed; frees its slot."""
        self._busy -= 1
        self._slots.release()
        if not reuse or conn.buffer or self._closed or not self._max_keepalive:
            conn.close()
            return
        now = trio.current_time()
        expired = now - self._keepalive_expiry
        lru = self._lru
        while lru and (len(lru) >= self._max_keepalive or next(iter(lru)).idle_since < expired):
            self._drop_oldest()
        conn.idle_since = now
        stack = self._idle.get(conn.origin)
        if stack is None:
            stack = self._idle[conn.origin] = OrderedDict()
        stack[conn] = None
        lru[conn] = None

    async def _connect(self, origin: Origin, connect_timeout: float | None) -> _Connection:
        if self._lru and len(self._lru) + self._busy >= self._max_connections:
            self._drop_oldest()  # room for this one under max_connections
        stream, sock, leftover = await open_connection(
            origin,
            self._ssl_context,
            connect_timeout=connect_timeout,
            local_address=self._local_address,
        )
        conn = _Connection(stream, sock, origin)
        conn.buffer = leftover
        self._busy += 1
        return conn

    # -- one request ------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        scheme = url.raw_scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        if not url.host:
            raise httpx.UnsupportedProtocol(f"no host in {url!r}")
        port = url.port or _DEFAULT_PORTS[scheme]
        proxy = None
        if self._proxies is not None:
            proxy = self._proxies.route(url.scheme, url.host, port)
        origin: Origin = (scheme, url.host, port, proxy)
        timeouts = cast("dict[str, float | None]", request.extensions.get("timeout") or {})
        body = await _body_in_memory(request)
        # An http origin behind a proxy: the request goes to the proxy in absolute form.
        forward = proxy if scheme == b"http" else None
        head, chunked = _request_head(request, body, forward)
        pool_timeout = timeouts.get("pool")
        connect_timeout = timeouts.get("connect")
        await self._acquire(pool_timeout)
        try:
            conn = self._checkout(origin) or await self._connect(origin, connect_timeout)
        except BaseException:
            self._slots.release()
            raise
        try:
            return await self._exchange(conn, request, head, body, chunked)
        except _Stale as stale:  # the connection is closed and its slot free again
            if body is None:
                raise stale.error from stale.error.__cause__
        # Once more on a new connection: the keep-alive race, not a failure of the server.
        await self._acquire(pool_timeout)
        try:
            conn = await self._connect(origin, connect_timeout)
        except BaseException:
            self._slots.release()
            raise
        try:
            return await self._exchange(conn, request, head, body, chunked)
        except _Stale as stale:  # cannot happen on a new connection; kept for the types
            raise stale.error from stale.error.__cause__

    async def _acquire(self, pool_timeout: float | None) -> None:
        if pool_timeout is None:
            await self._slots.acquire()
            return
        with trio.move_on_after(pool_timeout):
            await self._slots.acquire()
            return
        raise httpx.PoolTimeout("no connection slot freed up in time")

    async def _exchange(
        self,
        conn: _Connection,
        request: httpx.Request,
        head: bytes,
        body: bytes | None,
        chunked: bool,
    ) -> httpx.Response:
        """Send `request` on `conn` (checked out, holding a slot) and read the response head.

        On success the connection belongs to the response's stream (or is back in the pool
        when the response has no body); on any failure it is closed and its slot freed.
        """
        handed_over = False
        try:
            try:
                await self._send(conn, request, head, body, chunked)
                status, headers, version, reason = await _read_head(conn, request.method)
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                # Resent only when sending twice is harmless (idempotent methods): the
                # server may have received a POST before dropping the connection.
                if (
                    conn.reused
                    and not conn.buffer
                    and not isinstance(exc, _Partial)
                    and request.method in _IDEMPOTENT
                ):
                    raise _Stale(exc) from exc
                raise
            framing, length, keep = _framing(request, status, headers, version)
            stream = _ResponseStream(self, conn, framing, length, keep)
            handed_over = True
            if framing == _LENGTH and length == 0:
                stream.finish()
            response = httpx.Response(
                status,
                headers=headers,
                stream=stream,
                extensions={"http_version": b"HTTP/" + version, "reason_phrase": reason},
            )
            stream.extensions = response.extensions  # the response's own dict (LINGER)
            return response
        finally:
            if not handed_over:
                self.release(conn, reuse=False)

    async def _send(
        self,
        conn: _Connection,
        request: httpx.Request,
        head: bytes,
        body: bytes | None,
        chunked: bool,
    ) -> None:
        stream = conn.stream
        try:
            if body is not None:
                if chunked:
                    body = b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body) if body else b"0\r\n\r\n"
                if len(body) <= _ONE_WRITE:
                    await stream.send_all(head + body)
                else:
                    await stream.send_all(head)
                    await stream.send_all(body)
                return
            await stream.send_all(head)
            await _send_stream(stream, request, chunked)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise httpx.WriteError(_describe(exc)) from exc

    async def aclose(self) -> None:
        """Close the idle connections; busy ones close when their responses end."""
        self._closed = True
        for stack in self._idle.values():
            self._drop_all(stack)
        self._idle.clear()
        await trio.lowlevel.checkpoint()


class _Partial(httpx.RemoteProtocolError):
    """The server sent part of a response head, then closed."""


async def _body_in_memory(request: httpx.Request) -> bytes | None:
    """The body, when it is bytes in memory (and so can be sent again); else None."""
    stream = request.stream
    if isinstance(stream, (MemoryBody, httpx.ByteStream)):
        return b"".join([chunk async for chunk in stream])  # no I/O: one chunk at most
    return None


def _request_head(
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


async def _send_stream(stream: trio.abc.Stream, request: httpx.Request, chunked: bool) -> None:
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


async def _read_head(
    conn: _Connection, method: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes, bytes]:
    parser = h11.Connection(h11.CLIENT)
    parser.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
    while True:
        while (match := _HEAD_END.search(conn.buffer)) is None:
            if len(conn.buffer) > _MAX_HEAD:
                raise httpx.RemoteProtocolError("response head too large")
            if not await conn.fill():
                if conn.buffer:
                    raise _Partial("server closed the connection in the response head")
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        end = match.end()
        parser.receive_data(conn.buffer[:end])
        try:
            event = parser.next_event()
        except h11.RemoteProtocolError as exc:
            raise _Partial(f"malformed response head: {exc}") from exc
        conn.buffer = conn.buffer[end:]
        if isinstance(event, h11.Response):
            headers = list(event.headers.raw_items())
            return event.status_code, headers, event.http_version, event.reason
        if not isinstance(event, h11.InformationalResponse) or event.status_code == 101:
            raise _Partial(f"unexpected response head {event!r}")


def _framing(
    request: httpx.Request, status: int, headers: list[tuple[bytes, bytes]], version: bytes
) -> tuple[int, int, bool]:
    """How the body ends (_LENGTH, _CHUNKED, _EOF), its length, and whether to keep the
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
        return _LENGTH, 0, keep
    if chunked:
        return _CHUNKED, 0, keep
    if length is not None:
        return _LENGTH, length, keep
    return _EOF, 0, False


class _ResponseStream(httpx.AsyncByteStream):
    """A response body straight from the socket; its own iterator (no async generator).

    The connection goes back to the pool when the body has been read to its end and the
    connection may be reused; `aclose()` before that, an error or a cancellation while
    reading close it.
    """

    def __init__(
        self, pool: TrioTransport, conn: _Connection, framing: int, length: int, keep: bool
    ) -> None:
        self._pool = pool
        self._conn: _Connection | None = conn
        self._framing = framing
        self._left = length  # bytes left: of the body (_LENGTH), or of the current chunk
        self._keep = keep
        self._done = False
        self._after_data = False  # chunked: the CRLF after a chunk's data is still due
        self.extensions: dict[str, object] = {}
        self._trailers = False  # chunked: past the last chunk, reading trailer lines

    def __aiter__(self) -> _ResponseStream:
        return self

    async def __anext__(self) -> bytes:
        conn = self._conn
        if conn is None:
            raise StopAsyncIteration
        try:
            while True:
                if self._framing == _CHUNKED:
                    piece = self._take_chunked(conn)
                elif self._framing == _LENGTH:
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
                    if self._framing != _EOF:
                        raise httpx.RemoteProtocolError(
                            "peer closed connection without sending complete message body"
                        )
                    self._done = True
        except BaseException:
            if self._conn is not None:
                self._conn = None
                self._pool.release(conn, reuse=False)
            raise

    def _take_length(self, conn: _Connection) -> bytes:
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

    def _take_chunked(self, conn: _Connection) -> bytes:
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
        if self._framing == _EOF:
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
