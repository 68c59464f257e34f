"""Bounded concurrent map: run an async function over many inputs, at most N in flight.

    async with map_concurrent(fetch, prompts, limit=50) as outcomes:
        async for outcome in outcomes:          # one Outcome per input
            if outcome.error is None: use(outcome.value)

The nursery lives inside the ``async with`` block (an async generator must never yield
inside one), so leaving the block — normally, by ``break``, by an error or by
cancellation — cancels the work still in flight and nothing else. Inputs are pulled from
the iterable only when a slot is free (backpressure on a lazy or endless iterable). Each
input produces exactly one outcome: its value or the exception it raised (an ``Exception``;
``trio.Cancelled`` and other ``BaseException`` propagate). With ``ordered=True`` outcomes
come in input order; a slot is then held until its outcome is delivered, so memory stays
bounded by ``limit`` even when an early input is slow.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, final

import attrs
import trio

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

__all__ = ["Outcome", "map_concurrent", "run_all"]

In = TypeVar("In")
Out = TypeVar("Out")


@final
@attrs.frozen
class Outcome(Generic[In, Out]):
    """What one input produced: ``value``, or ``error`` when the call raised."""

    index: int
    input: In
    value: Out | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> Out:
        """The value, or raise the input's exception."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


@final
class Outcomes(Generic[In, Out]):
    """The async iterator of outcomes inside a `map_concurrent` block."""

    def __init__(
        self, receive: trio.MemoryReceiveChannel[tuple[Outcome[In, Out], Any]], ordered: bool
    ) -> None:
        self._receive = receive
        self._ordered = ordered
        self._pending: dict[int, tuple[Outcome[In, Out], Any]] = {}
        self._next_index = 0
        self.delivered = 0

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Outcome[In, Out]:
        if not self._ordered:
            try:
                outcome, _ = await self._receive.receive()
            except trio.EndOfChannel:
                raise StopAsyncIteration from None
            self.delivered += 1
            return outcome
        while self._next_index not in self._pending:
            try:
                outcome, slot = await self._receive.receive()
            except trio.EndOfChannel:
                raise StopAsyncIteration from None
            self._pending[outcome.index] = (outcome, slot)
        outcome, slot = self._pending.pop(self._next_index)
        self._next_index += 1
        slot.release()  # ordered mode holds the slot until delivery
        self.delivered += 1
        return outcome


@asynccontextmanager
async def map_concurrent(
    fn: Callable[[In], Awaitable[Out]],
    inputs: Iterable[In] | AsyncIterable[In],
    *,
    limit: int,
    ordered: bool = False,
) -> AsyncGenerator[Outcomes[In, Out], None]:
    """Run ``fn`` over ``inputs`` with at most ``limit`` calls in flight; see the module doc."""
    if limit < 1:
        raise ValueError("limit must be >= 1")
    send, receive = trio.open_memory_channel[tuple[Outcome[In, Out], Any]](math.inf)
    slots = trio.Semaphore(limit)

    async def run_one(index: int, item: In, out: trio.MemorySendChannel[Any]) -> None:
        with out:  # each worker holds a clone: the channel ends after the last one
            try:
                value = await fn(item)
            except Exception as exc:  # the input's outcome, not the block's failure
                outcome: Outcome[In, Out] = Outcome(index, item, error=exc)
            else:
                outcome = Outcome(index, item, value=value)
            finally:
                if not ordered:
                    slots.release()
            out.send_nowait((outcome, slots))

    async def next_input() -> tuple[In] | None:
        # The input in a 1-tuple (an input may itself be None); None at the end.
        if sync_source is not None:
            for item in sync_source:
                return (item,)
            return None
        try:
            return (await async_source.__anext__(),)  # type: ignore[union-attr]
        except StopAsyncIteration:
            return None

    sync_source = iter(inputs) if not isinstance(inputs, AsyncIterable) else None
    async_source = aiter(inputs) if isinstance(inputs, AsyncIterable) else None

    async def feed(nursery: trio.Nursery) -> None:
        # A plain `with`: closing must not be a checkpoint, or a cancellation arriving
        # there would replace an error of the input iterator on its way out.
        with send:
            index = 0
            while True:
                await slots.acquire()  # backpressure: pull the next input only now
                got = await next_input()
                if got is None:
                    slots.release()
                    return
                nursery.start_soon(run_one, index, got[0], send.clone())
                index += 1

    try:
        async with receive, trio.open_nursery() as nursery:
            nursery.start_soon(feed, nursery)
            try:
                yield Outcomes(receive, ordered)
            finally:
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # One failure (the block's own, or the input iterator's) surfaces as itself.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from group.exceptions[0].__cause__
        raise


async def run_all(
    fn: Callable[[In], Awaitable[Out]],
    inputs: Iterable[In] | AsyncIterable[In],
    *,
    limit: int,
) -> list[Outcome[In, Out]]:
    """Every outcome, in input order (a bounded ``gather`` that loses nothing)."""
    async with map_concurrent(fn, inputs, limit=limit, ordered=True) as outcomes:
        return [outcome async for outcome in outcomes]
