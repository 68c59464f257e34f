"""The reader-to-consumer hand-over of WebSocket sessions (trio_openai/_wsqueue.py)."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from trio_openai._wsqueue import EventQueue


async def test_queued_events_are_taken_without_a_checkpoint_in_order() -> None:
    queue = EventQueue(10)
    queue.put_many(range(5))
    got: list[object] = []
    with trio.CancelScope() as scope:
        scope.cancel()  # a checkpoint would raise Cancelled
        got = [await queue.get() for _ in range(5)]
    assert not scope.cancelled_caught
    assert got == [0, 1, 2, 3, 4]


async def test_one_wake_up_per_batch_and_end_after_draining() -> None:
    queue = EventQueue(100)
    got: list[object] = []

    async def consumer() -> None:
        while True:
            try:
                got.append(await queue.get())
            except trio.EndOfChannel:
                return

    async with trio.open_nursery() as nursery:
        nursery.start_soon(consumer)
        await trio.testing.wait_all_tasks_blocked()
        queue.put_many(range(50))
        queue.put_many(range(50, 60))  # before the consumer runs: still one wake-up
        queue.end()
    assert got == list(range(60))


async def test_a_slow_consumer_makes_the_producer_wait() -> None:
    queue = EventQueue(4)
    assert queue.room() == 4
    queue.put_many("abcd")
    assert queue.room() == 0
    resumed = False

    async def producer() -> None:
        nonlocal resumed
        await queue.wait_room()
        resumed = True

    async with trio.open_nursery() as nursery:
        nursery.start_soon(producer)
        await trio.testing.wait_all_tasks_blocked()
        assert await queue.get() == "a"
        await trio.testing.wait_all_tasks_blocked()
        assert not resumed  # 3 left: above half
        assert await queue.get() == "b"
        await trio.testing.wait_all_tasks_blocked()
        assert resumed  # 2 left: room for 2 more
    assert queue.room() == 2


async def test_a_consumer_that_left_drops_events_and_frees_the_producer() -> None:
    queue = EventQueue(1)
    queue.put_many(["x"])

    async def producer() -> None:
        assert not await queue.put("y")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(producer)
        await trio.testing.wait_all_tasks_blocked()
        queue.close_consumer()
    assert queue.buffered == 0
    with pytest.raises(trio.ClosedResourceError):
        await queue.get()


async def test_cancelling_a_waiting_get_loses_nothing() -> None:
    queue = EventQueue(0)  # at least one event fits
    with trio.move_on_after(0.01):
        await queue.get()
    await queue.put("kept")
    assert await queue.get() == "kept"
