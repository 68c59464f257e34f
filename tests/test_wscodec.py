"""The WebSocket codec (trio_openai/_wscodec.py), pure: server bytes in, messages out.

Any valid stream of server frames decodes to the same messages however the bytes are cut,
and to what wsproto (the reference, installed with the test server's trio-websocket)
decodes; client frames we encode decode in wsproto's server to what we sent; malformed
input ends in the close code RFC 6455 asks for, after the events that came before it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import cast

import pytest
from hypothesis import given, settings, strategies as st
from wsproto.frame_protocol import FrameProtocol, Opcode, ParseFailed

from trio_openai._wscodec import (
    BINARY,
    CLOSE,
    PING,
    PONG,
    TEXT,
    Close,
    Event,
    FrameParser,
    Ping,
    Pong,
    close_payload,
    encode_frame,
)

# A server-side operation: ("text", [fragments]), ("binary", [fragments]), ("ping", payload),
# ("pong", payload), ("close", (code, reason)).
Op = tuple[str, object]


def server_bytes(ops: list[Op]) -> bytes:
    """The server's frames for `ops`, serialized by wsproto (unmasked)."""
    server = FrameProtocol(client=False, extensions=[])
    out = bytearray()
    for kind, arg in ops:
        if kind in ("text", "binary"):
            pieces = cast("list[str | bytes]", arg)
            for i, piece in enumerate(pieces):
                out += server.send_data(piece, fin=i == len(pieces) - 1)
        elif kind == "ping":
            assert isinstance(arg, bytes)
            out += server.ping(arg)
        elif kind == "pong":
            assert isinstance(arg, bytes)
            out += server.pong(arg)
        else:
            code, reason = cast("tuple[int, str]", arg)
            out += server.close(code, reason)
    return bytes(out)


def reference(data: bytes) -> list[Event]:
    """What wsproto's client side makes of `data`, as our events."""
    client = FrameProtocol(client=True, extensions=[])
    client.receive_bytes(data)
    events: list[Event] = []
    message: list[str | bytes] = []
    try:
        for frame in client.received_frames():
            if frame.opcode is Opcode.PING:
                events.append(Ping(bytes(frame.payload)))  # type: ignore[arg-type]
            elif frame.opcode is Opcode.PONG:
                events.append(Pong(bytes(frame.payload)))  # type: ignore[arg-type]
            elif frame.opcode is Opcode.CLOSE:
                code, reason = cast("tuple[int, str]", frame.payload)
                events.append(Close(int(code), reason))
                break
            else:
                payload = frame.payload
                message.append(payload if isinstance(payload, str) else bytes(payload))  # type: ignore[arg-type]
                if frame.message_finished:
                    events.append(
                        "".join(message)  # type: ignore[arg-type]
                        if isinstance(message[0], str)
                        else b"".join(message)  # type: ignore[arg-type]
                    )
                    message = []
    except ParseFailed as exc:
        events.append(Close(int(exc.code), "", local=True))
    return events


def decode(pieces: list[bytes], max_message_size: int = 1 << 24) -> list[Event]:
    parser = FrameParser(max_message_size)
    events: list[Event] = []
    for piece in pieces:
        events += parser.receive_data(piece)
    return events


def same(ours: Sequence[object], theirs: Sequence[object]) -> bool:
    """Equal, except that a local error's reason is ours to word."""

    def key(event: object) -> object:
        if isinstance(event, Close) and event.local:
            return ("close", event.code)
        if isinstance(event, (Ping, Pong)):
            return (type(event).__name__, event.payload)
        if isinstance(event, Close):
            return ("close", event.code, event.reason)
        return event

    return [key(e) for e in ours] == [key(e) for e in theirs]


def cuts(data: bytes, points: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


texts = st.text(max_size=40)
blobs = st.binary(max_size=40)
# Sizes around the 7/16/64-bit length boundaries, cheap to build.
big_sizes = st.sampled_from([0, 1, 125, 126, 127, 65535, 65536, 70000])
ops = st.one_of(
    st.tuples(st.just("text"), st.lists(texts, min_size=1, max_size=4)),
    st.tuples(st.just("binary"), st.lists(blobs, min_size=1, max_size=4)),
    st.tuples(st.just("text"), big_sizes.map(lambda n: ["é" * (n // 2) + "x" * (n % 2)])),
    st.tuples(st.just("binary"), big_sizes.map(lambda n: [bytes(range(256)) * (n // 256)])),
    st.tuples(st.just("ping"), st.binary(max_size=125)),
    st.tuples(st.just("pong"), st.binary(max_size=125)),
)
closes = st.one_of(
    st.none(),
    st.tuples(
        st.just("close"),
        st.tuples(st.sampled_from([1000, 1001, 1011, 1013, 3000, 4999]), st.text(max_size=30)),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ops, max_size=8), closes, st.lists(st.integers(0, 1 << 20), max_size=12))
def test_any_cut_decodes_as_wsproto(ops_: list[Op], close: Op | None, points: list[int]) -> None:
    data = server_bytes([*ops_, *([close] if close else [])])
    expected = reference(data)
    assert same(decode([data]), expected)
    assert same(decode(cuts(data, points)), expected)


def test_every_single_cut_and_byte_by_byte() -> None:
    ops_: list[Op] = [
        ("text", ["hello", " wörld"]),
        ("ping", b"p"),
        ("binary", [b"\x00" * 130]),
        ("text", ["x" * 70000]),
        ("pong", b""),
        ("close", (1000, "bye")),
    ]
    data = server_bytes(ops_)
    expected = reference(data)
    assert expected[0] == "hello wörld" and expected[-1] == Close(1000, "bye")
    for cut in range(len(data) + 1):
        assert same(decode([data[:cut], data[cut:]]), expected), cut
    assert same(decode([data[i : i + 1] for i in range(len(data))]), expected)


def test_nothing_after_a_close() -> None:
    parser = FrameParser()
    data = server_bytes([("close", (1001, "going")), ("text", ["late"])])
    assert parser.receive_data(data) == [Close(1001, "going")]
    assert parser.closed
    assert parser.receive_data(server_bytes([("text", ["later"])])) == []


def test_close_without_a_code_is_1005() -> None:
    assert decode([bytes((0x88, 0))]) == [Close(1005, "")]


def frame(b0: int, payload: bytes, *, mask: bool = False) -> bytes:
    n = len(payload)
    head = bytes((b0, (0x80 if mask else 0) | n)) if n < 126 else bytes((b0, 126)) + n.to_bytes(2)
    return head + (b"\0\0\0\0" if mask else b"") + payload


MALFORMED = {
    "masked frame": (frame(0x81, b"hi", mask=True), 1002),
    "reserved bit 1": (frame(0xC1, b"hi"), 1002),
    "reserved bit 3": (frame(0x91, b"hi"), 1002),
    "unknown data opcode": (frame(0x83, b""), 1002),
    "unknown control opcode": (frame(0x8B, b""), 1002),
    "control over 125 bytes": (frame(0x89, b"x" * 126), 1002),
    "fragmented ping": (frame(0x09, b"x"), 1002),
    "continuation first": (frame(0x80, b"x"), 1002),
    "message inside a message": (frame(0x01, b"a") + frame(0x81, b"b"), 1002),
    "invalid utf-8 text": (frame(0x81, b"\xff"), 1007),
    "invalid utf-8 across fragments": (frame(0x01, b"\xe2\x82") + frame(0x80, b"\xff"), 1007),
    "close of one byte": (frame(0x88, b"\x03"), 1002),
    "close with code 999": (frame(0x88, (999).to_bytes(2)), 1002),
    "close with local-only code 1006": (frame(0x88, (1006).to_bytes(2)), 1002),
    "close with reserved code 2999": (frame(0x88, (2999).to_bytes(2)), 1002),
    "close with code 5000": (frame(0x88, (5000).to_bytes(2)), 1002),
    "close reason not utf-8": (frame(0x88, (1000).to_bytes(2) + b"\xff"), 1007),
    "64-bit length, top bit set": (bytes((0x82, 127)) + (1 << 63).to_bytes(8), 1002),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_input_closes_with_the_code_wsproto_gives(name: str) -> None:
    bad, code = MALFORMED[name]
    good = server_bytes([("text", ["before"]), ("ping", b"p")])
    data = good + bad + server_bytes([("text", ["after"])])
    expected = ["before", Ping(b"p"), Close(code, "", local=True)]
    if name != "64-bit length, top bit set":  # wsproto waits for 2**63 bytes there
        assert same(reference(data), expected)
    for cut in range(len(data) + 1):
        ours = decode([data[:cut], data[cut:]])
        assert same(ours, expected), (cut, ours)
        last = ours[-1]
        assert isinstance(last, Close) and last.reason  # says what was wrong


def test_a_message_over_the_limit_is_refused_from_its_header() -> None:
    parser = FrameParser(max_message_size=100)
    assert parser.receive_data(frame(0x81, b"x" * 100)) == ["x" * 100]
    head = frame(0x82, b"x" * 101)[:4]  # only the header: no need to wait for the payload
    assert parser.receive_data(head) == [Close(1009, "message too big", local=True)]
    fragmented = FrameParser(max_message_size=100)
    events = fragmented.receive_data(frame(0x01, b"x" * 60) + frame(0x80, b"x" * 41))
    assert events == [Close(1009, "message too big", local=True)]
    # Control frames are not messages: a 125-byte ping passes a 100-byte limit.
    assert [type(e) for e in FrameParser(100).receive_data(frame(0x89, b"p" * 125))] == [Ping]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([TEXT, BINARY, PING, PONG, CLOSE]),
    st.one_of(st.binary(max_size=125), big_sizes.map(lambda n: b"\x5a" * n)),
    st.booleans(),
)
def test_encoded_frames_decode_in_wsproto(opcode: int, payload: bytes, fin: bool) -> None:
    if opcode >= CLOSE:
        payload, fin = payload[:125], True
    if opcode == TEXT:
        payload = payload.decode("latin-1").encode()  # valid UTF-8
    if opcode == CLOSE:
        payload = close_payload(1000, payload.decode("latin-1")[:60])
    data = encode_frame(opcode, payload, fin=fin)
    assert data[1] & 0x80  # masked
    server = FrameProtocol(client=False, extensions=[])
    server.receive_bytes(data)
    (got,) = list(server.received_frames())
    assert int(got.opcode) == opcode
    assert got.frame_finished and got.message_finished is fin
    if opcode == CLOSE:
        assert tuple(got.payload) == (1000, payload[2:].decode())
    elif opcode == TEXT:
        assert got.payload == payload.decode()
    else:
        assert bytes(got.payload) == payload  # type: ignore[arg-type]


def test_each_frame_has_a_fresh_mask() -> None:
    frames = {encode_frame(TEXT, b"same payload") for _ in range(20)}
    assert len(frames) > 1


def test_close_reason_is_cut_on_a_character_boundary() -> None:
    payload = close_payload(1000, "é" * 100)
    assert len(payload) <= 125
    assert payload[2:].decode() == "é" * 61
