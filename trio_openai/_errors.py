"""The exception tree.

    OpenAIError
     +-- APIError                      (has .request)
     |    +-- APIStatusError           (has .response, .status_code, .body, .request_id)
     |    |    +-- BadRequestError, AuthenticationError, PermissionDeniedError,
     |    |        NotFoundError, ConflictError, UnprocessableEntityError,
     |    |        RateLimitError, InternalServerError
     |    +-- APIConnectionError
     |    |    +-- APITimeoutError
     |    +-- APIResponseValidationError  (a body or event that cannot be decoded)
     |    |    +-- EventTooLargeError
     |    +-- StreamError              (an error event inside a stream)
     +-- WebhookVerificationError ... (see _webhooks)

Pure module: httpx objects are carried, never imported at run time. Messages and reprs
never contain credentials: bodies are the server's, headers are shown redacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

from ._redact import redact_headers

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "EventTooLargeError",
    "InternalServerError",
    "NotFoundError",
    "OpenAIError",
    "PermissionDeniedError",
    "RateLimitError",
    "StreamError",
    "UnprocessableEntityError",
]


class OpenAIError(Exception):
    """Base of every error this library raises on purpose."""


def _error_fields(body: object) -> dict[str, Any]:
    """The `{"error": {...}}` object of an OpenAI error body, or the body itself."""
    if isinstance(body, Mapping):
        fields = cast("Mapping[str, Any]", body)  # a decoded JSON object: string keys
        inner: object = fields.get("error")
        if isinstance(inner, Mapping):
            return dict(cast("Mapping[str, Any]", inner))
        return dict(fields)
    return {}


class APIError(OpenAIError):
    """A failure talking to the API. `request` is the httpx.Request that failed."""

    message: str
    request: httpx.Request | None
    body: object
    code: str | None
    param: str | None
    type: str | None

    def __init__(self, message: str, request: httpx.Request | None, *, body: object = None):
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body
        fields = _error_fields(body)
        code = fields.get("code")
        self.code = None if code is None else str(code)
        param = fields.get("param")
        self.param = None if param is None else str(param)
        typ = fields.get("type")
        self.type = typ if isinstance(typ, str) else None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def dump(self) -> dict[str, Any]:
        """A JSON-able description for logs and bug reports, credentials redacted."""
        out: dict[str, Any] = {"error": type(self).__name__, "message": self.message}
        if self.request is not None:
            out["request"] = {
                "method": self.request.method,
                "url": str(self.request.url),
                "headers": redact_headers(self.request.headers.items()),
            }
        if self.body is not None:
            out["body"] = self.body
        return out


class APIStatusError(APIError):
    """The server answered with a 4xx or 5xx status."""

    response: httpx.Response
    status_code: int
    request_id: str | None

    def __init__(self, message: str, *, response: httpx.Response, body: object) -> None:
        super().__init__(message, response.request, body=body)
        self.response = response
        self.status_code = response.status_code
        self.request_id = response.headers.get("x-request-id")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, "
            f"request_id={self.request_id!r}, message={self.message!r})"
        )

    def dump(self) -> dict[str, Any]:
        out = super().dump()
        out["status_code"] = self.status_code
        out["request_id"] = self.request_id
        out["response_headers"] = redact_headers(self.response.headers.items())
        return out


# Each subclass narrows `status_code` to the one code it is raised for (as openai-python does),
# so `except RateLimitError as e` sees Literal[429]. pyright flags narrowing a mutable attribute;
# nothing assigns it after __init__ sets it from the response, so the narrowing holds.
class BadRequestError(APIStatusError):
    status_code: Literal[400]  # pyright: ignore[reportIncompatibleVariableOverride]


class AuthenticationError(APIStatusError):
    status_code: Literal[401]  # pyright: ignore[reportIncompatibleVariableOverride]


class PermissionDeniedError(APIStatusError):
    status_code: Literal[403]  # pyright: ignore[reportIncompatibleVariableOverride]


class NotFoundError(APIStatusError):
    status_code: Literal[404]  # pyright: ignore[reportIncompatibleVariableOverride]


class ConflictError(APIStatusError):
    status_code: Literal[409]  # pyright: ignore[reportIncompatibleVariableOverride]


class UnprocessableEntityError(APIStatusError):
    status_code: Literal[422]  # pyright: ignore[reportIncompatibleVariableOverride]


class RateLimitError(APIStatusError):
    status_code: Literal[429]  # pyright: ignore[reportIncompatibleVariableOverride]


class InternalServerError(APIStatusError):
    pass


class APIConnectionError(APIError):
    """The request never got a complete answer: refused, reset, broken, or timed out."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None):
        super().__init__(message, request)


class APITimeoutError(APIConnectionError):
    """A time limit of this library expired (never the caller's own cancel scope)."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request | None):
        super().__init__(message, request=request)


class APIResponseValidationError(APIError):
    """A body or stream event that is not what the API promises (bad JSON, bad UTF-8...)."""

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        response: httpx.Response | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message, request, body=body)
        self.response = response
        self.status_code = None if response is None else response.status_code


class EventTooLargeError(APIResponseValidationError):
    """A server-sent event grew past the configured maximum size."""


class StreamError(APIError):
    """The server reported an error inside a stream (`event: error` or an `error` object)."""

    def __init__(self, message: str, *, request: httpx.Request | None, body: object) -> None:
        super().__init__(message, request, body=body)


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    if status_code in _STATUS_CLASSES:
        return _STATUS_CLASSES[status_code]
    if status_code >= 500:
        return InternalServerError
    return APIStatusError


def make_status_error(response: httpx.Response, body: object) -> APIStatusError:
    """The typed error for a 4xx/5xx response whose body was already read and parsed."""
    fields = _error_fields(body)
    detail = fields.get("message")
    if isinstance(detail, str) and detail:
        message = f"Error code: {response.status_code} - {detail}"
    elif body not in (None, ""):
        message = f"Error code: {response.status_code} - {body!r}"[:2000]
    else:
        message = f"Error code: {response.status_code}"
    return status_error_class(response.status_code)(message, response=response, body=body)
