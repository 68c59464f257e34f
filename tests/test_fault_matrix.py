"""The fault matrix: every fault the local servers can produce, against every kind of call.

Rows are faults (a refused port, resets, stalls, a trickle, status storms, broken bodies,
an oversized event, a close-delimited HTTP/1.0 body); columns are calls (a JSON request, an
SSE stream, an auto-paging list, a multipart upload, a Realtime WebSocket session). Each
cell runs over real sockets on 127.0.0.1 with its own server and client, under a deadline,
and must end in success or in exactly one `trio_openai.OpenAIError` subclass: an
ExceptionGroup, a bare httpx/h11/trio error or a blown deadline fails the cell. After each
cell the client's pool has no busy connection and the server's connections all close.

`EXPECTED` is the matrix as data (outcome and number of attempts the server saw). A
WebSocket cell of an HTTP-only fault is "N/A" there, with the reason: data, not a skip.

The HTTP columns run along four routes (`ROUTES`) with the same expectations: direct;
through an HTTP proxy (absolute-form requests, tests/proxy_server.py); through a
CONNECT tunnel of that proxy to TLS in front of the server (the route to an https API
behind a corporate proxy); and over HTTP/2 (tests/http2_servers.py's front).
With FAULT_MATRIX_TABLE=path the run writes the observed matrix as a Markdown table
(docs/reliability.md embeds it).
"""

from __future__ import annotations

import functools
import os
import re
import socket
import ssl
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import attrs
import orjson
import pytest
import trio
import trustme
from http2_front import open_h2_front
from http2_servers import make_certificates
from proxy_server import open_proxy, open_tls_front

import trio_openai
from trio_openai._retry import backoff_delay
from trio_openai.testing import LocalServer, Reply, WsAction, open_local_server, open_ws_server

KEY: Final = "sk-test-matrix"
MIB: Final = 1024 * 1024
CELL_DEADLINE: Final = 10.0  # seconds; the slowest cell (two stalled attempts) takes ~1 s
LIMIT: Final = 0.3  # request / first_event / idle limits of the matrix client
HUGE: Final = 64 * MIB  # the oversized event line
PEAK_MEMORY_BOUND: Final = 16 * MIB  # what reading the 64 MiB event may allocate at most

CALLS: Final = ("request", "stream", "list", "upload", "websocket")
FAULTS: Final = (
    "connection refused",
    "reset before headers",
    "reset mid-body",
    "reset mid-stream",
    "stall before headers",
    "stall mid-stream",
    "trickle 1 B/100 ms",
    "trickle past the limit",
    "429 storm",
    "500 storm",
    "502 storm",
    "503 storm",
    "malformed JSON",
    "HTML body",
    "truncated chunked body",
    "invalid UTF-8",
    "64 MiB event line",
    "HTTP/1.0 close-delimited",
)

# Payloads of a successful call: small, so that a trickled body ends in about a second.
JSON_BODY: Final = b'{"a":1}'
LAST_PAGE: Final = b'{"data":[]}'
FIRST_PAGE: Final = {"object": "list", "data": [{"id": "x1"}, {"id": "x2"}], "has_more": True}
EVENTS: Final = (b'data: {"n":1}\n\n', b'data: {"n":2}\n\n', b"data: [DONE]\n\n")
TRICKLED_EVENT: Final = b"data: {}\n\n"  # client.stream yields JSON objects
RETRY_FAST: Final = {"retry-after-ms": "1"}


@attrs.frozen
class Outcome:
    """What a cell ended in: "ok", the class name of the error, "caller deadline" or "N/A"."""

    result: str
    attempts: int | None = None  # requests (or handshakes) the server saw for the call
    note: str = ""


def ok(attempts: int = 1) -> Outcome:
    return Outcome("ok", attempts)


def err(name: str, attempts: int = 1) -> Outcome:
    return Outcome(name, attempts)


def na(reason: str) -> Outcome:
    return Outcome("N/A", None, reason)


# The package's transport (the default) resends a request that failed on a kept-alive
# connection before any response byte; httpx's (TRIO_OPENAI_TRANSPORT=httpx) does not.
STALE_RESEND: Final = int(os.environ.get("TRIO_OPENAI_TRANSPORT", "trio") == "trio")
CONN, TIMEOUT, INVALID = "APIConnectionError", "APITimeoutError", "APIResponseValidationError"
RT_CONN = "RealtimeConnectionError"
# Attempts: max_retries is 1, so a retried failure is seen twice. A list's first page is
# always served (and counted) before its faulted second page.
EXPECTED: Final[dict[tuple[str, str], Outcome]] = {
    **{("connection refused", c): err(CONN, 0) for c in ("request", "stream", "list", "upload")},
    ("connection refused", "websocket"): err(RT_CONN, 0),
    **{("reset before headers", c): err(CONN, 2) for c in ("request", "stream", "upload")},
    # Page 2 goes out on the connection kept alive after page 1 (see STALE_RESEND).
    ("reset before headers", "list"): err(CONN, 3 + STALE_RESEND),
    ("reset before headers", "websocket"): err(RT_CONN, 1),
    **{("reset mid-body", c): err(CONN, 2) for c in ("request", "upload")},
    ("reset mid-body", "stream"): err(CONN, 1),  # after its first event: never replayed
    ("reset mid-body", "list"): err(CONN, 3),
    ("reset mid-body", "websocket"): na("no length-framed body; see reset mid-stream"),
    **{("reset mid-stream", c): err(CONN, 2) for c in ("request", "upload")},
    ("reset mid-stream", "stream"): err(CONN, 1),
    ("reset mid-stream", "list"): err(CONN, 3),
    ("reset mid-stream", "websocket"): err(RT_CONN, 1),
    **{("stall before headers", c): err(TIMEOUT, 2) for c in ("request", "stream", "upload")},
    ("stall before headers", "list"): err(TIMEOUT, 3),
    ("stall before headers", "websocket"): err(TIMEOUT, 1),
    **{("stall mid-stream", c): err(TIMEOUT, 2) for c in ("request", "upload")},
    ("stall mid-stream", "stream"): err(TIMEOUT, 1),
    ("stall mid-stream", "list"): err(TIMEOUT, 3),
    ("stall mid-stream", "websocket"): Outcome(
        "caller deadline", 1, "no idle limit on WebSocket sessions: the caller's scope ends it"
    ),
    **{("trickle 1 B/100 ms", c): ok() for c in ("request", "stream", "upload")},
    ("trickle 1 B/100 ms", "list"): ok(2),
    ("trickle 1 B/100 ms", "websocket"): ok(),  # events paced 20 ms apart
    **{("trickle past the limit", c): err(TIMEOUT, 2) for c in ("request", "upload")},
    ("trickle past the limit", "stream"): err(TIMEOUT, 1),
    ("trickle past the limit", "list"): err(TIMEOUT, 3),
    ("trickle past the limit", "websocket"): na("no time limit on a WebSocket message"),
    **{
        (storm, c): err(name, 2)
        for storm, name in (
            ("429 storm", "RateLimitError"),
            ("500 storm", "InternalServerError"),
            ("502 storm", "InternalServerError"),
            ("503 storm", "InternalServerError"),
        )
        for c in ("request", "stream", "upload")
    },
    **{
        (storm, "list"): err(name, 3)
        for storm, name in (
            ("429 storm", "RateLimitError"),
            ("500 storm", "InternalServerError"),
            ("502 storm", "InternalServerError"),
            ("503 storm", "InternalServerError"),
        )
    },
    # A refused WebSocket handshake is not retried.
    ("429 storm", "websocket"): err("RateLimitError", 1),
    **{(s, "websocket"): err("InternalServerError", 1) for s in ("500 storm", "502 storm")},
    ("503 storm", "websocket"): err("InternalServerError", 1),
    **{("malformed JSON", c): err(INVALID) for c in ("request", "stream", "upload")},
    ("malformed JSON", "list"): err(INVALID, 2),
    ("malformed JSON", "websocket"): err(INVALID),
    **{("HTML body", c): err(INVALID) for c in ("request", "stream", "upload")},
    ("HTML body", "list"): err(INVALID, 2),
    ("HTML body", "websocket"): err("APIStatusError"),  # a 200 instead of a 101
    **{("truncated chunked body", c): err(CONN, 2) for c in ("request", "upload")},
    ("truncated chunked body", "stream"): err(CONN, 1),
    ("truncated chunked body", "list"): err(CONN, 3),
    ("truncated chunked body", "websocket"): na("no chunked framing on a WebSocket"),
    **{("invalid UTF-8", c): err(INVALID) for c in ("request", "stream", "upload")},
    ("invalid UTF-8", "list"): err(INVALID, 2),
    ("invalid UTF-8", "websocket"): err(INVALID),  # in a binary message
    ("64 MiB event line", "stream"): err("EventTooLargeError"),
    **{
        ("64 MiB event line", c): na("max_event_size bounds SSE events, not JSON bodies")
        for c in ("request", "upload", "list")
    },
    ("64 MiB event line", "websocket"): err(RT_CONN),  # a 2 MiB message: close code 1009
    **{("HTTP/1.0 close-delimited", c): ok() for c in ("request", "stream", "upload")},
    ("HTTP/1.0 close-delimited", "list"): ok(2),
    ("HTTP/1.0 close-delimited", "websocket"): na("no HTTP/1.0 WebSocket handshake"),
}

OBSERVED: dict[tuple[str, str], Outcome] = {}
SECONDS: dict[tuple[str, str], float] = {}


# -- replies -----------------------------------------------------------------------------------


def _head(version: bytes, content_type: bytes, *extra: bytes) -> bytes:
    lines = [version + b" 200 OK", b"content-type: " + content_type, *extra]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _json_shaped(events: list[bytes], **faults: Any) -> Reply:
    """An SSE-kind reply whose body is JSON: the server's stall/reset/trickle knobs on it."""
    return Reply.sse(events, done=False, headers={"content-type": "application/json"}, **faults)


def json_replies(fault: str, body: bytes) -> list[Reply]:
    """The replies a JSON call (request, upload, a list page) gets for `fault`."""
    half = body[: len(body) // 2]
    if fault == "reset before headers":
        return [Reply.reset()]
    if fault == "reset mid-body":
        head = _head(b"HTTP/1.1", b"application/json", b"content-length: %d" % (len(body) + 40))
        return [Reply.raw(head + half)]
    if fault == "reset mid-stream":
        return [_json_shaped([half], reset_after=1)]
    if fault == "stall before headers":
        return [Reply.stall()]
    if fault == "stall mid-stream":
        return [_json_shaped([half], stall_after=1)]
    if fault == "trickle 1 B/100 ms":
        return [_json_shaped([body], trickle=0.1)]
    if fault == "trickle past the limit":
        return [_json_shaped([body], trickle=0.1)]
    if fault.endswith(" storm"):
        return [Reply.error(int(fault[:3]), headers=RETRY_FAST)]
    if fault == "malformed JSON":
        return [Reply.text(body[:-1] + b",", content_type="application/json")]
    if fault == "HTML body":
        return [Reply.text(b"<!doctype html><h1>502 Bad Gateway</h1>", content_type="text/html")]
    if fault == "truncated chunked body":
        head = _head(b"HTTP/1.1", b"application/json", b"transfer-encoding: chunked")
        return [Reply.raw(head + b"%x\r\n" % (len(body) + 40) + half)]
    if fault == "invalid UTF-8":
        return [Reply.text(b'{"text":"\xff\xfe"}', content_type="application/json")]
    if fault == "HTTP/1.0 close-delimited":
        return [Reply.raw(_head(b"HTTP/1.0", b"application/json") + body)]
    raise AssertionError(fault)


def sse_replies(fault: str) -> list[Reply]:
    """The replies an SSE stream gets for `fault`."""
    events = list(EVENTS[:2])
    if fault == "reset before headers":
        return [Reply.reset()]
    if fault == "reset mid-body":
        length = len(b"".join(EVENTS))
        head = _head(b"HTTP/1.1", b"text/event-stream", b"content-length: %d" % length)
        return [Reply.raw(head + EVENTS[0])]
    if fault == "reset mid-stream":
        return [Reply.sse(events, reset_after=1)]
    if fault == "stall before headers":
        return [Reply.stall()]
    if fault == "stall mid-stream":
        return [Reply.sse(events, stall_after=1)]
    if fault in ("trickle 1 B/100 ms", "trickle past the limit"):
        return [Reply.sse([TRICKLED_EVENT], done=False, trickle=0.1)]
    if fault.endswith(" storm"):
        return [Reply.error(int(fault[:3]), headers=RETRY_FAST)]
    if fault == "malformed JSON":
        return [Reply.sse([b'data: {"n": 1,\n\n'])]
    if fault == "HTML body":
        return json_replies(fault, b"")
    if fault == "truncated chunked body":
        head = _head(b"HTTP/1.1", b"text/event-stream", b"transfer-encoding: chunked")
        return [Reply.raw(head + _chunk(EVENTS[0]) + b"40\r\ndata: {")]
    if fault == "invalid UTF-8":
        return [Reply.sse([b'data: {"text": "\xff\xfe"}\n\n'])]
    if fault == "64 MiB event line":
        # Close-delimited, so the server writes the one buffer without copying it.
        return [Reply.sse([b"data: " + b"x" * HUGE + b"\n\n"], chunked=False)]
    if fault == "HTTP/1.0 close-delimited":
        return [Reply.raw(_head(b"HTTP/1.0", b"text/event-stream") + b"".join(EVENTS))]
    raise AssertionError(fault)


# -- the calls -------------------------------------------------------------------------------


def timeout_for(fault: str) -> trio_openai.Timeout:
    if fault == "trickle 1 B/100 ms":  # ~1.5 s of body: well inside a 5 s limit
        return trio_openai.Timeout(request=5.0, connect=1.0, first_event=5.0, idle=5.0)
    return trio_openai.Timeout(request=LIMIT, connect=1.0, first_event=LIMIT, idle=LIMIT)


async def call_request(client: trio_openai.OpenAI) -> None:
    assert await client.post("/cell", body={"q": 1}) == {"a": 1}


async def call_upload(client: trio_openai.OpenAI) -> None:
    files = {"file": ("notes.txt", b"hello, matrix\n", "text/plain"), "purpose": "assistants"}
    assert await client.post("/cell", files=files) == {"a": 1}


async def call_stream(client: trio_openai.OpenAI) -> None:
    async with client.stream("POST", "/cell", body={"stream": True}) as stream:
        events = [event async for event in stream]
    assert events in ([{"n": 1}, {"n": 2}], [{}])


async def call_list(client: trio_openai.OpenAI) -> None:
    items = [item async for item in client._paginate("/items")]
    assert items == FIRST_PAGE["data"]


HTTP_CALLS: Final[dict[str, Callable[[trio_openai.OpenAI], Any]]] = {
    "request": call_request,
    "upload": call_upload,
    "stream": call_stream,
    "list": call_list,
}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def script(server: LocalServer, fault: str, call: str) -> str:
    """Script `server` for the cell; returns the path whose requests count as attempts."""
    if call == "list":
        page = json_replies(fault, LAST_PAGE)
        server.script("GET", "/v1/items", Reply.json(FIRST_PAGE), *page)
        return "/v1/items"
    replies = sse_replies(fault) if call == "stream" else json_replies(fault, JSON_BODY)
    server.script("POST", "/v1/cell", *replies)
    return "/v1/cell"


ROUTES: Final = ("direct", "proxy", "tunnel", "http2")


@functools.cache
def tunnel_tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """Server and client SSL contexts for the tunnel route (trustme: built once)."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


@asynccontextmanager
async def routed(
    route: str, base_url: str, port: int
) -> AsyncIterator[tuple[str, trio_openai.DefaultHttpClient | None]]:
    """The base URL and HTTP client of a route to the server on `port`."""
    if route == "direct":
        yield base_url, None
        return
    if route == "http2":  # hypercorn (h2, TLS) forwarding to the local server
        with tempfile.TemporaryDirectory() as directory:
            certificates = make_certificates(Path(directory))
            async with (
                open_h2_front(certificates, base_url.removesuffix("/v1")) as url,
                trio_openai.DefaultHttpClient(http2=True, verify=certificates.ca_file) as http,
            ):
                yield url + "/v1", http
        return
    server_tls, client_tls = tunnel_tls()
    async with open_proxy() as proxy:
        http = trio_openai.DefaultHttpClient(proxy=proxy.url, verify=client_tls)
        if route == "proxy":
            async with http:
                yield base_url, http
        else:
            async with open_tls_front(server_tls, port) as front, http:
                yield front.base_url, http
    # every attempt went by the proxy: forwarded, or a tunnel to the TLS front
    assert proxy.seen
    assert {s.method == "CONNECT" for s in proxy.seen} == {route == "tunnel"}


@asynccontextmanager
async def matrix_client(
    base_url: str,
    fault: str,
    http: trio_openai.DefaultHttpClient | None = None,
    sent: list[str] | None = None,
) -> AsyncIterator[trio_openai.OpenAI]:
    async def count(request: Any, call_next: trio_openai.CallNext) -> Any:
        if sent is not None:
            sent.append(request.url.path)
        return await call_next(request)

    async with trio_openai.OpenAI(
        api_key=KEY,
        base_url=base_url,
        http_client=http,
        middleware=[count],
        max_retries=1,
        timeout=timeout_for(fault),
        max_event_size=MIB,
        random_source=lambda: 0.999,  # the shortest backoff: 0.375 s
    ) as client:
        yield client


async def outcome_of(call: Callable[[], Any]) -> str:
    """Run the call: "ok" (or what it returns), else the class name of its one typed error."""
    try:
        result = await call()
    except trio_openai.OpenAIError as exc:
        return type(exc).__name__
    return result if isinstance(result, str) else "ok"


async def run_http_cell(
    fault: str, call: str, route: str = "direct", sent: list[str] | None = None
) -> Outcome:
    """Run one cell; `sent` collects the path of each attempt the client made."""
    operation = HTTP_CALLS[call]
    if fault == "connection refused":
        port = closed_port()
        async with (
            routed(route, f"http://127.0.0.1:{port}/v1", port) as (base_url, http),
            matrix_client(base_url, fault, http) as client,
        ):
            result = await outcome_of(lambda: operation(client))
            assert client.statistics()["busy"] == 0
        return Outcome(result, 0)
    measure = fault == "64 MiB event line"
    async with open_local_server() as server:
        path = script(server, fault, call)  # the 64 MiB line is built here, before tracing
        async with (
            routed(route, server.base_url, server.port) as (base_url, http),
            matrix_client(base_url, fault, http, sent) as client,
        ):
            if measure:
                tracemalloc.start()
            try:
                result = await outcome_of(lambda: operation(client))
                peak = tracemalloc.get_traced_memory()[1] if measure else 0
            finally:
                if measure:
                    tracemalloc.stop()
            stats = client.statistics()
            assert stats["busy"] == 0, stats
            assert stats["waiting"] == 0, stats
        await server.wait_open_connections(0)
        attempts = sum(1 for r in server.requests if r.path == path)
    # Refusing the oversized line must not have buffered it: 1 MiB and change, not 64.
    assert peak < PEAK_MEMORY_BOUND, f"peak {peak / MIB:.1f} MiB while reading the event"
    return Outcome(result, attempts, f"peak traced memory {peak / MIB:.1f} MiB" if measure else "")


# -- the WebSocket column ----------------------------------------------------------------------


async def realtime_session(client: trio_openai.OpenAI) -> str:
    """Open a Realtime session, ask for a response and read it to ``response.done``."""
    connect = client.realtime.connect(model="gpt-realtime", connect_timeout=LIMIT * 2)
    async with connect as conn:
        await conn.send({"type": "response.create"})
        with trio.move_on_after(2.0) as waiting:  # the caller's own deadline
            async for event in conn:
                if getattr(event, "type", None) == "response.done":
                    return "ok"
            raise AssertionError("the session ended without response.done")
        assert waiting.cancelled_caught
        return "caller deadline"


HANDSHAKE_FAULTS: Final[dict[str, Callable[[], Reply]]] = {
    "reset before headers": Reply.reset,
    "stall before headers": Reply.stall,
    "429 storm": lambda: Reply.error(429, headers=RETRY_FAST),
    "500 storm": lambda: Reply.error(500, headers=RETRY_FAST),
    "502 storm": lambda: Reply.error(502, headers=RETRY_FAST),
    "503 storm": lambda: Reply.error(503, headers=RETRY_FAST),
    "HTML body": lambda: Reply.text("<!doctype html><h1>hello</h1>", content_type="text/html"),
}
PARTIAL = {"type": "response.output_text.delta", "delta": "par", "item_id": "item_1"}
SESSION_FAULTS: Final[dict[str, tuple[WsAction, ...]]] = {
    "reset mid-stream": (WsAction.send(PARTIAL), WsAction.abort()),
    "stall mid-stream": (WsAction.send(PARTIAL), WsAction.stall()),
    "malformed JSON": (WsAction.send_text('{"type": "response.done",'),),
    "invalid UTF-8": (WsAction("send_text", b'{"type": "\xff\xfe"}'),),  # a binary message
    "64 MiB event line": (WsAction.send_text("x" * (2 * MIB)),),
}


async def run_ws_cell(fault: str) -> Outcome:
    if fault == "connection refused":
        async with matrix_client(f"http://127.0.0.1:{closed_port()}/v1", fault) as client:
            return Outcome(await outcome_of(lambda: realtime_session(client)), 0)
    if fault in HANDSHAKE_FAULTS:
        # The handshake is answered by the HTTP server: what a proxy in front might do.
        async with open_local_server() as http_server:
            http_server.script("GET", "/v1/realtime", HANDSHAKE_FAULTS[fault]())
            async with matrix_client(http_server.base_url, fault) as client:
                result = await outcome_of(lambda: realtime_session(client))
            await http_server.wait_open_connections(0)
            return Outcome(result, len(http_server.requests))
    async with open_ws_server() as ws_server:
        if fault == "trickle 1 B/100 ms":
            ws_server.pace = 0.02  # before each event: ~0.3 s for the whole session
        else:
            ws_server.on_message("response.create", *SESSION_FAULTS[fault])
        async with matrix_client(ws_server.base_url, fault) as client:
            result = await outcome_of(lambda: realtime_session(client))
        with trio.fail_after(5):
            await ws_server.wait_idle()
        return Outcome(result, len(ws_server.sessions))


# -- the matrix --------------------------------------------------------------------------------


async def run_cell(fault: str, call: str) -> Outcome:
    if call == "websocket":
        return await run_ws_cell(fault)
    return await run_http_cell(fault, call)


def cells() -> Iterator[Any]:
    for fault in FAULTS:
        for call in CALLS:
            yield pytest.param(fault, call, id=f"{fault}-{call}".replace(" ", "_"))


def routed_cells() -> Iterator[Any]:
    for route in ROUTES[1:]:
        for fault in FAULTS:
            for call in HTTP_CALLS:
                if EXPECTED[fault, call].result != "N/A":
                    yield pytest.param(
                        route, fault, call, id=f"{route}-{fault}-{call}".replace(" ", "_")
                    )


# Where HTTP/2 differs. HTTP/1.1 resends a request that failed on a kept-alive connection
# before any response byte (the server had closed it while idle); over HTTP/2 the server
# says which requests it did not process (GOAWAY, REFUSED_STREAM) and only those are sent
# again, so a connection lost under page 2 costs one attempt fewer.
HTTP2_EXPECTED: Final[dict[tuple[str, str], Outcome]] = {
    ("reset before headers", "list"): err(CONN, 3),
}


@pytest.mark.parametrize(("route", "fault", "call"), list(routed_cells()))
async def test_cell_through_a_proxy(route: str, fault: str, call: str) -> None:
    """The HTTP columns again, through a proxy, a tunnel, or over HTTP/2 (a server in front
    of the local server that turns its resets into dropped connections or stream resets):
    the same outcomes and attempts."""
    expected = EXPECTED[fault, call]
    if route == "http2":
        expected = HTTP2_EXPECTED.get((fault, call), expected)
    sent: list[str] = []
    with trio.fail_after(CELL_DEADLINE):
        got = await run_http_cell(fault, call, route, sent)
    if (
        got.result == expected.result == "APITimeoutError"
        and expected.attempts is not None
        and got.attempts == expected.attempts - 1
        and len(sent) == expected.attempts
    ):
        # The client made every attempt, but on a loaded machine the last one's 0.3 s ran
        # out while the proxy was still forwarding it: the server never saw it.
        got = attrs.evolve(got, attempts=len(sent))
    assert (got.result, got.attempts) == (expected.result, expected.attempts)


@pytest.mark.parametrize(("fault", "call"), list(cells()))
async def test_cell(fault: str, call: str) -> None:
    expected = EXPECTED[fault, call]
    if expected.result == "N/A":
        OBSERVED[fault, call] = expected  # recorded in the table, with its reason
        assert expected.note
        return
    started = time.perf_counter()
    with trio.fail_after(CELL_DEADLINE):
        got = await run_cell(fault, call)
    SECONDS[fault, call] = time.perf_counter() - started
    OBSERVED[fault, call] = got
    assert (got.result, got.attempts) == (expected.result, expected.attempts)


# -- regressions found by the matrix -------------------------------------------------------


@pytest.mark.parametrize("gap", ["first_event", "idle"])
async def test_stream_limits_are_per_event_not_per_chunk(gap: str) -> None:
    """A trickled event, or comment lines, do not keep a stream alive past its limit."""
    trickled = b'data: {"n": 2, "pad": "................"}\n\n'  # ~4 s at 0.1 s per byte
    async with open_local_server() as server:
        first = [] if gap == "first_event" else [b"data: {}\n\n"]
        server.script("GET", "/v1/s", Reply.sse([*first, trickled], chunked=False, trickle=0.1))
        server.script("GET", "/v1/k", Reply.sse([*first, *[b":\n"] * 20], pace=0.1))
        async with trio_openai.OpenAI(api_key=KEY, base_url=server.base_url) as client:
            limits = trio_openai.Timeout(**{gap: 0.6})  # type: ignore[arg-type]
            for path in ("/s", "/k"):
                got: list[Any] = []
                with pytest.raises(trio_openai.APITimeoutError):
                    async with client.stream("GET", path, timeout=limits) as stream:
                        waiting_since = trio.current_time()
                        async for event in stream:
                            got.append(event)
                            waiting_since = trio.current_time()
                assert got == ([{}] if first else [])
                assert trio.current_time() - waiting_since < 1.5  # the limit, not the event
            assert client.statistics()["busy"] == 0


# -- stream limits: when first_event and idle fire -------------------------------------------
#
# Under the autojump clock, so each expiry is asserted to the exact (virtual) second. The
# request limit is a minute: only first_event (counted from sending the attempt's request,
# the wait for the headers included) and idle (between events) can end these streams.


@attrs.frozen
class LimitCase:
    reply: Callable[[], Reply]
    limits: trio_openai.Timeout
    result: str
    seconds: float  # from the call to its end
    attempts: int = 1
    events: int = 0  # events received before the end


def held(seconds: float, reply: Reply) -> Callable[[], Reply]:
    """`reply`, its headers held back `seconds` (a server queueing the request)."""

    async def later(_: Any) -> Reply:
        await trio.sleep(seconds)
        return reply

    return lambda: Reply.handler(later)


COMMENT: Final = b":\n"  # bytes on the wire that complete no event
FIRST, IDLE = (
    trio_openai.Timeout(request=60, first_event=1),
    trio_openai.Timeout(request=60, idle=1),
)
BACKOFF: Final = backoff_delay(0, 0.999)  # the matrix client's first backoff
STREAM_LIMITS: Final[dict[str, LimitCase]] = {
    # retried like any attempt that timed out: no event was delivered
    "headers held": LimitCase(Reply.stall, FIRST, TIMEOUT, 1 + BACKOFF + 1, attempts=2),
    "headers late, first event in time": LimitCase(
        held(0.4, Reply.sse(EVENTS[:2], done=False)), FIRST, "ok", 0.4, events=2
    ),
    # 0.6 s for the headers, 0.6 s more for the event: late, counted from the request
    "headers late, first event late": LimitCase(
        held(0.6, Reply.sse([COMMENT, EVENTS[0]], pace=0.6)), FIRST, TIMEOUT, 1.0
    ),
    "headers at once, first event late": LimitCase(
        lambda: Reply.sse([COMMENT, EVENTS[0]], pace=1.5), FIRST, TIMEOUT, 1.0
    ),
    "silence after an event": LimitCase(
        lambda: Reply.sse(EVENTS[:2], stall_after=1), IDLE, TIMEOUT, 1.0, events=1
    ),
    "events paced under idle": LimitCase(
        lambda: Reply.sse(EVENTS[:2], pace=0.8), IDLE, "ok", 1.6, events=2
    ),
    "no first_event: headers held a minute": LimitCase(
        held(59, Reply.sse(EVENTS[:1])), IDLE, "ok", 59, events=1
    ),
}


@pytest.mark.parametrize("name", list(STREAM_LIMITS))
async def test_stream_limits(name: str, autojump_clock: trio.testing.MockClock) -> None:
    case = STREAM_LIMITS[name]
    got: list[Any] = []

    async def stream(client: trio_openai.OpenAI) -> None:
        async with client.stream("POST", "/cell", body={"stream": True}) as events:
            async for event in events:
                got.append(event)

    async with open_local_server() as server:
        server.script("POST", "/v1/cell", case.reply())
        async with matrix_client(server.base_url, "limits") as client:
            started = trio.current_time()
            result = await outcome_of(lambda: stream(client.with_options(timeout=case.limits)))
            seconds = trio.current_time() - started
            assert client.statistics()["busy"] == 0
        await server.wait_open_connections(0)
    assert (result, len(server.requests), len(got)) == (case.result, case.attempts, case.events)
    assert seconds == pytest.approx(case.seconds, abs=1e-6)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"id": "resp_1", "object": "response"}'),
        ("text/html", b""),
        ("application/problem+json", b'{"title": "Bad Gateway"}'),
    ],
)
async def test_a_stream_answered_without_an_event_stream_is_an_error(
    content_type: str, body: bytes
) -> None:
    """Not an empty stream: a typed error carrying the start of the body."""
    async with open_local_server() as server:
        server.script("POST", "/v1/s", Reply.text(body, content_type=content_type))
        async with trio_openai.OpenAI(api_key=KEY, base_url=server.base_url) as client:
            with pytest.raises(
                trio_openai.APIResponseValidationError, match=re.escape(content_type)
            ) as info:
                async with client.stream("POST", "/s", body={"stream": True}):
                    raise AssertionError("the block must not run")
            assert info.value.body == body
            assert info.value.status_code == 200
            assert client.statistics()["busy"] == 0
        await server.wait_open_connections(0)


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "application/octet-stream"])
async def test_an_event_stream_under_a_generic_content_type_still_streams(
    content_type: str,
) -> None:
    async with open_local_server() as server:
        reply = Reply.sse([{"n": 1}], headers={"content-type": content_type})
        server.script("POST", "/v1/s", reply)
        async with (
            trio_openai.OpenAI(api_key=KEY, base_url=server.base_url) as client,
            client.stream("POST", "/s", body={"stream": True}) as stream,
        ):
            assert [event async for event in stream] == [{"n": 1}]


def test_expected_covers_the_whole_matrix() -> None:
    assert set(EXPECTED) == {(f, c) for f in FAULTS for c in CALLS}


# -- the table -------------------------------------------------------------------------------


def markdown_table(observed: dict[tuple[str, str], Outcome]) -> str:
    """The matrix as Markdown: outcome (attempts seen by the server) per cell."""

    def cell(outcome: Outcome | None) -> str:
        if outcome is None:
            return "not run"
        if outcome.result == "N/A":
            return f"N/A ({outcome.note})"
        shown = "ok" if outcome.result == "ok" else f"`{outcome.result}`"
        return f"{shown} ({outcome.attempts})"

    lines = [
        "| fault | " + " | ".join(CALLS) + " |",
        "|---|" + "---|" * len(CALLS),
    ]
    for fault in FAULTS:
        lines.append(
            f"| {fault} | " + " | ".join(cell(observed.get((fault, c))) for c in CALLS) + " |"
        )
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module", autouse=True)
def _write_table() -> Iterator[None]:
    yield
    target = os.environ.get("FAULT_MATRIX_TABLE")
    if target and OBSERVED:
        slowest = max(SECONDS.items(), key=lambda kv: kv[1], default=(("", ""), 0.0))
        with open(target, "w", encoding="utf-8") as f:
            f.write(markdown_table(OBSERVED))
            f.write(
                f"\nCells run: {len(OBSERVED)}; total time in cells "
                f"{sum(SECONDS.values()):.1f} s; slowest: {slowest[0][0]} x {slowest[0][1]}"
                f" ({slowest[1]:.2f} s).\n"
            )
            for (fault, call), outcome in OBSERVED.items():
                if outcome.note and outcome.result != "N/A":
                    f.write(f"\n{fault} x {call}: {outcome.note}.\n")
        print(orjson.dumps({"table": target}).decode())
