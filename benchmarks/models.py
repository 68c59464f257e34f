"""The typed decoders trio_openai uses in the benchmark.

When the generated models exist (``trio_openai.types.decoder_for``), they are used: that
is what a user of ``client.chat.completions.stream(...)`` gets. Otherwise a small
hand-written stand-in below does the same kind of work: frozen slotted attrs classes built
by straight-line code, one ``dict.get`` per field, unknown keys kept, and a dict lookup on
``type`` for Responses events. The ``trio_openai_fallback`` and ``trio_openai_dicts`` clients of the
experiments force the stand-in or plain dicts, to compare.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["Decoders", "load_decoders"]

Decode = Callable[[Any], Any]


@attrs.frozen
class Decoders:
    source: str  # "generated" or "fallback"
    chat_chunk: Decode
    response_event: Decode
    chat_completion: Decode


def _identity(value: Any) -> Any:
    return value


def load_decoders(which: str = "auto") -> Decoders:
    """``auto`` (generated if present), ``generated``, ``fallback``, or ``none`` (dicts)."""
    if which == "none":
        return Decoders("none", _identity, _identity, _identity)
    if which in ("auto", "generated"):
        try:
            from trio_openai.types import decoder_for
        except ImportError:
            if which == "generated":
                raise
        else:
            return Decoders(
                "generated",
                decoder_for("CreateChatCompletionStreamResponse"),
                decoder_for("ResponseStreamEvent"),
                decoder_for("CreateChatCompletionResponse"),
            )
    return Decoders(
        "fallback", ChatCompletionChunk.from_dict, decode_response_event, ChatCompletion.from_dict
    )


# -- the hand-written stand-in -------------------------------------------------------------


def _extra(d: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    if len(d) <= len(known) and d.keys() <= known:
        return {}
    return {k: v for k, v in d.items() if k not in known}


@attrs.frozen(slots=True, kw_only=True)
class ChoiceDelta:
    content: str | None
    role: str | None
    refusal: str | None
    tool_calls: list[Any] | None
    extra: dict[str, Any]

    _KEYS = frozenset({"content", "role", "refusal", "tool_calls"})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChoiceDelta:
        get = d.get
        return cls(
            content=get("content"),
            role=get("role"),
            refusal=get("refusal"),
            tool_calls=get("tool_calls"),
            extra=_extra(d, cls._KEYS),
        )


@attrs.frozen(slots=True, kw_only=True)
class ChunkChoice:
    index: int
    delta: ChoiceDelta
    finish_reason: str | None
    logprobs: Any
    extra: dict[str, Any]

    _KEYS = frozenset({"index", "delta", "finish_reason", "logprobs"})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChunkChoice:
        get = d.get
        return cls(
            index=get("index"),
            delta=ChoiceDelta.from_dict(get("delta") or {}),
            finish_reason=get("finish_reason"),
            logprobs=get("logprobs"),
            extra=_extra(d, cls._KEYS),
        )


@attrs.frozen(slots=True, kw_only=True)
class ChatCompletionChunk:
    id: str
    object: str
    created: int
    model: str
    choices: list[ChunkChoice]
    service_tier: str | None
    system_fingerprint: str | None
    usage: dict[str, Any] | None
    extra: dict[str, Any]

    _KEYS = frozenset(
        {
            "id",
            "object",
            "created",
            "model",
            "choices",
            "service_tier",
            "system_fingerprint",
            "usage",
        }
    )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChatCompletionChunk:
        get = d.get
        return cls(
            id=get("id"),
            object=get("object"),
            created=get("created"),
            model=get("model"),
            choices=[ChunkChoice.from_dict(c) for c in get("choices") or ()],
            service_tier=get("service_tier"),
            system_fingerprint=get("system_fingerprint"),
            usage=get("usage"),
            extra=_extra(d, cls._KEYS),
        )


@attrs.frozen(slots=True, kw_only=True)
class ResponseTextDeltaEvent:
    type: str
    item_id: str
    output_index: int
    content_index: int
    delta: str
    logprobs: list[Any] | None
    sequence_number: int
    extra: dict[str, Any]

    _KEYS = frozenset(
        {
            "type",
            "item_id",
            "output_index",
            "content_index",
            "delta",
            "logprobs",
            "sequence_number",
        }
    )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ResponseTextDeltaEvent:
        get = d.get
        return cls(
            type=get("type"),
            item_id=get("item_id"),
            output_index=get("output_index"),
            content_index=get("content_index"),
            delta=get("delta"),
            logprobs=get("logprobs"),
            sequence_number=get("sequence_number"),
            extra=_extra(d, cls._KEYS),
        )


@attrs.frozen(slots=True, kw_only=True)
class OtherResponseEvent:
    """Any other Responses event: its type and the raw object (the stand-in's shortcut)."""

    type: str
    sequence_number: int | None
    data: dict[str, Any]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OtherResponseEvent:
        return cls(type=d.get("type"), sequence_number=d.get("sequence_number"), data=d)


_EVENT_CLASSES: dict[str, Decode] = {
    "response.output_text.delta": ResponseTextDeltaEvent.from_dict,
}


def decode_response_event(d: dict[str, Any]) -> Any:
    return _EVENT_CLASSES.get(d.get("type"), OtherResponseEvent.from_dict)(d)


@attrs.frozen(slots=True, kw_only=True)
class Message:
    role: str
    content: str | None
    refusal: str | None
    annotations: list[Any] | None
    extra: dict[str, Any]

    _KEYS = frozenset({"role", "content", "refusal", "annotations"})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Message:
        get = d.get
        return cls(
            role=get("role"),
            content=get("content"),
            refusal=get("refusal"),
            annotations=get("annotations"),
            extra=_extra(d, cls._KEYS),
        )


@attrs.frozen(slots=True, kw_only=True)
class Choice:
    index: int
    message: Message
    finish_reason: str | None
    logprobs: Any
    extra: dict[str, Any]

    _KEYS = frozenset({"index", "message", "finish_reason", "logprobs"})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Choice:
        get = d.get
        return cls(
            index=get("index"),
            message=Message.from_dict(get("message") or {}),
            finish_reason=get("finish_reason"),
            logprobs=get("logprobs"),
            extra=_extra(d, cls._KEYS),
        )


@attrs.frozen(slots=True, kw_only=True)
class ChatCompletion:
    id: str
    object: str
    created: int
    model: str
    choices: list[Choice]
    usage: dict[str, Any] | None
    service_tier: str | None
    system_fingerprint: str | None
    extra: dict[str, Any]

    _KEYS = frozenset(
        {
            "id",
            "object",
            "created",
            "model",
            "choices",
            "usage",
            "service_tier",
            "system_fingerprint",
        }
    )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChatCompletion:
        get = d.get
        return cls(
            id=get("id"),
            object=get("object"),
            created=get("created"),
            model=get("model"),
            choices=[Choice.from_dict(c) for c in get("choices") or ()],
            usage=get("usage"),
            service_tier=get("service_tier"),
            system_fingerprint=get("system_fingerprint"),
            extra=_extra(d, cls._KEYS),
        )
