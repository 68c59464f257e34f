"""Realtime sessions over real WebSockets on 127.0.0.1, against the scripted server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
import trio
import trio.testing

import trio_openai
from trio_openai._realtime import (
    RealtimeConnection,
    RealtimeConnectionError,
    RealtimeError,
)
from trio_openai.azure import AzureOpenAI
from trio_openai.testing._ws_server import WebSocketTestServer, WsAction, open_ws_server
from trio_openai.types import decoder_for

KEY = "sk-test-SECRET-0123456789"
USER_HELLO = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "hello there"}],
}


@pytest.fixture
async def server() -> AsyncIterator[WebSocketTestServer]:
    async with open_ws_server() as s:
        yield s


@pytest.fixture
async def client(server: WebSocketTestServer) -> AsyncIterator[trio_openai.OpenAI]:
    async with trio_openai.OpenAI(api_key=KEY, base_url=server.base_url) as c:
        yield c


def connect(client: trio_openai.OpenAI, **kwargs: Any) -> Any:
    return client.realtime.connect(**kwargs)  # the public path: RealtimeExtras on the resource


async def until(conn: RealtimeConnection, kind: str) -> list[Any]:
    """Events up to and including the first of type `kind`."""
    seen = []
    async for event in conn:
        seen.append(event)
        if event.type == kind:
            return seen
    raise AssertionError(f"no {kind} event")


def tasks_living() -> int:
    return trio.lowlevel.current_statistics().tasks_living


# -- the handshake ---------------------------------------------------------------------------


async def test_handshake_carries_auth_model_and_headers(server: WebSocketTestServer) -> None:
    async with (
        trio_openai.OpenAI(
            api_key=KEY,
            base_url=server.base_url,
            organization="org-1",
            project="proj-1",
            default_headers={"X-Default": "d"},
            default_query={"dq": "1"},
        ) as client,
        connect(
            client,
            model="gpt-realtime",
            extra_query={"eq": "2"},
            extra_headers={"X-Extra": "e", "X-Default": trio_openai.omit},
        ) as conn,
    ):
        created = await conn.recv()
        assert created.type == "session.created"
        assert created.session.model == "gpt-realtime"
        assert conn.request_id == "req_ws_1"
    session = server.sessions[0]
    assert session.path == "/v1/realtime"
    assert session.query == {"dq": "1", "model": "gpt-realtime", "eq": "2"}
    headers = session.headers
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["openai-organization"] == "org-1"
    assert headers["openai-project"] == "proj-1"
    assert headers["x-extra"] == "e"
    assert "x-default" not in headers
    assert headers["user-agent"].startswith("trio_openai/Python")
    assert headers["x-stainless-lang"] == "python"
    assert headers["x-stainless-async"] == "trio"


async def test_call_id_attaches_to_a_call(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    async with connect(client, call_id="rtc_123") as conn:
        await conn.recv()
    assert server.sessions[0].query == {"call_id": "rtc_123"}


async def test_https_base_url_becomes_wss() -> None:
    from trio_openai._realtime import realtime_url

    async with trio_openai.OpenAI(api_key=KEY) as client:
        url = realtime_url(client, model="gpt-realtime", call_id=None, extra_query=None)
    assert url == "wss://api.openai.com/v1/realtime?model=gpt-realtime"


async def test_azure_client_uses_deployment_api_version_and_api_key(
    server: WebSocketTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    async with (
        AzureOpenAI(
            azure_endpoint=server.origin, api_version="2025-08-28", api_key="azure-key"
        ) as azure,
        connect(azure, model="my-realtime") as conn,
    ):
        assert (await conn.recv()).type == "session.created"
    session = server.sessions[0]
    assert session.path == "/openai/realtime"
    assert session.query == {"api-version": "2025-08-28", "deployment": "my-realtime"}
    assert session.headers["api-key"] == "azure-key"
    assert "authorization" not in session.headers


class CountingAuth:
    def __init__(self) -> None:
        self.calls = 0
        self.invalidated = 0

    async def auth_headers(self, *, admin: bool) -> Mapping[str, str]:
        self.calls += 1
        return {"Authorization": f"Bearer token-{self.calls}"}

    def invalidate(self) -> None:
        self.invalidated += 1


async def test_auth_provider_refreshes_once_after_a_401(server: WebSocketTestServer) -> None:
    auth = CountingAuth()
    server.reject_next(401, {"error": {"message": "expired", "type": "invalid_request_error"}})
    async with (
        trio_openai.OpenAI(base_url=server.base_url, auth=auth) as client,
        connect(client, model="m") as conn,
    ):
        await conn.recv()
    assert auth.invalidated == 1
    assert [s.headers["authorization"] for s in server.sessions] == [
        "Bearer token-1",
        "Bearer token-2",
    ]


async def test_refused_handshake_raises_the_status_error(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    body = {"error": {"message": "Incorrect API key", "type": "invalid_request_error"}}
    server.reject_next(401, body)
    with pytest.raises(trio_openai.AuthenticationError) as info:
        async with connect(client, model="m"):
            pytest.fail("must not open")
    assert info.value.status_code == 401
    assert info.value.body == body
    assert "Incorrect API key" in str(info.value)
    assert KEY not in str(info.value.dump())


async def test_unknown_path_is_not_found(server: WebSocketTestServer) -> None:
    async with trio_openai.OpenAI(api_key=KEY, base_url=server.origin + "/nope") as client:
        with pytest.raises(trio_openai.NotFoundError):
            async with connect(client, model="m"):
                pass


async def test_unreachable_server_raises_connection_error() -> None:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens on this port
    async with trio_openai.OpenAI(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1") as client:
        with pytest.raises(RealtimeConnectionError) as info:
            async with connect(client, model="m"):
                pass
    assert info.value.close_code is None
    assert isinstance(info.value, trio_openai.APIConnectionError)


async def test_silent_server_times_out_opening() -> None:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")  # accepts, never answers
    port = listeners[0].socket.getsockname()[1]
    async with trio_openai.OpenAI(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1") as client:
        with pytest.raises(trio_openai.APITimeoutError):
            async with connect(client, model="m", connect_timeout=0.2):
                pass
    await listeners[0].aclose()


# -- sending and receiving -------------------------------------------------------------------


async def test_send_and_receive_round_trip(client: trio_openai.OpenAI) -> None:
    async with connect(client, model="gpt-realtime") as conn:
        await conn.recv()  # session.created
        await conn.send({"type": "session.update", "session": {"instructions": "be brief"}})
        updated = await conn.recv()
        assert updated.type == "session.updated"
        assert updated.session.instructions == "be brief"
        # a model (anything with to_dict) is sent as its JSON
        event = decoder_for("RealtimeClientEvent")(
            {"type": "conversation.item.create", "item": USER_HELLO}
        )
        await conn.send(event)
        created = await conn.recv()
        assert created.type == "conversation.item.created"
        assert created.item.content[0].text == "hello there"


async def test_a_text_response_streams_deltas(client: trio_openai.OpenAI) -> None:
    async with connect(client, model="gpt-realtime") as conn:
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await conn.conversation.item.create(item=USER_HELLO)
        await conn.response.create()
        events = await until(conn, "response.done")
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == "You said: hello there"
    assert events[-1].response.status == "completed"


async def test_an_audio_response_streams_transcript_deltas(client: trio_openai.OpenAI) -> None:
    async with connect(client, model="gpt-realtime") as conn:
        await conn.input_audio_buffer.append(audio=bytes(3200))
        await conn.input_audio_buffer.commit()
        await conn.response.create()
        events = await until(conn, "response.done")
    kinds = [e.type for e in events]
    assert "input_audio_buffer.committed" in kinds
    assert "response.output_audio.delta" in kinds
    transcript = "".join(
        e.delta for e in events if e.type == "response.output_audio_transcript.delta"
    )
    assert transcript == "You said: (3200 bytes of audio)"


async def test_typed_helpers_send_the_right_json(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    async with connect(client, model="gpt-realtime", raise_errors=False) as conn:
        await conn.session.update(session={"instructions": "hi"}, event_id="ev1")
        await conn.response.create(response={"instructions": "x"})
        await conn.response.cancel(response_id="resp_1")
        await conn.input_audio_buffer.append(audio="AAAA")
        await conn.input_audio_buffer.append(audio=b"\x00\x00\x00")
        await conn.input_audio_buffer.commit()
        await conn.input_audio_buffer.clear(event_id="ev2")
        await conn.conversation.item.create(item=USER_HELLO, previous_item_id="root")
        await conn.conversation.item.delete(item_id="item_1")
        await conn.conversation.item.truncate(item_id="item_2", content_index=0, audio_end_ms=1500)
        await conn.conversation.item.retrieve(item_id="item_3")
        await conn.output_audio_buffer.clear()
    await server.sessions[0].wait_closed()
    assert server.sessions[0].messages == [
        {"type": "session.update", "session": {"instructions": "hi"}, "event_id": "ev1"},
        {"type": "response.create", "response": {"instructions": "x"}},
        {"type": "response.cancel", "response_id": "resp_1"},
        {"type": "input_audio_buffer.append", "audio": "AAAA"},
        {"type": "input_audio_buffer.append", "audio": "AAAA"},
        {"type": "input_audio_buffer.commit"},
        {"type": "input_audio_buffer.clear", "event_id": "ev2"},
        {"type": "conversation.item.create", "item": USER_HELLO, "previous_item_id": "root"},
        {"type": "conversation.item.delete", "item_id": "item_1"},
        {
            "type": "conversation.item.truncate",
            "item_id": "item_2",
            "content_index": 0,
            "audio_end_ms": 1500,
        },
        {"type": "conversation.item.retrieve", "item_id": "item_3"},
        {"type": "output_audio_buffer.clear"},
    ]
    assert server.sessions[0].close_code == 1000


# -- errors ------------------------------------------------------------------------------------


async def test_error_event_raises_and_the_session_continues(client: trio_openai.OpenAI) -> None:
    async with connect(client, model="gpt-realtime") as conn:
        await conn.recv()  # session.created
        await conn.response.cancel(event_id="cancel-1")  # nothing to cancel: an error event
        with pytest.raises(RealtimeError) as info:
            await conn.recv()
        error = info.value
        assert isinstance(error, trio_openai.StreamError)
        assert error.code == "response_cancel_not_active"
        assert error.type == "invalid_request_error"
        assert error.event_id == "cancel-1"
        assert error.event.type == "error"
        assert error.event.error.message == str(error)
        # the session goes on: the next event arrives
        await conn.session.update(session={"instructions": "still here"})
        assert (await conn.recv()).type == "session.updated"


async def test_error_event_ends_the_loop_and_a_new_loop_continues(
    client: trio_openai.OpenAI,
) -> None:
    async with connect(client, model="gpt-realtime") as conn:
        await conn.response.cancel()
        await conn.session.update(session={"instructions": "x"})
        kinds = []
        with pytest.raises(RealtimeError):
            async for event in conn:
                kinds.append(event.type)
        async for event in conn:
            kinds.append(event.type)
            break
    assert kinds == ["session.created", "session.updated"]


async def test_raise_errors_false_yields_error_events(client: trio_openai.OpenAI) -> None:
    async with connect(client, model="gpt-realtime", raise_errors=False) as conn:
        await conn.response.cancel()
        events = await until(conn, "error")
    assert events[-1].error.code == "response_cancel_not_active"


async def test_malformed_json_raises_and_the_session_continues(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    server.on_message(
        "session.update",
        WsAction.send_text("{not json"),
        WsAction.send_text("[1, 2]"),
        WsAction.send({"type": "session.updated", "session": {"type": "realtime"}}),
    )
    async with connect(client, model="gpt-realtime") as conn:
        await conn.recv()
        await conn.session.update(session={})
        with pytest.raises(trio_openai.APIResponseValidationError, match="Malformed"):
            await conn.recv()
        with pytest.raises(trio_openai.APIResponseValidationError, match="JSON object"):
            await conn.recv()
        assert (await conn.recv()).type == "session.updated"


async def test_server_dropping_the_connection_raises_connection_error(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    server.on_message("session.update", WsAction.abort())
    async with connect(client, model="gpt-realtime") as conn:
        await conn.session.update(session={})
        with pytest.raises(RealtimeConnectionError) as info:
            async for _ in conn:
                pass
        assert info.value.close_code == 1006
        with pytest.raises(RealtimeConnectionError):
            await conn.recv()
        with pytest.raises(RealtimeConnectionError):
            await conn.session.update(session={})


async def test_server_closing_with_an_error_code_raises(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    server.on_connect(WsAction.close(1011, "internal error"))
    async with connect(client, model="gpt-realtime") as conn:
        kinds = []
        with pytest.raises(RealtimeConnectionError) as info:
            async for event in conn:
                kinds.append(event.type)
    assert kinds == ["session.created"]  # events before the close come first
    assert info.value.close_code == 1011
    assert info.value.close_reason == "internal error"
    assert "1011" in str(info.value)


async def test_server_closing_normally_ends_iteration(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    server.on_connect(WsAction.close(1000))
    async with connect(client, model="gpt-realtime") as conn:
        kinds = [event.type async for event in conn]
        assert kinds == ["session.created"]
        with pytest.raises(RealtimeConnectionError) as info:
            await conn.recv()
        assert info.value.close_code == 1000


async def test_oversized_message_closes_with_1009(server: WebSocketTestServer) -> None:
    server.on_connect(WsAction.send({"type": "session.updated", "pad": "x" * 5000}))
    async with (
        trio_openai.OpenAI(api_key=KEY, base_url=server.base_url, max_event_size=2000) as client,
        connect(client, model="m") as conn,
    ):
        await conn.recv()  # session.created fits
        with pytest.raises(RealtimeConnectionError) as info:
            await conn.recv()
    assert info.value.close_code == 1009


# -- lifetime ----------------------------------------------------------------------------------


async def test_leaving_the_block_closes_with_1000(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    async with connect(client, model="gpt-realtime") as conn:
        await conn.recv()
    await server.sessions[0].wait_closed()
    assert server.sessions[0].close_code == 1000
    with pytest.raises(RealtimeConnectionError):
        await conn.recv()
    assert [event async for event in conn] == []


async def test_close_method_ends_iteration(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    async with connect(client, model="gpt-realtime") as conn:
        await conn.recv()
        await conn.close(code=1000, reason="bye")
        assert [event async for event in conn] == []
    await server.sessions[0].wait_closed()
    assert (server.sessions[0].close_code, server.sessions[0].close_reason) == (1000, "bye")


async def test_break_out_of_the_loop_then_exit(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    async with connect(client, model="gpt-realtime") as conn:
        await conn.session.update(session={"output_modalities": ["text"]})
        await conn.response.create()
        async for event in conn:
            if event.type == "response.output_text.delta":
                break
    await server.sessions[0].wait_closed()
    assert server.sessions[0].close_code == 1000


async def test_cancellation_closes_cleanly_and_leaves_no_task(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    before = tasks_living()
    server.on_message("session.update", WsAction.stall())
    escaped: BaseException | None = None
    with trio.move_on_after(0.3) as scope:
        try:
            async with connect(client, model="gpt-realtime") as conn:
                await conn.recv()
                await conn.session.update(session={})
                await conn.recv()  # never comes
        except BaseException as exc:
            escaped = exc
            raise
    assert scope.cancelled_caught
    assert type(escaped) is trio.Cancelled  # not an ExceptionGroup
    await server.sessions[0].wait_closed()
    assert server.sessions[0].close_code == 1000
    await server.wait_idle()
    await trio.testing.wait_all_tasks_blocked()  # let the server's handler task return
    assert tasks_living() == before


async def test_closing_an_unresponsive_server_is_bounded(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    server.on_message("session.update", WsAction.freeze())  # not even a close frame back
    start = trio.current_time()
    with trio.move_on_after(0.2):
        async with connect(client, model="gpt-realtime", close_timeout=0.3) as conn:
            await conn.session.update(session={})
            await trio.sleep_forever()
    elapsed = trio.current_time() - start
    assert 0.45 <= elapsed < 2.0


async def test_an_exception_in_the_block_comes_out_unwrapped(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    with pytest.raises(KeyError, match="boom"):
        async with connect(client, model="gpt-realtime") as conn:
            await conn.recv()
            raise KeyError("boom")
    await server.sessions[0].wait_closed()
    assert server.sessions[0].close_code == 1000


async def test_a_slow_consumer_holds_at_most_buffer_size_events(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    burst = [WsAction.send({"type": "rate_limits.updated", "rate_limits": []})] * 50
    server.on_connect(*burst)
    async with connect(client, model="gpt-realtime", buffer_size=3) as conn:
        await trio.sleep(0.2)
        assert conn._queue.buffered == 3
        kinds = [(await conn.recv()).type for _ in range(51)]
    assert kinds.count("rate_limits.updated") == 50


async def test_a_burst_then_a_close_gives_every_event_in_order_first(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    # Hundreds of events arrive in a few socket reads; the reader hands them over 7 at a
    # time at most (buffer_size), and the close that follows them comes last.
    burst = [
        WsAction.send({"type": "rate_limits.updated", "event_id": f"e{i}", "rate_limits": []})
        for i in range(300)
    ]
    server.on_connect(*burst, WsAction.close(1011, "bye"))
    async with connect(client, model="gpt-realtime", buffer_size=7) as conn:
        ids: list[str] = []
        with pytest.raises(RealtimeConnectionError) as info:
            async for event in conn:
                assert conn._queue.buffered <= 7
                if event.type == "rate_limits.updated":
                    ids.append(event.event_id)
    assert ids == [f"e{i}" for i in range(300)]
    assert info.value.close_code == 1011
