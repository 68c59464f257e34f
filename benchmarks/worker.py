"""One client, one workload, one fresh process: ``python -m benchmarks.worker CLIENT WORKLOAD``.

Prints one line ``RESULT {json}`` on stdout: the measured value, its unit, the peak RSS of
this process (``ru_maxrss``) and notes. A failure is reported the same way, with
``"error"`` set, so that the runner can record why a client could not run a workload.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import statistics
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from .payloads import PAGE_ITEMS, STORY, expected_events

# client name -> (adapter module, runtime, adapter options)
CLIENTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "trio_openai": ("client_trio_openai", "trio", {}),
    # what users call: the typed helpers, and openai-python's create(stream=True) shape
    "trio_openai_helper": ("client_trio_openai", "trio", {"api": "helper"}),
    "trio_openai_create": ("client_trio_openai", "trio", {"api": "create"}),
    "httpx_raw": ("client_httpx", "trio", {"reader": "raw"}),
    "httpx_lines": ("client_httpx", "trio", {"reader": "lines"}),
    "openai_asyncio": ("client_openai", "asyncio", {"runtime": "asyncio"}),
    "openai_trio": ("client_openai", "trio", {"runtime": "trio"}),
    "openai_helper": ("client_openai", "asyncio", {"runtime": "asyncio", "api": "helper"}),
    # experiments
    "trio_openai_dicts": ("client_trio_openai", "trio", {"decoders": "none"}),
    "trio_openai_fallback": ("client_trio_openai", "trio", {"decoders": "fallback"}),
    "trio_openai_proto": ("client_trio_openai", "trio", {"transport": "proto"}),
    "httpx_4pools": ("client_httpx", "trio", {"reader": "raw", "pools": 4}),
    "httpx2_raw": ("client_httpx", "trio", {"reader": "raw", "module": "httpx2"}),
    # raw httpx reading over trio_openai's pool: the transport's share of memory and speed
    "httpx_raw_trio_pool": ("client_httpx", "trio", {"reader": "raw", "transport": "trio_openai"}),
}

WORKLOADS = (
    "chat",
    "chat_bulk",
    "responses",
    "concurrent",
    "fanout",
    "ttfe",
    "pages",
    "content",
    "parse",
    "construct",
)

# Sizes of the full run; --quick scales them down.
FULL_SIZES = {
    "stream_events": 30_000,
    "bulk_batch": 64,
    "concurrent_streams": 1_000,
    "concurrent_events": 30,
    "fanout_requests": 2_000,
    "fanout_in_flight": 200,
    "ttfe_streams": 200,
    "constructions": 30,
    "pages": 20,  # x 100 files, listed 5 times
    "content_bytes": 8 << 20,  # downloaded 10 times
    "parses": 500,
}
QUICK_SIZES = {
    **FULL_SIZES,
    "stream_events": 5_000,
    "concurrent_streams": 300,
    "fanout_requests": 600,
    "ttfe_streams": 50,
    "constructions": 10,
    "parses": 200,
}


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


class Runtime:
    """The few primitives the workloads need, for trio or asyncio."""

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, fn: Callable[[], Awaitable[Any]]) -> Any:
        if self.name == "trio":
            import trio

            return trio.run(fn)
        import asyncio

        return asyncio.run(fn())  # type: ignore[arg-type]

    async def gather(self, n: int, fn: Callable[[int], Awaitable[Any]]) -> None:
        """Run fn(0) ... fn(n-1) concurrently; return when all are done."""
        if self.name == "trio":
            import trio

            async with trio.open_nursery() as nursery:
                for i in range(n):
                    nursery.start_soon(fn, i)
        else:
            import asyncio

            async with asyncio.TaskGroup() as group:
                for i in range(n):
                    group.create_task(fn(i))  # type: ignore[arg-type]


async def _stream_rate(adapter: Any, kind: str, n: int, batch: int) -> dict[str, Any]:
    await adapter.stream(kind, 200, batch)  # warm: connection open, code paths hot
    start, cpu = time.perf_counter(), time.process_time()
    count = await adapter.stream(kind, n, batch)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    expected = expected_events(kind, n)
    if count != expected:
        raise AssertionError(f"saw {count} events, expected {expected}")
    return {
        "value": count / elapsed,
        "unit": "events/s",
        "seconds": elapsed,
        "cpu_us": cpu / count * 1e6,
    }


async def _concurrent(adapter: Any, rt: Runtime, sizes: dict[str, int]) -> dict[str, Any]:
    streams, n = sizes["concurrent_streams"], sizes["concurrent_events"]
    await adapter.stream("chat", n, 1)
    rss_before = peak_rss_kib()
    seen = [0]

    async def one(_: int) -> None:
        got = await adapter.stream("chat", n, 1)
        seen[0] += got

    start, cpu = time.perf_counter(), time.process_time()
    await rt.gather(streams, one)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if seen[0] != streams * n:
        raise AssertionError(f"saw {seen[0]} events, expected {streams * n}")
    return {
        "value": seen[0] / elapsed,
        "unit": "events/s",
        "seconds": elapsed,
        "cpu_us": cpu / seen[0] * 1e6,
        "rss_before_kib": rss_before,
    }


async def _fanout(adapter: Any, rt: Runtime, sizes: dict[str, int]) -> dict[str, Any]:
    in_flight = sizes["fanout_in_flight"]

    async def burst(total: int) -> tuple[float, float]:
        left = [total]

        async def worker(_: int) -> None:
            while left[0] > 0:
                left[0] -= 1
                await adapter.request()

        start, cpu = time.perf_counter(), time.process_time()
        await rt.gather(in_flight, worker)
        return time.perf_counter() - start, time.process_time() - cpu

    await burst(in_flight)  # warm: open the connections
    total = sizes["fanout_requests"]
    elapsed, cpu = await burst(total)
    return {
        "value": total / elapsed,
        "unit": "req/s",
        "seconds": elapsed,
        "cpu_us": cpu / total * 1e6,
    }


async def _ttfe(adapter: Any, sizes: dict[str, int]) -> dict[str, Any]:
    for _ in range(20):
        await adapter.first_event("chat", 5)
    samples = [await adapter.first_event("chat", 5) for _ in range(sizes["ttfe_streams"])]
    samples.sort()
    return {
        "value": statistics.median(samples) * 1e6,
        "unit": "µs",
        "p90_us": samples[int(len(samples) * 0.9)] * 1e6,
    }


async def _construct(adapter: Any, sizes: dict[str, int]) -> dict[str, Any]:
    start = time.perf_counter()
    first = adapter.construct()
    first_s = time.perf_counter() - start
    await adapter.dispose(first)
    samples = []
    for _ in range(sizes["constructions"]):
        start = time.perf_counter()
        client = adapter.construct()
        samples.append(time.perf_counter() - start)
        await adapter.dispose(client)
    return {
        "value": statistics.median(samples) * 1e6,
        "unit": "µs",
        "first_ms": first_s * 1e3,
    }


async def _timed(
    count: int, unit: str, per: int, fn: Callable[[], Awaitable[Any]], check: Callable[[Any], bool]
) -> dict[str, Any]:
    """Run ``fn`` ``count`` times after one warm-up call; ``per`` units are done per call."""
    if not check(await fn()):
        raise AssertionError("the warm-up call returned the wrong result")
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        if not check(await fn()):
            raise AssertionError("a call returned the wrong result")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "value": count * per / elapsed,
        "unit": unit,
        "seconds": elapsed,
        "cpu_us": cpu / (count * per) * 1e6,
    }


async def _surface(adapter: Any, workload: str, sizes: dict[str, int]) -> dict[str, Any]:
    """Paging with ``async for``, binary content, and ``responses.parse(text_format=...)``."""
    if workload == "pages":
        pages = sizes["pages"]
        total = pages * PAGE_ITEMS
        return await _timed(5, "items/s", total, lambda: adapter.pages(pages), total.__eq__)
    if workload == "content":
        size = sizes["content_bytes"]
        result = await _timed(10, "MB/s", size, lambda: adapter.content(size), size.__eq__)
        result["value"] /= 1e6
        result["cpu_us"] *= 1e6  # per MB, not per byte
        return result
    return await _timed(
        sizes["parses"], "req/s", 1, adapter.parse, lambda story: story.words == STORY["words"]
    )


async def run_workload(adapter: Any, rt: Runtime, workload: str, sizes: dict[str, int]) -> Any:
    if workload == "construct":
        return await _construct(adapter, sizes)
    await adapter.open()
    try:
        n = sizes["stream_events"]
        if workload == "chat":
            return await _stream_rate(adapter, "chat", n, 1)
        if workload == "chat_bulk":
            return await _stream_rate(adapter, "chat", n, sizes["bulk_batch"])
        if workload == "responses":
            return await _stream_rate(adapter, "responses", n, 1)
        if workload == "concurrent":
            return await _concurrent(adapter, rt, sizes)
        if workload == "fanout":
            return await _fanout(adapter, rt, sizes)
        if workload == "ttfe":
            return await _ttfe(adapter, sizes)
        if workload in ("pages", "content", "parse"):
            return await _surface(adapter, workload, sizes)
        raise ValueError(f"unknown workload {workload!r}")
    finally:
        await adapter.aclose()


def _raise_fd_limit(streams: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(4096, streams + 1024)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))


def make_adapter(
    client: str, base_url: str, max_connections: int | None = None
) -> tuple[Any, Runtime]:
    module_name, runtime, options = CLIENTS[client]
    module = importlib.import_module(f"{__package__}.{module_name}")
    if max_connections is not None:  # more streams than the default pool's 1,000
        options = {**options, "max_connections": max_connections}
    return module.Adapter(base_url, **options), Runtime(runtime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("client", choices=sorted(CLIENTS))
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--streams", type=int, help="concurrent streams (concurrent workload)")
    args = parser.parse_args(argv)
    _raise_fd_limit(args.streams or 0)
    sizes = dict(QUICK_SIZES if args.quick else FULL_SIZES)
    if args.streams:
        sizes["concurrent_streams"] = args.streams
    base_url = f"http://127.0.0.1:{args.port}/v1"
    result: dict[str, Any]
    try:
        pool = args.streams if args.streams and args.streams > 1000 else None
        adapter, rt = make_adapter(args.client, base_url, pool)
        result = rt.run(lambda: run_workload(adapter, rt, args.workload, sizes))
        result["notes"] = adapter.notes
    except Exception as exc:  # reported, not raised: a failing client is a result too
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    result["peak_rss_kib"] = peak_rss_kib()
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
