"""Generate text with the Responses API: one request, one typed `Response`.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2);
with OPENAI_BASE_URL as well, any OpenAI-compatible server (llama-server, vLLM, ...).
Without a key, it starts the bundled local server (a deterministic echo model) inside this
same Trio run, so the example works on a fresh machine.

    python examples/text_generation.py "Write me a haiku about computers"
"""

from __future__ import annotations

import os
import sys
from contextlib import AsyncExitStack

import trio

import trio_openai
from trio_openai import omit


async def main(prompt: str) -> None:
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI()  # OPENAI_API_KEY, OPENAI_BASE_URL, ...
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "echo-1"
            print(f"(no OPENAI_API_KEY: asking the local echo server at {server.base_url})")
        await stack.enter_async_context(client)  # the block owns the connection pool

        response = await client.responses.create(
            model=model,
            instructions="Answer briefly.",
            input=prompt,
            max_output_tokens=500,  # a bound on length and cost (reasoning tokens count too)
        )
        # output_text joins the text of every message item, as the official SDKs do.
        print(response.output_text)

        # Fields a server did not send are `omit` (not None): check before reading.
        print(f"[{response.id}: {response.status}]", end="")
        if response.usage is not omit:
            usage = response.usage
            print(f" [{usage.input_tokens} tokens in, {usage.output_tokens} out]", end="")
        print()


if __name__ == "__main__":
    trio.run(main, " ".join(sys.argv[1:]) or "Write me a haiku about computers")
