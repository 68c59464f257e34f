"""The one module that touches httpx: build requests, send them, read bodies, map errors.

Everything above this module sees httpx.Request/httpx.Response objects (the public types of
raw access and middleware) but never calls httpx itself.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import ssl
import sys
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Final, Literal, cast

import httpx
import trio

from ._errors import APIConnectionError, APIResponseValidationError, APITimeoutError
from ._redact import SENSITIVE_HEADERS, redact_headers
from ._types import Middleware, Timeout

__all__ = [
    "FIRST_EVENT_DEADLINE",
    "LINGER",
    "CLOSE_GRACE",
    "BodyReader",
    "MemoryBody",
    "Request",
    "Response",
    "build_request",
    "drop_credentials_across_origins",
    "make_http_client",
    "pool_statistics",
    "read_body",
    "send",
    "shared_ssl_context",
]

Request = httpx.Request
Response = httpx.Response

log: Final = logging.getLogger("trio_openai")

# Chunks drained after closing a response, to finish httpx/httpcore's async generators
# deterministically (trio warns about generators left to the garbage collector).
_DRAIN_LIMIT: Final = 64
CLOSE_GRACE: Final = 5.0
# Where a request was first sent: httpx carries extensions over to redirected requests.
_ORIGIN: Final = "trio_openai.origin"
# A stream request's first_event limit (seconds), set by build_request; and on its response,
# the trio time by which the first event is due, counted from when the attempt was sent.
_FIRST_EVENT_LIMIT: Final = "trio_openai.first_event"
FIRST_EVENT_DEADLINE: Final = "trio_openai.first_event_deadline"
# Set on a response closed before the end of its body, when the closer is not cancelled.
LINGER: Final = "trio_openai.linger"
# Chooses the default pool's transport: "trio" (ours, the default) or "httpx" (httpcore).
_TRANSPORT_ENV: Final = "TRIO_OPENAI_TRANSPORT"


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying SSL context per process: building one costs ~30 ms."""
    import certifi  # an httpx dependency

    return ssl.create_default_context(cafile=certifi.where())


def make_http_client(
    *,
    max_connections: int = 1000,
    max_keepalive: int = 100,
    follow_redirects: bool = True,
    transport: Literal["trio", "httpx"] | None = None,
) -> httpx.AsyncClient:
    """The pool a client makes for itself: no httpx timeouts (cancel scopes do that),
    redirects followed without credentials when they lead to another origin.

    ``transport="trio"`` (the default) is `DefaultHttpClient` (our trio transport,
    which honours the proxy and SSL_CERT_* environment variables); ``"httpx"`` is httpx's
    own transport (httpcore). Without the argument, the environment variable
    TRIO_OPENAI_TRANSPORT (``trio`` or ``httpx``) decides.
    """
    if _transport_kind(transport) == "trio":
        from ._http_client import DefaultHttpClient

        return DefaultHttpClient(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive,
            follow_redirects=follow_redirects,
        )
    return httpx.AsyncClient(
        verify=shared_ssl_context(),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_keepalive
        ),
        timeout=httpx.Timeout(None),
        follow_redirects=follow_redirects,
        event_hooks={"request": [drop_credentials_across_origins]},
    )


def _transport_kind(transport: str | None) -> str:
    kind = transport or os.environ.get(_TRANSPORT_ENV) or "trio"
    if kind not in ("trio", "httpx"):
        raise ValueError(f"transport must be 'trio' or 'httpx', not {kind!r} ({_TRANSPORT_ENV})")
    return kind


def _is_credential(name: str) -> bool:
    lowered = name.lower()  # the same rule as redact_headers
    return lowered in SENSITIVE_HEADERS or "secret" in lowered or "token" in lowered


def _same_site(first: httpx.URL, url: httpx.URL) -> bool:
    if first.host != url.host:
        return False
    if (first.scheme, first.port) == (url.scheme, url.port):
        return True
    # An upgrade to https on the default ports keeps credentials, as httpx does.
    return (first.scheme, first.port, url.scheme, url.port) == ("http", None, "https", None)


async def drop_credentials_across_origins(request: httpx.Request) -> None:
    # httpx drops only Authorization on a redirect to another origin; the api-key header
    # (Azure), custom credential headers and cookies would follow the redirect.
    first = request.extensions.get(_ORIGIN)
    if first is None or _same_site(first, request.url):
        return
    for name in [name for name in request.headers if _is_credential(name)]:
        del request.headers[name]


def build_request(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    params: Sequence[tuple[str, str]] | None,
    content: bytes | AsyncIterable[bytes] | None,
    timeout: Timeout,
    shared: dict[tuple[bytes, bytes, bytes], tuple[bytes, bytes, bytes]] | None = None,
    share_credentials: bool = False,
) -> httpx.Request:
    """An httpx.Request for one attempt.

    With ``shared`` (a dict the client keeps), header fields equal to ones an earlier
    request sent are replaced by those: httpx keeps three bytes objects and a tuple per
    header, and most of a request's 17 headers are the same on every call (about 2 KiB
    per request in flight, or per open stream). Credentials are shared only when
    ``share_credentials`` (a fixed API key, which the client holds anyway).
    """
    query = None if params is None else tuple(params)  # the type httpx declares
    if content is None or isinstance(content, bytes):
        request = http.build_request(method, url, headers=headers, params=query, content=content)
        # httpx iterates an in-memory body with an async generator; one cancelled while the
        # body is written would be left to the garbage collector (trio warns).
        request.stream = MemoryBody(content or b"")
    else:
        # Hand httpx our own iterator (no httpx async generator in between, which trio would
        # warn about when a server answers before the upload ends).
        request = http.build_request(method, url, headers=headers, params=query)
        request.stream = _UploadStream(content)
        if not any(name.lower() == "content-length" for name in headers):
            del request.headers["Content-Length"]  # httpx's default of 0 for an empty body
            request.headers["Transfer-Encoding"] = "chunked"
    if shared is not None:
        _share_fields(request.headers, shared, share_credentials)
    request.extensions[_ORIGIN] = request.url
    if timeout.first_event is not None and "text/event-stream" in request.headers.get("accept", ""):
        request.extensions[_FIRST_EVENT_LIMIT] = timeout.first_event
    # Connect and pool waits are httpx's; the rest is bounded by cancel scopes above.
    request.extensions["timeout"] = {
        "connect": timeout.connect,
        "pool": None,
        "read": None,
        "write": None,
    }
    return request


_SHARED_FIELDS_LIMIT: Final = 256
_UNSHARED: Final = frozenset({b"content-length"})  # one value per body size


def _share_fields(
    headers: httpx.Headers,
    shared: dict[tuple[bytes, bytes, bytes], tuple[bytes, bytes, bytes]],
    credentials: bool,
) -> None:
    fields: object = getattr(headers, "_list", None)  # (name, lower-case name, value)
    if type(fields) is not list:  # another httpx version: keep its own objects
        return
    fields = cast("list[tuple[bytes, bytes, bytes]]", fields)
    for i, field in enumerate(fields):
        found = shared.get(field)
        if found is not None:
            fields[i] = found
        elif (
            len(shared) < _SHARED_FIELDS_LIMIT
            and field[1] not in _UNSHARED
            and (credentials or not _is_credential(field[1].decode("latin-1")))
        ):
            shared[field] = field


class MemoryBody(httpx.AsyncByteStream):
    def __init__(self, data: bytes) -> None:
        self._data = data

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _OneChunk(self._data)


class _OneChunk:
    """Yields its bytes once (nothing for b""); a plain iterator, never an async generator."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data or None

    def __aiter__(self) -> _OneChunk:
        return self

    async def __anext__(self) -> bytes:
        data, self._data = self._data, None
        if data is None:
            raise StopAsyncIteration
        return data


class _UploadStream(httpx.AsyncByteStream):
    def __init__(self, body: AsyncIterable[bytes]) -> None:
        self._body = body

    def __aiter__(self) -> AsyncIterator[bytes]:
        return aiter(self._body)


def _map_error(exc: httpx.HTTPError, request: httpx.Request | None) -> Exception:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out ({type(exc).__name__}).", request=request)
    if isinstance(exc, httpx.DecodingError):
        return APIResponseValidationError(f"Undecodable response body: {exc}", request=request)
    return APIConnectionError(f"Connection error: {type(exc).__name__}: {exc}", request=request)


def _sole_cancelled(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first `trio.Cancelled` of a group holding nothing else; else the group itself."""
    if group.split(trio.Cancelled)[1] is not None:
        return group
    return _first_leaf(group)


def _first_leaf(exc: BaseException) -> BaseException:
    if isinstance(exc, BaseExceptionGroup):
        return _first_leaf(cast("BaseExceptionGroup[BaseException]", exc).exceptions[0])
    return exc


def _log_request(request: httpx.Request) -> None:
    log.debug(
        "HTTP request: %s %s headers=%s",
        request.method,
        request.url,
        redact_headers(request.headers.items()),
    )


def send(
    http: httpx.AsyncClient,
    request: httpx.Request,
    middleware: Sequence[Middleware] = (),
) -> Awaitable[httpx.Response]:
    """Send through the middleware chain (first = outermost); the body is left unread.

    A stream request's ``first_event`` limit starts here, when the attempt is sent: a
    server that holds its response headers past it (a busy inference server queueing
    the request) raises APITimeoutError, like any attempt that times out (retried). The
    response carries the deadline (``FIRST_EVENT_DEADLINE``) for the `Stream` to keep
    counting to its first event.

    A plain function returning what to await: without middleware or a first-event limit,
    no frame of its own stays suspended for the request's lifetime.
    """
    call: Callable[[httpx.Request], Awaitable[httpx.Response]] = functools.partial(
        _call_transport, http
    )
    for mw in reversed(middleware):
        call = _bind(mw, call)
    limit: float | None = request.extensions.get(_FIRST_EVENT_LIMIT)
    if limit is None:
        return call(request)
    return _send_within(call, request, limit)


async def _send_within(
    call: Callable[[httpx.Request], Awaitable[httpx.Response]],
    request: httpx.Request,
    limit: float,
) -> httpx.Response:
    deadline = trio.current_time() + limit
    with trio.move_on_at(deadline):
        response = await call(request)
        response.extensions[FIRST_EVENT_DEADLINE] = deadline
        return response
    raise APITimeoutError(
        f"No stream event within {limit} s of sending the request: no response headers yet.",
        request=request,
    )


async def _call_transport(http: httpx.AsyncClient, req: httpx.Request) -> httpx.Response:
    if log.isEnabledFor(logging.DEBUG):
        _log_request(req)
    try:
        response = await http.send(req, stream=True)
    except BaseExceptionGroup as group:
        # trio.open_tcp_stream connects in a nursery: cancelled while connecting, it
        # raises a group of Cancelled. The caller gets the one Cancelled, unwrapped.
        raise _sole_cancelled(group) from None
    except httpx.HTTPError as exc:
        raise _map_error(exc, req) from exc
    except _unmapped_errors() as exc:
        # What httpcore lets through unmapped (h11 protocol errors, a body that fails
        # mid-upload): one typed error, the cause kept.
        raise APIConnectionError(
            f"Connection error: {type(exc).__name__}: {exc}", request=req
        ) from exc
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "HTTP response: %s %s %s headers=%s",
            req.method,
            req.url,
            response.status_code,
            redact_headers(response.headers.items()),
        )
    return response


def _unmapped_errors() -> tuple[type[Exception], ...]:
    """OSError, ValueError, RuntimeError, and h11's errors when httpcore has loaded h11.

    Evaluated only when an exception reaches the clause; h11 is not imported here, since
    our transport does not use it (an h11 error cannot exist unless httpcore imported it).
    """
    h11 = sys.modules.get("h11")
    protocol_error: object = getattr(h11, "ProtocolError", None)
    if isinstance(protocol_error, type) and issubclass(protocol_error, Exception):
        return (OSError, ValueError, RuntimeError, protocol_error)
    return (OSError, ValueError, RuntimeError)


def _bind(
    mw: Middleware, call_next: Callable[[httpx.Request], Awaitable[httpx.Response]]
) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    # Positional, so a middleware may name its second parameter as it likes.
    async def call(request: httpx.Request) -> httpx.Response:
        return await mw(request, call_next)

    return call


async def read_body(response: httpx.Response, *, limit: int | None = None) -> bytes:
    """Read the whole body (bounded by ``limit`` bytes when given) and release the connection."""
    reader = BodyReader(response)
    parts: list[bytes] = []
    size = 0
    try:
        while (chunk := await reader.next_chunk()) is not None:
            parts.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:
                raise APIResponseValidationError(
                    f"Response body larger than {limit} bytes.",
                    request=response.request,
                    response=response,
                )
    finally:
        await reader.aclose()
    return b"".join(parts)


class BodyReader:
    """Pull-based access to a response body, decoded per Content-Encoding.

    Not an async generator on purpose: ``aclose()`` closes the response and then drains
    httpx's internal generators so none is left for the garbage collector, on every path
    (end of body, break, error, cancellation).
    """

    __slots__ = ("_closed", "_eof", "_iterator", "_response")

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        encoding = response.headers.get("content-encoding", "identity").lower()
        self._iterator: AsyncIterator[bytes]
        if encoding in ("", "identity"):
            self._iterator = aiter(response.stream)  # type: ignore[arg-type]
        else:
            self._iterator = response.aiter_bytes()
        self._eof = False
        self._closed = False

    @property
    def at_eof(self) -> bool:
        return self._eof

    async def next_chunk(self) -> bytes | None:
        """The next non-empty chunk, or None at the end of the body."""
        if self._eof:
            return None
        try:
            while True:
                chunk = await self._iterator.__anext__()
                if chunk:
                    return chunk
        except StopAsyncIteration:
            self._eof = True
            return None
        except httpx.HTTPError as exc:
            self._eof = True
            raise _map_error(exc, self._response.request) from exc

    async def aclose(self) -> None:
        """Release the connection: to the pool when the body was read to its end."""
        if self._closed:
            return
        self._closed = True
        if not self._eof and not _being_cancelled():
            # TrioTransport may read the body's last bytes (a few ms at most) so that the
            # connection is reused: a stream is closed at its last event, just before them.
            self._response.extensions[LINGER] = True
        with trio.CancelScope(shield=True) as scope:
            scope.deadline = trio.current_time() + CLOSE_GRACE
            with contextlib.suppress(httpx.HTTPError):
                await self._response.aclose()
            if not self._eof:
                await self._drain()

    async def _drain(self) -> None:
        # After the close, the generator chain ends at once (with a read error, swallowed).
        for _ in range(_DRAIN_LIMIT):
            try:
                await self._iterator.__anext__()
            except (StopAsyncIteration, httpx.HTTPError, trio.ClosedResourceError):
                break
            except Exception:  # a user transport's stream may fail in its own way
                break
        self._eof = True


def _being_cancelled() -> bool:
    return trio.current_effective_deadline() == -math.inf


def pool_statistics(http: httpx.AsyncClient) -> dict[str, int]:
    """Connections of the default pool (TrioTransport or httpcore's); empty for another
    transport.

    ``busy`` counts connections with a socket serving a request; ``unconnected`` counts
    pool entries without a socket. After all requests have ended, an unconnected entry is
    a slot httpcore lost to a cancellation between assigning a new connection and using
    it (it holds no socket, only a place in ``max_connections``); see docs/design.md.
    """
    transport = getattr(http, "_transport", None)
    from ._pool import TrioTransport

    if isinstance(transport, TrioTransport):
        return transport.statistics()
    pool = getattr(transport, "_pool", None)
    connections = getattr(pool, "connections", None)
    if connections is None:
        return {}
    idle = busy = unconnected = 0
    for connection in connections:
        if connection.is_idle() or connection.is_closed():
            idle += 1
        elif getattr(connection, "_connection", True) is None:
            unconnected += 1
        else:
            busy += 1
    return {
        "connections": len(connections),
        "idle": idle,
        "busy": busy,
        "unconnected": unconnected,
        "waiting": len(getattr(pool, "_requests", ())),
    }
