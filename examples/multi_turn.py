"""Multi-turn Responses, two ways: the server keeps the history, or you do.

1. `previous_response_id`: each request names the response it continues; the API keeps
   the earlier turns (stored responses), so only the new question travels.
2. The input list: you keep the history and send it all every time. The output items of a
   `Response` are valid input items (statically too): `history += response.output`.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2);
with OPENAI_BASE_URL as well, any OpenAI-compatible server. Servers that keep no state
(llama-server) refuse the first way with a 400, which is shown and skipped. Without a key,
it starts the bundled local server (a deterministic echo model, which does not remember:
it just shows that the chaining reaches the server).

    python examples/multi_turn.py "What is the capital of France?" "And its population?"
"""

from __future__ import annotations

import os
import sys
from contextlib import AsyncExitStack

import trio

import trio_openai
from trio_openai.types.responses import ResponseInputItemParam


async def chained(client: trio_openai.OpenAI, model: str, questions: list[str]) -> None:
    previous: str | trio_openai.Omit = trio_openai.omit  # the first turn continues nothing
    for question in questions:
        response = await client.responses.create(
            model=model, input=question, previous_response_id=previous, max_output_tokens=300
        )
        print(f"> {question}\n{response.output_text}")
        previous = response.id


async def with_history(client: trio_openai.OpenAI, model: str, questions: list[str]) -> None:
    history: list[ResponseInputItemParam] = []
    sent = 0
    for question in questions:
        history.append({"type": "message", "role": "user", "content": question})
        sent = len(history)
        response = await client.responses.create(model=model, input=history, max_output_tokens=300)
        print(f"> {question}\n{response.output_text}")
        # The model's output items (messages, reasoning, tool calls) go back as they came.
        history += response.output
    print(f"[the last request carried {sent} items]")


async def main(questions: list[str]) -> None:
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI()
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "echo-1"
            print(f"(no OPENAI_API_KEY: asking the local echo server at {server.base_url})")
        await stack.enter_async_context(client)

        print("-- previous_response_id: the server keeps the history")
        try:
            await chained(client, model, questions)
        except trio_openai.BadRequestError as exc:
            print(f"[this server keeps no history: {exc.message}]")

        print("-- an input list: you keep the history")
        await with_history(client, model, questions)


if __name__ == "__main__":
    trio.run(main, sys.argv[1:] or ["What is the capital of France?", "And its population?"])
