"""The Responses stream helper: typed events, deltas, the final Response, resume after a cut."""

from __future__ import annotations

from typing import Any

import pytest
import trio

import trio_openai
from trio_openai.lib._responses_stream import ResponseStreamManager
from trio_openai.testing import LocalServer, RecordedRequest, Reply


async def echo_events(client: trio_openai.OpenAI, text: str) -> list[dict[str, Any]]:
    """The raw events the local echo model streams for ``text``."""
    async with client.stream(
        "POST", "/responses", body={"model": "echo-1", "input": text, "stream": True}
    ) as s:
        return [e async for e in s]


async def test_typed_events_deltas_and_final_response(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    from trio_openai.types import Response, ResponseTextDeltaEvent

    plain = await client.post("/responses", body={"model": "echo-1", "input": "one two three"})
    async with ResponseStreamManager(
        client, {"model": "echo-1", "input": "one two three"}
    ) as stream:
        first = await stream.__anext__()
        assert first.type == "response.created"
        deltas = [d async for d in stream.text_deltas()]
        final = await stream.get_final_response()
    assert "".join(deltas) == "You said: one two three"
    assert isinstance(final, Response)
    assert final.output_text == "You said: one two three"
    assert local_server.requests[-1].json()["stream"] is True
    # Equal to the non-streamed Response apart from the per-request ids and times.
    got = final.to_dict()
    for key in ("id", "created_at", "completed_at", "output_text"):
        got.pop(key, None)
        plain.pop(key, None)
    for item in got["output"] + plain["output"]:
        item.pop("id", None)
    assert got == plain
    assert isinstance(ResponseTextDeltaEvent, type)


async def test_accumulates_from_events_without_terminal_response(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    events = await echo_events(client, "alpha beta")
    cut = [e for e in events if e["type"] != "response.completed"]
    local_server.script("POST", "/v1/responses", Reply.sse(cut, done=False, event_names=True))
    async with ResponseStreamManager(client, {"model": "echo-1", "input": "x"}) as stream:
        final = await stream.get_final_response()
    assert final.output_text == "You said: alpha beta"
    assert final.output[0].content[0].text == "You said: alpha beta"


def resume_handler(events: list[dict[str, Any]], seen: list[RecordedRequest]) -> Reply.handler:  # type: ignore[valid-type]
    def handle(request: RecordedRequest) -> Reply:
        seen.append(request)
        after = int(request.query["starting_after"][0])
        return Reply.sse(
            [e for e in events if e["sequence_number"] > after], done=False, event_names=True
        )

    return Reply.handler(handle)


async def test_cut_stream_resumes_without_repeats_or_gaps(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    events = await echo_events(client, "a b c d e f g")
    response_id = events[0]["response"]["id"]
    seen: list[RecordedRequest] = []
    local_server.script(
        "POST", "/v1/responses", Reply.sse(events, reset_after=5, done=False, event_names=True)
    )
    local_server.script("GET", f"/v1/responses/{response_id}", resume_handler(events, seen))
    async with ResponseStreamManager(
        client, {"model": "echo-1", "input": "x", "background": True}
    ) as stream:
        got = [e async for e in stream]
        final = await stream.get_final_response()
    assert [e.sequence_number for e in got] == [e["sequence_number"] for e in events]
    assert stream.resumes == 1
    assert seen[0].query == {
        "stream": ["true"],
        "starting_after": [str(events[4]["sequence_number"])],
    }
    assert final.output_text == "You said: a b c d e f g"
    assert client.statistics()["busy"] == 0


async def test_resume_can_be_turned_off(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    events = await echo_events(client, "a b c")
    local_server.script("POST", "/v1/responses", Reply.sse(events, reset_after=3, done=False))
    with pytest.raises(trio_openai.APIConnectionError):
        async with ResponseStreamManager(
            client, {"model": "echo-1", "input": "x"}, resume=False
        ) as stream:
            await stream.until_done()


async def test_unretrievable_response_raises_the_cut(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    events = await echo_events(client, "a b c")
    local_server.script("POST", "/v1/responses", Reply.sse(events, reset_after=3, done=False))
    local_server.script("GET", f"/v1/responses/{events[0]['response']['id']}", Reply.error(404))
    got = []
    with pytest.raises(trio_openai.APIConnectionError):
        async with ResponseStreamManager(client, {"model": "echo-1", "input": "x"}) as stream:
            async for event in stream:
                got.append(event.type)
    assert len(got) == 3


async def test_error_event_is_a_stream_error(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    events = await echo_events(client, "a")
    failing = [
        *events[:2],
        {"type": "error", "code": "server_error", "message": "overloaded", "sequence_number": 2},
    ]
    local_server.script("POST", "/v1/responses", Reply.sse(failing, done=False, event_names=True))
    with pytest.raises(trio_openai.StreamError, match="overloaded"):
        async with ResponseStreamManager(client, {"model": "echo-1", "input": "x"}) as stream:
            await stream.until_done()


async def test_break_releases_the_connection(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.echo_pace = 0.01
    async with ResponseStreamManager(
        client, {"model": "echo-1", "input": "a b c d e f g h"}
    ) as stream:
        async for delta in stream.text_deltas():
            assert delta
            break
    assert client.statistics()["busy"] == 0


async def test_llama_server_events_without_sequence_numbers(llama_url: str) -> None:
    async with trio_openai.OpenAI(api_key="none", base_url=llama_url) as client:
        with trio.fail_after(60):
            body = {"model": "smollm2-135m", "input": "Say hello.", "max_output_tokens": 16}
            async with ResponseStreamManager(client, body) as stream:
                deltas = [d async for d in stream.text_deltas()]
                final = await stream.get_final_response()
    assert deltas
    assert final.output_text == "".join(deltas)
    assert final.status == "completed"


async def test_create_fills_output_text_and_stream_method_is_the_helper(client: trio_openai.OpenAI) -> None:
    response = await client.responses.create(model="echo-1", input="hi there")
    assert response.output_text == "You said: hi there"
    async with client.responses.stream(model="echo-1", input="hi there") as stream:
        assert "".join([d async for d in stream.text_deltas()]) == "You said: hi there"
    retrieved_shape = response.to_dict()
    assert retrieved_shape["output"][0]["content"][0]["text"] == "You said: hi there"


async def test_responses_parse_through_the_resource(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    import attrs

    @attrs.define
    class City:
        name: str
        population: int

    text = '{"name": "Paris", "population": 2100000}'
    echo = await client.post("/responses", body={"model": "echo-1", "input": "x"})
    echo["output"][0]["content"][0]["text"] = text
    local_server.script("POST", "/v1/responses", Reply.json(echo))
    parsed = await client.responses.parse(model="echo-1", input="a city", text_format=City)
    assert parsed.output_parsed == City(name="Paris", population=2100000)
    sent = local_server.requests[-1].json()
    assert sent["text"]["format"]["type"] == "json_schema"
    assert sent["text"]["format"]["strict"] is True
