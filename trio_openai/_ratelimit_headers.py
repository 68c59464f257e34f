"""Reading OpenAI's rate-limit headers. Pure module.

x-ratelimit-limit-requests / -tokens      the window's budget
x-ratelimit-remaining-requests / -tokens  what is left of it
x-ratelimit-reset-requests / -tokens      when it refills, as a duration: "1s", "6m0s",
                                          "20ms", "1h2m3.5s" (or plain seconds)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

import attrs

__all__ = ["LimitSnapshot", "estimate_tokens", "parse_duration", "read_limits"]

_UNIT: Final = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_PART: Final = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration ("6m0s", "20ms") or a plain number; None if unreadable."""
    text = text.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    total = 0.0
    position = 0
    for match in _PART.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNIT[match.group(2)]
        position = match.end()
    if position != len(text) or position == 0:
        return None
    return total


@attrs.frozen
class LimitSnapshot:
    """One dimension (requests or tokens) as a response reported it."""

    limit: int | None
    remaining: int | None
    reset_after: float | None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def read_limits(headers: Mapping[str, str], kind: str) -> LimitSnapshot:
    """The ``kind`` ("requests" or "tokens") limits from a response's headers."""
    reset = headers.get(f"x-ratelimit-reset-{kind}")
    return LimitSnapshot(
        limit=_int(headers.get(f"x-ratelimit-limit-{kind}")),
        remaining=_int(headers.get(f"x-ratelimit-remaining-{kind}")),
        reset_after=None if reset is None else parse_duration(reset),
    )


_OUTPUT_KEYS: Final = ("max_output_tokens", "max_completion_tokens", "max_tokens")


def estimate_tokens(body: object, body_size: int) -> int:
    """A request's token cost before sending: ~4 bytes a token of input, plus the output
    budget it asks for (OpenAI counts max output tokens against the limit up front)."""
    cost = max(body_size // 4, 1)
    if isinstance(body, Mapping):
        for key in _OUTPUT_KEYS:
            value = body.get(key)
            if isinstance(value, int) and value > 0:
                cost += value
                break
        n = body.get("n")
        if isinstance(n, int) and n > 1:
            cost *= n
    return cost
