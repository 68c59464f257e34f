"""Pieces of the chat stream state (`_chat_state`): checks, merging rules, one choice.

Pure: no I/O. Kept apart so the state's module reads as the order of events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from .._errors import APIResponseValidationError
from ..types.chat import ChatCompletionTokenLogprob
from ._chat_events import TextSoFar

__all__ = [
    "IDENTIFIERS",
    "Choice",
    "add_counts",
    "checked_index",
    "decodes_safely",
    "invalid",
    "is_update_of",
    "merge_unknown",
    "text_piece",
]

IDENTIFIERS: Final = frozenset({"id", "index", "type"})  # repeated as a whole, never split


def invalid(message: str, body: object) -> APIResponseValidationError:
    return APIResponseValidationError(f"chat completion chunk: {message}", body=body)


def checked_index(value: object, what: str) -> int:
    if type(value) is int:
        if value >= 0:
            return value
        if value == -1:  # some compatible servers number their only item -1
            return 0
    raise invalid(f"{what} index must be an integer >= 0 (or -1), got {value!r}", value)


def text_piece(new: object, what: str) -> str:
    if not isinstance(new, str):
        raise invalid(f"{what} must be a string, got {type(new).__name__}", new)
    return new


def decodes_safely(raw: dict[str, Any]) -> bool:
    """Whether the typed decode of this chunk cannot fail, judged from the values it
    would refuse (an object, or a list of objects, of another JSON type) that the state
    does not check itself. True for the text chunks that make up a stream: their typed
    form is then decoded only if someone reads `ChunkEvent.chunk`."""
    if raw.get("usage") is not None or raw.get("moderation") is not None:
        return False
    choices = raw.get("choices")
    if not choices:
        return True
    if choices.__class__ is not list:
        return False
    for choice in choices:
        if choice.__class__ is not dict or choice.get("logprobs") is not None:
            return False
        delta = choice.get("delta")
        if delta is not None and (
            delta.__class__ is not dict
            or delta.get("tool_calls") is not None
            or delta.get("function_call") is not None
        ):
            return False
    return True


def merge_unknown(target: dict[str, Any], key: str, value: Any, *, concat: bool) -> None:
    """A key the spec does not declare: kept. Inside a delta, text is streamed piece by
    piece (``reasoning_content`` of llama-server and vLLM, ``audio.transcript``), so
    strings are joined (identifiers excepted) and objects merged the same way; elsewhere
    the latest non-null value wins."""
    if value is None:
        target.setdefault(key, None)
        return
    old = target.get(key)
    if concat and isinstance(old, str) and isinstance(value, str) and key not in IDENTIFIERS:
        target[key] = old + value
    elif concat and isinstance(old, dict) and isinstance(value, dict):
        merged = dict(cast("dict[str, Any]", old))  # a copy: `old` may be the caller's chunk
        for inner_key, inner_value in cast("dict[str, Any]", value).items():
            merge_unknown(merged, inner_key, inner_value, concat=True)
        target[key] = merged
    else:
        target[key] = value


def _is_count(value: object) -> bool:
    return type(value) is int or type(value) is float


def is_update_of(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    common = [k for k, v in old.items() if _is_count(v) and _is_count(new.get(k))]
    return bool(common) and all(new[k] >= old[k] for k in common)


def add_counts(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        old = out.get(key)
        if _is_count(old) and _is_count(value):
            out[key] = old + value
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = add_counts(old, value)  # pyright: ignore[reportUnknownArgumentType]
        elif value is not None or key not in out:
            out[key] = value
    return out


class Choice:
    """What the state knows of one choice; `data` is its dict in the completion."""

    __slots__ = (
        "arguments",
        "content_done",
        "current_tool",
        "data",
        "done_tools",
        "index",
        "logprobs_content",
        "logprobs_content_done",
        "logprobs_refusal",
        "logprobs_refusal_done",
        "message",
        "refusal_done",
        "texts",
        "tool_calls",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        self.data: dict[str, Any] = {
            "index": index,
            "message": self.message,
            "finish_reason": None,
            "logprobs": None,
        }
        self.tool_calls: dict[int, dict[str, Any]] = {}
        # Streamed strings of the message (content, refusal, unknown keys such as
        # llama-server's reasoning_content) and of each tool call's arguments: joined
        # into `message` / the call's dict when a snapshot is built.
        self.texts: dict[str, TextSoFar] = {}
        self.arguments: dict[int, TextSoFar] = {}
        self.current_tool: int | None = None
        self.done_tools: set[int] = set()
        self.content_done = self.refusal_done = False
        self.logprobs_content_done = self.logprobs_refusal_done = False
        self.logprobs_content: list[ChatCompletionTokenLogprob] = []
        self.logprobs_refusal: list[ChatCompletionTokenLogprob] = []
