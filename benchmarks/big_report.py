"""Tables of `benchmarks.big`: medians over rounds, ratios taken within each round."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

Record = dict[str, Any]
MIB = 1 << 20

# label, workload, field, unit, scale (value -> shown value; may use the body size)
Row = tuple[str, str, str, str, Callable[[float, Record, str], float]]


def _same(value: float, record: Record, workload: str) -> float:
    return value


def _per_body(value: float, record: Record, workload: str) -> float:
    return value / record["bodies"][workload]


def _mib(value: float, record: Record, workload: str) -> float:
    return value / MIB


def _per_gb(value: float, record: Record, workload: str) -> float:
    return value / 1e3 / (record["sizes"]["transfer"] / 1e9)  # ms of the run -> s per GB


def rows(record: Record) -> list[Row]:
    sizes, bodies = record["sizes"], record["bodies"]
    listed = f"files.list(limit={sizes['items']:,}) first page, {bodies['list'] / 1e6:.1f} MB"
    retrieved = f"responses.retrieve, {bodies['response'] / 1e6:.1f} MB Response"
    gib = (
        f"{sizes['transfer'] / (1 << 30):g} GiB"
        if sizes["transfer"] >= 1 << 30
        else (f"{sizes['transfer'] / MIB:g} MiB")
    )
    return [
        (listed, "list", "value", "ms per call ↓", _same),
        ("  its client CPU time", "list", "cpu_ms", "ms per call ↓", _same),
        ("  its tracemalloc peak", "list", "traced_peak", "x body ↓", _per_body),
        ("  its peak RSS growth (first call)", "list", "rss_growth", "x body ↓", _per_body),
        (retrieved, "response", "value", "ms per call ↓", _same),
        ("  its client CPU time", "response", "cpu_ms", "ms per call ↓", _same),
        ("  its tracemalloc peak", "response", "traced_peak", "x body ↓", _per_body),
        ("  its peak RSS growth (first call)", "response", "rss_growth", "x body ↓", _per_body),
        (f"download {gib} to a file (streamed)", "download", "value", "MB/s ↑", _same),
        ("  peak RSS growth", "download", "rss_growth", "MiB ↓", _mib),
        ("  client CPU time", "download", "cpu_ms", "s per GB ↓", _per_gb),
        (f"upload {gib} from a file (files.create)", "upload", "value", "MB/s ↑", _same),
        ("  peak RSS growth", "upload", "rss_growth", "MiB ↓", _mib),
        ("  client CPU time", "upload", "cpu_ms", "s per GB ↓", _per_gb),
        (f"Realtime, {sizes['events']:,} delta events", "realtime", "value", "events/s ↑", _same),
        ("  client CPU per event", "realtime", "cpu_us", "µs ↓", _same),
    ]


def _runs(record: Record, workload: str, client: str) -> list[Record]:
    return record["results"].get(workload, {}).get(client, [])


def value(record: Record, row: Row, client: str) -> float | None:
    _, workload, field, _, scale = row
    values = [r[field] for r in _runs(record, workload, client) if field in r]
    return scale(statistics.median(values), record, workload) if values else None


def ratio(record: Record, row: Row, client: str, other: str) -> float | None:
    """client's value over other's, per round, median over rounds."""
    _, workload, field, _, _ = row
    pairs = [
        a[field] / b[field]
        for a, b in zip(
            _runs(record, workload, client), _runs(record, workload, other), strict=False
        )
        if field in a and field in b and b[field]
    ]
    return statistics.median(pairs) if pairs else None


def _fmt(number: float | None) -> str:
    if number is None:
        return "—"
    if abs(number) >= 100:
        return f"{number:,.0f}"
    if abs(number) >= 10:
        return f"{number:.1f}"
    return f"{number:.2f}"


def _fmt_ratio(number: float | None) -> str:
    return "—" if number is None else f"{number:.2f}x"


def _error(record: Record, workload: str, client: str) -> str | None:
    errors = [r["error"] for r in _runs(record, workload, client) if "error" in r]
    return errors[0] if errors else None


def results_table(record: Record) -> str:
    head = (
        "| workload | unit | trio_openai | httpx + orjson | openai-python (asyncio) "
        "| trio_openai ÷ httpx | trio_openai ÷ openai-python |"
    )
    lines = [head, "|---|---|---|---|---|---|---|"]
    for row in rows(record):
        cells = [
            _fmt(value(record, row, c)) for c in ("trio_openai", "httpx_raw", "openai_asyncio")
        ]
        for i, client in enumerate(("trio_openai", "httpx_raw", "openai_asyncio")):
            if cells[i] == "—" and _error(record, row[1], client):
                cells[i] = "failed"
        ratios = [
            _fmt_ratio(ratio(record, row, "trio_openai", o))
            for o in ("httpx_raw", "openai_asyncio")
        ]
        lines.append(f"| {row[0]} | {row[3]} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines)


def targets_table(record: Record) -> str:
    table = {r[1] + ":" + r[2]: r for r in rows(record)}

    def faster(key: str) -> float | None:  # openai-python's time over ours
        found = ratio(record, table[key], "openai_asyncio", "trio_openai")
        return found

    def speed(key: str) -> float | None:
        return ratio(record, table[key], "trio_openai", "openai_asyncio")

    def own(key: str) -> float | None:
        return value(record, table[key], "trio_openai")

    # label, measured, bound, higher is better, how to show it
    cpu = "  the same in client CPU time"
    page, big = "10,000-item page", "20 MB Response"
    checks = [
        (f"{page} decoded ≥ 5x faster than openai-python", faster("list:value"), 5, True, "x"),
        (cpu, faster("list:cpu_ms"), 5, True, "x"),
        (f"{big} decoded ≥ 5x faster than openai-python", faster("response:value"), 5, True, "x"),
        (cpu, faster("response:cpu_ms"), 5, True, "x"),
        (f"{page}: peak RSS growth ≤ 3x body", own("list:rss_growth"), 3, False, "x"),
        (f"{big}: peak RSS growth ≤ 3x body", own("response:rss_growth"), 3, False, "x"),
        (f"{page}: tracemalloc peak ≤ 3x body", own("list:traced_peak"), 3, False, "x"),
        (f"{big}: tracemalloc peak ≤ 3x body", own("response:traced_peak"), 3, False, "x"),
        ("download: peak RSS growth < 50 MiB", own("download:rss_growth"), 50, False, " MiB"),
        ("upload: peak RSS growth < 50 MiB", own("upload:rss_growth"), 50, False, " MiB"),
        ("Realtime events/s ≥ 5x openai-python", speed("realtime:value"), 5, True, "x"),
        (cpu, faster("realtime:cpu_us"), 5, True, "x"),
    ]
    lines = ["| target | measured | met? |", "|---|---|---|"]
    for label, measured, bound, higher, suffix in checks:
        if measured is None:
            lines.append(f"| {label} | — | not measured |")
            continue
        met = measured >= bound if higher else measured <= bound
        verdict = "met" if met else "**not met**"
        lines.append(f"| {label} | {_fmt(measured)}{suffix} | {verdict} |")
    return "\n".join(lines)


def section(record: Record) -> str:
    load0, load1 = record["load"]
    return "\n".join(
        [
            f"Command: `{record['command']}` — {record['rounds']} round(s), medians over rounds; "
            f"{record['date']}, {record['seconds']} s; load average {load0:.1f} at the start, "
            f"{load1:.1f} at the end.",
            "",
            results_table(record),
            "",
            targets_table(record),
        ]
    )
