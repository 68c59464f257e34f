"""Bounded concurrent map: limits, ordering, backpressure, errors, cancellation."""

from __future__ import annotations

import itertools

import pytest
import trio
import trio.lowlevel
import trio.testing

import trio_openai
from trio_openai.lib import Outcome, map_concurrent, run_all
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
