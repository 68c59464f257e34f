"""Fallback endpoints: an ordered list of base URLs, each behind a circuit breaker.

A region outage or a dead self-hosted server should cost a call some latency, not the
call. A client built with ``fallback_base_urls`` tries its ``base_url`` first; when the
retries there are exhausted on a failure another server could answer (a connection error,
a timeout, 408, 429, >= 500), the call moves to the next endpoint. Each endpoint has a
breaker: after ``failure_threshold`` consecutive failed calls it opens and calls skip that
endpoint for ``reset_after`` seconds, then one call tries it again (half-open) and a success
closes it. When every breaker is open, all endpoints are tried in order anyway: failing
fast with no attempt would turn a brownout into an outage.

Pure bookkeeping (no I/O): the clock is injected; the client's retry loop calls `order`,
`record_success` and `record_failure` (through `run_on_endpoints`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Final, final

from ._errors import APIConnectionError, APIStatusError

if TYPE_CHECKING:
    import httpx

__all__ = ["ENDPOINT_EXTENSION", "Endpoints", "may_fall_back", "run_on_endpoints"]

log: Final = logging.getLogger("trio_openai")

ENDPOINT_EXTENSION: Final = "trio_openai.endpoint"
"""The key of ``http_response.extensions`` naming the base URL that served the call."""

_FALLBACK_STATUSES: Final = frozenset({408, 429})


def may_fall_back(error: Exception) -> bool:
    """Whether another endpoint might answer where this one failed."""
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, APIStatusError):
        return error.status_code in _FALLBACK_STATUSES or error.status_code >= 500
    return False


@final
class _Breaker:
    __slots__ = ("failures", "opened_at")

    def __init__(self) -> None:
        self.failures = 0
        self.opened_at: float | None = None


@final
class Endpoints:
    """The base URLs of a client in order of preference, with a breaker and counters each."""

    def __init__(
        self,
        base_urls: Sequence[str],
        *,
        failure_threshold: int,
        reset_after: float,
        clock: Callable[[], float],
    ) -> None:
        if not base_urls:
            raise ValueError("Endpoints needs at least one base URL")
        if failure_threshold < 1:
            raise ValueError("OpenAI(circuit_failure_threshold=...) must be >= 1")
        self.base_urls: tuple[str, ...] = tuple(url.rstrip("/") for url in base_urls)
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._breakers = [_Breaker() for _ in self.base_urls]
        self.served = [0] * len(self.base_urls)
        self.fallbacks = 0

    def is_open(self, index: int) -> bool:
        """True while calls skip endpoint ``index`` (its breaker is open, not yet half-open)."""
        opened = self._breakers[index].opened_at
        return opened is not None and self._clock() - opened < self.reset_after

    def order(self) -> list[int]:
        """The endpoints a call should try, best first: closed or half-open breakers, then
        (only when all are open) every endpoint in order."""
        usable = [i for i in range(len(self.base_urls)) if not self.is_open(i)]
        return usable or list(range(len(self.base_urls)))

    def rebase(self, url: str, index: int) -> str | None:
        """``url`` (built on the first base URL) moved to endpoint ``index``; None when the
        call names an absolute URL of its own, which has no fallback."""
        first = self.base_urls[0]
        if url != first and not url.startswith(first + "/"):
            return None
        return self.base_urls[index] + url[len(first) :]

    def record_success(self, index: int) -> None:
        breaker = self._breakers[index]
        breaker.failures = 0
        breaker.opened_at = None
        self.served[index] += 1

    def record_failure(self, index: int) -> None:
        breaker = self._breakers[index]
        breaker.failures += 1
        if breaker.failures >= self.failure_threshold:
            breaker.opened_at = self._clock()

    def statistics(self) -> dict[str, int]:
        stats = {f"endpoint_{i}_served": n for i, n in enumerate(self.served)}
        stats["fallbacks"] = self.fallbacks
        stats["breakers_open"] = sum(self.is_open(i) for i in range(len(self.base_urls)))
        return stats


async def run_on_endpoints(
    endpoints: Endpoints,
    url: str,
    run: Callable[[str], Awaitable[tuple[httpx.Response, bytes | None]]],
    *,
    replayable: bool,
) -> tuple[httpx.Response, bytes | None]:
    """``run(url)`` (the retry loop) on the first endpoint whose breaker lets it through,
    moving on when retries there end in a failure another endpoint might not have. The
    response that answers is tagged with its endpoint (`ENDPOINT_EXTENSION`)."""
    failure: APIStatusError | APIConnectionError | None = None
    for index in endpoints.order():
        moved = endpoints.rebase(url, index)
        if moved is None:  # an absolute URL of the call's own: no fallback
            return await run(url)
        if failure is not None:
            endpoints.fallbacks += 1
            log.warning("Falling back to %s after %s", endpoints.base_urls[index], failure.message)
        try:
            result = await run(moved)
        except (APIStatusError, APIConnectionError) as exc:
            if not may_fall_back(exc):
                raise
            endpoints.record_failure(index)
            if not replayable:
                raise
            failure = exc
            continue
        endpoints.record_success(index)
        result[0].extensions[ENDPOINT_EXTENSION] = endpoints.base_urls[index]
        return result
    assert failure is not None
    raise failure
