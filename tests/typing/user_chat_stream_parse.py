"""Structured output while streaming, as an openai-python user writes it:
``chat.completions.stream(response_format=City)``; without a type, the types of a plain stream."""

from __future__ import annotations

from typing import assert_type

import attrs

import trio_openai
from trio_openai.lib import (
    ChatCompletionStream,
    ChatCompletionStreamEvent,
    ChatCompletionStreamManager,
    ContentDoneEvent,
    FunctionToolCallArgumentsDoneEvent,
    ParsedChatCompletion,
    ParsedChatCompletionStream,
    ParsedChatCompletionStreamEvent,
    ParsedChatCompletionStreamManager,
    function_tool,
)
from trio_openai.types.chat import CreateChatCompletionResponse


@attrs.frozen
class City:
    name: str
    country: str


@function_tool
def get_weather(city: str) -> str:
    """The forecast."""
    return f"sunny in {city}"


async def parsed_stream(client: trio_openai.OpenAI) -> None:
    manager = client.chat.completions.stream(
        model="gpt-5.2",
        messages=[{"role": "user", "content": "Where is the Colosseum?"}],
        response_format=City,
        tools=[get_weather],  # FunctionTools, as parse() takes them
    )
    assert_type(manager, ParsedChatCompletionStreamManager[City])
    async with manager as stream:
        assert_type(stream, ParsedChatCompletionStream[City])
        async for event in stream:
            assert_type(event, ParsedChatCompletionStreamEvent[City])
            if event.type == "content.done":
                assert_type(event, ContentDoneEvent[City])
                assert_type(event.parsed, City | None)
            elif event.type == "tool_calls.function.arguments.done":
                assert_type(event, FunctionToolCallArgumentsDoneEvent)
        final = await stream.get_final_completion()
        assert_type(final, ParsedChatCompletion[City])
        assert_type(final.choices[0].message.parsed, City | None)
        assert_type(final.choices[0].message.content, str | None)


async def plain_stream(client: trio_openai.OpenAI) -> None:
    manager = client.chat.completions.stream(
        model="gpt-5.2",
        messages=[{"role": "user", "content": "Hello"}],
        response_format={"type": "json_object"},
    )
    assert_type(manager, ChatCompletionStreamManager)
    async with manager as stream:
        assert_type(stream, ChatCompletionStream)
        async for event in stream:
            assert_type(event, ChatCompletionStreamEvent)
            if event.type == "content.done":
                assert_type(event.parsed, object | None)
        assert_type(await stream.get_final_completion(), CreateChatCompletionResponse)
