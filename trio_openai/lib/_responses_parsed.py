"""``client.responses.stream(text_format=City)``: structured output while streaming.

As openai-python's ``responses.stream(text_format=...)``: the request is the one
``responses.parse`` sends (``text.format`` a strict JSON schema of the type), streamed; each
``response.output_text.done`` event comes as a `ParsedResponseTextDoneEvent` whose ``parsed``
holds the text decoded into the type (None for a message whose ``phase`` is not the final
answer, as there), and ``get_final_response()`` returns a `ParsedResponse` with
``output_parsed``. Everything else (events, resume, cancellation) is `ResponseStream`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar, cast, final

from .._models import generated_model
from ..types import response_events as _ev
from ..types.response_events import ResponseTextDoneEvent
from ._responses_stream import ResponseStream, ResponseStreamManager
from ._structured import (
    ParsedResponse,
    decode_output,
    parse_response,
    response_text_format,
    split_params,
    tool_params,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._client import OpenAI
    from .._streaming import Stream
    from .._types import CallOptions

__all__ = [
    "ParsedResponseStream",
    "ParsedResponseStreamEvent",
    "ParsedResponseStreamManager",
    "ParsedResponseTextDoneEvent",
    "open_parsed_response_stream",
]

T = TypeVar("T")
_P = TypeVar("_P")


@final
@generated_model
class ParsedResponseTextDoneEvent(ResponseTextDoneEvent, Generic[_P]):
    """``response.output_text.done`` with the finished text decoded as ``parsed``.

    ``parsed`` is None for the text of a message whose ``phase`` is not ``final_answer``
    (commentary); it is not part of `to_dict()`, which stays what the server sent.
    """

    parsed: _P | None = None

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if "parsed" not in self.extra:
            data.pop("parsed", None)
        return data


ParsedResponseStreamEvent: TypeAlias = (
    _ev.ResponseAudioDeltaEvent
    | _ev.ResponseAudioDoneEvent
    | _ev.ResponseAudioTranscriptDeltaEvent
    | _ev.ResponseAudioTranscriptDoneEvent
    | _ev.ResponseCodeInterpreterCallCodeDeltaEvent
    | _ev.ResponseCodeInterpreterCallCodeDoneEvent
    | _ev.ResponseCodeInterpreterCallCompletedEvent
    | _ev.ResponseCodeInterpreterCallInProgressEvent
    | _ev.ResponseCodeInterpreterCallInterpretingEvent
    | _ev.ResponseCompletedEvent
    | _ev.ResponseContentPartAddedEvent
    | _ev.ResponseContentPartDoneEvent
    | _ev.ResponseCreatedEvent
    | _ev.ResponseErrorEvent
    | _ev.ResponseFileSearchCallCompletedEvent
    | _ev.ResponseFileSearchCallInProgressEvent
    | _ev.ResponseFileSearchCallSearchingEvent
    | _ev.ResponseFunctionCallArgumentsDeltaEvent
    | _ev.ResponseFunctionCallArgumentsDoneEvent
    | _ev.ResponseShellCallCommandAddedStreamingEvent
    | _ev.ResponseShellCallCommandDeltaStreamingEvent
    | _ev.ResponseShellCallCommandDoneStreamingEvent
    | _ev.ResponseShellCallOutputContentDeltaStreamingEvent
    | _ev.ResponseShellCallOutputContentDoneStreamingEvent
    | _ev.ResponseInProgressEvent
    | _ev.ResponseFailedEvent
    | _ev.ResponseIncompleteEvent
    | _ev.ResponseOutputItemAddedEvent
    | _ev.ResponseOutputItemDoneEvent
    | _ev.ResponseReasoningSummaryPartAddedEvent
    | _ev.ResponseReasoningSummaryPartDoneEvent
    | _ev.ResponseReasoningSummaryTextDeltaEvent
    | _ev.ResponseReasoningSummaryTextDoneEvent
    | _ev.ResponseReasoningTextDeltaEvent
    | _ev.ResponseReasoningTextDoneEvent
    | _ev.ResponseRefusalDeltaEvent
    | _ev.ResponseRefusalDoneEvent
    | _ev.ResponseTextDeltaEvent
    | ParsedResponseTextDoneEvent[_P]
    | _ev.ResponseWebSearchCallCompletedEvent
    | _ev.ResponseWebSearchCallInProgressEvent
    | _ev.ResponseWebSearchCallSearchingEvent
    | _ev.ResponseImageGenCallCompletedEvent
    | _ev.ResponseImageGenCallGeneratingEvent
    | _ev.ResponseImageGenCallInProgressEvent
    | _ev.ResponseImageGenCallPartialImageEvent
    | _ev.ResponseMCPCallArgumentsDeltaEvent
    | _ev.ResponseMCPCallArgumentsDoneEvent
    | _ev.ResponseMCPCallCompletedEvent
    | _ev.ResponseMCPCallFailedEvent
    | _ev.ResponseMCPCallInProgressEvent
    | _ev.ResponseMCPListToolsCompletedEvent
    | _ev.ResponseMCPListToolsFailedEvent
    | _ev.ResponseMCPListToolsInProgressEvent
    | _ev.ResponseOutputTextAnnotationAddedEvent
    | _ev.ResponseQueuedEvent
    | _ev.ResponseCustomToolCallInputDeltaEvent
    | _ev.ResponseCustomToolCallInputDoneEvent
)
"""An event of ``responses.stream(text_format=T)``: `ResponseStreamEvent` with
``response.output_text.done`` as a `ParsedResponseTextDoneEvent[T]`."""


@final
class ParsedResponseStream(ResponseStream, Generic[T]):
    """A `ResponseStream` asking for JSON of type ``T``: text-done events carry the parsed
    text, and the final response is a `ParsedResponse[T]`.

    Parsing raises `StructuredOutputError` (carrying the text) when a finished text is not
    JSON of that type.
    """

    def __init__(self, *args: Any, text_format: type[T], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._format = text_format

    def __aiter__(self) -> ParsedResponseStream[T]:
        return self

    async def __anext__(self) -> ParsedResponseStreamEvent[T]:
        event = await super().__anext__()
        if event.type != "response.output_text.done":
            return event
        fields = {a: getattr(event, a) for a in ResponseTextDoneEvent._KEYS}  # pyright: ignore[reportPrivateUsage]
        parsed: T | None = None
        if self._phase(event.output_index) in (None, "final_answer"):
            parsed = decode_output(self._format, event.text, response=self.current_snapshot())
        done: ParsedResponseTextDoneEvent[T] = ParsedResponseTextDoneEvent(
            **fields, parsed=parsed
        )
        done.extra.update(event.extra)
        return done

    def _phase(self, output_index: int) -> object:
        """The ``phase`` of output item `output_index` in the snapshot (None: none given)."""
        response = self._snapshot.response
        output: object = response.get("output") if response is not None else None
        if not isinstance(output, list):
            return None
        items = cast("list[object]", output)
        if not 0 <= output_index < len(items):
            return None
        item = items[output_index]
        return cast("dict[str, object]", item).get("phase") if isinstance(item, dict) else None

    async def get_final_response(self) -> ParsedResponse[T]:
        """Read the rest of the stream and return the `Response` with its output text
        parsed as ``output_parsed`` (None when the model refused or wrote no text)."""
        return parse_response(await super().get_final_response(), self._format)


@final
class ParsedResponseStreamManager(ResponseStreamManager, Generic[T]):
    """``async with manager as stream`` for ``responses.stream(text_format=T)``."""

    def __init__(self, *args: Any, text_format: type[T], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._format = text_format

    async def __aenter__(self) -> ParsedResponseStream[T]:
        stream = await super().__aenter__()
        assert isinstance(stream, ParsedResponseStream)
        return stream  # pyright: ignore[reportUnknownVariableType]

    def _wrap(self, stream: Stream[Any]) -> ParsedResponseStream[T]:
        return ParsedResponseStream(
            self._client,
            stream,
            resume=self._resume,
            max_resumes=self._max_resumes,
            options=self._options,
            text_format=self._format,
        )


def open_parsed_response_stream(
    client: OpenAI, body: Mapping[str, Any], options: CallOptions, text_format: type[T]
) -> ParsedResponseStreamManager[T]:
    """``responses.stream(text_format=T)``: `body` (``responses.create``'s parameters) with
    ``text.format`` set as ``responses.parse`` sets it, and FunctionTools turned into dicts.

    Raises `TypeError` here when the type has no strict schema, or ``text`` has a format.
    """
    params, _ = split_params(body)
    given: object = params.get("text")
    text: dict[str, Any] = dict(given) if isinstance(given, dict) else {}  # pyright: ignore[reportUnknownArgumentType]
    if "format" in text:
        raise TypeError("give either text_format or text={'format': ...}, not both")
    params["text"] = {**text, "format": response_text_format(text_format)}
    if "tools" in params:
        params["tools"] = tool_params(params["tools"], chat=False)
    return ParsedResponseStreamManager(client, params, options=options, text_format=text_format)
