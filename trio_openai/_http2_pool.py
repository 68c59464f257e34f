"""The HTTP/2 side of `_pool.TrioTransport` (``http2=True``): which connection a request
goes on, opening connections, falling back to HTTP/1.1, and the nursery their tasks run in.

Part of the transport layer; imported only when HTTP/2 is turned on. The transport hands
every https request here first; None back means "this origin speaks HTTP/1.1" (its server
did not select ``h2`` in the TLS handshake), and the request goes on the HTTP/1.1 path, with
the connection just opened handed over to it so no handshake is wasted.

A request goes on the newest connection of its origin with room under the server's
SETTINGS_MAX_CONCURRENT_STREAMS; when all are full, one new connection is opened while the
others wait for it (so a burst of 1,000 requests opens 10 connections, not 1,000). Each
connection holds one slot of the transport's ``max_connections`` while open; one idle
(no stream) for longer than ``keepalive_expiry`` is closed instead of used, as httpcore
does (a NAT may have dropped it silently).

The reader and writer tasks of every connection run in a nursery the transport opens in
``async with DefaultHttpClient(http2=True)`` and closes at its end, after closing every
connection: nothing runs after the block. A stream never outlives its own block either:
closing (or cancelling) it resets it at once.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable
from typing import Final, cast

import httpx
import trio

from ._connect import Origin, open_connection
from ._http2 import H2Connection, NotSent
from ._http11 import body_in_memory

__all__ = ["H2Pool"]

_ATTEMPTS: Final = 3  # a request the server did not take goes on another connection


class H2Pool:
    """HTTP/2 connections per origin, for one transport."""

    def __init__(
        self,
        *,
        ssl_context: Callable[[], ssl.SSLContext],
        slots: trio.Semaphore,
        local_address: str | None,
        keepalive_expiry: float,
        adopt: Callable[[trio.abc.Stream, trio.socket.SocketType, Origin], None],
    ) -> None:
        self._ssl_context = ssl_context
        self._slots = slots
        self._local_address = local_address
        self._keepalive_expiry = keepalive_expiry
        self._adopt = adopt
        self._connections: dict[Origin, list[H2Connection]] = {}
        self._all: set[H2Connection] = set()
        self._connecting: dict[Origin, trio.Event] = {}
        self._http11: set[Origin] = set()  # origins whose server did not select h2
        self._nursery_manager: contextlib.AbstractAsyncContextManager[trio.Nursery] | None = None
        self._nursery: trio.Nursery | None = None

    # -- lifetime -------------------------------------------------------------------------

    async def open(self) -> None:
        manager = trio.open_nursery()
        self._nursery = await manager.__aenter__()
        self._nursery_manager = manager

    def close_all(self) -> None:
        for conn in list(self._all):
            self._drop(conn)

    async def exit(self) -> None:
        """Close every connection and wait for their tasks: call where `open` was called."""
        self.close_all()
        manager, self._nursery_manager, self._nursery = self._nursery_manager, None, None
        if manager is None:
            return
        try:
            # The block's own exception is not handed to the nursery: it would come back
            # wrapped in a group. Its tasks end at once (their sockets are closed).
            await manager.__aexit__(None, None, None)
        except BaseExceptionGroup as group:
            cancelled, rest = group.split(trio.Cancelled)
            if rest is None and cancelled is not None:
                leaf: BaseException = cancelled
                while isinstance(leaf, BaseExceptionGroup):
                    leaf = leaf.exceptions[0]
                raise leaf from None
            raise

    # -- introspection --------------------------------------------------------------------

    def statistics(self) -> dict[str, int]:
        connections = len(self._all)
        busy = streams = 0
        for conn in self._all:
            if conn.streams:
                busy += 1
                streams += conn.streams
        return {"connections": connections, "busy": busy, "streams": streams}

    # -- connections tell the pool -------------------------------------------------------

    def stream_released(self, conn: H2Connection) -> None:
        if not conn.usable and conn.active <= 0:
            self._drop(conn)

    def connection_lost(self, conn: H2Connection) -> None:
        self._drop(conn)

    def _drop(self, conn: H2Connection) -> None:
        conn.close()
        if conn in self._all:
            self._all.discard(conn)
            same_origin = self._connections.get(conn.origin)
            if same_origin is not None:
                with contextlib.suppress(ValueError):
                    same_origin.remove(conn)
                if not same_origin:
                    del self._connections[conn.origin]
            self._slots.release()

    # -- requests -------------------------------------------------------------------------

    async def handle(
        self, request: httpx.Request, origin: Origin, timeouts: dict[str, float | None]
    ) -> httpx.Response | None:
        """The response over HTTP/2, or None when the origin speaks HTTP/1.1 only."""
        if origin in self._http11:
            return None
        if self._nursery is None:
            raise RuntimeError(
                "DefaultHttpClient(http2=True) is not open: use it as "
                "`async with DefaultHttpClient(http2=True) as http:` (its connections' "
                "reader tasks run inside that block)"
            )
        body = await body_in_memory(request)
        error: httpx.TransportError | None = None
        for _ in range(_ATTEMPTS):
            conn = await self._reserve(origin, timeouts)
            if conn is None:
                return None
            try:
                return await conn.exchange(request, body)
            except NotSent as exc:
                if body is None:  # a streamed body cannot be sent twice
                    raise exc.error from exc
                error = exc.error
        assert error is not None
        raise error

    async def _reserve(
        self, origin: Origin, timeouts: dict[str, float | None]
    ) -> H2Connection | None:
        """A connection with room for one more stream (counted in its ``active``)."""
        while True:
            if origin in self._http11:
                return None
            expired = trio.current_time() - self._keepalive_expiry
            for conn in list(reversed(self._connections.get(origin, ()))):
                if not conn.active and conn.idle_since < expired:
                    # idle too long: the server or a NAT on the way may have dropped it
                    self._drop(conn)
                elif conn.has_room():
                    conn.active += 1
                    return conn
            pending = self._connecting.get(origin)
            if pending is not None:
                await pending.wait()
                continue
            done = self._connecting[origin] = trio.Event()
            try:
                conn = await self._open(origin, timeouts)
            finally:
                del self._connecting[origin]
                done.set()
            if conn is not None:
                conn.active += 1
            return conn

    async def _open(self, origin: Origin, timeouts: dict[str, float | None]) -> H2Connection | None:
        await self._acquire(timeouts.get("pool"))
        connect_timeout = timeouts.get("connect")
        try:
            stream, sock, _ = await open_connection(
                origin,
                self._ssl_context(),
                connect_timeout=connect_timeout,
                local_address=self._local_address,
            )
        except BaseException:
            self._slots.release()
            raise
        if _alpn(stream) != "h2":
            self._http11.add(origin)
            self._adopt(stream, sock, origin)  # the slot goes with it
            return None
        conn = H2Connection(stream, sock, origin, self)
        conn.idle_since = trio.current_time()
        assert self._nursery is not None
        try:
            limit = connect_timeout if connect_timeout is not None else float("inf")
            with trio.fail_after(limit):
                await conn.start(self._nursery)
        except trio.TooSlowError as exc:
            conn.close()
            self._slots.release()
            raise httpx.ConnectTimeout("no HTTP/2 SETTINGS from the server in time") from exc
        except BaseException:
            conn.close()
            self._slots.release()
            raise
        if not conn.usable:  # GOAWAY or a failure right after the handshake
            conn.close()
            self._slots.release()
            raise httpx.ConnectError("the server closed the HTTP/2 connection at once")
        self._all.add(conn)
        self._connections.setdefault(origin, []).append(conn)
        return conn

    async def _acquire(self, pool_timeout: float | None) -> None:
        with trio.move_on_after(pool_timeout if pool_timeout is not None else float("inf")):
            await self._slots.acquire()
            return
        raise httpx.PoolTimeout("no connection slot freed up in time")


def _alpn(stream: trio.abc.Stream) -> str | None:
    """The protocol the server chose in the TLS handshake (None: it chose none)."""
    if not isinstance(stream, trio.SSLStream):
        return None
    tls = cast("trio.SSLStream[trio.abc.Stream]", stream)
    return cast("str | None", tls.selected_alpn_protocol())
