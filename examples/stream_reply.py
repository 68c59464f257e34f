"""Stream a reply token by token.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default
gpt-5.2). Without a key, it starts the bundled local server (a deterministic echo model)
inside this same Trio run and streams from it, so the example works on a fresh machine.

    python examples/stream_reply.py "Write a haiku about Trio"
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

        body = {"model": model, "input": prompt, "stream": True}
        async with client.stream("POST", "/responses", body=body) as stream:
            async for event in stream:
                if event["type"] == "response.output_text.delta":
                    print(event["delta"], end="", flush=True)
                elif event["type"] == "response.completed":
                    usage = event["response"].get("usage") or {}
                    print(f"\n[{usage.get('output_tokens', '?')} output tokens]")


if __name__ == "__main__":
    trio.run(main, " ".join(sys.argv[1:]) or "Hello from Trio!")
