"""Hedged requests over real sockets: the first success wins, the loser is cancelled and
its connection released, counted in `client.statistics()`; never for unreplayable bodies,
never for a stream once its response has started."""

from __future__ import annotations

from typing import Any, Final

import pytest
import trio

import trio_openai
from trio_openai.testing import LocalServer, RecordedRequest, Reply

MODELS: Final[dict[str, object]] = {"object": "list", "data": []}


def first_slow_then_fast(seconds: float = 30.0) -> tuple[Reply, Reply]:
    return Reply.json(MODELS, delay=seconds), Reply.json(MODELS)


async def test_hedge_wins_and_the_loser_is_released(local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/models", *first_slow_then_fast())
    async with trio_openai.OpenAI(
        api_key="sk-test", base_url=local_server.base_url, hedge_after=0.1
    ) as client:
        with trio.fail_after(5):
            result = await client.get("/models")
        assert result == MODELS
        stats = client.statistics()
        assert (stats["hedges_started"], stats["hedges_won"]) == (1, 1)
        assert len(local_server.requests) == 2
        # The loser's connection was closed (never pooled half-read): only the winner's
        # is left, idle in the pool.
        assert (stats["connections"], stats["idle"], stats["busy"]) == (1, 1, 0)
        again = await client.get("/models")  # the pool still works
        assert again == MODELS
        assert client.statistics()["hedges_started"] == 1  # a fast reply sends no hedge


async def test_a_fast_reply_sends_no_hedge(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/models", Reply.json(MODELS))
    hedged = client.with_options(hedge_after=0.5)
    for _ in range(5):
        await hedged.get("/models")
    assert len(local_server.requests) == 5
    assert client.statistics()["hedges_started"] == 0


async def test_per_call_opt_in_and_the_first_attempt_can_still_win(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    # The first reply arrives 0.3 s in, the hedge (sent at 0.1 s) would take 5 s more.
    local_server.script(
        "GET", "/v1/models", Reply.json({"first": True}, delay=0.3), Reply.json(MODELS, delay=5)
    )
    with trio.fail_after(3):
        result = await client.with_options(hedge_after=0.1).get("/models")
    assert result == {"first": True}
    stats = client.statistics()
    assert (stats["hedges_started"], stats["hedges_won"]) == (1, 0)
    assert (stats["connections"], stats["idle"], stats["busy"]) == (1, 1, 0)


async def test_unreplayable_body_is_never_hedged(local_server: LocalServer) -> None:
    class OneShot:
        def __init__(self) -> None:
            self.pieces = [b"once"]

        def read(self, size: int = -1) -> bytes:
            return self.pieces.pop(0) if self.pieces else b""

    local_server.script("POST", "/v1/files", Reply.json({"id": "f"}, delay=0.4))
    async with trio_openai.OpenAI(
        api_key="sk-test", base_url=local_server.base_url, hedge_after=0.05
    ) as client:
        result: Any = await client.post("/files", files={"file": ("p.bin", OneShot())})
        assert result == {"id": "f"}
        assert client.statistics()["hedges_started"] == 0
    assert len(local_server.requests) == 1


async def test_stream_is_hedged_before_its_headers_only(local_server: LocalServer) -> None:
    events = [{"type": "delta", "n": n} for n in range(5)]
    calls = 0

    async def headers_late_once(request: RecordedRequest) -> Reply:
        nonlocal calls
        del request
        calls += 1
        if calls == 1:
            await trio.sleep(30)
        return Reply.sse(events, pace=0.2)  # slow events: no hedge after the headers

    local_server.script("POST", "/v1/things", Reply.handler(headers_late_once))
    async with trio_openai.OpenAI(
        api_key="sk-test", base_url=local_server.base_url, hedge_after=0.1
    ) as client:
        with trio.fail_after(5):
            async with await client.post("/things", body={}, stream=True) as stream:
                got = [event async for event in stream]
        assert got == events
        assert client.statistics()["hedges_started"] == 1
    assert calls == 2


async def test_both_failing_raise_the_first_error_once(local_server: LocalServer) -> None:
    local_server.script(
        "GET",
        "/v1/models",
        Reply.error(400, message="first", delay=0.3),
        Reply.error(400, message="second", delay=0.5),
    )
    async with trio_openai.OpenAI(
        api_key="sk-test", base_url=local_server.base_url, hedge_after=0.1
    ) as client:
        with pytest.raises(trio_openai.BadRequestError, match="first"):
            await client.get("/models")


async def test_cancelling_a_hedged_call_is_one_plain_cancel(local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/models", Reply.json(MODELS, delay=30))
    async with trio_openai.OpenAI(
        api_key="sk-test", base_url=local_server.base_url, hedge_after=0.05
    ) as client:
        with trio.move_on_after(0.3) as scope:
            await client.get("/models")
        assert scope.cancelled_caught
        stats = client.statistics()
        assert (stats["connections"], stats["busy"], stats["hedges_started"]) == (0, 0, 1)


def test_hedge_after_must_be_a_duration() -> None:
    with pytest.raises(ValueError, match="hedge_after"):
        trio_openai.OpenAI(api_key="sk-test", hedge_after=-1)


async def test_adaptive_hedge_learns_the_normal_latency(local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/models", Reply.json(MODELS, delay=0.02))
    policy = trio_openai.AdaptiveHedge(90, warmup=10, minimum=0.01)
    async with trio_openai.OpenAI(
        api_key="sk-test", base_url=local_server.base_url, hedge_after=policy
    ) as client:
        # Warming up: a slow reply is waited for, not hedged.
        local_server.script("GET", "/v1/models", Reply.json(MODELS, delay=0.3), _fast())
        await client.get("/models")
        assert client.statistics()["hedges_started"] == 0
        for _ in range(10):
            await client.get("/models")
        delay = policy.delay()
        assert delay is not None and 0.01 <= delay < 0.3
        local_server.script("GET", "/v1/models", Reply.json(MODELS, delay=5), _fast())
        with trio.fail_after(2):
            await client.get("/models")
        assert client.statistics()["hedges_won"] == 1


def _fast() -> Reply:
    return Reply.json(MODELS, delay=0.02)


def test_adaptive_hedge_rejects_a_percentile_out_of_range() -> None:
    with pytest.raises(ValueError, match="percentile"):
        trio_openai.AdaptiveHedge(100)


def test_adaptive_hedge_percentile_floor_and_warmup() -> None:
    policy = trio_openai.AdaptiveHedge(90, window=100, warmup=20, minimum=0.05)
    for n in range(19):
        policy.observe(n / 1000)
    assert policy.delay() is None
    for n in range(19, 100):
        policy.observe(n / 100)  # 0.19 .. 0.99 s
    assert policy.delay() == pytest.approx(0.90)
    for _ in range(100):
        policy.observe(0.001)  # the window slides: old latencies leave it
    assert policy.delay() == 0.05  # the floor
