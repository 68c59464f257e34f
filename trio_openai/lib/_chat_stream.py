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

With a type as ``response_format`` (``chat.completions.stream(response_format=City)``,
`open_parsed_chat_stream`) the request is the one ``chat.completions.parse`` sends, and the
same classes come generic in that type: `ParsedChatCompletionStreamManager[City]` opens a
`ParsedChatCompletionStream[City]`, whose ``content.done`` events carry ``parsed: City``
and whose final completion is a `ParsedChatCompletion[City]`. Without it, the plain
`ChatCompletionStream` keeps its types (``parsed`` stays None).

Events are small frozen attrs classes with a ``type`` literal. Every event of one choice
carries ``choice_index`` (several choices interleave when ``n`` > 1).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, Self, TypeVar, cast, final

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
    from ._structured import ParsedChatCompletion

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
    ParsedChatCompletionStreamEvent as ParsedChatCompletionStreamEvent,
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
    "ParsedChatCompletionStream",
    "ParsedChatCompletionStreamEvent",
    "ParsedChatCompletionStreamManager",
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
    "TextDeltas",
    "open_chat_stream",
    "open_parsed_chat_stream",
]

# --- the stream over HTTP ------------------------------------------------------------------


T = TypeVar("T")


class _ChatStreamBase(Generic[T]):
    """What the plain and the parsing stream share: everything but the final completion's
    type. ``T`` is what ``content.done`` events carry in ``parsed``."""

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

    async def __anext__(self) -> ParsedChatCompletionStreamEvent[T]:
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
        # The state's parse hook is the one its stream was made with: it returns T.
        return cast("ParsedChatCompletionStreamEvent[T]", pending.popleft())

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

    async def _final(self) -> CreateChatCompletionResponse:
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
class ChatCompletionStream(_ChatStreamBase[object]):
    """The events of one streamed chat completion; get it from `open_chat_stream`.

    An async iterator of `ChatCompletionStreamEvent`. Leaving the ``async with`` block
    (at the end, by ``break``, an error or cancellation) releases the connection.
    """

    async def get_final_completion(self) -> CreateChatCompletionResponse:
        """Read the rest of the stream and return the accumulated completion.

        Raises RuntimeError if the stream was closed before its end (the rest is lost).
        """
        return await self._final()


@final
class ParsedChatCompletionStream(_ChatStreamBase[T]):
    """A `ChatCompletionStream` asking for JSON of type ``T``
    (``chat.completions.stream(response_format=T)``): ``content.done`` events carry the
    parsed content, and the final completion is a `ParsedChatCompletion[T]`.

    Parsing raises `StructuredOutputError` for content that is not JSON of that type, and
    `LengthFinishReasonError` / `ContentFilterFinishReasonError` when a choice ends cut off
    by the token limit or the content filter (as openai-python's stream does).
    """

    def __init__(
        self, raw: Stream[Any], state: ChatCompletionStreamState, response_format: type[T]
    ) -> None:
        super().__init__(raw, state)
        self._format = response_format

    async def get_final_completion(self) -> ParsedChatCompletion[T]:
        """Read the rest of the stream and return the completion, each choice's message
        parsed into ``message.parsed``.

        Raises RuntimeError if the stream was closed before its end (the rest is lost).
        """
        from ._structured import parse_chat_completion

        return parse_chat_completion(await self._final(), self._format)


@final
class TextDeltas:
    """The content deltas of one choice of a `ChatCompletionStream` (empty ones skipped)."""

    def __init__(self, stream: _ChatStreamBase[Any], choice_index: int) -> None:
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


class _ManagerBase:
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
        self._stream: _ChatStreamBase[Any] | None = None
        self._entered = False

    async def _open(self) -> Stream[Any]:
        if self._entered:
            raise RuntimeError("a chat completion stream can be opened only once")
        self._entered = True
        raw = self._open_raw()
        await raw.__aenter__()
        return raw

    async def __aexit__(self, *exc_info: object) -> None:
        if self._stream is not None:
            await self._stream.aclose()


@final
class ChatCompletionStreamManager(_ManagerBase):
    """``async with manager as stream``: sends the request on entry, closes on exit."""

    async def __aenter__(self) -> ChatCompletionStream:
        raw = await self._open()
        state = ChatCompletionStreamState(
            parse_content=self._parse_content, parse_tool_arguments=self._parse_arguments
        )
        stream = ChatCompletionStream(raw, state)
        self._stream = stream
        return stream


@final
class ParsedChatCompletionStreamManager(_ManagerBase, Generic[T]):
    """``async with manager as stream`` for ``chat.completions.stream(response_format=T)``:
    the stream is a `ParsedChatCompletionStream[T]`."""

    def __init__(
        self,
        open_raw: Callable[[], Stream[Any]],
        response_format: type[T],
        *,
        parse_tool_arguments: ParseArguments | None = None,
    ) -> None:
        super().__init__(open_raw, parse_tool_arguments=parse_tool_arguments)
        self._format = response_format

    async def __aenter__(self) -> ParsedChatCompletionStream[T]:
        from ._structured import decode_output

        raw = await self._open()
        fmt = self._format

        def parse_content(text: str) -> T:
            # The snapshot goes into a parse error, for the caller to see what came.
            return decode_output(fmt, text, response=state.current_completion_snapshot)

        state = ChatCompletionStreamState(
            parse_content=parse_content, parse_tool_arguments=self._parse_arguments
        )
        stream = ParsedChatCompletionStream(raw, state, fmt)
        self._stream = stream
        return stream


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
    body, options = _request(params)

    def open_raw() -> Stream[Any]:
        return client._stream("POST", "/chat/completions", body=body, options=options)  # pyright: ignore[reportPrivateUsage]

    return ChatCompletionStreamManager(open_raw)


def open_parsed_chat_stream(
    client: OpenAI, response_format: type[T], **params: Any
) -> ParsedChatCompletionStreamManager[T]:
    """`open_chat_stream` asking for JSON of type `response_format`
    (``client.chat.completions.stream(response_format=T)``), as
    ``chat.completions.parse`` asks: the same request body, streamed.

    ``content.done`` events carry the content parsed into a T, and
    ``tool_calls.function.arguments.done`` events of strict `function_tool`s their
    arguments decoded; the final completion is a `ParsedChatCompletion[T]`. Raises
    `TypeError` here when the type has no strict schema.
    """
    from ._structured import chat_response_format, tool_params

    params["response_format"] = chat_response_format(response_format)
    tools = params.get("tools")
    parse_arguments = _strict_tools_parser(tools)
    if tools is not None:
        params["tools"] = tool_params(tools, chat=True)
    body, options = _request(params)

    def open_raw() -> Stream[Any]:
        return client._stream("POST", "/chat/completions", body=body, options=options)  # pyright: ignore[reportPrivateUsage]

    return ParsedChatCompletionStreamManager(
        open_raw, response_format, parse_tool_arguments=parse_arguments
    )


def _strict_tools_parser(tools: object) -> ParseArguments | None:
    """The arguments decoder of the strict `FunctionTool`s among `tools`, or None."""
    from ._tools import FunctionTool

    if not isinstance(tools, list | tuple):
        return None
    strict: dict[str, FunctionTool[Any]] = {
        t.name: t
        for t in cast("Sequence[object]", tools)
        if isinstance(t, FunctionTool) and t.strict
    }
    if not strict:
        return None

    def parse(name: str, arguments: str) -> object:
        tool = strict.get(name)
        return tool.parse_arguments(arguments) if tool is not None else None

    return parse


def _request(params: dict[str, Any]) -> tuple[dict[str, Any], CallOptions]:
    """(body, call options) of a chat stream: `omit` values left out, ``stream=true`` set."""
    stream = params.pop("stream", True)
    if stream is not True and not isinstance(stream, Omit):
        raise TypeError("open_chat_stream() always streams: leave out `stream`")
    body: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for key, value in params.items():
        if not isinstance(value, Omit):
            (options if key in _OPTION_NAMES else body)[key] = value
    body["stream"] = True
    return body, cast(CallOptions, options)
