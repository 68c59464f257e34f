"""A rate-limit budget for the local server: x-ratelimit headers and 429s like OpenAI's.

Each request is charged when it arrives (before its reply is made, as the API does): one
request and its tokens counted as the API counts them (prompt characters / 4 plus the
output budget it asks for; ``token_counter`` replaces the count). Two ways to refill, on
trio's clock (so the autojump clock drives them in tests):

- ``refill="continuous"`` (OpenAI): a bucket of ``limit`` refilling at ``limit / window``
  per second; ``x-ratelimit-reset-*`` is the time until it is full again.
- ``refill="window"`` (some compatible servers): fixed windows of ``window`` seconds, back
  to back from the first request; the whole budget returns when a window ends.

A request that does not fit gets a 429 with ``retry-after-ms``. ``cut()`` lowers (or
raises) the limits mid-run. For benchmarks the budget keeps what it offered: ``timeline``
holds, after every accepted request, the cumulative amounts accepted and left unused
(refill lost at a full bucket, or what a window ended with), and ``rejected_at`` the times
of the 429s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, final

import attrs
import orjson
import trio

from .._ratelimit_headers import estimate_tokens
from ._reply import RecordedRequest

__all__ = ["RateLimitBudget", "UsePoint"]


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{max(math.ceil(seconds * 1000), 1)}ms"
    return f"{math.ceil(seconds * 1000) / 1000:.3f}s"


def _openai_count(request: RecordedRequest) -> int:
    try:
        body: object = orjson.loads(request.body) if request.body else None
    except orjson.JSONDecodeError:
        body = None
    return estimate_tokens(body, len(request.body))


@final
@attrs.frozen
class UsePoint:
    """After one accepted request: cumulative amounts accepted and left unused so far."""

    time: float
    requests_used: float
    requests_unused: float
    tokens_used: float
    tokens_unused: float


class _Dimension:
    def __init__(self, limit: int | None, window: float, continuous: bool) -> None:
        self.limit = limit
        self.window = window
        self.continuous = continuous
        self.level = float(limit or 0)  # continuous: what the bucket holds
        self.used = 0.0  # window: spent in the current window
        self.accepted = 0.0
        self.wasted = 0.0

    def advance(self, elapsed: float, windows_ended: int) -> None:
        if self.limit is None:
            return
        if self.continuous:
            self.level += elapsed * self.limit / self.window
            if self.level > self.limit:
                self.wasted += self.level - self.limit
                self.level = float(self.limit)
        elif windows_ended:
            self.wasted += max(self.limit - self.used, 0) + (windows_ended - 1) * self.limit
            self.used = 0.0

    def fits(self, cost: float) -> bool:
        if self.limit is None:
            return True
        if self.continuous:
            return self.level >= min(cost, self.limit)
        return self.used + cost <= self.limit or (self.used == 0 and cost > self.limit)

    def take(self, cost: float) -> None:
        self.accepted += cost
        if self.continuous:
            self.level -= cost
        else:
            self.used += cost

    def remaining(self) -> float:
        assert self.limit is not None
        return max(self.level if self.continuous else self.limit - self.used, 0.0)

    def wait(self, cost: float, window_left: float) -> float:
        """Seconds until ``cost`` fits."""
        if self.limit is None or self.fits(cost):
            return 0.0
        if self.continuous:
            return (min(cost, self.limit) - self.level) * self.window / self.limit
        return window_left

    def reset(self, window_left: float) -> float:
        assert self.limit is not None
        if self.continuous:
            return max(self.limit - self.level, 0.0) * self.window / self.limit
        return window_left

    def unused(self) -> float:
        return self.wasted + (max(self.level, 0.0) if self.continuous else 0.0)

    def cut(self, limit: int) -> None:
        self.limit = limit
        if self.continuous:
            self.level = min(self.level, float(limit))


@final
class RateLimitBudget:
    """Requests and tokens per ``window`` seconds; ``rejected`` and ``accepted`` count
    the outcomes."""

    def __init__(
        self,
        *,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        window: float = 60.0,
        refill: Literal["window", "continuous"] = "window",
        token_counter: Callable[[RecordedRequest], int] = _openai_count,
    ) -> None:
        if window <= 0:
            raise ValueError("RateLimitBudget(window=...) must be > 0 seconds")
        continuous = refill == "continuous"
        self.window = window
        self.refill = refill
        self.token_counter = token_counter
        self.accepted = 0
        self.rejected = 0
        self.rejected_at: list[float] = []
        self.timeline: list[UsePoint] = []
        self._requests = _Dimension(requests_per_minute, window, continuous)
        self._tokens = _Dimension(tokens_per_minute, window, continuous)
        self._origin: float | None = None  # the first request: windows start there
        self._last = 0.0

    @property
    def requests_limit(self) -> int | None:
        return self._requests.limit

    @property
    def tokens_limit(self) -> int | None:
        return self._tokens.limit

    def cut(
        self, *, requests_per_minute: int | None = None, tokens_per_minute: int | None = None
    ) -> None:
        """Change the limits now (what was already spent stays spent)."""
        self._advance(trio.current_time())
        if requests_per_minute is not None:
            self._requests.cut(requests_per_minute)
        if tokens_per_minute is not None:
            self._tokens.cut(tokens_per_minute)

    def _advance(self, now: float) -> float:
        """Refill up to ``now``; the seconds left in the current window."""
        if self._origin is None:
            self._origin = self._last = now
        ended = math.floor((now - self._origin) / self.window) - math.floor(
            (self._last - self._origin) / self.window
        )
        for dimension in (self._requests, self._tokens):
            dimension.advance(now - self._last, ended)
        self._last = now
        return self.window - (now - self._origin) % self.window

    def charge(self, request: RecordedRequest) -> tuple[bool, dict[str, str]]:
        """Charge one request: (accepted, headers to add to the response)."""
        now = trio.current_time()
        window_left = self._advance(now)
        tokens = self.token_counter(request)
        fits = self._requests.fits(1) and self._tokens.fits(tokens)
        if fits:
            self._requests.take(1)
            self._tokens.take(tokens)
            self.accepted += 1
            self.timeline.append(
                UsePoint(
                    now,
                    self._requests.accepted,
                    self._requests.unused(),
                    self._tokens.accepted,
                    self._tokens.unused(),
                )
            )
        else:
            self.rejected += 1
            self.rejected_at.append(now)
        headers: dict[str, str] = {}
        for dimension, kind in ((self._requests, "requests"), (self._tokens, "tokens")):
            if dimension.limit is not None:
                headers[f"x-ratelimit-limit-{kind}"] = str(dimension.limit)
                headers[f"x-ratelimit-remaining-{kind}"] = str(math.floor(dimension.remaining()))
                headers[f"x-ratelimit-reset-{kind}"] = _duration(dimension.reset(window_left))
        if not fits:
            wait = max(self._requests.wait(1, window_left), self._tokens.wait(tokens, window_left))
            headers["retry-after-ms"] = str(max(math.ceil(wait * 1000), 1))
        return fits, headers
