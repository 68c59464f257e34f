"""trio_openai: a Trio-native, streaming-first async client for the OpenAI API.

Layers, inside out (arrows only point inward):

    pure:      _types, _redact, _errors, _config, _encoding, _sse, _models, _retry (policy)
    I/O:       _transport, _pool, _http11, _connect, _http_client (the transport layer: the
               only httpx importers; _proxy is its pure part) -> _streaming, _pagination, _multipart,
               _response (raw and streamed responses) -> _call_errors, _any_path (typed
               get/post/...) -> _client (OpenAI: options, auth, retries, entry points)
               -> _raw_client (client.with_raw_response / with_streaming_response)
    surface:   resources/ and types/ (generated), lib/ (helpers), testing/ (local server)

Only the names below are public; they are re-exported lazily so that ``import trio_openai``
stays cheap (the client and its httpx stack load on first use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._auth import AuthProvider as AuthProvider
from ._errors import (
    APIConnectionError as APIConnectionError,
    APIError as APIError,
    APIResponseValidationError as APIResponseValidationError,
    APIStatusError as APIStatusError,
    APITimeoutError as APITimeoutError,
    AuthenticationError as AuthenticationError,
    BadRequestError as BadRequestError,
    ConflictError as ConflictError,
    EventTooLargeError as EventTooLargeError,
    InternalServerError as InternalServerError,
    NotFoundError as NotFoundError,
    OpenAIError as OpenAIError,
    PermissionDeniedError as PermissionDeniedError,
    RateLimitError as RateLimitError,
    StreamError as StreamError,
    UnprocessableEntityError as UnprocessableEntityError,
)
from ._models import UnknownVariant as UnknownVariant
from ._types import (
    NOT_GIVEN as NOT_GIVEN,
    CallNext as CallNext,
    CallOptions as CallOptions,
    Middleware as Middleware,
    Omit as Omit,
    RequestOptions as RequestOptions,
    Timeout as Timeout,
    omit as omit,
)
from ._version import __version__ as __version__
from ._webhooks import (
    InvalidSignatureError as InvalidSignatureError,
    InvalidTimestampError as InvalidTimestampError,
    MissingHeaderError as MissingHeaderError,
    MissingSecretError as MissingSecretError,
    TimestampTooNewError as TimestampTooNewError,
    TimestampTooOldError as TimestampTooOldError,
    Webhooks as Webhooks,
    WebhookVerificationError as WebhookVerificationError,
)

if TYPE_CHECKING:
    from ._call_errors import ClientClosedError as ClientClosedError
    from ._client import OpenAI as OpenAI
    from ._http_client import (
        DefaultAsyncHttpxClient as DefaultAsyncHttpxClient,
        DefaultHttpClient as DefaultHttpClient,
    )
    from ._pagination import AsyncPaginator as AsyncPaginator, Page as Page
    from ._realtime import (
        RealtimeConnection as RealtimeConnection,
        RealtimeConnectionError as RealtimeConnectionError,
        RealtimeError as RealtimeError,
    )
    from ._response import APIResponse as APIResponse, AsyncAPIResponse as AsyncAPIResponse
    from ._responses_ws import (
        ResponsesWebSocket as ResponsesWebSocket,
        ResponsesWebSocketError as ResponsesWebSocketError,
    )
    from ._streaming import ByteStream as ByteStream, Stream as Stream
    from ._websocket import WebSocketConnectionError as WebSocketConnectionError
    from .azure import AzureOpenAI as AzureOpenAI

_LAZY = {
    "OpenAI": "._client",
    "AzureOpenAI": ".azure",
    "DefaultAsyncHttpxClient": "._http_client",
    "DefaultHttpClient": "._http_client",
    "RealtimeConnection": "._realtime",
    "RealtimeConnectionError": "._realtime",
    "RealtimeError": "._realtime",
    "ResponsesWebSocket": "._responses_ws",
    "ResponsesWebSocketError": "._responses_ws",
    "WebSocketConnectionError": "._websocket",
    "AsyncPaginator": "._pagination",
    "Page": "._pagination",
    "APIResponse": "._response",
    "AsyncAPIResponse": "._response",
    "ClientClosedError": "._call_errors",
    "ByteStream": "._streaming",
    "Stream": "._streaming",
}

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAPIResponse",
    "AsyncPaginator",
    "AuthProvider",
    "AuthenticationError",
    "AzureOpenAI",
    "BadRequestError",
    "ByteStream",
    "CallNext",
    "CallOptions",
    "ClientClosedError",
    "ConflictError",
    "DefaultAsyncHttpxClient",
    "DefaultHttpClient",
    "EventTooLargeError",
    "InternalServerError",
    "InvalidSignatureError",
    "InvalidTimestampError",
    "Middleware",
    "MissingHeaderError",
    "MissingSecretError",
    "NotFoundError",
    "Omit",
    "OpenAI",
    "OpenAIError",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "RealtimeConnection",
    "RealtimeConnectionError",
    "RealtimeError",
    "RequestOptions",
    "ResponsesWebSocket",
    "ResponsesWebSocketError",
    "Stream",
    "StreamError",
    "Timeout",
    "TimestampTooNewError",
    "TimestampTooOldError",
    "UnknownVariant",
    "UnprocessableEntityError",
    "WebSocketConnectionError",
    "WebhookVerificationError",
    "Webhooks",
    "__version__",
    "omit",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trio_openai' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
