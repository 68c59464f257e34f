"""Rate-limited fan-out against a fixed budget: the limiter vs a plain bounded gather.

    .venv/bin/python -m benchmarks.ratelimit [--requests 10000] [--per-window 200] [--window 1.0]

The local server (trio_openai.testing) grants ``--per-window`` requests per ``--window``
seconds and answers 429 with retry-after-ms beyond that. Both modes send the same requests
with 100 in flight through `trio_openai.lib.run_all`; "limited" gives the client a
`RateLimiter` configured with the budget, "plain" does not (each 429 retries on its own).
Reported: achieved throughput as a fraction of the budget, 429s received in total and
after the first window, and whether every request succeeded.
"""

from __future__ import annotations

import argparse
import time

import trio

import trio_openai
from trio_openai.lib import RateLimiter, run_all
from trio_openai.testing import RateLimitBudget, Reply, open_local_server


async def run_mode(
    limited: bool, requests: int, per_window: int, window: float
) -> dict[str, float]:
    async with open_local_server() as server:
        budget = RateLimitBudget(requests_per_minute=per_window, window=window)
        server.rate_limit = budget
        server.script("POST", "/v1/work", Reply.json({"ok": True}))
        limiter = None
        if limited:
            limiter = RateLimiter(requests_per_minute=per_window)
        rejected_at_first_window: list[int] = []
        async with trio_openai.OpenAI(
            api_key="bench", base_url=server.base_url, rate_limiter=limiter, max_retries=50
        ) as client:

            async def first_window_mark() -> None:
                await trio.sleep(window)
                rejected_at_first_window.append(budget.rejected)

            async def call(n: int) -> object:
                return await client.post("/work", body={"i": n})

            start = time.perf_counter()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(first_window_mark)
                outcomes = await run_all(call, range(requests), limit=100)
                nursery.cancel_scope.cancel()
            elapsed = time.perf_counter() - start
    budget_rate = per_window / window
    after_first = budget.rejected - (rejected_at_first_window[0] if rejected_at_first_window else 0)
    return {
        "seconds": elapsed,
        "fraction_of_budget": (requests / elapsed) / budget_rate,
        "429s": budget.rejected,
        "429s_after_first_window": after_first,
        "failed": sum(1 for o in outcomes if not o.ok),
    }


async def main(args: argparse.Namespace) -> None:
    print(
        f"{args.requests} requests, budget {args.per_window} per {args.window} s, 100 in flight\n"
    )
    print("| mode | seconds | throughput / budget | 429s | 429s after the 1st window | failed |")
    print("|---|---|---|---|---|---|")
    for limited in (True, False):
        r = await run_mode(limited, args.requests, args.per_window, args.window)
        name = "RateLimiter" if limited else "plain bounded gather"
        print(
            f"| {name} | {r['seconds']:.1f} | {r['fraction_of_budget']:.1%} | {r['429s']} "
            f"| {r['429s_after_first_window']} | {r['failed']} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--per-window", type=int, default=200)
    parser.add_argument("--window", type=float, default=1.0)
    trio.run(main, parser.parse_args())
