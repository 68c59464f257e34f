"""Several Responses over one WebSocket connection, each streamed as it is generated.

With OPENAI_API_KEY set, this talks to the real API (model from OPENAI_MODEL, default
gpt-5.2). Without a key, it starts the bundled scripted WebSocket server (a deterministic
echo) inside this same Trio run, so the example works with no network.

    python examples/responses_websocket.py "Name a river" "Which sea does it flow into?"
"""

from __future__ import annotations

import os
import sys
from contextlib import AsyncExitStack

import trio

import trio_openai


async def main(prompts: list[str]) -> None:
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI()
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            from trio_openai.testing import open_ws_server

            server = await stack.enter_async_context(open_ws_server())
            server.pace = 0.05  # a visible token rate
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "echo-1"
            print(f"(no OPENAI_API_KEY: talking to the local echo server at {server.url})")
        await stack.enter_async_context(client)

        async with client.responses.connect() as ws:
            previous: str | trio_openai.Omit = trio_openai.omit
            for prompt in prompts:
                print(f"> {prompt}")
                # Each `create` sends one response.create and streams that response's
                # events up to its terminal one; the next response reuses the connection.
                async with ws.create(
                    model=model, input=prompt, previous_response_id=previous
                ) as stream:
                    async for event in stream:
                        if event.type == "response.output_text.delta":
                            print(event.delta, end="", flush=True)
                    response = await stream.get_final_response()
                print(f"\n[{response.id}: {response.status}]")
                previous = response.id


if __name__ == "__main__":
    trio.run(main, sys.argv[1:] or ["Hello from Trio!", "And once more?"])
