"""WebSocket sessions of the API (over `_wsconn`): what Realtime and Responses share.

- the session URL (``base_url`` with ws/wss, the client's default query) and the handshake
  headers (API key or auth provider, organization/project, platform and default headers);
- `open_client_socket`: an async context manager owning the socket (TCP, TLS, the opening
  handshake: `_wsconn`); it starts no task (the session's reader task reads the socket) and
  closes the socket with code 1000 on every exit (cancellation included), shielded and
  bounded by ``close_timeout``;
- the errors of a broken or refused connection, and `event_decoder`, the one place where a
  JSON message becomes a typed event (plain dicts while the generated types are missing).

`_realtime.py` (``client.realtime.connect``) and `_responses_ws.py`
(``client.responses.connect``) build on it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import urlencode, urlsplit

import orjson
import trio

from ._encoding import encode_query
from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    make_status_error,
)
from ._types import Omit
from ._wsconn import (
    ClosedDuringHandshake,
    CloseReason,
    HandshakeFailed,
    HandshakeRejected,
    WebSocket,
    client_handshake,
)

if TYPE_CHECKING:
    from ._client import OpenAI

__all__ = [
    "NORMAL_CLOSE_CODES",
    "WebSocketConnectionError",
    "closed_error",
    "event_decoder",
    "is_azure",
    "open_client_socket",
    "parse_message",
    "response_header",
    "websocket_url",
]

log: Final = logging.getLogger("trio_openai")

NORMAL_CLOSE_CODES: Final = frozenset({1000, 1001})  # "normal closure", "going away"
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
DEFAULT_CLOSE_TIMEOUT: Final = 2.0


class WebSocketConnectionError(APIConnectionError):
    """A WebSocket session could not be opened, broke, or was closed by the server.

    ``close_code`` and ``close_reason`` are the WebSocket close code and reason when the
    connection was closed (1006 means it ended without a close frame); both are None when
    the connection never opened.
    """

    close_code: int | None
    close_reason: str | None

    def __init__(
        self, message: str, *, close_code: int | None = None, close_reason: str | None = None
    ) -> None:
        super().__init__(message, request=None)
        self.close_code = close_code
        self.close_reason = close_reason


def closed_error(
    error_class: type[WebSocketConnectionError], reason: CloseReason | None, what: str
) -> WebSocketConnectionError:
    """The error for a connection that ended; `what` says what could not be done."""
    if reason is None:
        return error_class(f"{what}: the WebSocket is closed.")
    detail = f"code {reason.code} {reason.name}" + (f": {reason.reason}" if reason.reason else "")
    return error_class(
        f"{what}: the WebSocket closed ({detail}).",
        close_code=reason.code,
        close_reason=reason.reason,
    )


# -- decoding ---------------------------------------------------------------------------------


def _identity(value: Any) -> Any:
    return value


@functools.cache
def event_decoder(union: str) -> Callable[[Any], Any]:
    """The decoder of the generated union `union`, or the identity (events stay dicts)."""
    try:
        from .types import decoder_for

        return decoder_for(union)
    except (ImportError, LookupError):
        return _identity


def parse_message(message: str | bytes) -> dict[str, Any] | APIResponseValidationError:
    """A message's JSON object, or the error to raise for a message that is not one."""
    try:
        obj = orjson.loads(message)
    except orjson.JSONDecodeError as exc:
        return APIResponseValidationError(
            f"Malformed WebSocket message ({exc}): {message[:200]!r}", body=message[:2000]
        )
    if type(obj) is not dict:
        return APIResponseValidationError(
            f"Expected a JSON object in the WebSocket message, got: {message[:200]!r}",
            body=obj,
        )
    return cast("dict[str, Any]", obj)  # a JSON object: string keys


def decode_event(decode: Callable[[Any], Any], obj: dict[str, Any]) -> Any:
    """`decode(obj)`, with any failure of the decoder reported as a validation error."""
    try:
        return decode(obj)
    except APIResponseValidationError as exc:
        return exc
    except Exception as exc:  # a decoder bug must not kill the reader task
        error = APIResponseValidationError(
            f"Could not decode a {obj.get('type')!r} event: {exc!r}", body=obj
        )
        error.__cause__ = exc
        return error


def response_header(ws: WebSocket, name: str) -> str | None:
    """A header of the server's handshake answer (``x-request-id``...), if it sent one."""
    wanted = name.lower().encode()
    for key, value in ws.handshake_headers:
        if key.lower() == wanted:
            return value.decode("latin-1")
    return None


# -- the handshake ----------------------------------------------------------------------------


def is_azure(client: OpenAI) -> bool:
    """Whether `client` is an Azure client (it has an endpoint and an ``api_version``)."""
    has_endpoint = hasattr(client, "azure_endpoint") or hasattr(client, "_azure_endpoint")
    return has_endpoint and getattr(client, "api_version", None) is not None


def websocket_base(url: str) -> str:
    """`url` without a trailing slash, its http(s) scheme turned into ws(s)."""
    base = url.rstrip("/")
    scheme, sep, rest = base.partition("://")
    scheme = {"http": "ws", "https": "wss"}.get(scheme.lower(), scheme.lower())
    if not sep or scheme not in ("ws", "wss"):
        raise ValueError(f"Cannot derive a WebSocket URL from {url!r}")
    return f"{scheme}://{rest}"


def websocket_url(
    client: OpenAI,
    path: str,
    query: Mapping[str, object],
    extra_query: Mapping[str, object] | None,
    *,
    base: str | None = None,
) -> str:
    """`base` (default: the client's ``websocket_base_url`` if it has one, else its
    ``base_url``; http -> ws, https -> wss) + `path`, with the client's default query, then
    `query`, then `extra_query` (later ones win per key)."""
    if base is None:
        base = str(getattr(client, "websocket_base_url", None) or client.base_url)
    url = websocket_base(base) + path
    pairs = encode_query(client.default_query, query, extra_query)
    return f"{url}?{urlencode(pairs)}" if pairs else url


def _set_header(headers: dict[str, str], name: str, value: str | Omit) -> None:
    for existing in [key for key in headers if key.lower() == name.lower()]:
        del headers[existing]
    if not isinstance(value, Omit):
        headers[name] = value


async def handshake_headers(
    client: OpenAI, extra_headers: Mapping[str, str | Omit] | None
) -> dict[str, str]:
    """The headers of the opening handshake, as the client would send for an HTTP request:
    platform headers, credentials (the auth provider's, else the API key), organization and
    project, the client's default headers, then `extra_headers` (`omit` removes one)."""
    # The handshake is one of the client's own requests: the same headers it builds for HTTP.
    headers = dict(client._platform_headers)  # pyright: ignore[reportPrivateUsage]
    if client.auth is not None:
        headers.update(await client.auth.auth_headers(admin=False))
    headers.update(client._auth_headers(False))  # pyright: ignore[reportPrivateUsage]
    for name, value in [*client.default_headers.items(), *(extra_headers or {}).items()]:
        _set_header(headers, name, value)
    return headers


def _rejection_error(exc: HandshakeRejected, url: str, headers: Mapping[str, str]) -> Exception:
    """The status error (401 -> AuthenticationError, ...) of a refused handshake."""
    from ._transport import Request, Response

    content = exc.body or b""
    try:
        body: object = orjson.loads(content) if content else None
    except orjson.JSONDecodeError:
        body = content.decode("utf-8", "replace")
    request = Request("GET", url, headers=dict(headers))
    response = Response(
        exc.status_code, headers=list(exc.headers), content=content, request=request
    )
    return make_status_error(response, body)


# -- the socket's lifetime --------------------------------------------------------------------


async def close_socket(
    ws: WebSocket, grace: float, code: int = 1000, reason: str | None = None
) -> None:
    """Send a close frame and wait for the server's, at most `grace` s, even if cancelled."""
    with trio.CancelScope(shield=True), trio.move_on_after(grace):
        await ws.aclose(code, reason)


async def _open_stream(
    host: str, port: int, secure: bool
) -> trio.SocketStream | trio.SSLStream[trio.SocketStream]:
    """A TCP stream, with TLS already negotiated for wss (so that TLS errors surface here)."""
    tcp = await trio.open_tcp_stream(host, port)
    if not secure:
        return tcp
    from ._transport import shared_ssl_context

    tls = trio.SSLStream(tcp, shared_ssl_context(), server_hostname=host, https_compatible=True)
    try:
        await tls.do_handshake()
    except BaseException:
        await trio.aclose_forcefully(tcp)
        raise
    return tls


def _open_failure(
    exc: BaseException | None,
    url: str,
    headers: Mapping[str, str],
    connect_timeout: float,
    error_class: type[WebSocketConnectionError],
) -> Exception:
    if isinstance(exc, HandshakeRejected):
        return _rejection_error(exc, url, headers)
    if exc is None:
        return APITimeoutError(
            f"Opening the WebSocket took longer than {connect_timeout} s.", request=None
        )
    where = url.partition("?")[0]
    if isinstance(exc, ClosedDuringHandshake):
        error = error_class(f"The server closed the connection during the handshake ({where}).")
    else:
        error = error_class(f"Could not open the WebSocket to {where}: {exc!r}")
        error.__cause__ = exc
    return error


def _split_url(url: str) -> tuple[str, int, bool, str, str]:
    """(host, port, secure, Host header, request target) of a ws/wss URL."""
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if parts.port is None else f"{shown}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return host, port, secure, host_header, target


@asynccontextmanager
async def _open_once(
    url: str,
    headers: Mapping[str, str],
    *,
    max_message_size: int,
    connect_timeout: float,
    close_timeout: float,
    error_class: type[WebSocketConnectionError],
) -> AsyncGenerator[WebSocket, None]:
    host, port, secure, host_header, target = _split_url(url)
    stream: trio.abc.Stream | None = None
    ws: WebSocket | None = None
    cause: BaseException | None = None  # of a failed opening; None: it timed out
    try:
        with trio.move_on_after(connect_timeout):
            try:
                stream = await _open_stream(host, port, secure)
                ws = await client_handshake(
                    stream,
                    host_header,
                    target,
                    list(headers.items()),
                    max_message_size=max_message_size,
                )
            except (OSError, trio.BrokenResourceError, HandshakeFailed, HandshakeRejected) as exc:
                cause = exc.__cause__ if isinstance(exc, trio.BrokenResourceError) else exc
                cause = cause or exc
        if ws is None:
            raise _open_failure(cause, url, headers, connect_timeout, error_class)
        log.debug("WebSocket open: %s", url.partition("?")[0])
        try:
            yield ws
        finally:
            await close_socket(ws, close_timeout)
    finally:
        if stream is not None:
            await trio.aclose_forcefully(stream)


def sole_cancelled(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """One `trio.Cancelled` of `group` if it holds nothing else, else None."""
    _, rest = group.split(trio.Cancelled)
    if rest is not None:
        return None
    leaf = group.exceptions[0]
    while isinstance(leaf, BaseExceptionGroup):
        leaf = cast("BaseExceptionGroup[BaseException]", leaf).exceptions[0]
    return leaf


@asynccontextmanager
async def open_client_socket(
    client: OpenAI,
    url: str,
    *,
    extra_headers: Mapping[str, str | Omit] | None,
    connect_timeout: float,
    close_timeout: float,
    error_class: type[WebSocketConnectionError],
) -> AsyncGenerator[WebSocket, None]:
    """Open a WebSocket to `url` and yield it; the session's own task reads it.

    A refused handshake raises the status error of its HTTP answer (AuthenticationError for
    a 401...); with an auth provider a 401 first invalidates the credential and retries
    once, as HTTP requests do. Opening (TCP, TLS and the handshake) is bounded by
    `connect_timeout` (then `APITimeoutError`); other failures raise `error_class`.

    On exit the socket is closed with code 1000 (shielded, at most `close_timeout` s); an
    exception raised in the block comes out unchanged.
    """
    for attempt in (0, 1):
        headers = await handshake_headers(client, extra_headers)
        opened = False
        try:
            async with _open_once(
                url,
                headers,
                max_message_size=client.max_event_size,
                connect_timeout=connect_timeout,
                close_timeout=close_timeout,
                error_class=error_class,
            ) as opened_socket:
                opened = True
                yield opened_socket
            return
        except AuthenticationError:
            if opened or attempt or client.auth is None:
                raise
            client.auth.invalidate()
