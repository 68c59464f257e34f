"""Connections and transport: size the pool, watch it with `statistics()`.

`trio_openai.DefaultHttpClient(...)` is the pool every client uses, with its settings as
arguments (openai-python's names): `max_connections`, `max_keepalive_connections`,
`keepalive_expiry`, `local_address`, `verify` (a CA bundle), `cert` (mutual TLS), `proxy`
and `trust_env` (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY). The pool you pass stays
yours: open it in the same `async with` as the client.

Here 20 requests share a pool of 4 connections: the rest wait their turn, first come
first served, and `statistics()` shows it. See docs/transport.md.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2);
with OPENAI_BASE_URL as well, any OpenAI-compatible server. Without a key, it starts the
bundled local server (a deterministic echo model) inside this same Trio run.

    python examples/transport.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack

import trio

import trio_openai

REQUESTS = 20


async def main() -> None:
    async with AsyncExitStack() as stack:
        base_url = None  # None: OPENAI_BASE_URL, else the API
        model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        api_key = None
        if not os.environ.get("OPENAI_API_KEY"):
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            server.echo_pace = 0.01  # each answer takes a moment: requests overlap
            base_url, api_key, model = server.base_url, "sk-local", "echo-1"
        http = await stack.enter_async_context(
            trio_openai.DefaultHttpClient(max_connections=4, max_keepalive_connections=4)
        )
        client = await stack.enter_async_context(
            trio_openai.OpenAI(api_key=api_key, base_url=base_url, http_client=http)
        )
        most_waiting = 0

        async def ask(n: int) -> None:
            nonlocal most_waiting
            stream = client.responses.stream(model=model, input=f"Say the number {n}.")
            async with stream as events:
                async for _ in events:
                    most_waiting = max(most_waiting, client.statistics()["waiting"])

        async with trio.open_nursery() as nursery:
            for n in range(REQUESTS):
                nursery.start_soon(ask, n)
        stats = client.statistics()
        print(f"{REQUESTS} streams over at most 4 connections; up to {most_waiting} waited")
        print(f"pool now: {stats}")
        assert stats["busy"] == 0
        assert stats["connections"] <= 4


if __name__ == "__main__":
    trio.run(main)
