"""Telemetry on vs off: stream throughput and fan-out requests per second.

    .venv/bin/python -m benchmarks.otel            # ~1 minute
    .venv/bin/python -m benchmarks.otel --quick    # fewer repeats

Against benchmarks.server (pre-rendered answers, another process), three clients:

- off: no middleware (what every user without telemetry runs);
- api: `trio_openai.otel.instrument` with the OpenTelemetry API only (no SDK: the
  tracer and meter are no-ops), the cost of the middleware itself;
- sdk: the SDK recording everything: every span through a BatchSpanProcessor (what a
  service runs in production) to an exporter that drops it, every metric point
  aggregated by a MeterProvider.

Stream: one chat-completions stream of N chunk events, one HTTP chunk per event (a token
stream); events per second. Fan-out: M JSON chat completions, C in flight; requests per
second. Both count the client process's CPU time (all its threads: the span processor's
included), not the wall clock: the machine is shared, and a rate per CPU-second is what
telemetry takes from a client that is CPU-bound. Runs alternate between the clients; the
medians are reported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import trio
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

import trio_openai
from trio_openai import otel

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = [{"role": "user", "content": "Say something."}]


class _Drop(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def make_client(kind: str, base_url: str) -> trio_openai.OpenAI:
    client = trio_openai.OpenAI(api_key="bench", base_url=base_url, max_retries=0)
    if kind == "api":
        otel.instrument(client)  # the global providers: no SDK installed, so no-ops
    elif kind == "sdk":
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(BatchSpanProcessor(_Drop()))
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        otel.instrument(client, tracer_provider=tracer_provider, meter_provider=meter_provider)
    return client


async def stream_rate(client: trio_openai.OpenAI, events: int) -> float:
    start = time.process_time()
    count = 0
    async with await client.chat.completions.create(
        model="bench", messages=MESSAGES, stream=True, extra_query={"n": events, "batch": 1}
    ) as stream:
        async for _ in stream:
            count += 1
    assert count == events, count
    return count / (time.process_time() - start)


async def fanout_rate(client: trio_openai.OpenAI, requests: int, in_flight: int) -> float:
    limit = trio.CapacityLimiter(in_flight)

    async def one() -> None:
        async with limit:
            await client.chat.completions.create(model="bench", messages=MESSAGES)

    start = time.process_time()
    async with trio.open_nursery() as nursery:
        for _ in range(requests):
            nursery.start_soon(one)
    return requests / (time.process_time() - start)


async def measure(
    base_url: str, kinds: Sequence[str], repeats: int, run: Callable[..., object], *args: int
) -> dict[str, float]:
    results: dict[str, list[float]] = {kind: [] for kind in kinds}
    clients = {kind: make_client(kind, base_url) for kind in kinds}
    try:
        for kind in kinds:  # warm-up: connections, first imports
            await run(clients[kind], *args)  # type: ignore[misc]
        for repeat in range(repeats):  # the order turns, so none always runs first
            turn = repeat % len(kinds)
            for kind in (*kinds[turn:], *kinds[:turn]):
                rate = await run(clients[kind], *args)  # type: ignore[misc]
                results[kind].append(float(rate))  # type: ignore[arg-type]
    finally:
        for client in clients.values():
            await client.aclose()
    return {kind: statistics.median(values) for kind, values in results.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    repeats = 5 if args.quick else 11
    events, requests, in_flight = 20_000, 2_000, 100
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        base_url = f"http://127.0.0.1:{port}/v1"
        kinds = ("off", "api", "sdk")

        async def both() -> tuple[dict[str, float], dict[str, float]]:
            stream = await measure(base_url, kinds, repeats, stream_rate, events)
            fanout = await measure(base_url, kinds, repeats, fanout_rate, requests, in_flight)
            return stream, fanout

        stream, fanout = trio.run(both)
    finally:
        server.terminate()
        server.wait(10)
    print(
        f"medians of {repeats} runs, per CPU-second of the client (events/s of one "
        f"{events}-event stream; req/s of {requests} JSON calls, {in_flight} in flight)"
    )
    print(f"{'':8}{'stream ev/s':>14}{'ratio':>8}{'fan-out req/s':>16}{'ratio':>8}")
    for kind in kinds:
        print(
            f"{kind:8}{stream[kind]:>14,.0f}{stream[kind] / stream['off']:>8.2f}"
            f"{fanout[kind]:>16,.0f}{fanout[kind] / fanout['off']:>8.2f}"
        )


if __name__ == "__main__":
    main()
