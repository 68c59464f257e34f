"""Draw docs/observability-fanout.svg: the spans of one traced fan-out, as exported.

    .venv/bin/python docs/otel_timeline.py [OUT.svg]

A real run: the local test server answers 12 chat completions (replies take 30-150 ms,
the third call is refused once with a 429 and retried, two calls stream), 4 at a time
under one parent span; the SDK's in-memory exporter collects the spans, and the picture
is drawn from their start and end times, events and attributes (plain SVG, no plotting
library).
"""

from __future__ import annotations

import sys
from html import escape
from pathlib import Path

import trio
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import trio_openai
from trio_openai import otel
from trio_openai.testing import RecordedRequest, Reply, open_local_server
from trio_openai.testing._echo import echo_reply

OUT = Path(__file__).with_name("observability-fanout.svg")
CALLS = 12
IN_FLIGHT = 4


async def run_fan_out() -> list[ReadableSpan]:
    """The exported spans of one fan-out (the parent span last)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    refused: set[str] = set()

    async def answer(request: RecordedRequest) -> Reply:
        text = str(request.json()["messages"][0]["content"])
        number = int(text.split()[-1])
        if number == 2 and text not in refused:
            refused.add(text)
            return Reply.error(429, headers={"retry-after-ms": "40"})
        await trio.sleep(0.03 + 0.12 * ((number * 7) % 5) / 4)
        return echo_reply(request, serial=number, pace=0.01)

    async with open_local_server() as server:
        server.script("POST", "/v1/chat/completions", Reply.handler(answer))
        client = trio_openai.OpenAI(api_key="sk-docs", base_url=server.base_url)
        async with otel.instrument(client, tracer_provider=provider) as client:
            limit = trio.CapacityLimiter(IN_FLIGHT)

            async def one(number: int) -> None:
                messages = [{"role": "user", "content": f"call number {number}"}]
                async with limit:
                    if number in (5, 9):
                        async with await client.chat.completions.create(
                            model="gpt-5.2", messages=messages, stream=True
                        ) as stream:
                            await stream.until_done()
                    else:
                        await client.chat.completions.create(model="gpt-5.2", messages=messages)

            # Warm up (the first call imports the chat resources), outside the picture.
            await client.with_options(middleware=[]).chat.completions.create(
                model="gpt-5.2", messages=[{"role": "user", "content": "warm up 99"}]
            )
            tracer = provider.get_tracer("docs")
            with tracer.start_as_current_span("fan-out (12 calls, 4 in flight)"):
                async with trio.open_nursery() as nursery:
                    for number in range(CALLS):
                        nursery.start_soon(one, number)
    provider.shutdown()
    return list(exporter.get_finished_spans())


def draw(spans: list[ReadableSpan]) -> str:
    """An SVG timeline: one row per span (parent first, children by start time)."""
    parent = next(s for s in spans if s.parent is None)
    children = sorted((s for s in spans if s.parent is not None), key=lambda s: s.start_time or 0)
    rows = [parent, *children]
    t0, t1 = parent.start_time or 0, parent.end_time or 1
    left, width, row_h, top = 250, 560, 24, 40
    scale = width / max(1, t1 - t0)
    height = top + row_h * len(rows) + 50

    def x(t: int | None) -> float:
        return left + ((t or t0) - t0) * scale

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 30}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="10" y="22" font-size="14" font-weight="bold">Spans of one fan-out, '
        f"exported by trio_openai.otel ({len(children)} children of one parent)</text>",
    ]
    for i, span in enumerate(rows):
        y = top + i * row_h
        attrs = span.attributes or {}
        label = span.name if span is parent else f"{span.name}  ·  {attrs.get('gen_ai.response.id', '')}"
        streamed = "gen_ai.response.time_to_first_chunk" in attrs
        color = "#555" if span is parent else ("#2a7ab0" if streamed else "#4a9a5a")
        x0, x1 = x(span.start_time), x(span.end_time)
        out.append(f'<text x="10" y="{y + 15}">{escape(label)}</text>')
        out.append(
            f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(1.0, x1 - x0):.1f}" height="{row_h - 8}" '
            f'rx="3" fill="{color}"/>'
        )
        if streamed:
            first = float(attrs["gen_ai.response.time_to_first_chunk"])  # type: ignore[arg-type]
            fx = x0 + first * 1e9 * scale
            out.append(f'<line x1="{fx:.1f}" x2="{fx:.1f}" y1="{y + 2}" y2="{y + row_h - 2}" stroke="orange" stroke-width="3"/>')
        for event in span.events:
            ex = x(event.timestamp)
            out.append(f'<circle cx="{ex:.1f}" cy="{y + row_h / 2}" r="5" fill="#d33"/>')
    axis_y = top + row_h * len(rows) + 10
    total_ms = (t1 - t0) / 1e6
    step = 50 if total_ms < 800 else 200
    out.append(f'<line x1="{left}" x2="{left + width}" y1="{axis_y}" y2="{axis_y}" stroke="#999"/>')
    for ms in range(0, int(total_ms) + 1, step):
        tx = left + ms * 1e6 * scale
        out.append(f'<text x="{tx:.1f}" y="{axis_y + 15}" text-anchor="middle" fill="#666">{ms} ms</text>')
    legend_y = axis_y + 32
    out.append(
        f'<text x="10" y="{legend_y}" fill="#444">green: a call · blue: a streamed call, '
        "orange tick: its first chunk · red dot: a retry event (429, then retried)</text>"
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else OUT
    spans = trio.run(run_fan_out)
    target.write_text(draw(spans))
    print(f"wrote {target} ({len(spans)} spans)")


if __name__ == "__main__":
    main()
