"""Request options: set them on the client, override them per call, or derive a client.

- On the client: `OpenAI(default_headers=..., default_query=..., timeout=..., max_retries=...,
  middleware=...)` applies to every request it sends.
- Per call: every API method also takes `extra_headers`, `extra_query`, `extra_body`,
  `timeout`, `max_retries`, `middleware` and `idempotency_key`; they win over the client's.
- `client.with_options(...)` returns a cheap copy with some options changed. It shares the
  connection pool, so deriving one per request costs nothing; headers and query parameters
  given to it are added to the original's.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2);
with OPENAI_BASE_URL as well, any OpenAI-compatible server. Without a key, it starts the
bundled local server (a deterministic echo model) inside this same Trio run.

    python examples/request_options.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

import trio

import trio_openai

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import httpx

SHOWN = ("x-app", "x-team", "idempotency-key", "x-stainless-timeout")


async def show_options(
    request: httpx.Request, call_next: Callable[[httpx.Request], Awaitable[httpx.Response]]
) -> httpx.Response:
    """Middleware: print the headers this example sets, as they leave the client."""
    shown = {name: request.headers[name] for name in SHOWN if name in request.headers}
    print(f"  -> {request.url.path} {shown}")
    return await call_next(request)


async def main() -> None:
    async with AsyncExitStack() as stack:
        api_key = base_url = None  # None: OPENAI_API_KEY and OPENAI_BASE_URL
        model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        if not os.environ.get("OPENAI_API_KEY"):
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            api_key, base_url = "local", server.base_url
            model = "echo-1"
            print(f"(no OPENAI_API_KEY: asking the local echo server at {server.base_url})")
        client = trio_openai.OpenAI(
            api_key=api_key,
            base_url=base_url,
            default_headers={"X-App": "request-options-demo"},
            timeout=120.0,  # each attempt; a cancel scope around a call bounds them all
            max_retries=3,
            middleware=[show_options],
        )
        await stack.enter_async_context(client)

        print("1. The client's options:")
        await client.responses.create(model=model, input="Say hi.", max_output_tokens=100)

        print("2. Per call: this request's header wins, and it may be retried safely:")
        await client.responses.create(
            model=model,
            input="Say hi.",
            max_output_tokens=100,
            extra_headers={"X-App": "per-call"},
            idempotency_key="demo-7f3c",
            timeout=30,
            max_retries=0,
        )

        print("3. A derived client: more headers, other limits, the same connections:")
        team = client.with_options(default_headers={"X-Team": "search"}, timeout=15)
        await team.responses.create(model=model, input="Say hi.", max_output_tokens=100)
        print(f"  its timeout: {team.timeout}")
        print(f"  one pool for both: {client.statistics()}")

        print("4. The original is unchanged:")
        await client.models.list().first_page()


if __name__ == "__main__":
    trio.run(main)
