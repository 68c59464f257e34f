"""HTTP/2 servers for tests over real sockets, with TLS from trustme certificates.

- `open_hypercorn`: hypercorn's trio worker serving an ASGI app that answers the API the
  way the local server's echo model does (chat completions and responses, streamed or
  not), plus ``/upload`` (the body's length and digest).
- `open_fault_server`: a bare HTTP/2 server on h2 whose answers are scripted per request
  (GOAWAY, a dropped connection, RST_STREAM), for what hypercorn cannot be made to do.

tests/http2_front.py holds the HTTP/2 front of the local server (the fault matrix and the
cancellation sweep over HTTP/2).
"""

from __future__ import annotations

import functools
import hashlib
import ssl
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import h2.config
import h2.connection
import h2.events
import hyperframe.frame
import orjson
import trio
import trustme
from h2.errors import ErrorCodes

from trio_openai.testing import RecordedRequest
from trio_openai.testing._echo import echo_reply


@attrs.frozen
class Certificates:
    ca_file: str  # the CA the client trusts
    chain_file: str  # the server's key and certificate chain, one PEM file

    def server_context(self, alpn: list[str]) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.chain_file)
        context.set_alpn_protocols(alpn)
        return context


def make_certificates(directory: Path) -> Certificates:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    ca_file, chain_file = directory / "ca.pem", directory / "server.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_and_cert_chain_pem.write_to_path(str(chain_file))
    return Certificates(ca_file=str(ca_file), chain_file=str(chain_file))


@attrs.define
class AppLog:
    """What the ASGI app saw: the HTTP version of each request; and its stream pace."""

    versions: list[str] = attrs.field(factory=list[str])
    pace: float = 0.0


async def _read_body(receive: Any) -> tuple[bytes, bool]:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(parts), False
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts), True


def make_app(log: AppLog) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        log.versions.append(scope["http_version"])
        body, _ = await _read_body(receive)
        path: str = scope["path"]
        if path == "/upload":
            answer = {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
            await _send_json(send, answer)
            return
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        request = RecordedRequest(
            method=scope["method"], path=path, query={}, headers=headers, body=body
        )
        reply = echo_reply(request, serial=len(log.versions), pace=log.pace)
        head = [(name.encode(), value.encode()) for name, value in reply.headers]
        await send({"type": "http.response.start", "status": reply.status, "headers": head})
        if reply.kind != "sse":
            await send({"type": "http.response.body", "body": reply.body})
            return
        for event in reply.events:
            await send({"type": "http.response.body", "body": event, "more_body": True})
            if reply.pace:
                await trio.sleep(reply.pace)
        await send({"type": "http.response.body", "body": b""})

    return app


async def _send_json(send: Any, answer: object) -> None:
    head = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": head})
    await send({"type": "http.response.body", "body": orjson.dumps(answer)})


@asynccontextmanager
async def open_hypercorn(
    certificates: Certificates,
    log: AppLog,
    *,
    alpn: list[str] | None = None,
    max_streams: int = 100,
) -> AsyncGenerator[str]:
    """Serve the app over TLS; yields its base URL (https://localhost:port)."""
    from hypercorn.config import Config
    from hypercorn.trio import serve  # pyright: ignore[reportUnknownVariableType]

    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.certfile = config.keyfile = certificates.chain_file
    config.alpn_protocols = alpn or ["h2", "http/1.1"]
    config.h2_max_concurrent_streams = max_streams
    config.accesslog = None
    config.errorlog = None
    async with trio.open_nursery() as nursery:
        urls: list[str] = await nursery.start(serve, make_app(log), config)  # pyright: ignore[reportUnknownArgumentType]
        yield urls[0].replace("127.0.0.1", "localhost")
        nursery.cancel_scope.cancel()


# -- the scripted server ----------------------------------------------------------------


@attrs.define
class Seen:
    connection: int
    stream_id: int
    action: str
    retry_count: str | None


@attrs.define
class FaultServer:
    """Answers the n-th request with ``actions[n]`` (then "ok"): "ok" (200 JSON),
    "goaway" (GOAWAY naming only earlier streams: this one was not processed), "drop"
    (close the connection), "reset" (headers, then RST_STREAM INTERNAL_ERROR), "reset-early"
    (RST_STREAM INTERNAL_ERROR before any header), "refuse"
    (RST_STREAM REFUSED_STREAM before any header), "graceful" (GOAWAY in the middle of the
    answer, which then ends normally), "bytes" (`BIG` bytes, sent as fast
    as the client's flow-control windows allow; ``sent`` counts them per stream)."""

    actions: list[str]
    url: str = ""
    seen: list[Seen] = attrs.field(factory=list[Seen])
    connections: int = 0
    sent: dict[int, int] = attrs.field(factory=dict[int, int])


BIG = 4 * 1024 * 1024


async def _serve_connection(server: FaultServer, stream: trio.SSLStream[Any]) -> None:
    server.connections += 1
    number = server.connections
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
    )
    conn.initiate_connection()
    await stream.send_all(conn.data_to_send())
    retry_counts: dict[int, str | None] = {}
    try:
        while data := await stream.receive_some(65536):
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    headers = {str(name): str(value) for name, value in event.headers or ()}
                    retry = headers.get("x-stainless-retry-count")
                    retry_counts[event.stream_id or 0] = str(retry) if retry else None
                elif isinstance(event, h2.events.DataReceived) and event.stream_id:
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                if isinstance(event, h2.events.StreamEnded) and event.stream_id:
                    sid = event.stream_id
                    action = server.actions.pop(0) if server.actions else "ok"
                    server.seen.append(Seen(number, sid, action, retry_counts.get(sid)))
                    if action == "drop":
                        return
                    if action == "graceful":
                        await _graceful_goaway(conn, stream, sid)
                        continue
                    _act(conn, sid, action)
                    if action == "bytes":
                        server.sent[sid] = 0
            _send_allowed(conn, server.sent)
            await stream.send_all(conn.data_to_send())
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    finally:
        await trio.aclose_forcefully(stream)


async def _graceful_goaway(
    conn: h2.connection.H2Connection, stream: trio.SSLStream[Any], sid: int
) -> None:
    """Half the answer, GOAWAY naming this stream as processed, then the rest: a server
    shutting down gracefully. The GOAWAY is written by hand: h2 sends nothing after one."""
    body = orjson.dumps({"ok": True, "stream": sid, "graceful": True})
    conn.send_headers(sid, [(":status", "200"), ("content-type", "application/json")])
    conn.send_data(sid, body[:10])
    await stream.send_all(conn.data_to_send())
    goaway = hyperframe.frame.GoAwayFrame(0)
    goaway.last_stream_id = sid
    await stream.send_all(goaway.serialize())
    await trio.sleep(0.05)
    conn.send_data(sid, body[10:], end_stream=True)


def _send_allowed(conn: h2.connection.H2Connection, sent: dict[int, int]) -> None:
    """Send what the client's windows allow of every "bytes" stream."""
    piece = b"x" * conn.max_outbound_frame_size
    for sid, count in sent.items():
        while count < BIG and (window := conn.local_flow_control_window(sid)) > 0:
            size = min(window, len(piece), BIG - count)
            count += size
            conn.send_data(sid, piece[:size], end_stream=count == BIG)
        sent[sid] = count


def _act(conn: h2.connection.H2Connection, sid: int, action: str) -> None:
    if action == "goaway":
        conn.close_connection(last_stream_id=sid - 2 if sid > 2 else 0)
    elif action == "refuse":
        conn.reset_stream(sid, ErrorCodes.REFUSED_STREAM)
    elif action == "bytes":
        conn.send_headers(sid, [(":status", "200"), ("content-type", "application/octet-stream")])
    elif action == "reset-early":
        conn.reset_stream(sid, ErrorCodes.INTERNAL_ERROR)
    elif action == "reset":
        conn.send_headers(sid, [(":status", "200"), ("content-type", "text/event-stream")])
        conn.send_data(sid, b'data: {"partial": true}\n\n')
        conn.reset_stream(sid, ErrorCodes.INTERNAL_ERROR)
    else:
        body = orjson.dumps({"ok": True, "stream": sid})
        head = [(":status", "200"), ("content-type", "application/json")]
        conn.send_headers(sid, [*head, ("content-length", str(len(body)))])
        conn.send_data(sid, body, end_stream=True)


@asynccontextmanager
async def open_fault_server(
    certificates: Certificates, actions: list[str]
) -> AsyncGenerator[FaultServer]:
    server = FaultServer(actions=list(actions))
    context = certificates.server_context(["h2"])

    async def handle(stream: trio.SSLStream[Any]) -> None:
        await _serve_connection(server, stream)

    async with trio.open_nursery() as nursery:
        serve = functools.partial(trio.serve_ssl_over_tcp, host="127.0.0.1")
        listeners = await nursery.start(serve, handle, 0, context)
        port = listeners[0].transport_listener.socket.getsockname()[1]
        server.url = f"https://localhost:{port}"
        yield server
        nursery.cancel_scope.cancel()
