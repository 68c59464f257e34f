"""Telemetry on vs off: stream throughput and fan-out requests per second.

    .venv/bin/python -m benchmarks.otel            # ~1 minute
    .venv/bin/python -m benchmarks.otel --quick    # fewer repeats
    .venv/bin/python -m benchmarks.otel --gc-off   # the garbage collector disabled

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

Floor (fan-out only): a fourth client whose middleware makes the SDK do, per call, what
the sdk client makes it do, with constant attributes and nothing else (`SDKFloor`): the
ratio any instrumentation emitting these spans and points through this SDK is bounded
by at this request rate. ``sdk - floor`` is the middleware's own cost. The floor runs in
the client, not in a bare loop, because much of the SDK's cost is the garbage collector's
work on the objects a recording span allocates while a hundred calls are in flight.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import trio
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

import trio_openai
from trio_openai import otel
from trio_openai._types import CallNext

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = [{"role": "user", "content": "Say something."}]


class _Drop(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def sdk_providers() -> tuple[TracerProvider, MeterProvider]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_Drop()))
    return tracer_provider, MeterProvider(metric_readers=[InMemoryMetricReader()])


def make_client(kind: str, base_url: str) -> trio_openai.OpenAI:
    client = trio_openai.OpenAI(api_key="bench", base_url=base_url, max_retries=0)
    if kind == "api":
        otel.instrument(client)  # the global providers: no SDK installed, so no-ops
    elif kind == "sdk":
        tracer_provider, meter_provider = sdk_providers()
        otel.instrument(client, tracer_provider=tracer_provider, meter_provider=meter_provider)
    elif kind == "floor":
        client.middleware = (SDKFloor(),)
    return client


class SDKFloor:
    """The SDK's own work for one JSON chat completion and nothing else, as a middleware:
    a span started with the six attributes a sampler sees, given the ten others of the
    benchmark's answer in one call and ended, and the three histogram points of a call.
    Every attribute is a constant: no request or response is read."""

    def __init__(self) -> None:
        tracer_provider, meter_provider = sdk_providers()
        self.tracer = tracer_provider.get_tracer("floor")
        meter = meter_provider.get_meter("floor")
        self.duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s")
        self.tokens = meter.create_histogram("gen_ai.client.token.usage", unit="{token}")
        metric: dict[str, str | int] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "server.address": "127.0.0.1",
            "server.port": 8000,
            "gen_ai.request.model": "bench",
        }
        self.start = {**metric, "openai.api.type": "chat_completions"}
        metric["gen_ai.response.model"] = "gpt-4.1-2025-04-14"
        self.metric = metric
        self.inputs = {**metric, "gen_ai.token.type": "input"}
        self.outputs = {**metric, "gen_ai.token.type": "output"}
        self.end = {
            "gen_ai.response.id": "chatcmpl-0",
            "gen_ai.response.model": "gpt-4.1-2025-04-14",
            "gen_ai.response.finish_reasons": ["stop"],
            "gen_ai.usage.input_tokens": 19,
            "gen_ai.usage.output_tokens": 40,
            "gen_ai.usage.cache_read.input_tokens": 0,
            "gen_ai.usage.reasoning.output_tokens": 0,
            "openai.response.service_tier": "default",
            "openai.response.system_fingerprint": "fp_bench",
            "trio_openai.end_reason": "complete",
        }

    async def __call__(self, request: httpx.Request, call_next: CallNext) -> httpx.Response:
        began = time.perf_counter()
        span = self.tracer.start_span("chat bench", kind=SpanKind.CLIENT, attributes=self.start)
        response = await call_next(request)
        span.set_attributes(self.end)
        span.end()
        self.duration.record(time.perf_counter() - began, self.metric)
        self.tokens.record(19, self.inputs)
        self.tokens.record(40, self.outputs)
        return response


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
    parser.add_argument(
        "--gc-off",
        action="store_true",
        help="disable the garbage collector in the client: how much of the cost is its",
    )
    args = parser.parse_args(argv)
    if args.gc_off:
        gc.disable()
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
            fanout = await measure(
                base_url, (*kinds, "floor"), repeats, fanout_rate, requests, in_flight
            )
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
    off_call, api_call, sdk_call, floor_call = (
        1e6 / fanout[kind] for kind in ("off", "api", "sdk", "floor")
    )
    print(f"{'floor':8}{'':>22}{fanout['floor']:>16,.0f}{fanout['floor'] / fanout['off']:>8.2f}")
    print(
        f"fan-out CPU per call: off {off_call:.0f} us; api +{api_call - off_call:.0f} us; "
        f"sdk +{sdk_call - off_call:.0f} us = SDK floor +{floor_call - off_call:.0f} us "
        f"+ the middleware's own {sdk_call - floor_call:.0f} us"
    )


if __name__ == "__main__":
    main()
