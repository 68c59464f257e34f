"""The Responses WebSocket mode over real sockets on 127.0.0.1, against the scripted server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing

import trio_openai
from trio_openai._responses_ws import (
    ResponsesWebSocket,
    ResponsesWebSocketError,
    ResponsesWebSocketStream,
    open_responses_websocket,
)
from trio_openai._websocket import WebSocketConnectionError
from trio_openai.testing._ws_server import WebSocketTestServer, WsAction, open_ws_server

KEY = "sk-test-SECRET-0123456789"
EVENT_TYPES = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    *["response.output_text.delta"] * 4,  # "You said: hello world", word by word
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


@pytest.fixture
async def server() -> AsyncIterator[WebSocketTestServer]:
    async with open_ws_server() as s:
        yield s


@pytest.fixture
async def client(server: WebSocketTestServer) -> AsyncIterator[trio_openai.OpenAI]:
    async with trio_openai.OpenAI(api_key=KEY, base_url=server.base_url) as c:
        yield c


@pytest.fixture
async def ws(client: trio_openai.OpenAI) -> AsyncIterator[ResponsesWebSocket]:
    async with open_responses_websocket(client) as socket:
        yield socket


def text_of(events: list[Any]) -> str:
    return "".join(e.delta for e in events if e.type == "response.output_text.delta")


async def collect(stream: ResponsesWebSocketStream) -> list[Any]:
    return [event async for event in stream]


def completed(response_id: str, text: str, **extra: Any) -> dict[str, Any]:
    response = {
        "id": response_id,
        "object": "response",
        "created_at": 1,
        "status": "completed",
        "model": "m",
        "output": [],
        **extra,
    }
    return {"type": "response.completed", "response": response}


async def test_handshake_path_and_auth(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    async with open_responses_websocket(
        client, extra_query={"q": "1"}, extra_headers={"X-Extra": "e"}
    ) as ws:
        assert ws.request_id == "req_ws_1"
    session = server.sessions[0]
    assert session.path == "/v1/responses"
    assert session.query == {"q": "1"}
    assert session.headers["authorization"] == f"Bearer {KEY}"
    assert session.headers["x-extra"] == "e"
    assert session.headers["x-stainless-async"] == "trio"


async def test_one_response_streams_typed_events_and_a_final_response(
    ws: ResponsesWebSocket, server: WebSocketTestServer
) -> None:
    async with ws.create(model="gpt-5.2", input="hello world", instructions="be kind") as stream:
        events = await collect(stream)
        final = await stream.get_final_response()
    assert [e.type for e in events] == EVENT_TYPES
    assert text_of(events) == "You said: hello world"
    assert type(events[-1]).__name__ == "ResponsesServerEventResponseWsCompleted"
    assert final.status == "completed"
    assert final.output[0].content[0].text == "You said: hello world"
    assert final.instructions == "be kind"
    assert server.sessions[0].messages == [
        {
            "type": "response.create",
            "model": "gpt-5.2",
            "input": "hello world",
            "instructions": "be kind",
        }
    ]


async def test_several_responses_in_turn_over_one_connection(
    ws: ResponsesWebSocket, server: WebSocketTestServer
) -> None:
    previous = None
    texts = []
    for word in ("one", "two", "three"):
        chained = trio_openai.omit if previous is None else previous
        async with ws.create(model="m", input=word, previous_response_id=chained) as stream:
            final = await stream.get_final_response()
        texts.append(final.output[0].content[0].text)
        previous = final.id
    assert texts == ["You said: one", "You said: two", "You said: three"]
    assert len(server.sessions) == 1
    sent = server.sessions[0].messages
    assert [m.get("previous_response_id") for m in sent] == [None, "resp_1001", "resp_1002"]


async def test_get_final_response_without_iterating(ws: ResponsesWebSocket) -> None:
    async with ws.create(model="m", input="quick") as stream:
        final = await stream.get_final_response()
        assert await stream.get_final_response() is final
    assert final.output[0].content[0].text == "You said: quick"


async def test_lanes_run_concurrently_and_each_gets_its_own_events(
    ws: ResponsesWebSocket, server: WebSocketTestServer
) -> None:
    server.pace = 0.002
    results: dict[str, list[Any]] = {}

    async def run(lane: str, text: str) -> None:
        async with ws.create(model="m", input=text, stream_id=lane) as stream:
            results[lane] = await collect(stream)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run, "a", "alpha beta")
        nursery.start_soon(run, "b", "gamma delta epsilon")
    assert text_of(results["a"]) == "You said: alpha beta"
    assert text_of(results["b"]) == "You said: gamma delta epsilon"
    assert {e.stream_id for e in results["a"]} == {"a"}
    assert {e.stream_id for e in results["b"]} == {"b"}


async def test_creates_queued_on_one_lane_are_answered_in_order(
    ws: ResponsesWebSocket,
) -> None:
    async with (
        ws.create(model="m", input="first") as one,
        ws.create(model="m", input="second") as two,
    ):
        second = await collect(two)  # waits behind `one`, which buffers meanwhile
        first = await collect(one)
    assert text_of(first) == "You said: first"
    assert text_of(second) == "You said: second"


async def test_error_event_raises_and_the_next_response_works(
    ws: ResponsesWebSocket, server: WebSocketTestServer
) -> None:
    server.on_message(
        "response.create",
        WsAction.error(
            "This WebSocket connection has reached its stream limit.",
            code="websocket_stream_limit_reached",
            param="stream_id",
            status=400,
        ),
    )
    async with ws.create(model="m", input="x", stream_id="agent_1") as stream:
        with pytest.raises(ResponsesWebSocketError) as info:
            await collect(stream)
        assert [e async for e in stream] == []  # the error ended the stream
        with pytest.raises(ResponsesWebSocketError):
            await stream.get_final_response()
    error = info.value
    assert isinstance(error, trio_openai.StreamError)
    assert (error.status, error.code, error.param) == (
        400,
        "websocket_stream_limit_reached",
        "stream_id",
    )
    assert error.stream_id == "agent_1"
    assert error.event.type == "error"
    async with ws.create(model="m", input="again") as stream:
        assert (await stream.get_final_response()).status == "completed"


async def test_failed_and_incomplete_are_terminal_too(
    ws: ResponsesWebSocket, server: WebSocketTestServer
) -> None:
    failed = completed(
        "resp_f", "", status="failed", error={"code": "server_error", "message": "x"}
    )
    failed["type"] = "response.failed"
    server.on_message("response.create", WsAction.send(failed))
    async with ws.create(model="m", input="x") as stream:
        events = await collect(stream)
        final = await stream.get_final_response()
    assert [e.type for e in events] == ["response.failed"]
    assert (final.id, final.status) == ("resp_f", "failed")


async def test_leaving_a_stream_early_drops_the_rest_of_its_response(
    ws: ResponsesWebSocket, server: WebSocketTestServer
) -> None:
    async with ws.create(model="m", input="a long answer here") as stream:
        async for event in stream:
            if event.type == "response.output_text.delta":
                break
    async with ws.create(model="m", input="next") as stream:
        events = await collect(stream)
    assert events[0].type == "response.created"
    assert events[0].response.id == "resp_1002"
    assert text_of(events) == "You said: next"


async def test_malformed_json_raises_and_the_stream_continues(
    ws: ResponsesWebSocket, server: WebSocketTestServer
) -> None:
    server.on_message(
        "response.create", WsAction.send_text("{nope"), WsAction.send(completed("resp_9", ""))
    )
    async with ws.create(model="m", input="x") as stream:
        with pytest.raises(trio_openai.APIResponseValidationError, match="Malformed"):
            await collect(stream)
        assert [e.type for e in await collect(stream)] == ["response.completed"]


async def test_connection_lost_mid_response_raises_connection_error(
    ws: ResponsesWebSocket, server: WebSocketTestServer
) -> None:
    created = {"type": "response.created", "response": {"id": "resp_x", "status": "in_progress"}}
    server.on_message("response.create", WsAction.send(created), WsAction.abort())
    async with ws.create(model="m", input="x") as stream:
        kinds = []
        with pytest.raises(WebSocketConnectionError) as info:
            async for event in stream:
                kinds.append(event.type)
    assert kinds == ["response.created"]
    assert info.value.close_code == 1006
    assert isinstance(info.value, trio_openai.APIConnectionError)
    with pytest.raises(WebSocketConnectionError):
        async with ws.create(model="m", input="y"):
            pass


async def test_server_closing_normally_mid_response_still_raises(
    ws: ResponsesWebSocket, server: WebSocketTestServer
) -> None:
    server.on_message("response.create", WsAction.close(1000))
    async with ws.create(model="m", input="x") as stream:
        with pytest.raises(WebSocketConnectionError, match="did not finish"):
            await stream.get_final_response()


async def test_cancellation_closes_cleanly_and_leaves_no_task(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    before = trio.lowlevel.current_statistics().tasks_living
    server.on_message("response.create", WsAction.stall())
    with trio.move_on_after(0.3) as scope:
        async with (
            open_responses_websocket(client) as ws,
            ws.create(model="m", input="x") as stream,
        ):
            await collect(stream)
    assert scope.cancelled_caught
    await server.sessions[0].wait_closed()
    assert server.sessions[0].close_code == 1000
    await server.wait_idle()
    await trio.testing.wait_all_tasks_blocked()  # let the server's handler task return
    assert trio.lowlevel.current_statistics().tasks_living == before


async def test_an_exception_in_the_block_comes_out_unwrapped(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    with pytest.raises(ValueError, match="boom"):
        async with (
            open_responses_websocket(client) as ws,
            ws.create(model="m", input="x") as stream,
        ):
            async for _ in stream:
                raise ValueError("boom")
    await server.sessions[0].wait_closed()
    assert server.sessions[0].close_code == 1000


async def test_create_after_the_block_and_bad_arguments(
    client: trio_openai.OpenAI,
) -> None:
    async with open_responses_websocket(client) as ws:
        with pytest.raises(TypeError, match="implicit"):
            ws.create(model="m", input="x", stream=True)
        with pytest.raises(TypeError):
            ws.create(model="m", input=object())  # not JSON: fails before anything is sent
        stream = ws.create(model="m", input="x")
        async with stream:
            await stream.until_done()
        with pytest.raises(RuntimeError, match="once"):
            async with stream:
                pass
    with pytest.raises(WebSocketConnectionError):
        async with ws.create(model="m", input="x"):
            pass


async def test_extra_body_and_raw_send(
    client: trio_openai.OpenAI, server: WebSocketTestServer
) -> None:
    async with open_responses_websocket(client) as ws:
        async with ws.create(model="m", input="x", extra_body={"custom": 1}) as stream:
            await stream.until_done()
        await ws.send({"type": "response.inject", "response_id": "resp_1", "input": []})
    await server.sessions[0].wait_closed()
    assert server.sessions[0].messages[0]["custom"] == 1
    assert server.sessions[0].messages[1]["type"] == "response.inject"


async def test_an_error_no_lane_claims_is_raised_by_open_streams(
    ws: ResponsesWebSocket, server: WebSocketTestServer
) -> None:
    stray = {"type": "error", "stream_id": "nobody", "error": {"message": "stray", "code": "x"}}
    server.on_message(
        "response.create", WsAction.send(stray), WsAction.send(completed("resp_7", ""))
    )
    async with ws.create(model="m", input="x", stream_id="a") as stream:
        with pytest.raises(ResponsesWebSocketError, match="stray"):
            await collect(stream)
        # not this stream's own error: its response goes on to its end
        assert (await stream.get_final_response()).id == "resp_7"
