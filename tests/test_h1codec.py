"""The HTTP/1.1 codec (trio_openai/_h1codec.py), pure: bytes in, events out.

Any valid response decodes to the same head and body however the bytes are cut (every
byte boundary, random cuts), and to what h11 (the reference, test-only) decodes; malformed
input raises RemoteProtocolError (HeadError for the head) at any cut.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import attrs
import h11
import pytest
from hypothesis import assume, given, settings, strategies as st

from trio_openai import _h1codec
from trio_openai._h1codec import (
    END,
    NEED_DATA,
    Head,
    HeadError,
    LocalProtocolError,
    RemoteProtocolError,
    ResponseParser,
    connect_head,
    request_head,
)

TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
VCHAR = bytes(range(0x21, 0x7F)) + bytes(range(0x80, 0x100))
FRAMING_NAMES = {b"content-length", b"transfer-encoding", b"connection"}


@attrs.frozen
class Decoded:
    heads: list[Head]
    body: bytes
    complete: bool
    keep_alive: bool
    buffered: bytes


def decode(pieces: list[bytes], method: str = "GET", *, eof: bool = True) -> Decoded:
    """Feed the pieces one by one, then EOF; collect the events."""
    parser = ResponseParser()
    parser.start(method)
    heads: list[Head] = []
    body: list[bytes] = []
    feed = iter(pieces)
    ended = False
    while True:
        event = parser.next_event()
        if isinstance(event, Head):
            heads.append(event)
        elif isinstance(event, bytes):
            assert event, "data events are never empty"
            body.append(event)
        elif event is END:
            break
        else:
            assert event is NEED_DATA
            piece = next(feed, None)
            if piece is not None:
                parser.receive_data(piece)
            elif eof and not ended:
                parser.receive_eof()
                ended = True
            else:
                break
    return Decoded(heads, b"".join(body), parser.complete, parser.keep_alive, parser.buffered)


def split_at(wire: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(wire)) for c in cuts} | {0, len(wire)})
    return [wire[a:b] for a, b in itertools.pairwise(points) if b > a]


# -- valid responses --------------------------------------------------------------------

tokens = st.text(alphabet=TCHAR, min_size=1, max_size=12).map(str.encode)
field_values = st.lists(
    st.binary(min_size=1, max_size=10).map(lambda b: bytes(VCHAR[x % len(VCHAR)] for x in b)),
    max_size=3,
).map(b" ".join)
headers = st.lists(
    st.tuples(tokens.filter(lambda n: n.lower() not in FRAMING_NAMES), field_values), max_size=6
)
reasons = st.lists(st.sampled_from([b"OK", b"Not Found", b"x", b"\xe9t\xe9"]), max_size=3).map(
    b" ".join
)


@attrs.frozen
class Response:
    wire: bytes
    head: Head
    body: bytes
    framing: str


@st.composite
def responses(draw: st.DrawFn) -> Response:
    framing = draw(st.sampled_from(["length", "chunked", "eof"]))
    status = draw(st.integers(200, 599).filter(lambda s: s not in (204, 304)))
    reason = draw(reasons)
    fields = list(draw(headers))
    body = draw(st.binary(max_size=400))
    if framing == "length":
        fields.append((b"Content-Length", b"%d" % len(body)))
        encoded = body
    elif framing == "chunked":
        fields.append((b"Transfer-Encoding", draw(st.sampled_from([b"chunked", b"Chunked"]))))
        cuts = draw(st.lists(st.integers(0, len(body)), max_size=6))
        ext = st.sampled_from([b"", b";a=1", b";name", b' ; q="x y"', b";a;b=2"])
        encoded = b"".join(
            b"%x%b\r\n%b\r\n" % (len(piece), draw(ext), piece) for piece in split_at(body, cuts)
        )
        trailers = draw(st.lists(st.tuples(tokens, field_values), max_size=2))
        encoded += b"0" + draw(ext) + b"\r\n"
        encoded += b"".join(name + b": " + value + b"\r\n" for name, value in trailers) + b"\r\n"
    else:
        encoded = body
    reason_part = b" " + reason if reason or draw(st.booleans()) else b""
    wire = b"HTTP/1.1 %d%b\r\n" % (status, reason_part)
    wire += b"".join(name + b": " + value + b"\r\n" for name, value in fields) + b"\r\n"
    shown = [(n, v.lower() if n == b"Transfer-Encoding" else v) for n, v in fields]  # as h11
    return Response(wire + encoded, Head(status, reason, shown, b"1.1"), body, framing)


@given(responses(), st.lists(st.integers(0, 2000), max_size=10))
def test_any_valid_response_decodes_alike_at_random_cuts(
    response: Response, cuts: list[int]
) -> None:
    decoded = decode(split_at(response.wire, cuts))
    assert decoded.heads == [response.head]
    assert decoded.body == response.body
    assert decoded.complete
    assert decoded.buffered == b""
    assert decoded.keep_alive is (response.framing != "eof")


@settings(max_examples=30)
@given(responses())
def test_any_valid_response_decodes_alike_at_every_byte_boundary(response: Response) -> None:
    wire = response.wire
    for cut in range(len(wire) + 1):
        decoded = decode([wire[:cut], wire[cut:]])
        assert (decoded.heads, decoded.body) == ([response.head], response.body), cut
    decoded = decode([wire[i : i + 1] for i in range(len(wire))])  # one byte per read
    assert (decoded.heads, decoded.body, decoded.complete) == ([response.head], response.body, True)


def h11_decode(wire: bytes, method: str = "GET") -> tuple[Head, bytes]:
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(wire)
    conn.receive_data(b"")
    head: Head | None = None
    body: list[bytes] = []
    while True:
        event = conn.next_event()
        if isinstance(event, h11.Response):
            fields = list(event.headers.raw_items())
            head = Head(event.status_code, event.reason, fields, event.http_version)
        elif isinstance(event, h11.Data):
            body.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            assert head is not None
            return head, b"".join(body)
        else:
            raise AssertionError(f"h11 gave {event!r}")


@given(responses(), st.lists(st.integers(0, 2000), max_size=4))
def test_valid_responses_decode_as_h11_decodes_them(response: Response, cuts: list[int]) -> None:
    assume(b" ;" not in response.wire)  # h11 refuses the whitespace RFC 9112 allows there
    ours = decode(split_at(response.wire, cuts))
    head, body = h11_decode(response.wire)
    assert ours.heads == [head]
    assert ours.body == body


def test_head_details_as_h11_reads_them() -> None:
    wire = (
        b"HTTP/1.0 200\n"  # bare LF line ends and no reason phrase are tolerated
        b"X-A:   padded value \t\n"
        b"X-Folded: one\r\n   two\r\n"  # obs-fold: joined with a space
        b"Content-Length: 2, 2\r\n"  # a repeated equal value is one value
        b"\r\nhi"
    )
    ours = decode([wire])
    head, body = h11_decode(wire)
    assert ours.heads == [head]
    assert ours.heads[0].headers == [
        (b"X-A", b"padded value"),
        (b"X-Folded", b"one two"),
        (b"Content-Length", b"2"),
    ]
    assert ours.body == body == b"hi"
    assert not ours.keep_alive  # HTTP/1.0 without keep-alive


# -- framing rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "body"),
    [("HEAD", 200, b""), ("GET", 204, b""), ("GET", 304, b""), ("CONNECT", 200, b"")],
)
def test_responses_without_a_body_end_at_the_head(method: str, status: int, body: bytes) -> None:
    wire = b"HTTP/1.1 %d X\r\nContent-Length: 5\r\n\r\n" % status
    decoded = decode([wire + b"NEXT"], method)
    assert decoded.complete
    assert decoded.body == body
    assert decoded.buffered == b"NEXT"  # left for the caller: the connection is not reused


def test_informational_heads_come_before_the_final_one() -> None:
    wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\n"
    wire += b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!"
    decoded = decode(split_at(wire, [5, 30, 60]))
    assert [h.status for h in decoded.heads] == [100, 103, 200]
    assert decoded.body == b"!"


def test_chunked_wins_over_content_length_and_the_connection_is_not_reused() -> None:
    # RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; such a message "ought to be
    # handled as an error" for what follows it, so the connection is closed after it.
    wire = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
    decoded = decode([wire + b"5\r\nhello\r\n0\r\n\r\n"])
    assert decoded.body == b"hello"
    assert decoded.complete
    assert not decoded.keep_alive


def test_bytes_past_a_content_length_body_are_left_buffered() -> None:
    decoded = decode([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA"])
    assert (decoded.body, decoded.buffered, decoded.keep_alive) == (b"hi", b"EXTRA", True)


def test_one_read_of_many_chunks_is_one_data_event() -> None:
    parser = ResponseParser()
    parser.start("GET")
    parser.receive_data(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert isinstance(parser.next_event(), Head)
    parser.receive_data(b"1\r\na\r\n2\r\nbb\r\n3\r\nccc\r\n")
    assert parser.next_event() == b"abbccc"
    assert parser.next_event() is NEED_DATA
    parser.receive_data(b"0\r\n\r\n")
    assert parser.next_event() is END


def test_eof_before_any_byte_is_not_a_head_error() -> None:
    # The pool resends an idempotent request when a reused connection closes before
    # answering; a head cut short is the server answering, and is not resent.
    with pytest.raises(RemoteProtocolError) as caught:
        decode([])
    assert not isinstance(caught.value, HeadError)
    with pytest.raises(HeadError, match="closed the connection in the response head"):
        decode([b"HTTP/1.1 200 OK\r\n"])


def test_the_parser_is_reused_for_the_next_response_of_the_connection() -> None:
    parser = ResponseParser()
    for n in range(3):
        parser.start("GET")
        parser.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n%d" % n)
        assert isinstance(parser.next_event(), Head)
        assert parser.next_event() == b"%d" % n
        assert parser.complete
        assert parser.next_event() is END
        assert parser.received


# -- malformed input ----------------------------------------------------------------------

CL = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
TE = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
MALFORMED_HEADS = {
    "not http": b"SSH-2.0-OpenSSH\r\n\r\n",
    "HTTP/2 text": b"HTTP/2.0 200 OK\r\n\r\n",
    "two digit status": b"HTTP/1.1 20 OK\r\n\r\n",
    "status 099": b"HTTP/1.1 099 Hm\r\n\r\n",
    "space before colon": b"HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n",
    "no colon": b"HTTP/1.1 200 OK\r\nX-A\r\n\r\n",
    "NUL in a value": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n",
    "control byte in a value": b"HTTP/1.1 200 OK\r\nX-A: a\x01b\r\n\r\n",
    "lone CR in a value": b"HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n",
    "bad name byte": b"HTTP/1.1 200 OK\r\nX(A): 1\r\n\r\n",
    "fold first": b"HTTP/1.1 200 OK\r\n folded: 1\r\n\r\n",
    "bad content-length": b"HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n",
    "negative content-length": b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    "conflicting content-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    "gzip transfer-encoding": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
    "two transfer-encodings": TE[:-2] + b"Transfer-Encoding: chunked\r\n\r\n",
    "101 not asked for": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
    "oversize head": b"HTTP/1.1 200 OK\r\n" + b"X-A: " + b"a" * 70_000 + b"\r\n\r\n",
    "oversize, no end": b"HTTP/1.1 200 OK\r\n" + b"X-A: " + b"a" * 70_000,
}
MALFORMED_BODIES = {
    "short content-length body": CL + b"hell",
    "bad chunk size": TE + b"xyz\r\nabc\r\n0\r\n\r\n",
    "space before chunk size": TE + b" 3\r\nabc\r\n0\r\n\r\n",
    "chunk size too long": TE + b"1" * 17 + b"\r\n",
    "chunk line too long": TE + b"3;" + b"e" * 5000 + b"\r\nabc\r\n0\r\n\r\n",
    "chunk line without an end": TE + b"3;" + b"e" * 5000,
    "control byte in an extension": TE + b"3;a\x01\r\nabc\r\n0\r\n\r\n",
    "no CRLF after data": TE + b"3\r\nabcd\r\n0\r\n\r\n",
    "LF alone after data": TE + b"3\r\nabc\n0\r\n\r\n",
    "bad trailer": TE + b"0\r\nnot a field\r\n\r\n",
    "eof in a chunk": TE + b"5\r\nab",
    "eof before the last chunk": TE + b"2\r\nab\r\n",
    "eof in the trailers": TE + b"0\r\nX-T: 1\r\n",
    # What int(x, 16) would take and the chunk-size grammar does not: the fast path for
    # whole chunks must leave these to the strict state machine.
    "0x before a chunk size": TE + b"0x3\r\nabc\r\n0\r\n\r\n",
    "sign before a chunk size": TE + b"+3\r\nabc\r\n0\r\n\r\n",
    "underscore in a chunk size": TE + b"1_0\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n",
    "negative chunk size": TE + b"-3\r\nabc\r\n0\r\n\r\n",
    "non-ASCII digit in a chunk size": TE + "\u0663".encode() + b"\r\nabc\r\n0\r\n\r\n",
    "bad CRLF after a whole chunk": TE + b"1\r\na\r\n3\r\nabc\rX0\r\n\r\n",
}


@pytest.mark.parametrize("case", list(MALFORMED_HEADS))
def test_malformed_heads_raise_head_error(case: str) -> None:
    wire = MALFORMED_HEADS[case]
    for cuts in ([], [1], [len(wire) // 2], list(range(0, len(wire), 4096))):
        with pytest.raises(HeadError):
            decode(split_at(wire, cuts))


@pytest.mark.parametrize("case", list(MALFORMED_BODIES))
def test_malformed_bodies_raise_a_protocol_error(case: str) -> None:
    wire = MALFORMED_BODIES[case]
    for cut in range(len(wire) + 1) if len(wire) < 200 else range(0, len(wire) + 1, 97):
        with pytest.raises(RemoteProtocolError) as caught:
            decode([wire[:cut], wire[cut:]])
        assert not isinstance(caught.value, HeadError)


@given(
    responses().filter(lambda r: bool(r.head.headers)),
    st.sampled_from(b"\x00\x01\x08\x0b\x0c\x0e\x1f\x7f"),
    st.lists(st.integers(0, 2000), max_size=6),
)
def test_a_control_byte_in_any_header_is_refused_at_any_cut(
    response: Response, bad: int, cuts: list[int]
) -> None:
    where = response.wire.index(b": ", response.wire.index(b"\r\n")) + 2  # the first value
    wire = response.wire[:where] + bytes([bad]) + response.wire[where:]
    with pytest.raises(HeadError):
        decode(split_at(wire, cuts))


# -- the fast path for whole chunks against the state machine ---------------------------

size_lines = st.one_of(
    st.integers(1, 600).map(lambda n: b"%x" % n),
    st.integers(0, 600).map(lambda n: b"%X" % n),
    st.tuples(st.integers(0, 3), st.integers(0, 600)).map(lambda t: b"0" * t[0] + b"%x" % t[1]),
    st.sampled_from([b"0x3", b"+3", b"-3", b" 3", b"3 ", b"3\t", b"1_0", b"3;e=1", b"3 ;e", b""]),
    st.sampled_from([b"g", b"1" * 16, b"1" * 17, b"0" * 16 + b"3", b"\xd9\xa3", b"3\x00"]),
)
endings = st.sampled_from([b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r", b"", b"x\r\n", b"\r\r\n"])


@st.composite
def chunked_bodies(draw: st.DrawFn) -> bytes:
    """Chunk streams that are mostly valid, with the forms a size line can take, right and
    wrong, and data a few bytes too long or short."""
    out: list[bytes] = []
    for _ in range(draw(st.integers(0, 8))):
        line = draw(size_lines)
        try:
            size = int(line.split(b";")[0], 16)
        except ValueError:
            size = 3
        size = size if size < 1000 else 3  # (16 ones: the data is cut short)
        size = max(0, size + draw(st.sampled_from([0, 0, 0, 0, -1, 1])))
        out.append(line + draw(endings) + draw(st.binary(min_size=size, max_size=size)))
        out.append(draw(endings))
    if draw(st.booleans()):
        out.append(b"0\r\n" + draw(st.sampled_from([b"", b"X-T: 1\r\n", b"bad\r\n"])) + b"\r\n")
    return b"".join(out)


def events(pieces: list[bytes], eof: bool) -> list[object]:
    """Every event and the error that ends them (its type and message), cut as given."""
    parser = ResponseParser()
    parser.start("GET")
    parser.receive_data(TE)
    seen: list[object] = [parser.next_event()]
    feed = iter(pieces)
    try:
        while (event := parser.next_event()) is not END:
            seen.append(event)
            if event is NEED_DATA:
                piece = next(feed, None)
                if piece is not None:
                    parser.receive_data(piece)
                elif eof:
                    parser.receive_eof()
                    eof = False
                else:
                    break
    except RemoteProtocolError as exc:
        seen.append((type(exc), str(exc)))
    seen.append((parser.complete, parser.buffered))
    return seen


def no_fast_path(buffer: bytes, pos: int, end: int, pieces: list[bytes]) -> int:
    return pos  # no whole chunk taken: the state machine reads everything


@settings(max_examples=400)  # cheap examples; a wrong byte after a whole chunk is rare
@given(chunked_bodies(), st.lists(st.integers(0, 5000), max_size=6), st.booleans())
def test_the_fast_path_decodes_as_the_state_machine_at_any_cut(
    body: bytes, cuts: list[int], eof: bool
) -> None:
    pieces = split_at(body, cuts)
    fast = events(pieces, eof)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_h1codec, "_whole_chunks", no_fast_path)
        strict = events(pieces, eof)
    assert fast == strict


def test_the_fast_path_takes_many_whole_chunks_in_one_read() -> None:
    stream = b"".join(b"%x\r\n%b\r\n" % (len(data), data) for data in [b"a", b"b" * 300] * 20)
    assert events([stream, b"3\r\nab", b"c\r\n0\r\n\r\n"], eof=False)[1:] == [
        NEED_DATA,
        b"".join([b"a", b"b" * 300] * 20),
        NEED_DATA,
        b"ab",
        NEED_DATA,
        b"c",
        (True, b""),
    ]


# -- requests ----------------------------------------------------------------------------


def test_request_heads() -> None:
    head, chunked = request_head(
        "POST", b"/v1/x?q=1", [(b"X-A", b"1")], netloc=b"api:8000", body=b"{}"
    )
    assert (
        head == b"POST /v1/x?q=1 HTTP/1.1\r\nHost: api:8000\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n"
    )
    assert not chunked
    head, chunked = request_head("PUT", b"/u", [], netloc=b"h", body=None)
    assert head.endswith(b"Transfer-Encoding: chunked\r\n\r\n")
    assert chunked
    head, _ = request_head(
        "GET", b"http://h/", [(b"Host", b"h")], netloc=b"h", body=b"", proxy_authorization=b"B x"
    )
    assert head == b"GET http://h/ HTTP/1.1\r\nHost: h\r\nProxy-Authorization: B x\r\n\r\n"
    assert connect_head(b"h:443", None) == b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"


@pytest.mark.parametrize(
    ("method", "target", "fields"),
    [
        ("GE T", b"/", []),
        ("GET", b"/a b", []),
        ("GET", b"/", [(b"X A", b"1")]),
        ("GET", b"/", [(b"X-A", b"1\r\nInjected: yes")]),
    ],
)
def test_request_heads_that_cannot_be_written_are_refused(
    method: str, target: bytes, fields: list[tuple[bytes, bytes]]
) -> None:
    with pytest.raises(LocalProtocolError):
        request_head(method, target, fields, netloc=b"h", body=b"")


def test_importing_the_client_does_not_import_h11() -> None:
    code = "import trio_openai, sys; trio_openai.OpenAI(api_key='x'); print('h11' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
