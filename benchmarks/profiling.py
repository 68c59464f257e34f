"""Profiles of the hot paths: ``python -m benchmarks.profiling [--client trio_openai]``.

Scenarios (against the benchmark server, in this process):

- ``stream``: one chat-completions stream of 30,000 events, one HTTP chunk per event;
- ``bulk``: the same stream with 64 events per HTTP chunk (the transport's share shrinks);
- ``responses``: one Responses stream of 30,000 text deltas;
- ``roundtrip``: 3,000 non-streaming requests, one at a time (the per-request cost);
- ``fanout``: 2,000 non-streaming requests, 200 in flight.

Each runs twice: under cProfile (exact call counts; inflates cheap Python calls) and under
pyinstrument (sampling every 0.5 ms; little distortion). The report gives own ("self")
time by layer from both, the top functions by own time from cProfile, and the cost per
event or per request measured without a profiler. Markdown goes to stdout and to
benchmarks/results/profile-<client>.md; ``--docs`` also writes it into
docs/performance.md (section ``profiles``).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks import report
from benchmarks.run import DOCS, DOCS_SKELETON, RESULTS_DIR, ROOT, Server
from benchmarks.worker import FULL_SIZES, make_adapter

SCENARIOS = ("stream", "bulk", "responses", "roundtrip", "fanout", "ttfe")


def layer_of(path: str, name: str) -> str:
    """The layer a function's own time is charged to (by file, or by name for builtins)."""
    if path in ("~", "") or path.startswith("<"):
        if "orjson" in name:
            return "orjson (C)"
        if "socket" in name or "epoll" in name or "select" in name:
            return "syscalls (socket, epoll)"
        return "other builtins"
    p = path.replace("\\", "/")
    if "/trio_openai/types/" in p:
        return "trio_openai.types (generated models)"
    if "/trio_openai/" in p:
        return "trio_openai." + p.rsplit("/", 1)[-1].removesuffix(".py")
    if "/benchmarks/" in p:
        return "benchmark harness"
    for package in (
        "httpcore2",
        "httpx2",
        "httpcore",
        "httpx",
        "h11",
        "trio",
        "anyio",
        "attr",
        "openai",
        "pydantic_core",
        "pydantic",
    ):
        if f"/site-packages/{package}/" in p:
            return "attrs" if package == "attr" else package
    if "/lib/python3" in p:
        return "stdlib (" + p.rsplit("/", 1)[-1].removesuffix(".py") + ")"
    return "other"


def _short(path: str, line: int, name: str) -> str:
    if path in ("~", ""):
        return name
    p = path.replace("\\", "/")
    for marker in ("/site-packages/", "/work/main/", "/lib/python3.11/"):
        if marker in p:
            p = p.split(marker, 1)[1]
            break
    return f"{p}:{line}({name})"


async def _scenario(adapter: Any, rt: Any, scenario: str, n: int) -> int:
    """Run one scenario; return how many events or requests it did."""
    if scenario == "stream":
        return await adapter.stream("chat", n, 1)
    if scenario == "bulk":
        return await adapter.stream("chat", n, FULL_SIZES["bulk_batch"])
    if scenario == "responses":
        return await adapter.stream("responses", n, 1)
    if scenario == "ttfe":  # short streams one after another, as the ttfe workload
        for _ in range(n // 10):
            await adapter.first_event("chat", 5)
        return n // 10
    if scenario == "roundtrip":
        for _ in range(n // 10):
            await adapter.request()
        return n // 10
    total, in_flight = FULL_SIZES["fanout_requests"], FULL_SIZES["fanout_in_flight"]
    left = [total]

    async def worker(_: int) -> None:
        while left[0] > 0:
            left[0] -= 1
            await adapter.request()

    await rt.gather(in_flight, worker)
    return total


def _run(
    client: str, port: int, scenario: str, n: int, wrap: Callable[[], Any]
) -> tuple[int, float]:
    """Open a client, warm it, then run the scenario inside ``wrap()`` (a context manager)."""
    adapter, rt = make_adapter(client, f"http://127.0.0.1:{port}/v1")
    out: list[Any] = []

    async def main() -> None:
        await adapter.open()
        try:
            await _scenario(adapter, rt, scenario, 200)  # warm
            with wrap():
                start = time.perf_counter()
                count = await _scenario(adapter, rt, scenario, n)
                out.extend((count, time.perf_counter() - start))
        finally:
            await adapter.aclose()

    rt.run(main)
    return out[0], out[1]


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _cprofile(client: str, port: int, scenario: str, n: int) -> pstats.Stats:
    profile = cProfile.Profile()

    class Wrap:
        def __enter__(self) -> None:
            profile.enable()

        def __exit__(self, *exc: object) -> None:
            profile.disable()

    _run(client, port, scenario, n, Wrap)
    return pstats.Stats(profile)


def _pyinstrument(client: str, port: int, scenario: str, n: int) -> dict[str, float]:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005, async_mode="disabled")
    _run(client, port, scenario, n, lambda: profiler)
    root = profiler.last_session.root_frame(trim_stem=False) if profiler.last_session else None
    shares: dict[str, float] = defaultdict(float)

    def walk(frame: Any) -> Iterator[Any]:
        stack = [frame]
        while stack:
            f = stack.pop()
            yield f
            stack.extend(f.children)

    if root is not None:
        for frame in walk(root):
            own = frame.total_self_time
            if own <= 0:
                continue
            if frame.file_path is None and frame.parent is not None:  # a synthetic [self]
                frame = frame.parent
            shares[layer_of(frame.file_path or "~", frame.function or "")] += own
    return shares


def _shares_from_stats(stats: pstats.Stats) -> tuple[dict[str, float], float]:
    shares: dict[str, float] = defaultdict(float)
    total = 0.0
    for (path, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        shares[layer_of(path, name)] += tottime
        total += tottime
    return shares, total


def _top_functions(stats: pstats.Stats, total: float, count: int, limit: int) -> list[str]:
    rows = sorted(
        stats.stats.items(),  # type: ignore[attr-defined]
        key=lambda item: item[1][2],
        reverse=True,
    )[:limit]
    lines = [
        "| own time | per unit | calls per unit | function |",
        "|---|---|---|---|",
    ]
    for (path, line, name), (_cc, nc, tottime, _ct, _callers) in rows:
        lines.append(
            f"| {tottime / total:.1%} | {tottime / count * 1e6:.2f} µs | {nc / count:.2f} | "
            f"`{_short(path, line, name)}` |"
        )
    return lines


def profile_scenario(client: str, port: int, scenario: str, n: int, limit: int) -> str:
    unit = "request" if scenario in ("fanout", "roundtrip") else "stream" if scenario == "ttfe" else "event"
    # Plain timing first (no profiler), the median of three runs.
    plain = sorted(_run(client, port, scenario, n, _Nothing) for _ in range(3))[1]
    count, seconds = plain
    stats = _cprofile(client, port, scenario, n)
    c_shares, c_total = _shares_from_stats(stats)
    p_shares = _pyinstrument(client, port, scenario, n)
    p_total = sum(p_shares.values()) or 1.0
    title = {
        "stream": f"one chat stream of {n:,} events (1 HTTP chunk per event)",
        "bulk": f"one chat stream of {n:,} events, {FULL_SIZES['bulk_batch']} per HTTP chunk",
        "responses": f"one Responses stream of {n:,} text deltas",
        "roundtrip": f"{n // 10:,} plain requests, one at a time",
        "ttfe": f"{n // 10:,} chat streams of 5 events, one at a time (time to first event)",
        "fanout": "fan-out: {fanout_requests:,} requests, {fanout_in_flight} in flight".format(
            **FULL_SIZES
        ),
    }[scenario]
    lines = [
        f"#### {client}: {title}",
        "",
        f"Without a profiler: {seconds / count * 1e6:.1f} µs per {unit} "
        f"({count / seconds:,.0f} {unit}s/s, median of 3 runs). Under cProfile: "
        f"{c_total / count * 1e6:.1f} µs per {unit}.",
        "",
        "Own time by layer (pyinstrument sampling / cProfile):",
        "",
        "| layer | pyinstrument | cProfile |",
        "|---|---|---|",
    ]
    layers = sorted(set(c_shares) | set(p_shares), key=lambda k: p_shares.get(k, 0.0), reverse=True)
    for layer in layers:
        p, c = p_shares.get(layer, 0.0) / p_total, c_shares.get(layer, 0.0) / c_total
        if p >= 0.005 or c >= 0.005:
            lines.append(f"| {layer} | {p:.1%} | {c:.1%} |")
    lines += ["", f"Top functions by own time (cProfile), per {unit}:", ""]
    lines += _top_functions(stats, c_total, count, limit)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling")
    parser.add_argument("--client", default="trio_openai")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--events", type=int, default=FULL_SIZES["stream_events"])
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--docs", action="store_true", help="write into docs/performance.md")
    args = parser.parse_args(argv)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    server = Server(FULL_SIZES, RESULTS_DIR / "server-profiling.log")
    sections = []
    try:
        for scenario in args.scenarios.split(","):
            print(f"profiling {args.client} / {scenario} ...", file=sys.stderr, flush=True)
            sections.append(
                profile_scenario(args.client, server.port, scenario, args.events, args.top)
            )
    finally:
        server.stop()
    command = "python -m benchmarks.profiling" + "".join(
        " " + a for a in (argv if argv is not None else sys.argv[1:])
    )
    text = f"Command: `{command}`\n\n" + "\n\n".join(sections)
    print(text)
    (RESULTS_DIR / f"profile-{args.client}.md").write_text(text + "\n")
    if args.docs:
        report.update_docs(DOCS, {f"profiles-{args.client}": text}, skeleton=DOCS_SKELETON)
        print(f"wrote {DOCS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
