"""Cassette replay cost: a recorded stream replayed in-process vs served by the local server.

    python -m benchmarks.cassettes [EVENTS]

Records one chat-completions stream of EVENTS events (default 2000) from the local server,
then reads it three ways, reporting wall time and microseconds per event: live from the
local server over a socket, replayed by the cassette middleware, and replayed by
`open_cassette_server` over a socket. The replays run under
`MockClock(autojump_threshold=0)`, so the recorded pacing costs no wall time and the numbers
are the replay's own per-event cost.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import trio
import trio.testing

import trio_openai
from trio_openai.testing import Reply, open_cassette, open_cassette_server, open_local_server

MESSAGES: list[trio_openai.types.params.ChatCompletionRequestMessageParam] = [
    {"role": "user", "content": "benchmark"}
]


async def _drain(client: trio_openai.OpenAI) -> int:
    count = 0
    async with await client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True
    ) as stream:
        async for _ in stream:
            count += 1
    return count


async def _timed(label: str, events: int, run: Callable[[], Awaitable[int]]) -> None:
    start = time.perf_counter()
    count = await run()
    elapsed = time.perf_counter() - start
    assert count == events, (label, count)
    print(f"{label:<28} {elapsed * 1000:8.1f} ms  {elapsed / events * 1e6:6.1f} us/event")


async def record(events: int, path: Path) -> None:
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
             "choices": [{"index": 0, "delta": {"content": "token"}, "finish_reason": None}]}  # fmt: skip
    async with open_local_server() as server:
        server.script("POST", "/v1/chat/completions", Reply.sse([chunk] * events))
        async with (
            open_cassette(path, mode="all") as cassette,
            cassette.client(base_url=server.base_url, api_key="sk-bench") as client,
        ):
            await _drain(client)
        async with trio_openai.OpenAI(base_url=server.base_url, api_key="sk-bench") as client:
            await _timed("live, local server", events, lambda: _drain(client))


async def replay(events: int, path: Path) -> None:
    async with open_cassette(path, mode="none", allow_repeats=True) as cassette:
        async with cassette.client() as client:
            await _timed("cassette middleware", events, lambda: _drain(client))
        async with (
            open_cassette_server(cassette) as served,
            trio_openai.OpenAI(base_url=served.base_url, api_key="sk-bench") as client,
        ):
            await _timed("cassette server (socket)", events, lambda: _drain(client))


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    path = Path(tempfile.mkdtemp()) / "bench.json"
    trio.run(record, events, path)
    print(f"cassette file: {path.stat().st_size / 1024:.0f} KiB for {events} events")
    trio.run(replay, events, path, clock=trio.testing.MockClock(autojump_threshold=0))


if __name__ == "__main__":
    main()
