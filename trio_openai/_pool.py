"""An httpx transport on trio sockets and our HTTP/1.1 codec, with an idle-connection pool of O(1) checkout.

Part of the transport layer (``_transport.py``, ``_http11.py`` for HTTP/1.1 on one
connection, ``_connect.py`` for opening one, ``_http_client.py`` for its public face):
the only modules that import httpx. `DefaultHttpClient` installs `TrioTransport`.

Why a transport of our own (docs/performance.md): httpcore's pool scans every connection
for every request, and its body iterator goes through h11 and several async generators per
chunk (h11 is not used here at all: ``import trio_openai`` does not load it). Here:

- Idle connections wait per origin (scheme, host, port) in LIFO order; checkout and
  check-in are O(1) whatever the number of idle connections. A global LRU order lets the
  pool drop its oldest idle connection in O(1) too (``max_keepalive``, expiry, and making
  room under ``max_connections``).
- The request head is written by hand (validated) and goes out with a small body in one
  write. Heads and bodies are parsed by ``_h1codec.py`` (sans-IO), in bulk: after each
  socket read, every complete chunk of a chunked body is handed up as one piece.
- The response stream is an iterator class, not an async generator: nothing is left for
  the garbage collector when a caller stops early.

Cancellation: every path that leaves a connection checked out ends in a ``finally`` that
closes its socket synchronously (no await, so nothing to shield), and only a connection
whose response was read to its end goes back to the pool.

Proxies: ``_connect.py`` opens the connection (a CONNECT tunnel for https origins); an
http origin behind a proxy gets its request line in absolute form here. The pool key is
the origin and the proxy, so connections through different proxies never mix.

Memory (``python -m benchmarks.memory``, 1,000 concurrent 30-event streams, peak RSS
growth per stream): the raw httpx reader over this pool (``httpx_raw_trio_pool``) ~17.5
KiB, over httpcore ~17 KiB (34.6 KiB before plain sockets were read with the checkpoint
first, ``_http11.Connection``, and IP addresses connected without happy eyeballs,
``_connect._open_tcp``; docs/transport.md).

HTTP/2 (``http2=True``): ``_http2_pool.py``. Out of scope: ``Expect: 100-continue``.
"""

from __future__ import annotations

import ssl
from collections import OrderedDict
from typing import TYPE_CHECKING, Final, cast

import httpx
import trio

from ._connect import Origin, describe as _describe, open_connection
from ._http11 import (
    Connection,
    Partial,
    ResponseStream,
    body_in_memory,
    read_head,
    request_head,
    send_stream,
)
from ._proxy import ProxyRouter
from ._transport import shared_ssl_context

if TYPE_CHECKING:
    from ._http2_pool import H2Pool

__all__ = ["TrioTransport"]
_ONE_WRITE: Final = 1 << 20  # bodies up to this size go out in the same write as the head
_DEFAULT_PORTS: Final = {b"http": 80, b"https": 443}
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


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
        http2: bool = False,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        # None: the process-wide verifying context, built when first needed (loading the CA
        # bundle costs ~35 ms, which `import trio_openai; OpenAI()` should not pay).
        self._given_ssl_context = ssl_context
        self._local_address = local_address
        self._proxies = proxies
        self._max_connections = max_connections
        self._max_keepalive = max(0, min(max_keepalive, max_connections))
        self._keepalive_expiry = keepalive_expiry
        self._slots = trio.Semaphore(max_connections)  # FIFO: trio's ParkingLot
        # Idle connections: per origin, newest last (checkout pops the newest), and all of
        # them oldest first (eviction pops the oldest). OrderedDict: O(1) at both ends and
        # O(1) removal of one connection from the other order.
        self._idle: dict[Origin, OrderedDict[Connection, None]] = {}
        self._lru: OrderedDict[Connection, None] = OrderedDict()
        self._busy = 0
        self._closed = False
        # HTTP/2 (docs/transport.md): https requests go to `_http2_pool` first, which hands
        # back the origins whose server does not select h2. Imported only when asked for.
        self._h2: H2Pool | None = None
        if http2:
            from ._http2_pool import H2Pool

            self._h2 = H2Pool(
                ssl_context=lambda: self._ssl_context,
                slots=self._slots,
                local_address=local_address,
                keepalive_expiry=keepalive_expiry,
                adopt=self._adopt,
            )

    @property
    def _ssl_context(self) -> ssl.SSLContext:
        given = self._given_ssl_context
        return given if given is not None else shared_ssl_context()

    # -- introspection ----------------------------------------------------------------

    def statistics(self) -> dict[str, int]:
        """Open connections, idle and busy ones, and requests waiting for a slot."""
        idle = len(self._lru)
        stats = {
            "connections": idle + self._busy,
            "idle": idle,
            "busy": self._busy,
            "unconnected": 0,
            "waiting": self._slots.statistics().tasks_waiting,
        }
        if self._h2 is not None:  # HTTP/2 connections count as busy while they carry streams
            h2 = self._h2.statistics()
            stats["connections"] += h2["connections"]
            stats["busy"] += h2["busy"]
            stats["idle"] += h2["connections"] - h2["busy"]
            stats["streams"] = self._busy + h2["streams"]
        return stats

    # -- the pool ---------------------------------------------------------------------

    def _checkout(self, origin: Origin) -> Connection | None:
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

    def _drop_all(self, stack: OrderedDict[Connection, None]) -> None:
        while stack:
            conn, _ = stack.popitem()
            del self._lru[conn]
            conn.close()

    def _drop_oldest(self) -> None:
        conn, _ = self._lru.popitem(last=False)
        del self._idle[conn.origin][conn]
        conn.close()

    def release(self, conn: Connection, *, reuse: bool) -> None:
        """End a connection's request: back to the pool or closed; frees its slot."""
        self._busy -= 1
        self._slots.release()
        if not reuse or conn.codec.buffered or self._closed or not self._max_keepalive:
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

    async def _connect(self, origin: Origin, connect_timeout: float | None) -> Connection:
        if self._lru and len(self._lru) + self._busy >= self._max_connections:
            self._drop_oldest()  # room for this one under max_connections
        stream, sock, leftover = await open_connection(
            origin,
            self._ssl_context,
            connect_timeout=connect_timeout,
            local_address=self._local_address,
        )
        conn = Connection(stream, sock, origin)
        conn.codec.receive_data(leftover)
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
        if self._h2 is not None and scheme == b"https":
            response = await self._h2.handle(request, origin, timeouts)
            if response is not None:
                return response
        body = await body_in_memory(request)
        # An http origin behind a proxy: the request goes to the proxy in absolute form.
        forward = proxy if scheme == b"http" else None
        head, chunked = request_head(request, body, forward)
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
        conn: Connection,
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
                answer = await read_head(conn, request.method)
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                # Resent only when sending twice is harmless (idempotent methods): the
                # server may have received a POST before dropping the connection.
                if (
                    conn.reused
                    and not conn.codec.received
                    and not isinstance(exc, Partial)
                    and request.method in _IDEMPOTENT
                ):
                    raise _Stale(exc) from exc
                raise
            keep = conn.codec.keep_alive
            if keep and request.headers.get("connection", "").lower() == "close":
                keep = False
            stream = ResponseStream(self, conn, keep)
            handed_over = True
            if conn.codec.complete:
                stream.finish()
            response = httpx.Response(
                answer.status,
                headers=answer.headers,
                stream=stream,
                extensions={
                    "http_version": b"HTTP/" + answer.http_version,
                    "reason_phrase": answer.reason,
                },
            )
            stream.extensions = response.extensions  # the response's own dict (LINGER)
            return response
        finally:
            if not handed_over:
                self.release(conn, reuse=False)

    async def _send(
        self,
        conn: Connection,
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
            await send_stream(stream, request, chunked)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise httpx.WriteError(_describe(exc)) from exc

    def _adopt(self, stream: trio.abc.Stream, sock: trio.socket.SocketType, origin: Origin) -> None:
        """A connection opened for HTTP/2 whose server chose HTTP/1.1: idle in this pool,
        with the slot it holds."""
        conn = Connection(stream, sock, origin)
        self._busy += 1
        self.release(conn, reuse=True)

    async def __aenter__(self) -> TrioTransport:
        if self._h2 is not None:
            await self._h2.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self.aclose()
        finally:
            if self._h2 is not None:  # the nursery opened in __aenter__ closes here, always
                await self._h2.exit()

    async def aclose(self) -> None:
        """Close the idle connections; busy ones close when their responses end (HTTP/2
        connections close at once)."""
        self._closed = True
        if self._h2 is not None:
            self._h2.close_all()
        for stack in self._idle.values():
            self._drop_all(stack)
        self._idle.clear()
        await trio.lowlevel.checkpoint()
