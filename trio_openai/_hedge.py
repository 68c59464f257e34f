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

from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar, cast, final

import trio

from ._errors import APIConnectionError, APIStatusError

__all__ = ["AdaptiveHedge", "HedgeCounters", "attempt_with_policy", "run_hedged"]

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


@final
class AdaptiveHedge:
    """A ``hedge_after`` that follows the latencies it observes: hedge an attempt when it
    has taken longer than the ``percentile`` of the last ``window`` successful attempts.

    Fixed delays go stale when a model or a load changes; a percentile keeps the share of
    hedged calls near ``100 - percentile`` %. Until ``warmup`` latencies are known no call is
    hedged; ``minimum`` keeps the delay from collapsing on very fast replies. Latencies of
    different operations mix in one window, so give each kind of call its own instance:
    ``client.with_options(hedge_after=AdaptiveHedge(95))``.
    """

    __slots__ = ("_cached", "_samples", "_since", "minimum", "percentile", "warmup")

    def __init__(
        self,
        percentile: float = 95.0,
        *,
        window: int = 1000,
        warmup: int = 50,
        minimum: float = 0.0,
    ) -> None:
        if not 0.0 < percentile < 100.0:
            raise ValueError("AdaptiveHedge(percentile=...) must be between 0 and 100")
        if window < 1 or warmup < 1:
            raise ValueError("AdaptiveHedge(window=..., warmup=...) must be >= 1")
        self.percentile = percentile
        self.warmup = warmup
        self.minimum = minimum
        self._samples: deque[float] = deque(maxlen=window)
        self._cached: float | None = None
        self._since = 0  # samples added since the percentile was computed

    def observe(self, seconds: float) -> None:
        """Record the latency of a successful attempt."""
        self._samples.append(seconds)
        self._since += 1

    def delay(self) -> float | None:
        """Seconds before hedging now, or None while warming up."""
        count = len(self._samples)
        if count < self.warmup:
            return None
        # Recomputed after every 5 % of the window, not per call: sorting is O(n log n).
        if self._cached is None or self._since * 20 >= count:
            ordered = sorted(self._samples)
            rank = min(count - 1, int(count * self.percentile / 100.0))
            self._cached = max(ordered[rank], self.minimum)
            self._since = 0
        return self._cached

    def __repr__(self) -> str:
        return f"AdaptiveHedge(percentile={self.percentile}, samples={len(self._samples)})"


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


async def attempt_with_policy(
    policy: float | AdaptiveHedge,
    attempt: Callable[[], Awaitable[T]],
    *,
    counters: HedgeCounters,
    release: Callable[[T], Awaitable[None]],
) -> T:
    """One attempt of the retry loop under a client's ``hedge_after``: a fixed delay, or an
    `AdaptiveHedge` (which also learns from this attempt's latency)."""
    if not isinstance(policy, AdaptiveHedge):
        return await run_hedged(attempt, hedge_after=policy, counters=counters, release=release)
    start = trio.current_time()
    delay = policy.delay()
    if delay is None:  # still learning what a normal latency is
        result = await attempt()
    else:
        result = await run_hedged(attempt, hedge_after=delay, counters=counters, release=release)
    policy.observe(trio.current_time() - start)
    return result
