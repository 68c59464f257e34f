"""The Responses stream helper: typed events, text deltas, the final Response, and resume.

    async with client.responses.stream(model=..., input=...) as stream:
        async for delta in stream.text_deltas():
            print(delta, end="")
        final = await stream.get_final_response()

Events are accumulated at the JSON level into a snapshot of the Response (items, content
parts, text, function-call arguments, reasoning), and ``response.completed`` (or failed /
incomplete) replaces the snapshot with the server's own object, so the final Response equals
the one a non-streaming call returns (its ``output_text`` property computed, as the SDKs do).

Resume: if the connection breaks mid-stream after the response's id and some
``sequence_number`` are known, the helper reopens it with
``GET /responses/{id}?stream=true&starting_after=<last sequence number>`` (the route the API
offers for background/stored responses) and carries on without repeating or losing an
event. Events without a sequence number (some compatible servers) make a stream
non-resumable. ``resume=False`` turns this off; ``max_resumes`` bounds the attempts. A
stream silent for longer than ``Timeout(idle=...)`` is treated as cut (the stall watchdog).
When a stream cannot be resumed, `StreamInterruptedError` (or `StreamStalledError`) carries
the Response accumulated so far as ``partial``.

Cancellation that reaches the server: a background response keeps generating (and billing)
after its reader goes away. When the block of a background stream ends before the
response's terminal event (``break``, an error, cancellation), the manager sends
``POST /responses/{id}/cancel``, shielded and bounded by ``cancel_timeout`` seconds, and
logs (never raises) its failure. ``cancel_on_exit=False`` turns this off.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self, cast, final

import trio

from .._endpoints import ENDPOINT_EXTENSION
from .._errors import APIConnectionError, APIError, APIStatusError
from .._interrupted import StreamInterruptedError, interrupted
from .._streaming import _NOT_READY  # pyright: ignore[reportPrivateUsage]
from .._types import CallOptions, Omit
from ._responses_snapshot import DELTA_FIELDS, TERMINAL, Snapshot

if TYPE_CHECKING:
    import httpx

    from .._client import OpenAI
    from .._streaming import Stream
    from ..types.response_events import ResponseStreamEvent
    from ..types.responses import Response

__all__ = ["ResponseStream", "ResponseStreamManager"]

log: Final = logging.getLogger("trio_openai")


def _event_decoder() -> Callable[[Any], Any]:
    from ..types import decoder_for

    return decoder_for("ResponseStreamEvent")


def _response_decoder() -> Callable[[Any], Any]:
    from ..types import decoder_for

    return decoder_for("Response")


class ResponseStream:
    """Typed Responses events of one response, with accumulation and resume.

    Not for subclassing: `ParsedResponseStream` (``responses.stream(text_format=T)``) is
    the one subclass.
    """

    def __init__(
        self,
        client: OpenAI,
        stream: Stream[Any],
        *,
        resume: bool,
        max_resumes: int,
        options: CallOptions,
    ) -> None:
        self._client = client
        self._stream = stream
        self._resume = resume
        self._resumes_left = max_resumes
        self._options = options
        self._snapshot = Snapshot()
        self._decode = _event_decoder()
        self._last_sequence: int | None = None
        self._sequenced = True
        self._done = False
        self.resumes = 0
        self.events_received = 0
        # Set to False inside the block to leave a background response running on exit.
        self.cancel_on_exit = True

    @property
    def done(self) -> bool:
        """True once the response's terminal event (or the end of the body) was read."""
        return self._done

    @property
    def background(self) -> bool:
        """Whether the response runs in the background (so it outlives this connection)."""
        response = self._snapshot.response
        return response is not None and response.get("background") is True

    @property
    def response_id(self) -> str | None:
        response = self._snapshot.response
        if response is None:
            return None
        response_id = response.get("id")
        return response_id if isinstance(response_id, str) else None

    @property
    def response(self) -> httpx.Response:
        """The raw httpx.Response of the current connection (changes after a resume)."""
        return self._stream.response

    http_response = response

    def path_of(self, path: str) -> str:
        """``path`` on the endpoint that served this stream: with fallback endpoints, the
        background response lives there, so resume and cancel must not go elsewhere."""
        try:
            served: object = self._stream.response.extensions.get(ENDPOINT_EXTENSION)
        except RuntimeError:  # not open
            return path
        return served + path if isinstance(served, str) else path

    @property
    def request_id(self) -> str | None:
        return self._stream.request_id

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ResponseStreamEvent:
        while True:
            if self._done:
                raise StopAsyncIteration
            raw = self._stream._next_ready()  # pyright: ignore[reportPrivateUsage]
            if raw is _NOT_READY:
                try:
                    raw = await self._stream.__anext__()
                except StopAsyncIteration:
                    self._done = True
                    raise
                except APIConnectionError as exc:
                    if isinstance(exc, StreamInterruptedError):
                        raise
                    if not await self._reopen(exc):
                        raise self._interrupted(exc) from exc
                    continue
            if raw.__class__ is not dict:  # JSON objects only (orjson gives plain dicts)
                if not isinstance(raw, dict):
                    return self._decode(raw)
                raw = dict(cast("dict[str, Any]", raw))
            sequence = raw.get("sequence_number")
            if isinstance(sequence, int):
                last = self._last_sequence
                if last is not None and sequence <= last:
                    continue  # already delivered before a resume
                self._last_sequence = sequence
            else:
                self._sequenced = False
            kind = raw.get("type")
            if isinstance(kind, str) and (field := DELTA_FIELDS.get(kind)) is not None:
                # most events: a delta, neither terminal nor changing the structure
                self._snapshot.apply_delta(raw, kind, field)
                self.events_received += 1
            else:
                self._snapshot.apply(raw)
                self.events_received += 1
                if kind in TERMINAL:
                    self._done = True
            return self._decode(raw)

    async def _reopen(self, error: Exception) -> bool:
        """Resume after a broken connection; False when that is not possible."""
        response_id = self.response_id
        if (
            not self._resume
            or self._resumes_left <= 0
            or response_id is None
            or self._last_sequence is None
            or not self._sequenced
        ):
            return False
        self._resumes_left -= 1
        await self._stream.aclose()
        stream = self._client._stream(  # pyright: ignore[reportPrivateUsage]
            "GET",
            self.path_of(f"/responses/{response_id}"),
            query={"stream": True, "starting_after": self._last_sequence},
            options=self._options,
        )
        try:
            await stream.__aenter__()
        except APIStatusError:
            return False  # not retrievable (not stored, not background): the cut stands
        except APIConnectionError:
            return False  # the server stays unreachable: the cut stands
        self._stream = stream
        self.resumes += 1
        return True

    def _interrupted(self, error: APIConnectionError) -> StreamInterruptedError:
        response = self._snapshot.response
        partial = None if response is None else _response_decoder()(copy.deepcopy(response))
        return interrupted(
            error,
            what="Responses stream",
            partial=partial,
            events_received=self.events_received,
            resumes=self.resumes,
        )

    def text_deltas(self) -> _TextDeltas:
        """An async iterator of the text deltas only (for UIs)."""
        return _TextDeltas(self)

    async def until_done(self) -> None:
        async for _ in self:
            pass

    async def get_final_response(self) -> Response:
        """Consume the rest of the stream and return the accumulated `Response`."""
        await self.until_done()
        response = self._snapshot.response
        if response is None:
            raise APIConnectionError(
                "The stream ended before the response was created.", request=None
            )
        return _response_decoder()(copy.deepcopy(response))

    def current_snapshot(self) -> dict[str, Any] | None:
        """The accumulated Response so far, as JSON."""
        return None if self._snapshot.response is None else copy.deepcopy(self._snapshot.response)

    async def aclose(self) -> None:
        await self._stream.aclose()


@final
class _TextDeltas:
    __slots__ = ("_stream",)

    def __init__(self, stream: ResponseStream) -> None:
        self._stream = stream

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        while True:
            event = await self._stream.__anext__()
            if event.type == "response.output_text.delta":
                return str(event.delta)


class ResponseStreamManager:
    """``async with`` opens the stream (request sent, retried until the headers arrive).

    Not for subclassing: `ParsedResponseStreamManager` is the one subclass.
    """

    def __init__(
        self,
        client: OpenAI,
        body: dict[str, Any],
        *,
        resume: bool = True,
        max_resumes: int = 3,
        options: CallOptions | None = None,
        cancel_on_exit: bool = True,
        cancel_timeout: float = 5.0,
    ) -> None:
        self._client = client
        self._cancel_on_exit = cancel_on_exit
        self._cancel_timeout = cancel_timeout
        self._body = {k: v for k, v in body.items() if not isinstance(v, Omit)}
        self._body["stream"] = True
        self._resume = resume
        self._max_resumes = max_resumes
        self._options: CallOptions = options or {}
        self._stream: ResponseStream | None = None

    async def __aenter__(self) -> ResponseStream:
        stream = self._client._stream(  # pyright: ignore[reportPrivateUsage]
            "POST", "/responses", body=self._body, options=self._options
        )
        await stream.__aenter__()
        self._stream = self._wrap(stream)
        self._stream.cancel_on_exit = self._cancel_on_exit
        return self._stream

    def _wrap(self, stream: Stream[Any]) -> ResponseStream:
        """The events' reader over the opened HTTP stream (a subclass's own kind)."""
        return ResponseStream(
            self._client,
            stream,
            resume=self._resume,
            max_resumes=self._max_resumes,
            options=self._options,
        )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stream = self._stream
        if stream is None:
            return
        try:
            await stream.aclose()
        finally:
            if stream.cancel_on_exit and stream.background and not stream.done:
                await self._cancel_on_server(stream)

    async def _cancel_on_server(self, stream: ResponseStream) -> None:
        """Stop the background response this block abandoned: shielded (it runs even while
        the caller is being cancelled) and bounded, so the caller waits at most
        ``cancel_timeout`` seconds; a failure is logged, never raised."""
        response_id = stream.response_id
        if response_id is None:
            return
        with trio.CancelScope(shield=True) as scope:
            scope.deadline = trio.current_time() + self._cancel_timeout
            try:
                await self._client._request(  # pyright: ignore[reportPrivateUsage]
                    "POST",
                    stream.path_of(f"/responses/{response_id}/cancel"),
                    options={"max_retries": 1},
                )
            except APIError as exc:
                log.warning("Cancelling background response %s failed: %s", response_id, exc)
                return
        if scope.cancelled_caught:
            log.warning(
                "Cancelling background response %s took longer than %s s; gave up waiting.",
                response_id,
                self._cancel_timeout,
            )
