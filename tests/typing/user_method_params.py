"""Code written for openai-python that builds a call's arguments first, typed with its
method parameter modules, ported by changing the import: ``create(**params)`` type-checks,
and a streaming dict picks the stream overload."""

from __future__ import annotations

from typing import assert_type

import trio_openai
from trio_openai import Stream
from trio_openai.types import EmbeddingCreateParams, embedding_create_params
from trio_openai.types.chat import (
    CompletionCreateParams,
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
    completion_create_params,
)
from trio_openai.types.responses import Response, ResponseCreateParams, response_create_params
from trio_openai.types.vector_stores import file_create_params


async def chat(client: trio_openai.OpenAI) -> None:
    params: completion_create_params.CompletionCreateParamsNonStreaming = {
        "model": "gpt-5.2",
        "messages": [{"role": "user", "content": "Hello"}],
        "temperature": 0.2,
    }
    completion = await client.chat.completions.create(**params)
    assert_type(completion, CreateChatCompletionResponse)

    streaming: completion_create_params.CompletionCreateParamsStreaming = {
        **params,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    async with await client.chat.completions.create(**streaming) as stream:
        assert_type(stream, Stream[CreateChatCompletionStreamResponse])

    either: CompletionCreateParams = params
    print(either["model"])

    # openai-python's names of the keys' types, in the same module.
    response_format: completion_create_params.ResponseFormat = {"type": "json_object"}
    search: completion_create_params.WebSearchOptions = {
        "user_location": {"type": "approximate", "approximate": {"city": "Paris"}}
    }
    structured: completion_create_params.CompletionCreateParamsNonStreaming = {
        "model": "gpt-5.2",
        "messages": [{"role": "user", "content": "Weather in Paris, as JSON"}],
        "response_format": response_format,
        "web_search_options": search,
    }
    await client.chat.completions.create(**structured)
    print(either["model"])


async def responses(client: trio_openai.OpenAI) -> None:
    base: response_create_params.ResponseCreateParamsBase = {
        "model": "gpt-5.2",
        "input": "Write a haiku",
        "store": False,
    }
    response = await client.responses.create(**base)
    assert_type(response, Response)
    streaming: response_create_params.ResponseCreateParamsStreaming = {**base, "stream": True}
    async with await client.responses.create(**streaming) as events:
        async for event in events:
            print(event.type)
    either: ResponseCreateParams = streaming
    print(either.get("store"))


async def plain(client: trio_openai.OpenAI) -> None:
    embedding: EmbeddingCreateParams = {"model": "text-embedding-3-small", "input": ["a", "b"]}
    await client.embeddings.create(**embedding)
    same: embedding_create_params.EmbeddingCreateParams = embedding
    print(same)
    # A path parameter stays positional; the other keyword arguments come from the dict.
    attach: file_create_params.FileCreateParams = {"file_id": "file-1"}
    await client.vector_stores.files.create("vs_1", **attach)
