"""The pure policy of WebSocket reconnection: which closes to retry, the backoff, what the
user's callback sees and may answer, and the byte-bounded queue of messages sent while
disconnected. No I/O here: `_ws_reconnect.SessionLink` drives it (as `_retry.py` is driven
by the client's retry loop).
"""

from __future__ import annotations

import random as _random
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Final, TypedDict, final

import attrs

from ._errors import OpenAIError
from ._types import Omit

__all__ = [
    "DEFAULT_MAX_QUEUE_SIZE",
    "RECOVERABLE_CLOSE_CODES",
    "OnReconnecting",
    "ReconnectPolicy",
    "ReconnectingEvent",
    "ReconnectingOverrides",
    "SendQueue",
    "WebSocketQueueFullError",
    "is_recoverable_close",
]

# RFC 6455 section 7.4.1: the closes worth another try (openai-python's list).
RECOVERABLE_CLOSE_CODES: Final = frozenset({1001, 1005, 1006, 1011, 1012, 1013, 1015})
DEFAULT_MAX_QUEUE_SIZE: Final = 1_048_576


def is_recoverable_close(code: int | None) -> bool:
    """Whether a connection closed with `code` (None: no close frame) is worth reopening."""
    return code is None or code in RECOVERABLE_CLOSE_CODES


class WebSocketQueueFullError(OpenAIError):
    """A message sent while the session reconnects would overflow the send queue
    (``max_queue_size`` bytes); it was not queued. Wait for the session to reconnect,
    drop the message, or raise ``max_queue_size``."""


@final
@attrs.frozen
class ReconnectingEvent:
    """What ``on_reconnecting`` is told before each attempt."""

    attempt: int  # 1-based
    max_attempts: int
    delay: float  # seconds slept before this attempt connects
    close_code: int  # 1006 when the connection ended without a close frame
    extra_query: Mapping[str, object]
    extra_headers: Mapping[str, str | Omit]


class ReconnectingOverrides(TypedDict, total=False):
    """What ``on_reconnecting`` may return (or None: retry unchanged)."""

    extra_query: Mapping[str, object]  # replaces the query of the next attempts
    extra_headers: Mapping[str, str | Omit]  # replaces the headers of the next attempts
    abort: bool  # stop trying: the session ends with the close that caused this


OnReconnecting = Callable[
    [ReconnectingEvent],
    "ReconnectingOverrides | Awaitable[ReconnectingOverrides | None] | None",
]


@final
@attrs.frozen
class ReconnectPolicy:
    on_reconnecting: OnReconnecting | None = None
    max_retries: int = 5
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_queue_size: int = DEFAULT_MAX_QUEUE_SIZE

    def validate(self, call: str) -> None:
        if self.max_retries < 0 or self.initial_delay < 0 or self.max_delay < 0:
            raise ValueError(f"{call}: max_retries, initial_delay and max_delay must be >= 0")
        if self.max_queue_size <= 0:
            raise ValueError(f"{call}: max_queue_size must be > 0 (bytes)")

    def delay(self, attempt: int, random: Callable[[], float] = _random.random) -> float:
        base = min(self.initial_delay * 2 ** (attempt - 1), self.max_delay)
        return base * (0.75 + random() * 0.25)


@final
class SendQueue:
    """Messages waiting for a connection, bounded by their total size in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self._items: deque[tuple[str, object, int]] = deque()
        self._bytes = 0
        self._max_bytes = max_bytes

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size(self) -> int:
        return self._bytes

    def push(self, text: str, tag: object) -> None:
        size = len(text.encode())
        if self._bytes + size > self._max_bytes:
            raise WebSocketQueueFullError(
                f"The send queue is full ({self._bytes} of {self._max_bytes} bytes queued "
                f"while reconnecting; this message has {size}): message not sent."
            )
        self._items.append((text, tag, size))
        self._bytes += size

    def push_front(self, text: str, tag: object) -> None:
        size = len(text.encode())
        self._items.appendleft((text, tag, size))
        self._bytes += size

    def pop(self) -> tuple[str, object]:
        text, tag, size = self._items.popleft()
        self._bytes -= size
        return text, tag

    def clear(self) -> list[str]:
        texts = [text for text, _, _ in self._items]
        self._items.clear()
        self._bytes = 0
        return texts
