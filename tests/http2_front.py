"""An HTTP/2 server over TLS in front of the local server (`open_h2_front`), so that its
scripted replies and faults (tests/test_fault_matrix.py, tests/test_cancellation_sweep.py)
reach the client over HTTP/2.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any, cast

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import httpx
import trio
from h2.errors import ErrorCodes
from http2_servers import Certificates

from trio_openai._http11 import ResponseStream
from trio_openai._pool import TrioTransport

_HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"te"})


class _Front:
    """One client connection of `open_h2_front`: h2 on the client side, each request
    forwarded to the backend over HTTP/1.1 (a new connection each), its answer streamed
    back as the client's windows allow. The backend's faults are carried over: a backend
    that cannot be reached or fails before its headers drops the client's connection (as
    a reset TCP connection would); one that fails mid-body resets the stream."""

    def __init__(self, stream: trio.SSLStream[Any], backend: str, transport: TrioTransport):
        self.stream = stream
        self.backend = backend
        self.transport = transport
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding=None)
        )
        self.write_lock = trio.Lock()
        self.window = trio.Event()
        self.requests: dict[int, tuple[list[tuple[bytes, bytes]], list[bytes]]] = {}
        self.scopes: dict[int, trio.CancelScope] = {}

    async def flush(self) -> None:
        async with self.write_lock:
            if data := self.conn.data_to_send():
                await self.stream.send_all(data)

    async def serve(self) -> None:
        self.conn.initiate_connection()
        try:
            async with trio.open_nursery() as nursery:
                self.nursery = nursery
                await self.flush()
                while data := await self.stream.receive_some(65536):
                    for event in self.conn.receive_data(data):
                        self.dispatch(event)
                    await self.flush()
                nursery.cancel_scope.cancel()
        # The client may drop the connection at any step (the cancellation sweep does): the
        # read then fails inside the nursery, so the error arrives in an exception group.
        except* (trio.BrokenResourceError, trio.ClosedResourceError, h2.exceptions.ProtocolError):
            pass
        finally:
            await trio.aclose_forcefully(self.stream)

    def dispatch(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived) and event.stream_id:
            headers = [(bytes(n), bytes(v)) for n, v in event.headers or ()]
            self.requests[event.stream_id] = (headers, [])
        elif isinstance(event, h2.events.DataReceived) and event.stream_id:
            if event.stream_id in self.requests:
                self.requests[event.stream_id][1].append(event.data or b"")
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded) and event.stream_id:
            self.nursery.start_soon(self.forward, event.stream_id)
        elif isinstance(event, h2.events.StreamReset) and event.stream_id:
            self.requests.pop(event.stream_id, None)
            scope = self.scopes.setdefault(event.stream_id, trio.CancelScope())
            scope.cancel()  # the client gave up: so does the forwarding
        elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
            self.window.set()
            self.window = trio.Event()

    async def forward(self, sid: int) -> None:
        if sid not in self.requests:  # reset by the client before it could be forwarded
            return
        headers, body = self.requests.pop(sid)
        pseudo = dict(h for h in headers if h[0].startswith(b":"))
        plain = [(n, v) for n, v in headers if not n.startswith(b":") and n not in _HOP_BY_HOP]
        url = self.backend + pseudo[b":path"].decode()
        request = httpx.Request(
            pseudo[b":method"].decode(), url, headers=plain, content=b"".join(body)
        )
        with self.scopes.setdefault(sid, trio.CancelScope()):
            try:
                response = await self.transport.handle_async_request(request)
            except httpx.TransportError:
                self.nursery.cancel_scope.cancel()  # the client's connection drops
                return
            stream = cast("ResponseStream", response.stream)
            try:
                head = [(b":status", b"%d" % response.status_code)]
                head += [(n.lower(), v) for n, v in response.headers.raw]
                head = [(n, v) for n, v in head if n not in _HOP_BY_HOP]
                self.conn.send_headers(sid, head)
                await self.flush()
                async for chunk in stream:
                    await self.send(sid, chunk)
                self.conn.end_stream(sid)
            except httpx.TransportError:
                self.conn.reset_stream(sid, ErrorCodes.INTERNAL_ERROR)
            except h2.exceptions.ProtocolError:
                pass  # the client reset the stream meanwhile
            finally:
                await stream.aclose()
            await self.flush()

    async def send(self, sid: int, chunk: bytes) -> None:
        while chunk:
            size = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            if size <= 0:
                await self.window.wait()
                continue
            self.conn.send_data(sid, chunk[:size])
            chunk = chunk[size:]
            await self.flush()


@asynccontextmanager
async def open_h2_front(certificates: Certificates, backend_url: str) -> AsyncGenerator[str]:
    """An HTTP/2 server over TLS in front of `backend_url` (the local server); yields its
    base URL. Each request goes to the backend on a new connection, so the backend counts
    every attempt the client makes."""
    context = certificates.server_context(["h2"])
    async with TrioTransport(max_keepalive=0) as transport:

        async def handle(stream: trio.SSLStream[Any]) -> None:
            await _Front(stream, backend_url, transport).serve()

        async with trio.open_nursery() as nursery:
            serve = functools.partial(trio.serve_ssl_over_tcp, host="127.0.0.1")
            listeners = await nursery.start(serve, handle, 0, context)
            port = listeners[0].transport_listener.socket.getsockname()[1]
            yield f"https://localhost:{port}"
            nursery.cancel_scope.cancel()
