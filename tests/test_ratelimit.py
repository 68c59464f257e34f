"""Client-side rate limiting against the local server's budget, over real sockets."""

from __future__ import annotations

import pytest
import trio

import trio_openai
from trio_openai._ratelimit_headers import estimate_tokens, parse_duration, read_limits
from trio_openai.lib import RateLimiter, run_all
from trio_openai.testing import LocalServer, RateLimitBudget


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("0.25", 0.25),
        ("bad", None),
        ("", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_read_limits_and_estimate() -> None:
    headers = {
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-tokens": "998",
        "x-ratelimit-reset-tokens": "6ms",
    }
    snap = read_limits(headers, "tokens")
    assert (snap.limit, snap.remaining, snap.reset_after) == (1000, 998, 0.006)
    assert read_limits(headers, "requests").limit is None
    assert estimate_tokens({"input": "x", "max_output_tokens": 100}, 400) == 200
    assert estimate_tokens({"messages": [], "max_tokens": 10, "n": 3}, 40) == 60


async def fan_out(client: trio_openai.OpenAI, count: int) -> list:  # type: ignore[type-arg]
    async def call(n: int) -> object:
        return await client.post("/work", body={"i": n})

    return await run_all(call, range(count), limit=64)


async def test_configured_limiter_never_hits_429(local_server: LocalServer) -> None:
    local_server.rate_limit = RateLimitBudget(requests_per_minute=25, window=0.5)
    local_server.script("POST", "/v1/work", trio_openai.testing.Reply.json({"ok": True}))
    limiter = RateLimiter(requests_per_minute=25)
    limiter._requests.reset_at = 0
    async with trio_openai.OpenAI(
        api_key="k", base_url=local_server.base_url, rate_limiter=limiter
    ) as client:
        outcomes = await fan_out(client, 100)
    assert all(o.ok for o in outcomes)
    assert local_server.rate_limit.rejected <= 1  # windows of client and server may skew by one


async def test_limiter_learns_from_headers_and_pauses_everyone_on_429(
    local_server: LocalServer,
) -> None:
    budget = RateLimitBudget(requests_per_minute=20, window=0.4)
    local_server.rate_limit = budget
    local_server.script("POST", "/v1/work", trio_openai.testing.Reply.json({"ok": True}))
    limiter = RateLimiter()
    async with trio_openai.OpenAI(
        api_key="k", base_url=local_server.base_url, rate_limiter=limiter
    ) as client:
        outcomes = await fan_out(client, 120)
        stats = limiter.statistics()
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok][:3]
    assert stats.requests_limit == 20
    assert stats.acquired >= 120
    # Without a configured budget, the first window may overshoot; after the limiter has
    # learnt the budget, later windows see (almost) no 429.
    assert budget.rejected <= 64
    assert budget.accepted == 120


async def test_token_budget_holds_requests(local_server: LocalServer) -> None:
    budget = RateLimitBudget(tokens_per_minute=2_000, window=0.3)
    local_server.rate_limit = budget
    local_server.script("POST", "/v1/work", trio_openai.testing.Reply.json({"ok": True}))
    limiter = RateLimiter(tokens_per_minute=2_000)
    limiter._tokens.reset_at = 0
    async with trio_openai.OpenAI(
        api_key="k", base_url=local_server.base_url, rate_limiter=limiter
    ) as client:

        async def call(n: int) -> object:
            return await client.post("/work", body={"i": n, "max_tokens": 400})

        start = trio.current_time()
        outcomes = await run_all(call, range(12), limit=12)
        elapsed = trio.current_time() - start
    assert all(o.ok for o in outcomes), (
        [repr(o.error) for o in outcomes if not o.ok][:2],
        limiter.statistics(),
        budget.rejected,
    )
    assert budget.rejected <= 1
    assert elapsed >= 0.3  # 12 x ~405 tokens do not fit one 2,000-token window


async def test_statistics_report_a_pause_after_429(local_server: LocalServer) -> None:
    local_server.script(
        "POST",
        "/v1/work",
        trio_openai.testing.Reply.error(429, headers={"retry-after-ms": "300"}),
        trio_openai.testing.Reply.json({"ok": True}),
    )
    limiter = RateLimiter()
    async with trio_openai.OpenAI(
        api_key="k", base_url=local_server.base_url, rate_limiter=limiter, max_retries=0
    ) as client:
        with pytest.raises(trio_openai.RateLimitError):
            await client.post("/work", body={})
        stats = limiter.statistics()
        assert stats.rate_limited == 1
        assert 0.2 < stats.paused_for <= 0.3
        start = trio.current_time()
        await client.post("/work", body={})  # held until the pause ends
        assert trio.current_time() - start >= 0.2
