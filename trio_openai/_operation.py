"""One logical call across its attempts, as middleware sees it.

A middleware runs once per attempt and sees only the `httpx.Request` of that attempt. An
observer that needs the whole call (a tracing span covering the retries, a timer that
stops when a stream's block ends) finds an `Operation` in
``request.extensions[OPERATION]``: the same object for every attempt of one call. It may
register a listener there; the client reports the retries and how the call ended.

The client creates an Operation only when the call has middleware: a call without any
costs nothing.

A WebSocket session (Realtime, the Responses WebSocket) is no HTTP attempt, so no
middleware sees it. A middleware that wants to observe sessions too has an
``observe_session`` method (`SessionObserving`): each session of a client asks its
middleware for a `SessionObserver` when it opens, and tells it the messages sent and
received, the reconnections and how the session ended. A client without such a
middleware pays one ``getattr`` per middleware per session, nothing per message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol, cast, final

__all__ = [
    "OPERATION",
    "STREAM_EXIT",
    "Operation",
    "OperationListener",
    "SessionObserver",
    "SessionObserving",
    "session_observers",
]

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


class SessionObserver(Protocol):
    """What a WebSocket session tells an observer of it."""

    def sent(self, text: str) -> None:
        """A client event (its JSON text) went out over the socket."""
        ...

    def received(self, event: Mapping[str, Any]) -> None:
        """A server event arrived (its JSON object, before it is typed)."""
        ...

    def reconnecting(self, attempt: int, delay: float, close_code: int) -> None:
        """The connection closed with ``close_code``; attempt ``attempt`` (from 1) to open
        a new one starts after ``delay`` seconds."""
        ...

    def reconnected(self) -> None:
        """A new connection is open."""
        ...

    def ended(self, error: BaseException | None, close_code: int | None) -> None:
        """The session's ``async with`` block ended: normally (None), or with ``error``
        (cancellation included); ``close_code`` is the last connection's, when known."""
        ...


class SessionObserving(Protocol):
    """A middleware that observes WebSocket sessions too."""

    def observe_session(
        self, *, operation: str, api_type: str, model: str | None, url: str
    ) -> SessionObserver | None:
        """An observer for a session opening at ``url`` (None: not this one)."""
        ...


def session_observers(
    middleware: Iterable[object], *, operation: str, api_type: str, model: str | None, url: str
) -> tuple[SessionObserver, ...]:
    """The observers a session's client middleware give it (usually none)."""
    found: list[SessionObserver] = []
    for item in middleware:
        if not callable(getattr(item, "observe_session", None)):
            continue
        observer = cast("SessionObserving", item).observe_session(
            operation=operation, api_type=api_type, model=model, url=url
        )
        if observer is not None:
            found.append(observer)
    return tuple(found)
