"""Chat Completions: one plain call, then the same question streamed.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default
gpt-5.2). Without a key, it starts the bundled local server (a deterministic echo model)
inside this same Trio run, so the example works on a fresh machine.

    python examples/chat_completions.py "Name three rivers of France"
"""

from __future__ import annotations

import os
import sys
from contextlib import AsyncExitStack

import trio

import trio_openai
from trio_openai.types.chat import ChatCompletionMessageParam


async def main(prompt: str) -> None:
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI()
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            server.echo_pace = 0.05  # a visible token rate
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "echo-1"
            print(f"(no OPENAI_API_KEY: using the local echo server at {server.base_url})")
        await stack.enter_async_context(client)
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": "Answer in one short sentence."},
            {"role": "user", "content": prompt},
        ]

        # Plain: one request, one typed result.
        completion = await client.chat.completions.create(model=model, messages=messages)
        print("plain:   ", completion.choices[0].message.content)

        # Streamed: the text as it is generated; the connection is released when the
        # block ends, even on `break` or cancellation.
        print("streamed: ", end="", flush=True)
        async with client.chat.completions.stream(model=model, messages=messages) as stream:
            async for text in stream.text_deltas():
                print(text, end="", flush=True)
            final = await stream.get_final_completion()
        print(f"\n[finish_reason={final.choices[0].finish_reason}]")


if __name__ == "__main__":
    trio.run(main, " ".join(sys.argv[1:]) or "Hello from Trio!")
