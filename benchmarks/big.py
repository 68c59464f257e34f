"""Big bodies, 1 GB transfers and Realtime WebSocket events: ``python -m benchmarks.big``.

Issue 14's last workloads, beside the main benchmark and run the same way: one server
process (`benchmarks.big_server`), every (client, workload) pair in a fresh worker
process, rounds interleaved in a rotated client order, medians over rounds, ratios taken
within a round. Clients: trio_openai, raw httpx under trio (+ orjson; trio-websocket for
Realtime) and openai-python's AsyncOpenAI under asyncio (`benchmarks.big_clients`).

Workloads:

- ``list``: ``await client.files.list(limit=10000)``, the first page of 10,000 files;
- ``response``: ``await client.responses.retrieve(...)`` of a ~20 MB Response;
  both: the median time of a call, and the memory of one call: its ``tracemalloc`` peak
  (Python allocations, the result included) and the growth of the peak RSS, each as a
  multiple of the body's size;
- ``download`` / ``upload``: 1 GiB streamed to / from a file under /tmp (with
  ``with_streaming_response.content(...)`` + ``stream_to_file``, and ``files.create`` with
  a path; openai-python gets an open file, since it reads a path whole): MB/s, and the
  growth of the peak RSS during the transfer (flat means independent of the size);
- ``realtime``: ``client.realtime.connect(...)``, one ``response.create``, N
  ``response.output_text.delta`` events read: events/s.

``--quick``: one round, 200 MiB transfers, 5,000 WebSocket events. ``--docs`` writes the
tables into docs/performance.md between the ``big-results`` markers.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOCS = ROOT / "docs" / "performance.md"
CLIENTS = ("trio_openai", "httpx_raw", "openai_asyncio")
WORKLOADS = ("list", "response", "download", "upload", "realtime")
FULL = {"items": 10_000, "mb": 20, "transfer": 1 << 30, "events": 20_000, "repeats": 5}
QUICK = {**FULL, "transfer": 200 << 20, "events": 5_000, "repeats": 3}
WARM_TRANSFER = 8 << 20


def _maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def _json_workload(
    call: Callable[[], Awaitable[int]],
    warm: Callable[[], Awaitable[int]],
    expected: int,
    repeats: int,
) -> dict[str, Any]:
    await warm()
    gc.collect()
    rss0 = _maxrss_kib()
    if await call() != expected:
        raise AssertionError("wrong item count")
    rss_growth = (_maxrss_kib() - rss0) * 1024
    gc.collect()
    times, cpu = [], time.process_time()
    for _ in range(repeats):
        start = time.perf_counter()
        got = await call()
        times.append(time.perf_counter() - start)
        if got != expected:
            raise AssertionError("wrong item count")
    cpu = (time.process_time() - cpu) / repeats
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    await call()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return {
        "value": statistics.median(times) * 1e3,
        "unit": "ms",
        "cpu_ms": cpu * 1e3,
        "traced_peak": peak,
        "rss_growth": rss_growth,
    }


async def _transfer(
    call: Callable[[], Awaitable[int]], warm: Callable[[], Awaitable[int]], size: int
) -> dict[str, Any]:
    await warm()
    gc.collect()
    rss0 = _maxrss_kib()
    start, cpu = time.perf_counter(), time.process_time()
    got = await call()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if not size <= got < size + 4096:  # an upload's multipart headers come on top
        raise AssertionError(f"moved {got} bytes, expected {size}")
    return {
        "value": size / elapsed / 1e6,
        "unit": "MB/s",
        "cpu_ms": cpu * 1e3,
        "rss_growth": (_maxrss_kib() - rss0) * 1024,
    }


async def run_workload(
    adapter: Any, workload: str, sizes: dict[str, int], folder: Path
) -> dict[str, Any]:
    up, warm_file, down = folder / "upload", folder / "warm", folder / f"download-{os.getpid()}"
    try:
        if workload == "list":
            n = sizes["items"]
            return await _json_workload(
                lambda: adapter.list_page(n), lambda: adapter.list_page(100), n, sizes["repeats"]
            )
        if workload == "response":
            from .big_server import big_response_items

            mb = sizes["mb"]
            return await _json_workload(
                lambda: adapter.retrieve(mb),
                lambda: adapter.retrieve(1),
                big_response_items(mb),
                sizes["repeats"],
            )
        if workload == "download":
            size = sizes["transfer"]
            return await _transfer(
                lambda: adapter.download(size, down),
                lambda: adapter.download(WARM_TRANSFER, down),
                size,
            )
        if workload == "upload":  # the server counts the whole multipart body
            return await _transfer(
                lambda: adapter.upload(up), lambda: adapter.upload(warm_file), sizes["transfer"]
            )
        n = sizes["events"]
        await adapter.realtime(200)
        start, cpu = time.perf_counter(), time.process_time()
        got = await adapter.realtime(n)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        if got != n:
            raise AssertionError(f"saw {got} events, expected {n}")
        return {"value": n / elapsed, "unit": "events/s", "cpu_us": cpu / n * 1e6}
    finally:
        down.unlink(missing_ok=True)
        await adapter.aclose()


def worker(client: str, workload: str, port: int, quick: bool, folder: Path) -> None:
    from .big_clients import ADAPTERS

    sizes = QUICK if quick else FULL
    result: dict[str, Any]
    try:
        cls = ADAPTERS[client]
        adapter = cls(f"http://127.0.0.1:{port}/v1")
        if cls.runtime == "trio":
            import trio

            result = trio.run(run_workload, adapter, workload, sizes, folder)
        else:
            import asyncio

            result = asyncio.run(run_workload(adapter, workload, sizes, folder))
    except Exception as exc:  # a failing client is a result too
        import traceback

        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    print("RESULT " + json.dumps(result), flush=True)


# --- the runner --------------------------------------------------------------------------


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}


def _write_file(path: Path, size: int) -> None:
    block = bytes(range(256)) * 4096  # 1 MiB
    with path.open("wb") as out:
        left = size
        while left:
            left -= out.write(block[: min(left, len(block))])


def _run_one(client: str, workload: str, port: int, quick: bool, folder: Path) -> dict[str, Any]:
    args = [sys.executable, "-m", "benchmarks.big", "--worker", client, workload]
    args += ["--port", str(port), "--dir", str(folder)] + (["--quick"] if quick else [])
    try:
        done = subprocess.run(
            args, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300
        )
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 300 s"}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[7:])
            if "error" in result:
                result["stderr_tail"] = done.stderr[-2000:]
            return result
    return {"error": f"worker exited {done.returncode}: {done.stderr[-500:]}"}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from .big_server import big_response, file_list

    sizes = QUICK if args.quick else FULL
    workloads = [w for w in args.workloads.split(",") if w]
    folder = Path("/tmp") / f"trio_openai_big_{os.getpid()}"
    folder.mkdir()
    started, load0 = time.monotonic(), os.getloadavg()[0]
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    server = None
    try:
        if {"upload"} & set(workloads):
            _write_file(folder / "upload", sizes["transfer"])
            _write_file(folder / "warm", WARM_TRANSFER)
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.big_server", "--prerender",
             f"/v1/files?limit={sizes['items']}", "--prerender", f"/v1/responses/resp_big_{sizes['mb']}"],
            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        for round_no in range(args.rounds):
            _log(f"round {round_no + 1}/{args.rounds}")
            for workload in workloads:
                shift = round_no % len(CLIENTS)
                for client in CLIENTS[shift:] + CLIENTS[:shift]:
                    result = _run_one(client, workload, port, args.quick, folder)
                    results.setdefault(workload, {}).setdefault(client, []).append(result)
                    shown = result.get("error") or f"{result['value']:,.1f} {result['unit']}"
                    _log(f"  {workload:<9} {client:<15} {shown}")
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return {
        "command": "python -m benchmarks.big"
        + (" --quick" if args.quick else "")
        + (f" --rounds {args.rounds}" if args.rounds != (1 if args.quick else 3) else ""),
        "rounds": args.rounds,
        "sizes": sizes,
        "bodies": {
            "list": len(file_list(sizes["items"])),
            "response": len(big_response(sizes["mb"])),
        },
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": round(time.monotonic() - started),
        "load": [load0, os.getloadavg()[0]],
        "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.big", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rounds", type=int, default=None, help="default: 3 (1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="200 MiB transfers, 1 round")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--docs", action="store_true", help="write docs/performance.md")
    parser.add_argument("--from-json", type=Path, help="redraw the tables of a saved run")
    parser.add_argument("--worker", nargs=2, metavar=("CLIENT", "WORKLOAD"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], args.worker[1], args.port, args.quick, args.dir)
        return 0
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    unknown = set(args.workloads.split(",")) - set(WORKLOADS) - {""}
    if unknown:
        raise SystemExit(f"unknown workload(s) {sorted(unknown)}; known: {', '.join(WORKLOADS)}")
    from . import big_report, report

    if args.from_json is not None:
        record = json.loads(args.from_json.read_text())
    else:
        record = measure(args)
        RESULTS.mkdir(parents=True, exist_ok=True)
        stem = "big-quick" if args.quick else "big"
        (RESULTS / f"{stem}.json").write_text(json.dumps(record, indent=1))
    text = big_report.section(record)
    print(text)
    if args.docs:
        report.update_docs(DOCS, {"big-results": text}, skeleton="")
        _log(f"wrote {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
