"""A rate-limit budget for the local server: x-ratelimit headers and 429s like OpenAI's.

Fixed windows of ``window`` seconds (trio's clock, so the autojump clock drives them in
tests): each request costs one request and its estimated tokens (the client-side estimate:
body bytes / 4 plus the output budget it asks for). A request over budget gets a 429 with
``retry-after-ms`` until the window refills.
"""

from __future__ import annotations

import math
from typing import final

import orjson
import trio

from .._ratelimit_headers import estimate_tokens
from ._reply import RecordedRequest

__all__ = ["RateLimitBudget"]


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{max(math.ceil(seconds * 1000), 1)}ms"
    return f"{seconds:.3f}s"


@final
class RateLimitBudget:
    """Requests and tokens per window; ``rejected`` and ``accepted`` count the outcomes."""

    def __init__(
        self,
        *,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        window: float = 60.0,
    ) -> None:
        self.requests_limit = requests_per_minute
        self.tokens_limit = tokens_per_minute
        self.window = window
        self.accepted = 0
        self.rejected = 0
        self._window_end = -math.inf
        self._requests_used = 0
        self._tokens_used = 0

    def charge(self, request: RecordedRequest) -> tuple[bool, dict[str, str]]:
        """Charge one request: (accepted, headers to add to the response)."""
        now = trio.current_time()
        if now >= self._window_end:
            self._window_end = now + self.window
            self._requests_used = 0
            self._tokens_used = 0
        try:
            body = orjson.loads(request.body) if request.body else None
        except orjson.JSONDecodeError:
            body = None
        tokens = estimate_tokens(body, len(request.body))
        fits = (self.requests_limit is None or self._requests_used + 1 <= self.requests_limit) and (
            self.tokens_limit is None or self._tokens_used + tokens <= self.tokens_limit
        )
        if fits:
            self._requests_used += 1
            self._tokens_used += tokens
            self.accepted += 1
        else:
            self.rejected += 1
        reset = _duration(self._window_end - now)
        headers: dict[str, str] = {}
        if self.requests_limit is not None:
            headers["x-ratelimit-limit-requests"] = str(self.requests_limit)
            headers["x-ratelimit-remaining-requests"] = str(
                self.requests_limit - self._requests_used
            )
            headers["x-ratelimit-reset-requests"] = reset
        if self.tokens_limit is not None:
            headers["x-ratelimit-limit-tokens"] = str(self.tokens_limit)
            headers["x-ratelimit-remaining-tokens"] = str(self.tokens_limit - self._tokens_used)
            headers["x-ratelimit-reset-tokens"] = reset
        if not fits:
            headers["retry-after-ms"] = str(max(math.ceil((self._window_end - now) * 1000), 1))
        return fits, headers
