"""Code written for openai-python's request types, ported by changing the import: the dicts
are annotated with openai-python's ``...Param`` names and passed to the calls unchanged."""

from __future__ import annotations

from typing import Literal, assert_type

import trio_openai
from trio_openai.types.chat import (
    ChatCompletionMessageParam,
    ChatCompletionStreamOptionsParam,
    ChatCompletionToolParam,
    ChatCompletionUserMessageParam,
    CreateChatCompletionResponse,
)
from trio_openai.types.responses import (
    EasyInputMessageParam,
    FunctionToolParam,
    Response,
    ResponseInputParam,
    ToolParam,
)

WEATHER: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": True,
}


async def responses(client: trio_openai.OpenAI) -> None:
    message: EasyInputMessageParam = {"role": "user", "content": "Weather in Paris?"}
    history: ResponseInputParam = [message]
    tools: list[ToolParam] = [WEATHER]
    response = await client.responses.create(model="gpt-5.2", input=history, tools=tools)
    assert_type(response, Response)
    assert_type(message["role"], Literal["user", "assistant", "system", "developer"])


async def chat(client: trio_openai.OpenAI) -> None:
    user: ChatCompletionUserMessageParam = {"role": "user", "content": "Hello"}
    messages: list[ChatCompletionMessageParam] = [user]
    tool: ChatCompletionToolParam = {
        "type": "function",
        "function": {"name": "get_weather", "parameters": {"type": "object"}},
    }
    options: ChatCompletionStreamOptionsParam = {"include_usage": True}
    assert_type(options.get("include_usage"), bool | None)
    completion = await client.chat.completions.create(
        model="gpt-5.2", messages=messages, tools=[tool]
    )
    assert_type(completion, CreateChatCompletionResponse)
