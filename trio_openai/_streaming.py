"""Stream[T]: a server-sent-event body as an async context manager and async iterator.

The stream owns its HTTP response. The request is sent (with retries, until the headers
arrive) in ``__aenter__``; the connection is released in ``__aexit__`` — at the end, on
``break``, on an error and on cancellation — so no stream outlives its ``async with``.
``data: [DONE]`` ends the stream and the body is read to its end so that the connection
goes back to the pool.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, Self, TypeVar, cast, final

import orjson
import trio

from ._errors import APIResponseValidationError, APITimeoutError, StreamError
from ._operation import STREAM_EXIT
from ._sse import ServerSentEvent, SSEDecoder
from ._transport import FIRST_EVENT_DEADLINE, BodyReader
from ._types import Timeout

if TYPE_CHECKING:
    import httpx

__all__ = ["ByteStream", "Stream", "as_sent"]

T = TypeVar("T")

_DONE: Final = b"[DONE]"


class _NotReady(enum.Enum):
    """No event has arrived yet (or the stream is over): see `Stream._next_ready`."""

    NOT_READY = 0


_NOT_READY: Final = _NotReady.NOT_READY
_loads: Final = orjson.loads
_END_EVENTS: Final = frozenset({"done"})  # Steady and the Assistants API end with `event: done`
# An event stream, or a type naming no particular format (some servers label streams so).
_STREAM_TYPES: Final = frozenset({"text/event-stream", "text/plain", "application/octet-stream"})
_EXCERPT_SIZE: Final = 2000  # bytes of a non-SSE body shown in the error
_EXCERPT_GRACE: Final = 1.0  # seconds spent reading that excerpt at most


# What opens a stream: a coroutine giving the response, or the client's retry loop itself,
# which gives (response, body, retries taken): the stream then holds no frame of its own
# between the two while the request is in flight.
Opener = Callable[[], Awaitable["httpx.Response | tuple[httpx.Response, bytes | None, int]"]]


def as_sent(value: Any) -> Any:
    """The decode of a stream whose events are the JSON objects as sent (not called)."""
    return value


async def _opened() -> httpx.Response:
    raise RuntimeError("a Stream can be entered only once")


def _media_type(response: httpx.Response) -> str | None:
    value = response.headers.get("content-type")
    return None if value is None else value.partition(";")[0].strip().lower()


def _not_open(usage: str | None) -> RuntimeError:
    line = usage or "async with stream:"
    return RuntimeError(
        f"the stream is not open: its request is sent when its block opens, so write `{line}` "
        "and iterate it inside that block"
    )


def _field(obj: object, key: str) -> object:
    return cast("dict[str, object]", obj).get(key) if isinstance(obj, dict) else None


def _raise_stream_error(obj: object, request: httpx.Request | None) -> None:
    error = _field(obj, "error")
    message = _field(error if _field(error, "message") is not None else obj, "message")
    text = message if isinstance(message, str) and message else "An error occurred during streaming"
    raise StreamError(text, request=request, body=obj)


class Stream(Generic[T]):
    """Typed server-sent events of one response. Use as ``async with ... as stream``."""

    def __init__(
        self,
        open_response: Opener,
        decode: Callable[[Any], T],
        *,
        timeout: Timeout,
        max_event_size: int,
        usage: str | None = None,
    ) -> None:
        self._open_response = open_response
        self._usage = usage  # the `async with` line errors show
        # None: the events are the JSON as sent (the helpers decode them themselves)
        self._decode: Callable[[Any], T] | None = None if decode is as_sent else decode
        self._timeout = timeout
        self._max_event_size = max_event_size
        self._response: httpx.Response | None = None
        self._reader: BodyReader | None = None
        self._sse = SSEDecoder(max_event_size=max_event_size)
        # Events arrived and not yet returned, the next one last (a list from the decoder,
        # reversed: a deque would hold a 64-slot block per open stream).
        self._pending: list[ServerSentEvent] = []
        self._finished = False
        self._seen_event = False
        self._entered = False
        # When the event being waited for is due (first_event / idle); None: not waiting.
        self._event_deadline: float | None = None

    @property
    def response(self) -> httpx.Response:
        """The raw httpx.Response (status, headers); its body belongs to the stream."""
        if self._response is None:
            raise _not_open(self._usage)
        return self._response

    @property
    def request_id(self) -> str | None:
        return self.response.headers.get("x-request-id")

    async def __aenter__(self) -> Self:
        if self._entered:
            if self._response is not None:  # already opened by `await client.post(stream=True)`
                return self
            raise RuntimeError("a Stream can be entered only once")
        self._entered = True
        opened = await self._open_response()
        self._response = opened[0] if isinstance(opened, tuple) else opened
        # What built the request (its headers, body and retry state) is not needed again.
        self._open_response = _opened
        self._reader = BodyReader(self._response)
        if self._timeout.first_event is not None:  # counted from the attempt's request
            self._event_deadline = self._response.extensions.get(FIRST_EVENT_DEADLINE)
        media_type = _media_type(self._response)
        if media_type is not None and media_type not in _STREAM_TYPES:
            await self._refuse_body(media_type)
        return self

    async def _refuse_body(self, media_type: str) -> None:
        # A 200 that is not an event stream (an HTML page from a proxy, a JSON object
        # from a server that ignored `stream`) would otherwise read as an empty stream.
        reader = self._reader
        assert reader is not None
        excerpt = b""
        try:
            with trio.move_on_after(_EXCERPT_GRACE):
                while len(excerpt) < _EXCERPT_SIZE:
                    chunk = await reader.next_chunk()
                    if chunk is None:
                        break
                    excerpt += chunk
        finally:
            await self.aclose()
        raise APIResponseValidationError(
            f"Expected an event stream, got content-type {media_type!r}: {excerpt[:200]!r}",
            request=self.response.request,
            response=self.response,
            body=excerpt[:_EXCERPT_SIZE],
        )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and self._response is not None:
            # For an observer of the body (a tracing middleware): why the block ended.
            self._response.extensions[STREAM_EXIT] = exc
        await self.aclose()

    async def aclose(self) -> None:
        """Release the connection; safe to call more than once and under cancellation."""
        self._finished = True
        self._pending.clear()
        if self._reader is not None:
            await self._reader.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        while True:
            item = self._next_ready()
            if item is not _NOT_READY:
                return item
            if self._finished:
                raise StopAsyncIteration
            await self._fill()

    def _next_ready(self) -> T | Literal[_NotReady.NOT_READY]:
        """The next event if it has already arrived, else `_NOT_READY`; no I/O.

        For helpers that read a stream event by event (the chat and Responses helpers):
        a plain call per event, where ``await stream.__anext__()`` costs a coroutine.
        """
        pending = self._pending
        while pending:
            sse = pending.pop()
            data = sse.data
            event = sse.event
            if data == _DONE or event in _END_EVENTS:
                self._end()
                return _NOT_READY
            obj: Any
            try:  # orjson called here, not in a helper: a call less per event
                obj = _loads(data)
            except orjson.JSONDecodeError as exc:
                raise self._malformed(data, exc) from None
            if (obj.__class__ is dict and obj.get("error")) or event == "error":
                _raise_stream_error(obj, self._request())
            if event is not None and event.startswith("thread."):
                # Assistants events carry their type in the SSE `event:` line only
                obj = {"event": event, "data": obj}
            self._seen_event = True
            self._event_deadline = None
            return obj if self._decode is None else self._decode(obj)
        return _NOT_READY

    def _end(self) -> None:
        self._finished = True
        self._pending.clear()

    def _request(self) -> httpx.Request | None:
        return self._response.request if self._response is not None else None

    def _malformed(self, data: bytes, exc: orjson.JSONDecodeError) -> APIResponseValidationError:
        return APIResponseValidationError(
            f"Malformed event data ({exc}): {data[:200]!r}",
            request=self._request(),
            response=self._response,
            body=data[:2000],
        )

    async def _fill(self) -> None:
        reader = self._reader
        if reader is None:
            raise _not_open(self._usage)
        limit = self._timeout.idle if self._seen_event else self._timeout.first_event
        if limit is None:
            chunk = await reader.next_chunk()
        else:
            # The limit is per event, not per chunk: bytes trickling in (or comment lines)
            # without completing an event do not extend it.
            if self._event_deadline is None:
                self._event_deadline = trio.current_time() + limit
            chunk = None
            with trio.move_on_at(self._event_deadline) as scope:
                chunk = await reader.next_chunk()
            if scope.cancelled_caught:
                what = (
                    "between events"
                    if self._seen_event
                    else "before the first event, counted from sending the request"
                )
                raise APITimeoutError(
                    f"No stream event for {limit} s {what}.",
                    request=self.response.request,
                )
        if chunk is None:
            self._add(self._sse.end())
            self._finished = True
            return
        events = self._sse.feed(chunk)
        if events:
            last = events[-1]
            self._add(events)
            if last.data == _DONE:
                await self._finish_after_done()

    def _add(self, events: list[ServerSentEvent]) -> None:
        if not events:
            return
        events.reverse()
        if self._pending:  # not reached by __anext__, which fills only when none is left
            events.extend(self._pending)
        self._pending = events

    async def _finish_after_done(self) -> None:
        # Read the (normally empty) rest of the body so the connection can be reused.
        reader = self._reader
        assert reader is not None
        with trio.move_on_after(1.0):
            while await reader.next_chunk() is not None:
                pass

    async def until_done(self) -> None:
        """Consume the rest of the stream."""
        async for _ in self:
            pass


@final
class ByteStream:
    """A binary response body (audio, file content) read chunk by chunk inside ``async with``."""

    def __init__(self, open_response: Opener) -> None:
        self._open_response = open_response
        self._response: httpx.Response | None = None
        self._reader: BodyReader | None = None

    @property
    def response(self) -> httpx.Response:
        if self._response is None:
            raise RuntimeError("the stream is not open: use `async with`")
        return self._response

    async def __aenter__(self) -> Self:
        opened = await self._open_response()
        self._response = opened[0] if isinstance(opened, tuple) else opened
        self._open_response = _opened  # the request's makings are not needed again
        self._reader = BodyReader(self._response)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._reader is not None:
            await self._reader.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        if self._reader is None:
            raise RuntimeError("the stream is not open: use `async with`")
        chunk = await self._reader.next_chunk()
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self])

    async def write_to_file(self, path: str) -> None:
        async with await trio.open_file(path, "wb") as f:
            async for chunk in self:
                await f.write(chunk)
