"""Chat Completions as a user writes it: create, stream with typed events, parse, run_tools."""

from __future__ import annotations

from typing import assert_type

import attrs

import trio_openai
from trio_openai import Omit
from trio_openai.lib import (
    ChatCompletionStream,
    ChatCompletionStreamEvent,
    ContentDeltaEvent,
    ParsedChatCompletion,
    function_tool,
)
from trio_openai.types.chat import (
    ChatCompletionMessageToolCalls,
    CompletionUsage,
    CreateChatCompletionResponse,
)


@attrs.frozen
class Answer:
    value: int


async def create(client: trio_openai.OpenAI) -> None:
    completion = await client.chat.completions.create(
        model="gpt-5.2", messages=[{"role": "user", "content": "Hello"}]
    )
    assert_type(completion, CreateChatCompletionResponse)
    assert_type(completion.id, str)
    assert_type(completion.choices[0].message.content, str | None)


async def stream(client: trio_openai.OpenAI) -> None:
    async with client.chat.completions.stream(
        model="gpt-5.2", messages=[{"role": "user", "content": "Hello"}]
    ) as stream:
        assert_type(stream, ChatCompletionStream)
        async for event in stream:
            assert_type(event, ChatCompletionStreamEvent)
            if event.type == "content.delta":
                assert_type(event, ContentDeltaEvent)
                assert_type(event.delta, str)
                assert_type(event.snapshot, str)
        final = await stream.get_final_completion()
        assert_type(final, CreateChatCompletionResponse)


async def parse(client: trio_openai.OpenAI) -> None:
    parsed = await client.chat.completions.parse(
        model="gpt-5.2",
        messages=[{"role": "user", "content": "6 * 7?"}],
        response_format=Answer,
    )
    assert_type(parsed, ParsedChatCompletion[Answer])
    assert_type(parsed.output_parsed, Answer | None)
    assert_type(parsed.choices[0].message.parsed, Answer | None)
    # the completion's, choice's and message's own fields, typed (no `__getattr__ -> Any`)
    assert_type(parsed.id, str)
    assert_type(parsed.usage, CompletionUsage | Omit)
    assert_type(parsed.choices[0].message.content, str | None)
    assert_type(parsed.choices[0].message.tool_calls, ChatCompletionMessageToolCalls | Omit)
    assert_type(parsed.choices[0].index, int)
    completion: CreateChatCompletionResponse = parsed  # it is a chat completion
    assert_type(completion.choices[0].message.content, str | None)


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


async def tools(client: trio_openai.OpenAI) -> None:
    result = await client.chat.completions.run_tools(
        model="gpt-5.2",
        messages=[{"role": "user", "content": "2 + 2?"}],
        tools=[function_tool(add)],
    )
    assert_type(result, CreateChatCompletionResponse)


async def through_the_resource_class(client: trio_openai.OpenAI) -> None:
    """What works today without the client's accessors: annotate the resource yourself."""
    from trio_openai.resources.chat import Completions

    completions = Completions(client)
    completion = await completions.create(
        model="gpt-5.2", messages=[{"role": "user", "content": "Hello"}]
    )
    assert_type(completion, CreateChatCompletionResponse)
    async with completions.stream(
        model="gpt-5.2", messages=[{"role": "user", "content": "Hello"}]
    ) as stream:
        async for event in stream:
            if event.type == "content.delta":
                assert_type(event.delta, str)
