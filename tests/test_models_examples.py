"""Every response example of the spec decodes into its operation's type and back, exactly.

The examples live in each operation's x-oaiMeta.examples (a dict or a list of dicts with
a `response` string). Some are not JSON (SSE transcripts, `...` placeholders, comments,
trailing commas) or belong to an operation without a JSON response type: those are left
out of the parametrization and counted, and the counts are pinned so that a change in the
spec or in the decoder cannot make more of them fall through silently.
"""

# pyright: reportPrivateUsage=false
# (these tests look at the generated protocol: _KEYS, _SET, decoder tables)

from __future__ import annotations

from typing import Any, cast

import attrs
import orjson
import pytest
from spec_path import spec_path

from codegen.spec import Spec, load
from trio_openai._models import BaseModel, UnknownVariant
from trio_openai.types import decoder_for
from trio_openai.types._operations import RESPONSE_TYPES

# Measured on the spec in ../shared/openapi (update together with the spec).
EXPECTED_ROUND_TRIPS = 240
EXPECTED_NOT_JSON = 53  # left out: not valid JSON
EXPECTED_UNTYPED = 4  # the operation declares no JSON body for its 200 (deletes)
# Where the spec's own examples disagree with its schemas (ChatKit thread items sent as
# "user_message" where the schema says "chatkit.user_message"): the data is kept in an
# UnknownVariant and still round-trips.
EXPECTED_UNKNOWN_VARIANTS = 2


def _examples() -> list[tuple[str, int, str]]:
    spec = Spec(load(spec_path()))
    found: list[tuple[str, int, str]] = []
    for op in spec.operations():
        for index, example in enumerate(op.examples()):
            body = example.get("response")
            if isinstance(body, str):
                found.append((op.operation_id, index, body))
    return found


EXAMPLES = _examples()


def _parse(body: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return _NOT_JSON


_NOT_JSON = object()


def _count_unknown(value: Any) -> int:
    if isinstance(value, UnknownVariant):
        return 1
    if isinstance(value, BaseModel):
        return sum(_count_unknown(getattr(value, a.name)) for a in attrs.fields(type(value)))
    if isinstance(value, list):
        return sum(_count_unknown(v) for v in cast("list[Any]", value))
    if isinstance(value, dict):
        return sum(_count_unknown(v) for v in cast("dict[str, Any]", value).values())
    return 0


def _json_type(operation_id: str) -> str | None:
    return RESPONSE_TYPES.get(operation_id, {}).get("application/json")


# The examples that can round-trip: JSON, for an operation with a JSON response type.
DECODABLE = [
    (op, index, body)
    for op, index, body in EXAMPLES
    if _parse(body) is not _NOT_JSON and _json_type(op) is not None
]


@pytest.mark.parametrize(
    ("operation_id", "index", "body"),
    DECODABLE,
    ids=[f"{op}-{i}" for op, i, _ in DECODABLE],
)
def test_example_round_trips(operation_id: str, index: int, body: str) -> None:
    data = _parse(body)
    type_name = _json_type(operation_id)
    assert type_name is not None
    decoded = decoder_for(type_name)(orjson.loads(body))
    assert isinstance(decoded, BaseModel)
    assert decoded.to_dict() == data
    assert orjson.loads(decoded.to_json()) == data


def test_left_out_examples_are_counted() -> None:
    assert len(DECODABLE) == len(EXAMPLES) - EXPECTED_NOT_JSON - EXPECTED_UNTYPED
    assert len(DECODABLE) == EXPECTED_ROUND_TRIPS


def test_example_counts_are_pinned() -> None:
    round_trips = not_json = untyped = unknown = 0
    for operation_id, _index, body in EXAMPLES:
        data = _parse(body)
        if data is _NOT_JSON:
            not_json += 1
            continue
        type_name = RESPONSE_TYPES.get(operation_id, {}).get("application/json")
        if type_name is None:
            untyped += 1
            continue
        decoded = decoder_for(type_name)(data)
        unknown += _count_unknown(decoded)
        if decoded.to_dict() == data:
            round_trips += 1
    assert (round_trips, not_json, untyped, unknown) == (
        EXPECTED_ROUND_TRIPS,
        EXPECTED_NOT_JSON,
        EXPECTED_UNTYPED,
        EXPECTED_UNKNOWN_VARIANTS,
    )
