"""The Responses API as a user writes it: create, stream, parse, run_tools."""

from __future__ import annotations

from typing import Any, assert_type

import attrs
import httpx

import trio_openai
from trio_openai.lib import FunctionTool, ParsedResponse, ResponseStream, ToolTurn, function_tool
from trio_openai.types import OutputItem
from trio_openai.types.chat import CreateChatCompletionResponse
from trio_openai.types.response_events import ResponseStreamEvent
from trio_openai.types.responses import Response


@attrs.frozen
class Haiku:
    title: str
    lines: list[str]


async def create(client: trio_openai.OpenAI) -> None:
    response = await client.responses.create(model="gpt-5.2", input="Write a haiku")
    assert_type(response, Response)
    assert_type(response.id, str)
    assert_type(response.output_text, str)
    assert_type(response.created_at, float)

    again = await client.responses.retrieve(response.id)
    assert_type(again, Response)


async def stream(client: trio_openai.OpenAI) -> None:
    async with client.responses.stream(model="gpt-5.2", input="Write a haiku") as stream:
        assert_type(stream, ResponseStream)
        assert_type(stream.response, httpx.Response)
        assert_type(stream.request_id, str | None)
        async for event in stream:
            assert_type(event, ResponseStreamEvent)
            if event.type == "response.output_text.delta":
                assert_type(event.delta, str)
                assert_type(event.sequence_number, int)
            elif event.type == "response.completed":
                assert_type(event.response, Response)
        async for delta in stream.text_deltas():
            assert_type(delta, str)
        final = await stream.get_final_response()
        assert_type(final, Response)


async def parse(client: trio_openai.OpenAI) -> None:
    parsed = await client.responses.parse(model="gpt-5.2", input="Write a haiku", text_format=Haiku)
    assert_type(parsed, ParsedResponse[Haiku])
    assert_type(parsed.output_parsed, Haiku | None)
    if parsed.output_parsed is not None:
        assert_type(parsed.output_parsed.lines, list[str])
    assert_type(parsed.response, Response)
    assert_type(parsed.output_text, str)
    # every field of the Response it extends, typed (no `__getattr__ -> Any`)
    assert_type(parsed.id, str)
    assert_type(parsed.output, list[OutputItem])
    assert_type(parsed.refusal, str | None)
    response: Response = parsed  # it is a Response
    assert_type(response.to_dict(), dict[str, Any])


async def get_weather(city: str) -> str:
    """The weather in `city`."""
    return f"sunny in {city}"


async def tools(client: trio_openai.OpenAI) -> None:
    weather = function_tool(get_weather)
    assert_type(weather, FunctionTool[str])
    result = await client.responses.run_tools(model="gpt-5.2", input="Paris?", tools=[weather])
    assert_type(result, Response)
    assert_type(result.output_text, str)

    def on_turn(turn: ToolTurn) -> None:
        # the reply of that round: a Response here, a chat completion from chat's run_tools
        assert_type(turn.response, Response | CreateChatCompletionResponse)
        if isinstance(turn.response, Response):
            assert_type(turn.response.output_text, str)

    await client.responses.run_tools(
        model="gpt-5.2", input="Paris?", tools=[weather], on_turn=on_turn
    )


async def through_the_resource_class(client: trio_openai.OpenAI) -> None:
    """What works today without the client's accessors: annotate the resource yourself."""
    from trio_openai.resources.responses import Responses

    responses = Responses(client)
    response = await responses.create(model="gpt-5.2", input="Write a haiku")
    assert_type(response, Response)
    async with responses.stream(model="gpt-5.2", input="Write a haiku") as stream:
        async for event in stream:
            if event.type == "response.output_text.delta":
                assert_type(event.delta, str)
