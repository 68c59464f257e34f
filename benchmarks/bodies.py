"""What every client sends: the same bodies and the same request targets."""

from __future__ import annotations

from typing import Any, Final

import orjson

MODEL: Final = "gpt-4.1"
MESSAGES: Final = [{"role": "user", "content": "Write a long story about event streams."}]
CHAT_STREAM_BODY: Final[dict[str, Any]] = {"model": MODEL, "messages": MESSAGES, "stream": True}
RESPONSES_STREAM_BODY: Final[dict[str, Any]] = {
    "model": MODEL,
    "input": "Write a long story about event streams.",
    "stream": True,
}
JSON_BODY: Final[dict[str, Any]] = {"model": MODEL, "messages": MESSAGES}


def path_for(kind: str) -> str:
    return "/chat/completions" if kind == "chat" else "/responses"


def body_bytes(kind: str) -> bytes:
    """The serialized body of a stream request (raw httpx sends bytes it was given)."""
    return orjson.dumps(CHAT_STREAM_BODY if kind == "chat" else RESPONSES_STREAM_BODY)
