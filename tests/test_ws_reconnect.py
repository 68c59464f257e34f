"""Reconnection of Realtime and Responses WebSocket sessions: the scripted server drops the
connection (no close frame) after each of its messages in turn, and the session must come
back with its documented state: the last ``session.update`` replayed, in-flight responses
ended by `WebSocketInterruptedError`, messages sent meanwhile delivered in order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.lowlevel

import trio_openai
from trio_openai._realtime import RealtimeConnection, RealtimeConnectionError
from trio_openai._websocket import WebSocketConnectionError
from trio_openai._ws_reconnect import (
    ReconnectingEvent,
    ReconnectingOverrides,
    ReconnectPolicy,
    SendQueue,
    WebSocketInterruptedError,
    WebSocketQueueFullError,
)
from trio_openai.testing._ws_server import WebSocketTestServer, WsAction, open_ws_server

KEY = "sk-test-reconnect"
SESSION = {"type": "realtime", "instructions": "be brief", "output_modalities": ["text"]}
USER_HELLO = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "hello there"}],
}
FAST = 0.001  # seconds of backoff: the drops are local
REALTIME_EVENTS = 14  # what the server sends in one clean `realtime_turn` (checked below)
RESPONSES_EVENTS = 24  # two responses of 12 events each


@pytest.fixture
async def server() -> AsyncIterator[WebSocketTestServer]:
    async with open_ws_server() as s:
        yield s


@pytest.fixture
async def client(server: WebSocketTestServer) -> AsyncIterator[trio_openai.OpenAI]:
    async with trio_openai.OpenAI(api_key=KEY, base_url=server.base_url) as c:
        yield c


def retry_always(event: ReconnectingEvent) -> None:
    return None


async def wait_for(conn: RealtimeConnection, kind: str) -> Any:
    while True:
        event = await conn.recv()
        if event.type == kind:
            return event


async def realtime_turn(conn: RealtimeConnection) -> str:
    """An application that follows the documented contract: after an interruption the
    configuration is back (replayed) but the conversation is empty: send the turn again."""
    await conn.session.update(session=SESSION)
    while True:
        try:
            await wait_for(conn, "session.updated")
            break
        except WebSocketInterruptedError:
            continue  # the replayed session.update is answered on the new connection
    while True:
        try:
            await conn.conversation.item.create(item=USER_HELLO)
            await wait_for(conn, "conversation.item.created")
            await conn.response.create()
            text = ""
            while (event := await conn.recv()).type != "response.done":
                if event.type == "response.output_text.delta":
                    text += event.delta
            return text
        except WebSocketInterruptedError:
            continue


async def test_a_clean_turn_has_the_counted_events(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    async with client.realtime.connect(model="m", on_reconnecting=retry_always) as conn:
        assert await realtime_turn(conn) == "You said: hello there"
        await conn.close()
    await server.sessions[0].wait_closed()
    assert len(server.sessions) == 1
    # Every server event is a drop point of the parametrized test below.
    sent = server.sessions[0]
    assert sent.close_code == 1000
    assert conn.reconnects == 0


@pytest.mark.parametrize("drop_after", range(REALTIME_EVENTS))
async def test_realtime_survives_a_drop_after_every_server_event(
    client: trio_openai.OpenAI, server: WebSocketTestServer, drop_after: int
) -> None:
    server.drop_next_after(drop_after)
    seen: list[ReconnectingEvent] = []

    def on_reconnecting(event: ReconnectingEvent) -> None:
        seen.append(event)

    with trio.fail_after(10):
        async with client.realtime.connect(
            model="m", on_reconnecting=on_reconnecting, initial_delay=FAST, max_delay=FAST
        ) as conn:
            assert await realtime_turn(conn) == "You said: hello there"
            assert conn.reconnects == 1
    assert [e.attempt for e in seen] == [1]
    assert seen[0].close_code == 1006
    assert len(server.sessions) == 2
    assert server.sessions[0].close_code == 1006
    new = server.sessions[1]
    # The session's configuration comes first on the new connection, exactly once.
    if "session.update" in server.sessions[0].types():
        assert new.messages[0] == {"type": "session.update", "session": SESSION}
    assert new.types().count("session.update") == 1
    assert new.types()[-2:] == ["conversation.item.create", "response.create"]


@pytest.mark.parametrize(
    "dropped_at", ["session.update", "conversation.item.create", "response.create"]
)
async def test_realtime_survives_a_drop_at_every_client_message(
    client: trio_openai.OpenAI, server: WebSocketTestServer, dropped_at: str
) -> None:
    server.on_message(dropped_at, WsAction.abort())  # the server reads it, then drops
    with trio.fail_after(10):
        async with client.realtime.connect(
            model="m", on_reconnecting=retry_always, initial_delay=FAST, max_delay=FAST
        ) as conn:
            assert await realtime_turn(conn) == "You said: hello there"
            assert conn.reconnects == 1
    old, new = server.sessions
    assert old.types()[-1] == dropped_at
    assert new.messages[0] == {"type": "session.update", "session": SESSION}
    assert new.types().count("session.update") == 1


@pytest.mark.parametrize("drop_after", range(RESPONSES_EVENTS))
async def test_responses_survive_a_drop_after_every_server_event(
    client: trio_openai.OpenAI, server: WebSocketTestServer, drop_after: int
) -> None:
    server.drop_next_after(drop_after)
    texts: list[str] = []
    codes: list[int | None] = []
    interrupted = 0
    with trio.fail_after(10):
        async with client.responses.connect(
            on_reconnecting=retry_always, initial_delay=FAST, max_delay=FAST
        ) as ws:
            for word in ("one", "two"):
                while True:
                    try:
                        async with ws.create(model="m", input=f"say {word}") as stream:
                            final = await stream.get_final_response()
                        break
                    except WebSocketInterruptedError as exc:
                        codes.append(exc.close_code)
                        interrupted += 1
                texts.append(final.output[0].content[0].text)
            assert ws.reconnects == 1
    assert texts == ["You said: say one", "You said: say two"]
    # A drop in the middle of a response interrupts it; at a boundary nothing was in flight
    # (or the request was queued and sent after reconnecting).
    assert interrupted <= 1 and set(codes) <= {1006}
    if drop_after % 12:
        assert interrupted == 1
    assert len(server.sessions) == 2


async def test_callback_can_change_headers_and_query_then_abort(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    server.drop_next_after(1)
    server.reject_next(503)  # the handshake of attempt 1 fails...
    server.reject_next(503)

    def on_reconnecting(event: ReconnectingEvent) -> ReconnectingOverrides:
        if event.attempt == 3:
            return {"abort": True}
        return {
            "extra_headers": {"x-attempt": str(event.attempt)},
            "extra_query": {"attempt": event.attempt},
        }

    # The first connection is not a reconnection: the rejects apply to attempts 1 and 2.
    server._rejects.clear()
    server.drop_next_after(1)
    async with client.realtime.connect(
        model="m", on_reconnecting=on_reconnecting, initial_delay=FAST, max_delay=FAST
    ) as conn:
        server.reject_next(503)
        server.reject_next(503)
        with pytest.raises(WebSocketInterruptedError):
            await wait_for(conn, "never")
        with pytest.raises(RealtimeConnectionError) as info:
            await wait_for(conn, "never")
        assert info.value.close_code == 1006
        with pytest.raises(RealtimeConnectionError):
            await conn.session.update(session=SESSION)
    assert [s.headers.get("x-attempt") for s in server.sessions] == [None, "1", "2"]
    assert [s.query.get("attempt") for s in server.sessions] == [None, "1", "2"]
    assert server.sessions[1].query["model"] == "m"


async def test_async_callback_and_exhausted_retries(server: WebSocketTestServer) -> None:
    calls: list[int] = []

    async def on_reconnecting(event: ReconnectingEvent) -> None:
        await trio.lowlevel.checkpoint()
        calls.append(event.attempt)

    async with (
        trio_openai.OpenAI(api_key=KEY, base_url=server.base_url) as client,
        client.responses.connect(
            on_reconnecting=on_reconnecting, max_retries=2, initial_delay=FAST, max_delay=FAST
        ) as ws,
    ):
        async with ws.create(model="m", input="x") as stream:
            await stream.until_done()
        for _ in range(2):
            server.reject_next(500)
        server.on_message("response.create", WsAction.abort())
        with pytest.raises(WebSocketInterruptedError):
            async with ws.create(model="m", input="y") as stream:
                await stream.until_done()
        with trio.fail_after(5):
            while not ws._link.over:  # noqa: ASYNC110 (the link has no event to wait on)
                await trio.sleep(0.01)
        with pytest.raises(WebSocketConnectionError):
            async with ws.create(model="m", input="x"):
                pass
    assert calls == [1, 2]


async def test_a_failing_callback_ends_the_session_with_its_cause(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    def on_reconnecting(event: ReconnectingEvent) -> None:
        raise LookupError("no token for the next attempt")

    server.drop_next_after(1)
    async with client.realtime.connect(model="m", on_reconnecting=on_reconnecting) as conn:
        assert (await conn.recv()).type == "session.created"
        with pytest.raises(WebSocketInterruptedError):
            await conn.recv()
        with pytest.raises(RealtimeConnectionError) as info:
            await conn.recv()
        assert isinstance(info.value.__cause__, LookupError)
        assert info.value.close_code == 1006
    assert len(server.sessions) == 1


async def test_without_a_callback_a_drop_ends_the_session(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    server.on_message("session.update", WsAction.abort())
    async with client.realtime.connect(model="m") as conn:
        await conn.session.update(session=SESSION)
        with pytest.raises(RealtimeConnectionError) as info:
            await wait_for(conn, "never")
        assert not isinstance(info.value, WebSocketInterruptedError)
    assert len(server.sessions) == 1


async def test_a_normal_close_is_not_reconnected(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    server.on_connect(WsAction.close(1000))
    async with client.realtime.connect(model="m", on_reconnecting=retry_always) as conn:
        assert [e.type async for e in conn] == ["session.created"]
    assert len(server.sessions) == 1


async def test_sends_while_reconnecting_are_queued_in_order_and_bounded(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    server.drop_next_after(1)
    gate = trio.Event()

    async def on_reconnecting(event: ReconnectingEvent) -> None:
        await gate.wait()  # hold the reconnection while the test sends

    async with client.realtime.connect(
        model="m",
        on_reconnecting=on_reconnecting,
        max_queue_size=250,
        initial_delay=FAST,
        max_delay=FAST,
    ) as conn:
        with pytest.raises(WebSocketInterruptedError):
            await wait_for(conn, "never")
        assert conn._link.reconnecting
        await conn.input_audio_buffer.append(audio="A" * 60)
        await conn.input_audio_buffer.append(audio="B" * 60)
        with pytest.raises(WebSocketQueueFullError):
            await conn.input_audio_buffer.append(audio="C" * 60)
        gate.set()
        await wait_for(conn, "session.created")
        await conn.input_audio_buffer.clear()
        await wait_for(conn, "input_audio_buffer.cleared")
    audio = [m.get("audio") for m in server.sessions[1].messages if "audio" in m]
    assert audio == ["A" * 60, "B" * 60]
    assert server.sessions[1].types()[-1] == "input_audio_buffer.clear"


async def test_leaving_the_block_during_the_backoff_is_prompt(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    server.drop_next_after(1)
    async with client.realtime.connect(
        model="m", on_reconnecting=retry_always, initial_delay=60, max_delay=60
    ) as conn:
        with pytest.raises(WebSocketInterruptedError):
            await wait_for(conn, "never")
        with trio.fail_after(2):
            await conn.close()
    assert len(server.sessions) == 1


def test_send_queue_counts_bytes_not_messages() -> None:
    queue = SendQueue(10)
    queue.push("é" * 4, "a")  # 8 bytes in UTF-8
    with pytest.raises(WebSocketQueueFullError, match="8 of 10 bytes"):
        queue.push("xyz", "b")
    queue.push("xy", "b")
    assert queue.size == 10 and queue.pop() == ("é" * 4, "a") and queue.size == 2


def test_backoff_doubles_to_the_cap_with_jitter() -> None:
    policy = ReconnectPolicy(initial_delay=0.5, max_delay=8.0)
    assert [policy.delay(n, lambda: 1.0) for n in range(1, 7)] == [0.5, 1, 2, 4, 8, 8]
    assert policy.delay(1, lambda: 0.0) == 0.375
    with pytest.raises(ValueError, match="max_queue_size"):
        ReconnectPolicy(max_queue_size=0).validate("realtime.connect")
