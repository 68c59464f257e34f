"""``client.chat.completions.stream(...)``: typed events over a streamed chat completion.

    async with open_chat_stream(client, model="gpt-4o-mini", messages=messages) as stream:
        async for event in stream:
            if event.type == "content.delta":
                print(event.delta, end="", flush=True)
        completion = await stream.get_final_completion()

Two layers, named as in openai-python's helper:

- `ChatCompletionStreamState` is pure (no I/O, no trio). It takes chunks one at a time (raw
  JSON objects, or typed `CreateChatCompletionStreamResponse`), folds each into the
  completion so far, kept as a JSON-shaped dict, and returns the events the chunk causes.
  It also works over a plain ``create(..., stream=True)`` stream.
- `ChatCompletionStream` reads a `Stream` of raw chunks, feeds the state and hands out its
  events; `ChatCompletionStreamManager` (what `open_chat_stream` returns) sends the request
  when its ``async with`` block opens and releases the connection when the block exits.

Events are small frozen attrs classes with a ``type`` literal. Every event of one choice
carries ``choice_index`` (several choices interleave when ``n`` > 1).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Self, cast, final

from .._errors import APIConnectionError
from .._interrupted import interrupted
from .._streaming import _NOT_READY  # pyright: ignore[reportPrivateUsage]
from .._types import CallOptions, Omit
from ..types.chat import (
    CreateChatCompletionResponse,
)

if TYPE_CHECKING:
    import httpx

    from .._client import OpenAI
    from .._streaming import Stream

from ._chat_events import (
    ChatCompletionStreamEvent as ChatCompletionStreamEvent,
    ChunkEvent as ChunkEvent,
    ContentDeltaEvent as ContentDeltaEvent,
    ContentDoneEvent as ContentDoneEvent,
    FunctionToolCallArgumentsDeltaEvent as FunctionToolCallArgumentsDeltaEvent,
    FunctionToolCallArgumentsDoneEvent as FunctionToolCallArgumentsDoneEvent,
    LogprobsContentDeltaEvent as LogprobsContentDeltaEvent,
    LogprobsContentDoneEvent as LogprobsContentDoneEvent,
    LogprobsRefusalDeltaEvent as LogprobsRefusalDeltaEvent,
    LogprobsRefusalDoneEvent as LogprobsRefusalDoneEvent,
    ParseArguments as ParseArguments,
    ParseContent as ParseContent,
    RefusalDeltaEvent as RefusalDeltaEvent,
    RefusalDoneEvent as RefusalDoneEvent,
)
from ._chat_state import ChatCompletionStreamState as ChatCompletionStreamState

__all__ = [
    "ChatCompletionStream",
    "ChatCompletionStreamEvent",
    "ChatCompletionStreamManager",
    "ChatCompletionStreamState",
    "ChunkEvent",
    "ContentDeltaEvent",
    "ContentDoneEvent",
    "FunctionToolCallArgumentsDeltaEvent",
    "FunctionToolCallArgumentsDoneEvent",
    "LogprobsContentDeltaEvent",
    "LogprobsContentDoneEvent",
    "LogprobsRefusalDeltaEvent",
    "LogprobsRefusalDoneEvent",
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
    "TextDeltas",
    "open_chat_stream",
]

# --- the stream over HTTP ------------------------------------------------------------------


@final
class ChatCompletionStream:
    """The events of one streamed chat completion; get it from `open_chat_stream`.

    An async iterator of `ChatCompletionStreamEvent`. Leaving the ``async with`` block
    (at the end, by ``break``, an error or cancellation) releases the connection.
    """

    def __init__(self, raw: Stream[Any], state: ChatCompletionStreamState) -> None:
        self._raw = raw
        self._state = state
        self._pending: deque[ChatCompletionStreamEvent] = deque()
        self._ended = False  # the server's stream is over ([DONE], or end of body)
        self._closed = False  # aclose() was called before that
        self._chunks = 0

    @property
    def response(self) -> httpx.Response:
        """The raw httpx.Response (status, headers); its body belongs to the stream."""
        return self._raw.response

    @property
    def request_id(self) -> str | None:
        return self._raw.request_id

    @property
    def state(self) -> ChatCompletionStreamState:
        return self._state

    @property
    def current_completion_snapshot(self) -> CreateChatCompletionResponse:
        """The completion accumulated from the chunks read so far."""
        return self._state.current_completion_snapshot

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ChatCompletionStreamEvent:
        pending = self._pending
        while not pending:
            if self._ended:
                raise StopAsyncIteration
            chunk = self._raw._next_ready()  # pyright: ignore[reportPrivateUsage]
            if chunk is not _NOT_READY:  # already here: no coroutine to await
                self._chunks += 1
                pending.extend(self._state.handle_chunk(chunk))
                continue
            try:
                chunk = await self._raw.__anext__()
            except StopAsyncIteration:
                self._ended = True
                if not self._closed:
                    pending.extend(self._state.finish())
                continue
            except APIConnectionError as exc:  # a chat stream cannot resume: keep what came
                chunks = self._chunks
                partial = self._state.current_completion_snapshot if chunks else None
                raise interrupted(
                    exc, what="chat stream", partial=partial, events_received=chunks
                ) from exc
            self._chunks += 1
            pending.extend(self._state.handle_chunk(chunk))
        return pending.popleft()

    def text_deltas(self, *, choice_index: int = 0) -> TextDeltas:
        """An async iterator of the content text of one choice, piece by piece, for UIs.

        It reads the same stream: events it skips are consumed, and the accumulated
        completion stays complete.
        """
        return TextDeltas(self, choice_index)

    async def until_done(self) -> None:
        """Read the rest of the stream."""
        async for _ in self:
            pass

    async def get_final_completion(self) -> CreateChatCompletionResponse:
        """Read the rest of the stream and return the accumulated completion.

        Raises RuntimeError if the stream was closed before its end (the rest is lost).
        """
        await self.until_done()
        if self._closed:
            raise RuntimeError("the chat completion stream was closed before its end")
        return self._state.get_final_completion()

    async def aclose(self) -> None:
        """Release the connection; safe to call more than once and under cancellation."""
        if not self._ended:
            self._closed = True
        self._pending.clear()
        await self._raw.aclose()


@final
class TextDeltas:
    """The content deltas of one choice of a `ChatCompletionStream` (empty ones skipped)."""

    def __init__(self, stream: ChatCompletionStream, choice_index: int) -> None:
        self._stream = stream
        self._choice_index = choice_index

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        async for event in self._stream:
            if (
                event.type == "content.delta"
                and event.delta
                and event.choice_index == self._choice_index
            ):
                return event.delta
        raise StopAsyncIteration


@final
class ChatCompletionStreamManager:
    """``async with manager as stream``: sends the request on entry, closes on exit."""

    def __init__(
        self,
        open_raw: Callable[[], Stream[Any]],
        *,
        parse_content: ParseContent | None = None,
        parse_tool_arguments: ParseArguments | None = None,
    ) -> None:
        self._open_raw = open_raw
        self._parse_content = parse_content
        self._parse_arguments = parse_tool_arguments
        self._stream: ChatCompletionStream | None = None
        self._entered = False

    async def __aenter__(self) -> ChatCompletionStream:
        if self._entered:
            raise RuntimeError("a chat completion stream can be opened only once")
        self._entered = True
        raw = self._open_raw()
        await raw.__aenter__()
        state = ChatCompletionStreamState(
            parse_content=self._parse_content, parse_tool_arguments=self._parse_arguments
        )
        self._stream = ChatCompletionStream(raw, state)
        return self._stream

    async def __aexit__(self, *exc_info: object) -> None:
        if self._stream is not None:
            await self._stream.aclose()


_OPTION_NAMES: Final = frozenset(CallOptions.__annotations__)


def open_chat_stream(client: OpenAI, **params: Any) -> ChatCompletionStreamManager:
    """Stream a chat completion as typed events (``client.chat.completions.stream``).

    ``params`` are those of ``client.chat.completions.create`` (``model``, ``messages``,
    ...; `omit` values are left out) plus the per-call options (``extra_headers``,
    ``timeout``, ...). ``stream=true`` is sent for you; usage comes only when you ask
    with ``stream_options={"include_usage": True}``. Nothing is sent until the
    ``async with`` block opens; errors of the request (`APIStatusError`,
    `APIConnectionError`, ...) are raised there, after the usual retries.
    """
    stream = params.pop("stream", True)
    if stream is not True and not isinstance(stream, Omit):
        raise TypeError("open_chat_stream() always streams: leave out `stream`")
    body: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for key, value in params.items():
        if not isinstance(value, Omit):
            (options if key in _OPTION_NAMES else body)[key] = value
    body["stream"] = True
    call_options = cast(CallOptions, options)

    def open_raw() -> Stream[Any]:
        return client._stream("POST", "/chat/completions", body=body, options=call_options)  # pyright: ignore[reportPrivateUsage]

    return ChatCompletionStreamManager(open_raw)
