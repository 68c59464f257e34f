"""Tests for the sans-IO SSE decoder (trio_openai._sse)."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import trio_openai._sse as sse_module
from trio_openai._errors import APIResponseValidationError, EventTooLargeError
from trio_openai._sse import ServerSentEvent, SSEDecoder

BOM = b"\xef\xbb\xbf"
CHAT_CHUNK = b'data: {"id":"x","choices":[{"delta":{"content":"hi"}}]}\n\n'


def ev(
    data: bytes, event: str | None = None, id: str | None = None, retry: int | None = None
) -> ServerSentEvent:
    return ServerSentEvent(event=event, data=data, id=id, retry=retry)


def decode(*chunks: bytes, max_event_size: int = 32 * 1024 * 1024) -> list[ServerSentEvent]:
    decoder = SSEDecoder(max_event_size=max_event_size)
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.end()
    return events


def reference_decode(stream: bytes) -> list[ServerSentEvent]:
    """A plain reading of the WHATWG algorithm, to check the optimised decoder against."""
    if stream.startswith(BOM):
        stream = stream[3:]
    *lines, _unterminated = re.split(rb"\r\n|\r|\n", stream)
    events: list[ServerSentEvent] = []
    event: str | None = None
    data: list[bytes] = []
    last_id: str | None = None
    retry: int | None = None
    for line in lines:
        if not line:
            if data:
                events.append(ev(b"\n".join(data), event, last_id, retry))
            event, data, retry = None, [], None
            continue
        if line.startswith(b":"):
            continue
        name, _, value = line.partition(b":")
        value = value.removeprefix(b" ")
        if name == b"data":
            data.append(value)
        elif name == b"event":
            event = value.decode("utf-8", "replace") or None
        elif name == b"id" and b"\0" not in value:
            last_id = value.decode("utf-8", "replace") or None
        elif name == b"retry" and re.fullmatch(rb"[0-9]+", value):
            retry = int(value)
    return events


def split_at(stream: bytes, points: list[int]) -> list[bytes]:
    cuts = [0, *sorted(points), len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(cuts)]


# -- the module stays pure --------------------------------------------------------------


def test_module_imports_neither_trio_nor_httpx() -> None:
    tree = ast.parse(Path(sse_module.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported <= {"__future__", "collections.abc", "typing", "._errors"}


def test_event_is_frozen_value() -> None:
    event = ev(b"x", "a", "1", 5)
    assert event == ServerSentEvent("a", b"x", "1", 5)
    assert hash(event) == hash(ServerSentEvent("a", b"x", "1", 5))
    with pytest.raises(AttributeError):
        event.data = b"y"  # type: ignore[misc]


# -- typical OpenAI shapes --------------------------------------------------------------


def test_chat_completions_chunks_one_per_feed() -> None:
    decoder = SSEDecoder()
    for _ in range(3):
        assert decoder.feed(CHAT_CHUNK) == [ev(CHAT_CHUNK[6:-2])]
    assert decoder.feed(b"data: [DONE]\n\n") == [ev(b"[DONE]")]
    assert decoder.end() == []


def test_responses_chunks_with_event_names() -> None:
    decoder = SSEDecoder()
    chunk = b'event: response.output_text.delta\ndata: {"delta":"hi"}\n\n'
    for _ in range(3):
        assert decoder.feed(chunk) == [ev(b'{"delta":"hi"}', "response.output_text.delta")]


def test_several_events_in_one_chunk() -> None:
    assert decode(b"data: a\n\nevent: e\ndata: b\n\ndata: c\n\n") == [
        ev(b"a"),
        ev(b"b", "e"),
        ev(b"c"),
    ]


def test_state_carried_into_a_chunk_of_the_usual_shape() -> None:
    # The event name, id and first data line arrive before a chunk that on its own
    # would look like a complete event.
    assert decode(b"event: e\nid: 7\n", b"data: x\n\n", b"data: y\n\n") == [
        ev(b"x", "e", "7"),
        ev(b"y", None, "7"),
    ]
    assert decode(b"data: a\n", b"data: b\n\n") == [ev(b"a\nb")]
    assert decode(b"retry: 5\n", b"data: b\n\n") == [ev(b"b", retry=5)]
    assert decode(b"data: a", b"data: b\n\n") == [ev(b"adata: b")]


# -- line endings -----------------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_every_line_ending(eol: bytes) -> None:
    stream = eol.join([b"event: e", b"data: a", b"data: b", b"", b"data: c", b"", b""])
    assert decode(stream) == [ev(b"a\nb", "e"), ev(b"c")]


def test_mixed_line_endings() -> None:
    assert decode(b"data: a\rdata: b\r\ndata: c\n\r\n") == [ev(b"a\nb\nc")]


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    assert decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [ev(b"a\nb")]


def test_crlf_split_by_an_empty_chunk() -> None:
    assert decode(b"data: a\r", b"", b"\ndata: b\r\n\r\n") == [ev(b"a\nb")]


def test_cr_then_lf_of_next_line_only_skipped_once() -> None:
    # CR, then CRLF: two line ends, so a blank line that dispatches.
    assert decode(b"data: a\r", b"\r\n") == [ev(b"a")]
    # CR then LF then LF: CRLF, then LF (blank line).
    assert decode(b"data: a\r", b"\n\n") == [ev(b"a")]


def test_lone_cr_at_chunk_end_then_other_bytes() -> None:
    assert decode(b"data: a\r", b"data: b\r\r") == [ev(b"a\nb")]


# -- BOM --------------------------------------------------------------------------------


def test_leading_bom_is_stripped() -> None:
    assert decode(BOM + b"data: a\n\n") == [ev(b"a")]


@pytest.mark.parametrize("cut", [1, 2, 3, 4])
def test_leading_bom_split_across_chunks(cut: int) -> None:
    stream = BOM + b"event: e\ndata: a\n\n"
    assert decode(stream[:cut], stream[cut:]) == [ev(b"a", "e")]


def test_bom_only_stripped_from_the_first_line() -> None:
    # A later BOM makes the field name unknown, so the line is ignored.
    assert decode(b"data: a\n" + BOM + b"data: b\n\n") == [ev(b"a")]
    assert decode(b"data: a\n\n", BOM + b"data: b\n\n") == [ev(b"a")]


def test_only_one_bom_stripped() -> None:
    assert decode(BOM + BOM + b"data: a\n\n") == []


# -- fields -----------------------------------------------------------------------------


def test_comments_are_ignored() -> None:
    assert decode(b": ping\n\n") == []
    assert decode(b":\n:data: x\ndata: a\n: keep-alive\ndata: b\n\n") == [ev(b"a\nb")]


def test_exactly_one_space_stripped_after_colon() -> None:
    assert decode(b"data:a\n\n") == [ev(b"a")]
    assert decode(b"data:  a \n\n") == [ev(b" a ")]
    assert decode(b"event:  e\ndata:\tb\n\n") == [ev(b"\tb", " e")]


def test_value_may_contain_colons() -> None:
    assert decode(b"data: a: b:c\n\n") == [ev(b"a: b:c")]


def test_line_without_colon_is_field_with_empty_value() -> None:
    assert decode(b"data\n\n") == [ev(b"")]
    assert decode(b"data\ndata\n\n") == [ev(b"\n")]
    assert decode(b"event\ndata: x\n\n") == [ev(b"x")]


def test_multi_line_data_joined_with_lf() -> None:
    assert decode(b"data: a\ndata:\ndata: c\n\n") == [ev(b"a\n\nc")]


def test_empty_data_line_still_dispatches() -> None:
    assert decode(b"data:\n\n", b"data: \n\n") == [ev(b""), ev(b"")]


def test_data_is_raw_bytes() -> None:
    assert decode(b"data: \xff\xfe\x00\n\n") == [ev(b"\xff\xfe\x00")]


def test_names_decoded_leniently() -> None:
    assert decode(b"event: caf\xc3\xa9\xff\nid: \xfe\ndata: x\n\n") == [
        ev(b"x", "caf\xe9\ufffd", "\ufffd")
    ]


def test_unknown_fields_are_ignored() -> None:
    assert decode(b"foo: bar\nDATA: no\ndata : no\nEvent: no\ndata: a\n\n") == [ev(b"a")]


def test_event_name_resets_after_dispatch() -> None:
    assert decode(b"event: e\ndata: a\n\ndata: b\n\n") == [ev(b"a", "e"), ev(b"b")]


def test_last_event_name_wins_and_empty_name_is_none() -> None:
    assert decode(b"event: a\nevent: b\ndata: x\n\n") == [ev(b"x", "b")]
    assert decode(b"event: a\nevent:\ndata: x\n\n") == [ev(b"x")]


def test_event_without_data_is_skipped() -> None:
    assert decode(b"event: e\n\n") == []
    assert decode(b"event: e\nid: 1\nretry: 9\n\ndata: x\n\n") == [ev(b"x", None, "1")]


def test_blank_lines_alone_dispatch_nothing() -> None:
    assert decode(b"\n\n\r\n\r\r") == []


# -- id ---------------------------------------------------------------------------------


def test_id_persists_across_events() -> None:
    stream = b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\ndata: d\n\n"
    assert decode(stream) == [
        ev(b"a", id="1"),
        ev(b"b", id="1"),
        ev(b"c", id="2"),
        ev(b"d", id="2"),
    ]


def test_id_on_a_data_less_block_persists() -> None:
    assert decode(b"id: 5\n\ndata: a\n\n") == [ev(b"a", id="5")]


def test_id_with_nul_is_ignored() -> None:
    assert decode(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n") == [
        ev(b"a", id="1"),
        ev(b"b", id="1"),
    ]


def test_empty_id_resets_last_id() -> None:
    assert decode(b"id: 1\ndata: a\n\nid\ndata: b\n\nid: 3\nid:\ndata: c\n\n") == [
        ev(b"a", id="1"),
        ev(b"b"),
        ev(b"c"),
    ]


# -- retry ------------------------------------------------------------------------------


def test_retry_digits_only() -> None:
    assert decode(b"retry: 3000\ndata: a\n\n") == [ev(b"a", retry=3000)]
    assert decode(b"retry:0\ndata: a\n\n") == [ev(b"a", retry=0)]


@pytest.mark.parametrize(
    "value",
    [b"", b" 1", b"1 ", b"-1", b"+1", b"1.5", b"3s", b"1_000", "\u0663".encode(), b"0x10"],
)
def test_retry_ignored_unless_ascii_digits(value: bytes) -> None:
    assert decode(b"retry: " + value + b"\ndata: a\n\n") == [ev(b"a")]


def test_retry_belongs_to_its_event() -> None:
    assert decode(b"retry: 10\ndata: a\n\ndata: b\n\n") == [ev(b"a", retry=10), ev(b"b")]


# -- end of stream ----------------------------------------------------------------------


def test_unterminated_last_event_is_dropped() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b\n") == [ev(b"a")]
    assert decoder.end() == []
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b") == [ev(b"a")]
    assert decoder.end() == []
    assert decode(b"data: a\r") == []


def test_end_on_empty_stream() -> None:
    assert SSEDecoder().end() == []


def test_empty_chunks_are_harmless() -> None:
    assert decode(b"", b"data: a\n", b"", b"\n", b"") == [ev(b"a")]


# -- size limit -------------------------------------------------------------------------


def test_error_type() -> None:
    assert issubclass(EventTooLargeError, APIResponseValidationError)


def test_huge_line_in_small_pieces_raises_with_bounded_buffer() -> None:
    limit = 64 * 1024
    piece = b"x" * 1024
    decoder = SSEDecoder(max_event_size=limit)
    buffered: list[int] = []

    def feed_pieces() -> None:
        decoder.feed(b"data: ")
        for _ in range(10 * limit // len(piece)):
            decoder.feed(piece)
            buffered.append(len(decoder._partial))  # pyright: ignore[reportPrivateUsage]

    with pytest.raises(EventTooLargeError, match="max_event_size"):
        feed_pieces()
    # It raised on the first piece that crossed the limit, before buffering much more.
    assert len(buffered) == (limit - 6) // len(piece)
    assert max(buffered) <= limit
    assert len(decoder._partial) <= limit + len(piece)  # pyright: ignore[reportPrivateUsage]


def test_data_lines_count_towards_the_limit() -> None:
    decoder = SSEDecoder(max_event_size=100)
    decoder.feed(b"data: " + b"a" * 59 + b"\n")  # 60 bytes of data so far
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"data: " + b"b" * 40 + b"\n")
    decoder = SSEDecoder(max_event_size=100)
    decoder.feed(b"data: " + b"a" * 59 + b"\n")
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"data: " + b"b" * 45)  # the unterminated line counts too


def test_event_at_the_limit_is_accepted() -> None:
    data = b"a" * 99  # 99 bytes plus the joining LF: exactly 100
    assert decode(b"data: " + data + b"\n\n", max_event_size=100) == [ev(data)]
    # An unterminated line counts as raw bytes, its field name included.
    assert decode(b"data: " + data, b"\n\n", max_event_size=105) == [ev(data)]
    with pytest.raises(EventTooLargeError):
        decode(b"data: " + data, b"\n\n", max_event_size=104)
    with pytest.raises(EventTooLargeError):
        decode(b"data: " + data + b"a\n\n", max_event_size=100)


def test_limit_is_per_event() -> None:
    chunk = b"data: " + b"a" * 90 + b"\n\n"
    assert decode(*[chunk] * 50, max_event_size=100) == [ev(b"a" * 90)] * 50
    assert decode(chunk * 50, max_event_size=100) == [ev(b"a" * 90)] * 50


def test_oversized_event_raises_in_one_chunk() -> None:
    with pytest.raises(EventTooLargeError):
        decode(b"data: " + b"a" * 200 + b"\n\n", max_event_size=100)
    with pytest.raises(EventTooLargeError):
        decode(b"event: e\ndata: " + b"a" * 200 + b"\n\n", max_event_size=100)


# -- properties -------------------------------------------------------------------------

line_text = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=8)


@st.composite
def event_blocks(
    draw: st.DrawFn,
) -> tuple[list[bytes], str | None, list[str], str | None, int | None]:
    """One block of field lines ending in a blank line, and what it means."""
    name = draw(st.none() | line_text)
    data = draw(st.lists(line_text, max_size=3))
    id_ = draw(st.none() | line_text)
    retry = draw(st.none() | st.integers(0, 10**12))
    lines = [b"data: " + line.encode() for line in data]
    for field in [
        None if name is None else b"event: " + name.encode(),
        None if id_ is None else b"id: " + id_.encode(),
        None if retry is None else b"retry: " + str(retry).encode(),
    ]:
        if field is not None:
            lines.insert(draw(st.integers(0, len(lines))), field)
    for _ in range(draw(st.integers(0, 2))):
        noise = draw(st.sampled_from([b":", b"x-unknown: ", b"dat: "])) + draw(line_text).encode()
        lines.insert(draw(st.integers(0, len(lines))), noise)
    return lines, name, data, id_, retry


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[ServerSentEvent]]:
    eol = draw(st.sampled_from([b"\n", b"\r", b"\r\n"]))
    stream = draw(st.sampled_from([b"", BOM]))
    expected: list[ServerSentEvent] = []
    last_id: str | None = None
    for lines, name, data, id_, retry in draw(st.lists(event_blocks(), max_size=5)):
        stream += b"".join(line + eol for line in lines) + eol
        if id_ is not None and "\0" not in id_:
            last_id = id_ or None
        if data:
            expected.append(ev("\n".join(data).encode(), name or None, last_id, retry))
    return stream, expected


@settings(max_examples=300)
@given(streams(), st.data())
def test_any_split_gives_the_events_of_the_whole(
    generated: tuple[bytes, list[ServerSentEvent]], data: st.DataObject
) -> None:
    stream, expected = generated
    assert decode(stream) == expected
    points = data.draw(st.lists(st.integers(0, len(stream)), max_size=12))
    assert decode(*split_at(stream, points)) == expected


@settings(max_examples=300)
@given(st.lists(event_blocks(), min_size=1, max_size=12), st.data())
def test_chunks_of_whole_events_give_the_reference_events(
    blocks: list[tuple[list[bytes], str | None, list[str], str | None, int | None]],
    data: st.DataObject,
) -> None:
    # Servers send one or many whole events per chunk; the decoder has fast paths for
    # chunks of `data:` (and `event:` + `data:`) events arriving between events: feed
    # them cut at event boundaries only, after a first chunk that leaves the decoder
    # between events.
    whole = [b"".join(line + b"\n" for line in lines) + b"\n" for lines, *_ in blocks]
    cuts = sorted(data.draw(st.sets(st.integers(1, len(whole)))))
    chunks = [b": hello\n\n"] + [
        b"".join(whole[start:end]) for start, end in itertools.pairwise([0, *cuts, len(whole)])
    ]
    stream = b"".join(chunks)
    assert decode(*chunks) == reference_decode(stream)


def usual_bytes(name: str | None, data: str) -> bytes:
    head = b"" if name is None else b"event: " + name.encode() + b"\n"
    return head + b"data: " + data.encode() + b"\n\n"


usual_event = st.builds(
    usual_bytes, st.none() | st.text("abc.:_ ", max_size=6), st.text('ab{}:" ', max_size=8)
)


@settings(max_examples=300)
@given(st.lists(usual_event | st.sampled_from([b": ping\n\n", b"id: 4\n"]), max_size=30), st.data())
def test_reads_cutting_events_anywhere_give_the_reference_events(
    events: list[bytes], data: st.DataObject
) -> None:
    # What a body reader hands over: many events per read, the last one cut short and
    # finished by the next read.
    stream = b"".join(events)
    points = data.draw(st.lists(st.integers(0, len(stream)), max_size=10))
    assert decode(*split_at(stream, points)) == reference_decode(stream)


def test_whole_event_chunks_that_are_not_the_usual_shape() -> None:
    # Near misses of the fast paths: a second line inside an event, an empty name, a
    # `data:` without its space, an event name alone.
    start = b"data: 0\n\n"
    for chunk in [
        b"data: a\ndata: b\n\ndata: c\n\n",
        b"data: a\n\ndata: b\nid: 3\n\n",
        b"event: \ndata: a\n\n",
        b"event: e\ndata: a\n\nevent: f\ndata: b\ndata: c\n\nevent: g\n\n",
        b"event: e\ndata: a\n\nevent: f\n\nevent: g\ndata: b\ndata: c\n\n",
        b"data:a\n\ndata: b\n\n",
        b"event: e\nretry: 5\n\n",
    ]:
        assert decode(start, chunk) == reference_decode(start + chunk)


@settings(max_examples=50)
@given(streams())
def test_byte_by_byte_gives_the_events_of_the_whole(
    generated: tuple[bytes, list[ServerSentEvent]],
) -> None:
    stream, expected = generated
    assert decode(*[stream[i : i + 1] for i in range(len(stream))]) == expected


SSE_PIECES = [b"\r", b"\n", b"\r\n", b":", b" ", b"data", b"event", b"id", b"retry", b"12", b"\0"]
SSE_PIECES += [BOM, b"x", b"\xff", b"data: ", b"event: e\n"]
sse_ish_bytes = st.lists(st.sampled_from(SSE_PIECES)).map(b"".join) | st.binary()


@settings(max_examples=300)
@given(sse_ish_bytes, st.data())
def test_arbitrary_bytes_match_the_reference_for_any_split(
    stream: bytes, data: st.DataObject
) -> None:
    expected = reference_decode(stream)
    assert decode(stream) == expected
    points = data.draw(st.lists(st.integers(0, len(stream)), max_size=8))
    assert decode(*split_at(stream, points)) == expected


@given(st.lists(sse_ish_bytes, max_size=10))
def test_arbitrary_bytes_only_raise_event_too_large(chunks: list[bytes]) -> None:
    decoder = SSEDecoder(max_event_size=16)
    try:
        for chunk in chunks:
            for event in decoder.feed(chunk):
                assert len(event.data) <= 16
        assert decoder.end() == []
    except EventTooLargeError:
        pass
