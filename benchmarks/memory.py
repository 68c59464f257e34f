"""Memory per concurrent stream: ``python -m benchmarks.memory [--streams 1000,5000]``.

The ``concurrent`` workload alone, at several concurrencies, each client in a fresh process
(interleaved, ``--rounds`` times). Per stream is the growth of the process's peak RSS
during the burst divided by the number of streams; the ratios are against raw httpx
(``aiter_lines``) measured in the same rounds, since this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from typing import Any

from .run import RESULTS_DIR, Server, log, run_worker
from .worker import FULL_SIZES

_CLIENTS = "trio_openai,trio_openai_helper,httpx_lines,httpx_raw_trio_pool"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", default="1000,5000")
    parser.add_argument("--clients", default=_CLIENTS)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    clients = args.clients.split(",")
    counts = [int(n) for n in args.streams.split(",")]
    results: dict[tuple[int, str], list[dict[str, Any]]] = {}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    server = Server(FULL_SIZES, RESULTS_DIR / "server.log")
    try:
        for round_no in range(args.rounds):
            shift = round_no % len(clients)
            for streams in counts:
                for client in clients[shift:] + clients[:shift]:
                    result = run_worker(
                        client, "concurrent", server.port, False, ["--streams", str(streams)]
                    )
                    if "error" in result:
                        log(f"{client} {streams}: {result['error']}")
                        continue
                    result["per_stream_kib"] = (
                        result["peak_rss_kib"] - result["rss_before_kib"]
                    ) / streams
                    results.setdefault((streams, client), []).append(result)
                    log(
                        f"  {streams:>5} {client:<21} {result['value']:>9,.0f} events/s "
                        f"{result['per_stream_kib']:5.1f} KiB/stream "
                        f"peak {result['peak_rss_kib'] / 1024:6.1f} MiB"
                    )
    finally:
        server.stop()
    print(
        "| streams | client | events/s | KiB per stream | peak RSS MiB | vs httpx: events/s | memory |"
    )
    print("|---|---|---|---|---|---|---|")
    for streams in counts:
        base = results.get((streams, "httpx_lines"), [])
        base_rate = statistics.median(r["value"] for r in base) if base else None
        base_mem = statistics.median(r["per_stream_kib"] for r in base) if base else None
        for client in clients:
            runs = results.get((streams, client), [])
            if not runs:
                continue
            rate = statistics.median(r["value"] for r in runs)
            mem = statistics.median(r["per_stream_kib"] for r in runs)
            peak = statistics.median(r["peak_rss_kib"] for r in runs) / 1024
            ratio_rate = f"{rate / base_rate:.2f}x" if base_rate else "-"
            ratio_mem = f"{mem / base_mem:.2f}x" if base_mem else "-"
            print(
                f"| {streams:,} | {client} | {rate:,.0f} | {mem:.1f} | {peak:.1f} "
                f"| {ratio_rate} | {ratio_mem} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
