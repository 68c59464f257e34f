"""One small HTTP exchange for the token endpoints, through the package's transport.

The package rule is that only ``_transport.py`` imports httpx, so requests are built, sent
and read with its functions. Transient failures (connection errors, 408, 409, 429, >= 500)
are retried with the client's policy: the same statuses, ``retry-after`` hints, backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import trio

from .. import _transport
from .._errors import APIConnectionError, APITimeoutError
from .._retry import backoff_delay, retry_delay, should_retry_status
from .._types import Timeout

if TYPE_CHECKING:
    import httpx

__all__ = ["MAX_BODY", "fetch"]

MAX_BODY: Final = 256 * 1024  # token responses are a few KiB; a larger one is not a token
_MAX_RETRY_AFTER: Final = 60.0


async def _fetch_once(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    params: Sequence[tuple[str, str]] | None,
    content: bytes | None,
    attempt_timeout: float,
) -> tuple[httpx.Response, bytes]:
    request = _transport.build_request(
        http,
        method,
        url,
        headers=headers,
        params=params,
        content=content,
        timeout=Timeout(request=attempt_timeout, connect=min(attempt_timeout, 5.0)),
    )
    body = b""
    response: httpx.Response | None = None
    with trio.move_on_after(attempt_timeout) as scope:
        response = await _transport.send(http, request)
        body = await _transport.read_body(response, limit=MAX_BODY)
    if scope.cancelled_caught or response is None:
        raise APITimeoutError(f"No complete answer within {attempt_timeout} s.", request=request)
    return response, body


async def fetch(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    params: Sequence[tuple[str, str]] | None = None,
    content: bytes | None = None,
    attempt_timeout: float,
    max_retries: int,
    random: Callable[[], float],
) -> tuple[httpx.Response, bytes]:
    """Send a request (retrying transient failures; each attempt bounded by
    ``attempt_timeout`` seconds) and return the response and its body.

    Any status is returned once retries are over; the caller judges it. Raises
    `APIConnectionError` (or `APITimeoutError`) when the last attempt got no answer, and
    `APIResponseValidationError` for a body over `MAX_BODY` bytes.
    """
    retries_taken = 0
    while True:
        try:
            response, body = await _fetch_once(
                http,
                method,
                url,
                headers=headers,
                params=params,
                content=content,
                attempt_timeout=attempt_timeout,
            )
        except APIConnectionError:
            if retries_taken >= max_retries:
                raise
            delay: float | None = backoff_delay(retries_taken, random())
        else:
            status = response.status_code
            if (
                status < 400
                or retries_taken >= max_retries
                or not should_retry_status(status, response.headers)
            ):
                return response, body
            delay = retry_delay(
                retries_taken,
                response.headers,
                max_retry_after=_MAX_RETRY_AFTER,
                rand=random(),
                now=time.time(),
            )
            if delay is None:  # the server asked for a longer wait than we are willing to
                return response, body
        await trio.sleep(delay)
        retries_taken += 1
