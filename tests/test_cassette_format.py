"""The pure cassette format: event splitting loses no byte, files round-trip exactly."""

from __future__ import annotations

import orjson
from hypothesis import given, strategies as st

from trio_openai.testing._cassette_format import (
    Exchange,
    RecordedResponse,
    RequestRecord,
    StreamEvent,
    dumps_cassette,
    encode_body,
    loads_cassette,
    split_events,
)

_PIECES = st.sampled_from(
    [b"data: ", b'{"a": 1}', b"\n", b"\r\n", b"\r", b"event: x", b": ping", b"[DONE]", b"\xff"]
)


@given(st.lists(st.lists(_PIECES, max_size=8).map(b"".join), max_size=8))
def test_splitting_in_any_chunking_keeps_every_byte(chunks: list[bytes]) -> None:
    out: list[bytes] = []
    pending = b""
    for chunk in chunks:
        events, pending = split_events(pending + chunk)
        assert all(e.endswith((b"\n\n", b"\r\r", b"\r\n\r\n")) for e in events)
        out += events
    assert b"".join(out) + pending == b"".join(chunks)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(
    body=_JSON,
    events=st.lists(st.tuples(st.floats(0, 100), _JSON | st.binary(max_size=12)), max_size=5),
    binary=st.binary(max_size=40),
)
def test_a_cassette_round_trips_through_its_file(
    body: object, events: list[tuple[float, object]], binary: bytes
) -> None:
    wires = [
        StreamEvent(
            round(at, 6),
            data if isinstance(data, bytes) else b"data: " + orjson.dumps(data) + b"\n\n",
        )
        for at, data in events
    ]
    exchanges = [
        Exchange(
            request=RequestRecord(
                method="POST",
                path="/v1/x",
                query=(("a", "1"), ("a", "2")),
                headers={"content-type": "application/json"},
                body=encode_body(orjson.dumps(body), "application/json"),
            ),
            response=RecordedResponse(
                status=200,
                headers={"content-type": "text/event-stream"},
                after=0.5,
                body=encode_body(b"", ""),
                events=tuple(wires),
            ),
        ),
        Exchange(
            request=RequestRecord(
                method="GET", path="/v1/y", query=(), headers={}, body=encode_body(b"", "")
            ),
            response=RecordedResponse(
                status=200,
                headers={"content-type": "audio/mpeg"},
                after=0.0,
                body=encode_body(binary, "audio/mpeg"),
            ),
        ),
    ]
    data = dumps_cassette(exchanges)
    assert loads_cassette(data) == exchanges
    assert dumps_cassette(loads_cassette(data)) == data  # stable: re-saving changes nothing
