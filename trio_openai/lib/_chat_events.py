"""The typed events of a streamed chat completion (see _chat_stream)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Literal, TypeAlias, final

import attrs

from ..types.chat import (
    ChatCompletionTokenLogprob,
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
)

if TYPE_CHECKING:
    from ._chat_state import ChatCompletionStreamState

    pass

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
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
]

ParseContent: TypeAlias = Callable[[str], object]
"""Hook for structured outputs: the finished content -> ``ContentDoneEvent.parsed``."""
ParseArguments: TypeAlias = Callable[[str, str], object]
"""Hook for function tools: (name, finished arguments) -> ``parsed_arguments``."""


# --- events ----------------------------------------------------------------------------


@final
@attrs.frozen(kw_only=True)
class ChunkEvent:
    """One chunk as received, and the completion accumulated so far.

    `snapshot` is built on first access from the state's live accumulation (as in
    openai-python, where it is one shared, mutated object): read it while handling this
    event; read later, it also holds the chunks received since.
    """

    type: ClassVar[Literal["chunk"]] = "chunk"
    chunk: CreateChatCompletionStreamResponse
    state: ChatCompletionStreamState = attrs.field(repr=False, eq=False)

    @property
    def snapshot(self) -> CreateChatCompletionResponse:
        return self.state.current_completion_snapshot


@final
@attrs.frozen(kw_only=True)
class ContentDeltaEvent:
    """Text of the message: ``delta`` just arrived, ``snapshot`` is all of it so far."""

    type: ClassVar[Literal["content.delta"]] = "content.delta"
    delta: str
    snapshot: str
    choice_index: int = 0


@final
@attrs.frozen(kw_only=True)
class ContentDoneEvent:
    """The message text is complete; ``parsed`` is set by a structured-output hook."""

    type: ClassVar[Literal["content.done"]] = "content.done"
    content: str
    parsed: object | None = None
    choice_index: int = 0


@final
@attrs.frozen(kw_only=True)
class RefusalDeltaEvent:
    type: ClassVar[Literal["refusal.delta"]] = "refusal.delta"
    delta: str
    snapshot: str
    choice_index: int = 0


@final
@attrs.frozen(kw_only=True)
class RefusalDoneEvent:
    type: ClassVar[Literal["refusal.done"]] = "refusal.done"
    refusal: str
    choice_index: int = 0


@final
@attrs.frozen(kw_only=True)
class FunctionToolCallArgumentsDeltaEvent:
    """Arguments of tool call ``index``: ``arguments_delta`` new, ``arguments`` so far."""

    type: ClassVar[Literal["tool_calls.function.arguments.delta"]] = (
        "tool_calls.function.arguments.delta"
    )
    name: str
    index: int
    arguments: str
    arguments_delta: str
    choice_index: int = 0


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


ChatCompletionStreamEvent: TypeAlias = (
    ChunkEvent
    | ContentDeltaEvent
    | ContentDoneEvent
    | RefusalDeltaEvent
    | RefusalDoneEvent
    | FunctionToolCallArgumentsDeltaEvent
    | FunctionToolCallArgumentsDoneEvent
    | LogprobsContentDeltaEvent
    | LogprobsContentDoneEvent
    | LogprobsRefusalDeltaEvent
    | LogprobsRefusalDoneEvent
)
