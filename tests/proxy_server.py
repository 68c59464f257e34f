"""A small HTTP proxy on trio and h11, for tests over real sockets.

It tunnels ``CONNECT host:port`` (answering 200, then copying bytes both ways) and
forwards absolute-form requests (``GET http://host:port/path``) to the origin in origin
form, one exchange at a time, keep-alive on both sides. With ``credentials`` it demands
``Proxy-Authorization: Basic ...`` (407 otherwise). It records what it saw, and never
forwards Proxy-Authorization to the origin.
"""

from __future__ import annotations

import base64
import functools
import ssl
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import attrs
import h11
import trio


@attrs.define
class Seen:
    method: str
    target: str
    authorization: str | None


@attrs.define
class ProxyServer:
    port: int = 0
    credentials: tuple[str, str] | None = None
    seen: list[Seen] = attrs.field(factory=list[Seen])
    connections: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_with(self, user: str, password: str) -> str:
        return f"http://{user}:{password}@127.0.0.1:{self.port}"

    def _authorized(self, value: str | None) -> bool:
        if self.credentials is None:
            return True
        user, password = self.credentials
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return value == expected

    async def handle(self, client: trio.SocketStream) -> None:
        self.connections += 1
        conn = h11.Connection(h11.SERVER)
        origins: dict[tuple[str, int], tuple[trio.SocketStream, h11.Connection]] = {}
        try:
            while True:
                event = await _next(conn, client)
                if not isinstance(event, h11.Request):
                    return
                headers = [(k.decode(), v.decode()) for k, v in event.headers.raw_items()]
                auth = next((v for k, v in headers if k.lower() == "proxy-authorization"), None)
                self.seen.append(Seen(event.method.decode(), event.target.decode(), auth))
                if not self._authorized(auth):
                    await _answer(conn, client, 407, [("Proxy-Authenticate", 'Basic realm="t"')])
                    if event.method == b"CONNECT":
                        return
                    await _drain_body(conn, client)
                    conn.start_next_cycle()
                    continue
                if event.method == b"CONNECT":
                    host, _, port = event.target.decode().rpartition(":")
                    await self._tunnel(conn, client, host.strip("[]"), int(port))
                    return
                await self._forward(conn, client, event, headers, origins)
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except (trio.BrokenResourceError, trio.ClosedResourceError, h11.ProtocolError, OSError):
            pass
        finally:
            for stream, _ in origins.values():
                await stream.aclose()
            await client.aclose()

    async def _tunnel(
        self, conn: h11.Connection, client: trio.SocketStream, host: str, port: int
    ) -> None:
        try:
            upstream = await trio.open_tcp_stream(host, port)
        except OSError:
            await _answer(conn, client, 502, [])
            return
        await client.send_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        leftover = conn.trailing_data[0]
        async with upstream:
            if leftover:
                await upstream.send_all(leftover)

            async def pipe(src: trio.SocketStream, dst: trio.SocketStream) -> None:
                try:
                    while data := await src.receive_some(65536):
                        await dst.send_all(data)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    pass
                nursery.cancel_scope.cancel()

            async with trio.open_nursery() as nursery:
                nursery.start_soon(pipe, client, upstream)
                nursery.start_soon(pipe, upstream, client)

    async def _forward(
        self,
        conn: h11.Connection,
        client: trio.SocketStream,
        request: h11.Request,
        headers: list[tuple[str, str]],
        origins: dict[tuple[str, int], tuple[trio.SocketStream, h11.Connection]],
    ) -> None:
        target = request.target.decode()
        assert target.startswith("http://"), target  # absolute form
        authority, _, path = target[len("http://") :].partition("/")
        host, _, port = authority.rpartition(":")
        key = (host, int(port or 80))
        if key not in origins:
            origins[key] = (await trio.open_tcp_stream(*key), h11.Connection(h11.CLIENT))
        upstream, up = origins[key]
        forwarded = [(k, v) for k, v in headers if k.lower() != "proxy-authorization"]
        await upstream.send_all(
            up.send(h11.Request(method=request.method, target="/" + path, headers=forwarded)) or b""
        )
        while True:  # the request body
            event = await _next(conn, client)
            if isinstance(event, h11.Data):
                await upstream.send_all(up.send(event) or b"")
            elif isinstance(event, h11.EndOfMessage):
                await upstream.send_all(up.send(event) or b"")
                break
        while True:  # the response, streamed back as it comes
            event = await _next(up, upstream)
            if isinstance(event, h11.InformationalResponse):
                continue
            if isinstance(event, h11.Response):
                event = h11.Response(
                    status_code=event.status_code,
                    headers=list(event.headers.raw_items()),
                    reason=event.reason,
                )
            elif isinstance(event, h11.ConnectionClosed):
                raise trio.BrokenResourceError("origin closed")
            data = conn.send(event)
            if data:
                await client.send_all(data)
            if isinstance(event, h11.EndOfMessage):
                break
        if up.our_state is h11.MUST_CLOSE or up.their_state is h11.MUST_CLOSE:
            await upstream.aclose()
            del origins[key]
        else:
            up.start_next_cycle()


async def _next(conn: h11.Connection, stream: trio.SocketStream) -> h11.Event:
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(bytes(await stream.receive_some(65536)))
            continue
        if event is h11.PAUSED:
            return h11.ConnectionClosed()  # a pipelined request: not spoken here
        assert isinstance(event, h11.Event)
        return event


async def _drain_body(conn: h11.Connection, stream: trio.SocketStream) -> None:
    while not isinstance(await _next(conn, stream), (h11.EndOfMessage, h11.ConnectionClosed)):
        pass


async def _answer(
    conn: h11.Connection, stream: trio.SocketStream, status: int, headers: list[tuple[str, str]]
) -> None:
    data = conn.send(h11.Response(status_code=status, headers=[*headers, ("Content-Length", "0")]))
    await stream.send_all((data or b"") + (conn.send(h11.EndOfMessage()) or b""))


@asynccontextmanager
async def open_proxy(credentials: tuple[str, str] | None = None) -> AsyncGenerator[ProxyServer]:
    proxy = ProxyServer(credentials=credentials)
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            functools.partial(trio.serve_tcp, host="127.0.0.1"), proxy.handle, 0
        )
        proxy.port = int(listeners[0].socket.getsockname()[1])
        yield proxy
        nursery.cancel_scope.cancel()


@asynccontextmanager
async def open_tls_front(context: ssl.SSLContext, backend_port: int) -> AsyncGenerator[TlsFront]:
    """TLS on 127.0.0.1 in front of a plain server (the local server): each connection's
    handshake with ``context`` (which may demand a client certificate), then bytes copied
    both ways. ``handshakes`` counts the completed ones, ``failures`` the refused ones."""
    front = TlsFront()

    async def handle(raw: trio.SocketStream) -> None:
        tls = trio.SSLStream(raw, context, server_side=True)
        try:
            await tls.do_handshake()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            front.failures += 1
            await raw.aclose()
            return
        front.handshakes += 1
        front.peer_certs.append(tls.getpeercert())
        try:
            backend = await trio.open_tcp_stream("127.0.0.1", backend_port)
        except OSError:
            await raw.aclose()
            return

        async def pipe(src: trio.abc.Stream, dst: trio.abc.Stream) -> None:
            try:
                while data := await src.receive_some(65536):
                    await dst.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass
            nursery.cancel_scope.cancel()

        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(pipe, tls, backend)
                nursery.start_soon(pipe, backend, tls)
        finally:
            await backend.aclose()
            await raw.aclose()

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            functools.partial(trio.serve_tcp, host="127.0.0.1"), handle, 0
        )
        front.port = int(listeners[0].socket.getsockname()[1])
        yield front
        nursery.cancel_scope.cancel()


@attrs.define
class TlsFront:
    port: int = 0
    handshakes: int = 0
    failures: int = 0
    peer_certs: list[object] = attrs.field(factory=list[object])

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.port}/v1"
