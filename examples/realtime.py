"""A text conversation over the Realtime API's WebSocket.

With OPENAI_API_KEY set, this talks to the real API (model from OPENAI_REALTIME_MODEL,
default gpt-realtime). Without a key, it starts the bundled scripted WebSocket server (a
deterministic echo) inside this same Trio run, so the example works with no network.

    python examples/realtime.py "Hello!" "Tell me a joke about trio"
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
            model = os.environ.get("OPENAI_REALTIME_MODEL", "gpt-realtime")
        else:
            from trio_openai.testing import open_ws_server

            server = await stack.enter_async_context(open_ws_server())
            server.pace = 0.05  # a visible token rate
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "echo-realtime"
            print(f"(no OPENAI_API_KEY: talking to the local echo server at {server.url})")
        await stack.enter_async_context(client)

        # The block owns the socket and its reader task: leaving it (normally, on an
        # exception or on Ctrl-C) closes the session with code 1000.
        async with client.realtime.connect(model=model) as conn:
            await conn.session.update(
                session={
                    "type": "realtime",
                    "output_modalities": ["text"],
                    "instructions": "Answer in one short sentence.",
                }
            )
            for prompt in prompts:
                print(f"> {prompt}")
                await conn.conversation.item.create(
                    item={
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_text", "text": prompt}],
                    }
                )
                await conn.response.create()
                async for event in conn:
                    if event.type == "response.output_text.delta":
                        print(event.delta, end="", flush=True)
                    elif event.type == "response.done":
                        print()
                        break

            # A server `error` event is raised as an exception (RealtimeError, a
            # StreamError); the session stays usable afterwards.
            await conn.response.cancel()  # nothing to cancel: the server answers with an error
            with trio.move_on_after(10):
                try:
                    async for _ in conn:
                        pass
                except trio_openai.StreamError as exc:
                    print(f"(the server refused the cancel: {exc.code}: {exc})")


if __name__ == "__main__":
    trio.run(main, sys.argv[1:] or ["Hello from Trio!", "What is a nursery?"])
