"""Property fuzzers beyond the per-module ones (bounded example counts: the file runs in a few
seconds).

- SSE through the `Stream` layer (decoder, [DONE], error events, JSON decoding, the body
  reader) over a fake body split at random points: only typed errors, the same result
  for any split, the body always closed. (tests/test_sse.py fuzzes the bare decoder.)
- Generated models: for a fixed sample of ~50 schemas of the spec, schema-shaped random
  JSON decodes and `to_dict()` gives it back exactly; random mutations of it either decode
  (and still round-trip) or raise `APIResponseValidationError`, never anything else.
- multipart: field names and filenames made of any characters never break the part
  headers. (tests/test_multipart.py covers the round trip of values; tests/test_webhooks.py
  covers signatures, so neither is repeated here.)
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import re
from collections.abc import AsyncIterator
from functools import cache
from typing import Any, Final

import httpx
import pytest
import trio
from hypothesis import given, settings, strategies as st
from hypothesis.strategies import SearchStrategy
from spec_path import spec_path

import trio_openai
import trio_openai.types
from trio_openai._multipart import encode_multipart
from trio_openai._streaming import Stream
from trio_openai._types import Timeout
from trio_openai.types import decoder_for

# -- SSE through the Stream layer ----------------------------------------------------------

SSE_PIECES: Final = [
    b"\n",
    b"\r\n",
    b"\r",
    b":",
    b" ",
    b"data: ",
    b"data:",
    b"event: ",
    b"event: error\n",
    b"event: done\n",
    b"id: 7\n",
    b"retry: 10\n",
    b'data: {"n": 1}\n\n',
    b'data: {"delta": "h\xc3\xa9"}\n\n',
    b"data: [DONE]\n\n",
    b'data: {"error": {"message": "boom"}}\n\n',
    b'data: {"n"',
    b"data: 12\n\n",
    b"data: null\n\n",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"x" * 40,
]
sse_bodies = st.lists(st.sampled_from(SSE_PIECES) | st.binary(max_size=12), max_size=16).map(
    b"".join
)
TYPED_STREAM_ERRORS: Final = (trio_openai.APIResponseValidationError, trio_openai.StreamError)


class FakeBody(httpx.AsyncByteStream):
    """A response body delivered in the given chunks; records whether it was closed."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:  # an async generator, as httpx's are
        for chunk in self.chunks:
            await trio.lowlevel.checkpoint()
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def split(data: bytes, points: list[int]) -> list[bytes]:
    cuts = sorted({0, len(data), *points})
    return [data[a:b] for a, b in itertools.pairwise(cuts)]


def read_stream(chunks: list[bytes], max_event_size: int) -> tuple[list[Any], str | None]:
    """The events a `Stream` yields over `chunks`, and the class of its error if any."""
    body = FakeBody(chunks)
    request = httpx.Request("POST", "http://127.0.0.1/v1/responses")

    async def open_response() -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=body, request=request)

    events: list[Any] = []
    error: str | None = None

    async def run() -> None:
        nonlocal error
        stream = Stream(
            open_response, lambda obj: obj, timeout=Timeout(), max_event_size=max_event_size
        )
        try:
            async with stream:
                async for event in stream:
                    events.append(event)
        except TYPED_STREAM_ERRORS as exc:
            error = type(exc).__name__

    trio.run(run)
    assert body.closed
    return events, error


@settings(max_examples=150)
@given(sse_bodies, st.lists(st.integers(0, 400), max_size=8))
def test_stream_gives_the_same_result_for_any_split(data: bytes, points: list[int]) -> None:
    whole = read_stream([data], max_event_size=1 << 20)
    assert read_stream(split(data, points), max_event_size=1 << 20) == whole


@settings(max_examples=100)
@given(sse_bodies, st.lists(st.integers(0, 400), max_size=8))
def test_stream_with_a_small_event_limit_only_raises_typed_errors(
    data: bytes, points: list[int]
) -> None:
    # With a 16-byte limit, whether an over-long line trips the limit depends on where the
    # chunks end (an unterminated line counts); the events delivered before stay a prefix.
    coarse_events, coarse_error = read_stream([data], max_event_size=16)
    fine_events, fine_error = read_stream(split(data, points), max_event_size=16)
    if "EventTooLargeError" in (coarse_error, fine_error):
        shorter, longer = sorted((coarse_events, fine_events), key=len)
        assert longer[: len(shorter)] == shorter
    else:
        assert (coarse_events, coarse_error) == (fine_events, fine_error)


# -- generated models from schema-shaped JSON ------------------------------------------------

SCHEMA_SAMPLE_SIZE: Final = 45
ALWAYS: Final = (
    "Response",
    "ResponseStreamEvent",
    "CreateChatCompletionResponse",
    "RealtimeServerEvent",
    "OpenAIFile",
)
DEPTH: Final = 3


@cache
def spec_schemas() -> dict[str, Any]:
    with open(spec_path(), encoding="utf-8") as f:
        schemas: dict[str, Any] = json.load(f)["components"]["schemas"]
    return schemas


@cache
def schema_sample() -> list[str]:
    generated = set(dir(trio_openai.types))  # checked by name: importing all is slow
    names = sorted(n for n in spec_schemas() if n in generated and n not in ALWAYS)
    return [*ALWAYS, *random.Random(8).sample(names, SCHEMA_SAMPLE_SIZE)]


_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=6)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
_any_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec_schemas()[schema["$ref"].rpartition("/")[2]]
    return schema


def _merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in schema["allOf"]:
        part = _resolve(part)
        if "allOf" in part:
            part = _merge_all_of(part)
        merged["properties"].update(part.get("properties", {}))
        merged["required"] += part.get("required", [])
    merged["properties"].update(schema.get("properties", {}))
    merged["required"] += schema.get("required", [])
    return merged


_SHAPED: dict[tuple[int, int], SearchStrategy[Any]] = {}
_ANY: Final[dict[str, Any]] = {}  # the schema of any JSON value


def shaped(schema: dict[str, Any], depth: int = DEPTH) -> SearchStrategy[Any]:
    """JSON of the shape `schema` describes (refs, unions, enums...), nesting cut at `depth`."""
    schema = _resolve(schema)
    key = (id(schema), depth)  # the spec's dicts live as long as the cached spec
    if key not in _SHAPED:
        _SHAPED[key] = _shaped(schema, depth)
    return _SHAPED[key]


def _shaped(schema: dict[str, Any], depth: int) -> SearchStrategy[Any]:
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "allOf" in schema:
        return _shaped(_merge_all_of(schema), depth)  # a new dict: not cached by its id
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants:
        return st.one_of([shaped(v, depth) for v in variants])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([_typed(schema, k, depth) for k in kind])
    strategy = _typed(schema, kind, depth)
    return strategy | st.none() if schema.get("nullable") else strategy


def _typed(schema: dict[str, Any], kind: str | None, depth: int) -> SearchStrategy[Any]:
    if kind == "object" or (kind is None and "properties" in schema):
        if depth <= 0:
            return st.just({})
        properties = schema.get("properties", {})
        required = [k for k in schema.get("required", []) if k in properties]
        if not properties:
            extra = schema.get("additionalProperties")
            values = shaped(extra, depth - 1) if isinstance(extra, dict) else _any_json
            return st.dictionaries(_text, values, max_size=2)
        return st.fixed_dictionaries(
            {k: shaped(properties[k], depth - 1) for k in required},
            optional={k: shaped(v, depth - 1) for k, v in properties.items() if k not in required},
        )
    if kind == "array":
        if depth <= 0:
            return st.just([])
        return st.lists(shaped(schema.get("items", _ANY), depth - 1), max_size=2)
    if kind == "string":
        return _text
    if kind == "integer":
        return st.integers(-(2**53), 2**53)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers(-100, 100)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return _any_json


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def mutate(value: Any, data: st.DataObject) -> Any:
    """`value` with one to three random changes: a value replaced by any JSON, a key
    dropped or added, a value wrapped in a list."""
    value = copy.deepcopy(value)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(value)))
        op = data.draw(st.sampled_from(["replace", "drop", "add", "wrap"]))
        new = data.draw(_any_json)
        if not path:
            value = new if op == "replace" else [value] if op == "wrap" else value
            continue
        *head, last = path
        parent = value
        for step in head:
            parent = parent[step]
        if op == "replace":
            parent[last] = new
        elif op == "wrap":
            parent[last] = [parent[last]]
        elif op == "drop" and isinstance(parent, dict):
            del parent[last]
        elif op == "add" and isinstance(parent, dict):
            parent[data.draw(_text)] = new
    return value


def to_json(decoded: Any) -> Any:
    """Back to JSON values: models through `to_dict()`, inside lists and maps too."""
    to_dict = getattr(decoded, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(decoded, list):
        return [to_json(item) for item in decoded]
    if isinstance(decoded, dict):
        return {key: to_json(item) for key, item in decoded.items()}
    return decoded


@pytest.mark.parametrize("name", schema_sample())
@settings(max_examples=15)
@given(data=st.data())
def test_schema_shaped_json_decodes_and_round_trips(name: str, data: st.DataObject) -> None:
    value = data.draw(shaped(spec_schemas()[name]))
    sent = copy.deepcopy(value)
    decoded = decoder_for(name)(value)
    assert value == sent  # the input is not modified
    assert to_json(decoded) == sent


@pytest.mark.parametrize("name", schema_sample())
@settings(max_examples=15)
@given(data=st.data())
def test_mutated_json_decodes_or_raises_the_validation_error(
    name: str, data: st.DataObject
) -> None:
    value = mutate(data.draw(shaped(spec_schemas()[name])), data)
    sent = copy.deepcopy(value)
    try:
        decoded = decoder_for(name)(value)
    except trio_openai.APIResponseValidationError:
        return
    assert to_json(decoded) == sent


def test_the_schema_sample_is_fixed_and_wide() -> None:
    sample = schema_sample()
    assert len(set(sample)) == len(ALWAYS) + SCHEMA_SAMPLE_SIZE
    assert schema_sample.__wrapped__() == sample  # the same names on every run


# -- multipart: any names and filenames ------------------------------------------------------

_PARAM: Final = re.compile(r'; (name|filename)="((?:[^"\\]|\\.)*)"')
_any_name = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


def _shown(name: str) -> str:
    """How a name reads after encoding: control characters percent-encoded, as browsers do."""
    return "".join(f"%{ord(c):02X}" if ord(c) < 32 or ord(c) == 127 else c for c in name)


@settings(max_examples=80)
@given(st.lists(st.tuples(_any_name, _any_name, st.binary(max_size=20)), max_size=4))
def test_any_names_and_filenames_stay_inside_their_header(
    parts: list[tuple[str, str, bytes]],
) -> None:
    form = {
        f"f{i}": {name: (filename, payload)} for i, (name, filename, payload) in enumerate(parts)
    }
    body = encode_multipart(form, boundary="fuzz-boundary")

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in body])

    data = trio.run(collect)
    assert body.content_length == len(data)
    raw_parts = data.removesuffix(b"--fuzz-boundary--\r\n").split(b"--fuzz-boundary\r\n")[1:]
    assert len(raw_parts) == len(parts)
    for raw, (i, (name, filename, payload)) in zip(raw_parts, enumerate(parts), strict=True):
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        assert len(lines) == 2 and lines[1].startswith("Content-Type: ")  # nothing injected
        params = {k: re.sub(r"\\(.)", r"\1", v) for k, v in _PARAM.findall(lines[0])}
        assert params == {"name": _shown(f"f{i}[{name}]"), "filename": _shown(filename)}
        assert rest == payload + b"\r\n"
