"""The pure accumulator of a streamed chat completion: chunks in, events and a completion out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, final

from .._models import BaseModel
from ..types.chat import (
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
    CreateChatCompletionStreamResponseChoice,
)
from ._chat_events import (
    ChatCompletionStreamEvent,
    ChunkEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    FunctionToolCallArgumentsDeltaEvent,
    FunctionToolCallArgumentsDoneEvent,
    LogprobsContentDeltaEvent,
    LogprobsContentDoneEvent,
    LogprobsRefusalDeltaEvent,
    LogprobsRefusalDoneEvent,
    ParseArguments,
    ParseContent,
    RefusalDeltaEvent,
    RefusalDoneEvent,
    TextSoFar,
    chunk_event,
    text_delta_event,
)
from ._chat_merge import (
    IDENTIFIERS as _IDENTIFIERS,
    Choice as _Choice,
    add_counts as _add_counts,
    checked_index as _index,
    decodes_safely as _decodes_safely,
    invalid as _invalid,
    is_update_of as _is_update_of,
    merge_unknown as _merge_unknown,
    text_piece as _text_piece,
)
from ._parse_errors import ContentFilterFinishReasonError, LengthFinishReasonError

__all__ = [
    "ChatCompletionStreamState",
]

# --- the accumulator (pure) ----------------------------------------------------------------

_CHUNK_OBJECT: Final = "chat.completion.chunk"
# `obfuscation` pads each chunk to hide token lengths: it means nothing in the completion.
_NOT_COPIED: Final = frozenset({"object", "choices", "usage", "obfuscation"})
# Some servers also send a `message` in chunks: the one built from the deltas is kept.
_CHOICE_KEYS: Final = frozenset({"index", "delta", "logprobs", "finish_reason", "message"})
_PLAIN_CHOICE_KEYS: Final = frozenset({"index", "delta", "logprobs", "finish_reason"})
_UNPARSEABLE: Final = frozenset({"length", "content_filter"})  # finish reasons


@final
class ChatCompletionStreamState:
    """Folds chat completion chunks into one completion and says what each chunk changed.

    Pure: no I/O. ``handle_chunk(chunk)`` returns the chunk's events; ``finish()`` returns
    the ``*.done`` events still owed when a stream ends without a ``finish_reason``.

    How chunks combine:

    - Choices by their ``index``: an index never seen creates the choice (in any order);
      -1 counts as 0; another negative number or a non-integer raises
      `APIResponseValidationError`. Tool calls likewise, per choice; a tool call without
      an index continues the latest one unless it brings a new ``id``.
    - ``content``, ``refusal`` and function ``arguments`` are joined; a tool call's ``id``
      and function ``name`` are taken once (some servers repeat them in every chunk);
      ``finish_reason`` and the other top-level fields keep their latest non-null value;
      logprobs are appended; keys the spec does not declare are kept.
    - ``usage``: OpenAI sends one report, in a last chunk whose ``choices`` is empty. Some
      compatible servers send several: parts (the prompt's tokens first, the completion's
      at the end) or running totals (vLLM's continuous usage stats), sometimes the same
      report twice. A report that is >= the previous one in every counter updates it;
      any other report is a new part, added to the others.
    - Chunks whose ``object`` is some other string are skipped (Azure's content-filter
      notes, with ``object: ""``).
    """

    def __init__(
        self,
        *,
        parse_content: ParseContent | None = None,
        parse_tool_arguments: ParseArguments | None = None,
    ) -> None:
        self._parse_content = parse_content
        self._parse_arguments = parse_tool_arguments
        self._completion: dict[str, Any] | None = None
        self._choices: dict[int, _Choice] = {}
        self._usage_parts: dict[str, Any] | None = None  # the sum of the finished parts
        self._usage_last: Mapping[str, Any] | None = None
        self._snapshot: CreateChatCompletionResponse | None = None
        self._texts: list[tuple[dict[str, Any], str, TextSoFar]] = []  # where each text goes

    def _text(self, target: dict[str, Any], key: str) -> TextSoFar:
        text = TextSoFar()
        self._texts.append((target, key, text))
        return text

    @property
    def current_completion_snapshot(self) -> CreateChatCompletionResponse:
        """The completion so far, as the typed non-streamed result (built when asked)."""
        if self._snapshot is None:
            if self._completion is None:
                raise RuntimeError("no chat completion chunk has been received yet")
            for target, key, text in self._texts:
                target[key] = text.value()
            self._snapshot = CreateChatCompletionResponse.from_dict(self._completion)
        return self._snapshot

    def get_final_completion(self) -> CreateChatCompletionResponse:
        """The accumulated completion; call it once the stream has ended."""
        if self._completion is None:
            raise _invalid("the stream ended before its first chunk", None)
        return self.current_completion_snapshot

    def handle_chunk(
        self, chunk: Mapping[str, Any] | CreateChatCompletionStreamResponse
    ) -> list[ChatCompletionStreamEvent]:
        """Fold one chunk in; returns its events (a `ChunkEvent` first).

        Raises `APIResponseValidationError` for a chunk of the wrong shape.
        """
        typed: CreateChatCompletionStreamResponse | None
        raw: Any = chunk
        if chunk.__class__ is dict:
            plain = self._plain_text(raw)
            if plain is not None:
                return plain
        if chunk.__class__ is dict and _decodes_safely(raw):
            typed = None
        elif isinstance(chunk, BaseModel):
            typed, raw = chunk, chunk.to_dict()
        else:
            typed = CreateChatCompletionStreamResponse.from_dict(chunk)
            raw = chunk
        kind = raw.get("object")
        if isinstance(kind, str) and kind != _CHUNK_OBJECT:
            return []
        self._snapshot = None
        completion = self._completion
        if completion is None:
            completion = self._completion = {"object": "chat.completion", "choices": []}
        for key, value in raw.items():
            if key not in _NOT_COPIED and (value is not None or key not in completion):
                completion[key] = value
        usage = raw.get("usage")
        if usage is not None:
            self._add_usage(usage)
        events: list[ChatCompletionStreamEvent] = [
            chunk_event(raw, self) if typed is None else ChunkEvent(chunk=typed, state=self)
        ]
        raw_choices = raw.get("choices")
        if raw_choices:
            if typed is None:
                for raw_choice in raw_choices:
                    self._handle_choice(raw_choice, None, events)
            else:
                for raw_choice, typed_choice in zip(raw_choices, typed.choices, strict=True):
                    self._handle_choice(raw_choice, typed_choice, events)
        return events

    def _plain_text(self, raw: Any) -> list[ChatCompletionStreamEvent] | None:
        """The events of the chunks that make up most of a stream (one choice already
        seen, a delta of content only), in one function; None for any other chunk,
        which takes the general path (that gives the same result for these)."""
        choices = raw.get("choices")
        if (
            choices.__class__ is not list
            or len(choices) != 1
            or raw.get("object") != _CHUNK_OBJECT
            or raw.get("usage") is not None
            or raw.get("moderation") is not None
        ):
            return None
        raw_choice = choices[0]
        if (
            raw_choice.__class__ is not dict
            or not _PLAIN_CHOICE_KEYS.issuperset(raw_choice)
            or raw_choice.get("logprobs") is not None
            or raw_choice.get("finish_reason") is not None
        ):
            return None
        delta = raw_choice.get("delta")
        if delta.__class__ is not dict or len(delta) != 1:
            return None
        content = delta.get("content")
        index = raw_choice.get("index")
        if content.__class__ is not str or type(index) is not int:
            return None
        choice = self._choices.get(index)
        text = None if choice is None else choice.texts.get("content")
        if text is None:
            return None
        completion = self._completion
        assert completion is not None
        self._snapshot = None
        for key, value in raw.items():
            if key not in _NOT_COPIED and (value is not None or key not in completion):
                completion[key] = value
        end = text.append(content)
        return [
            chunk_event(raw, self),
            text_delta_event(ContentDeltaEvent, content, text, end, index),
        ]

    def finish(self) -> list[ChatCompletionStreamEvent]:
        """The end of the stream: the ``*.done`` events not sent yet, if any."""
        events: list[ChatCompletionStreamEvent] = []
        for index in sorted(self._choices):
            self._finish_choice(self._choices[index], events)
        return events

    # -- one choice --------------------------------------------------------------------

    def _choice(self, index: int) -> _Choice:
        choice = self._choices.get(index)
        if choice is None:
            choice = self._choices[index] = _Choice(index)
            assert self._completion is not None
            ordered = sorted(self._choices.values(), key=lambda c: c.index)
            self._completion["choices"] = [c.data for c in ordered]
        return choice

    def _handle_choice(
        self,
        raw: dict[str, Any],
        typed: CreateChatCompletionStreamResponseChoice | None,
        events: list[ChatCompletionStreamEvent],
    ) -> None:
        index = raw.get("index")
        choice = self._choices.get(index) if type(index) is int else None
        if choice is None:
            choice = self._choice(0 if index is None else _index(index, "choice"))
        if not _CHOICE_KEYS.issuperset(raw):
            for key, value in raw.items():
                if key not in _CHOICE_KEYS:
                    _merge_unknown(choice.data, key, value, concat=False)
        delta = raw.get("delta")
        if delta:
            self._merge_delta(choice, delta, events)
        logprobs = raw.get("logprobs")
        if logprobs and typed is not None:  # a chunk with logprobs is decoded at once
            self._merge_logprobs(choice, logprobs, typed, events)
        finish_reason = raw.get("finish_reason")
        if finish_reason is not None:
            choice.data["finish_reason"] = finish_reason
            if finish_reason in _UNPARSEABLE and (self._parse_content or self._parse_arguments):
                # Cut off or filtered: nothing to parse. openai-python raises these here too.
                completion = self.current_completion_snapshot
                if finish_reason == "length":
                    raise LengthFinishReasonError(completion=completion)
                raise ContentFilterFinishReasonError(completion=completion)
            self._finish_choice(choice, events)

    def _merge_delta(
        self, choice: _Choice, delta: dict[str, Any], events: list[ChatCompletionStreamEvent]
    ) -> None:
        message = choice.message
        texts = choice.texts
        for key, value in delta.items():
            if value is None:
                if key not in message:
                    message[key] = None
            elif key == "content" or key == "refusal":
                text = texts.get(key)
                if text is None:
                    text = texts[key] = self._text(message, key)
                if not isinstance(value, str):
                    raise _invalid(f"{key} must be a string, got {type(value).__name__}", value)
                end = text.append(value)
                kind = ContentDeltaEvent if key == "content" else RefusalDeltaEvent
                events.append(text_delta_event(kind, value, text, end, choice.index))
            elif key == "tool_calls":
                for call in value:
                    self._merge_tool_call(choice, call, events)
            elif key == "function_call":  # deprecated form of tool calls: accumulated, no events
                function = message.get("function_call") or {"arguments": ""}
                message["function_call"] = function
                self._merge_function(function, value)
            elif key == "role":
                message["role"] = value
            elif isinstance(value, str) and key not in _IDENTIFIERS:
                # An undeclared string (reasoning_content): joined, as `_merge_unknown` would.
                text = texts.get(key)
                if text is None:
                    text = texts[key] = self._text(message, key)
                    message[key] = value
                text.append(value)
            else:
                replaced = texts.pop(key, None)  # another type replaces (or merges with) it
                if replaced is not None:
                    self._texts = [t for t in self._texts if t[2] is not replaced]
                _merge_unknown(message, key, value, concat=True)

    def _tool_index(self, choice: _Choice, raw: dict[str, Any]) -> int:
        value = raw.get("index")
        if value is not None:
            return _index(value, "tool call")
        current = choice.current_tool
        if current is None:
            return 0
        call_id = raw.get("id")
        if call_id and call_id != choice.tool_calls[current].get("id"):
            return max(choice.tool_calls) + 1
        return current

    def _merge_tool_call(
        self, choice: _Choice, raw: dict[str, Any], events: list[ChatCompletionStreamEvent]
    ) -> None:
        index = self._tool_index(choice, raw)
        if index != choice.current_tool:
            self._close_content(choice, events)
            if choice.current_tool is not None:
                self._close_tool(choice, choice.current_tool, events)
            choice.current_tool = index
        call = choice.tool_calls.get(index)
        if call is None:
            call = choice.tool_calls[index] = {"type": "function", "function": {"arguments": ""}}
            choice.arguments[index] = self._text(call["function"], "arguments")
            ordered = sorted(choice.tool_calls.items())
            choice.message["tool_calls"] = [c for _, c in ordered]
        arguments_delta = ""
        arguments = choice.arguments[index]
        for key, value in raw.items():
            if key == "index":
                continue
            if key == "id":
                if value and not call.get("id"):
                    call["id"] = value
            elif key == "type":
                if value:
                    call["type"] = value
            elif key == "function":
                if value:
                    arguments_delta = self._merge_function(call["function"], value, arguments)
            else:
                _merge_unknown(call, key, value, concat=True)
        name = call["function"].get("name") or ""
        end = arguments.length
        events.append(
            FunctionToolCallArgumentsDeltaEvent._lazy(  # pyright: ignore[reportPrivateUsage]
                name, index, arguments_delta, arguments, end, choice.index
            )
        )

    @staticmethod
    def _merge_function(
        function: dict[str, Any], raw: dict[str, Any], arguments: TextSoFar | None = None
    ) -> str:
        """Merge a function delta; a tool call's arguments go to its `arguments` text,
        the deprecated ``function_call``'s (no events, no snapshots) into the dict."""
        added = ""
        for key, value in raw.items():
            if key == "arguments":
                if value is not None:
                    added = _text_piece(value, "arguments")
                    if arguments is not None:
                        arguments.append(added)
                    else:
                        old = function.get("arguments")
                        function["arguments"] = old + added if isinstance(old, str) else added
            elif key == "name":
                if value and not function.get("name"):
                    function["name"] = value
            else:
                _merge_unknown(function, key, value, concat=True)
        return added

    def _merge_logprobs(
        self,
        choice: _Choice,
        raw: dict[str, Any],
        typed: CreateChatCompletionStreamResponseChoice,
        events: list[ChatCompletionStreamEvent],
    ) -> None:
        kept: dict[str, Any] | None = choice.data["logprobs"]
        if kept is None:
            kept = choice.data["logprobs"] = {"content": None, "refusal": None}
        for key, value in raw.items():
            if key in ("content", "refusal"):
                if value:
                    kept[key] = [*(kept[key] or ()), *value]
            else:
                _merge_unknown(kept, key, value, concat=False)
        logprobs = typed.logprobs
        if not logprobs:
            return
        if logprobs.content:
            choice.logprobs_content.extend(logprobs.content)
            events.append(
                LogprobsContentDeltaEvent(
                    content=list(logprobs.content),
                    snapshot=list(choice.logprobs_content),
                    choice_index=choice.index,
                )
            )
        if logprobs.refusal:
            choice.logprobs_refusal.extend(logprobs.refusal)
            events.append(
                LogprobsRefusalDeltaEvent(
                    refusal=list(logprobs.refusal),
                    snapshot=list(choice.logprobs_refusal),
                    choice_index=choice.index,
                )
            )

    # -- done events ---------------------------------------------------------------------

    def _finish_choice(self, choice: _Choice, events: list[ChatCompletionStreamEvent]) -> None:
        self._close_content(choice, events)
        if choice.current_tool is not None:
            self._close_tool(choice, choice.current_tool, events)

    def _close_content(self, choice: _Choice, events: list[ChatCompletionStreamEvent]) -> None:
        at = choice.index
        text = choice.texts.get("content")
        content = None if text is None else text.value()
        if content and not choice.content_done:
            choice.content_done = True
            parsed = self._parse_content(content) if self._parse_content else None
            events.append(ContentDoneEvent(content=content, parsed=parsed, choice_index=at))
        text = choice.texts.get("refusal")
        refusal = None if text is None else text.value()
        if refusal is not None and not choice.refusal_done:
            choice.refusal_done = True
            events.append(RefusalDoneEvent(refusal=refusal, choice_index=at))
        if choice.logprobs_content and not choice.logprobs_content_done:
            choice.logprobs_content_done = True
            content_logprobs = list(choice.logprobs_content)
            events.append(LogprobsContentDoneEvent(content=content_logprobs, choice_index=at))
        if choice.logprobs_refusal and not choice.logprobs_refusal_done:
            choice.logprobs_refusal_done = True
            refusal_logprobs = list(choice.logprobs_refusal)
            events.append(LogprobsRefusalDoneEvent(refusal=refusal_logprobs, choice_index=at))

    def _close_tool(
        self, choice: _Choice, index: int, events: list[ChatCompletionStreamEvent]
    ) -> None:
        if index in choice.done_tools:
            return
        choice.done_tools.add(index)
        function = choice.tool_calls[index]["function"]
        name: str = function.get("name") or ""
        arguments = choice.arguments[index].value()
        parsed = self._parse_arguments(name, arguments) if self._parse_arguments else None
        events.append(
            FunctionToolCallArgumentsDoneEvent(
                name=name,
                index=index,
                arguments=arguments,
                parsed_arguments=parsed,
                choice_index=choice.index,
            )
        )

    # -- usage ---------------------------------------------------------------------------

    def _add_usage(self, report: Mapping[str, Any]) -> None:
        last = self._usage_last
        if last is not None and not _is_update_of(report, last):
            parts = self._usage_parts
            self._usage_parts = dict(last) if parts is None else _add_counts(parts, last)
        self._usage_last = report
        parts = self._usage_parts
        assert self._completion is not None
        self._completion["usage"] = report if parts is None else _add_counts(parts, report)
