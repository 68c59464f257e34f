"""Unions: telling the kinds of a result apart, and "absent" from "null".

A `Response`'s `output` is a list of items of many kinds (messages, reasoning, function
calls, tool results...); a stream yields events of ~60 kinds. Each decodes into its own
attrs class, chosen by the JSON `type` field, so you can match on the class or on `.type`.
A kind this version of the library does not know yet is not an error: it decodes into a
catch-all object that keeps the data in `.extra` and still answers `.type`.

Every field of a result is `omit` when the server did not send it and `None` when it sent
`null`; `to_dict()` gives back exactly the JSON that arrived.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2);
with OPENAI_BASE_URL as well, any OpenAI-compatible server. Without a key, it starts the
bundled local server inside this same Trio run and scripts a response holding a message, a
reasoning item, a function call and an item kind from the future.

    python examples/unions.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import trio

import trio_openai
from trio_openai import omit
from trio_openai.types import (
    FunctionToolCall,
    OutputMessage,
    OutputTextContent,
    ReasoningItem,
    RefusalContent,
    Response,
)

if TYPE_CHECKING:
    from trio_openai.testing import LocalServer, RecordedRequest, Reply

SCRIPTED: dict[str, Any] = {
    "id": "resp_union_1",
    "object": "response",
    "created_at": 1_700_000_000,
    "status": "completed",
    "completed_at": None,  # sent as null
    # no "usage" key at all: absent
    "model": "local",
    "output": [
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Easy."}]},
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "It is sunny.", "annotations": []}],
        },
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city": "Paris"}',
        },
        {"type": "hologram", "id": "holo_1", "frames": 24},  # unknown to this library
    ],
}


def script_local_server(server: LocalServer) -> None:
    from trio_openai.testing import Reply

    def respond(request: RecordedRequest) -> Reply:
        if not request.json().get("stream"):
            return Reply.json(SCRIPTED)
        # The same response as events, with one event kind from the future among them.
        pending = {**SCRIPTED, "status": "in_progress", "output": []}
        events: list[dict[str, Any]] = [{"type": "response.created", "response": pending}]
        for index, item in enumerate(SCRIPTED["output"]):
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": item}
            )
            events.append(
                {"type": "response.output_item.done", "output_index": index, "item": item}
            )
        events.insert(3, {"type": "response.hologram.frame", "frame": 1})
        events.append({"type": "response.completed", "response": SCRIPTED})
        numbered = [{**event, "sequence_number": n} for n, event in enumerate(events)]
        return Reply.sse(numbered, done=False, event_names=True)

    server.script("POST", "/v1/responses", Reply.handler(respond))


def describe(response: Response) -> None:
    for item in response.output:
        match item:
            case OutputMessage():
                for part in item.content:  # a union too: output_text or refusal
                    match part:
                        case OutputTextContent():
                            print(f"  message:       {part.text.strip()[:60]!r}")
                        case RefusalContent():
                            print(f"  refusal:       {part.refusal!r}")
            case ReasoningItem():
                print(f"  reasoning:     {len(item.summary or [])} summary part(s)")
            case FunctionToolCall():
                print(f"  function call: {item.name}({item.arguments})")
            case _:
                # A kind without a class of its own: `.type` still works, the data is kept.
                print(f"  other kind:    {item.type!r} with {item.to_dict()}")


async def main() -> None:
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI()
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            script_local_server(server)
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "local"
            print(f"(no OPENAI_API_KEY: the local server at {server.base_url} plays the model)")
        await stack.enter_async_context(client)

        response = await client.responses.create(
            model=model, input="What is the weather?", max_output_tokens=200
        )
        print("output items:")
        describe(response)

        print("absent vs null:")
        raw = response.to_dict()  # the JSON object again: absent keys stay absent
        for name in ("completed_at", "usage", "error"):
            value = getattr(response, name)
            state = "absent" if value is omit else "null" if value is None else "set"
            print(f"  {name:>12}: {state:<6} (key in to_dict(): {name in raw})")

        # Stream events are a union on `type` too; matching on the string is the cheap way.
        print("stream events:")
        kinds: dict[str, int] = {}
        async with client.responses.stream(
            model=model, input="Say hi.", max_output_tokens=100
        ) as stream:
            async for event in stream:
                if event.type == "response.output_item.done":
                    print(f"  item done: {event.item.type}")
                kinds[event.type] = kinds.get(event.type, 0) + 1
        for kind, count in kinds.items():
            print(f"  {count:>3} x {kind}")


if __name__ == "__main__":
    trio.run(main)
