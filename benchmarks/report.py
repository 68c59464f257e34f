"""Turning per-round results into medians, ratios, markdown tables and docs sections."""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "ROWS",
    "Row",
    "experiments_table",
    "median_of",
    "results_table",
    "targets_table",
    "update_docs",
]

# Results: workload -> client -> list of per-round result dicts (worker output).
Results = Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]]


class Row(NamedTuple):
    workload: str
    field: str  # the key of the worker result holding the number
    label: str
    unit: str
    higher_is_better: bool
    scale: float = 1.0


ROWS = (
    Row(
        "chat",
        "value",
        "chat stream, {stream_events:,} events, 1 HTTP chunk/event",
        "events/s",
        True,
    ),
    Row(
        "chat_bulk",
        "value",
        "chat stream, {stream_events:,} events, {bulk_batch} events/chunk",
        "events/s",
        True,
    ),
    Row("responses", "value", "Responses stream, {stream_events:,} text deltas", "events/s", True),
    Row(
        "concurrent",
        "value",
        "{concurrent_streams:,} concurrent streams x {concurrent_events} events",
        "events/s",
        True,
    ),
    Row("concurrent", "peak_rss_kib", "peak RSS of that process", "MiB", False, 1 / 1024),
    Row(
        "fanout",
        "value",
        "fan-out, {fanout_requests:,} requests, {fanout_in_flight} in flight",
        "req/s",
        True,
    ),
    Row("ttfe", "value", "time to first event (median of {ttfe_streams})", "µs", False),
    Row("import", "value", "import + first client (fresh interpreter, median)", "ms", False),
    Row("construct", "value", "client construction, 2nd onward (median)", "µs", False),
    Row(
        "pages",
        "value",
        "`async for` over files.list(), {pages} pages x 100 files",
        "items/s",
        True,
    ),
    Row("content", "value", "binary files.content, {content_bytes:,} bytes", "MB/s", True),
    Row("parse", "value", "responses.parse(text_format=...), one at a time", "req/s", True),
)

# The same workloads, measured in client CPU time (time.process_time of the worker) per
# event or request: much less sensitive to other load on the machine than wall-clock rates.
CPU_ROWS = (
    Row("chat", "cpu_us", "chat stream, 1 HTTP chunk/event", "µs CPU/event", False),
    Row("chat_bulk", "cpu_us", "chat stream, {bulk_batch} events/chunk", "µs CPU/event", False),
    Row("responses", "cpu_us", "Responses stream", "µs CPU/event", False),
    Row("concurrent", "cpu_us", "{concurrent_streams:,} concurrent streams", "µs CPU/event", False),
    Row("fanout", "cpu_us", "fan-out", "µs CPU/request", False),
    Row("pages", "cpu_us", "paging", "µs CPU/item", False),
    Row("content", "cpu_us", "binary content", "µs CPU/MB", False),
    Row("parse", "cpu_us", "structured parse", "µs CPU/request", False),
)

MAIN_CLIENTS = (
    "trio_openai",
    "trio_openai_helper",
    "trio_openai_create",
    "httpx_raw",
    "httpx_lines",
    "openai_asyncio",
    "openai_helper",
    "openai_trio",
)
# The clients that read streams through the public helpers or create(stream=True): they
# run the stream workloads only (elsewhere they would repeat trio_openai / openai_asyncio).
STREAM_ONLY = frozenset({"trio_openai_helper", "trio_openai_create", "openai_helper"})
STREAM_WORKLOADS = frozenset({"chat", "chat_bulk", "responses", "concurrent", "ttfe"})
HEADERS = {
    "trio_openai": "trio_openai (typed, client.stream)",
    "trio_openai_helper": "trio_openai .stream() helpers",
    "trio_openai_create": "trio_openai create(stream=True)",
    "openai_helper": "openai asyncio .stream() helpers",
    "httpx_raw": "httpx aiter_raw",
    "httpx_lines": "httpx aiter_lines",
    "openai_asyncio": "openai asyncio",
    "openai_trio": "openai trio",
    "trio_openai_dicts": "trio_openai (dicts)",
    "trio_openai_fallback": "trio_openai (hand-written models)",
    "httpx_4pools": "httpx, 4 pools of 250",
    "httpx2_raw": "httpx2 aiter_raw",
    "trio_openai_proto": "trio_openai over a prototype transport",
}
# Workloads where the two httpx readers do the same thing: measured once, as httpx_raw.
SAME_AS_RAW = frozenset({"fanout", "import", "construct", "pages", "content", "parse"})


def median_of(results: Results, workload: str, client: str, field: str) -> float | None:
    runs = results.get(workload, {}).get(client, ())
    values = [r[field] for r in runs if "error" not in r and r.get(field) is not None]
    if not values:
        return None
    return float(statistics.median(values))


def _alias(workload: str, client: str) -> str:
    return "httpx_raw" if client == "httpx_lines" and workload in SAME_AS_RAW else client


def _value(results: Results, row: Row, client: str) -> float | None:
    value = median_of(results, row.workload, _alias(row.workload, client), row.field)
    return None if value is None else value * row.scale


def ratio_of(results: Results, row: Row, client: str, base: str) -> float | None:
    """The median over rounds of client ÷ base, each pair measured in the same round."""
    by_client = results.get(row.workload, {})
    mine = by_client.get(_alias(row.workload, client), ())
    other = by_client.get(_alias(row.workload, base), ())
    ratios = [
        a[row.field] / b[row.field]
        for a, b in zip(mine, other, strict=False)
        if "error" not in a and "error" not in b and a.get(row.field) and b.get(row.field)
    ]
    return float(statistics.median(ratios)) if ratios else None


def _error(results: Results, workload: str, client: str) -> str | None:
    for run in results.get(workload, {}).get(client, ()):
        if "error" in run:
            return str(run["error"])
    return None


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"


def results_table(
    results: Results, sizes: Mapping[str, int], clients: Sequence[str], rows: Sequence[Row] = ROWS
) -> str:
    shown = [c for c in MAIN_CLIENTS if c in clients]
    head = ["workload", "unit", *(HEADERS[c] for c in shown)]
    ratio_bases = [b for b in ("httpx_lines", "httpx_raw", "openai_asyncio") if b in shown]
    head += [f"trio_openai ÷ {HEADERS[b]}" for b in ratio_bases if "trio_openai" in shown]
    helper_bases = [b for b in ("httpx_lines", "openai_helper") if b in shown]
    if "trio_openai_helper" not in shown:
        helper_bases = []
    head += [f"helpers ÷ {HEADERS[b]}" for b in helper_bases]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        if row.workload not in results:
            continue
        if all(_value(results, row, c) is None for c in shown):
            continue
        cells = [row.label.format(**sizes), row.unit + (" ↑" if row.higher_is_better else " ↓")]
        values = {c: _value(results, row, c) for c in shown}
        for c in shown:
            error = _error(results, row.workload, c)
            cells.append(_fmt(values[c]) if values[c] is not None or error is None else "failed")
        if "trio_openai" in shown:
            cells += [_fmt_ratio(ratio_of(results, row, "trio_openai", b)) for b in ratio_bases]
        cells += [_fmt_ratio(ratio_of(results, row, "trio_openai_helper", b)) for b in helper_bases]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def experiments_table(
    results: Results, sizes: Mapping[str, int], experiments: Sequence[str]
) -> str:
    """Each experiment client against trio_openai and the baselines, per workload."""
    lines = [
        "| workload | client | value | ÷ trio_openai | ÷ httpx aiter_lines | ÷ openai asyncio |",
        "|---|---|---|---|---|---|",
    ]
    for row in (*ROWS, *CPU_ROWS):
        for client in experiments:
            if client not in results.get(row.workload, {}):
                continue
            value = _value(results, row, client)
            error = _error(results, row.workload, client)
            if value is None and error is None:
                continue
            shown = f"{_fmt(value)} {row.unit}" if value is not None else f"failed: {error}"
            lines.append(
                f"| {row.label.format(**sizes)} | {HEADERS.get(client, client)} | {shown} | "
                f"{_fmt_ratio(ratio_of(results, row, client, 'trio_openai'))} | "
                f"{_fmt_ratio(ratio_of(results, row, client, 'httpx_lines'))} | "
                f"{_fmt_ratio(ratio_of(results, row, client, 'openai_asyncio'))} |"
            )
    return "\n".join(lines)


class Target(NamedTuple):
    text: str
    row: int  # index into ROWS
    base: str  # the client compared with; "" for an absolute bound
    bound: float
    at_least: bool  # ratio >= bound (else ratio <= bound, or value < bound)
    client: str = "trio_openai"


TARGETS = (
    Target("typed chat stream ≥ 1.0x raw httpx reading untyped lines", 0, "httpx_lines", 1.0, True),
    Target(
        "typed Responses stream ≥ 1.0x raw httpx reading untyped lines", 2, "httpx_lines", 1.0, True
    ),
    Target("typed chat stream ≥ 8x openai-python (asyncio)", 0, "openai_asyncio", 8.0, True),
    Target("typed Responses stream ≥ 8x openai-python (asyncio)", 2, "openai_asyncio", 8.0, True),
    Target(
        "1,000 concurrent streams ≥ 1.5x raw httpx (lines) events/s", 3, "httpx_lines", 1.5, True
    ),
    Target(
        "1,000 concurrent streams: peak RSS ≤ 1.2x raw httpx (lines)", 4, "httpx_lines", 1.2, False
    ),
    Target("fan-out ≥ 2x openai-python (asyncio) req/s", 5, "openai_asyncio", 2.0, True),
    Target("time to first event ≤ 1.1x raw httpx (lines)", 6, "httpx_lines", 1.1, False),
    Target(
        "`import trio_openai` (+ `OpenAI`) ≤ 1.1x `import trio, httpx`", 7, "httpx_raw", 1.1, False
    ),
    Target("constructing a client after the first < 1 ms", 8, "", 1000.0, False),
    # issue 14: what users call
    Target(
        "`chat.completions.stream` ≥ 1.5x httpx lines, 1 event/chunk",
        0,
        "httpx_lines",
        1.5,
        True,
        "trio_openai_helper",
    ),
    Target(
        "`chat.completions.stream` ≥ 1.0x httpx lines, 64 events/chunk",
        1,
        "httpx_lines",
        1.0,
        True,
        "trio_openai_helper",
    ),
    Target(
        "`responses.stream` ≥ 2x httpx lines", 2, "httpx_lines", 2.0, True, "trio_openai_helper"
    ),
    Target("time to first event ≤ 1.0x httpx aiter_raw", 6, "httpx_raw", 1.0, False),
)


def targets_table(results: Results) -> str:
    lines = [
        "| target | measured (wall clock) | met? | same ratio from client CPU time |",
        "|---|---|---|---|",
    ]
    cpu_rows = {row.workload: row for row in CPU_ROWS}
    for target in TARGETS:
        row = ROWS[target.row]
        mine = _value(results, row, target.client)
        cpu = "—"
        if target.base:
            measured = ratio_of(results, row, target.client, target.base)
            shown = "—" if measured is None else f"{measured:.2f}x"
            cpu_row = cpu_rows.get(row.workload)
            if cpu_row is not None and row.field == "value":
                inverse = ratio_of(results, cpu_row, target.base, target.client)
                cpu = _fmt_ratio(inverse)  # events/s scale as 1 / (CPU per event)
        else:
            measured = mine
            shown = "—" if mine is None else f"{mine:,.0f} {row.unit}"
        if measured is None:
            verdict = "not measured"
        elif target.at_least:
            verdict = "met" if measured >= target.bound else "**not met**"
        else:
            ok = measured <= target.bound if target.base else measured < target.bound
            verdict = "met" if ok else "**not met**"
        lines.append(f"| {target.text} | {shown} | {verdict} | {cpu} |")
    return "\n".join(lines)


def update_docs(path: Path, sections: Mapping[str, str], skeleton: str) -> None:
    """Replace the text between ``<!-- begin NAME -->`` and ``<!-- end NAME -->`` markers."""
    text = path.read_text() if path.exists() else skeleton
    for name, body in sections.items():
        pattern = re.compile(
            rf"(<!-- begin {re.escape(name)} -->\n).*?(<!-- end {re.escape(name)} -->)", re.S
        )
        if not pattern.search(text):
            raise ValueError(f"{path}: no markers for section {name!r}")
        replacement = body.rstrip() + "\n"
        text = pattern.sub(lambda m, new=replacement: m.group(1) + new + m.group(2), text)
    path.write_text(text)
