"""SessionSpan: one span per WebSocket session (Realtime, the Responses WebSocket).

A session is one long-lived socket carrying many client and server events, not an HTTP
attempt: it reaches the middleware through the session hook of trio_openai._operation.
The span covers the session's ``async with`` block, from before the handshake to after
the close; its events are the client events sent, the server events received and the
reconnections; its attributes add up the token usage of the responses it carried.

Events say their ``type`` only, unless content capture is on: then the event's JSON too,
with audio payloads left out (as the HTTP path records audio by its type only) and any
``client_secret`` removed. Handshake headers (the credentials) are never seen here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, cast

import orjson
import trio
from opentelemetry.trace import SpanKind, Status, StatusCode

from ._attributes import AttributeValue

if TYPE_CHECKING:
    from ._middleware import OTelMiddleware

__all__ = ["SessionSpan", "event_content"]

log: Final = logging.getLogger("trio_openai.otel")

SENT: Final = "trio_openai.websocket.sent"
RECEIVED: Final = "trio_openai.websocket.received"
RECONNECTING: Final = "trio_openai.websocket.reconnecting"
RECONNECTED: Final = "trio_openai.websocket.reconnected"
# The events that carry a finished response (and its usage).
_RESPONSE_DONE: Final = frozenset(
    {"response.done", "response.completed", "response.failed", "response.incomplete"}
)
_OMITTED: Final = "<omitted>"
_SECRET_KEYS: Final = frozenset({"client_secret", "api_key", "authorization"})
_AUDIO_KEYS: Final = frozenset({"audio", "delta"})


def _type_of_text(text: str) -> object:
    # What the client sends starts with its type (dump_json keeps the keys' order, and
    # every helper puts "type" first): read it without parsing a message that may hold
    # seconds of base64 audio.
    if text.startswith('{"type":"'):
        end = text.find('"', 9)
        if end > 0:
            return text[9:end]
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return cast("Mapping[str, object]", obj).get("type") if isinstance(obj, dict) else None


def _redacted(value: object, *, audio: bool) -> object:
    """`value` without secrets, and without audio payloads when it is an audio event."""
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, item in cast("dict[str, object]", value).items():
            if key in _SECRET_KEYS or (audio and key in _AUDIO_KEYS and isinstance(item, str)):
                out[key] = _OMITTED
            else:
                out[key] = _redacted(item, audio=audio)
        return out
    if isinstance(value, list):
        return [_redacted(item, audio=audio) for item in cast("list[object]", value)]
    return value


def event_content(obj: Mapping[str, object], kind: object) -> str:
    """The JSON of an event as recorded with content capture on."""
    audio = isinstance(kind, str) and "audio" in kind
    return orjson.dumps(_redacted(dict(obj), audio=audio)).decode()


class SessionSpan:
    """The span of one WebSocket session (a `trio_openai._operation.SessionObserver`)."""

    def __init__(
        self,
        owner: OTelMiddleware,
        *,
        operation: str,
        api_type: str,
        model: str | None,
        server: dict[str, AttributeValue],
    ) -> None:
        self.owner = owner
        self.operation = operation
        attrs: dict[str, AttributeValue] = {
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": "openai",
            "openai.api.type": api_type,
            **server,
        }
        if model is not None:
            attrs["gen_ai.request.model"] = model
        self.model = model
        name = operation if model is None else f"{operation} {model}"
        self.span = owner.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attrs)
        self.recording = self.span.is_recording()
        self.capture = owner.capture_content and self.recording
        self.sent_count = 0
        self.received_count = 0
        self.reconnects = 0
        self.responses = 0
        self.usage: dict[str, int] = {}
        self.response_models: dict[str, None] = {}
        self.ended_ = False

    def sent(self, text: str) -> None:
        if not self.recording:
            return
        try:
            self.sent_count += 1
            kind = _type_of_text(text)
            attrs: dict[str, AttributeValue] = {}
            if isinstance(kind, str):
                attrs["openai.event.type"] = kind
            if self.capture or (kind == "response.create" and self.model is None):
                obj = orjson.loads(text)
                if isinstance(obj, dict):
                    event = cast("Mapping[str, object]", obj)
                    if self.capture:
                        attrs["trio_openai.event.content"] = event_content(event, kind)
                    if kind == "response.create":
                        self._request_model(event)
            self.span.add_event(SENT, attrs)
        except Exception:  # telemetry never breaks a session
            _log_failure("sent")

    def _request_model(self, event: Mapping[str, object]) -> None:
        # The Responses WebSocket names no model when it opens: its first response does.
        model = event.get("model")
        if isinstance(model, str) and self.model is None:
            self.model = model
            self.span.set_attribute("gen_ai.request.model", model)
            self.span.update_name(f"{self.operation} {model}")

    def received(self, event: Mapping[str, Any]) -> None:
        if not self.recording:
            return
        try:
            self.received_count += 1
            kind = event.get("type")
            attrs: dict[str, AttributeValue] = {}
            if isinstance(kind, str):
                attrs["openai.event.type"] = kind
            if kind == "error":
                error = event.get("error")
                code = (
                    cast("Mapping[str, object]", error).get("code")
                    if isinstance(error, dict)
                    else None
                )
                if isinstance(code, str):
                    attrs["error.type"] = code
            elif kind in _RESPONSE_DONE:
                self._response_done(event.get("response"))
            if self.capture:
                attrs["trio_openai.event.content"] = event_content(event, kind)
            self.span.add_event(RECEIVED, attrs)
        except Exception:
            _log_failure("received")

    def _response_done(self, response: object) -> None:
        if not isinstance(response, dict):
            return
        fields = cast("Mapping[str, object]", response)
        self.responses += 1
        model = fields.get("model")
        if isinstance(model, str):
            self.response_models[model] = None
        usage = fields.get("usage")
        if not isinstance(usage, dict):
            return
        counts = cast("Mapping[str, object]", usage)
        self._add("gen_ai.usage.input_tokens", counts.get("input_tokens"))
        self._add("gen_ai.usage.output_tokens", counts.get("output_tokens"))
        # Realtime says input_token_details, the Responses API input_tokens_details.
        for details_key, key, name in (
            ("input_token_details", "cached_tokens", "gen_ai.usage.cache_read.input_tokens"),
            ("input_tokens_details", "cached_tokens", "gen_ai.usage.cache_read.input_tokens"),
            ("output_token_details", "reasoning_tokens", "gen_ai.usage.reasoning.output_tokens"),
            (
                "output_tokens_details",
                "reasoning_tokens",
                "gen_ai.usage.reasoning.output_tokens",
            ),
        ):
            details = counts.get(details_key)
            if isinstance(details, dict):
                self._add(name, cast("Mapping[str, object]", details).get(key))

    def _add(self, name: str, value: object) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.usage[name] = self.usage.get(name, 0) + value

    def reconnecting(self, attempt: int, delay: float, close_code: int) -> None:
        self.reconnects += 1
        if not self.recording:
            return
        attrs: dict[str, AttributeValue] = {
            "trio_openai.attempt": attempt,
            "trio_openai.retry.delay": delay,
            "trio_openai.websocket.close_code": close_code,
        }
        try:
            self.span.add_event(RECONNECTING, attrs)
        except Exception:
            _log_failure("reconnecting")

    def reconnected(self) -> None:
        if not self.recording:
            return
        try:
            self.span.add_event(RECONNECTED, {})
        except Exception:
            _log_failure("reconnected")

    def ended(self, error: BaseException | None, close_code: int | None) -> None:
        if self.ended_:
            return
        self.ended_ = True
        span = self.span
        try:
            if self.recording:
                attrs: dict[str, AttributeValue] = dict(self.usage)
                attrs["trio_openai.websocket.events_sent"] = self.sent_count
                attrs["trio_openai.websocket.events_received"] = self.received_count
                attrs["trio_openai.websocket.responses"] = self.responses
                attrs["trio_openai.websocket.reconnects"] = self.reconnects
                if len(self.response_models) == 1:  # (several: none is "the" model)
                    attrs["gen_ai.response.model"] = next(iter(self.response_models))
                if close_code is not None:
                    attrs["trio_openai.websocket.close_code"] = close_code
                reason = "complete"
                if error is not None and _is_cancellation(error):
                    reason = "cancelled"
                elif error is not None:
                    reason = "error"
                    attrs["error.type"] = type(error).__qualname__
                    span.set_status(Status(StatusCode.ERROR, type(error).__qualname__))
                attrs["trio_openai.end_reason"] = reason
                span.set_attributes(attrs)
        except Exception:
            _log_failure("ended")
        finally:
            span.end()


def _is_cancellation(error: BaseException) -> bool:
    if isinstance(error, trio.Cancelled):
        return True
    if isinstance(error, BaseExceptionGroup):
        group = cast("BaseExceptionGroup[BaseException]", error)
        return all(_is_cancellation(inner) for inner in group.exceptions)
    return False


def _log_failure(where: str) -> None:
    log.debug("telemetry failed in SessionSpan.%s", where, exc_info=True)
