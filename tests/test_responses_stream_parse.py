"""``responses.stream(text_format=City)``: structured output while streaming.

As openai-python's: the request is ``responses.parse``'s (streamed), each
``response.output_text.done`` event carries ``parsed``, and ``get_final_response()`` is a
`ParsedResponse` with ``output_parsed``. The events are answered by the local server to
both clients (openai-python's sync client in a worker thread).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import attrs
import openai
import pydantic
import pytest
import trio

import trio_openai
from trio_openai.lib import ParsedResponse, StructuredOutputError
from trio_openai.lib._responses_parsed import (
    ParsedResponseStreamEvent,
    ParsedResponseTextDoneEvent,
)
from trio_openai.testing import LocalServer, Reply


class City(pydantic.BaseModel):
    name: str
    country: str


@attrs.frozen
class AttrsCity:
    name: str
    country: str


@dataclasses.dataclass
class DataCity:
    name: str
    country: str


VALID = '{"name": "Rome", "country": "Italy"}'


def response_events(text: str, *, phase: str | None = None) -> list[dict[str, Any]]:
    """A streamed response: one message whose text arrives in two deltas."""
    base = {"id": "resp_1", "object": "response", "created_at": 1, "model": "m"}
    item: dict[str, Any] = {"id": "msg_1", "type": "message", "role": "assistant"}
    if phase is not None:
        item["phase"] = phase
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    done_item = {**item, "status": "completed", "content": [part]}
    at = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    half = len(text) // 2
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {**base, "status": "in_progress", "output": []}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**item, "status": "in_progress", "content": []},
        },
        {"type": "response.content_part.added", **at, "part": {**part, "text": ""}},
        {"type": "response.output_text.delta", **at, "delta": text[:half], "logprobs": []},
        {"type": "response.output_text.delta", **at, "delta": text[half:], "logprobs": []},
        {"type": "response.output_text.done", **at, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **at, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": done_item},
        {
            "type": "response.completed",
            "response": {**base, "status": "completed", "output": [done_item]},
        },
    ]
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return events


def openai_outcome(base_url: str) -> tuple[list[object], object]:
    """(the parsed of each text-done event, output_parsed) from openai-python's stream."""
    with (
        openai.OpenAI(api_key="sk-test", base_url=base_url, max_retries=0) as client,
        client.responses.stream(model="m", input="Where?", text_format=City) as stream,
    ):
        parsed = [e.parsed for e in stream if e.type == "response.output_text.done"]
        return parsed, stream.get_final_response().output_parsed


async def test_the_request_and_the_results_are_openai_pythons(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    events = response_events(VALID)
    local_server.script("POST", "/v1/responses", Reply.sse(events), Reply.sse(events))
    theirs = await trio.to_thread.run_sync(openai_outcome, local_server.base_url)
    their_body = local_server.requests[-1].json()
    async with client.responses.stream(model="m", input="Where?", text_format=City) as stream:
        parsed = [e.parsed async for e in stream if e.type == "response.output_text.done"]
        final = await stream.get_final_response()
    assert (parsed, final.output_parsed) == theirs
    assert parsed == [City(name="Rome", country="Italy")]
    ours = local_server.requests[-1].json()
    # As with parse(): the schema's name is the type's in snake case here, as is there.
    assert ours["text"]["format"].pop("name") == "city"
    assert their_body["text"]["format"].pop("name") == "City"
    assert ours == their_body


async def test_the_body_is_parses_plus_stream(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/responses", Reply.sse(response_events(VALID)))
    async with client.responses.stream(
        model="m", input="x", text_format=City, text={"verbosity": "low"}
    ) as stream:
        await stream.until_done()
    streamed = local_server.requests[-1].json()
    final = response_events(VALID)[-1]["response"]
    local_server.script("POST", "/v1/responses", Reply.json(final))
    await client.responses.parse(model="m", input="x", text_format=City, text={"verbosity": "low"})
    assert streamed == {**local_server.requests[-1].json(), "stream": True}
    assert streamed["text"]["verbosity"] == "low"


@pytest.mark.parametrize("city", [City, AttrsCity, DataCity])
async def test_events_and_the_final_response_hold_the_type(
    city: type[Any], client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/responses", Reply.sse(response_events(VALID)))
    seen: list[ParsedResponseStreamEvent[Any]] = []
    async with client.responses.stream(model="m", input="x", text_format=city) as stream:
        seen = [event async for event in stream]
        final = await stream.get_final_response()
    expected = city(name="Rome", country="Italy")
    done = [e for e in seen if isinstance(e, ParsedResponseTextDoneEvent)]
    assert [(e.text, e.parsed) for e in done] == [(VALID, expected)]
    assert done[0].to_dict() == response_events(VALID)[5]  # `parsed` is not the server's
    assert isinstance(final, ParsedResponse)
    assert final.output_parsed == expected
    assert final.output_text == VALID


async def test_commentary_is_not_parsed(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    events = response_events("Let me think.", phase="commentary")
    local_server.script("POST", "/v1/responses", Reply.sse(events))
    async with client.responses.stream(model="m", input="x", text_format=City) as stream:
        parsed = [e.parsed async for e in stream if e.type == "response.output_text.done"]
    assert parsed == [None]


async def test_text_of_the_wrong_shape_raises_with_the_text(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/responses", Reply.sse(response_events('{"name": 3}')))
    with pytest.raises(StructuredOutputError, match="City") as info:
        async with client.responses.stream(model="m", input="x", text_format=City) as stream:
            await stream.until_done()
    assert info.value.raw == '{"name": 3}'


async def test_without_a_type_the_stream_is_plain(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/responses", Reply.sse(response_events(VALID)))
    async with client.responses.stream(model="m", input="x") as stream:
        done = [e async for e in stream if e.type == "response.output_text.done"]
        final = await stream.get_final_response()
    assert not isinstance(done[0], ParsedResponseTextDoneEvent)
    assert not isinstance(final, ParsedResponse)
    assert "format" not in local_server.requests[-1].json().get("text", {})


async def test_a_format_given_twice_is_refused_before_sending(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    with pytest.raises(TypeError, match="not both"):
        client.responses.stream(
            model="m", input="x", text_format=City, text={"format": {"type": "text"}}
        )
    assert local_server.requests == []
