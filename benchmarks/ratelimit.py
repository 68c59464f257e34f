"""Rate-limited fan-out against the project's own budget server, beside openai-python.

    .venv/bin/python -m benchmarks.ratelimit            # the whole matrix, ~5 minutes
    .venv/bin/python -m benchmarks.ratelimit --quick    # one repeat, shorter runs, ~3

The server is `trio_openai.testing`'s local server with a `RateLimitBudget` (a "minute"
scaled to one second), answering chat completions after a reply time drawn per request:
20-80 ms, 0.2-1 s, or an LLM's 6-30 s scaled like the minute (0.1-0.5 s). 5 % of attempts
fail with a transient 500 and 1 % of inputs with a permanent 400. Each case runs:

- trio_openai: `run_all` with a configured `RateLimiter` (and, under the budget, without
  one, to price the limiter);
- openai-python: `asyncio.gather` over a semaphore, in a subprocess (the package never
  imports asyncio), against the same server.

Reported per run: budget use (what the server accepted over what it offered, from the
first request until the last input was first admitted: after that only retries remain),
429s after the first window (the window where the budget is cut excepted), inputs lost
(no success though the server answered 200, or no outcome) and duplicated (answered 200
twice), inputs that failed although they were good (retries given up: the 1 % bad inputs
fail by design), whether each input has exactly one outcome, and the wall time.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import attrs
import trio

import trio_openai
from trio_openai.lib import RateLimiter, run_all
from trio_openai.testing import (
    LocalServer,
    RateLimitBudget,
    RecordedRequest,
    Reply,
    open_local_server,
)

PERIOD = 1.0  # the budget's "minute"
REPLIES = {"20-80 ms": (0.02, 0.08), "0.2-1 s": (0.2, 1.0), "6-30 s scaled": (0.1, 0.5)}
TOKENS_PER_REQUEST = 275  # the mean of the bodies below, as the API counts them
TRANSIENT, PERMANENT = 0.05, 0.01


def body_of(index: int) -> dict[str, Any]:
    """The request for one input: a prompt of 200-1200 characters and 100 output tokens."""
    size = random.Random(index).randrange(200, 1200)
    return {
        "model": "bench-1",
        "messages": [{"role": "user", "content": "w" * size}],
        "max_tokens": 100,
        "user": f"in-{index}",
    }


def permanently_bad(index: int) -> bool:
    """The 1 % of inputs the server refuses every time (400)."""
    return random.Random(-index).random() < PERMANENT


@attrs.define
class Case:
    name: str
    refill: str  # "window" | "continuous"
    reply: str
    tokens: bool  # token-bound instead of request-bound
    per_period: int  # requests a period (token-bound: that many requests' tokens)
    count: int
    in_flight: int
    cut_at: float | None = None
    over: bool = True

    def budget(self) -> RateLimitBudget:
        if self.tokens:
            return RateLimitBudget(
                tokens_per_minute=self.per_period * TOKENS_PER_REQUEST,
                window=PERIOD,
                refill=self.refill,  # type: ignore[arg-type]
            )
        return RateLimitBudget(
            requests_per_minute=self.per_period, window=PERIOD, refill=self.refill  # type: ignore[arg-type]
        )

    def limiter(self) -> RateLimiter:
        if self.tokens:
            return RateLimiter(tokens_per_minute=self.per_period * TOKENS_PER_REQUEST, period=PERIOD)
        return RateLimiter(requests_per_minute=self.per_period, period=PERIOD)


@attrs.define
class Result:
    use: float
    late_429s: int
    all_429s: int
    lost: int
    duplicated: int
    failed: int
    one_outcome_each: bool
    seconds: float


class Bench:
    """The server side of every run: the budget, the reply times, the faults, the records."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.case: Case | None = None
        self.first_admitted: dict[int, float] = {}
        self.successes: Counter[int] = Counter()
        server.script("POST", "/v1/chat/completions", Reply.handler(self.reply))

    def start(self, case: Case) -> RateLimitBudget:
        self.case = case
        self.first_admitted = {}
        self.successes = Counter()
        budget = case.budget()
        self.server.rate_limit = budget
        self.server.requests.clear()
        return budget

    async def reply(self, request: RecordedRequest) -> Reply:
        assert self.case is not None
        body = request.json()
        index = int(body["user"].removeprefix("in-"))
        attempt = int(request.headers.get("x-stainless-retry-count", "0"))
        self.first_admitted.setdefault(index, trio.current_time())
        draw = random.Random(index * 1000 + attempt)
        if permanently_bad(index):
            return Reply.error(400, message="permanently bad input")
        if draw.random() < TRANSIENT:
            return Reply.error(500, message="transient", type="server_error")
        await trio.sleep(draw.uniform(*REPLIES[self.case.reply]))
        self.successes[index] += 1
        return Reply.json(
            {
                "id": f"c-{index}",
                "object": "chat.completion",
                "created": 0,
                "model": "bench-1",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "ok"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
            }
        )

    def result(
        self, budget: RateLimitBudget, outcomes: dict[int, list[bool]], seconds: float, start: float
    ) -> Result:
        case = self.case
        assert case is not None
        end = max(self.first_admitted.values())
        points = [p for p in budget.timeline if p.time <= end]
        point = points[-1]
        used, unused = (
            (point.tokens_used, point.tokens_unused)
            if case.tokens
            else (point.requests_used, point.requests_unused)
        )
        first = budget.timeline[0].time
        cut = None if case.cut_at is None else start + case.cut_at

        def excused(t: float) -> bool:
            return t < first + PERIOD or (cut is not None and cut <= t < cut + PERIOD)

        lost = sum(
            1
            for i in range(case.count)
            if len(outcomes.get(i, [])) != 1 or (self.successes[i] > 0) != outcomes[i][0]
        )
        failed = sum(
            1
            for i in range(case.count)
            if not any(outcomes.get(i, [False])) and not permanently_bad(i)
        )
        return Result(
            use=used / (used + unused) if used + unused else math.nan,
            late_429s=sum(1 for t in budget.rejected_at if not excused(t)),
            all_429s=budget.rejected,
            lost=lost,
            duplicated=sum(1 for n in self.successes.values() if n > 1),
            failed=failed,
            one_outcome_each=all(len(outcomes.get(i, [])) == 1 for i in range(case.count)),
            seconds=seconds,
        )


async def cut_later(case: Case, budget: RateLimitBudget) -> None:
    if case.cut_at is None:
        return
    await trio.sleep(case.cut_at)
    half = case.per_period // 2
    if case.tokens:
        budget.cut(tokens_per_minute=half * TOKENS_PER_REQUEST)
    else:
        budget.cut(requests_per_minute=half)


async def run_trio_openai(bench: Bench, case: Case, *, limited: bool) -> Result:
    budget = bench.start(case)
    limiter = case.limiter() if limited else None
    async with trio_openai.OpenAI(
        api_key="bench",
        base_url=bench.server.base_url,
        rate_limiter=limiter,
        max_retries=10,
        random_source=lambda: 0.5,
    ) as client:

        async def call(index: int) -> object:
            return await client.chat.completions.create(**body_of(index))

        start = trio.current_time()
        wall = time.perf_counter()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(cut_later, case, budget)
            outcomes = await run_all(call, range(case.count), limit=case.in_flight)
            nursery.cancel_scope.cancel()
        seconds = time.perf_counter() - wall
    by_index = {o.index: [o.ok] for o in outcomes}
    return bench.result(budget, by_index, seconds, start)


class OpenAIWorker:
    """openai-python in a subprocess, fed one job a line (see `worker_main`)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.ratelimit", "--openai-worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    async def run(self, bench: Bench, case: Case) -> Result:
        budget = bench.start(case)
        job = {"base_url": bench.server.base_url, "count": case.count, "in_flight": case.in_flight}
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        start = trio.current_time()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(cut_later, case, budget)
            line = await trio.to_thread.run_sync(self.proc.stdout.readline)
            nursery.cancel_scope.cancel()
        reply = json.loads(line)
        outcomes = {int(i): oks for i, oks in reply["outcomes"].items()}
        return bench.result(budget, outcomes, reply["seconds"], start)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def worker_main() -> None:
    """The subprocess: openai-python as its README shows, bounded by a semaphore."""
    import asyncio

    import openai

    async def job(spec: dict[str, Any]) -> dict[str, Any]:
        client = openai.AsyncOpenAI(api_key="bench", base_url=spec["base_url"], max_retries=10)
        slots = asyncio.Semaphore(spec["in_flight"])

        async def one(index: int) -> bool:
            async with slots:
                await client.chat.completions.create(**body_of(index))
                return True

        wall = time.perf_counter()
        results = await asyncio.gather(
            *(one(i) for i in range(spec["count"])), return_exceptions=True
        )
        seconds = time.perf_counter() - wall
        await client.close()
        outcomes = {i: [r is True] for i, r in enumerate(results)}
        return {"outcomes": outcomes, "seconds": seconds}

    for line in sys.stdin:
        print(json.dumps(asyncio.run(job(json.loads(line)))), flush=True)


def cases(quick: bool) -> list[Case]:
    scale = 0.6 if quick else 1.0
    # Budgets low enough that the clients are bound by them, not by this 2-core machine.
    over_rate = {"20-80 ms": 50, "0.2-1 s": 30, "6-30 s scaled": 40}
    under_flight = {"20-80 ms": 4, "0.2-1 s": 16, "6-30 s scaled": 16}
    found: list[Case] = []
    for refill in ("window", "continuous"):
        for reply, rate in over_rate.items():
            for tokens in (False, True):
                bound = "tokens" if tokens else "requests"
                found.append(
                    Case(
                        f"over, {refill}, {reply}, {bound}",
                        refill, reply, tokens, rate, round(rate * 3.5 * scale), 64,
                    )
                )
        found.append(
            Case(
                f"cut to 1/2 at 1.5 s, {refill}, 0.2-1 s, requests",
                refill, "0.2-1 s", False, 30, round(30 * 4 * scale), 64, cut_at=1.5,
            )
        )
        for reply, flight in under_flight.items():
            mean = sum(REPLIES[reply]) / 2
            natural = flight / mean  # what the in-flight bound asks for, a second
            found.append(
                Case(
                    f"under (~73 %), {refill}, {reply}, requests",
                    refill, reply, False, round(natural / 0.73), round(natural * 1.6 * scale),
                    flight, over=False,
                )
            )
    return found


def row(case: Case, client: str, r: Result) -> str:
    use = f"{r.use:.1%}" if case.over else "(under)"
    return (
        f"| {case.name} | {client} | {use} | {r.late_429s} | {r.all_429s} | {r.failed} "
        f"| {r.lost} | {r.duplicated} | {'yes' if r.one_outcome_each else 'NO'} "
        f"| {r.seconds:.2f} |"
    )


async def main(args: argparse.Namespace) -> None:
    worker = OpenAIWorker()
    repeats = 1 if args.quick else 3
    print(f"budget period {PERIOD} s; faults: {TRANSIENT:.0%} transient 500s, "
          f"{PERMANENT:.0%} permanent 400s; medians of {repeats} for the under-budget timing\n")
    print("| case | client | budget use | 429s after 1st window | 429s | failed | lost "
          "| duplicated | one outcome each | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    slowdowns: list[str] = []
    try:
        async with open_local_server() as server:
            bench = Bench(server)
            for case in cases(args.quick):
                if args.only and args.only not in case.name:
                    continue
                if case.over:
                    print(row(case, "trio_openai + RateLimiter",
                              await run_trio_openai(bench, case, limited=True)), flush=True)
                else:
                    limited: list[Result] = []
                    plain: list[Result] = []
                    for _ in range(repeats):  # interleaved: the machine's noise hits both
                        limited.append(await run_trio_openai(bench, case, limited=True))
                        plain.append(await run_trio_openai(bench, case, limited=False))
                    mid = statistics.median(r.seconds for r in limited)
                    base = statistics.median(r.seconds for r in plain)
                    limited[0].seconds, plain[0].seconds = mid, base
                    print(row(case, "trio_openai + RateLimiter", limited[0]))
                    print(row(case, "trio_openai, no limiter", plain[0]))
                    slowdowns.append(f"{case.name}: {mid / base - 1:+.1%}")
                print(row(case, "openai-python gather + semaphore",
                          await worker.run(bench, case)), flush=True)
    finally:
        worker.close()
    if slowdowns:
        print("\nUnder the budget, RateLimiter against no limiter (median wall time):")
        for line in slowdowns:
            print(f"- {line}")


if __name__ == "__main__":
    if "--openai-worker" in sys.argv:
        worker_main()
    else:
        parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
        parser.add_argument("--quick", action="store_true", help="one repeat, shorter runs")
        parser.add_argument("--only", default="", help="run the cases whose name contains this")
        trio.run(main, parser.parse_args())
