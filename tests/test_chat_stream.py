"""The chat completions stream helper: the pure accumulator, then the stream over real sockets."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
import trio
from hypothesis import example, given, strategies as st

import trio_openai
from trio_openai import APIResponseValidationError
from trio_openai.lib._chat_stream import (
    ChatCompletionStreamEvent,
    ChatCompletionStreamState,
    ChunkEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    FunctionToolCallArgumentsDeltaEvent,
    FunctionToolCallArgumentsDoneEvent,
    open_chat_stream,
)
from trio_openai.testing import LocalServer, Reply
from trio_openai.types.chat import (
    ChatCompletionMessageToolCall,
    CompletionUsage,
    CreateChatCompletionResponse,
    CreateChatCompletionResponseChoiceLogprobs,
    CreateChatCompletionStreamResponse,
)

MESSAGES = [{"role": "user", "content": "stream me a few words"}]
ECHO_TEXT = "You said: stream me a few words"


def chunk(*choices: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A chunk as OpenAI sends it; `top` adds or overrides top-level keys."""
    base = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-test",
        "choices": list(choices),
    }
    return {**base, **top}


def choice(index: int = 0, finish_reason: str | None = None, **delta: Any) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


def feed(
    state: ChatCompletionStreamState,
    chunks: Sequence[Mapping[str, Any] | CreateChatCompletionStreamResponse],
) -> list[Any]:
    events: list[ChatCompletionStreamEvent] = []
    for c in chunks:
        events.extend(state.handle_chunk(c))
    events.extend(state.finish())
    return events


def of_type(events: list[Any], kind: str) -> list[Any]:
    return [e for e in events if e.type == kind]


def tool_calls_of(completion: CreateChatCompletionResponse) -> list[ChatCompletionMessageToolCall]:
    calls = completion.choices[0].message.tool_calls
    assert isinstance(calls, list)
    typed = [c for c in calls if isinstance(c, ChatCompletionMessageToolCall)]
    assert len(typed) == len(calls)
    return typed


def usage_of(completion: CreateChatCompletionResponse) -> CompletionUsage:
    assert isinstance(completion.usage, CompletionUsage)
    return completion.usage


def logprob(token: str) -> dict[str, Any]:
    return {"token": token, "logprob": -0.5, "bytes": list(token.encode()), "top_logprobs": []}


# --- the accumulator (pure) ------------------------------------------------------------------


@given(st.lists(st.text(max_size=12), max_size=20))
def test_any_split_of_the_content_reconstructs_it(pieces: list[str]) -> None:
    text = "".join(pieces)
    chunks = [chunk(choice(role="assistant", content=""))]
    chunks += [chunk(choice(content=piece)) for piece in pieces]
    chunks.append(chunk(choice(finish_reason="stop")))
    state = ChatCompletionStreamState()
    events = feed(state, chunks)

    deltas = of_type(events, "content.delta")
    assert "".join(e.delta for e in deltas) == text
    assert [e.snapshot for e in deltas] == [
        "".join(pieces[:n]) for n in range(len(pieces) + 1)
    ]  # the first chunk's "" delta included
    done = of_type(events, "content.done")
    assert [e.content for e in done] == ([text] if text else [])
    final = state.get_final_completion()
    assert final.choices[0].message.content == text
    assert final.choices[0].finish_reason == "stop"
    assert final.object == "chat.completion"


@given(
    st.lists(st.text(max_size=3), min_size=1, max_size=1500),
    st.sets(st.integers(0, 1500)),
)
@example(pieces=[str(i % 10) for i in range(1300)], read_early={0, 511, 512, 1025})
def test_snapshots_read_during_or_after_the_stream_are_the_text_at_their_event(
    pieces: list[str], read_early: set[int]
) -> None:
    # Snapshots are built when read: an event read right away, or long after (past the
    # point where the state joins its pieces), gives the text as it was at that event;
    # so do the tool call arguments.
    state = ChatCompletionStreamState()
    events: list[Any] = []
    early: dict[int, tuple[str, str]] = {}
    for n, piece in enumerate(pieces):
        call = {"index": 0, "function": {"arguments": piece}}
        if n == 0:
            call |= {"id": "c0", "function": {"name": "f", "arguments": piece}}
        new = state.handle_chunk(chunk(choice(content=piece, tool_calls=[call])))
        (content,) = of_type(new, "content.delta")
        (arguments,) = of_type(new, "tool_calls.function.arguments.delta")
        if n in read_early:
            early[n] = (content.snapshot, arguments.arguments)
        events.extend(new)
    contents = of_type(events, "content.delta")
    calls = of_type(events, "tool_calls.function.arguments.delta")
    for n, (content, arguments) in enumerate(zip(contents, calls, strict=True)):
        expected = "".join(pieces[: n + 1])
        assert (content.snapshot, arguments.arguments) == (expected, expected)
        assert early.get(n, (expected, expected)) == (expected, expected)
    text = "".join(pieces)
    final = state.get_final_completion()
    assert final.choices[0].message.content == text
    assert tool_calls_of(final)[0].function.arguments == text


@st.composite
def interleaved(draw: st.DrawFn) -> tuple[dict[int, list[str]], list[int]]:
    """Texts of a few choices split into pieces, and an interleaving of their chunks."""
    indexes = draw(st.lists(st.integers(0, 6), min_size=1, max_size=4, unique=True))
    pieces = {i: draw(st.lists(st.text(max_size=5), min_size=1, max_size=6)) for i in indexes}
    order = [i for i in indexes for _ in range(len(pieces[i]) + 1)]  # +1: the finishing chunk
    return pieces, draw(st.permutations(order))


@given(interleaved())
def test_interleaved_choices_accumulate_separately(
    case: tuple[dict[int, list[str]], list[int]],
) -> None:
    pieces, order = case
    sent = dict.fromkeys(pieces, 0)
    chunks: list[dict[str, Any]] = []
    for i in order:
        n = sent[i]
        sent[i] += 1
        if n < len(pieces[i]):
            chunks.append(chunk(choice(i, content=pieces[i][n])))
        else:
            chunks.append(chunk(choice(i, finish_reason="stop")))
    state = ChatCompletionStreamState()
    events = feed(state, chunks)

    final = state.get_final_completion()
    assert [c.index for c in final.choices] == sorted(pieces)
    for c in final.choices:
        assert c.message.content == "".join(pieces[c.index])
        assert c.finish_reason == "stop"
        mine = [e for e in of_type(events, "content.delta") if e.choice_index == c.index]
        assert "".join(e.delta for e in mine) == c.message.content
        done = [e for e in of_type(events, "content.done") if e.choice_index == c.index]
        assert [e.content for e in done] == ([c.message.content] if c.message.content else [])


@given(st.lists(st.text(max_size=8), min_size=1, max_size=10))
def test_tool_call_arguments_split_with_index_minus_one(pieces: list[str]) -> None:
    first = {"index": -1, "id": "call_1", "type": "function", "function": {"name": "f"}}
    chunks = [chunk(choice(role="assistant", tool_calls=[first]))]
    chunks += [
        chunk(choice(tool_calls=[{"index": -1, "function": {"arguments": p}}])) for p in pieces
    ]
    chunks.append(chunk(choice(finish_reason="tool_calls")))
    state = ChatCompletionStreamState()
    events = feed(state, chunks)

    deltas = of_type(events, "tool_calls.function.arguments.delta")
    assert all(e.index == 0 and e.name == "f" for e in deltas)
    assert [e.arguments_delta for e in deltas] == ["", *pieces]
    assert deltas[-1].arguments == "".join(pieces)
    done = of_type(events, "tool_calls.function.arguments.done")
    assert done == [
        FunctionToolCallArgumentsDoneEvent(name="f", index=0, arguments="".join(pieces))
    ]
    (call,) = tool_calls_of(state.get_final_completion())
    assert call.to_dict() == {
        "id": "call_1",
        "type": "function",
        "function": {"name": "f", "arguments": "".join(pieces)},
    }


def test_events_of_content_then_two_tool_calls_come_in_order() -> None:
    def call(index: int, **fields: Any) -> dict[str, Any]:
        return {"index": index, **fields}

    chunks = [
        chunk(choice(role="assistant", content="Let me check.")),
        chunk(choice(tool_calls=[call(0, id="c0", type="function", function={"name": "a"})])),
        chunk(choice(tool_calls=[call(0, function={"arguments": '{"x":'})])),
        chunk(choice(tool_calls=[call(0, function={"arguments": "1}"})])),
        chunk(choice(tool_calls=[call(1, id="c1", type="function", function={"name": "b"})])),
        chunk(choice(tool_calls=[call(1, function={"arguments": "{}"})])),
        chunk(choice(finish_reason="tool_calls")),
    ]
    events = feed(ChatCompletionStreamState(), chunks)
    kinds = [e.type for e in events if e.type != "chunk"]
    assert kinds == [
        "content.delta",
        "content.done",  # the text is over once the tool calls begin
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.done",  # call 0 ends when call 1 begins
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.done",
    ]
    done = of_type(events, "tool_calls.function.arguments.done")
    assert [(e.index, e.name, e.arguments) for e in done] == [(0, "a", '{"x":1}'), (1, "b", "{}")]


def test_tool_calls_without_index_are_told_apart_by_id() -> None:
    whole = [
        {"id": "c0", "type": "function", "function": {"name": "a", "arguments": "{}"}},
        {"id": "c1", "type": "function", "function": {"name": "b", "arguments": '{"k":'}},
        {"function": {"arguments": "2}"}},  # continues c1
    ]
    chunks = [chunk(choice(tool_calls=[c])) for c in whole]
    state = ChatCompletionStreamState()
    feed(state, chunks)
    calls = tool_calls_of(state.get_final_completion())
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("c0", "a", "{}"),
        ("c1", "b", '{"k":2}'),
    ]


def test_repeated_tool_call_id_and_name_are_not_doubled() -> None:
    repeated = {"index": 0, "id": "c0", "type": "function", "function": {"name": "f"}}
    chunks = [
        chunk(choice(tool_calls=[{**repeated, "function": {"name": "f", "arguments": '{"a"'}}])),
        chunk(choice(tool_calls=[{**repeated, "function": {"name": "f", "arguments": ":1}"}}])),
    ]
    state = ChatCompletionStreamState()
    feed(state, chunks)
    (call,) = tool_calls_of(state.get_final_completion())
    assert (call.id, call.function.name, call.function.arguments) == ("c0", "f", '{"a":1}')


def test_a_choice_index_never_seen_creates_it_in_order() -> None:
    state = ChatCompletionStreamState()
    feed(state, [chunk(choice(2, content="two")), chunk(choice(0, content="zero"))])
    final = state.get_final_completion()
    assert [(c.index, c.message.content) for c in final.choices] == [(0, "zero"), (2, "two")]


@pytest.mark.parametrize("bad", [-2, "0", 1.5, True, [0]])
def test_a_bad_choice_index_is_a_typed_error(bad: object) -> None:
    state = ChatCompletionStreamState()
    with pytest.raises(APIResponseValidationError, match="index"):
        state.handle_chunk(chunk({"index": bad, "delta": {"content": "x"}, "finish_reason": None}))


@pytest.mark.parametrize("bad", [-5, "1", 2.0])
def test_a_bad_tool_call_index_is_a_typed_error(bad: object) -> None:
    state = ChatCompletionStreamState()
    with pytest.raises(APIResponseValidationError, match="tool call index"):
        state.handle_chunk(chunk(choice(tool_calls=[{"index": bad, "function": {}}])))


@pytest.mark.parametrize(
    "bad_chunk",
    [
        chunk(choice(content=7)),
        chunk(choice(refusal=["no"])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": {"a": 1}}}])),
        chunk({"index": 0, "delta": "text", "finish_reason": None}),
        chunk(choices="nope"),
        {"not": "a chunk", "choices": [1]},
    ],
)
def test_malformed_chunks_are_typed_errors(bad_chunk: dict[str, Any]) -> None:
    with pytest.raises(APIResponseValidationError):
        ChatCompletionStreamState().handle_chunk(bad_chunk)


def test_refusal_and_logprobs_events() -> None:
    lp = {"content": None, "refusal": [logprob("I")]}
    chunks = [
        chunk({**choice(role="assistant", refusal="I"), "logprobs": lp}),
        chunk(
            {
                **choice(refusal=" can't"),
                "logprobs": {"content": None, "refusal": [logprob(" can't")]},
            }
        ),
        chunk(choice(finish_reason="stop")),
    ]
    state = ChatCompletionStreamState()
    events = feed(state, chunks)
    assert [(e.delta, e.snapshot) for e in of_type(events, "refusal.delta")] == [
        ("I", "I"),
        (" can't", "I can't"),
    ]
    assert [e.refusal for e in of_type(events, "refusal.done")] == ["I can't"]
    lp_deltas = of_type(events, "logprobs.refusal.delta")
    assert [[t.token for t in e.snapshot] for e in lp_deltas] == [["I"], ["I", " can't"]]
    (lp_done,) = of_type(events, "logprobs.refusal.done")
    assert [t.token for t in lp_done.refusal] == ["I", " can't"]
    assert of_type(events, "content.done") == []
    message = state.get_final_completion().choices[0].message
    assert (message.content, message.refusal) == (None, "I can't")


def test_content_logprobs_accumulate_and_keep_extra_keys() -> None:
    tokens = ["Hel", "lo"]
    chunks = [
        chunk({**choice(content=t), "logprobs": {"content": [{**logprob(t), "id": n}]}})
        for n, t in enumerate(tokens)
    ]
    state = ChatCompletionStreamState()
    events = feed(state, [*chunks, chunk(choice(finish_reason="stop"))])
    (done,) = of_type(events, "logprobs.content.done")
    assert [t.token for t in done.content] == tokens
    assert [t.extra for t in done.content] == [{"id": 0}, {"id": 1}]
    logprobs = state.get_final_completion().choices[0].logprobs
    assert isinstance(logprobs, CreateChatCompletionResponseChoiceLogprobs)
    assert [t.token for t in logprobs.content or ()] == tokens
    assert logprobs.refusal is None


def test_done_events_are_sent_at_the_end_when_no_finish_reason_came() -> None:
    tool = {"index": 0, "id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    state = ChatCompletionStreamState()
    for c in [chunk(choice(content="hi")), chunk(choice(tool_calls=[tool]))]:
        state.handle_chunk(c)
    assert [e.type for e in state.finish()] == ["tool_calls.function.arguments.done"]
    assert state.finish() == []  # only once
    assert state.get_final_completion().choices[0].finish_reason is None


def test_usage_chunk_with_empty_choices() -> None:
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    chunks = [
        chunk(choice(content="ok"), usage=None),
        chunk(choice(finish_reason="stop"), usage=None),
        chunk(usage=usage),
    ]
    state = ChatCompletionStreamState()
    events = feed(state, chunks)
    assert [e.type for e in events][-1] == "chunk"
    final = state.get_final_completion()
    assert usage_of(final).to_dict() == usage
    assert final.choices[0].message.content == "ok"


@pytest.mark.parametrize(
    ("reports", "expected"),
    [
        # parts: the prompt's tokens first, the completion's at the end -> added
        (
            [
                {"prompt_tokens": 9, "completion_tokens": 0, "total_tokens": 9},
                {"prompt_tokens": 0, "completion_tokens": 4, "total_tokens": 4},
            ],
            {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
        ),
        # running totals (vLLM's continuous usage stats) -> the latest
        (
            [
                {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
                {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
                {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
            ],
            {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
        ),
        # the same report twice (on the last content chunk and on the usage chunk)
        (
            [{"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}] * 2,
            {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
        ),
        # parts with details: nested counters are added too
        (
            [
                {
                    "prompt_tokens": 9,
                    "completion_tokens": 0,
                    "total_tokens": 9,
                    "prompt_tokens_details": {"cached_tokens": 8},
                },
                {
                    "prompt_tokens": 0,
                    "completion_tokens": 5,
                    "total_tokens": 5,
                    "prompt_tokens_details": {"cached_tokens": 0},
                    "completion_tokens_details": {"reasoning_tokens": 2},
                },
            ],
            {
                "prompt_tokens": 9,
                "completion_tokens": 5,
                "total_tokens": 14,
                "prompt_tokens_details": {"cached_tokens": 8},
                "completion_tokens_details": {"reasoning_tokens": 2},
            },
        ),
    ],
)
def test_usage_from_several_chunks(reports: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    chunks = [chunk(choice(content=str(n)), usage=r) for n, r in enumerate(reports)]
    state = ChatCompletionStreamState()
    feed(state, chunks)
    assert usage_of(state.get_final_completion()).to_dict() == expected


def test_unknown_fields_are_kept() -> None:
    chunks = [
        chunk(
            {**choice(role="assistant", reasoning_content="Think"), "native_finish": None},
            timings={"n": 1},
            system_fingerprint=None,
        ),
        chunk(
            {**choice(reasoning_content="ing.", content="Done"), "native_finish": "eos"},
            timings={"n": 2},
            system_fingerprint="fp_1",
            service_tier="default",
            obfuscation="xyz",
        ),
        chunk(choice(finish_reason="stop"), system_fingerprint=None),
    ]
    state = ChatCompletionStreamState()
    feed(state, chunks)
    final = state.get_final_completion()
    assert final.extra == {"timings": {"n": 2}}  # the latest; `obfuscation` is dropped
    assert (final.system_fingerprint, final.service_tier) == ("fp_1", "default")
    assert final.choices[0].extra == {"native_finish": "eos"}
    assert final.choices[0].message.extra == {"reasoning_content": "Thinking."}
    assert final.choices[0].message.content == "Done"


def test_an_unknown_key_joins_its_strings_and_restarts_after_another_type() -> None:
    # llama-server's reasoning_content streams as strings; a value of another type
    # replaces the text, and a string after it starts a new one.
    values: list[Any] = ["Thi", "nk", None, {"a": 1}, "Re", "start", 7, 8, "x"]
    expected: list[Any] = ["Thi", "Think", "Think", {"a": 1}, "Re", "Restart", 7, 8, "x"]
    state = ChatCompletionStreamState()
    for value, want in zip(values, expected, strict=True):
        state.handle_chunk(chunk(choice(reasoning_content=value)))
        message = state.current_completion_snapshot.choices[0].message
        assert message.extra["reasoning_content"] == want


def test_chunk_events_decode_their_chunk_when_read() -> None:
    raw = chunk(choice(role="assistant", content="hi"), system_fingerprint="fp", extra_key=[1])
    (event, _delta) = ChatCompletionStreamState().handle_chunk(raw)
    assert isinstance(event, ChunkEvent)
    typed = CreateChatCompletionStreamResponse.from_dict(raw)
    assert event.chunk == typed
    assert event.chunk is event.chunk  # decoded once
    assert event == ChunkEvent(chunk=typed, state=ChatCompletionStreamState())
    assert repr(event) == f"ChunkEvent(chunk={typed!r})"
    with pytest.raises(AttributeError):
        event.state = ChatCompletionStreamState()  # type: ignore[misc]


def test_events_survive_copy_deepcopy_and_pickle() -> None:
    state = ChatCompletionStreamState()
    events = state.handle_chunk(chunk(choice(content="a")))
    events += state.handle_chunk(
        chunk(choice(tool_calls=[{"index": 0, "id": "c", "function": {"name": "f"}}]))
    )
    events += state.handle_chunk(chunk(choice(content="b")))  # read after: text grew
    events += [ContentDeltaEvent(delta="x", snapshot="xy", choice_index=1)]
    for event in events:
        for copied in (copy.copy(event), copy.deepcopy(event), pickle.loads(pickle.dumps(event))):
            assert copied == event
            assert repr(copied) == repr(event)


def test_delta_events_compare_and_print_like_values() -> None:
    state = ChatCompletionStreamState()
    (_, delta) = state.handle_chunk(chunk(choice(content="a")))
    state.handle_chunk(chunk(choice(content="b")))
    assert delta == ContentDeltaEvent(delta="a", snapshot="a")
    assert delta != ContentDeltaEvent(delta="a", snapshot="ab")
    assert hash(delta) == hash(ContentDeltaEvent(delta="a", snapshot="a"))
    assert repr(delta) == "ContentDeltaEvent(delta='a', snapshot='a', choice_index=0)"
    with pytest.raises(AttributeError):
        delta.delta = "b"  # type: ignore[misc]


def test_streamed_audio_is_merged_into_the_message() -> None:
    # Audio output streams `delta.audio` (not in the chunk schema): pieces of base64 data
    # and of the transcript, the id repeated.
    pieces = [
        {"id": "audio_1", "data": "AAA", "transcript": "Hel", "expires_at": 1},
        {"id": "audio_1", "data": "BBB", "transcript": "lo"},
        {"id": "audio_1", "data": "", "transcript": "!"},
    ]
    state = ChatCompletionStreamState()
    feed(state, [chunk(choice(audio=p)) for p in pieces])
    audio = state.get_final_completion().choices[0].message.audio
    assert audio
    assert audio.to_dict() == {
        "id": "audio_1",
        "expires_at": 1,
        "data": "AAABBB",
        "transcript": "Hello!",
    }
    assert pieces[0]["data"] == "AAA"  # the chunks given are left as they were


def test_snapshot_follows_the_chunks_and_is_typed() -> None:
    state = ChatCompletionStreamState()
    with pytest.raises(RuntimeError):
        state.current_completion_snapshot  # noqa: B018
    (first, delta) = state.handle_chunk(chunk(choice(role="assistant", content="a")))
    assert isinstance(first, ChunkEvent)
    assert isinstance(first.chunk, CreateChatCompletionStreamResponse)
    assert first.snapshot.choices[0].message.content == "a"
    assert delta == ContentDeltaEvent(delta="a", snapshot="a")
    state.handle_chunk(chunk(choice(content="b")))
    snapshot = state.current_completion_snapshot
    assert isinstance(snapshot, CreateChatCompletionResponse)
    assert snapshot.choices[0].message.content == "ab"
    assert snapshot is state.current_completion_snapshot  # built once per chunk


def test_typed_chunks_are_accepted_too() -> None:
    raw = [chunk(choice(role="assistant", content="x")), chunk(choice(finish_reason="stop"))]
    from_raw, from_typed = ChatCompletionStreamState(), ChatCompletionStreamState()
    feed(from_raw, raw)
    feed(from_typed, [CreateChatCompletionStreamResponse.from_dict(c) for c in raw])
    assert from_raw.get_final_completion() == from_typed.get_final_completion()


def test_chunks_of_another_object_type_are_skipped() -> None:
    # Azure's asynchronous content filter interleaves notes with `object: ""`.
    note: dict[str, Any] = {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [],
        "prompt_filter_results": [],
    }
    state = ChatCompletionStreamState()
    assert state.handle_chunk(note) == []
    feed(state, [chunk(choice(content="hi"))])
    assert "prompt_filter_results" not in state.get_final_completion().extra


def test_parse_hooks_fill_parsed_fields() -> None:
    state = ChatCompletionStreamState(
        parse_content=str.upper, parse_tool_arguments=lambda name, args: (name, len(args))
    )
    tool = {"index": 0, "id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    events = feed(state, [chunk(choice(content="hi")), chunk(choice(tool_calls=[tool]))])
    assert of_type(events, "content.done") == [ContentDoneEvent(content="hi", parsed="HI")]
    (done,) = of_type(events, "tool_calls.function.arguments.done")
    assert done.parsed_arguments == ("f", 2)


@pytest.mark.parametrize(
    ("finish", "error"),
    [
        ("length", trio_openai.LengthFinishReasonError),
        ("content_filter", trio_openai.ContentFilterFinishReasonError),
    ],
)
def test_a_cut_or_filtered_choice_is_not_parsed(
    finish: str, error: type[trio_openai.LengthFinishReasonError]
) -> None:
    # openai-python's stream raises these when it would parse (a response format or tools).
    state = ChatCompletionStreamState(parse_content=str.upper)
    feed(state, [chunk(choice(content='{"a": 1'))])
    with pytest.raises(error) as info:
        feed(state, [chunk(choice(finish_reason=finish))])
    completion = info.value.completion
    assert completion is not None and completion.choices[0].message.content == '{"a": 1'
    assert completion.choices[0].finish_reason == finish
    # without parsing there is nothing to refuse: the stream just ends
    plain = ChatCompletionStreamState()
    feed(plain, [chunk(choice(content="cut")), chunk(choice(finish_reason=finish))])
    assert plain.get_final_completion().choices[0].finish_reason == finish


def test_no_chunk_at_all() -> None:
    with pytest.raises(APIResponseValidationError, match="before its first chunk"):
        ChatCompletionStreamState().get_final_completion()


# --- over real sockets -----------------------------------------------------------------------


async def test_echo_stream_matches_the_plain_completion(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    plain = await client.post(
        "/chat/completions",
        body={"model": "echo-1", "messages": MESSAGES},
        cast_to=CreateChatCompletionResponse.from_dict,
    )
    async with open_chat_stream(client, model="echo-1", messages=MESSAGES) as stream:
        deltas = [e.delta async for e in stream if e.type == "content.delta"]
        final = await stream.get_final_completion()
    assert "".join(deltas) == ECHO_TEXT
    assert final.choices[0].message.content == plain.choices[0].message.content == ECHO_TEXT
    assert final.choices[0].finish_reason == plain.choices[0].finish_reason == "stop"
    assert final.choices[0].message.role == "assistant"
    assert (final.object, final.model) == ("chat.completion", plain.model)
    assert final.usage is trio_openai.omit  # not asked for
    sent = local_server.requests[-1].json()
    assert sent["stream"] is True and "stream_options" not in sent
    assert sent["messages"] == MESSAGES
    assert client.statistics()["busy"] == 0


async def test_include_usage_gives_the_usage_of_the_plain_call(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    body = {"model": "echo-1", "messages": MESSAGES}
    plain = await client.post("/chat/completions", body=body)
    async with open_chat_stream(
        client, **body, stream_options={"include_usage": True}, temperature=trio_openai.omit
    ) as stream:
        final = await stream.get_final_completion()
    assert usage_of(final).to_dict() == plain["usage"]
    sent = local_server.requests[-1].json()
    assert sent["stream_options"] == {"include_usage": True}
    assert "temperature" not in sent


async def test_text_deltas_and_until_done(client: trio_openai.OpenAI) -> None:
    async with open_chat_stream(client, model="echo-1", messages=MESSAGES) as stream:
        text = [piece async for piece in stream.text_deltas()]
        await stream.until_done()
        assert "".join(text) == ECHO_TEXT
        assert all(text)  # the empty first delta is skipped
        assert stream.current_completion_snapshot.choices[0].message.content == ECHO_TEXT
        assert stream.request_id is not None
        assert stream.response.status_code == 200


async def test_crafted_stream_with_two_choices_tools_refusal_logprobs_usage(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    args = ['{"ci', 'ty": "Pa', 'ris"}']
    events = [
        chunk(choice(0, role="assistant", content=""), choice(1, role="assistant", refusal="")),
        chunk(
            {**choice(0, content="Hi"), "logprobs": {"content": [logprob("Hi")], "refusal": None}}
        ),
        chunk(choice(1, refusal="No.")),
        chunk(
            choice(
                0,
                tool_calls=[
                    {
                        "index": -1,
                        "id": "call_9",
                        "type": "function",
                        "function": {"name": "weather", "arguments": ""},
                    }
                ],
            )
        ),
        *[chunk(choice(0, tool_calls=[{"index": -1, "function": {"arguments": a}}])) for a in args],
        chunk(choice(1, finish_reason="stop")),
        chunk(choice(0, finish_reason="tool_calls")),
        chunk(usage=usage),
    ]
    local_server.script("POST", "/v1/chat/completions", Reply.sse(events))
    seen: list[Any] = []
    async with open_chat_stream(client, model="gpt-test", messages=MESSAGES, n=2) as stream:
        async for event in stream:
            if event.type != "chunk":
                seen.append(event)
        final = await stream.get_final_completion()

    def per_choice(index: int) -> list[str]:
        return [e.type for e in seen if e.choice_index == index]

    assert per_choice(0) == [
        "content.delta",
        "content.delta",
        "logprobs.content.delta",
        "content.done",
        "logprobs.content.done",
        *["tool_calls.function.arguments.delta"] * 4,
        "tool_calls.function.arguments.done",
    ]
    assert per_choice(1) == ["refusal.delta", "refusal.delta", "refusal.done"]
    tool_done = [e for e in seen if isinstance(e, FunctionToolCallArgumentsDoneEvent)]
    assert tool_done == [
        FunctionToolCallArgumentsDoneEvent(name="weather", index=0, arguments='{"city": "Paris"}')
    ]
    assert all(e.index == 0 for e in seen if isinstance(e, FunctionToolCallArgumentsDeltaEvent))
    assert final.to_dict() == {
        "id": "chatcmpl-1",
        "choices": [
            {
                "finish_reason": "tool_calls",
                "index": 0,
                "message": {
                    "content": "Hi",
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "call_9",
                            "type": "function",
                            "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
                        }
                    ],
                    "role": "assistant",
                },
                "logprobs": {"content": [logprob("Hi")], "refusal": None},
            },
            {
                "finish_reason": "stop",
                "index": 1,
                "message": {"content": None, "refusal": "No.", "role": "assistant"},
                "logprobs": None,
            },
        ],
        "created": 1700000000,
        "model": "gpt-test",
        "object": "chat.completion",
        "usage": usage,
    }


async def test_break_releases_the_connection(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    many = [chunk(choice(content=f"w{i} ")) for i in range(1000)]
    local_server.script("POST", "/v1/chat/completions", Reply.sse(many, pace=0.001))
    async with open_chat_stream(client, model="m", messages=MESSAGES) as stream:
        async for event in stream:
            if event.type == "content.delta" and event.snapshot.count("w") == 3:
                break
        assert stream.current_completion_snapshot.choices[0].message.content == "w0 w1 w2 "
    assert client.statistics()["busy"] == 0
    await local_server.wait_open_connections(0)
    with pytest.raises(RuntimeError, match="closed before its end"):
        await stream.get_final_completion()

    async with open_chat_stream(client, model="m", messages=MESSAGES) as stream:
        async for piece in stream.text_deltas():
            if piece == "w1 ":
                break
    assert client.statistics()["busy"] == 0


async def test_done_events_come_at_the_end_of_a_stream_without_finish_reason(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST",
        "/v1/chat/completions",
        Reply.sse([chunk(choice(content="cut")), chunk(choice(content=" short"))], done=False),
    )
    async with open_chat_stream(client, model="m", messages=MESSAGES) as stream:
        kinds = [e.type async for e in stream if e.type != "chunk"]
        final = await stream.get_final_completion()
    assert kinds == ["content.delta", "content.delta", "content.done"]
    assert (final.choices[0].message.content, final.choices[0].finish_reason) == ("cut short", None)


async def test_cancellation_releases_the_connection(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST", "/v1/chat/completions", Reply.sse([chunk(choice(content="a"))], stall_after=1)
    )
    with trio.move_on_after(0.2) as scope:
        async with open_chat_stream(client, model="m", messages=MESSAGES) as stream:
            await stream.until_done()
    assert scope.cancelled_caught
    assert client.statistics()["busy"] == 0


async def test_request_errors_are_raised_on_entry(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.error(400, message="bad model"))
    manager = open_chat_stream(client, model="nope", messages=MESSAGES, max_retries=0)
    with pytest.raises(trio_openai.BadRequestError, match="bad model"):
        async with manager:
            raise AssertionError("not reached")
    assert len(local_server.requests) == 1
    with pytest.raises(RuntimeError, match="only once"):
        async with manager:
            pass


async def test_error_event_mid_stream_raises_stream_error(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    events = [chunk(choice(content="a")), {"error": {"message": "overloaded"}}]
    local_server.script("POST", "/v1/chat/completions", Reply.sse(events))
    with pytest.raises(trio_openai.StreamError, match="overloaded"):
        async with open_chat_stream(client, model="m", messages=MESSAGES) as stream:
            await stream.until_done()
    assert client.statistics()["busy"] == 0


async def test_options_are_not_sent_in_the_body(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    async with open_chat_stream(
        client,
        model="echo-1",
        messages=MESSAGES,
        extra_headers={"x-test": "1"},
        extra_body={"seed": 7},
        timeout=30,
    ) as stream:
        await stream.until_done()
    request = local_server.requests[-1]
    assert request.headers["x-test"] == "1"
    assert request.json() == {"model": "echo-1", "messages": MESSAGES, "stream": True, "seed": 7}
    with pytest.raises(TypeError, match="always streams"):
        open_chat_stream(client, model="m", messages=MESSAGES, stream=False)


async def test_llama_server_streams_with_usage(llama_url: str) -> None:
    async with trio_openai.OpenAI(api_key="none", base_url=llama_url) as client:
        with trio.fail_after(120):
            async with open_chat_stream(
                client,
                model="smollm2-135m",
                messages=[{"role": "user", "content": "Say hello."}],
                max_tokens=16,
                stream_options={"include_usage": True},
            ) as stream:
                deltas = [piece async for piece in stream.text_deltas()]
                final = await stream.get_final_completion()
    message = final.choices[0].message
    assert isinstance(message.content, str) and message.content
    assert "".join(deltas) == message.content
    assert final.choices[0].finish_reason in ("stop", "length")
    usage = usage_of(final)
    assert usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
