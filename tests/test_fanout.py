"""Bounded concurrent map: limits, ordering, backpressure, errors, cancellation."""

from __future__ import annotations

import itertools

import pytest
import trio
import trio.lowlevel
import trio.testing

import trio_openai
from trio_openai.lib import (
    Outcome,
    SpendLimit,
    SpendLimitExceeded,
    TokenPrice,
    TokenUsage,
    map_concurrent,
    run_all,
)
from trio_openai.lib._spend import usage_of
from trio_openai.testing import LocalServer, RecordedRequest, Reply


async def test_every_input_once_with_limit_respected() -> None:
    in_flight = peak = 0

    async def work(x: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await trio.sleep(0.001 * (x % 7))
        in_flight -= 1
        return x * 2

    async with map_concurrent(work, range(200), limit=10) as outcomes:
        got = [o async for o in outcomes]
    assert sorted(o.index for o in got) == list(range(200))
    assert all(o.value == o.input * 2 for o in got)
    assert peak == 10


async def test_ordered_mode_yields_in_input_order(autojump_clock: trio.testing.MockClock) -> None:
    async def work(x: int) -> int:
        await trio.sleep(10 - x)
        return x

    outcomes = await run_all(work, range(10), limit=10)
    assert [o.value for o in outcomes] == list(range(10))


async def test_errors_are_outcomes_and_nothing_is_lost() -> None:
    async def work(x: int) -> int:
        await trio.lowlevel.checkpoint()
        if x % 3 == 0:
            raise ValueError(f"bad {x}")
        return x

    outcomes = await run_all(work, range(30), limit=4)
    assert [o.index for o in outcomes] == list(range(30))
    failed = [o for o in outcomes if not o.ok]
    assert [o.input for o in failed] == list(range(0, 30, 3))
    assert all(isinstance(o.error, ValueError) for o in failed)
    with pytest.raises(ValueError, match="bad 0"):
        outcomes[0].unwrap()
    assert outcomes[1].unwrap() == 1


async def test_backpressure_on_an_endless_iterator() -> None:
    pulled = 0

    def endless():  # type: ignore[no-untyped-def]
        nonlocal pulled
        for n in itertools.count():
            pulled += 1
            yield n

    async def work(x: int) -> int:
        await trio.sleep(0.001)
        return x

    got: list[Outcome[int, int]] = []
    async with map_concurrent(work, endless(), limit=5) as outcomes:
        async for outcome in outcomes:
            got.append(outcome)
            if len(got) == 20:
                break
    # at most `limit` inputs beyond those delivered were ever pulled
    assert pulled <= 20 + 5 + 1


async def test_async_iterable_inputs() -> None:
    class Numbers:
        def __init__(self) -> None:
            self.n = 0

        def __aiter__(self) -> Numbers:
            return self

        async def __anext__(self) -> int:
            await trio.lowlevel.checkpoint()
            if self.n == 5:
                raise StopAsyncIteration
            self.n += 1
            return self.n

    async def work(x: int) -> int:
        return -x

    assert [o.value for o in await run_all(work, Numbers(), limit=2)] == [-1, -2, -3, -4, -5]


async def test_cancelling_the_consumer_cancels_work_in_flight() -> None:
    started = finished = 0

    async def work(x: int) -> int:
        nonlocal started, finished
        started += 1
        await trio.sleep(10)
        finished += 1
        return x

    with trio.move_on_after(0.05) as scope:
        async with map_concurrent(work, range(100), limit=8) as outcomes:
            async for _ in outcomes:
                pass
    assert scope.cancelled_caught
    assert started == 8 and finished == 0


async def test_ordered_mode_keeps_memory_bounded_behind_a_slow_head() -> None:
    started: list[int] = []

    async def work(x: int) -> int:
        started.append(x)
        await trio.sleep(0.2 if x == 0 else 0)
        return x

    async with map_concurrent(work, range(1000), limit=4, ordered=True) as outcomes:
        first = await outcomes.__anext__()
        assert first.index == 0
        assert len(started) <= 5  # the slow head held its slot: no more than limit ran


async def test_fan_out_over_real_sockets_with_typed_errors(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    def reply(request: RecordedRequest) -> Reply:
        n = int(request.json()["n"])
        if n % 10 == 0:
            return Reply.error(400, message=f"bad {n}")
        return Reply.json({"n": n})

    local_server.script("POST", "/v1/echo", Reply.handler(reply))

    async def call(n: int) -> int:
        result = await client.post("/echo", body={"n": n})
        return int(result["n"])

    outcomes = await run_all(call, range(200), limit=20)
    assert [o.index for o in outcomes] == list(range(200))
    for o in outcomes:
        if o.input % 10 == 0:
            assert isinstance(o.error, trio_openai.BadRequestError)
        else:
            assert o.value == o.input
    assert len(local_server.requests) == 200
    assert client.statistics()["busy"] == 0


async def test_an_error_in_the_block_or_the_inputs_is_not_an_exception_group() -> None:
    async def work(x: int) -> int:
        return x

    with pytest.raises(KeyError):
        async with map_concurrent(work, range(10), limit=2) as outcomes:
            async for _ in outcomes:
                raise KeyError("mine")

    def broken():  # type: ignore[no-untyped-def]
        yield 1
        raise ValueError("inputs broke")

    with pytest.raises(ValueError, match="inputs broke"):
        await run_all(work, broken(), limit=2)


# -- spend limits ---------------------------------------------------------------------------


def test_usage_is_read_by_kind_from_every_result_shape() -> None:
    responses = {
        "model": "gpt-5.2",
        "usage": {
            "input_tokens": 100,
            "input_tokens_details": {"cached_tokens": 40},
            "output_tokens": 30,
            "output_tokens_details": {"reasoning_tokens": 20},
        },
    }
    assert usage_of(responses) == TokenUsage(input=100, output=30, cached=40, reasoning=20)
    chat = {
        "usage": {
            "prompt_tokens": 7,
            "completion_tokens": 5,
            "prompt_tokens_details": {"cached_tokens": 2},
            "completion_tokens_details": {"reasoning_tokens": 1},
        }
    }
    assert usage_of(chat) == TokenUsage(input=7, output=5, cached=2, reasoning=1)
    assert usage_of({"usage": {"prompt_tokens": 9, "total_tokens": 9}}) == TokenUsage(input=9)
    assert usage_of("just text") is None
    # $1.75 / M fresh input, $0.175 / M cached, $14 / M output
    price = TokenPrice(input=1.75, cached_input=0.175, output=14)
    assert price.cost(TokenUsage(input=100, output=30, cached=40)) == pytest.approx(
        (60 * 1.75 + 40 * 0.175 + 30 * 14) / 1e6
    )


def test_a_cost_cap_needs_prices() -> None:
    with pytest.raises(ValueError, match="prices"):
        SpendLimit(max_cost=1.0)


async def test_a_token_cap_stops_the_fan_out_and_keeps_finished_work(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.echo_pace = 0.0
    spend = SpendLimit(max_output_tokens=40)

    async def ask(n: int) -> object:
        await trio.sleep(0.01 * (n % 3))
        # The echo model answers "You said: <input>": 4 output words a call.
        return await client.responses.create(model="echo-1", input=f"number {n}")

    outcomes = await run_all(ask, range(60), limit=4, spend=spend)
    assert [o.index for o in outcomes] == list(range(60))  # one outcome per input
    done = [o for o in outcomes if o.ok]
    stopped = [o for o in outcomes if not o.ok]
    assert spend.reached == "max_output_tokens"
    assert spend.spent.output >= 40
    assert len(done) * 4 == spend.spent.output  # every finished result is kept and counted
    assert 10 <= len(done) < 10 + 4  # at most the calls in flight finish past the cap
    assert all(isinstance(o.error, SpendLimitExceeded) for o in stopped)
    never = [o for o in stopped if isinstance(o.error, SpendLimitExceeded) and not o.error.started]
    assert len(never) >= 60 - 10 - 4 - 4
    assert len(local_server.requests) < 60  # the inputs that did not start were never sent
    assert client.statistics()["busy"] == 0


async def test_a_cost_cap_from_a_price_table_cancels_calls_in_flight() -> None:
    spend = SpendLimit(
        max_cost=0.0149,  # crossed by the third result (0.005 each)
        prices={"gpt-5": TokenPrice(input=1.0, output=10.0), "gpt-5.2": TokenPrice(1.0, 100.0)},
    )
    cancelled: list[int] = []

    async def work(n: int) -> dict[str, object]:
        try:
            await trio.sleep(0.01 if n < 3 else 10)  # the 3 first finish, the rest hang
        except trio.Cancelled:
            cancelled.append(n)
            raise
        return {"model": "gpt-5.2-2025-12-11", "usage": {"input_tokens": 0, "output_tokens": 50}}

    outcomes = await run_all(work, range(10), limit=5, spend=spend)
    assert [o.ok for o in outcomes[:3]] == [True, True, True]
    assert spend.cost == pytest.approx(3 * 50 * 100 / 1e6)  # the longest name that matches
    assert spend.reached == "max_cost"
    started = [o.index for o in outcomes if not o.ok and o.error.started]  # type: ignore[union-attr]
    # In flight when the cap was crossed: cancelled through their scopes, and said so.
    assert sorted(cancelled) == started
    assert {3, 4} <= set(started)
    never = [o.index for o in outcomes if not o.ok and not o.error.started]  # type: ignore[union-attr]
    assert sorted(started + never) == list(range(3, 10))


async def test_run_all_does_not_stall_behind_a_slow_first_input(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async def work(x: int) -> int:
        await trio.sleep(10 if x == 0 else 1)
        return x

    start = trio.current_time()
    outcomes = await run_all(work, range(21), limit=2)
    # 10 of the others run beside the slow one, the last 10 two at a time: 15 s. Holding
    # each slot until its outcome could be delivered in order took 10 + 10 = 20 s.
    assert trio.current_time() - start == 15
    assert [o.value for o in outcomes] == list(range(21))
