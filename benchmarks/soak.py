"""Soak: mixed traffic against the local server while it injects random faults.

    python -m benchmarks.soak --minutes 10          # the full run (default 10 minutes)
    python -m benchmarks.soak --seconds 30 --warmup 10 --json soak.json

Workers send streams, JSON requests, multipart uploads and three-page lists, each with its
own deadline, to a `trio_openai.testing` server whose `Reply.handler` picks a fault for
every request from a seeded RNG (resets before and during bodies, stalls, trickles, status
storms with retry hints, malformed JSON, HTML, truncated chunked bodies, invalid UTF-8,
oversized events). The run passes when:

- every call is accounted for: it succeeded or raised one `trio_openai.OpenAIError`
  (counted per class); anything else (another exception, an ExceptionGroup, a call past
  its deadline) is a failure;
- nothing leaked at the end: no busy or waiting connection in the client's pool, the
  server's connections all closed, as many trio tasks alive as before the client existed;
- resident memory grew by less than ``--max-rss-growth`` MiB between the end of the
  warm-up and the end of the run.

Exit status 0 when it passes; the figures are printed (and written with ``--json``).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

import attrs
import trio
import trio.testing

import trio_openai
from trio_openai.testing import LocalServer, RecordedRequest, Reply, open_local_server

MIB: Final = 1024 * 1024
CALL_DEADLINE: Final = 15.0  # seconds; a call's own limits end it within ~3 s
MAX_EVENT_SIZE: Final = MIB
RETRY_FAST: Final = {"retry-after-ms": "1"}
EVENTS: Final = [{"type": "delta", "n": n, "text": "x" * 40} for n in range(20)]
PAGES: Final = {
    None: {"object": "list", "data": [{"id": "a"}, {"id": "b"}], "has_more": True},
    "b": {"object": "list", "data": [{"id": "c"}, {"id": "d"}], "has_more": True},
    "d": {"object": "list", "data": [{"id": "e"}], "has_more": False},
}
UPLOAD: Final = b'{"custom_id": "r1", "method": "POST"}\n' * 400  # ~15 KiB
OPERATIONS: Final = ("stream", "request", "upload", "list")

# Faults and their weights; "ok" is a clean answer. A fault is chosen per HTTP request,
# so a retried call may meet another fault (or none) on its next attempt.
FAULT_WEIGHTS: Final = {
    "ok": 60,
    "reset before headers": 3,
    "reset mid-body": 3,
    "stall before headers": 1,
    "stall mid-body": 1,
    "trickle": 1,
    "429": 4,
    "500": 3,
    "503": 3,
    "malformed JSON": 3,
    "HTML": 3,
    "truncated chunked": 3,
    "invalid UTF-8": 3,
    "oversized event": 1,
    "close-delimited": 3,
}


def _head(version: bytes, content_type: bytes, *extra: bytes) -> bytes:
    return b"\r\n".join([version + b" 200 OK", b"content-type: " + content_type, *extra]) + (
        b"\r\n\r\n"
    )


def _sse_body(events: list[Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + (
        b"data: [DONE]\n\n"
    )


def json_reply(fault: str, body: bytes) -> Reply:
    """A JSON answer (a request, an upload, a list page) carrying `fault`."""
    json_type = {"content-type": "application/json"}
    half = body[: len(body) // 2]
    if fault in ("ok", "oversized event"):
        return Reply.text(body, content_type="application/json")
    if fault == "reset before headers":
        return Reply.reset()
    if fault == "reset mid-body":
        return Reply.sse([half], done=False, reset_after=1, headers=json_type)
    if fault == "stall before headers":
        return Reply.stall()
    if fault == "stall mid-body":
        return Reply.sse([half], done=False, stall_after=1, headers=json_type)
    if fault == "trickle":  # ~0.5 s for a page: done or timed out, both are fine
        return Reply.sse([body], done=False, trickle=0.005, headers=json_type)
    if fault in ("429", "500", "503"):
        return Reply.error(int(fault), headers=RETRY_FAST)
    if fault == "malformed JSON":
        return Reply.text(body[:-1], content_type="application/json")
    if fault == "HTML":
        return Reply.text("<!doctype html><h1>Bad gateway</h1>", content_type="text/html")
    if fault == "truncated chunked":
        head = _head(b"HTTP/1.1", b"application/json", b"transfer-encoding: chunked")
        return Reply.raw(head + b"%x\r\n" % (len(body) + 10) + half)
    if fault == "invalid UTF-8":
        return Reply.text(b'{"text": "\xff\xfe"}', content_type="application/json")
    if fault == "close-delimited":
        return Reply.raw(_head(b"HTTP/1.0", b"application/json") + body)
    raise AssertionError(fault)


def sse_reply(fault: str) -> Reply:
    """An event stream carrying `fault`."""
    if fault == "ok":
        return Reply.sse(EVENTS)
    if fault == "reset mid-body":
        return Reply.sse(EVENTS, reset_after=5)
    if fault == "stall mid-body":
        return Reply.sse(EVENTS, stall_after=5)
    if fault == "trickle":
        return Reply.sse([b"data: 1\n\n"], done=False, trickle=0.05)
    if fault == "malformed JSON":
        return Reply.sse([*EVENTS[:3], b'data: {"n": \n\n'])
    if fault == "truncated chunked":
        head = _head(b"HTTP/1.1", b"text/event-stream", b"transfer-encoding: chunked")
        first = b"data: {}\n\n"
        return Reply.raw(head + b"%x\r\n%s\r\n" % (len(first), first) + b"40\r\ndata: {")
    if fault == "invalid UTF-8":
        return Reply.sse([*EVENTS[:3], b'data: {"t": "\xff\xfe"}\n\n'])
    if fault == "oversized event":
        return Reply.sse([b"data: " + b"x" * (2 * MIB) + b"\n\n"], chunked=False)
    if fault == "close-delimited":
        return Reply.raw(_head(b"HTTP/1.0", b"text/event-stream") + _sse_body(EVENTS))
    return json_reply(fault, b"{}")  # the faults before headers, statuses, HTML


@attrs.define
class FaultInjector:
    """`Reply.handler` callbacks choosing a fault per request from one seeded RNG."""

    rng: random.Random
    chosen: Counter[str] = attrs.field(factory=Counter)

    def _pick(self) -> str:
        fault = self.rng.choices(list(FAULT_WEIGHTS), weights=list(FAULT_WEIGHTS.values()))[0]
        self.chosen[fault] += 1
        return fault

    def stream(self, request: RecordedRequest) -> Reply:
        return sse_reply(self._pick())

    def request(self, request: RecordedRequest) -> Reply:
        return json_reply(self._pick(), b'{"id": "obj_1", "ok": true}')

    def page(self, request: RecordedRequest) -> Reply:
        after = request.query.get("after", [None])[0]
        return json_reply(self._pick(), json.dumps(PAGES[after]).encode())


def task_names() -> list[str]:
    """The names of every living trio task, from the root down."""
    names: list[str] = []
    pending = [trio.lowlevel.current_root_task()]
    while pending:
        task = pending.pop()
        if task is None:
            continue
        names.append(task.name)
        pending += [child for nursery in task.child_nurseries for child in nursery.child_tasks]
    return names


def rss_bytes() -> int:
    """Current resident set size (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


@attrs.define
class SoakReport:
    seconds: float
    warmup_seconds: float
    concurrency: int
    seed: int
    transport: str = ""
    submitted: int = 0
    succeeded: int = 0
    typed_errors: Counter[str] = attrs.field(factory=Counter)
    failures: list[str] = attrs.field(factory=list)
    per_operation: Counter[str] = attrs.field(factory=Counter)
    faults_injected: Counter[str] = attrs.field(factory=Counter)
    http_requests: int = 0
    connections_opened: int = 0
    rss_after_warmup: int = 0
    rss_end: int = 0
    rss_samples: list[int] = attrs.field(factory=list)
    pool_at_end: dict[str, int] = attrs.field(factory=dict)
    tasks_before: int = 0
    tasks_after: int = 0
    server_connections_after: int = -1

    @property
    def accounted(self) -> int:
        return self.succeeded + sum(self.typed_errors.values()) + len(self.failures)

    @property
    def rss_growth(self) -> int:
        return self.rss_end - self.rss_after_warmup

    def problems(self, max_rss_growth: int) -> list[str]:
        found = [f"failure: {failure}" for failure in self.failures[:20]]
        if self.accounted != self.submitted:
            found.append(f"{self.submitted} calls submitted, {self.accounted} accounted for")
        if self.pool_at_end.get("busy") or self.pool_at_end.get("waiting"):
            found.append(f"connections still in use at the end: {self.pool_at_end}")
        if self.server_connections_after != 0:
            found.append(f"server connections left open: {self.server_connections_after}")
        if self.tasks_after != self.tasks_before:
            found.append(f"trio tasks: {self.tasks_before} before, {self.tasks_after} after")
        if self.rss_growth >= max_rss_growth:
            found.append(f"RSS grew by {self.rss_growth / MIB:.1f} MiB after the warm-up")
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "warmup_seconds": self.warmup_seconds,
            "concurrency": self.concurrency,
            "seed": self.seed,
            "transport": self.transport,
            "submitted": self.submitted,
            "succeeded": self.succeeded,
            "typed_errors": dict(self.typed_errors.most_common()),
            "failures": self.failures[:20],
            "per_operation": dict(self.per_operation),
            "faults_injected": dict(self.faults_injected.most_common()),
            "http_requests": self.http_requests,
            "connections_opened": self.connections_opened,
            "rss_after_warmup_mib": round(self.rss_after_warmup / MIB, 2),
            "rss_end_mib": round(self.rss_end / MIB, 2),
            "rss_growth_mib": round(self.rss_growth / MIB, 2),
            "rss_min_max_mib": [
                round(min(self.rss_samples, default=0) / MIB, 2),
                round(max(self.rss_samples, default=0) / MIB, 2),
            ],
            "pool_at_end": self.pool_at_end,
            "tasks_before": self.tasks_before,
            "tasks_after": self.tasks_after,
            "server_connections_after": self.server_connections_after,
        }


async def _stream(client: trio_openai.OpenAI) -> None:
    async with client.stream("POST", "/soak/stream", body={"stream": True}) as stream:
        async for _ in stream:
            pass


async def _request(client: trio_openai.OpenAI) -> None:
    await client.post("/soak/json", body={"input": "hello"})


async def _upload(client: trio_openai.OpenAI) -> None:
    await client.post("/soak/upload", files={"file": ("batch.jsonl", UPLOAD), "purpose": "batch"})


async def _list(client: trio_openai.OpenAI) -> None:
    ids = [item["id"] async for item in client._paginate("/soak/items")]
    if ids != ["a", "b", "c", "d", "e"]:
        raise AssertionError(f"list gave {ids}")


CALLS: Final[dict[str, Callable[[trio_openai.OpenAI], Any]]] = {
    "stream": _stream,
    "request": _request,
    "upload": _upload,
    "list": _list,
}


async def _worker(
    client: trio_openai.OpenAI, rng: random.Random, stop_at: float, report: SoakReport
) -> None:
    while trio.current_time() < stop_at:
        operation = rng.choice(OPERATIONS)
        report.submitted += 1
        report.per_operation[operation] += 1
        try:
            with trio.fail_after(CALL_DEADLINE):
                await CALLS[operation](client)
        except trio_openai.OpenAIError as exc:
            report.typed_errors[type(exc).__name__] += 1
        except Exception as exc:  # the failures the soak exists to find, kept as data
            report.failures.append(f"{operation}: {exc!r}")
        else:
            report.succeeded += 1


async def _monitor(
    server: LocalServer, report: SoakReport, warmup_ends: float, stop_at: float
) -> None:
    """Keeps the server's request log from growing, and samples RSS every few seconds."""
    while trio.current_time() < stop_at:
        await trio.sleep(min(2.0, max(0.0, stop_at - trio.current_time())))
        report.http_requests += len(server.requests)
        server.requests.clear()
        if trio.current_time() >= warmup_ends:
            gc.collect()
            report.rss_samples.append(rss_bytes())
            if not report.rss_after_warmup:
                report.rss_after_warmup = report.rss_samples[-1]


async def run_soak(
    seconds: float, *, warmup: float = 60.0, concurrency: int = 16, seed: int = 1
) -> SoakReport:
    """Run the soak for `seconds` (the first `warmup` of them do not count for memory)."""
    if warmup >= seconds:
        raise ValueError("the warm-up must be shorter than the run")
    report = SoakReport(seconds=seconds, warmup_seconds=warmup, concurrency=concurrency, seed=seed)
    injector = FaultInjector(random.Random(seed + 1))
    started = time.perf_counter()
    async with open_local_server() as server:
        server.script("POST", "/v1/soak/stream", Reply.handler(injector.stream))
        server.script("POST", "/v1/soak/json", Reply.handler(injector.request))
        server.script("POST", "/v1/soak/upload", Reply.handler(injector.request))
        server.script("GET", "/v1/soak/items", Reply.handler(injector.page))
        await trio.testing.wait_all_tasks_blocked()  # the server's listener tasks started
        report.tasks_before = trio.lowlevel.current_statistics().tasks_living
        now = trio.current_time()
        stop_at, warmup_ends = now + seconds, now + warmup
        async with trio_openai.OpenAI(
            api_key="sk-soak",
            base_url=server.base_url,
            max_retries=1,
            timeout=trio_openai.Timeout(request=1.0, connect=2.0, first_event=1.0, idle=1.0),
            max_event_size=MAX_EVENT_SIZE,
            random_source=random.Random(seed + 2).random,
        ) as client:
            report.transport = type(client._http._transport).__name__
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_monitor, server, report, warmup_ends, stop_at)
                for index in range(concurrency):
                    worker_rng = random.Random(seed * 1000 + index)
                    nursery.start_soon(_worker, client, worker_rng, stop_at, report)
            report.pool_at_end = client.statistics()
        with trio.move_on_after(5):
            await server.wait_open_connections(0)
        report.server_connections_after = server.open_connections
        report.http_requests += len(server.requests)
        report.connections_opened = server.connections_opened
        await trio.testing.wait_all_tasks_blocked()  # connection tasks finish their cleanup
        report.tasks_after = trio.lowlevel.current_statistics().tasks_living
        if report.tasks_after != report.tasks_before:
            report.failures.append(f"tasks alive at the end: {task_names()}")
    gc.collect()
    report.rss_end = rss_bytes()
    report.rss_samples.append(report.rss_end)
    report.faults_injected = injector.chosen
    report.seconds = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, help="overrides --minutes")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-rss-growth", type=float, default=4.0, help="MiB (default 4)")
    parser.add_argument("--json", help="write the report to this file")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    warmup = min(args.warmup, seconds / 2)
    report = trio.run(
        lambda: run_soak(seconds, warmup=warmup, concurrency=args.concurrency, seed=args.seed)
    )
    problems = report.problems(int(args.max_rss_growth * MIB))
    figures = {**report.to_json(), "problems": problems, "passed": not problems}
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
