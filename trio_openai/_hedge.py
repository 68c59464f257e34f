"""Hedged attempts: a second try of a slow call races the first; the first success wins.

Tail latency in a fan-out comes from a few replies that are far slower than the rest (a
busy replica, a lost packet, a cold connection). Waiting ``hedge_after`` seconds and then
sending the same request again, in the same nursery, bounds that tail at roughly
``hedge_after`` plus a typical reply, for the price of a few extra requests. The loser is
cancelled, which makes the transport close its connection (never returned to the pool
half-read), and a result that finished in the same instant as the winner's is released.

Only replayable calls are hedged (the caller checks): a body that cannot be sent twice is
never duplicated, and a stream is hedged only while it waits for its response headers,
never after its first event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final, TypeVar, cast, final

import trio

from ._errors import APIConnectionError, APIStatusError

__all__ = ["HedgeCounters", "run_hedged"]

T = TypeVar("T")
_ATTEMPT_ERRORS: Final = (APIStatusError, APIConnectionError)


@final
class HedgeCounters:
    """How many hedges were sent and how many of them won (shared by a client's copies)."""

    __slots__ = ("started", "won")

    def __init__(self) -> None:
        self.started = 0
        self.won = 0

    def as_dict(self) -> dict[str, int]:
        return {"hedges_started": self.started, "hedges_won": self.won}


def _unwrap(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The one failure of a nursery, so callers never see an ExceptionGroup."""
    first: BaseException = group.exceptions[0]
    while isinstance(first, BaseExceptionGroup):
        nested = cast("BaseExceptionGroup[BaseException]", first)
        first = nested.exceptions[0]
    return first


async def run_hedged(
    attempt: Callable[[], Awaitable[T]],
    *,
    hedge_after: float,
    counters: HedgeCounters,
    release: Callable[[T], Awaitable[None]],
) -> T:
    """Run ``attempt()``; if it has not finished after ``hedge_after`` s, race a second one.

    Returns the first success. When both fail, raises the first attempt's error (the one
    the retry loop would have seen without hedging). A failure of the first attempt before
    ``hedge_after`` is raised at once: a fast error is not something a hedge fixes.
    Cancellation of the caller cancels both attempts and propagates as one `trio.Cancelled`.
    """
    results: list[T] = []
    errors: list[tuple[int, Exception]] = []
    finished = trio.Event()
    running = 0

    async def one(index: int) -> None:
        nonlocal running
        try:
            result = await attempt()
        except _ATTEMPT_ERRORS as exc:
            errors.append((index, exc))
            running -= 1
            if running == 0:
                finished.set()
            return
        if results:  # both completed in the same instant: give this one back
            with trio.CancelScope(shield=True):
                await release(result)
            return
        results.append(result)
        if index == 1:
            counters.won += 1
        finished.set()

    try:
        async with trio.open_nursery() as nursery:
            running = 1
            nursery.start_soon(one, 0)
            with trio.move_on_after(hedge_after):
                await finished.wait()
            if not finished.is_set():
                counters.started += 1
                running += 1
                nursery.start_soon(one, 1)
                await finished.wait()
            nursery.cancel_scope.cancel()  # the loser, if still running
    except BaseExceptionGroup as group:
        raise _unwrap(group) from None
    if results:
        return results[0]
    errors.sort(key=lambda pair: pair[0])
    raise errors[0][1]
