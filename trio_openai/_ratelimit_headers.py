"""Reading OpenAI's rate-limit headers, and counting a request's tokens the way the API
counts them against the budget. Pure module.

x-ratelimit-limit-requests / -tokens      the budget per period (a minute on OpenAI)
x-ratelimit-remaining-requests / -tokens  what is left of it when the request arrived
x-ratelimit-reset-requests / -tokens      time until the budget is fully restored, as a
                                          duration: "1s", "6m0s", "20ms", "1h2m3.5s" (or
                                          plain seconds)

The token cost charged before a request runs is not the tokenizer's count: the API
estimates the prompt from its characters (about 4 a token) and adds the output budget the
request asks for (``max_output_tokens`` / ``max_completion_tokens`` / ``max_tokens``, times
``n``). Counting the JSON around the prompt (the old body-bytes / 4 estimate) overcounted by
the keys, roles and quotes: 48 requests fitted where 50 would.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Final, cast

import attrs

__all__ = ["LimitSnapshot", "estimate_tokens", "parse_duration", "prompt_chars", "read_limits"]

_UNIT: Final = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_PART: Final = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration ("6m0s", "20ms") or a plain number; None if unreadable."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        return max(value, 0.0) if math.isfinite(value) else None
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
        number = float(value)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) else None


def read_limits(headers: Mapping[str, str], kind: str) -> LimitSnapshot:
    """The ``kind`` ("requests" or "tokens") limits from a response's headers."""
    reset = headers.get(f"x-ratelimit-reset-{kind}")
    return LimitSnapshot(
        limit=_int(headers.get(f"x-ratelimit-limit-{kind}")),
        remaining=_int(headers.get(f"x-ratelimit-remaining-{kind}")),
        reset_after=None if reset is None else parse_duration(reset),
    )


# Where prompt text lives: chat `messages`, Responses `input` and `instructions`,
# completions and embeddings `prompt` / `input`. Inside them, strings under these keys are
# text the model reads; ids, roles, types and URLs are not.
_PROMPT_ROOTS: Final = ("messages", "input", "instructions", "prompt")
_TEXT_KEYS: Final = frozenset(("content", "text", "input", "output", "arguments", "instructions"))
_OUTPUT_KEYS: Final = ("max_output_tokens", "max_completion_tokens", "max_tokens")


def _text_chars(value: object, depth: int = 0) -> int:
    """Characters of prompt text in ``value`` (a token-id list counts 4 a token)."""
    if depth > 32:
        return 0
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        fields = cast("Mapping[object, object]", value)
        return sum(_text_chars(item, depth + 1) for key, item in fields.items() if key in _TEXT_KEYS)
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        total = 0
        for item in cast("Sequence[object]", value):
            if isinstance(item, int) and not isinstance(item, bool):
                total += 4  # a token id, as the embeddings and completions APIs take
            else:
                total += _text_chars(item, depth + 1)
        return total
    return 0


def prompt_chars(body: Mapping[str, object]) -> int:
    """Characters of prompt text in a request body."""
    return sum(_text_chars(body.get(root)) for root in _PROMPT_ROOTS)


def estimate_tokens(body: object, body_size: int) -> int:
    """A request's token cost before it runs: prompt characters / 4 plus the output budget
    it asks for, times ``n``. A body that is not a JSON object (a multipart upload) is
    counted by its size."""
    if not isinstance(body, Mapping):
        return max(math.ceil(body_size / 4), 1)
    fields = cast("Mapping[str, object]", body)
    output = 0
    for key in _OUTPUT_KEYS:
        value = fields.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            output = value
            break
    n = fields.get("n")
    if isinstance(n, int) and not isinstance(n, bool) and n > 1:
        output *= n  # each of the n choices may use the whole output budget
    return max(math.ceil(prompt_chars(fields) / 4) + output, 1)
