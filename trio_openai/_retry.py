"""Retry policy (pure functions) and the retry loop (trio).

The rules are the official SDKs': retry connection errors and timeouts, 408, 409, 429 and
>= 500; an ``x-should-retry: true|false`` header overrides the status; a ``retry-after-ms``
or ``retry-after`` hint (seconds or an HTTP date) is honoured when 0 < hint <= the cap, and
a longer hint ends retrying with the error instead of waiting; otherwise the delay is
min(0.5 * 2**n, 8) seconds minus up to 25 % jitter. Only httpx-free values cross this module:
headers arrive as a mapping with lower-case lookups, randomness and the clock are injected.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Final, TypeVar

import trio

from ._errors import APIConnectionError, APIError, APIStatusError

__all__ = [
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_DELAY",
    "backoff_delay",
    "parse_retry_after",
    "retry_delay",
    "run_with_retries",
    "should_retry_status",
]

INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
_RETRY_STATUSES: Final = frozenset({408, 409, 429})

T = TypeVar("T")


def should_retry_status(status_code: int, headers: Mapping[str, str]) -> bool:
    """Whether a response with this status and these headers may be retried."""
    override = headers.get("x-should-retry")
    if override == "true":
        return True
    if override == "false":
        return False
    return status_code in _RETRY_STATUSES or status_code >= 500


def parse_retry_after(headers: Mapping[str, str], *, now: float) -> float | None:
    """The server's wait hint in seconds, or None when absent or unreadable.

    ``now`` is the wall-clock time (seconds since the epoch) for HTTP-date hints.
    """
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000.0
        except ValueError:
            pass
        else:
            if math.isfinite(value):
                return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        return email.utils.mktime_tz(parsed) - now
    return value if math.isfinite(value) else None


def backoff_delay(retries_taken: int, rand: float) -> float:
    """Exponential backoff before retry number ``retries_taken + 1``; rand in [0, 1)."""
    base = min(INITIAL_RETRY_DELAY * 2.0 ** min(retries_taken, 1000), MAX_RETRY_DELAY)
    return max(base * (1.0 - 0.25 * rand), 0.0)


def retry_delay(
    retries_taken: int,
    headers: Mapping[str, str] | None,
    *,
    max_retry_after: float,
    rand: float,
    now: float,
) -> float | None:
    """Seconds to wait before the next attempt, or None when the server's hint is too long."""
    if headers is not None:
        hint = parse_retry_after(headers, now=now)
        if hint is not None and hint > 0:
            if hint <= max_retry_after:
                return hint
            return None
    return backoff_delay(retries_taken, rand)


async def run_with_retries(
    attempt: Callable[[int], Awaitable[T]],
    *,
    max_retries: int,
    replayable: bool,
    max_retry_after: float,
    random: Callable[[], float],
    wall_clock: Callable[[], float],
    on_retry: Callable[[int, float, APIError], None] | None = None,
) -> T:
    """Call ``attempt(retries_taken)`` until it returns, retrying what the rules allow.

    ``attempt`` raises APIStatusError or APIConnectionError for a failed attempt; anything
    else (trio.Cancelled above all) propagates untouched and is never retried. The waits are
    plain ``trio.sleep`` calls, so the caller's cancel scope bounds the whole loop.
    """
    retries_taken = 0
    while True:
        try:
            return await attempt(retries_taken)
        except (APIStatusError, APIConnectionError) as exc:
            if not replayable or retries_taken >= max_retries:
                raise
            if isinstance(exc, APIStatusError):
                headers = exc.response.headers
                if not should_retry_status(exc.status_code, headers):
                    raise
                delay = retry_delay(
                    retries_taken,
                    headers,
                    max_retry_after=max_retry_after,
                    rand=random(),
                    now=wall_clock(),
                )
                if delay is None:
                    raise
            else:
                delay = backoff_delay(retries_taken, random())
            if on_retry is not None:
                on_retry(retries_taken, delay, exc)
        # The sleep is outside the except block so the old error is not chained to new ones.
        await trio.sleep(delay)
        retries_taken += 1
