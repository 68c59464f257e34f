"""The retry policy: pure rules (with Hypothesis) and exact delays under the autojump clock."""

from __future__ import annotations

import email.utils
from collections.abc import Callable

import httpx
import pytest
import trio
import trio.testing
from hypothesis import given, strategies as st

import trio_openai
from trio_openai._retry import backoff_delay, parse_retry_after, retry_delay, should_retry_status


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, False),
        (401, False),
        (404, False),
        (408, True),
        (409, True),
        (422, False),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
    ],
)
def test_retryable_statuses(status: int, expected: bool) -> None:
    assert should_retry_status(status, {}) is expected


@pytest.mark.parametrize("status", [400, 429, 500])
def test_x_should_retry_overrides_status(status: int) -> None:
    assert should_retry_status(status, {"x-should-retry": "true"}) is True
    assert should_retry_status(status, {"x-should-retry": "false"}) is False


def test_backoff_schedule_without_jitter() -> None:
    assert [backoff_delay(n, 0.0) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=0.0, max_value=0.999999))
def test_backoff_bounds(retries_taken: int, rand: float) -> None:
    base = min(0.5 * 2 ** min(retries_taken, 64), 8.0)
    delay = backoff_delay(retries_taken, rand)
    assert base * 0.75 <= delay <= base


def test_retry_after_ms_wins_over_retry_after() -> None:
    headers = {"retry-after-ms": "1500", "retry-after": "30"}
    assert parse_retry_after(headers, now=0.0) == 1.5


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after({"retry-after": "7"}, now=0.0) == 7.0
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 12, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=now) == pytest.approx(12.0, abs=1.0)
    assert parse_retry_after({"retry-after": "soon"}, now=now) is None


def test_hint_within_cap_is_used_longer_hint_stops() -> None:
    assert retry_delay(0, {"retry-after": "60"}, max_retry_after=60, rand=0.5, now=0) == 60.0
    assert retry_delay(0, {"retry-after": "61"}, max_retry_after=60, rand=0.5, now=0) is None
    assert retry_delay(0, {"retry-after": "61"}, max_retry_after=120, rand=0.5, now=0) == 61.0


@pytest.mark.parametrize("hint", ["0", "-3", "nan", "inf", "garbage"])
def test_non_positive_or_bad_hint_falls_back_to_backoff(hint: str) -> None:
    assert retry_delay(1, {"retry-after": hint}, max_retry_after=60, rand=0.0, now=0) == 1.0


# --- the loop, with exact delays (pure policy over httpx.MockTransport) ---------------------

Handler = Callable[[httpx.Request], httpx.Response]


def scripted(
    responses: list[httpx.Response], seen: list[tuple[float, httpx.Request]]
) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((trio.current_time(), request))
        return responses.pop(0)

    return httpx.MockTransport(handler)


def make_client(transport: httpx.MockTransport, **kwargs: object) -> trio_openai.OpenAI:
    return trio_openai.OpenAI(
        api_key="sk-test",
        base_url="http://mock.test/v1",
        http_client=httpx.AsyncClient(transport=transport),
        random_source=lambda: 0.5,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def autojump_clock() -> trio.testing.MockClock:
    return trio.testing.MockClock(autojump_threshold=0)


async def test_backoff_delays_are_exact(autojump_clock: trio.testing.MockClock) -> None:
    seen: list[tuple[float, httpx.Request]] = []
    responses = [httpx.Response(500), httpx.Response(503), httpx.Response(200, json={"ok": 1})]
    client = make_client(scripted(responses, seen))
    result = await client.get("/thing")
    assert result == {"ok": 1}
    times = [t - seen[0][0] for t, _ in seen]
    # 0.5 s then 1.0 s, each minus 25 % * 0.5 jitter.
    assert times == [0.0, 0.5 * 0.875, 0.5 * 0.875 + 1.0 * 0.875]
    assert [r.headers["x-stainless-retry-count"] for _, r in seen] == ["0", "1", "2"]


async def test_retry_after_ms_is_honoured_exactly(autojump_clock: trio.testing.MockClock) -> None:
    seen: list[tuple[float, httpx.Request]] = []
    responses = [
        httpx.Response(429, headers={"retry-after-ms": "2500"}),
        httpx.Response(200, json=[]),
    ]
    client = make_client(scripted(responses, seen))
    await client.get("/thing")
    assert seen[1][0] - seen[0][0] == 2.5


async def test_long_retry_after_ends_retrying(autojump_clock: trio.testing.MockClock) -> None:
    seen: list[tuple[float, httpx.Request]] = []
    responses = [httpx.Response(429, headers={"retry-after": "3600"}), httpx.Response(200)]
    client = make_client(scripted(responses, seen))
    with pytest.raises(trio_openai.RateLimitError):
        await client.get("/thing")
    assert len(seen) == 1


async def test_configurable_cap(autojump_clock: trio.testing.MockClock) -> None:
    seen: list[tuple[float, httpx.Request]] = []
    responses = [httpx.Response(429, headers={"retry-after": "90"}), httpx.Response(200, json=1)]
    client = make_client(scripted(responses, seen), max_retry_after=120.0)
    assert await client.get("/thing") == 1
    assert seen[1][0] - seen[0][0] == 90.0


async def test_max_retries_per_call_and_exhaustion(autojump_clock: trio.testing.MockClock) -> None:
    seen: list[tuple[float, httpx.Request]] = []
    client = make_client(scripted([httpx.Response(500)] * 10, seen))
    with pytest.raises(trio_openai.InternalServerError):
        await client.get("/thing", max_retries=4)
    assert len(seen) == 5
    seen.clear()
    with pytest.raises(trio_openai.InternalServerError):
        await client.get("/thing", max_retries=0)
    assert len(seen) == 1


async def test_per_attempt_timeout_is_a_cancel_scope(
    autojump_clock: trio.testing.MockClock,
) -> None:
    attempts: list[float] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        attempts.append(trio.current_time())
        await trio.sleep(100)
        return httpx.Response(200)

    client = trio_openai.OpenAI(
        api_key="sk-test",
        base_url="http://mock.test/v1",
        random_source=lambda: 0.0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(slow)),
    )
    start = trio.current_time()
    with pytest.raises(trio_openai.APITimeoutError):
        await client.get("/slow", timeout=3.0, max_retries=2)
    # three attempts of 3 s with 0.5 s and 1 s of backoff between them
    assert [t - start for t in attempts] == [0.0, 3.5, 7.5]
    assert trio.current_time() - start == 10.5


async def test_caller_deadline_is_total_and_not_converted(
    autojump_clock: trio.testing.MockClock,
) -> None:
    seen: list[tuple[float, httpx.Request]] = []
    client = make_client(scripted([httpx.Response(500)] * 10, seen))
    start = trio.current_time()
    with trio.move_on_after(1.0) as scope:
        await client.get("/thing", max_retries=10)
    assert scope.cancelled_caught  # trio.Cancelled reached our scope untouched
    assert trio.current_time() - start == 1.0
    assert len(seen) == 2  # attempt at 0, at 0.4375; the next would be at 1.3125


async def test_cancelled_is_never_retried(autojump_clock: trio.testing.MockClock) -> None:
    calls = 0

    async def hang(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await trio.sleep_forever()
        raise AssertionError

    client = trio_openai.OpenAI(
        api_key="sk-test",
        base_url="http://mock.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(hang)),
    )
    with trio.move_on_after(5):
        await client.get("/x", timeout=None)
    assert calls == 1


async def test_connection_errors_are_retried(autojump_clock: trio.testing.MockClock) -> None:
    calls = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    client = trio_openai.OpenAI(
        api_key="sk-test",
        base_url="http://mock.test/v1",
        random_source=lambda: 0.0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(refuse)),
    )
    with pytest.raises(trio_openai.APIConnectionError) as info:
        await client.get("/x")
    assert not isinstance(info.value, trio_openai.APITimeoutError)
    assert calls == 3
