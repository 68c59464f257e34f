"""Fan-out: many prompts at once, bounded, rate-limited, nothing lost.

`trio_openai.lib.map_concurrent` runs a call per input with at most N in flight and gives one
outcome per input (its value, or the typed error it raised); `RateLimiter` holds requests
back before the account's limits are hit and pauses every task together on a 429.

Offline (no OPENAI_API_KEY) it runs against the bundled local server, which here grants
20 requests per second and answers 429 past that. With a key it asks the real API.

    python examples/fanout.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack

import trio

import trio_openai
from trio_openai.lib import RateLimiter, map_concurrent


async def main() -> None:
    prompts = [f"Give me one word about the number {n}." for n in range(60)]
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
            limiter = RateLimiter()  # learns the limits from the x-ratelimit headers
            client = trio_openai.OpenAI(rate_limiter=limiter)
        else:
            from trio_openai.testing import RateLimitBudget, open_local_server

            server = await stack.enter_async_context(open_local_server())
            server.rate_limit = RateLimitBudget(requests_per_minute=20, window=1.0)
            model = "echo-1"
            limiter = RateLimiter(requests_per_minute=20, period=1.0)  # a one-second "minute"
            client = trio_openai.OpenAI(
                api_key="local", base_url=server.base_url, rate_limiter=limiter
            )
            print(f"(offline: local server at {server.base_url}, 20 requests per second)")
        await stack.enter_async_context(client)

        async def ask(prompt: str) -> str:
            response = await client.responses.create(
                model=model, input=prompt, max_output_tokens=16
            )
            return response.output_text

        start = trio.current_time()
        ok = failed = 0
        async with map_concurrent(ask, prompts, limit=16) as outcomes:
            async for outcome in outcomes:  # as they complete
                if outcome.ok:
                    ok += 1
                else:
                    failed += 1
                    print(
                        f"  #{outcome.index} failed: {type(outcome.error).__name__}: {outcome.error}"
                    )
        elapsed = trio.current_time() - start
        stats = limiter.statistics()
        print(f"{ok} answered, {failed} failed in {elapsed:.1f} s; 429s seen: {stats.rate_limited}")


if __name__ == "__main__":
    trio.run(main)
