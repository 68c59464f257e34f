"""``chat.completions.stream(response_format=City)``: structured output while streaming.

openai-python users pass a type to ``.stream()`` as they pass it to ``.parse()``; the
request must be the one ``.parse()`` sends (plus ``stream``), ``content.done`` events carry
the parsed content and the final completion is a `ParsedChatCompletion`. Every case runs
over the local server; the wire test sends the same call through openai-python too.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypedDict

import attrs
import openai
import pydantic
import pytest
import trio

import trio_openai
from trio_openai.lib import (
    ContentDoneEvent,
    FunctionToolCallArgumentsDoneEvent,
    ParsedChatCompletion,
    StructuredOutputError,
    function_tool,
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


class DictCity(TypedDict):
    name: str
    country: str


VALID = '{"name": "Rome", "country": "Italy"}'
MESSAGES: list[Any] = [{"role": "user", "content": "Where is the Colosseum?"}]


def chunks(content: str, finish: str = "stop", *, tool: str | None = None) -> list[Any]:
    """A streamed completion: the content in three pieces (or one tool call), then the end."""
    base = {"id": "chatcmpl-p", "object": "chat.completion.chunk", "created": 1, "model": "m"}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return {**base, "choices": [choice]}

    if tool is not None:
        call = {"index": 0, "id": "call_1", "type": "function"}
        return [
            chunk({"role": "assistant", "tool_calls": [{**call, "function": {"name": tool}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": content}}]}),
            chunk({}, "tool_calls"),
        ]
    third = len(content) // 3
    pieces = [content[:third], content[third : 2 * third], content[2 * third :]]
    return [
        chunk({"role": "assistant", "content": pieces[0]}),
        *(chunk({"content": piece}) for piece in pieces[1:]),
        chunk({}, finish),
    ]


def openai_stream_body(base_url: str) -> None:
    with (
        openai.OpenAI(api_key="sk-test", base_url=base_url, max_retries=0) as client,
        client.chat.completions.stream(
            model="m", messages=MESSAGES, response_format=City, temperature=0
        ) as stream,
    ):
        stream.until_done()


async def test_the_request_is_openai_pythons_and_parses_body(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    events = chunks(VALID)
    local_server.script("POST", "/v1/chat/completions", Reply.sse(events), Reply.sse(events))
    await trio.to_thread.run_sync(openai_stream_body, local_server.base_url)
    theirs = local_server.requests[-1].json()
    async with client.chat.completions.stream(
        model="m", messages=MESSAGES, response_format=City, temperature=0
    ) as stream:
        await stream.until_done()
    ours = local_server.requests[-1].json()
    # The one known difference, shared with parse(): the schema's name is the type's name
    # in snake case here ("city"), the type's own name there ("City").
    assert ours["response_format"]["json_schema"].pop("name") == "city"
    assert theirs["response_format"]["json_schema"].pop("name") == "City"
    assert ours == theirs
    ours["response_format"]["json_schema"]["name"] = "city"
    local_server.script("POST", "/v1/chat/completions", Reply.json(completion(VALID)))
    await client.chat.completions.parse(
        model="m", messages=MESSAGES, response_format=City, temperature=0
    )
    assert {**local_server.requests[-1].json(), "stream": True} == ours


def completion(content: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": content, "refusal": None}
    choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
    return {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": [choice]}


@pytest.mark.parametrize("city", [City, AttrsCity, DataCity, DictCity])
async def test_content_done_and_the_final_completion_hold_the_type(
    city: type[Any], client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.sse(chunks(VALID)))
    done: list[ContentDoneEvent[Any]] = []
    deltas: list[str] = []
    async with client.chat.completions.stream(
        model="m", messages=MESSAGES, response_format=city
    ) as stream:
        async for event in stream:
            if event.type == "content.done":
                done.append(event)
            elif event.type == "content.delta":
                deltas.append(event.delta)
        final = await stream.get_final_completion()
    expected = city(name="Rome", country="Italy")
    assert [event.parsed for event in done] == [expected]
    assert "".join(deltas) == VALID  # the text still streams as it comes
    assert isinstance(final, ParsedChatCompletion)
    assert final.choices[0].message.parsed == expected
    assert final.choices[0].message.content == VALID
    assert final.to_dict()["choices"][0]["message"]["content"] == VALID


async def test_content_of_the_wrong_shape_raises_with_the_text(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.sse(chunks('{"name": 3}')))
    with pytest.raises(StructuredOutputError, match="City") as info:
        async with client.chat.completions.stream(
            model="m", messages=MESSAGES, response_format=City
        ) as stream:
            await stream.until_done()
    assert info.value.raw == '{"name": 3}'


async def test_strict_function_tools_get_parsed_arguments(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    @function_tool
    def get_weather(city: str, days: int) -> str:
        """The forecast."""
        return f"{city}: sunny for {days} days"

    arguments = '{"city": "Rome", "days": 2}'
    events = chunks(arguments, tool="get_weather")
    local_server.script("POST", "/v1/chat/completions", Reply.sse(events))
    async with client.chat.completions.stream(
        model="m", messages=MESSAGES, response_format=City, tools=[get_weather]
    ) as stream:
        done = [e async for e in stream if isinstance(e, FunctionToolCallArgumentsDoneEvent)]
        final = await stream.get_final_completion()
    assert [(e.name, e.parsed_arguments) for e in done] == [
        ("get_weather", {"city": "Rome", "days": 2})
    ]
    assert final.choices[0].message.parsed is None  # tool calls, no content
    sent = local_server.requests[-1].json()
    assert sent["tools"] == [get_weather.to_chat_tool()]


async def test_a_dict_format_streams_as_before(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.sse(chunks(VALID)))
    async with client.chat.completions.stream(
        model="m", messages=MESSAGES, response_format={"type": "json_object"}
    ) as stream:
        parsed = [e.parsed async for e in stream if e.type == "content.done"]
        final = await stream.get_final_completion()
    assert parsed == [None]
    assert not isinstance(final, ParsedChatCompletion)
    assert local_server.requests[-1].json()["response_format"] == {"type": "json_object"}


async def test_a_type_without_a_strict_schema_is_refused_before_sending(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    with pytest.raises(TypeError):
        client.chat.completions.stream(model="m", messages=MESSAGES, response_format=int)
    assert local_server.requests == []
