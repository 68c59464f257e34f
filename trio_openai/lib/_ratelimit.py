"""A client-side rate limiter fed by the server's x-ratelimit headers.

    limiter = RateLimiter(requests_per_minute=500, tokens_per_minute=200_000)
    async with trio_openai.OpenAI(rate_limiter=limiter) as client: ...

Before each attempt the client calls ``acquire(tokens)``: it waits while this window's
budget (requests and estimated tokens) is spent, until the window refills. Each response
updates the budget from its headers (the server's view also counts other clients of the
same key). A 429 pauses every task of the client together until the server's retry hint
or the window's reset, instead of each one retrying on its own (no thundering herd).
Configured budgets are optional: without them the limiter learns them from the headers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Final, final

import attrs
import trio

from .._ratelimit_headers import read_limits
from .._retry import parse_retry_after

__all__ = ["RateLimiter", "RateLimiterStatistics"]

_WINDOW: Final = 60.0


@attrs.define
class _Bucket:
    limit: float | None
    remaining: float
    reset_at: float

    def refill(self, now: float) -> None:
        if self.limit is not None and now >= self.reset_at:
            self.remaining = self.limit
            self.reset_at = now + _WINDOW

    def wait_for(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` fits (0 when it fits now)."""
        self.refill(now)
        if self.limit is None or amount <= self.remaining:
            return 0.0
        if amount > self.limit and self.remaining >= self.limit:
            return 0.0  # bigger than a whole window: let it through on a full window
        return max(self.reset_at - now, 0.001)


@final
@attrs.frozen
class RateLimiterStatistics:
    requests_limit: float | None
    requests_remaining: float
    tokens_limit: float | None
    tokens_remaining: float
    paused_for: float
    waiting: int
    rate_limited: int
    acquired: int


@final
class RateLimiter:
    """Holds submissions before the account's limits are hit; see the module doc."""

    def __init__(
        self,
        *,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        clock: Callable[[], float] = trio.current_time,
    ) -> None:
        self._clock = clock
        self._requests = _Bucket(requests_per_minute, requests_per_minute or math.inf, -math.inf)
        self._tokens = _Bucket(tokens_per_minute, tokens_per_minute or math.inf, -math.inf)
        self._paused_until = -math.inf
        self._changed: trio.Event | None = None
        self._lock: trio.Lock | None = None
        self._waiting = 0
        self._rate_limited = 0
        self._acquired = 0

    async def acquire(self, tokens: int) -> None:
        """Wait until one request of ``tokens`` estimated tokens fits, then reserve it."""
        if self._lock is None:
            self._lock = trio.Lock()  # created lazily: needs a running trio
        self._waiting += 1
        try:
            async with self._lock:  # FIFO: submissions go out in the order they came
                while True:
                    now = self._clock()
                    delay = max(
                        self._paused_until - now,
                        self._requests.wait_for(1, now),
                        self._tokens.wait_for(tokens, now),
                    )
                    if delay <= 0:
                        break
                    # Sleep until the computed time, or until a response changes the picture.
                    self._changed = changed = trio.Event()
                    with trio.move_on_after(delay):
                        await changed.wait()
                self._requests.remaining -= 1
                self._tokens.remaining -= tokens
                self._acquired += 1
        finally:
            self._waiting -= 1

    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        """Learn from a response: the server's budgets, and a pause on 429."""
        now = self._clock()
        for bucket, kind in ((self._requests, "requests"), (self._tokens, "tokens")):
            snap = read_limits(headers, kind)
            if snap.limit is not None:
                bucket.limit = float(snap.limit)
            if snap.remaining is not None:
                bucket.remaining = min(bucket.remaining, float(snap.remaining))
                if bucket.limit is None:
                    bucket.limit = float(snap.remaining)
            if snap.reset_after is not None:
                bucket.reset_at = now + snap.reset_after
        if self._changed is not None:
            self._changed.set()
        if status_code == 429:
            self._rate_limited += 1
            hint = parse_retry_after(headers, now=time.time())
            if hint is None or hint <= 0:
                resets = [b.reset_at for b in (self._requests, self._tokens) if b.remaining <= 0]
                hint = (min(resets) - now) if resets else 1.0
            self._paused_until = max(self._paused_until, now + max(hint, 0.0))

    def statistics(self) -> RateLimiterStatistics:
        now = self._clock()
        return RateLimiterStatistics(
            requests_limit=self._requests.limit,
            requests_remaining=self._requests.remaining,
            tokens_limit=self._tokens.limit,
            tokens_remaining=self._tokens.remaining,
            paused_for=max(self._paused_until - now, 0.0),
            waiting=self._waiting,
            rate_limited=self._rate_limited,
            acquired=self._acquired,
        )
