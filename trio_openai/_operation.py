"""One logical call across its attempts, as middleware sees it.

A middleware runs once per attempt and sees only the `httpx.Request` of that attempt. An
observer that needs the whole call (a tracing span covering the retries, a timer that
stops when a stream's block ends) finds an `Operation` in
``request.extensions[OPERATION]``: the same object for every attempt of one call. It may
register a listener there; the client reports the retries and how the call ended.

The client creates an Operation only when the call has middleware: a call without any
costs nothing.
"""

from __future__ import annotations

from typing import Final, Protocol, final

__all__ = ["OPERATION", "STREAM_EXIT", "Operation", "OperationListener"]

# The key of the Operation in each attempt's request.extensions.
OPERATION: Final = "trio_openai.operation"
# The key, in a streamed response's extensions, of the exception that ended its
# `async with` block (absent when the block ended normally or on `break`).
STREAM_EXIT: Final = "trio_openai.stream_exit"


class OperationListener(Protocol):
    """What the client tells an observer of one call."""

    def retrying(self, attempt: int, delay: float, error: Exception) -> None:
        """Attempt number ``attempt`` (1-based) failed with ``error``; the next starts
        after ``delay`` seconds."""
        ...

    def returned(self) -> None:
        """The call returned its response: for a stream, its headers arrived (the body
        is read inside the user's block); for a plain call, its body was read."""
        ...

    def failed(self, error: BaseException) -> None:
        """The call ended with ``error`` (retries exhausted, a refusal, cancellation)."""
        ...


@final
class Operation:
    """The listeners of one call; the client calls ``retrying``/``returned``/``failed``."""

    __slots__ = ("listeners",)

    def __init__(self) -> None:
        self.listeners: list[OperationListener] = []

    def add_listener(self, listener: OperationListener) -> None:
        self.listeners.append(listener)

    def retrying(self, attempt: int, delay: float, error: Exception) -> None:
        for listener in self.listeners:
            listener.retrying(attempt, delay, error)

    def returned(self) -> None:
        for listener in self.listeners:
            listener.returned()

    def failed(self, error: BaseException) -> None:
        for listener in self.listeners:
            listener.failed(error)
