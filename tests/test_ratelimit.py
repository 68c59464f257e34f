"""The rate limiter: its policy under the autojump clock, and the client over real sockets.

The policy tests drive a `RateLimiter` against the local server's `RateLimitBudget` in one
process on trio's mock clock: each simulated request is charged when "sent" and its
reply's headers come back after a reply time, so budget use and 429s are exact.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs
import orjson
import pytest
import trio
import trio.testing

import trio_openai
from trio_openai._ratelimit_headers import estimate_tokens, parse_duration, read_limits
from trio_openai.lib import RateLimiter, run_all
from trio_openai.testing import LocalServer, RateLimitBudget, RecordedRequest, Reply


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
        ("nan", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_read_limits() -> None:
    headers = {
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-tokens": "998",
        "x-ratelimit-reset-tokens": "6ms",
    }
    snap = read_limits(headers, "tokens")
    assert (snap.limit, snap.remaining, snap.reset_after) == (1000, 998, 0.006)
    assert read_limits(headers, "requests").limit is None


def test_tokens_are_counted_as_the_api_counts_them() -> None:
    # Prompt characters / 4 (not the JSON around them) plus the output budget times n.
    chat = {
        "model": "gpt-5.2",
        "messages": [
            {"role": "system", "content": "x" * 40},
            {"role": "user", "content": [{"type": "text", "text": "y" * 40}]},
        ],
        "max_completion_tokens": 100,
        "n": 2,
    }
    assert estimate_tokens(chat, len(orjson.dumps(chat))) == 20 + 200
    responses = {"model": "m", "input": "z" * 400, "instructions": "w" * 4, "max_output_tokens": 7}
    assert estimate_tokens(responses, 999) == 101 + 7
    items = {"input": [{"role": "user", "content": [{"type": "input_text", "text": "a" * 8}]}]}
    assert estimate_tokens(items, 999) == 2
    assert estimate_tokens({"input": [[1, 2, 3]]}, 999) == 3  # token ids count one each
    assert estimate_tokens(None, 400) == 100  # a multipart body: by size


# -- the policy, under the autojump clock ---------------------------------------------------


@attrs.define
class Run:
    use: float
    rejected: int
    late_429s: int  # after the first window (and outside the cut window)
    seconds: float
    limiter: RateLimiter | None


def _request(prompt_chars: int, max_tokens: int) -> RecordedRequest:
    body = orjson.dumps({"input": "p" * prompt_chars, "max_output_tokens": max_tokens})
    return RecordedRequest(method="POST", path="/v1/responses", query={}, headers={}, body=body)


async def simulate(
    *,
    refill: str,
    reply: tuple[float, float],
    limit: int = 40,
    tokens: bool = False,
    count: int = 300,
    in_flight: int = 64,
    limiter: RateLimiter | None = None,
    configure: bool = True,
    cut_at: float | None = None,
    token_counter: Callable[[RecordedRequest], int] | None = None,
) -> Run:
    """``count`` requests of 100 tokens with ``in_flight`` at a time against a budget of
    ``limit`` requests (or ``limit * 100`` tokens) per second."""
    budget_args: dict[str, int | None] = (
        {"tokens_per_minute": limit * 100} if tokens else {"requests_per_minute": limit}
    )
    extra = {} if token_counter is None else {"token_counter": token_counter}
    budget = RateLimitBudget(window=1.0, refill=refill, **budget_args, **extra)  # type: ignore[arg-type]
    if limiter is None and configure:
        limiter = RateLimiter(period=1.0, **budget_args)  # type: ignore[arg-type]
    rng = random.Random(7)
    delays = [rng.uniform(*reply) for _ in range(count * 3)]
    first_accepted: dict[int, float] = {}
    indices = iter(range(count))
    start = trio.current_time()

    async def one(index: int) -> None:
        request = _request(300, 25)  # 75 + 25 = 100 tokens
        attempt = 0
        while True:
            if limiter is not None:
                await limiter.acquire(estimate_tokens(orjson.loads(request.body), 0))
            accepted, headers = budget.charge(request)
            if accepted:
                first_accepted.setdefault(index, trio.current_time())
                await trio.sleep(delays[index * 3 + min(attempt, 2)])
            if limiter is not None:
                limiter.observe(200 if accepted else 429, headers)
            if accepted:
                return
            attempt += 1
            await trio.sleep(int(headers["retry-after-ms"]) / 1000)

    async def worker() -> None:  # a fixed pool: the same input order whatever the scheduling
        for index in indices:
            await one(index)

    async with trio.open_nursery() as nursery:
        if cut_at is not None:

            async def cut() -> None:
                await trio.sleep(cut_at)
                if tokens:
                    budget.cut(tokens_per_minute=limit * 50)
                else:
                    budget.cut(requests_per_minute=limit // 2)

            nursery.start_soon(cut)
        for _ in range(in_flight):
            nursery.start_soon(worker)
    end = max(first_accepted.values())
    point = [p for p in budget.timeline if p.time <= end][-1]
    used, unused = (
        (point.tokens_used, point.tokens_unused)
        if tokens
        else (point.requests_used, point.requests_unused)
    )
    first = budget.timeline[0].time
    late = [
        t
        for t in budget.rejected_at
        if t >= first + 1.0 and not (cut_at is not None and 0 <= t - start - cut_at < 1.0)
    ]
    return Run(used / (used + unused), budget.rejected, len(late), trio.current_time() - start, limiter)


REPLIES = {"fast": (0.02, 0.08), "slow": (0.2, 1.0), "llm-scaled": (0.1, 0.5)}


@pytest.mark.parametrize("refill", ["window", "continuous"])
@pytest.mark.parametrize("reply", list(REPLIES))
@pytest.mark.parametrize("tokens", [False, True], ids=["request-bound", "token-bound"])
async def test_over_budget_the_whole_budget_is_used_without_429s(
    autojump_clock: trio.testing.MockClock, refill: str, reply: str, tokens: bool
) -> None:
    run = await simulate(refill=refill, reply=REPLIES[reply], tokens=tokens)
    assert run.use >= 0.99
    assert run.late_429s == 0
    assert run.rejected <= 1
    assert run.limiter is not None
    assert run.limiter.statistics().refill == refill  # detected from the headers


@pytest.mark.parametrize("refill", ["window", "continuous"])
async def test_learns_the_budget_from_headers_alone(
    autojump_clock: trio.testing.MockClock, refill: str
) -> None:
    run = await simulate(refill=refill, reply=REPLIES["slow"], limiter=RateLimiter(period=1.0))
    assert run.use >= 0.98
    assert run.late_429s == 0
    assert run.rejected <= 64  # the first window, before any header, may overshoot


@pytest.mark.parametrize("refill", ["window", "continuous"])
@pytest.mark.parametrize("tokens", [False, True], ids=["request-bound", "token-bound"])
async def test_a_budget_cut_within_a_window_is_followed(
    autojump_clock: trio.testing.MockClock, refill: str, tokens: bool
) -> None:
    run = await simulate(refill=refill, reply=REPLIES["slow"], tokens=tokens, cut_at=3.5)
    assert run.late_429s == 0  # 429s only in the window where the budget was cut
    assert run.use >= 0.97
    assert run.limiter is not None
    stats = run.limiter.statistics()
    assert (stats.tokens_limit if tokens else stats.requests_limit) == (2000 if tokens else 20)


@pytest.mark.parametrize("refill", ["window", "continuous"])
@pytest.mark.parametrize("reply", list(REPLIES))
async def test_under_the_budget_the_limiter_costs_nothing(
    autojump_clock: trio.testing.MockClock, refill: str, reply: str
) -> None:
    # 16 in flight with these replies asks for about 65 % of a budget of this size.
    mean = sum(REPLIES[reply]) / 2
    limit = round(16 / mean / 0.65)
    args = {"refill": refill, "reply": REPLIES[reply], "limit": limit, "in_flight": 16}
    limited = await simulate(**args)  # type: ignore[arg-type]
    plain = await simulate(**args, configure=False)  # type: ignore[arg-type]
    assert plain.rejected == limited.rejected == 0  # under the budget indeed
    assert limited.seconds == pytest.approx(plain.seconds, abs=1e-6)
    assert limited.limiter is not None
    assert limited.limiter.statistics().delayed == 0


async def test_tokens_are_corrected_from_the_headers(autojump_clock: trio.testing.MockClock) -> None:
    # The server counts every request as 150 tokens where the client estimates 100.
    run = await simulate(
        refill="window", reply=REPLIES["fast"], tokens=True, token_counter=lambda _: 150, count=400
    )
    assert run.limiter is not None
    assert run.limiter.statistics().token_correction == pytest.approx(1.5, rel=0.05)
    assert run.late_429s <= 5  # a few while it learns
    assert run.use >= 0.95


async def test_a_429_pauses_every_task_for_its_retry_after(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter()
    await limiter.acquire(1)
    limiter.observe(429, {"retry-after-ms": "300"})
    stats = limiter.statistics()
    assert stats.rate_limited == 1
    assert stats.paused_for == pytest.approx(0.3)
    released: list[float] = []

    async def another_task() -> None:
        await limiter.acquire(1)
        released.append(trio.current_time())

    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(another_task)
    assert released == [pytest.approx(start + 0.3)] * 3


async def test_a_configured_budget_is_a_share_of_the_account(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter(requests_per_minute=10)
    await limiter.acquire(1)
    # The account has 100, of which 95 are left: this client's share of 10 has 5 left.
    limiter.observe(
        200,
        {
            "x-ratelimit-limit-requests": "100",
            "x-ratelimit-remaining-requests": "95",
            "x-ratelimit-reset-requests": "3s",
        },
    )
    stats = limiter.statistics()
    assert stats.requests_limit == 10
    assert stats.requests_remaining == 5


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="period"):
        RateLimiter(period=0)
    with pytest.raises(ValueError, match="requests_per_minute"):
        RateLimiter(requests_per_minute=0)


# -- the client over real sockets ----------------------------------------------------------


async def slow_reply(request: RecordedRequest) -> Reply:
    await trio.sleep(0.05 + (int(request.json()["i"]) % 5) * 0.03)
    return Reply.json({"i": request.json()["i"]})


@pytest.mark.parametrize("refill", ["window", "continuous"])
async def test_client_with_limiter_keeps_the_budget_over_sockets(
    local_server: LocalServer, refill: str
) -> None:
    budget = RateLimitBudget(requests_per_minute=20, window=0.5, refill=refill)  # type: ignore[arg-type]
    local_server.rate_limit = budget
    local_server.script("POST", "/v1/work", Reply.handler(slow_reply))
    limiter = RateLimiter(requests_per_minute=20, period=0.5)
    async with trio_openai.OpenAI(
        api_key="k", base_url=local_server.base_url, rate_limiter=limiter
    ) as client:

        async def call(n: int) -> int:
            result = await client.post("/work", body={"i": n})
            return int(result["i"])

        outcomes = await run_all(call, range(70), limit=32)
    assert [o.value for o in outcomes] == list(range(70))
    first = budget.timeline[0].time
    assert [t for t in budget.rejected_at if t >= first + 0.5] == []
    assert budget.accepted == 70
    assert limiter.statistics().refill == refill


async def test_token_budget_holds_requests_over_sockets(local_server: LocalServer) -> None:
    budget = RateLimitBudget(tokens_per_minute=2_000, window=0.3)
    local_server.rate_limit = budget
    local_server.script("POST", "/v1/responses", Reply.json({"ok": True}))
    limiter = RateLimiter(tokens_per_minute=2_000, period=0.3)
    async with trio_openai.OpenAI(
        api_key="k", base_url=local_server.base_url, rate_limiter=limiter
    ) as client:

        async def call(n: int) -> object:
            body = {"model": "m", "input": "q" * 400, "max_output_tokens": 300, "i": n}
            return await client.post("/responses", body=body)

        start = trio.current_time()
        outcomes = await run_all(call, range(12), limit=12)
        elapsed = trio.current_time() - start
    assert all(o.ok for o in outcomes)
    # 400 tokens each (prompt / 4 + the output budget, as the API counts): 5 a window. The
    # first window's end is known only to the first requests' connection set-up.
    first = budget.timeline[0].time
    assert [t for t in budget.rejected_at if t >= first + 0.3] == []
    assert elapsed >= 0.6  # 12 x 400 tokens take three 2,000-token windows


async def test_a_429_over_sockets_holds_the_next_request(local_server: LocalServer) -> None:
    local_server.script(
        "POST",
        "/v1/work",
        Reply.error(429, headers={"retry-after-ms": "300"}),
        Reply.json({"ok": True}),
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
