"""Function tools: the model asks, Python answers, the model replies.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2).
Without a key, it starts the bundled local server inside this same Trio run and scripts it
to call the tools on the first turn and answer from their outputs on the second.

    python examples/tool_calls.py "What's the weather and the time in Paris and Tokyo?"

The calls of one turn run concurrently (here: both cities at once), at most
``max_concurrency`` at a time; a tool that raises sends its error to the model instead of
ending the loop.
"""

from __future__ import annotations

import datetime
import os
import sys
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, Literal

import attrs
import orjson
import trio

import trio_openai
from trio_openai.lib import (
    ToolTurn,
    function_tool,
    response_output_text,
    run_tools_chat,
    run_tools_responses,
)

if TYPE_CHECKING:
    from trio_openai.testing import LocalServer, RecordedRequest, Reply

_OFFSETS = {"paris": 1, "tokyo": 9, "new york": -5}


@attrs.frozen
class Weather:
    city: str
    temperature: float
    unit: Literal["C", "F"]


@function_tool
async def get_weather(city: str, unit: Literal["C", "F"]) -> Weather:
    """The current weather in a city.

    Args:
        city: The city name, e.g. "Paris".
        unit: Celsius or Fahrenheit.
    """
    await trio.sleep(0.3)  # a slow service: the calls of one turn overlap
    celsius = float(sum(map(ord, city.lower())) % 25)  # made up, but stable
    return Weather(city, celsius if unit == "C" else celsius * 9 / 5 + 32, unit)


@function_tool
def local_time(city: str) -> str:
    """The local time in a city, as HH:MM. Synchronous tools run inline in the Trio thread."""
    offset = _OFFSETS.get(city.lower())
    if offset is None:
        raise LookupError(f"unknown time zone for {city!r}")
    now = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=offset)
    return now.strftime("%H:%M")


def show_turn(turn: ToolTurn) -> None:
    for result in turn.results:
        print(f"  turn {turn.turn}: {result.name}({result.arguments}) -> {result.output}")


# --- a scripted stand-in for the model, used without an API key -------------------------------


def _fake_model(outputs: list[str]) -> str | None:
    """None on the first turn (ask for the calls), then an answer built from the outputs."""
    if not outputs:
        return None
    return "Here is what I found: " + "; ".join(outputs)


def script_local_server(server: LocalServer) -> None:
    from trio_openai.testing import Reply

    calls = [
        ("get_weather", {"city": "Paris", "unit": "C"}),
        ("get_weather", {"city": "Tokyo", "unit": "C"}),
        ("local_time", {"city": "Paris"}),
        ("local_time", {"city": "Atlantis"}),
    ]

    def responses(request: RecordedRequest) -> Reply:
        given = request.json()["input"]
        items = given if isinstance(given, list) else []
        outputs = [i["output"] for i in items if i.get("type") == "function_call_output"]
        answer = _fake_model(outputs)
        output: list[dict[str, Any]]
        if answer is None:
            output = [
                {
                    "type": "function_call",
                    "id": f"fc_{n}",
                    "call_id": f"call_{n}",
                    "name": name,
                    "arguments": orjson.dumps(args).decode(),
                    "status": "completed",
                }
                for n, (name, args) in enumerate(calls)
            ]
        else:
            part = {"type": "output_text", "text": answer, "annotations": []}
            output = [
                {
                    "type": "message",
                    "id": "msg_1",
                    "role": "assistant",
                    "status": "completed",
                    "content": [part],
                }
            ]
        return Reply.json(
            {
                "id": f"resp_{len(server.requests)}",
                "object": "response",
                "created_at": 0,
                "status": "completed",
                "model": "local",
                "output": output,
            }
        )

    def chat(request: RecordedRequest) -> Reply:
        messages = request.json()["messages"]
        outputs = [m["content"] for m in messages if m.get("role") == "tool"]
        answer = _fake_model(outputs)
        message: dict[str, Any] = {"role": "assistant", "content": answer, "refusal": None}
        if answer is None:
            message["tool_calls"] = [
                {
                    "id": f"call_{n}",
                    "type": "function",
                    "function": {"name": name, "arguments": orjson.dumps(args).decode()},
                }
                for n, (name, args) in enumerate(calls)
            ]
        choice = {
            "index": 0,
            "message": message,
            "finish_reason": "stop" if answer else "tool_calls",
        }
        return Reply.json(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "local",
                "choices": [choice],
            }
        )

    server.script("POST", "/v1/responses", Reply.handler(responses))
    server.script("POST", "/v1/chat/completions", Reply.handler(chat))


async def main(question: str) -> None:
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
        tools = [get_weather, local_time]

        print("Responses API:")
        response = await run_tools_responses(
            client, model=model, input=question, tools=tools, max_turns=5, on_turn=show_turn
        )
        print(" ", response_output_text(response))

        print("Chat completions:")
        completion = await run_tools_chat(
            client,
            model=model,
            messages=[{"role": "user", "content": question}],
            tools=tools,
            max_turns=5,
            on_turn=show_turn,
        )
        print(" ", completion.choices[0].message.content)


if __name__ == "__main__":
    trio.run(main, " ".join(sys.argv[1:]) or "What's the weather and the time in Paris and Tokyo?")
