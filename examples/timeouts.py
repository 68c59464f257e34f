"""Timeouts: your cancel scope is the deadline; `timeout=` bounds each attempt.

- The whole call, retries and backoff included: wrap it in `trio.move_on_after(s)` (give
  up quietly) or `trio.fail_after(s)` (raise `trio.TooSlowError`). The library never turns
  that cancellation into an error of its own, and never retries it.
- One attempt: `timeout=` (seconds, or `trio_openai.Timeout(...)`) on the client or per
  call. When it expires the attempt fails with `APITimeoutError`, which is retried like a
  connection error.
- Streams: `Timeout(first_event=..., idle=...)` bound the wait for the first event and
  the longest silence between two events; `request` only covers the wait for the headers,
  so a long answer that keeps streaming is never cut.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2);
with OPENAI_BASE_URL as well, any OpenAI-compatible server. Without a key, it starts the
bundled local server inside this same Trio run and scripts a slow answer and a stream that
stalls after two events.

    python examples/timeouts.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

import trio

import trio_openai
from trio_openai import Timeout

if TYPE_CHECKING:
    from trio_openai.testing import LocalServer


def script_local_server(server: LocalServer) -> None:
    from trio_openai.testing import Reply

    slow = Reply.json({"id": "resp_slow", "object": "response", "output": []}, delay=3)
    created = {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}}
    delta = {"type": "response.output_text.delta", "delta": "Once upon"}
    stalled = Reply.sse([created, delta], stall_after=2, event_names=True)
    server.script("POST", "/v1/responses", slow, slow, slow, stalled)


async def main() -> None:
    async with AsyncExitStack() as stack:
        offline = not os.environ.get("OPENAI_API_KEY")
        if not offline:
            client = trio_openai.OpenAI()
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            script_local_server(server)
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "local"
            print(f"(no OPENAI_API_KEY: the local server at {server.base_url} plays a slow model)")
        await stack.enter_async_context(client)
        prompt = "Write a long story about a lighthouse."

        print("1. A deadline for the whole call (a cancel scope):")
        deadline = 1.0 if offline else 0.05  # short enough to expire here
        with trio.move_on_after(deadline) as scope:
            await client.responses.create(model=model, input=prompt, max_output_tokens=200)
            print("  answered in time")
        if scope.cancelled_caught:
            busy = client.statistics()["busy"]
            print(f"  gave up after {deadline} s, not retried; connections still busy: {busy}")

        print("2. A limit per attempt (retried like a connection error):")
        start = trio.current_time()
        try:
            await client.responses.create(
                model=model,
                input=prompt,
                max_output_tokens=200,
                timeout=0.5 if offline else 0.01,
                max_retries=1,
            )
            print("  answered in time")
        except trio_openai.APITimeoutError as err:
            elapsed = trio.current_time() - start
            print(f"  {type(err).__name__}: {err} (2 attempts, {elapsed:.1f} s with backoff)")

        print("3. Stream limits: first event and idle gap:")
        limits = Timeout(request=30, first_event=20, idle=0.5 if offline else 10)
        try:
            async with client.responses.stream(
                model=model, input=prompt, max_output_tokens=200, timeout=limits
            ) as stream:
                async for event in stream:
                    if event.type == "response.output_text.delta":
                        print(f"  {event.delta!r}")
                        if not offline:
                            break  # one delta is enough to show it streams
        except trio_openai.APITimeoutError as err:
            print(f"  {type(err).__name__}: {err}")


if __name__ == "__main__":
    trio.run(main)
