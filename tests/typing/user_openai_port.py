"""openai-python code ported by changing the import: its top-level names type-check here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import assert_type

import pydantic

from trio_openai import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AsyncAzureOpenAI,
    AsyncOpenAI,
    AsyncStream,
    AzureOpenAI,
    ContentFilterFinishReasonError,
    InvalidWebhookSignatureError,
    LengthFinishReasonError,
    NotGiven,
    OpenAI,
    Timeout,
    file_from_path,
    not_given,
    pydantic_function_tool,
    pydantic_responses_function_tool,
)
from trio_openai.lib import StructuredOutputError
from trio_openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionFunctionToolParam,
)
from trio_openai.types.responses import FunctionToolParam


class City(pydantic.BaseModel):
    """A city and its country."""

    name: str
    country: str


def temperature_or_default(temperature: float | NotGiven = not_given) -> float:
    # `not_given` is a one-member enum: `is not` narrows, as for `omit`
    if temperature is not not_given:
        assert_type(temperature, float)
        return temperature
    return 1.0


async def parse_city(client: AsyncOpenAI) -> City | None:
    assert_type(client, OpenAI)
    try:
        completion = await client.chat.completions.parse(
            model="gpt-5.4",
            messages=[{"role": "user", "content": "Capital of Italy?"}],
            response_format=City,
            temperature=not_given,
        )
    except LengthFinishReasonError as e:
        assert_type(e.completion, ChatCompletion)
        assert_type(e.raw, str)
        return None
    except ContentFilterFinishReasonError as e:
        assert_type(e.completion, ChatCompletion | None)
        return None
    except StructuredOutputError:  # both classes above are ones too
        return None
    return completion.choices[0].message.parsed


async def stream_chat(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt-5.4", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    async with stream:
        chunks: AsyncStream[ChatCompletionChunk] = stream
        async for chunk in chunks:
            assert_type(chunk, ChatCompletionChunk)


def tools() -> None:
    assert_type(pydantic_function_tool(City), ChatCompletionFunctionToolParam)
    assert_type(pydantic_responses_function_tool(City), FunctionToolParam)


def reject(body: bytes, verify: Callable[[bytes], object]) -> int:
    try:
        verify(body)
    except InvalidWebhookSignatureError as e:
        narrowed: ValueError = e  # a ValueError, as in openai-python
        del narrowed
        return 400
    return 200


def settings() -> None:
    retries: int = DEFAULT_MAX_RETRIES
    del retries
    assert_type(DEFAULT_TIMEOUT, Timeout)
    azure: type[AzureOpenAI] = AsyncAzureOpenAI
    del azure
    name, path = file_from_path("data.jsonl")
    assert_type(name, str)
    assert_type(path, Path)
