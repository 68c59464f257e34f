"""Hedged requests against a slow tail, and what resuming a cut stream costs.

    .venv/bin/python -m benchmarks.hedging            # 2,000 calls per case, ~40 s
    .venv/bin/python -m benchmarks.hedging --calls 500

Part 1, the tail: the local server answers ``GET /v1/models`` after a reply time drawn per
request, 100-150 ms, and for 2 % of requests (hedges included) ten times that. 2,000 calls
run with 40 in flight, without hedging, with ``hedge_after`` at a few values and with `AdaptiveHedge`. Reported:
p50 / p99 / max latency per call and the extra requests hedging sent (in % of calls).

Part 2, resume: a background Responses stream read whole, then cut (TCP reset) once at its
middle event and resumed with ``GET /responses/{id}?stream=true&starting_after=N``; the
difference of the median times is the cost of one cut.
"""

from __future__ import annotations

import argparse
import random
import statistics
from typing import Final

import trio

import trio_openai
from trio_openai.lib._responses_stream import ResponseStreamManager
from trio_openai.testing import LocalServer, RecordedRequest, Reply, open_local_server, slow_replies

KEY: Final = "sk-bench"
MODELS: Final[dict[str, object]] = {"object": "list", "data": []}
FAST: Final = (0.100, 0.150)
SLOW_FRACTION: Final = 0.02
CONCURRENCY: Final = 40


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def tail_case(
    server: LocalServer,
    *,
    calls: int,
    hedge_after: float | trio_openai.AdaptiveHedge | None,
    seed: int,
) -> dict[str, float]:
    rng = random.Random(seed)

    def fast(request: RecordedRequest) -> Reply:
        del request
        return Reply.json(MODELS, delay=rng.uniform(*FAST))

    slow_extra = 9 * sum(FAST) / 2  # a slow reply takes ~10x the median fast one
    server.reset()
    server.script(
        "GET", "/v1/models", slow_replies(fast, fraction=SLOW_FRACTION, delay=slow_extra, seed=seed)
    )
    latencies: list[float] = []
    limiter = trio.CapacityLimiter(CONCURRENCY)
    async with trio_openai.OpenAI(
        api_key=KEY, base_url=server.base_url, hedge_after=hedge_after, max_retries=0
    ) as client:

        async def one() -> None:
            async with limiter:
                start = trio.current_time()
                await client.get("/models")
                latencies.append(trio.current_time() - start)

        async with trio.open_nursery() as nursery:
            for _ in range(calls):
                nursery.start_soon(one)
        hedges = client.statistics()["hedges_started"]
    return {
        "p50_ms": 1000 * _percentile(latencies, 0.50),
        "p99_ms": 1000 * _percentile(latencies, 0.99),
        "max_ms": 1000 * max(latencies),
        "extra_pct": 100 * hedges / calls,
        "sent": len(server.requests),
    }


async def resume_case(server: LocalServer, *, runs: int) -> dict[str, float]:
    text = " ".join(f"w{n}" for n in range(200))
    body = {"model": "echo-1", "input": text, "background": True}
    async with trio_openai.OpenAI(api_key=KEY, base_url=server.base_url) as client:
        server.reset()

        async def read(cut: int | None) -> tuple[float, int]:
            if cut is not None:
                server.background.faults.append(("reset", cut))
            start = trio.current_time()
            async with ResponseStreamManager(client, body) as stream:
                count = 0
                async for _ in stream:
                    count += 1
            return trio.current_time() - start, count

        _, events = await read(None)
        whole: list[float] = []
        cut: list[float] = []
        for _ in range(runs):  # interleaved, so a busy moment of the machine hits both
            whole.append((await read(None))[0])
            cut.append((await read(events // 2))[0])
    return {
        "events": events,
        "uncut_ms": 1000 * statistics.median(whole),
        "cut_once_ms": 1000 * statistics.median(cut),
        "per_cut_ms": 1000 * (statistics.median(cut) - statistics.median(whole)),
    }


async def main(calls: int, runs: int) -> None:
    async with open_local_server() as server:
        print(
            f"{calls} calls, {CONCURRENCY} in flight, replies {FAST[0] * 1000:.0f}-"
            f"{FAST[1] * 1000:.0f} ms, {SLOW_FRACTION:.0%} of them 10x slow"
        )
        print("| hedge_after | p50 ms | p99 ms | max ms | p99/p50 | extra requests |")
        print("|---|---|---|---|---|---|")
        policies: list[float | trio_openai.AdaptiveHedge | None] = [
            None,
            0.200,
            0.170,
            trio_openai.AdaptiveHedge(97, warmup=100),
        ]
        for hedge_after in policies:
            row = await tail_case(server, calls=calls, hedge_after=hedge_after, seed=7)
            if hedge_after is None:
                label = "off"
            elif isinstance(hedge_after, trio_openai.AdaptiveHedge):
                label = f"AdaptiveHedge({hedge_after.percentile:.0f})"
            else:
                label = f"{hedge_after * 1000:.0f} ms"
            print(
                f"| {label} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['max_ms']:.1f} "
                f"| {row['p99_ms'] / row['p50_ms']:.2f} | {row['extra_pct']:.1f} % |"
            )
        result = await resume_case(server, runs=runs)
        print(
            f"\nresume: {result['events']:.0f} events, uncut {result['uncut_ms']:.1f} ms, "
            f"cut once {result['cut_once_ms']:.1f} ms: {result['per_cut_ms']:.1f} ms per cut"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Hedged requests and stream resume.")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    trio.run(main, args.calls, args.runs)
