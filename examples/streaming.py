"""Stream a chat completion as typed events, with a deadline and token usage.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default
gpt-5.2). Without a key, it starts the bundled local server (a deterministic echo model)
inside this same Trio run, so the example works on a fresh machine.

    python examples/streaming.py "Write a haiku about Trio"
"""

from __future__ import annotations

import os
import sys
from contextlib import AsyncExitStack

import trio

import trio_openai


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
            print(f"(no OPENAI_API_KEY: streaming from the local echo server at {server.base_url})")
        await stack.enter_async_context(client)

        # The caller's cancel scope is the deadline: leaving it closes the stream and
        # releases the connection; what arrived so far stays readable.
        with trio.move_on_after(60) as deadline:
            async with client.chat.completions.stream(
                model=model,
                messages=[{"role": "user", "content": prompt}],
                stream_options={"include_usage": True},  # a last chunk with the token counts
            ) as stream:
                async for event in stream:
                    if event.type == "content.delta":
                        print(event.delta, end="", flush=True)
                    elif event.type == "content.done":
                        print()
                    elif event.type == "refusal.done":
                        print(f"[refused: {event.refusal}]")
                    elif event.type == "tool_calls.function.arguments.done":
                        print(f"[tool call {event.name}({event.arguments})]")
                completion = await stream.get_final_completion()
            usage = completion.usage
            if usage:
                print(f"[tokens: {usage.prompt_tokens} in, {usage.completion_tokens} out]")
            else:
                print("[the server sent no usage]")
        if deadline.cancelled_caught:
            print("\n[stopped at the deadline]")


if __name__ == "__main__":
    trio.run(main, " ".join(sys.argv[1:]) or "Hello from Trio!")
