# pyright: strict
"""The relay (trio_openai.lib.relay_*): coalescing, backpressure and cancellation, over sockets.

The upstream is the local server's echo model over TCP; the "browser" is a TCP connection
on 127.0.0.1 that the test reads (fast, slowly, or not at all). Timing is asserted under the
autojump clock, so frame spacing is exact in virtual seconds.
"""

from __future__ import annotations

import itertools
import re
import socket
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Literal

import orjson
import pytest
import trio
import trio.testing
import trio_websocket

import trio_openai
from trio_openai.lib import RelayFrame, RelayResult, relay_sse, relay_text, relay_websocket
from trio_openai.testing import LocalServer

WORDS = 60
PROMPT = " ".join(f"w{i}" for i in range(WORDS))
REPLY = "You said: " + PROMPT
DELTAS = WORDS + 2  # "You", " said:", then one per word


def client_for(server: LocalServer) -> trio_openai.OpenAI:
    return trio_openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0)


@asynccontextmanager
async def browser_connection(
    *, small_buffers: bool = False
) -> AsyncGenerator[tuple[trio.SocketStream, trio.SocketStream]]:
    """(relay side, browser side) of one TCP connection on 127.0.0.1."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    async with listeners[0]:
        browser = await trio.testing.open_stream_to_socket_listener(listeners[0])
        relay_side = await listeners[0].accept()
        if small_buffers:
            relay_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            browser.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        async with relay_side, browser:
            yield relay_side, browser


def frame_sender(
    stream: trio.SocketStream, log: list[tuple[float, RelayFrame]]
) -> Callable[[RelayFrame], Awaitable[None]]:
    async def send(frame: RelayFrame) -> None:
        log.append((trio.current_time(), frame))
        await stream.send_all(frame.to_json() + b"\n")

    return send


async def read_frames(
    stream: trio.SocketStream,
    into: list[dict[str, object]],
    *,
    chunk: int = 65536,
    pause: float = 0.0,
) -> None:
    """Read newline-delimited frames until EOF, `chunk` bytes at a time, `pause` s apart."""
    buffer = b""
    while data := await stream.receive_some(chunk):
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        into.extend(orjson.loads(line) for line in lines)
        if pause:
            await trio.sleep(pause)


def texts(frames: list[tuple[float, RelayFrame]]) -> list[str]:
    return [frame.text for _, frame in frames if frame.kind == "delta"]


async def relay_echo(
    server: LocalServer,
    *,
    max_fps: float,
    pause: float = 0.0,
    chunk: int = 65536,
    max_pending_chars: int = 1 << 20,
    small_buffers: bool = False,
) -> tuple[RelayResult, list[tuple[float, RelayFrame]], list[dict[str, object]]]:
    sent: list[tuple[float, RelayFrame]] = []
    received: list[dict[str, object]] = []
    async with (
        client_for(server) as client,
        browser_connection(small_buffers=small_buffers) as (relay_side, browser),
        trio.open_nursery() as nursery,
    ):
        nursery.start_soon(lambda: read_frames(browser, received, chunk=chunk, pause=pause))
        async with client.responses.stream(model="echo-1", input=PROMPT) as stream:
            result = await relay_text(
                stream,
                frame_sender(relay_side, sent),
                max_fps=max_fps,
                max_pending_chars=max_pending_chars,
            )
        assert client.statistics()["busy"] == 0
        await relay_side.send_eof()
    return result, sent, received


async def test_coalesces_to_the_frame_rate_without_delaying_the_first_token(
    local_server: LocalServer, autojump_clock: trio.testing.MockClock
) -> None:
    local_server.echo_pace = 0.01  # 100 deltas a second, relayed at 10 frames a second
    result, sent, received = await relay_echo(local_server, max_fps=10)

    assert "".join(texts(sent)) == REPLY  # nothing dropped, nothing repeated
    first = sent[0][1]
    assert (first.text, first.deltas) == ("You", 1)  # the first token alone, at once
    times = [t for t, frame in sent if frame.kind == "delta"]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.1 - 1e-9
    assert len(times) <= (times[-1] - times[0]) * 10 + 1 + 1e-9
    assert len(times) < DELTAS / 5  # ~10 deltas travel per frame
    assert result.reason == "completed" and result.deltas == DELTAS
    assert [f["type"] for f in received][-1] == "done"
    assert "".join(str(f["text"]) for f in received if f["type"] == "delta") == REPLY


async def test_a_token_after_a_pause_is_sent_at_once(
    local_server: LocalServer, autojump_clock: trio.testing.MockClock
) -> None:
    local_server.echo_pace = 0.5  # slower than the frame interval: no frame waits
    result, sent, _ = await relay_echo(local_server, max_fps=10)
    deltas = [(t, frame) for t, frame in sent if frame.kind == "delta"]
    assert [frame.deltas for _, frame in deltas] == [1] * DELTAS
    gaps = {round(b[0] - a[0], 9) for a, b in itertools.pairwise(deltas)}
    assert gaps == {0.5}  # each sent the moment it arrived, not at a frame boundary
    assert result.frames == DELTAS and "".join(texts(sent)) == REPLY


async def test_a_slow_browser_gets_bigger_frames_and_all_the_text(
    local_server: LocalServer, autojump_clock: trio.testing.MockClock
) -> None:
    local_server.echo_pace = 0.001
    fast, fast_sent, _ = await relay_echo(local_server, max_fps=1000)
    slow, slow_sent, received = await relay_echo(
        local_server, max_fps=1000, small_buffers=True, chunk=64, pause=0.05
    )
    assert "".join(texts(fast_sent)) == "".join(texts(slow_sent)) == REPLY
    assert "".join(str(f["text"]) for f in received if f["type"] == "delta") == REPLY
    assert slow.frames < fast.frames  # blocked sends: the backlog travels in fewer frames
    assert slow.max_backlog_chars > fast.max_backlog_chars
    assert slow.reason == fast.reason == "completed"


async def test_the_backlog_is_bounded_and_pauses_the_upstream_read(
    local_server: LocalServer, autojump_clock: trio.testing.MockClock
) -> None:
    local_server.echo_pace = 0.001
    bound = 40
    result, sent, received = await relay_echo(
        local_server,
        max_fps=1000,
        small_buffers=True,
        chunk=32,
        pause=0.05,
        max_pending_chars=bound,
    )
    longest_delta = max(len(" said:"), *(len(f" w{i}") for i in range(WORDS)))
    assert bound <= result.max_backlog_chars <= bound + longest_delta - 1
    assert "".join(texts(sent)) == REPLY
    assert "".join(str(f["text"]) for f in received if f["type"] == "delta") == REPLY


async def test_a_browser_that_reads_nothing_is_given_up_and_the_upstream_released(
    local_server: LocalServer, autojump_clock: trio.testing.MockClock
) -> None:
    local_server.echo_pace = 0.01
    big = " ".join(f"word{i}" for i in range(20000))  # far more than the socket buffers hold
    async with (
        client_for(local_server) as client,
        browser_connection(small_buffers=True) as (relay_side, _),
    ):
        accepted: list[float] = []

        async def send(frame: RelayFrame) -> None:
            await relay_side.send_all(frame.to_json() + b"\n")
            accepted.append(trio.current_time())

        async with client.responses.stream(model="echo-1", input=big) as stream:
            result = await relay_text(stream, send, send_timeout=5)
            assert client.statistics()["busy"] == 0  # released before the block ends
        assert result.reason == "slow_client" and result.frames == len(accepted) > 0
        assert trio.current_time() - accepted[-1] == pytest.approx(
            1 / 30 + 5
        )  # next slot, then 5 s
        with trio.fail_after(3):
            await local_server.wait_open_connections(0)  # the upstream saw the disconnect


@pytest.mark.parametrize("how", ["stopped", "disconnected"])
async def test_stop_or_disconnect_cancels_the_upstream_at_once(
    local_server: LocalServer,
    autojump_clock: trio.testing.MockClock,
    how: Literal["stopped", "disconnected"],
) -> None:
    local_server.echo_pace = 1.0  # a slow model: 62 s for the whole reply
    sent: list[tuple[float, RelayFrame]] = []
    received: list[dict[str, object]] = []
    async with client_for(local_server) as client, browser_connection() as (relay_side, browser):
        stop = trio.Event()

        async def stopped() -> Literal["stopped", "disconnected"]:
            await stop.wait()
            return how

        stop_pressed: list[float] = []

        async def browser_presses_stop() -> None:
            await read_until(browser, received, count=3)
            stop_pressed.append(trio.current_time())
            stop.set()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(browser_presses_stop)
            async with client.responses.stream(model="echo-1", input=PROMPT) as stream:
                result = await relay_text(stream, frame_sender(relay_side, sent), stopped=stopped)
                stopped_at = trio.current_time()
                assert client.statistics()["busy"] == 0
        assert result.reason == how
        assert stop_pressed == [stopped_at]  # no wait for the model's next token
        with trio.fail_after(3):  # the server notices when it next writes (1 s pace)
            await local_server.wait_open_connections(0)
        assert len(texts(sent)) == 3
        ends = [frame.reason for _, frame in sent if frame.kind == "done"]
        assert ends == (["stopped"] if how == "stopped" else [])


async def read_until(
    stream: trio.SocketStream, into: list[dict[str, object]], *, count: int
) -> None:
    buffer = b""
    while len(into) < count:
        buffer += await stream.receive_some(65536)
        *lines, buffer = buffer.split(b"\n")
        into.extend(orjson.loads(line) for line in lines)


async def test_a_closed_browser_socket_ends_the_relay_as_disconnected(
    local_server: LocalServer, autojump_clock: trio.testing.MockClock
) -> None:
    local_server.echo_pace = 1.0
    async with client_for(local_server) as client, browser_connection() as (relay_side, browser):
        received: list[dict[str, object]] = []

        async def close_after_first() -> None:
            await read_until(browser, received, count=1)
            browser.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            await browser.aclose()  # RST: the next write fails

        async with trio.open_nursery() as nursery:
            nursery.start_soon(close_after_first)
            async with client.responses.stream(model="echo-1", input=PROMPT) as stream:
                result = await relay_text(stream, frame_sender(relay_side, []))
                assert client.statistics()["busy"] == 0
        assert result.reason == "disconnected"
        with trio.fail_after(3):
            await local_server.wait_open_connections(0)


async def test_cancelling_the_caller_closes_the_upstream(
    local_server: LocalServer, autojump_clock: trio.testing.MockClock
) -> None:
    local_server.echo_pace = 1.0
    async with client_for(local_server) as client, browser_connection() as (relay_side, _):
        async with client.responses.stream(model="echo-1", input=PROMPT) as stream:
            with trio.move_on_after(2.5):
                await relay_text(stream, frame_sender(relay_side, []))
            assert client.statistics()["busy"] == 0
        with trio.fail_after(3):
            await local_server.wait_open_connections(0)


async def test_chat_streams_relay_too(local_server: LocalServer) -> None:
    async with client_for(local_server) as client, browser_connection() as (relay_side, _):
        sent: list[tuple[float, RelayFrame]] = []
        async with client.chat.completions.stream(
            model="echo-1", messages=[{"role": "user", "content": PROMPT}]
        ) as stream:
            result = await relay_text(stream, frame_sender(relay_side, sent))
        assert "".join(texts(sent)) == REPLY and result.reason == "completed"


async def test_an_upstream_error_becomes_an_error_frame(local_server: LocalServer) -> None:
    from trio_openai.testing import Reply

    local_server.script(
        "POST",
        "/v1/responses",
        Reply.sse([{"error": {"type": "server_error", "message": "model overloaded"}}]),
    )
    async with client_for(local_server) as client, browser_connection() as (relay_side, _):
        sent: list[tuple[float, RelayFrame]] = []
        async with client.responses.stream(model="echo-1", input="hi") as stream:
            result = await relay_text(stream, frame_sender(relay_side, sent))
        assert result.reason == "error" and result.error is not None
        kinds = [(frame.kind, frame.reason) for _, frame in sent]
        assert kinds == [("error", None), ("done", "error")]
        assert "model overloaded" in sent[0][1].text


async def test_bad_settings_name_the_call(local_server: LocalServer) -> None:
    async with (
        client_for(local_server) as client,
        client.responses.stream(model="echo-1", input="hi") as stream,
    ):
        with pytest.raises(ValueError, match=r"relay_text\(max_fps=0\)"):
            _ = await relay_text(stream, frame_sender_noop, max_fps=0)
        with pytest.raises(ValueError, match=r"relay_text\(max_pending_chars=0\)"):
            _ = await relay_text(stream, frame_sender_noop, max_pending_chars=0)


async def frame_sender_noop(frame: RelayFrame) -> None:
    del frame


async def test_a_failing_send_propagates_unwrapped_after_releasing_the_upstream(
    local_server: LocalServer, autojump_clock: trio.testing.MockClock
) -> None:
    local_server.echo_pace = 1.0

    async def broken(frame: RelayFrame) -> None:
        raise ValueError(f"cannot encode frame {frame.seq}")

    async with client_for(local_server) as client:
        async with client.responses.stream(model="echo-1", input=PROMPT) as stream:
            with pytest.raises(ValueError, match="cannot encode frame 0"):
                _ = await relay_text(stream, broken)
            assert client.statistics()["busy"] == 0
        with trio.fail_after(3):
            await local_server.wait_open_connections(0)


# -- the ASGI adapters under hypercorn's trio worker ---------------------------------------


@asynccontextmanager
async def relay_app(
    server: LocalServer, results: list[RelayResult]
) -> AsyncGenerator[tuple[str, trio.MemoryReceiveChannel[RelayResult]]]:
    """An ASGI app relaying the echo model over SSE (GET /sse) and a WebSocket (/ws)."""
    from hypercorn.config import Config
    from hypercorn.trio import serve  # pyright: ignore[reportUnknownVariableType]
    from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope

    done_send, done_receive = trio.open_memory_channel[RelayResult](100)

    async def record(result: RelayResult) -> None:
        results.append(result)
        await done_send.send(result)

    async with client_for(server) as client:

        async def app(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
            elif scope["type"] == "http":
                async with client.responses.stream(model="echo-1", input=PROMPT) as stream:
                    await record(await relay_sse(stream, receive, send))
            elif scope["type"] == "websocket":
                await receive()  # websocket.connect
                await send({"type": "websocket.accept", "subprotocol": None, "headers": []})
                while (await receive())["type"] == "websocket.receive":
                    async with client.responses.stream(model="echo-1", input=PROMPT) as stream:
                        await record(await relay_websocket(stream, receive, send))
                        if results[-1].reason == "disconnected":
                            return

        config = Config()
        config.bind = ["127.0.0.1:0"]
        config.accesslog = None
        config.errorlog = None
        async with trio.open_nursery() as nursery:
            urls: list[str] = await nursery.start(serve, app, config)  # pyright: ignore[reportUnknownArgumentType]
            yield urls[0], done_receive
            nursery.cancel_scope.cancel()


async def sse_request(url: str) -> trio.SocketStream:
    """An EventSource's request, on a raw TCP connection (the test reads the bytes)."""
    host, port = url.removeprefix("http://").split(":")
    stream = await trio.open_tcp_stream(host, int(port))
    await stream.send_all(b"GET /sse HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n")
    return stream


async def read_sse_frames(
    stream: trio.SocketStream, *, until: Callable[[bytes], bool]
) -> list[dict[str, object]]:
    """The JSON of each ``data:`` line (one frame is one HTTP chunk, so lines stay whole)."""
    raw = b""
    while not until(raw):
        raw += await stream.receive_some(65536)
    assert b"content-type: text/event-stream" in raw.lower()
    return [orjson.loads(data) for data in re.findall(rb"data: (\{.*?\})\n", raw)]


async def test_sse_adapter_streams_and_a_closed_request_releases_the_upstream(
    local_server: LocalServer,
) -> None:
    local_server.echo_pace = 0.02
    results: list[RelayResult] = []
    async with relay_app(local_server, results) as (url, finished):
        async with await sse_request(url) as browser:
            frames = await read_sse_frames(browser, until=lambda raw: raw.endswith(b"0\r\n\r\n"))
        assert "".join(str(f["text"]) for f in frames if f["type"] == "delta") == REPLY
        assert frames[-1] == {"type": "done", "seq": len(frames) - 1, "reason": "completed"}

        local_server.echo_pace = 0.2
        async with await sse_request(url) as browser:  # closed after two frames, as a tab
            await read_sse_frames(browser, until=lambda raw: raw.count(b"data: ") >= 2)
        with trio.fail_after(5):
            await finished.receive()
            await finished.receive()
            await local_server.wait_open_connections(1)  # only the first request's idle one
        assert [r.reason for r in results] == ["completed", "disconnected"]


async def test_websocket_adapter_stops_on_request_and_keeps_the_socket(
    local_server: LocalServer,
) -> None:
    local_server.echo_pace = 0.2
    results: list[RelayResult] = []
    async with (
        relay_app(local_server, results) as (url, _),
        trio_websocket.open_websocket_url(url.replace("http", "ws") + "/ws") as ws,
    ):
        await ws.send_message('{"type": "prompt"}')
        first = [orjson.loads(await ws.get_message()) for _ in range(2)]
        assert [f["type"] for f in first] == ["delta", "delta"]
        await ws.send_message('{"type": "stop"}')
        while (frame := orjson.loads(await ws.get_message()))["type"] != "done":
            pass
        assert frame["reason"] == "stopped" and results[-1].reason == "stopped"
        with trio.fail_after(5):
            await local_server.wait_open_connections(0)  # the upstream saw it go at once

        local_server.echo_pace = 0.0  # the same socket serves the next prompt
        await ws.send_message('{"type": "prompt"}')
        text = ""
        while (frame := orjson.loads(await ws.get_message()))["type"] == "delta":
            text += frame["text"]
        assert text == REPLY and frame["reason"] == "completed"
