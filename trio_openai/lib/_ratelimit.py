"""A client-side rate limiter that models how the server refills its budget.

    limiter = RateLimiter(requests_per_minute=500, tokens_per_minute=200_000)
    async with trio_openai.OpenAI(rate_limiter=limiter) as client: ...

Before each attempt the client calls ``acquire(tokens)``: it returns at once while the
budget has room and waits otherwise. After each attempt it calls ``observe``, and the
response's ``x-ratelimit-*`` headers move the model (the server's view also counts other
clients of the same key, a budget cut, and how the server counts tokens).

Why a model and not "remaining until reset": a header describes the budget at the moment
the server *received* the request, which is about when it was *sent*, not when its reply
came back. With 0.2-1 s replies, anchoring the refill on the reply's arrival pushed every
refill late and used 63-84 % of the budget; between refills nothing was ever given back,
which made an under-budget run 22 % slower. Here each header is pinned to the send time
and the sequence number of its request. The budget now is that header's ``remaining``,
plus what has refilled since it was sent, minus the cost of the requests sent after it.

How it refills (`Refill`):

- ``"continuous"`` (OpenAI): the budget refills at ``limit / period`` per second, and
  ``x-ratelimit-reset-*`` is the time until it is full again, so
  ``reset == (limit - remaining) * period / limit``.
- ``"window"`` (some compatible servers): the whole budget comes back when a fixed window
  ends; ``reset`` is the time to that end, whatever ``remaining`` is.
- ``"auto"`` (the default): each header votes for the model it agrees with. Until there
  is evidence the window model is used, the one that never sends early.

Before any header, a configured budget is kept with a sliding log of this client's own
sends (never more than ``limit`` in any ``period``): safe under both models. A 429 pauses
every task of the client until its ``retry-after`` (or the model's refill).
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Literal, final

import attrs
import trio

from .._ratelimit_headers import read_limits
from .._retry import parse_retry_after
from ._ratelimit_model import Budget, Refill

__all__ = ["RateLimiter", "RateLimiterStatistics", "Refill"]


@final
@attrs.frozen
class RateLimiterStatistics:
    """A snapshot: the budgets as the model sees them now, and what the limiter did."""

    requests_limit: float | None
    requests_remaining: float
    tokens_limit: float | None
    tokens_remaining: float
    refill: Literal["continuous", "window"]
    token_correction: float
    paused_for: float
    waiting: int
    rate_limited: int
    acquired: int
    delayed: int


@attrs.frozen
class _Ticket:
    seq: int
    sent_at: float


@final
class RateLimiter:
    """Holds submissions before the account's limits are hit; see the module doc.

    ``period`` is the budget's period in seconds (60 for OpenAI's per-minute limits; a test
    server may use a shorter one). ``refill`` forces the refill model instead of detecting
    it from the headers. Share one limiter between clients that share a key.
    """

    def __init__(
        self,
        *,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        period: float = 60.0,
        refill: Refill = "auto",
        clock: Callable[[], float] = trio.current_time,
    ) -> None:
        if period <= 0:
            raise ValueError("RateLimiter(period=...) must be > 0 seconds")
        for name, value in (
            ("requests_per_minute", requests_per_minute),
            ("tokens_per_minute", tokens_per_minute),
        ):
            if value is not None and not value > 0:
                raise ValueError(f"RateLimiter({name}=...) must be > 0, or None to learn it")
        self._clock = clock
        self._requests = Budget(requests_per_minute, period, refill, corrects=False)
        self._tokens = Budget(tokens_per_minute, period, refill, corrects=True)
        self._paused_until = -math.inf
        self._changed: trio.Event | None = None
        self._lock: trio.Lock | None = None
        self._tickets: weakref.WeakKeyDictionary[trio.lowlevel.Task, _Ticket] = (
            weakref.WeakKeyDictionary()
        )
        self._seq = 0
        self._waiting = 0
        self._rate_limited = 0
        self._acquired = 0
        self._delayed = 0  # acquisitions that had to wait

    def _delay(self, tokens: float, now: float) -> float:
        return max(
            self._paused_until - now,
            self._requests.delay(1, now),
            self._tokens.delay(tokens, now),
        )

    def _reserve(self, tokens: float, now: float) -> None:
        self._seq += 1
        self._requests.spend(self._seq, now, 1)
        self._tokens.spend(self._seq, now, tokens)
        self._tickets[trio.lowlevel.current_task()] = _Ticket(self._seq, now)
        self._acquired += 1

    async def acquire(self, tokens: int) -> None:
        """Wait until one request of ``tokens`` estimated tokens fits, then count it as sent.

        Returns without waiting while the budget has room. Cancellation while waiting
        leaves the budget untouched.
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        if not self._waiting and self._delay(tokens, self._clock()) <= 0:
            self._reserve(tokens, self._clock())  # the common case under the budget: no wait
            await trio.lowlevel.cancel_shielded_checkpoint()
            return
        if self._lock is None:
            self._lock = trio.Lock()  # created lazily: needs a running trio
        self._waiting += 1
        try:
            async with self._lock:  # FIFO: submissions go out in the order they came
                waited = False
                while (delay := self._delay(tokens, self._clock())) > 0:
                    waited = True
                    # Sleep until the model says it fits, or until a header changes it.
                    self._changed = changed = trio.Event()
                    with trio.move_on_after(delay):
                        await changed.wait()
                self._delayed += waited
                self._reserve(tokens, self._clock())
        finally:
            self._waiting -= 1

    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        """Learn from the response to the calling task's last ``acquire``: move the model to
        its headers, and pause every task on a 429."""
        now = self._clock()
        ticket = self._tickets.pop(trio.lowlevel.current_task(), None)
        seq, sent_at = (ticket.seq, ticket.sent_at) if ticket is not None else (self._seq, now)
        moved = False
        for budget, kind in ((self._requests, "requests"), (self._tokens, "tokens")):
            snap = read_limits(headers, kind)
            budget.observe(
                seq,
                sent_at,
                limit=snap.limit,
                remaining=snap.remaining,
                reset=snap.reset_after,
                accepted=status_code != 429,
            )
            moved |= snap.remaining is not None
        if status_code == 429:
            self._rate_limited += 1
            hint = parse_retry_after(headers, now=time.time())
            if hint is None or hint <= 0:
                hint = max(self._requests.delay(1, now), self._tokens.delay(1, now), 0.0) or 1.0
            # The hint counts from when the server refused the request, about when it was
            # sent: counted from the reply, a slow reply would pause past the refill.
            self._paused_until = max(self._paused_until, sent_at + hint)
            moved = True
        if moved and self._changed is not None:
            self._changed.set()

    def _model(self) -> Budget:
        """The dimension the headers describe best (the refill model is the server's)."""
        if self._requests.base_seq < 0 and self._tokens.base_seq >= 0:
            return self._tokens
        return self._requests

    def statistics(self) -> RateLimiterStatistics:
        now = self._clock()
        return RateLimiterStatistics(
            requests_limit=self._requests.limit,
            requests_remaining=self._requests.available(now),
            tokens_limit=self._tokens.limit,
            tokens_remaining=self._tokens.available(now),
            refill="continuous" if self._model().continuous() else "window",
            token_correction=self._tokens.factor,
            paused_for=max(self._paused_until - now, 0.0),
            waiting=self._waiting,
            rate_limited=self._rate_limited,
            acquired=self._acquired,
            delayed=self._delayed,
        )
