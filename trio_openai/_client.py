"""OpenAI: the client. Options, auth, headers, the retry loop, and the request entry points.

Every API method ends in one of four calls: ``_request`` (a parsed JSON result, or bytes),
``_stream`` (a `Stream` of typed events), ``_stream_bytes`` (a `ByteStream`) and
``_paginate`` (an `AsyncPaginator`). The public ``get/post/put/patch/delete`` reach any
path, documented or not, with the same auth, retries, middleware and errors.
"""

from __future__ import annotations

import functools
import logging
import os
import random as _random
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final, Self, TypeVar, cast as typing_cast

import trio

from . import _transport
from ._any_path import AnyPath, json_object
from ._auth import signing_middleware
from ._binary import BinaryResponseContent
from ._call_errors import ClientClosedError, unknown_keyword_error
from ._config import base_url_for, parse_custom_headers, platform_headers
from ._encoding import dump_json, encode_query
from ._endpoints import Endpoints, run_on_endpoints
from ._errors import (
    APITimeoutError,
    AuthenticationError,
    OpenAIError,
    make_status_error,
)
from ._hedge import AdaptiveHedge, HedgeCounters, attempt_with_policy
from ._operation import OPERATION, Operation
from ._pagination import AsyncPaginator, PageShape
from ._prepared import (
    Prepared,
    bytes_of,
    decode_json,
    format_timeout,
    json_decoder,
    merge_extra,
    parse_error_body,
    right_sized,
)
from ._response import CAPTURE
from ._retry import run_with_retries
from ._streaming import ByteStream, Stream, as_sent
from ._types import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    CallOptions,
    Middleware,
    Omit,
    RequestOptions,
    Timeout,
    make_options,
    omit,
)
from .resources import Areas

if TYPE_CHECKING:
    import httpx

    from ._auth import AuthProvider
    from ._multipart import MultipartBody
    from ._raw_client import ClientWithRawResponse, ClientWithStreamingResponse
    from ._webhooks import Webhooks
    from .lib._ratelimit import RateLimiter

__all__ = ["OpenAI"]

T = TypeVar("T")
log: Final = logging.getLogger("trio_openai")
_ERROR_BODY_LIMIT: Final = 1024 * 1024


async def _release(result: tuple[httpx.Response, bytes | None]) -> None:
    """Give back the connection of a hedged attempt that lost the race."""
    await result[0].aclose()


def _call_options(options: CallOptions | RequestOptions | None) -> RequestOptions:
    try:
        return make_options(options)
    except TypeError:  # an unknown keyword: name the method and the closest parameter
        raise unknown_keyword_error(options) from None


_ANY_PATH_METHODS: Final = frozenset({"GET", "POST"})
_SHARED_HEADER_SETS: Final = 64


class _Lifetime:
    __slots__ = ("closed",)

    def __init__(self) -> None:
        self.closed = False


_BOUND: dict[type, frozenset[str]] = {}


def _bound_attributes(cls: type) -> frozenset[str]:
    """The cached attributes of `cls` (API areas...): objects bound to one client."""
    found = _BOUND.get(cls)
    if found is None:
        found = frozenset(
            name
            for klass in cls.__mro__
            for name, value in vars(klass).items()
            if isinstance(value, cached_property)
        )
        _BOUND[cls] = found
    return found


class _Attempts:
    """The retry loop's callbacks for one request.

    A slotted object, not closures: every request in flight (and every stream being
    opened) holds these, and four closures with their cells cost about 1 KiB.
    """

    __slots__ = ("client", "operation", "prepared", "read", "taken")

    def __init__(
        self, client: OpenAI, prepared: Prepared, read: bool, operation: Operation | None
    ) -> None:
        self.client = client
        self.prepared = prepared
        self.read = read
        self.operation = operation
        self.taken = 0  # retries taken by the attempt that answered

    def __call__(self, retries_taken: int) -> Awaitable[tuple[httpx.Response, bytes | None]]:
        # A plain call returning the attempt's coroutine: no frame of its own stays
        # suspended while the attempt waits.
        client, prepared, read = self.client, self.prepared, self.read
        if client._lifetime.closed:  # pyright: ignore[reportPrivateUsage]
            raise ClientClosedError
        self.taken = retries_taken
        policy = client.hedge_after  # docs/resilience.md: never an unreplayable body
        if policy is None or not prepared.replayable:
            return client._attempt(prepared, retries_taken, read=read)  # pyright: ignore[reportPrivateUsage]
        return attempt_with_policy(
            policy,
            lambda: client._attempt(prepared, retries_taken, read=read),  # pyright: ignore[reportPrivateUsage]
            counters=client._hedges,  # pyright: ignore[reportPrivateUsage]
            release=_release,
        )

    def on_retry(self, retries_taken: int, delay: float, exc: Exception) -> None:
        if log.isEnabledFor(logging.INFO):
            log.info(
                "Retrying %s %s in %.3f s after %s",
                self.prepared.method,
                self.prepared.url,
                delay,
                type(exc).__name__,
            )
        if self.operation is not None:
            self.operation.retrying(retries_taken + 1, delay, exc)


class OpenAI(Areas, AnyPath):
    """An async client of the OpenAI API, for Trio.

    Use it as ``async with trio_openai.OpenAI() as client:``; the block owns the connection
    pool (unless you pass your own ``http_client``). Configuration comes from the arguments,
    then the environment: OPENAI_API_KEY, OPENAI_ADMIN_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID,
    OPENAI_PROJECT_ID, OPENAI_WEBHOOK_SECRET, OPENAI_CUSTOM_HEADERS.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        admin_key: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        webhook_secret: str | None = None,
        base_url: str | None = None,
        data_residency: str | None = None,
        timeout: float | Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_after: float = 60.0,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        middleware: Sequence[Middleware] = (),
        http_client: httpx.AsyncClient | None = None,
        max_event_size: int = 32 * 1024 * 1024,
        auth: AuthProvider | None = None,
        rate_limiter: RateLimiter | None = None,
        random_source: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
        hedge_after: float | AdaptiveHedge | None = None,
        fallback_base_urls: Sequence[str] = (),
        circuit_failure_threshold: int = 5,
        circuit_reset_after: float = 30.0,
    ) -> None:
        env = os.environ
        self.api_key = api_key if api_key is not None else env.get("OPENAI_API_KEY")
        self.admin_key = admin_key if admin_key is not None else env.get("OPENAI_ADMIN_KEY")
        self.organization = organization if organization is not None else env.get("OPENAI_ORG_ID")
        self.project = project if project is not None else env.get("OPENAI_PROJECT_ID")
        self.webhook_secret = (
            webhook_secret if webhook_secret is not None else env.get("OPENAI_WEBHOOK_SECRET")
        )
        self.base_url = base_url_for(base_url, data_residency)
        self.timeout = Timeout.coerce(timeout)
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        custom = parse_custom_headers(env.get("OPENAI_CUSTOM_HEADERS"))
        self.default_headers: dict[str, str] = {**custom, **(default_headers or {})}
        self.default_query: dict[str, object] = dict(default_query or {})
        self.middleware: tuple[Middleware, ...] = tuple(middleware)
        self.max_event_size = max_event_size
        self._random = random_source or _random.random
        self._wall_clock = wall_clock or time.time
        self._owns_http = http_client is None
        # Shared with the copies of with_options; only this client's aclose() sets it.
        self._lifetime = _Lifetime()
        self._root = True
        self._http = http_client if http_client is not None else _transport.make_http_client()
        self._platform_headers = platform_headers()
        # Header fields shared by this client's requests (see _transport.build_request).
        self._shared_fields: dict[tuple[bytes, bytes, bytes], tuple[bytes, bytes, bytes]] = {}
        self._shared_header_sets: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        self.auth = auth
        self.rate_limiter = rate_limiter
        if isinstance(hedge_after, int | float) and not hedge_after >= 0:
            raise ValueError("OpenAI(hedge_after=...) must be >= 0 seconds, or None")
        # Hedging (docs/resilience.md): a second attempt after `hedge_after` s of silence.
        self.hedge_after = hedge_after
        self._hedges = HedgeCounters()
        self._endpoints: Endpoints | None = None
        if fallback_base_urls:
            self._endpoints = Endpoints(
                [self.base_url, *fallback_base_urls],
                failure_threshold=circuit_failure_threshold,
                reset_after=circuit_reset_after,
                clock=time.monotonic,
            )

    # -- lifetime ---------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool if this client created it. Calls made afterwards (on
        this client or its `with_options` copies) raise `ClientClosedError` at once."""
        if self._root:
            self._lifetime.closed = True
        if self._owns_http:
            with trio.CancelScope(shield=True):
                await self._http.aclose()

    async def close(self) -> None:
        """The same as `aclose` (openai-python's name)."""
        await self.aclose()

    def statistics(self) -> dict[str, int]:
        """Connection-pool counters, for checks and metrics: ``connections`` (open),
        ``idle`` (kept alive), ``busy`` (serving a request or an open stream), ``waiting``
        (requests queued behind ``max_connections``), ``unconnected`` (httpx's transport
        only; none of the pool keys for an ``http_client`` with another transport); then
        ``hedges_started`` / ``hedges_won``, and with fallback endpoints the calls each
        served (docs/transport.md, docs/resilience.md)."""
        stats = {**_transport.pool_statistics(self._http), **self._hedges.as_dict()}
        if self._endpoints is not None:
            stats.update(self._endpoints.statistics())
        return stats

    def __repr__(self) -> str:
        return f"OpenAI(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def with_options(
        self,
        *,
        api_key: str | None = None,
        admin_key: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeout | Omit | None = omit,
        max_retries: int | None = None,
        max_retry_after: float | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        middleware: Sequence[Middleware] | None = None,
        hedge_after: float | AdaptiveHedge | Omit | None = omit,
    ) -> Self:
        """A copy with some options changed, sharing this client's connection pool.

        The copy does not own the pool: close the original (or leave its block) to close it.
        Given headers and query parameters are added to the existing ones.
        """
        copy = object.__new__(type(self))
        # Resources loaded on this client are bound to it: the copy loads its own.
        bound = _bound_attributes(type(self))
        copy.__dict__.update({k: v for k, v in self.__dict__.items() if k not in bound})
        copy._owns_http = False
        copy._root = False
        if api_key is not None:
            copy.api_key = api_key
        if admin_key is not None:
            copy.admin_key = admin_key
        if organization is not None:
            copy.organization = organization
        if project is not None:
            copy.project = project
        if base_url is not None:
            copy.base_url = base_url.rstrip("/")
        if not isinstance(timeout, Omit):
            copy.timeout = Timeout.coerce(timeout)
        if max_retries is not None:
            copy.max_retries = max_retries
        if max_retry_after is not None:
            copy.max_retry_after = max_retry_after
        if default_headers:
            copy.default_headers = {**self.default_headers, **default_headers}
        if default_query:
            copy.default_query = {**self.default_query, **default_query}
        if middleware is not None:
            copy.middleware = tuple(middleware)
        if not isinstance(hedge_after, Omit):
            copy.hedge_after = hedge_after
        return copy

    @cached_property
    def with_raw_response(self) -> ClientWithRawResponse:
        """Every call of this client returning an `APIResponse` (``.parsed``, headers...):
        ``await client.with_raw_response.files.retrieve(id)``, ``...post(path, ...)``."""
        from ._raw_client import ClientWithRawResponse

        return ClientWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> ClientWithStreamingResponse:
        """Every call of this client as ``async with ... as response`` (`AsyncAPIResponse`):
        the body is read as you ask, the connection released when the block ends."""
        from ._raw_client import ClientWithStreamingResponse

        return ClientWithStreamingResponse(self)

    @cached_property
    def webhooks(self) -> Webhooks:
        """``client.webhooks``: verify and decode webhook deliveries (``unwrap``)."""
        from ._webhooks import Webhooks

        return Webhooks(self.webhook_secret)

    # -- request building ---------------------------------------------------------------

    def _auth_headers(self, admin: bool) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.auth is None:  # else the provider adds its headers to each attempt
            key = (self.admin_key or self.api_key) if admin else self.api_key
            if not key:
                which = "OPENAI_ADMIN_KEY" if admin else "OPENAI_API_KEY"
                raise OpenAIError(
                    f"No API key: pass api_key=... (or admin_key=...) or set {which}."
                )
            headers["Authorization"] = f"Bearer {key}"
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        return headers

    def _prepare(
        self,
        method: str,
        path: str,
        *,
        body: object,
        query: Mapping[str, object] | None,
        multipart: Mapping[str, object] | None,
        headers: Mapping[str, str] | None,
        options: RequestOptions,
        admin: bool,
        accept: str,
    ) -> Prepared:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        if "?" in url:  # httpx would drop a query written in the path once params are given
            url, _, written = url.partition("?")
            query = {
                **dict(urllib.parse.parse_qsl(written, keep_blank_values=True)),
                **(query or {}),
            }
        merged: dict[str, str] = {"Accept": accept, **self._platform_headers}
        merged.update(self._auth_headers(admin))
        # Later layers replace earlier ones whatever the case of the name: an
        # `extra_headers={"authorization": ...}` must not send a second Authorization.
        layers: list[Mapping[str, str | Omit]] = [self.default_headers, headers or {}]
        if options.idempotency_key is not None:
            layers.append({"Idempotency-Key": options.idempotency_key})
        layers.append(options.extra_headers or {})
        for layer in layers:
            for name, value in layer.items():
                for existing in [k for k in merged if k.lower() == name.lower()]:
                    del merged[existing]
                if not isinstance(value, Omit):
                    merged[name] = value
        content: bytes | MultipartBody | None = None
        extra_body = options.extra_body
        if multipart is not None:
            from ._multipart import encode_multipart

            form = merge_extra(dict(multipart), extra_body)
            content = encode_multipart(form)
            merged["Content-Type"] = content.content_type
            if content.content_length is not None:
                merged["Content-Length"] = str(content.content_length)
        elif not isinstance(body, Omit) or extra_body:
            if extra_body:
                if isinstance(body, Omit) or body is None:
                    body = merge_extra({}, extra_body)
                elif isinstance(body, Mapping):
                    given = typing_cast("Mapping[str, Any]", body)
                    body = merge_extra(dict(given), extra_body)
                else:
                    raise TypeError("extra_body needs a JSON object body to merge into")
            content = right_sized(dump_json(body))
            merged["Content-Type"] = "application/json"
        elif method != "GET" and not any(k.lower() == "content-type" for k in merged):
            # As openai-python (and the spec's curl examples): a body-less POST or DELETE
            # still says its (empty) body would be JSON.
            merged["Content-Type"] = "application/json"
        timeout = (
            self.timeout if isinstance(options.timeout, Omit) else Timeout.coerce(options.timeout)
        )
        params = encode_query(self.default_query, query, options.extra_query)
        middleware = (*self.middleware, *options.middleware, *signing_middleware(self.auth))
        if multipart is None and not options.extra_headers and options.idempotency_key is None:
            merged = self._shared_header_set(merged)
        prepared = Prepared(method, url, merged, params, content, timeout, middleware, admin)
        if options.extra_headers and any(
            k.lower() == "x-stainless-retry-count" for k in options.extra_headers
        ):
            prepared.retry_count_header = False
        if self.rate_limiter is not None:
            size = (
                len(content)
                if isinstance(content, bytes)
                else (content and content.content_length) or 0
            )
            from ._ratelimit_headers import estimate_tokens  # only with a rate limiter

            prepared.tokens = estimate_tokens(body, size)
        return prepared

    def _shared_header_set(self, headers: dict[str, str]) -> dict[str, str]:
        """An equal dict from an earlier call when there is one: a request in flight (or an
        open stream) holds its headers until it ends, and most calls send the same ones.
        Never mutated (each attempt copies it); bounded, so odd calls cannot grow it."""
        key = tuple(headers.items())
        shared = self._shared_header_sets
        found = shared.get(key)
        if found is not None:
            return found
        if len(shared) < _SHARED_HEADER_SETS:
            shared[key] = headers
        return headers

    # -- the attempt and the retry loop ---------------------------------------------------

    def _attempt_request(
        self, prepared: Prepared, retries_taken: int, auth_headers: Mapping[str, str] | None
    ) -> httpx.Request:
        # A plain call, so that its header dict is gone before the attempt waits.
        timeout = prepared.timeout
        if auth_headers is None:
            headers = dict(prepared.headers)
        else:  # explicit headers of the call still win over the provider's
            headers = {**auth_headers, **prepared.headers}
        if prepared.retry_count_header:
            headers["X-Stainless-Retry-Count"] = str(retries_taken)
        if timeout.request is not None:
            headers["X-Stainless-Timeout"] = format_timeout(timeout.request)
        request = _transport.build_request(
            self._http,
            prepared.method,
            prepared.url,
            headers=headers,
            params=prepared.params,
            content=prepared.content,
            timeout=timeout,
            shared=self._shared_fields,
            share_credentials=self.auth is None,
        )
        if prepared.operation is not None:
            request.extensions[OPERATION] = prepared.operation
        return request

    async def _attempt(
        self, prepared: Prepared, retries_taken: int, *, read: bool
    ) -> tuple[httpx.Response, bytes | None]:
        timeout = prepared.timeout
        auth = self.auth
        request = self._attempt_request(
            prepared,
            retries_taken,
            None if auth is None else await auth.auth_headers(admin=prepared.admin),
        )
        content: bytes | None = None
        limiter = self.rate_limiter
        if limiter is not None:  # waiting for budget is not part of the attempt's time
            await limiter.acquire(prepared.tokens)
        with trio.move_on_after(
            timeout.request if timeout.request is not None else float("inf")
        ) as scope:
            response = await _transport.send(self._http, request, prepared.middleware)
            if limiter is not None:
                limiter.observe(response.status_code, response.headers)
            if response.status_code >= 400:
                raw = await _transport.read_body(response, limit=_ERROR_BODY_LIMIT)
                raise make_status_error(response, parse_error_body(raw))
            if read:
                content = await _transport.read_body(response)
        if scope.cancelled_caught:
            raise APITimeoutError(f"Request timed out after {timeout.request} s.", request=request)
        return response, content  # pyright: ignore[reportPossiblyUnboundVariable]

    async def _send_with_retries(
        self, prepared: Prepared, options: RequestOptions, *, read: bool
    ) -> tuple[httpx.Response, bytes | None, int]:
        if self._lifetime.closed:
            raise ClientClosedError
        max_retries = (
            self.max_retries if isinstance(options.max_retries, Omit) else options.max_retries
        )
        operation = prepared.operation = Operation() if prepared.middleware else None
        attempts = _Attempts(self, prepared, read, operation)
        try:
            try:
                if self._endpoints is None:
                    response, content = await self._retry_loop(attempts, max_retries)
                else:

                    def run_at(url: str) -> Awaitable[tuple[httpx.Response, bytes | None]]:
                        prepared.url = url  # the endpoint of this pass (fallback endpoints)
                        return self._retry_loop(attempts, max_retries)

                    response, content = await run_on_endpoints(
                        self._endpoints, prepared.url, run_at, replayable=prepared.replayable
                    )
            except AuthenticationError:
                if self.auth is None:
                    raise
                # The credential was refused: drop it, and replay once with a fresh one when
                # the body can be sent again and the provider can refresh (a fixed key
                # cannot: its invalidate() returns False).
                refreshable = self.auth.invalidate()
                if refreshable is False or not prepared.replayable:
                    raise
                response, content = await self._retry_loop(attempts, max_retries)
        except BaseException as exc:
            if operation is not None:
                operation.failed(exc)
            raise
        if operation is not None:
            operation.returned()
        return response, content, attempts.taken

    def _retry_loop(
        self, attempts: _Attempts, max_retries: int
    ) -> Awaitable[tuple[httpx.Response, bytes | None]]:
        return run_with_retries(
            attempts,
            max_retries=max_retries,
            replayable=attempts.prepared.replayable,
            max_retry_after=self.max_retry_after,
            random=self._random,
            wall_clock=self._wall_clock,
            on_retry=attempts.on_retry,
        )

    # -- entry points used by the generated resources -------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: object = omit,
        query: Mapping[str, object] | None = None,
        multipart: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        cast: Callable[[Any], T] | None = None,
        binary: bool = False,
        options: CallOptions | RequestOptions | None = None,
        admin: bool = False,
    ) -> Any:
        """Send a request and return ``cast(json)``, the raw JSON, or bytes when ``binary``."""
        opts = _call_options(options)
        prepared = self._prepare(
            method,
            path,
            body=body,
            query=query,
            multipart=multipart,
            headers=headers,
            options=opts,
            admin=admin,
            accept="application/octet-stream" if binary else "application/json",
        )
        capture = CAPTURE.get()
        if capture is not None and capture.streaming:  # with_streaming_response: body unread
            response, _, capture.retries_taken = await self._send_with_retries(
                prepared, opts, read=False
            )
            capture.response = response
            capture.decode = bytes_of if binary else json_decoder(response, cast)
            return None
        response, content, taken = await self._send_with_retries(prepared, opts, read=True)
        assert content is not None
        if binary:  # the body, or what `cast` makes of it (a text body: a str)
            parsed: Any = (
                BinaryResponseContent(response, content) if cast is None else cast(content)
            )
        else:
            parsed = decode_json(response, content, cast)
        if capture is not None:  # with_raw_response
            capture.response, capture.content, capture.retries_taken = response, content, taken
        return parsed

    def _stream(
        self,
        method: str,
        path: str,
        *,
        body: object = omit,
        query: Mapping[str, object] | None = None,
        multipart: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        decode: Callable[[Any], T] = as_sent,
        options: CallOptions | RequestOptions | None = None,
        admin: bool = False,
        usage: str | None = None,
    ) -> Stream[T]:
        """A `Stream` of events; the request is sent when the ``async with`` block opens.

        ``multipart`` sends a form (transcriptions, image edits) instead of a JSON body;
        ``usage`` is the ``async with`` line an error about a never-opened stream shows.
        """
        opts = _call_options(options)
        prepared = self._prepare(
            method,
            path,
            body=body,
            query=query,
            multipart=multipart,
            headers=headers,
            options=opts,
            admin=admin,
            accept="text/event-stream",
        )

        return Stream(
            functools.partial(self._send_with_retries, prepared, opts, read=False),
            decode,
            timeout=prepared.timeout,
            max_event_size=self.max_event_size,
            usage=usage,
        )

    def _stream_bytes(
        self,
        method: str,
        path: str,
        *,
        body: object = omit,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        options: CallOptions | RequestOptions | None = None,
        admin: bool = False,
    ) -> ByteStream:
        """A `ByteStream` of a binary body (audio, file contents)."""
        opts = _call_options(options)
        prepared = self._prepare(
            method,
            path,
            body=body,
            query=query,
            multipart=None,
            headers=headers,
            options=opts,
            admin=admin,
            accept="application/octet-stream",
        )

        return ByteStream(functools.partial(self._send_with_retries, prepared, opts, read=False))

    def _paginate(
        self,
        path: str,
        *,
        query: Mapping[str, object] | None = None,
        decode_item: Callable[[Any], T] = as_sent,
        shape: PageShape = "cursor",
        options: CallOptions | RequestOptions | None = None,
        admin: bool = False,
        method: str = "GET",
        body: object = omit,
    ) -> AsyncPaginator[T]:
        """An auto-paging list; nothing is sent until it is iterated or awaited."""
        opts = _call_options(options)

        async def fetch(page_query: dict[str, Any]) -> tuple[Any, httpx.Response]:
            prepared = self._prepare(
                method,
                path,
                body=body,
                query=page_query,
                multipart=None,
                headers=None,
                options=opts,
                admin=admin,
                accept="application/json",
            )
            response, content, taken = await self._send_with_retries(prepared, opts, read=True)
            assert content is not None
            capture = CAPTURE.get()
            if capture is not None:  # the first page through with_raw_response
                capture.response, capture.content, capture.retries_taken = response, content, taken
            items = None if decode_item is as_sent else decode_item
            return decode_json(response, content, None, items=items), response

        base = {k: v for k, v in (query or {}).items() if not isinstance(v, Omit)}
        return AsyncPaginator(fetch, decode_item, shape=shape, query=base)

    # -- undocumented endpoints (the typed overloads are in _any_path.AnyPath) -------------

    async def _call_path(
        self,
        method: str,
        path: str,
        *,
        body: object,
        query: Mapping[str, object] | None,
        files: Mapping[str, object] | None,
        cast_to: Callable[[Any], object] | None,
        stream: bool,
        options: CallOptions,
    ) -> object:
        if stream:  # sent when its block opens, as create(..., stream=True)
            if files is not None:
                raise TypeError("stream=True cannot send files")
            line = f"async with await client.{method.lower()}(..., stream=True) as stream:"
            return self._stream(
                method,
                path,
                body=body,
                query=query,
                decode=cast_to or json_object,
                options=options,
                usage=line if method in _ANY_PATH_METHODS else None,
            )
        result: object = await self._request(
            method, path, body=body, query=query, multipart=files, cast=cast_to, options=options
        )
        return result

    def _open_stream(
        self,
        method: str,
        path: str,
        *,
        body: object,
        query: Mapping[str, object] | None,
        decode: Callable[[Any], T],
        options: CallOptions,
    ) -> Stream[T]:
        return self._stream(method, path, body=body, query=query, decode=decode, options=options)
