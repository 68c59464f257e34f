"""The cancellation sweep (test_cancellation_sweep.py) over the resilience paths: a background
Responses stream (whose block sends a shielded cancel when it ends early), a hedged call
(two attempts in a nursery) and a call falling back to a second endpoint.

After each cancelled run: only the scope's own Cancelled came out, the pool holds no busy
connection, a background stream sent at most one cancel (exactly one when it had seen the
response's id but not its end), and the next call works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

import pytest
from test_cancellation_sweep import MAX_STEPS, run_cancelled_at

import trio_openai
from trio_openai.lib._responses_stream import ResponseStream, ResponseStreamManager
from trio_openai.testing import Reply, open_local_server

KEY: Final = "sk-test-sweep"
BODY: Final = {"model": "echo-1", "input": "a b c d", "background": True}


async def sweep(
    client: trio_openai.OpenAI,
    operation: Callable[[], Awaitable[None]],
    after_each: Callable[[bool], None],
) -> int:
    """Cancel `operation` at step 0, 1, 2... until it completes first; returns the count."""
    cancelled = 0
    for n in range(MAX_STEPS):
        fired, completed = await run_cancelled_at(operation, n)
        stats = client.statistics()
        assert stats["busy"] == 0 and stats["waiting"] == 0, (n, stats)
        after_each(completed)
        await operation()
        after_each(True)
        if not fired:
            return cancelled
        cancelled += not completed
    raise AssertionError(f"did not complete within {MAX_STEPS} steps")


async def test_background_stream_sends_at_most_one_cancel_per_run() -> None:
    async with (
        open_local_server() as server,
        trio_openai.OpenAI(api_key=KEY, base_url=server.base_url) as client,
    ):
        opened: list[ResponseStream] = []

        async def read() -> None:
            async with ResponseStreamManager(client, BODY) as stream:
                opened.append(stream)
                await stream.until_done()

        def check(completed: bool) -> None:
            cancels = server.background.cancels
            if not opened:
                assert cancels == []
                return
            stream = opened[-1]
            expected = (
                []
                if completed or stream.done or stream.response_id is None
                else [stream.response_id]
            )
            assert cancels == expected, (cancels, stream.response_id, stream.done)
            cancels.clear()
            opened.clear()

        cancelled = await sweep(client, read, check)
        print(f"\nsweep background stream: {cancelled} cancelled runs")
        assert cancelled >= 3


@pytest.mark.parametrize("path", ["hedged", "fallback"])
async def test_hedged_and_fallback_calls_cancel_cleanly(path: str) -> None:
    async with open_local_server() as server, open_local_server() as second:
        server.script("GET", "/v1/models", Reply.json({"ok": 1}, delay=0.05), Reply.json({"ok": 1}))
        second.script("GET", "/v1/models", Reply.json({"ok": 1}))
        if path == "hedged":  # every call hedges at once: two attempts in a nursery
            client = trio_openai.OpenAI(api_key=KEY, base_url=server.base_url, hedge_after=0.0)
        else:  # every call fails on the first endpoint, then moves to the second
            server.script("GET", "/v1/models", Reply.error(503))
            client = trio_openai.OpenAI(
                api_key=KEY,
                base_url=server.base_url,
                fallback_base_urls=[second.base_url],
                max_retries=0,
                circuit_failure_threshold=10**6,
            )
        async with client:

            async def call() -> None:
                assert await client.get("/models") == {"ok": 1}

            cancelled = await sweep(client, call, lambda completed: None)
            print(f"\nsweep {path}: {cancelled} cancelled runs")
            # The attempts run in child tasks: the sweep walks the few schedule points of
            # the calling task (how many depends on when the replies land).
            assert cancelled >= 1
            if path == "hedged":
                assert client.statistics()["hedges_started"] > 0
            else:
                assert client.statistics()["fallbacks"] > 0
