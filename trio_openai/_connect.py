"""Opening one connection of the pool: TCP, TLS, and the way through an HTTP proxy.

Part of the transport layer (with ``_pool.py``): raises httpx's transport errors only.

Through a proxy, an https origin is reached by a tunnel (``CONNECT host:port``, then TLS
with the origin inside it, so the proxy sees neither the request nor the API key); an
http origin by sending each request to the proxy in absolute form (``_pool`` writes the
request line). A proxy URL with https:// is itself reached over TLS (TLS inside TLS for an
https origin). The proxy's credentials go in ``Proxy-Authorization`` on the CONNECT (or on
each absolute-form request), never to the origin.
"""

from __future__ import annotations

import contextlib
import ipaddress
import ssl
from typing import Final

import httpx
import trio

from ._h1codec import Head, RemoteProtocolError, ResponseParser, connect_head
from ._proxy import Proxy

__all__ = ["Origin", "describe", "open_connection"]

# scheme, host, port, and the proxy the connection goes through (None: direct)
Origin = tuple[bytes, str, int, Proxy | None]

_READ_SIZE: Final = 4096
_NO_SCOPE: Final = contextlib.nullcontext()  # a CONNECT answer is a few hundred bytes


def describe(exc: BaseException) -> str:
    # trio wraps the OS or TLS error (a BrokenResourceError from it): name the cause.
    if isinstance(exc, trio.BrokenResourceError) and exc.__cause__ is not None:
        exc = exc.__cause__
    return f"{type(exc).__name__}: {exc}"


async def open_connection(
    origin: Origin,
    ssl_context: ssl.SSLContext,
    *,
    connect_timeout: float | None,
    local_address: str | None,
) -> tuple[trio.abc.Stream, trio.socket.SocketType, bytes]:
    """A stream ready for requests to `origin`, its TCP socket, and bytes read past the
    proxy's answer (none in practice: the origin speaks only when spoken to).

    Raises httpx.ConnectTimeout (after ``connect_timeout`` seconds, the proxy handshake
    included), httpx.ConnectError, httpx.ProxyError (the proxy refused the tunnel).
    """
    scheme, host, port, proxy = origin
    peer_host, peer_port = (host, port) if proxy is None else (proxy.host, proxy.port)
    try:
        # No cancel scope without a timeout: at 1,000 concurrent connects, every object
        # alive while connecting counts in the peak memory (docs/transport.md).
        with trio.fail_after(connect_timeout) if connect_timeout is not None else _NO_SCOPE:
            tcp = await _open_tcp(peer_host, peer_port, local_address)
            try:
                stream: trio.abc.Stream = tcp
                leftover = b""
                if proxy is not None and proxy.scheme == "https":
                    stream = await _tls(stream, ssl_context, proxy.host)
                if proxy is not None and scheme == b"https":
                    leftover = await _tunnel(stream, proxy, host, port)
                if scheme == b"https":
                    stream = await _tls(stream, ssl_context, host)
            except BaseException:
                tcp.socket.close()
                raise
    except trio.TooSlowError as exc:
        where = "" if proxy is None else " through the proxy"
        raise httpx.ConnectTimeout(f"connecting to {host}:{port}{where} timed out") from exc
    except (OSError, trio.BrokenResourceError, ssl.SSLError) as exc:
        where = "" if proxy is None else f" (proxy {proxy.host}:{proxy.port})"
        raise httpx.ConnectError(describe(exc) + where) from exc
    return stream, tcp.socket, leftover


async def _tls(
    stream: trio.abc.Stream, context: ssl.SSLContext, host: str
) -> trio.SSLStream[trio.abc.Stream]:
    tls = trio.SSLStream(stream, context, server_hostname=host, https_compatible=True)
    await tls.do_handshake()
    return tls


async def _tunnel(stream: trio.abc.Stream, proxy: Proxy, host: str, port: int) -> bytes:
    """Ask the proxy for a tunnel to host:port; returns bytes read past its answer."""
    authority = f"{host}:{port}".encode("ascii") if ":" not in host else f"[{host}]:{port}".encode()
    await stream.send_all(connect_head(authority, proxy.authorization))
    parser = ResponseParser()
    parser.start("CONNECT")
    closed = False
    while True:
        try:
            event = parser.next_event()
        except RemoteProtocolError as exc:
            if closed:
                raise httpx.ProxyError(
                    "the proxy closed the connection while asked to CONNECT"
                ) from exc
            raise httpx.ProxyError(f"malformed answer from the proxy: {exc}") from exc
        if isinstance(event, Head):
            if event.status < 200:
                continue
            if not 200 <= event.status < 300:
                reason = event.reason.decode("ascii", "replace")
                raise httpx.ProxyError(
                    f"the proxy answered {event.status} {reason} to CONNECT "
                    f"{authority.decode()}"
                    + (" (check the proxy credentials)" if event.status == 407 else "")
                )
            return parser.buffered  # the tunnel's first bytes, if the origin spoke first
        data = await stream.receive_some(_READ_SIZE)  # NEED_DATA
        if data:
            parser.receive_data(bytes(data))
        else:
            closed = True
            parser.receive_eof()


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _open_tcp(host: str, port: int, local_address: str | None) -> trio.SocketStream:
    if local_address is None and _ip_literal(host):
        # One address: nothing for happy eyeballs to race, so no nursery and no task per
        # attempt (~8 KiB per connection while connecting, measured at 1,000 at once).
        family = trio.socket.AF_INET6 if ":" in host else trio.socket.AF_INET
        sock = trio.socket.socket(family, trio.socket.SOCK_STREAM)
        try:
            await sock.connect((host, port))
        except BaseException:
            sock.close()
            raise
        return trio.SocketStream(sock)
    try:
        return await trio.open_tcp_stream(host, port, local_address=local_address)
    except BaseExceptionGroup as group:
        # Happy eyeballs connects in a nursery: a cancelled connect is a group of
        # Cancelled; callers get the one Cancelled, never a group.
        cancelled, rest = group.split(trio.Cancelled)
        if rest is None and cancelled is not None:
            leaf: BaseException = cancelled
            while isinstance(leaf, BaseExceptionGroup):
                leaf = leaf.exceptions[0]
            raise leaf from None
        raise OSError(f"connection failed: {group!r}") from group
