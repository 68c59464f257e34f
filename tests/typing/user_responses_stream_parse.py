"""Structured output while streaming a response, as an openai-python user writes it:
``responses.stream(text_format=City)``; without it, the types of a plain stream."""

from __future__ import annotations

from typing import assert_type

import attrs

import trio_openai
from trio_openai.lib import (
    ParsedResponse,
    ParsedResponseStream,
    ParsedResponseStreamEvent,
    ParsedResponseStreamManager,
    ParsedResponseTextDoneEvent,
    ResponseStream,
    ResponseStreamManager,
)
from trio_openai.types import Response
from trio_openai.types.response_events import ResponseStreamEvent, ResponseTextDoneEvent


@attrs.frozen
class City:
    name: str
    country: str


async def parsed_stream(client: trio_openai.OpenAI) -> None:
    manager = client.responses.stream(model="gpt-5.2", input="Rome?", text_format=City)
    assert_type(manager, ParsedResponseStreamManager[City])
    async with manager as stream:
        assert_type(stream, ParsedResponseStream[City])
        async for event in stream:
            assert_type(event, ParsedResponseStreamEvent[City])
            if event.type == "response.output_text.done":
                assert_type(event, ParsedResponseTextDoneEvent[City])
                assert_type(event.parsed, City | None)
                assert_type(event.text, str)
        final = await stream.get_final_response()
        assert_type(final, ParsedResponse[City])
        assert_type(final.output_parsed, City | None)


async def final_text(stream: ResponseStream) -> str:
    return (await stream.get_final_response()).output_text


async def a_parsed_stream_is_a_response_stream(client: trio_openai.OpenAI) -> None:
    async with client.responses.stream(model="gpt-5.2", input="x", text_format=City) as stream:
        assert_type(await final_text(stream), str)  # code written for the plain stream


async def plain_stream(client: trio_openai.OpenAI) -> None:
    manager = client.responses.stream(model="gpt-5.2", input="Hello")
    assert_type(manager, ResponseStreamManager)
    async with manager as stream:
        assert_type(stream, ResponseStream)
        async for event in stream:
            assert_type(event, ResponseStreamEvent)
            if event.type == "response.output_text.done":
                assert_type(event, ResponseTextDoneEvent)
        assert_type(await stream.get_final_response(), Response)
