"""Concurrent streams over TLS: HTTP/1.1 vs HTTP/2, trio_openai vs raw httpx.

    .venv/bin/python -m benchmarks.http2                      # 1,000 and 5,000 streams, 3 rounds
    .venv/bin/python -m benchmarks.http2 --streams 1000 --rounds 1

The workload is the ``concurrent`` one of ``python -m benchmarks`` (N chat streams of 30
events at once, each read to its end through the client's low-level stream, typed
events for trio_openai, event ends counted in raw bytes for httpx), over TLS to
`benchmarks.server_h2` (trustme certificates), so that HTTP/1.1 and HTTP/2 pay for the
same encryption. Each client and size runs in a fresh process; the table gives medians
over rounds of events/s, the peak RSS growth during the streams, and the most connections
the client's pool held open at once.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .worker import Runtime, make_adapter, peak_rss_kib

CLIENTS = {
    # label: (benchmarks.worker client, HTTP/2?)
    "trio_openai HTTP/1.1": ("trio_openai", False),
    "trio_openai HTTP/2": ("trio_openai", True),
    "httpx raw HTTP/1.1": ("httpx_raw", False),
    "httpx raw HTTP/2": ("httpx_raw", True),
}
EVENTS = 30


async def _measure(client: str, http2: bool, streams: int, port: int, ca: str) -> dict[str, Any]:
    import trio

    base_url = f"https://localhost:{port}/v1"
    adapter, _ = make_adapter(client, base_url)
    rt = Runtime("trio")
    if client == "trio_openai":
        import trio_openai

        http: Any = trio_openai.DefaultHttpClient(
            http2=http2, verify=ca, max_connections=streams, max_keepalive_connections=100
        )
        await http.__aenter__()
        adapter._http = http  # pyright: ignore[reportPrivateUsage]
        await adapter.open()
        # no connect limit, as for httpx (timeout=None): a thousand TLS handshakes at once
        # to a one-process server take longer than the default 5 s
        adapter.client = adapter.client.with_options(
            timeout=trio_openai.Timeout(request=None, connect=None)
        )
    else:
        import httpx

        limits = httpx.Limits(max_connections=streams, max_keepalive_connections=100)
        http = httpx.AsyncClient(verify=ca, http2=http2, limits=limits, timeout=None)
        await adapter.open()
        for old in adapter.clients:
            await old.aclose()
        adapter.clients = [http]
    try:
        await adapter.stream("chat", EVENTS, 1)  # warm: a connection open, code paths hot
        rss_before = peak_rss_kib()
        seen, most = [0], [0]

        def connections() -> int:
            if client == "trio_openai":
                return http.statistics()["connections"]
            pool = http._transport._pool  # httpcore's  # pyright: ignore[reportPrivateUsage]
            return len(pool.connections)

        async def one(_: int) -> None:
            got = await adapter.stream("chat", EVENTS, 1)
            seen[0] += got
            most[0] = max(most[0], connections())

        async def sample(task_status: Any) -> None:
            task_status.started()
            while True:
                most[0] = max(most[0], connections())
                await trio.sleep(0.01)

        start, cpu = time.perf_counter(), time.process_time()
        async with trio.open_nursery() as nursery:
            await nursery.start(sample)
            await rt.gather(streams, one)
            nursery.cancel_scope.cancel()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        if seen[0] != streams * EVENTS:
            raise AssertionError(f"saw {seen[0]} events, expected {streams * EVENTS}")
        return {
            "events_per_s": seen[0] / elapsed,
            "cpu_us": cpu / seen[0] * 1e6,
            "rss_growth_kib": peak_rss_kib() - rss_before,
            "connections": most[0],
        }
    finally:
        await adapter.aclose()
        if client == "trio_openai":
            await http.__aexit__(None, None, None)
        else:
            await http.aclose()


def worker(args: argparse.Namespace) -> int:
    import trio

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))

    client, http2 = CLIENTS[args.worker]
    result = trio.run(_measure, client, http2, args.streams[0], args.port, args.ca)
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def _start_server(cert: str) -> tuple[subprocess.Popen[str], int]:
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server_h2", "--cert", cert],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    if not line.startswith("PORT "):
        server.kill()
        raise RuntimeError(f"the server did not start: {line!r}")
    return server, int(line.split()[1])


def _run(label: str, streams: int, port: int, ca: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.http2", "--worker", label]
    command += ["--streams", str(streams), "--port", str(port), "--ca", ca]
    out = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    errors = [line for line in out.stderr.splitlines() if "Error" in line]
    return {"error": errors[-1:] or ["no result"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ca", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    import trustme

    sizes = args.streams or [1000, 5000]
    with tempfile.TemporaryDirectory() as directory:
        ca = trustme.CA()
        cert_file, ca_file = os.path.join(directory, "s.pem"), os.path.join(directory, "ca.pem")
        ca.issue_cert("localhost").private_key_and_cert_chain_pem.write_to_path(cert_file)
        ca.cert_pem.write_to_path(ca_file)
        server, port = _start_server(cert_file)
        results: dict[tuple[str, int], list[dict[str, Any]]] = {}
        try:
            for _ in range(args.rounds):
                for streams in sizes:
                    for label in args.clients.split(","):
                        result = _run(label, streams, port, ca_file)
                        print(f"{label}, {streams} streams: {result}", file=sys.stderr)
                        results.setdefault((label, streams), []).append(result)
        finally:
            server.kill()
            server.wait()
    print(_table(results, args.rounds))
    Path(tempfile.gettempdir(), "benchmarks-http2.json").write_text(
        json.dumps({f"{k[0]} @ {k[1]}": v for k, v in results.items()})
    )
    return 0


def _table(results: dict[tuple[str, int], list[dict[str, Any]]], rounds: int) -> str:
    lines = [
        f"| streams | client | events/s | peak RSS growth | per stream | connections | µs CPU/event |"
        f"\n|---|---|---|---|---|---|---|  <!-- medians of {rounds} -->"
    ]
    for (label, streams), runs in results.items():
        good = [run for run in runs if "error" not in run]
        if not good:
            lines.append(f"| {streams:,} | {label} | error: {runs[0]['error']} | | | | |")
            continue

        def median(key: str, runs: list[dict[str, Any]] = good) -> float:
            return statistics.median(run[key] for run in runs)

        growth = median("rss_growth_kib")
        lines.append(
            f"| {streams:,} | {label} | {median('events_per_s'):,.0f} | {growth / 1024:,.0f} MiB"
            f" | {growth / streams:.1f} KiB | {median('connections'):,.0f}"
            f" | {median('cpu_us'):.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
