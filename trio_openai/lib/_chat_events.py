"""The typed events of a streamed chat completion (see _chat_stream)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeAlias, TypeVar, cast, final

import attrs

from ..types.chat import (
    ChatCompletionTokenLogprob,
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
)

if TYPE_CHECKING:
    from ._chat_state import ChatCompletionStreamState

__all__ = [
    "ChatCompletionStreamEvent",
    "ChunkEvent",
    "ContentDeltaEvent",
    "ContentDoneEvent",
    "FunctionToolCallArgumentsDeltaEvent",
    "FunctionToolCallArgumentsDoneEvent",
    "LogprobsContentDeltaEvent",
    "LogprobsContentDoneEvent",
    "LogprobsRefusalDeltaEvent",
    "LogprobsRefusalDoneEvent",
    "ParseArguments",
    "ParseContent",
    "ParsedChatCompletionStreamEvent",
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
]

ParseContent: TypeAlias = Callable[[str], object]
"""Hook for structured outputs: the finished content -> ``ContentDoneEvent.parsed``."""
ParseArguments: TypeAlias = Callable[[str, str], object]
"""Hook for function tools: (name, finished arguments) -> ``parsed_arguments``."""


# --- events ----------------------------------------------------------------------------


class TextSoFar:
    """Text that grows piece by piece (a message's content, a tool call's arguments).

    Each delta event keeps this object and the length the text had at that event, and
    builds its ``snapshot`` string only when read. Building a string per event instead
    (``old + new``) copies the whole text on every token: quadratic in the stream's
    length, paid even by callers that never read a snapshot.
    """

    __slots__ = ("_joined", "_tail", "length")

    # Pieces kept apart before they are joined in: bounds the per-string overhead of a
    # long stream nobody reads, for ~1/512 of a copy of the text per piece.
    _MAX_TAIL = 512

    def __init__(self) -> None:
        self._joined = ""
        self._tail: list[str] = []
        self.length = 0

    def append(self, piece: str) -> int:
        """Add ``piece``; returns the text's new length (what an event refers to)."""
        tail = self._tail
        tail.append(piece)
        self.length += len(piece)
        if len(tail) >= self._MAX_TAIL:
            self._joined += "".join(tail)
            tail.clear()
        return self.length

    def value(self, end: int | None = None) -> str:
        """The text, or its first ``end`` characters (the text as it was at one event)."""
        if self._tail:
            self._joined += "".join(self._tail)
            self._tail.clear()
        joined = self._joined
        return joined if end is None or end == len(joined) else joined[:end]


_new = object.__new__
_TextDeltaT = TypeVar("_TextDeltaT", bound="_TextDelta")


class _Frozen:
    """Immutable after construction, like the attrs events beside these classes."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise attrs.exceptions.FrozenInstanceError

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError

    # copy, deepcopy and pickle restore slots with setattr, which refuses: go around it.
    def __getstate__(self) -> dict[str, object]:
        names = (name for cls in type(self).__mro__ for name in vars(cls).get("__slots__", ()))
        return {name: getattr(self, name) for name in names if hasattr(self, name)}

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)


@final
class ChunkEvent(_Frozen):
    """One chunk as received, and the completion accumulated so far.

    `chunk` is the typed chunk, decoded from the JSON on first access (most readers of a
    stream only look at the delta events). `snapshot` is built on first access from the
    state's live accumulation (as in openai-python, where it is one shared, mutated
    object): read it while handling this event; read later, it also holds the chunks
    received since.
    """

    # One slot set per event (each slot store is a call here, since __setattr__ refuses);
    # `_chunk` stays unset until the typed chunk is given or decoded.
    __slots__ = ("_chunk", "_v")
    type: ClassVar[Literal["chunk"]] = "chunk"
    _chunk: CreateChatCompletionStreamResponse
    _v: tuple[dict[str, Any] | None, ChatCompletionStreamState]  # (raw chunk, state)

    def __init__(
        self, *, chunk: CreateChatCompletionStreamResponse, state: ChatCompletionStreamState
    ) -> None:
        _set_chunk(self, chunk)
        _set_chunk_v(self, (None, state))

    @property
    def chunk(self) -> CreateChatCompletionStreamResponse:
        try:
            return self._chunk
        except AttributeError:
            pass
        chunk = CreateChatCompletionStreamResponse._from_dict(self._v[0])  # pyright: ignore[reportPrivateUsage]
        _set_chunk(self, chunk)
        return chunk

    @property
    def state(self) -> ChatCompletionStreamState:
        return self._v[1]

    @property
    def snapshot(self) -> CreateChatCompletionResponse:
        return self._v[1].current_completion_snapshot

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not ChunkEvent:
            return NotImplemented
        return self.chunk == cast(ChunkEvent, other).chunk

    __hash__: ClassVar[None] = None  # type: ignore[assignment]  # the chunk holds lists

    def __repr__(self) -> str:
        return f"ChunkEvent(chunk={self.chunk!r})"


_Setter: TypeAlias = Callable[[Any, Any], None]


def _setters(cls: type, *names: str) -> tuple[_Setter, ...]:
    # Slot descriptors: the way past __setattr__ (which refuses).
    return tuple(cast(_Setter, vars(cls)[name].__set__) for name in names)


_set_chunk, _set_chunk_v = _setters(ChunkEvent, "_chunk", "_v")


def chunk_event(raw: dict[str, Any], state: ChatCompletionStreamState) -> ChunkEvent:
    """A `ChunkEvent` whose typed chunk is decoded from ``raw`` when first read. The state
    has checked every value the typed decode would refuse, so that cannot fail."""
    event = _new(ChunkEvent)
    _set_chunk_v(event, (raw, state))
    return event


class _TextDelta(_Frozen):
    """A piece of text and the text so far (``snapshot``, a string built when read)."""

    __slots__ = ("_snapshot", "_v")
    _snapshot: str  # unset until given or read
    _v: tuple[str, TextSoFar | None, int, int]  # (delta, text, its length here, choice)

    def __init__(self, *, delta: str, snapshot: str, choice_index: int = 0) -> None:
        _set_text_v(self, (delta, None, 0, choice_index))
        _set_snapshot(self, snapshot)

    @property
    def delta(self) -> str:
        return self._v[0]

    @property
    def choice_index(self) -> int:
        return self._v[3]

    @property
    def snapshot(self) -> str:
        try:
            return self._snapshot
        except AttributeError:
            pass
        _, text, end, _ = self._v
        assert text is not None
        snapshot = text.value(end)
        _set_snapshot(self, snapshot)
        return snapshot

    def _key(self) -> tuple[str, str, int]:
        return (self._v[0], self.snapshot, self._v[3])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == cast(_TextDelta, other)._key()

    def __hash__(self) -> int:
        return hash((self.__class__, *self._key()))

    def __repr__(self) -> str:
        delta, snapshot, choice_index = self._key()
        return (
            f"{type(self).__name__}(delta={delta!r}, snapshot={snapshot!r}, "
            f"choice_index={choice_index!r})"
        )


_set_snapshot, _set_text_v = _setters(_TextDelta, "_snapshot", "_v")


def text_delta_event(
    kind: type[_TextDeltaT], delta: str, text: TextSoFar, end: int, choice_index: int
) -> _TextDeltaT:
    """A content or refusal delta event whose snapshot is ``text`` up to ``end``."""
    event = _new(kind)
    _set_text_v(event, (delta, text, end, choice_index))
    return event


@final
class ContentDeltaEvent(_TextDelta):
    """Text of the message: ``delta`` just arrived, ``snapshot`` is all of it so far."""

    __slots__ = ()
    type: ClassVar[Literal["content.delta"]] = "content.delta"


_P = TypeVar("_P")


@final
@attrs.frozen(kw_only=True)
class ContentDoneEvent(Generic[_P]):
    """The message text is complete; ``parsed`` is set by a structured-output hook.

    Generic in what ``parsed`` holds: ``ContentDoneEvent[City]`` from
    ``chat.completions.stream(response_format=City)``, ``ContentDoneEvent[object]`` in a
    stream that parses nothing (``parsed`` stays None there).
    """

    type: ClassVar[Literal["content.done"]] = "content.done"
    content: str
    parsed: _P | None = None
    choice_index: int = 0


@final
class RefusalDeltaEvent(_TextDelta):
    """Text of the refusal: ``delta`` just arrived, ``snapshot`` is all of it so far."""

    __slots__ = ()
    type: ClassVar[Literal["refusal.delta"]] = "refusal.delta"


@final
@attrs.frozen(kw_only=True)
class RefusalDoneEvent:
    type: ClassVar[Literal["refusal.done"]] = "refusal.done"
    refusal: str
    choice_index: int = 0


@final
class FunctionToolCallArgumentsDeltaEvent(_Frozen):
    """Arguments of tool call ``index``: ``arguments_delta`` new, ``arguments`` so far
    (a string built when read)."""

    __slots__ = ("_arguments", "_choice_index", "_delta", "_end", "_index", "_name", "_text")
    type: ClassVar[Literal["tool_calls.function.arguments.delta"]] = (
        "tool_calls.function.arguments.delta"
    )
    _arguments: str | None
    _choice_index: int
    _delta: str
    _end: int
    _index: int
    _name: str
    _text: TextSoFar | None

    def __init__(
        self, *, name: str, index: int, arguments: str, arguments_delta: str, choice_index: int = 0
    ) -> None:
        _set_arguments_delta(self, name, index, arguments_delta, choice_index, None, 0, arguments)

    @classmethod
    def _lazy(
        cls, name: str, index: int, delta: str, text: TextSoFar, end: int, choice_index: int
    ) -> FunctionToolCallArgumentsDeltaEvent:
        event = _new(cls)
        _set_arguments_delta(event, name, index, delta, choice_index, text, end, None)
        return event

    @property
    def name(self) -> str:
        return self._name

    @property
    def index(self) -> int:
        return self._index

    @property
    def arguments_delta(self) -> str:
        return self._delta

    @property
    def choice_index(self) -> int:
        return self._choice_index

    @property
    def arguments(self) -> str:
        arguments = self._arguments
        if arguments is None:
            assert self._text is not None
            arguments = self._text.value(self._end)
            _ARGUMENTS_SETTERS[-1](self, arguments)
        return arguments

    def _key(self) -> tuple[str, int, str, str, int]:
        return (self._name, self._index, self.arguments, self._delta, self._choice_index)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not FunctionToolCallArgumentsDeltaEvent:
            return NotImplemented
        return self._key() == cast(FunctionToolCallArgumentsDeltaEvent, other)._key()

    def __hash__(self) -> int:
        return hash((FunctionToolCallArgumentsDeltaEvent, *self._key()))

    def __repr__(self) -> str:
        return (
            f"FunctionToolCallArgumentsDeltaEvent(name={self._name!r}, index={self._index!r}, "
            f"arguments={self.arguments!r}, arguments_delta={self._delta!r}, "
            f"choice_index={self._choice_index!r})"
        )


_ARGUMENTS_SETTERS = _setters(
    FunctionToolCallArgumentsDeltaEvent,
    *("_name", "_index", "_delta", "_choice_index", "_text", "_end", "_arguments"),
)


def _set_arguments_delta(
    event: FunctionToolCallArgumentsDeltaEvent,
    name: str,
    index: int,
    delta: str,
    choice_index: int,
    text: TextSoFar | None,
    end: int,
    arguments: str | None,
) -> None:
    values = (name, index, delta, choice_index, text, end, arguments)
    for setter, value in zip(_ARGUMENTS_SETTERS, values, strict=True):
        setter(event, value)


@final
@attrs.frozen(kw_only=True)
class FunctionToolCallArgumentsDoneEvent:
    """Tool call ``index`` is complete; ``parsed_arguments`` is set by a tools hook."""

    type: ClassVar[Literal["tool_calls.function.arguments.done"]] = (
        "tool_calls.function.arguments.done"
    )
    name: str
    index: int
    arguments: str
    parsed_arguments: object | None = None
    choice_index: int = 0


@final
@attrs.frozen(kw_only=True)
class LogprobsContentDeltaEvent:
    type: ClassVar[Literal["logprobs.content.delta"]] = "logprobs.content.delta"
    content: list[ChatCompletionTokenLogprob]
    snapshot: list[ChatCompletionTokenLogprob]
    choice_index: int = 0


@final
@attrs.frozen(kw_only=True)
class LogprobsContentDoneEvent:
    type: ClassVar[Literal["logprobs.content.done"]] = "logprobs.content.done"
    content: list[ChatCompletionTokenLogprob]
    choice_index: int = 0


@final
@attrs.frozen(kw_only=True)
class LogprobsRefusalDeltaEvent:
    type: ClassVar[Literal["logprobs.refusal.delta"]] = "logprobs.refusal.delta"
    refusal: list[ChatCompletionTokenLogprob]
    snapshot: list[ChatCompletionTokenLogprob]
    choice_index: int = 0


@final
@attrs.frozen(kw_only=True)
class LogprobsRefusalDoneEvent:
    type: ClassVar[Literal["logprobs.refusal.done"]] = "logprobs.refusal.done"
    refusal: list[ChatCompletionTokenLogprob]
    choice_index: int = 0


ParsedChatCompletionStreamEvent: TypeAlias = (
    ChunkEvent
    | ContentDeltaEvent
    | ContentDoneEvent[_P]
    | RefusalDeltaEvent
    | RefusalDoneEvent
    | FunctionToolCallArgumentsDeltaEvent
    | FunctionToolCallArgumentsDoneEvent
    | LogprobsContentDeltaEvent
    | LogprobsContentDoneEvent
    | LogprobsRefusalDeltaEvent
    | LogprobsRefusalDoneEvent
)
"""An event of ``chat.completions.stream(response_format=T)``: ``content.done`` carries a
``parsed`` T (`ChatCompletionStreamEvent` with ``ContentDoneEvent[T]``)."""

ChatCompletionStreamEvent: TypeAlias = ParsedChatCompletionStreamEvent[object]
"""An event of ``chat.completions.stream(...)`` without a response type."""
