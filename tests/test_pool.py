"""TrioTransport (trio_openai/_pool.py) over real sockets on 127.0.0.1.

Most tests drive the transport directly with httpx.Request objects and read the response
stream (our iterator class) to its end; the local server provides the faults, a few tiny
trio servers here what it cannot (TLS, a handshake that never ends, hand-made bodies).
"""

from __future__ import annotations

import itertools
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import trio
import trio.testing
import trustme
from hypothesis import given, strategies as st

from trio_openai import _http11
from trio_openai._h1codec import Head, ResponseParser
from trio_openai._pool import TrioTransport
from trio_openai._transport import BodyReader, make_http_client, pool_statistics
from trio_openai.testing import LocalServer, Reply

EVENTS = [{"n": n} for n in range(5)]


async def fetch(
    transport: TrioTransport, url: str, method: str = "GET", **kwargs: Any
) -> tuple[httpx.Response, bytes]:
    response = await transport.handle_async_request(httpx.Request(method, url, **kwargs))
    try:
        body = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
    finally:
        await response.aclose()
    return response, body


def stats(transport: TrioTransport) -> tuple[int, int, int]:
    s = transport.statistics()
    return s["idle"], s["busy"], s["waiting"]


def raw_response(body: bytes, *, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%b\r\n%b" % (len(body), extra, body)


# -- keep-alive and the pool --------------------------------------------------------------


async def test_sequential_requests_share_one_connection(local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/x", Reply.json({"ok": True}))
    async with TrioTransport() as transport:
        for _ in range(5):
            response, body = await fetch(transport, local_server.base_url + "/x")
            assert response.status_code == 200 and body == b'{"ok":true}'
            assert stats(transport) == (1, 0, 0)
    assert local_server.connections_opened == 1
    await local_server.wait_open_connections(0)  # aclose closed the idle connection


async def test_checkout_and_checkin_do_not_look_at_other_idle_connections(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of idle connections (to other origins) cost nothing per request: the
    pool looks at exactly one connection per checkout and closes none of the others."""
    looked_at: list[object] = []
    real_readable = _http11.Connection.readable

    def counting_readable(self: _http11.Connection) -> bool:
        looked_at.append(self)
        return real_readable(self)

    monkeypatch.setattr(_http11.Connection, "readable", counting_readable)

    class FakeSocket:
        closed = 0

        def close(self) -> None:
            FakeSocket.closed += 1

    transport = TrioTransport(max_connections=10_000, max_keepalive=10_000)
    for n in range(5000):
        fake = _http11.Connection(None, FakeSocket(), (b"http", f"h{n}.invalid", 80, None))  # type: ignore[arg-type]
        await transport._slots.acquire()
        transport._busy += 1
        transport.release(fake, reuse=True)
    assert stats(transport) == (5000, 0, 0)
    url = local_server.base_url + "/models"
    await fetch(transport, url)  # opens one connection, then idles it
    looked_at.clear()
    for _ in range(20):
        await fetch(transport, url)
    assert len(looked_at) == 20  # one connection looked at per request
    assert FakeSocket.closed == 0
    assert local_server.connections_opened == 1
    await transport.aclose()
    assert FakeSocket.closed == 5000


async def test_max_connections_queues_requests_first_come_first_served(
    local_server: LocalServer,
) -> None:
    local_server.script("GET", "/v1/hold", Reply.sse(EVENTS, stall_after=1))
    order: list[str] = []
    async with TrioTransport(max_connections=1) as transport:
        held = await transport.handle_async_request(
            httpx.Request("GET", local_server.base_url + "/hold")
        )

        async def get(name: str) -> None:
            await fetch(transport, f"{local_server.base_url}/models?who={name}")
            order.append(name)

        async with trio.open_nursery() as nursery:
            for name in "abcd":
                nursery.start_soon(get, name)
                await trio.testing.wait_all_tasks_blocked()
            assert stats(transport) == (0, 1, 4)
            await held.aclose()
        assert order == list("abcd")
        assert stats(transport) == (1, 0, 0)


async def test_pool_timeout(local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/hold", Reply.stall())
    async with TrioTransport(max_connections=1) as transport, trio.open_nursery() as nursery:
        nursery.start_soon(fetch, transport, local_server.base_url + "/hold")
        await trio.testing.wait_all_tasks_blocked()
        request = httpx.Request("GET", local_server.base_url + "/models")
        request.extensions["timeout"] = {"pool": 0.05}
        with pytest.raises(httpx.PoolTimeout):
            await transport.handle_async_request(request)
        assert stats(transport) == (0, 1, 0)
        nursery.cancel_scope.cancel()
    assert stats(transport) == (0, 0, 0)


async def test_max_keepalive_closes_the_extra_idle_connections(local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/slow", Reply.json({}, delay=0.05))
    async with TrioTransport(max_keepalive=2) as transport:
        async with trio.open_nursery() as nursery:
            for _ in range(5):
                nursery.start_soon(fetch, transport, local_server.base_url + "/slow")
        assert stats(transport) == (2, 0, 0)
        await local_server.wait_open_connections(2)


async def test_expired_idle_connections_are_not_reused(local_server: LocalServer) -> None:
    async with TrioTransport(keepalive_expiry=0.05) as transport:
        await fetch(transport, local_server.base_url + "/models")
        await trio.sleep(0.1)
        await fetch(transport, local_server.base_url + "/models")
        assert local_server.connections_opened == 2
        assert stats(transport) == (1, 0, 0)


async def test_an_idle_connection_the_server_closed_is_replaced(local_server: LocalServer) -> None:
    # A complete keep-alive response, then the server hangs up while the connection idles.
    local_server.script("GET", "/v1/once", Reply.raw(raw_response(b"first"), close=True))
    async with TrioTransport() as transport:
        assert (await fetch(transport, local_server.base_url + "/once"))[1] == b"first"
        await local_server.wait_open_connections(0)
        assert stats(transport) == (1, 0, 0)
        response, _ = await fetch(transport, local_server.base_url + "/models")
        assert response.status_code == 200
    assert local_server.connections_opened == 2
    assert [r.path for r in local_server.requests] == ["/v1/once", "/v1/models"]


async def test_a_reset_on_a_reused_connection_is_retried_once_on_a_new_one(
    local_server: LocalServer,
) -> None:
    local_server.script("GET", "/v1/r", Reply.reset(), Reply.json({"ok": 1}))
    async with TrioTransport() as transport:
        await fetch(transport, local_server.base_url + "/models")
        response, body = await fetch(transport, local_server.base_url + "/r")
        assert (response.status_code, body) == (200, b'{"ok":1}')
    assert local_server.connections_opened == 2
    assert [r.path for r in local_server.requests].count("/v1/r") == 2


async def test_a_post_is_never_resent_by_the_transport(local_server: LocalServer) -> None:
    # The server may have acted on it before dropping the connection: only the client's
    # retry policy (which counts attempts in x-stainless-retry-count) may send it again.
    local_server.script("POST", "/v1/r", Reply.reset(), Reply.json({"ok": 1}))
    async with TrioTransport() as transport:
        await fetch(transport, local_server.base_url + "/models")
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await fetch(transport, local_server.base_url + "/r", "POST", content=b"{}")
    assert [r.path for r in local_server.requests].count("/v1/r") == 1


async def test_a_reset_is_not_retried_on_a_new_connection_nor_with_a_streamed_body(
    local_server: LocalServer,
) -> None:
    local_server.script("POST", "/v1/r", Reply.reset())

    async def upload() -> AsyncIterator[bytes]:
        yield b"{}"

    async with TrioTransport() as transport:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await fetch(transport, local_server.base_url + "/r", "POST", content=b"{}")
        await fetch(transport, local_server.base_url + "/models")  # an idle connection
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await fetch(transport, local_server.base_url + "/r", "POST", content=upload())
        assert stats(transport) == (0, 0, 0)
    assert [r.path for r in local_server.requests].count("/v1/r") == 2


# -- requests -------------------------------------------------------------------------------


async def test_request_heads_and_bodies_reach_the_server(local_server: LocalServer) -> None:
    async def upload() -> AsyncIterator[bytes]:
        for n in range(3):
            yield b"part%d;" % n

    async with TrioTransport() as transport:
        url = local_server.base_url + "/echo?q=1"
        await fetch(transport, url, "POST", content=b"abc", headers={"X-Test": "yes"})
        await fetch(transport, url, "POST", content=upload())
        await fetch(transport, url, "PUT", content=b"x" * 3_000_000)
    first, second, third = local_server.requests
    assert (first.method, first.path, first.query) == ("POST", "/v1/echo", {"q": ["1"]})
    assert first.body == b"abc" and first.headers["x-test"] == "yes"
    assert first.headers["host"] == f"127.0.0.1:{local_server.port}"
    assert second.body == b"part0;part1;part2;"
    assert second.headers["transfer-encoding"] == "chunked"
    assert third.body == b"x" * 3_000_000


async def test_headers_that_would_split_the_request_are_refused() -> None:
    async with TrioTransport() as transport:
        request = httpx.Request("GET", "http://127.0.0.1:9/", headers={"x": "a\r\nEvil: 1"})
        with pytest.raises(httpx.LocalProtocolError):
            await transport.handle_async_request(request)
        assert stats(transport) == (0, 0, 0)


# -- response bodies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "reused"),
    [
        (Reply.text("x" * 200_000), True),  # Content-Length
        (Reply.sse(EVENTS), True),  # chunked
        (Reply.sse(EVENTS, chunked=False), False),  # close-delimited
        (Reply.raw(b"HTTP/1.0 200 OK\r\n\r\n" + b"old" * 1000), False),  # HTTP/1.0
        (Reply.raw(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nhi"), False),
        (Reply.raw(b"HTTP/1.1 204 No Content\r\n\r\n", close=False), True),
        (Reply.text(""), True),
    ],
    ids=["length", "chunked", "close-delimited", "http/1.0", "connection-close", "204", "empty"],
)
async def test_each_body_framing(local_server: LocalServer, reply: Reply, reused: bool) -> None:
    local_server.script("GET", "/v1/b", reply)
    async with make_http_client() as http:
        direct = await http.get(local_server.base_url + "/b")
        assert direct.status_code in (200, 204)
    async with TrioTransport() as transport:
        _, body = await fetch(transport, local_server.base_url + "/b")
        assert body == direct.content
        assert stats(transport) == ((1 if reused else 0), 0, 0)


async def test_a_head_request_has_no_body(local_server: LocalServer) -> None:
    wire = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n"
    local_server.script("HEAD", "/v1/h", Reply.raw(wire, close=False))
    async with TrioTransport() as transport:
        response, body = await fetch(transport, local_server.base_url + "/h", "HEAD")
        assert response.headers["content-length"] == "100" and body == b""
        assert stats(transport) == (1, 0, 0)


BROKEN = {
    "chunked cut short": (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nwor",
        httpx.RemoteProtocolError,
    ),
    "length cut short": (
        b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello",
        httpx.RemoteProtocolError,
    ),
    "bad chunk size": (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n",
        httpx.RemoteProtocolError,
    ),
    "garbage head": (b"SMTP ready\r\n\r\n", httpx.RemoteProtocolError),
    "head cut short": (b"HTTP/1.1 200 OK\r\ncontent-le", httpx.RemoteProtocolError),
    "no response": (b"", httpx.RemoteProtocolError),
}


@pytest.mark.parametrize("case", list(BROKEN))
async def test_broken_responses_raise_httpx_errors(local_server: LocalServer, case: str) -> None:
    wire, error = BROKEN[case]
    local_server.script("GET", "/v1/b", Reply.raw(wire, close=True))
    async with TrioTransport() as transport:
        with pytest.raises(error):
            await fetch(transport, local_server.base_url + "/b")
        assert stats(transport) == (0, 0, 0)
    await local_server.wait_open_connections(0)


async def test_a_reset_mid_body_is_a_read_error(local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/s", Reply.sse(EVENTS, reset_after=2))
    async with TrioTransport() as transport:
        with pytest.raises(httpx.ReadError):
            await fetch(transport, local_server.base_url + "/s")
        assert stats(transport) == (0, 0, 0)


class PiecesConnection:
    """A connection whose reads return the given pieces, then EOF; a chunked response's
    head already parsed."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.codec = ResponseParser()
        self.codec.start("GET")
        self.codec.receive_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        assert isinstance(self.codec.next_event(), Head)

    async def fill(self) -> None:
        if not self.pieces:
            self.codec.receive_eof()
        else:
            self.codec.receive_data(self.pieces.pop(0))


class NullPool:
    released: list[bool]

    def __init__(self) -> None:
        self.released = []

    def release(self, conn: object, *, reuse: bool) -> None:
        self.released.append(reuse)


def chunked_wire(payloads: list[bytes], trailers: bytes = b"") -> bytes:
    wire = b"".join(b"%x;ext=1\r\n%b\r\n" % (len(p), p) for p in payloads if p)
    return wire + b"0\r\n" + trailers + b"\r\n"


@given(
    payloads=st.lists(st.binary(min_size=1, max_size=300), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=12),
    trailers=st.sampled_from([b"", b"x-trailer: 1\r\n"]),
)
async def test_dechunking_survives_any_split_of_the_wire(
    payloads: list[bytes], cuts: list[int], trailers: bytes
) -> None:
    wire = chunked_wire(payloads, trailers) + b"NEXT"
    points = sorted({min(c, len(wire)) for c in cuts} | {0, len(wire)})
    pieces = [wire[a:b] for a, b in itertools.pairwise(points) if b > a]
    conn, pool = PiecesConnection(pieces), NullPool()
    stream = _http11.ResponseStream(pool, conn, True)  # type: ignore[arg-type]
    got = b"".join([chunk async for chunk in stream])
    assert got == b"".join(payloads)
    assert pool.released == [True]
    assert conn.codec.buffered + b"".join(conn.pieces) == b"NEXT"  # what follows is left alone


async def test_dechunking_hands_up_all_complete_chunks_of_one_read() -> None:
    conn, pool = PiecesConnection([chunked_wire([b"a", b"bb", b"ccc"])]), NullPool()
    stream = _http11.ResponseStream(pool, conn, True)  # type: ignore[arg-type]
    assert [chunk async for chunk in stream] == [b"abbccc"]
    assert pool.released == [True]


# -- cancellation and early close -----------------------------------------------------------


async def test_closing_a_half_read_body_closes_the_connection(local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/s", Reply.sse(EVENTS, stall_after=2))
    async with TrioTransport() as transport:
        response = await transport.handle_async_request(
            httpx.Request("GET", local_server.base_url + "/s")
        )
        assert await response.stream.__aiter__().__anext__()  # type: ignore[union-attr]
        assert stats(transport) == (0, 1, 0)
        await response.aclose()
        assert stats(transport) == (0, 0, 0)
        await local_server.wait_open_connections(0)


class CancelAtStep(trio.abc.Instrument):
    def __init__(self, task: trio.lowlevel.Task, n: int, scope: trio.CancelScope) -> None:
        self.task, self.n, self.scope, self.steps = task, n, scope, 0

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        if task is self.task:
            self.steps += 1
            if self.steps == self.n:
                self.scope.cancel()


async def run_cancelled_at(operation: Callable[[], Awaitable[None]], n: int) -> bool:
    """True when the operation completed before step `n`."""
    with trio.CancelScope() as scope:
        instrument = CancelAtStep(trio.lowlevel.current_task(), n, scope)
        trio.lowlevel.add_instrument(instrument)
        try:
            await operation()
            return True
        finally:
            trio.lowlevel.remove_instrument(instrument)
    return False


@pytest.mark.parametrize("keepalive", [0, 10])
async def test_cancellation_at_every_step_leaves_nothing_checked_out(
    local_server: LocalServer, keepalive: int
) -> None:
    local_server.script("POST", "/v1/s", Reply.sse(EVENTS))
    async with TrioTransport(max_keepalive=keepalive) as transport:

        async def stream_all() -> None:
            _, body = await fetch(transport, local_server.base_url + "/s", "POST", content=b"{}")
            assert body.count(b"data:") == len(EVENTS) + 1

        async def through_the_body_reader() -> None:
            request = httpx.Request("POST", local_server.base_url + "/s", content=b"{}")
            reader = BodyReader(await transport.handle_async_request(request))
            try:
                await reader.next_chunk()
            finally:
                await reader.aclose()

        for operation in (stream_all, through_the_body_reader):
            for n in range(1, 1000):
                completed = await run_cancelled_at(operation, n)
                assert stats(transport)[1:] == (0, 0), n
                await operation()  # the pool still works (no half-read connection in it)
                if completed:
                    break
            else:
                raise AssertionError("never completed")
    await local_server.wait_open_connections(0)


async def test_random_cancellation_of_concurrent_streams(local_server: LocalServer) -> None:
    local_server.script("POST", "/v1/s", Reply.sse(EVENTS, pace=0.002))
    rng = random.Random(7)
    async with make_http_client(max_connections=8) as http:
        transport = http._transport
        assert isinstance(transport, TrioTransport)

        async def one() -> None:
            with trio.move_on_after(rng.uniform(0, 0.02)):
                async with http.stream("POST", local_server.base_url + "/s", content=b"{}") as r:
                    await r.aread()

        async with trio.open_nursery() as nursery:
            for _ in range(200):
                nursery.start_soon(one)
        assert pool_statistics(http)["busy"] == 0
        assert pool_statistics(http)["waiting"] == 0
    await local_server.wait_open_connections(0)


# -- connecting -------------------------------------------------------------------------------


async def test_a_refused_connection_is_a_connect_error() -> None:
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    await listener.aclose()
    async with TrioTransport() as transport:
        with pytest.raises(httpx.ConnectError):
            await fetch(transport, f"http://127.0.0.1:{port}/")
        assert stats(transport) == (0, 0, 0)


async def serve_tls(nursery: trio.Nursery, context: ssl.SSLContext | None, reply: bytes) -> int:
    """A tiny server on 127.0.0.1: with a context, TLS answering `reply` to each request;
    without, a TCP server that never speaks (a TLS handshake on it hangs)."""

    async def handle(stream: trio.SocketStream) -> None:
        if context is None:
            await trio.sleep_forever()
        tls = trio.SSLStream(stream, context, server_side=True)
        buffer = b""
        try:
            while data := await tls.receive_some(65536):
                buffer += data
                while b"\r\n\r\n" in buffer:
                    _, _, buffer = buffer.partition(b"\r\n\r\n")
                    await tls.send_all(reply)
        except trio.BrokenResourceError:
            pass

    listeners = await nursery.start(trio.serve_tcp, handle, 0)
    return int(listeners[0].socket.getsockname()[1])


async def test_https_with_sni_and_keep_alive() -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    async with trio.open_nursery() as nursery:
        port = await serve_tls(nursery, server_context, raw_response(b"secure"))
        async with TrioTransport(ssl_context=client_context) as transport:
            for _ in range(3):
                _, body = await fetch(transport, f"https://localhost:{port}/")
                assert body == b"secure"
            assert stats(transport) == (1, 0, 0)
        async with TrioTransport(ssl_context=ssl.create_default_context()) as untrusting:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await fetch(untrusting, f"https://localhost:{port}/")
            assert stats(untrusting) == (0, 0, 0)
        nursery.cancel_scope.cancel()


async def test_a_handshake_that_never_ends_is_a_connect_timeout() -> None:
    async with trio.open_nursery() as nursery:
        port = await serve_tls(nursery, None, b"")
        async with TrioTransport() as transport:
            request = httpx.Request("GET", f"https://localhost:{port}/")
            request.extensions["timeout"] = {"connect": 0.1}
            with pytest.raises(httpx.ConnectTimeout):
                await transport.handle_async_request(request)
            assert stats(transport) == (0, 0, 0)
        nursery.cancel_scope.cancel()


# -- make_http_client -------------------------------------------------------------------------


def transport_of(http: httpx.AsyncClient) -> object:
    return http._transport


async def test_make_http_client_chooses_the_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TRIO_OPENAI_TRANSPORT", raising=False)
    async with make_http_client() as http:
        assert isinstance(transport_of(http), TrioTransport)
        assert pool_statistics(http) == {
            "connections": 0,
            "idle": 0,
            "busy": 0,
            "unconnected": 0,
            "waiting": 0,
        }
    async with make_http_client(transport="httpx") as http:
        assert isinstance(transport_of(http), httpx.AsyncHTTPTransport)
    monkeypatch.setenv("TRIO_OPENAI_TRANSPORT", "httpx")
    async with make_http_client() as http:
        assert isinstance(transport_of(http), httpx.AsyncHTTPTransport)
    async with make_http_client(transport="trio") as http:
        assert isinstance(transport_of(http), TrioTransport)
    monkeypatch.setenv("TRIO_OPENAI_TRANSPORT", "carrier-pigeon")
    with pytest.raises(ValueError, match="carrier-pigeon"):
        make_http_client()


async def test_a_stream_closed_at_its_last_event_leaves_its_connection_for_the_next(
    local_server: LocalServer,
) -> None:
    """Streams end at their last event (`response.completed`), a moment before the body's
    final chunk: the pool reads that chunk (it is on its way) instead of closing the
    connection, so back-to-back streams share one connection."""
    import trio_openai

    async with (
        trio_openai.DefaultHttpClient() as http,
        trio_openai.OpenAI(api_key="sk", base_url=local_server.base_url, http_client=http) as c,
    ):
        for n in range(5):
            async with c.responses.stream(model="echo-1", input=f"hi {n}") as stream:
                async for _ in stream:
                    pass
            assert c.statistics()["idle"] == 1
    assert local_server.connections_opened == 1


async def test_a_stream_left_early_is_closed_not_drained(local_server: LocalServer) -> None:
    """Leaving a stream that goes on: a few milliseconds at most for its end, then the
    connection is closed (and the next request opens another)."""
    import trio_openai

    local_server.script("POST", "/v1/s", Reply.sse(EVENTS, pace=1.0))
    async with trio_openai.OpenAI(api_key="sk", base_url=local_server.base_url) as client:
        async with client.stream("POST", "/s", body={}) as stream:
            async for _ in stream:
                leaving = trio.current_time()
                break
        assert trio.current_time() - leaving < 0.5  # events come a second apart
        stats = client.statistics()
        pool = {k: stats[k] for k in ("connections", "idle", "busy", "unconnected", "waiting")}
        assert pool == {"connections": 0, "idle": 0, "busy": 0, "unconnected": 0, "waiting": 0}
    await local_server.wait_open_connections(0)
