"""Result models go back into the next request as they are: ``input=[*history,
*response.output]`` and ``messages=[..., choice.message]`` send each model as the JSON the
server sent for it, the body ``item.to_dict()`` gives. Over the local server."""

from __future__ import annotations

from typing import Any

import trio_openai
from trio_openai.testing import LocalServer, Reply
from trio_openai.types.chat import ChatCompletionMessageParam
from trio_openai.types.responses import ResponseInputItemParam

OUTPUT: list[dict[str, Any]] = [
    {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "Paris is a city."}],
        "encrypted_content": "gAAA",
    },
    {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
        "status": "completed",
    },
    {
        "type": "message",
        "id": "msg_1",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Paris", "annotations": [], "logprobs": []}],
        "an_unknown_field": {"kept": True},
    },
]

RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1,
    "status": "completed",
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "model": "gpt-5.2",
    "output": OUTPUT,
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
    "metadata": {},
    "temperature": 1.0,
    "top_p": 1.0,
}


async def test_response_output_items_are_sent_as_the_server_sent_them(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/responses", *[Reply.json(RESPONSE)] * 3)
    history: list[ResponseInputItemParam] = [{"role": "user", "content": "Pick a city"}]
    response = await client.responses.create(model="gpt-5.2", input=history)
    await client.responses.create(model="gpt-5.2", input=[*history, *response.output])
    as_dicts = [item.to_dict() for item in response.output]
    await client.responses.create(model="gpt-5.2", input=[*history, *as_dicts])
    _first, with_models, with_dicts = (r.json() for r in local_server.requests)
    assert with_models == with_dicts
    assert with_models["input"] == [{"role": "user", "content": "Pick a city"}, *OUTPUT]


CHAT: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-5.2",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "logprobs": None,
            "message": {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
        }
    ],
}


async def test_a_chat_reply_message_is_sent_as_the_server_sent_it(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/chat/completions", *[Reply.json(CHAT)] * 3)
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Weather?"}]
    completion = await client.chat.completions.create(model="gpt-5.2", messages=messages)
    reply = completion.choices[0].message
    tool_result: ChatCompletionMessageParam = {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "18C",
    }
    await client.chat.completions.create(model="gpt-5.2", messages=[*messages, reply, tool_result])
    await client.chat.completions.create(
        model="gpt-5.2", messages=[*messages, reply.to_dict(), tool_result]
    )
    _first, with_model, with_dict = (r.json() for r in local_server.requests)
    assert with_model == with_dict
    assert with_model["messages"][1] == CHAT["choices"][0]["message"]
