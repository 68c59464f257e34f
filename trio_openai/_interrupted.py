"""The errors of a stream that broke and could not be resumed, carrying what arrived.

A token-streaming UI that has shown half an answer wants that half when the connection
dies: these errors keep it (``partial``), so the caller can show, store or continue from it
instead of starting over. They subclass the error the cut would otherwise have raised
(`APIConnectionError`, or `APITimeoutError` for a stall), so existing handlers still match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import APIConnectionError, APITimeoutError

if TYPE_CHECKING:
    import httpx

    from .types.chat import CreateChatCompletionResponse
    from .types.responses import Response

__all__ = ["StreamInterruptedError", "StreamStalledError", "interrupted"]


class StreamInterruptedError(APIConnectionError):
    """A stream's connection broke and the stream could not be resumed.

    ``partial`` is the result accumulated from the events received (a `Response` for
    ``responses.stream``, a `ChatCompletion` snapshot for chat), or None when nothing
    arrived; ``events_received`` counts the events delivered; ``resumes`` counts the
    resumes made before giving up. The original failure is the ``__cause__``.
    """

    partial: Response | CreateChatCompletionResponse | None
    events_received: int
    resumes: int

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None,
        partial: Response | CreateChatCompletionResponse | None = None,
        events_received: int = 0,
        resumes: int = 0,
    ) -> None:
        super().__init__(message, request=request)
        self.partial = partial
        self.events_received = events_received
        self.resumes = resumes


class StreamStalledError(StreamInterruptedError, APITimeoutError):
    """No event arrived within ``Timeout(idle=...)`` and the stream could not be resumed."""


def interrupted(
    error: APIConnectionError,
    *,
    what: str,
    partial: Response | CreateChatCompletionResponse | None,
    events_received: int,
    resumes: int = 0,
) -> StreamInterruptedError:
    """The error to raise for ``error`` cutting a stream that cannot be resumed: a
    `StreamStalledError` for a timeout, else a `StreamInterruptedError`."""
    kind = StreamStalledError if isinstance(error, APITimeoutError) else StreamInterruptedError
    return kind(
        f"The {what} broke after {events_received} event(s) and could not be resumed "
        f"({resumes} resume(s) made): {error.message} What arrived is in `.partial`.",
        request=error.request,
        partial=partial,
        events_received=events_received,
        resumes=resumes,
    )
