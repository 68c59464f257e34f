"""`to_dict()` is exactly the body the server sent; SDK conveniences are properties.

Over real sockets: the local server answers with a fixed body and the model the client
builds must give back that body, key for key, with nothing the SDK computed added.
"""

from __future__ import annotations

from typing import Any

import trio_openai
from trio_openai.testing import LocalServer, Reply

MESSAGE: dict[str, Any] = {
    "type": "message",
    "id": "msg_1",
    "status": "completed",
    "role": "assistant",
    "content": [
        {"type": "output_text", "text": "Hello, ", "annotations": [], "logprobs": []},
        {"type": "refusal", "refusal": "no"},
        {"type": "output_text", "text": "world", "annotations": []},
    ],
}


def response_body(output: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1741476542,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "model": "gpt-4.1",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "metadata": {},
        "an_unknown_field": {"kept": [1, 2.5, None]},
    }


async def test_create_to_dict_is_the_body_and_output_text_is_computed(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    body = response_body([MESSAGE, {"type": "reasoning", "id": "rs_1", "summary": []}])
    local_server.script("POST", "/v1/responses", Reply.json(body))
    local_server.script("GET", "/v1/responses/resp_1", Reply.json(body))
    created = await client.responses.create(model="gpt-4.1", input="hi")
    retrieved = await client.responses.retrieve("resp_1")
    for response in (created, retrieved):
        assert response.output_text == "Hello, world"
        assert response.to_dict() == body
        assert "output_text" not in response.to_dict()


async def test_output_text_is_an_empty_string_without_messages(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    body = response_body(
        [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}]
    )
    local_server.script("POST", "/v1/responses", Reply.json(body))
    response = await client.responses.create(model="gpt-4.1", input="hi")
    assert response.output_text == ""
    assert response.to_dict() == body


async def test_a_server_sending_output_text_gets_it_back_unchanged(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    # A compatible server may send the key itself: it is data then, and to_dict keeps it.
    body = {**response_body([MESSAGE]), "output_text": "as sent"}
    local_server.script("POST", "/v1/responses", Reply.json(body))
    response = await client.responses.create(model="gpt-4.1", input="hi")
    assert response.to_dict() == body
    assert response.output_text == "Hello, world"


async def test_stream_final_response_to_dict_has_no_computed_key(
    client: trio_openai.OpenAI,
) -> None:
    async with client.responses.stream(model="echo-1", input="one two") as stream:
        final = await stream.get_final_response()
    assert final.output_text == "You said: one two"
    assert "output_text" not in final.to_dict()
    assert final.to_dict()["output"][0]["content"][0]["text"] == "You said: one two"


async def test_chat_completion_to_dict_is_the_body(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1741569952,
        "model": "gpt-4.1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        "service_tier": "default",
    }
    local_server.script("POST", "/v1/chat/completions", Reply.json(body))
    completion = await client.chat.completions.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.to_dict() == body
