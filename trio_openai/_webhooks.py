"""Webhook signature verification and unwrapping (Standard Webhooks rules).

OpenAI signs each webhook delivery with three headers:

    webhook-id          the delivery id (constant across retries)
    webhook-timestamp   Unix seconds, as a decimal integer
    webhook-signature   space-separated entries `v1,<base64 HMAC-SHA256>`

The signed content is the bytes `{id}.{timestamp}.{body}`. The key is the secret's base64
part when the secret starts with `whsec_` (the form the dashboard shows), otherwise the
secret's UTF-8 bytes, as openai-python does. Entries of versions other than `v1` are
ignored; any matching `v1` entry accepts, so a sender can rotate secrets. Timestamps more
than `tolerance` seconds in the past or in the future are rejected (replay protection);
the clock is read in whole seconds, like openai-python and the Standard Webhooks libraries.

Differences from openai-python, on purpose: an entry without the `v1,` prefix is ignored
(openai-python compares it as a bare signature); the body's bytes are signed as received
(openai-python decodes them as UTF-8 first, failing on other bytes); the timestamp must be
ASCII digits; an empty secret counts as missing.

Typed events: `Webhooks.unwrap` decodes with the generated models when `trio_openai.types`
provides `decoder_for(name)`. It asks, in order, for a union named `UnwrapWebhookEvent`
(openai-python's name) or `WebhookEvent`; the spec defines no such union, so failing those
it dispatches on the event's `type` to the 16 schemas listed under the spec's top-level
`webhooks:` key (`_EVENT_SCHEMAS`). An unknown type becomes an `UnknownVariant`.

Pure module: no trio, no httpx. No message or repr contains the secret.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast, final, overload

import orjson

from ._errors import OpenAIError

__all__ = [
    "InvalidSignatureError",
    "InvalidTimestampError",
    "InvalidWebhookSignatureError",
    "MissingHeaderError",
    "MissingSecretError",
    "TimestampTooNewError",
    "TimestampTooOldError",
    "WebhookVerificationError",
    "Webhooks",
    "unwrap",
    "verify_signature",
]

T = TypeVar("T")

if TYPE_CHECKING:
    from .types.webhooks import (
        WebhookBatchCancelled,
        WebhookBatchCompleted,
        WebhookBatchExpired,
        WebhookBatchFailed,
        WebhookEvalRunCanceled,
        WebhookEvalRunFailed,
        WebhookEvalRunSucceeded,
        WebhookFineTuningJobCancelled,
        WebhookFineTuningJobFailed,
        WebhookFineTuningJobSucceeded,
        WebhookLiveCallIncoming,
        WebhookRealtimeCallIncoming,
        WebhookResponseCancelled,
        WebhookResponseCompleted,
        WebhookResponseFailed,
        WebhookResponseIncomplete,
    )

    # What `Webhooks.unwrap` returns: the event's model, narrowed by `event.type`. An event
    # type newer than this library arrives as an `UnknownVariant` (the `else` branch), left
    # out of the static union as in every generated union (docs/unions.md).
    UnwrapWebhookEvent: TypeAlias = (
        WebhookBatchCancelled
        | WebhookBatchCompleted
        | WebhookBatchExpired
        | WebhookBatchFailed
        | WebhookEvalRunCanceled
        | WebhookEvalRunFailed
        | WebhookEvalRunSucceeded
        | WebhookFineTuningJobCancelled
        | WebhookFineTuningJobFailed
        | WebhookFineTuningJobSucceeded
        | WebhookLiveCallIncoming
        | WebhookRealtimeCallIncoming
        | WebhookResponseCancelled
        | WebhookResponseCompleted
        | WebhookResponseFailed
        | WebhookResponseIncomplete
    )

DEFAULT_TOLERANCE = 300.0

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"

# Event `type` -> component schema, from the spec's top-level `webhooks:` section.
_EVENT_SCHEMAS: dict[str, str] = {
    "batch.cancelled": "WebhookBatchCancelled",
    "batch.completed": "WebhookBatchCompleted",
    "batch.expired": "WebhookBatchExpired",
    "batch.failed": "WebhookBatchFailed",
    "eval.run.canceled": "WebhookEvalRunCanceled",
    "eval.run.failed": "WebhookEvalRunFailed",
    "eval.run.succeeded": "WebhookEvalRunSucceeded",
    "fine_tuning.job.cancelled": "WebhookFineTuningJobCancelled",
    "fine_tuning.job.failed": "WebhookFineTuningJobFailed",
    "fine_tuning.job.succeeded": "WebhookFineTuningJobSucceeded",
    "live.call.incoming": "WebhookLiveCallIncoming",
    "realtime.call.incoming": "WebhookRealtimeCallIncoming",
    "response.cancelled": "WebhookResponseCancelled",
    "response.completed": "WebhookResponseCompleted",
    "response.failed": "WebhookResponseFailed",
    "response.incomplete": "WebhookResponseIncomplete",
}

_UNION_NAMES = ("UnwrapWebhookEvent", "WebhookEvent")


# --- errors -------------------------------------------------------------------------------


class WebhookVerificationError(OpenAIError, ValueError):
    """A webhook delivery failed verification, or its verified body is not a JSON object.

    Also a `ValueError`, like openai-python's `InvalidWebhookSignatureError`, so code
    that catches `ValueError` around `unwrap` keeps working.
    """


class MissingSecretError(WebhookVerificationError):
    """No webhook secret was given, nor configured on the client."""

    def __init__(self) -> None:
        super().__init__(
            "no webhook secret: pass secret=..., or set it on the client "
            "(OpenAI(webhook_secret=...) or the OPENAI_WEBHOOK_SECRET environment variable)"
        )


class MissingHeaderError(WebhookVerificationError):
    """A required `webhook-*` header is absent (or empty)."""

    header: str

    def __init__(self, header: str) -> None:
        super().__init__(f"the webhook request has no {header!r} header")
        self.header = header


class InvalidWebhookSignatureError(WebhookVerificationError):
    """The delivery is not authentic: a bad or out-of-range timestamp, or no matching
    signature.

    openai-python's name, over the same cases as there (its ``verify_signature`` raises a
    plain `ValueError` for a missing secret or header; here those are the sibling
    `MissingSecretError` / `MissingHeaderError`), so a ported ``except`` clause catches
    what it caught before.
    """


class InvalidTimestampError(InvalidWebhookSignatureError):
    """The `webhook-timestamp` header is not a decimal integer."""

    def __init__(self, value: str) -> None:
        shown = value if len(value) <= 40 else value[:40] + "..."
        super().__init__(f"the webhook-timestamp header is not an integer: {shown!r}")


class _TimestampOutOfRange(InvalidWebhookSignatureError):
    timestamp: int
    now: int
    tolerance: float

    def __init__(self, message: str, *, timestamp: int, now: int, tolerance: float) -> None:
        super().__init__(message)
        self.timestamp = timestamp
        self.now = now
        self.tolerance = tolerance


class TimestampTooOldError(_TimestampOutOfRange):
    """The delivery is older than the tolerance: possibly a replay."""


class TimestampTooNewError(_TimestampOutOfRange):
    """The delivery claims a time further in the future than the tolerance."""


class InvalidSignatureError(InvalidWebhookSignatureError):
    """No `v1` entry of `webhook-signature` matches the expected signature."""


# --- verification -------------------------------------------------------------------------


def _collect_headers(headers: Any) -> dict[str, list[str]]:
    """Lower-cased name -> values, from a mapping, httpx.Headers or (name, value) pairs.

    Pairs may be bytes, as in an ASGI scope. httpx.Headers and similar multi-dicts are read
    through `multi_items()` so repeated headers are not merged with commas.
    """
    pairs: Iterable[tuple[str | bytes, str | bytes]]
    if hasattr(headers, "multi_items"):
        pairs = headers.multi_items()
    elif isinstance(headers, Mapping):
        pairs = cast("Mapping[str | bytes, str | bytes]", headers).items()
    else:
        pairs = headers
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        if isinstance(name, bytes | bytearray):
            name = bytes(name).decode("latin-1")
        if isinstance(value, bytes | bytearray):
            value = bytes(value).decode("latin-1")
        found.setdefault(name.lower(), []).append(value)
    return found


def _required(found: Mapping[str, list[str]], name: str) -> str:
    for value in found.get(name, ()):
        value = value.strip()
        if value:
            return value
    raise MissingHeaderError(name)


def _key(secret: str | None) -> bytes:
    if not secret:
        raise MissingSecretError
    if secret.startswith("whsec_"):
        try:
            # Not validating: openai-python accepts (and ignores) stray characters too.
            return base64.b64decode(secret[6:])
        except (binascii.Error, ValueError):
            raise WebhookVerificationError(
                "the webhook secret starts with 'whsec_' but the rest is not valid base64"
            ) from None
    return secret.encode()


def _body_bytes(body: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(body, str):
        try:
            # surrogateescape gives back the original bytes of a body that was decoded
            # with it; any other lone surrogate cannot have been signed.
            return body.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raise InvalidSignatureError("the webhook body is not encodable as UTF-8") from None
    return bytes(body)


def _v1_signatures(header: str) -> list[bytes]:
    signatures: list[bytes] = []
    for entry in header.split():
        version, sep, signature = entry.partition(",")
        if sep and version == "v1" and signature:
            signatures.append(signature.encode("utf-8", "replace"))
    return signatures


def verify_signature(
    body: bytes | str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    secret: str,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Check that `body` with `headers` was signed with `secret`, recently.

    `headers` is any mapping (looked up case-insensitively; httpx.Headers works) or an
    iterable of `(name, value)` pairs, str or bytes. `now` (Unix seconds, default the
    clock) is for tests. Returns None on success; raises a `WebhookVerificationError`:
    `MissingSecretError`, `MissingHeaderError`, `InvalidTimestampError`,
    `TimestampTooOldError`, `TimestampTooNewError` or `InvalidSignatureError`.
    """
    key = _key(secret)
    found = _collect_headers(headers)
    webhook_id = _required(found, ID_HEADER)
    timestamp = _required(found, TIMESTAMP_HEADER)
    signature_header = " ".join(found.get(SIGNATURE_HEADER, ()))
    if not signature_header.strip():
        raise MissingHeaderError(SIGNATURE_HEADER)

    try:
        if not (timestamp.isascii() and timestamp.isdigit()):
            raise ValueError
        sent_at = int(timestamp)  # ValueError past sys.get_int_max_str_digits()
    except ValueError:
        raise InvalidTimestampError(timestamp) from None
    now_s = math.floor(time.time() if now is None else now)
    if now_s - sent_at > tolerance:
        raise TimestampTooOldError(
            f"the webhook timestamp is {now_s - sent_at} s old, more than the tolerance "
            f"of {tolerance:g} s",
            timestamp=sent_at,
            now=now_s,
            tolerance=tolerance,
        )
    if sent_at - now_s > tolerance:
        raise TimestampTooNewError(
            f"the webhook timestamp is {sent_at - now_s} s in the future, more than the "
            f"tolerance of {tolerance:g} s",
            timestamp=sent_at,
            now=now_s,
            tolerance=tolerance,
        )

    candidates = _v1_signatures(signature_header)
    if not candidates:
        raise InvalidSignatureError("the webhook-signature header has no 'v1,<base64>' entry")
    signed = b"%s.%s.%s" % (webhook_id.encode(), timestamp.encode(), _body_bytes(body))
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    # Compare against every entry (no early exit) so timing says nothing about which matched.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise InvalidSignatureError("no v1 signature in the webhook-signature header matches")


def _parse(body: bytes | str) -> dict[str, Any]:
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise WebhookVerificationError(f"the verified webhook body is not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("the verified webhook body is not a JSON object")
    return cast("dict[str, Any]", event)  # a JSON object: string keys


@overload
def unwrap(
    body: bytes | str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    secret: str,
    tolerance: float = ...,
    now: float | None = ...,
    decode: None = ...,
) -> dict[str, Any]: ...
@overload
def unwrap(
    body: bytes | str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    secret: str,
    tolerance: float = ...,
    now: float | None = ...,
    decode: Callable[[dict[str, Any]], T],
) -> T: ...
def unwrap(
    body: bytes | str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    secret: str,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
    decode: Callable[[dict[str, Any]], Any] | None = None,
) -> Any:
    """Verify like `verify_signature`, then parse the body: `decode(event_dict)`, or the dict.

    Raises what `verify_signature` raises, and `WebhookVerificationError` when the
    (authentic) body is not a JSON object.
    """
    verify_signature(body, headers, secret=secret, tolerance=tolerance, now=now)
    event = _parse(body)
    return event if decode is None else decode(event)


# --- typed events -------------------------------------------------------------------------


def _lookup(decoder_for: Callable[[str], Any], name: str) -> Callable[[Any], Any] | None:
    try:
        found = decoder_for(name)
    except LookupError:
        return None
    return found if callable(found) else None


def _unknown(event: dict[str, Any]) -> object:
    """An event type newer than this library: kept whole, as unions keep unknown kinds."""
    from ._models import UnknownVariant

    return UnknownVariant(extra=event)


@functools.cache
def _typed_decoder() -> Callable[[dict[str, Any]], Any] | None:
    """The generated models' webhook event decoder, or None while they do not exist."""
    try:
        from trio_openai.types import decoder_for
    except ImportError:
        return None
    for union in _UNION_NAMES:
        found = _lookup(decoder_for, union)
        if found is not None:
            return found

    resolved: dict[str, Callable[[Any], Any] | None] = {}

    def decode_by_type(event: dict[str, Any]) -> Any:
        kind = event.get("type")
        schema = _EVENT_SCHEMAS.get(kind) if isinstance(kind, str) else None
        if schema is None or not isinstance(kind, str):
            return _unknown(event)  # an event type newer than this library
        if kind not in resolved:
            resolved[kind] = _lookup(decoder_for, schema)
        fn = resolved[kind]
        return _unknown(event) if fn is None else fn(event)

    return decode_by_type


@final
class Webhooks:
    """`client.webhooks`: verify and unwrap deliveries with the client's webhook secret.

    The secret given to a call wins over the one held here (`OpenAI(webhook_secret=...)`
    or `OPENAI_WEBHOOK_SECRET`).
    """

    __slots__ = ("_secret",)

    def __init__(self, secret: str | None) -> None:
        self._secret = secret

    def __repr__(self) -> str:
        return f"<Webhooks secret={'set' if self._secret else 'unset'}>"

    def verify_signature(
        self,
        body: bytes | str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        secret: str | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
        now: float | None = None,
    ) -> None:
        """See the module function `verify_signature`; raises `MissingSecretError` if no
        secret is given here or held by the client."""
        verify_signature(
            body, headers, secret=_pick(secret, self._secret), tolerance=tolerance, now=now
        )

    def unwrap(
        self,
        body: bytes | str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        secret: str | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
        now: float | None = None,
    ) -> UnwrapWebhookEvent:
        """Verify, parse and decode a delivery into a typed webhook event.

        Returns the generated model of the event (see the module docstring); an event
        type newer than this library is an `UnknownVariant` holding the whole object.
        """
        self.verify_signature(body, headers, secret=secret, tolerance=tolerance, now=now)
        event = _parse(body)
        decode = _typed_decoder()
        return _unknown(event) if decode is None else decode(event)  # pyright: ignore[reportReturnType]


def _pick(given: str | None, held: str | None) -> str:
    secret = given if given is not None else held
    if not secret:
        raise MissingSecretError
    return secret
