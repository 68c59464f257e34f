"""trio_openai: a Trio-native, streaming-first async client for the OpenAI API.

Layers, inside out. A module imports, at run time, only from its own layer or one further
in; imports under ``if TYPE_CHECKING:`` only name types and may point anywhere (a resource
names the client's type, the client builds the resource). tests/test_layering.py checks it.

    pure:      _types _version _redact _errors _config _encoding _sse _models _retry
               _ratelimit_headers _auth _any_path _call_errors _computed _operation
               _interrupted _endpoints _ws_reconnect_policy _h1codec _wscodec
               _json_slices
    models:    types/
    io:        _proxy _http11 _connect _transport _pool _http_client _streaming _pagination
               _multipart _binary _response _webhooks _hedge _http2_stream _http2 _http2_pool
               _prepared _wsconn _wsqueue
    sessions:  _websocket _realtime _realtime_helpers _responses_ws _ws_reconnect
    helpers:   lib/
    resources: resources/
    client:    _client _raw_client azure auth/
    apps:      _cli _cli_batch _cli_state _cli_progress __main__ testing/ otel/ trio_openai

The client is the outermost library layer, since building ``client.responses`` imports the
resource; apps (the CLI, the local test server, the OpenTelemetry middleware, this
module's re-exports) sit on top.

Only the names below are public; they are re-exported lazily so that ``import trio_openai``
stays cheap (the client and its httpx stack load on first use).

openai-python's top-level names are here too, so code ports by changing the import
(tests/test_openai_top_level.py checks every one, or the reason it is absent). Where
openai-python has an async twin, both names are the one async class: ``AsyncOpenAI`` and
``Client`` / ``AsyncClient`` are `OpenAI`, ``AsyncAzureOpenAI`` is `AzureOpenAI`,
``AsyncStream`` is `Stream`; ``NotGiven`` / ``not_given`` are `Omit` / `omit`, which
openai-python too leaves out of the request.
"""

from __future__ import annotations

import importlib
import os
import pathlib
from typing import TYPE_CHECKING, Any

from ._auth import AuthProvider as AuthProvider
from ._config import DataResidency as DataResidency
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
from ._interrupted import (
    StreamInterruptedError as StreamInterruptedError,
    StreamStalledError as StreamStalledError,
)
from ._models import UnknownVariant as UnknownVariant
from ._types import (
    DEFAULT_MAX_RETRIES as DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT as DEFAULT_TIMEOUT,
    NOT_GIVEN as NOT_GIVEN,
    CallNext as CallNext,
    CallOptions as CallOptions,
    Middleware as Middleware,
    Omit as NotGiven,
    Omit as Omit,
    RequestOptions as RequestOptions,
    Timeout as Timeout,
    omit as not_given,
    omit as omit,
)
from ._version import __version__ as VERSION, __version__ as __version__

if TYPE_CHECKING:
    from . import auth as auth, lib as lib, resources as resources, types as types
    from ._binary import HttpxBinaryResponseContent as HttpxBinaryResponseContent
    from ._call_errors import ClientClosedError as ClientClosedError
    from ._client import (
        OpenAI as AsyncClient,
        OpenAI as AsyncOpenAI,
        OpenAI as Client,
        OpenAI as OpenAI,
    )
    from ._hedge import AdaptiveHedge as AdaptiveHedge
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
    from ._streaming import ByteStream as ByteStream, Stream as AsyncStream, Stream as Stream
    from ._webhooks import (
        InvalidSignatureError as InvalidSignatureError,
        InvalidTimestampError as InvalidTimestampError,
        InvalidWebhookSignatureError as InvalidWebhookSignatureError,
        MissingHeaderError as MissingHeaderError,
        MissingSecretError as MissingSecretError,
        TimestampTooNewError as TimestampTooNewError,
        TimestampTooOldError as TimestampTooOldError,
        Webhooks as Webhooks,
        WebhookVerificationError as WebhookVerificationError,
    )
    from ._websocket import WebSocketConnectionError as WebSocketConnectionError
    from ._ws_reconnect import (
        ReconnectingEvent as ReconnectingEvent,
        ReconnectingOverrides as ReconnectingOverrides,
        WebSocketInterruptedError as WebSocketInterruptedError,
        WebSocketQueueFullError as WebSocketQueueFullError,
    )
    from .azure import AzureOpenAI as AsyncAzureOpenAI, AzureOpenAI as AzureOpenAI
    from .lib._parse_errors import (
        ContentFilterFinishReasonError as ContentFilterFinishReasonError,
        LengthFinishReasonError as LengthFinishReasonError,
    )
    from .lib._pydantic_tools import (
        pydantic_function_tool as pydantic_function_tool,
        pydantic_responses_function_tool as pydantic_responses_function_tool,
    )

# name -> the module defining it, or (module, its name there) for openai-python's aliases
_LAZY: dict[str, str | tuple[str, str]] = {
    "OpenAI": "._client",
    **dict.fromkeys(("AsyncOpenAI", "Client", "AsyncClient"), ("._client", "OpenAI")),
    "AdaptiveHedge": "._hedge",
    "AzureOpenAI": ".azure",
    "AsyncAzureOpenAI": (".azure", "AzureOpenAI"),
    "HttpxBinaryResponseContent": "._binary",
    "LengthFinishReasonError": ".lib._parse_errors",
    "ContentFilterFinishReasonError": ".lib._parse_errors",
    "pydantic_function_tool": ".lib._pydantic_tools",
    "pydantic_responses_function_tool": ".lib._pydantic_tools",
    "DefaultAsyncHttpxClient": "._http_client",
    "DefaultHttpClient": "._http_client",
    "RealtimeConnection": "._realtime",
    "RealtimeConnectionError": "._realtime",
    "RealtimeError": "._realtime",
    "ResponsesWebSocket": "._responses_ws",
    "ResponsesWebSocketError": "._responses_ws",
    "WebSocketConnectionError": "._websocket",
    "ReconnectingEvent": "._ws_reconnect",
    "ReconnectingOverrides": "._ws_reconnect",
    "WebSocketInterruptedError": "._ws_reconnect",
    "WebSocketQueueFullError": "._ws_reconnect",
    # webhooks: hmac and its own checks, wanted only by a webhook receiver
    **dict.fromkeys(
        (
            "InvalidSignatureError",
            "InvalidTimestampError",
            "InvalidWebhookSignatureError",
            "MissingHeaderError",
            "MissingSecretError",
            "TimestampTooNewError",
            "TimestampTooOldError",
            "Webhooks",
            "WebhookVerificationError",
        ),
        "._webhooks",
    ),
    "AsyncPaginator": "._pagination",
    "Page": "._pagination",
    "APIResponse": "._response",
    "AsyncAPIResponse": "._response",
    "ClientClosedError": "._call_errors",
    "ByteStream": "._streaming",
    "Stream": "._streaming",
    "AsyncStream": ("._streaming", "Stream"),
}

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AdaptiveHedge",
    "AsyncAPIResponse",
    "AsyncAzureOpenAI",
    "AsyncClient",
    "AsyncOpenAI",
    "AsyncPaginator",
    "AsyncStream",
    "AuthProvider",
    "AuthenticationError",
    "AzureOpenAI",
    "BadRequestError",
    "ByteStream",
    "CallNext",
    "CallOptions",
    "Client",
    "ClientClosedError",
    "ConflictError",
    "ContentFilterFinishReasonError",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "DataResidency",
    "DefaultAsyncHttpxClient",
    "DefaultHttpClient",
    "EventTooLargeError",
    "HttpxBinaryResponseContent",
    "InternalServerError",
    "InvalidSignatureError",
    "InvalidTimestampError",
    "InvalidWebhookSignatureError",
    "LengthFinishReasonError",
    "Middleware",
    "MissingHeaderError",
    "MissingSecretError",
    "NotFoundError",
    "NotGiven",
    "Omit",
    "OpenAI",
    "OpenAIError",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "RealtimeConnection",
    "RealtimeConnectionError",
    "RealtimeError",
    "ReconnectingEvent",
    "ReconnectingOverrides",
    "RequestOptions",
    "ResponsesWebSocket",
    "ResponsesWebSocketError",
    "Stream",
    "StreamError",
    "StreamInterruptedError",
    "StreamStalledError",
    "Timeout",
    "TimestampTooNewError",
    "TimestampTooOldError",
    "UnknownVariant",
    "UnprocessableEntityError",
    "VERSION",
    "WebSocketConnectionError",
    "WebSocketInterruptedError",
    "WebSocketQueueFullError",
    "WebhookVerificationError",
    "Webhooks",
    "__version__",
    "file_from_path",
    "not_given",
    "omit",
    "pydantic_function_tool",
    "pydantic_responses_function_tool",
]


def file_from_path(path: str | os.PathLike[str]) -> tuple[str, pathlib.Path]:
    """openai-python's ``file_from_path``: a file argument named after the file.

    The same upload (the file's name, its bytes), but the file is read in chunks while the
    request is sent rather than loaded here: reading a whole file would block the Trio
    loop, and a large one would sit in memory (docs/file-uploads.md).
    """
    return os.path.basename(path), pathlib.Path(path)


# Subpackages reachable as attributes after `import trio_openai` (as `openai.types` is),
# imported on first use.
_SUBPACKAGES = frozenset({"auth", "lib", "resources", "types"})


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)  # sets the attribute itself
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'trio_openai' has no attribute {name!r}")
    module, attribute = (target, name) if isinstance(target, str) else target
    value = getattr(importlib.import_module(module, __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
