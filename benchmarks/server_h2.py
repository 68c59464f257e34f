"""The benchmark server over TLS, speaking HTTP/2 or HTTP/1.1 as ALPN decides.

Run as ``python -m benchmarks.server_h2 --cert PEM``; prints ``PORT <n>`` once it listens.
HTTP/1.1 connections get `benchmarks.server.BenchProtocol` (the same pre-rendered bytes
as the plain server); HTTP/2 connections get the same answers from h2: the SSE body of a
stream is pre-split into one DATA frame per event (as the HTTP/1.1 server sends one chunk
per event) and written as the client's flow-control windows allow.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import ssl
from typing import Final
from urllib.parse import parse_qs, urlsplit

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

from . import payloads
from .server import BenchProtocol, _raise_fd_limit  # pyright: ignore[reportPrivateUsage]

_Answer = tuple[list[tuple[bytes, bytes]], list[bytes]]
_answers: dict[bytes, _Answer] = {}
_SSE_HEAD: Final = [
    (b":status", b"200"),
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"x-request-id", b"req_bench"),
]


def answer_for(target: bytes) -> _Answer:
    """Headers and body pieces (one DATA frame each) for a request target; cached."""
    cached = _answers.get(target)
    if cached is not None:
        return cached
    parts = urlsplit(target.decode("latin-1"))
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if "n" in query:
        n = int(query["n"])
        batch = max(1, int(query.get("batch", "1")))
        kind = payloads.responses_stream_events if parts.path.endswith("/responses") else None
        events = (kind or payloads.chat_stream_events)(n)
        pieces = [b"".join(events[i : i + batch]) for i in range(0, len(events), batch)]
        answer: _Answer = (_SSE_HEAD, pieces)
    else:
        raw = payloads.json_response(payloads.chat_completion())
        body = raw[raw.index(b"\r\n\r\n") + 4 :]
        head = [(b":status", b"200"), (b"content-type", b"application/json")]
        answer = ([*head, (b"content-length", b"%d" % len(body))], [body])
    _answers[target] = answer
    return answer


class H2BenchProtocol(asyncio.Protocol):
    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self._h2 = h2.connection.H2Connection(config=config)
        self._h2.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1000,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20,
            },
        )
        self._targets: dict[int, bytes] = {}
        self._pending: dict[int, list[bytes]] = {}  # pieces waiting for window
        self._h2.initiate_connection()
        self._h2.increment_flow_control_window((16 << 20) - 65535)
        transport.write(self._h2.data_to_send())

    def data_received(self, data: bytes) -> None:
        conn = self._h2
        try:
            events = conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self._transport.close()
            return
        for event in events:
            if isinstance(event, h2.events.RequestReceived) and event.stream_id:
                for name, value in event.headers or ():
                    if name == b":path":
                        self._targets[event.stream_id] = bytes(value)
            elif isinstance(event, h2.events.DataReceived) and event.stream_id:
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id:
                head, pieces = answer_for(self._targets.pop(event.stream_id))
                conn.send_headers(event.stream_id, head)
                self._pending[event.stream_id] = list(pieces)
            elif isinstance(event, h2.events.StreamReset) and event.stream_id:
                self._pending.pop(event.stream_id, None)
        self._send_pending()
        self._transport.write(conn.data_to_send())

    def _send_pending(self) -> None:
        conn = self._h2
        for stream_id in list(self._pending):
            pieces = self._pending[stream_id]
            while pieces:
                piece = pieces[0]
                if conn.local_flow_control_window(stream_id) < len(piece):
                    break
                pieces.pop(0)
                conn.send_data(stream_id, piece, end_stream=not pieces)
            if not pieces:
                del self._pending[stream_id]


class DispatchProtocol(asyncio.Protocol):
    """Hands the connection to the HTTP/1.1 or HTTP/2 protocol, as ALPN chose."""

    def __init__(self) -> None:
        self._inner: asyncio.Protocol | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = transport.get_extra_info("ssl_object")
        if tls is not None and tls.selected_alpn_protocol() == "h2":
            self._inner = H2BenchProtocol(transport)
        else:
            inner = BenchProtocol()
            inner.connection_made(transport)
            self._inner = inner

    def data_received(self, data: bytes) -> None:
        assert self._inner is not None
        self._inner.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is not None:
            self._inner.connection_lost(exc)


async def serve(host: str, port: int, cert: str) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert)
    context.set_alpn_protocols(["h2", "http/1.1"])
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        DispatchProtocol, host, port, ssl=context, backlog=4096, reuse_address=True
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert", required=True, help="the server's key and certificate (PEM)")
    args = parser.parse_args(argv)
    _raise_fd_limit()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.cert))


if __name__ == "__main__":
    main()
