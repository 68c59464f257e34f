"""Big JSON bodies parsed in slices (`_json_slices.loads`): always orjson's result, less memory."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import orjson
import pytest
from hypothesis import given, settings, strategies as st

from trio_openai import _json_slices
from trio_openai._models import Decoded

# Strings made of what a cut could be fooled by: item seams, the array key, brackets,
# escapes (orjson writes `"` and `\` escaped, so the text holds `\"` and `\\`).
TRICKY = st.lists(
    st.sampled_from(["}", "{", ",", '"', "\\", "[", "]", " ", "\n", "a", "é", "data", "output", '"data":[', "},{", "}, {"]),
    max_size=6,
).map("".join)  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TRICKY
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=12,
)
ITEMS = st.lists(
    st.dictionaries(TRICKY | st.sampled_from(["data", "output", "id"]), VALUES, max_size=5),
    max_size=30,
)


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    key = draw(st.sampled_from(["data", "output"]))
    before = draw(st.dictionaries(TRICKY.filter(lambda k: k != key), VALUES, max_size=3))
    after = draw(st.dictionaries(TRICKY.filter(lambda k: k != key), VALUES, max_size=3))
    items = draw(ITEMS | st.lists(VALUES, max_size=10))  # objects, or anything
    return {**before, key: items, **{k: v for k, v in after.items() if k not in before}}


@settings(max_examples=400)
@given(bodies(), st.integers(1, 300), st.booleans())
def test_the_same_value_as_orjson(body: dict[str, Any], slice_size: int, indent: bool) -> None:
    text = orjson.dumps(body, option=orjson.OPT_INDENT_2 if indent else 0)
    got = _json_slices.loads(text, slice_size=slice_size)
    assert orjson.dumps(got) == orjson.dumps(orjson.loads(text))  # values and key order


@settings(max_examples=300)
@given(bodies(), st.integers(1, 300))
def test_items_converted_as_sliced_are_the_array_items(
    body: dict[str, Any], slice_size: int
) -> None:
    # With `item`, the elements of a top-level `data` array come converted, each exactly
    # once (never a nested array's, nor `output`'s).
    text = orjson.dumps(body)
    seen: list[Any] = []

    def item(value: Any) -> tuple[str, Any]:
        seen.append(value)
        return ("decoded", value)

    got = _json_slices.loads(text, slice_size=slice_size, item=item)
    key = "data"  # a list page's items: only that array is converted
    expected = orjson.loads(text)
    if isinstance(got.get(key), Decoded):
        assert seen == expected[key]
        assert list(got[key]) == [("decoded", v) for v in expected[key]]
        got[key] = expected[key]
    else:
        assert seen == []
    assert orjson.dumps(got) == orjson.dumps(expected)


@settings(max_examples=200)
@given(bodies(), st.integers(1, 100), st.data())
def test_damaged_json_fails_as_orjson_does(
    body: dict[str, Any], slice_size: int, data: st.DataObject
) -> None:
    text = orjson.dumps(body)
    at = data.draw(st.integers(0, len(text) - 1))
    damaged = (
        text[:at] + data.draw(st.sampled_from([b"", b"}", b"]", b",", b'"', b"{"])) + text[at + 1 :]
    )
    try:
        expected = orjson.loads(damaged)
    except orjson.JSONDecodeError:
        with pytest.raises(orjson.JSONDecodeError):
            _json_slices.loads(damaged, slice_size=slice_size)
    else:
        assert orjson.dumps(_json_slices.loads(damaged, slice_size=slice_size)) == orjson.dumps(
            expected
        )


def page(n: int) -> dict[str, Any]:
    files = [
        {"id": f"file-{i:08d}", "object": "file", "bytes": 1024, "created_at": 1_741_569_952 + i,
         "filename": f"train-{i}.jsonl", "purpose": "fine-tune", "status": "processed",
         "status_details": None}
        for i in range(n)
    ]  # fmt: skip
    return {"object": "list", "data": files, "first_id": "a", "last_id": "b", "has_more": False}


@pytest.mark.parametrize("indent", [0, orjson.OPT_INDENT_2])
def test_a_big_page_is_sliced_and_peaks_lower(indent: int) -> None:
    # orjson holds a document of the whole text while it builds the objects; in slices,
    # only one slice's: the peak of Python allocations must fall well below orjson's.
    text = orjson.dumps(page(20_000), option=indent)

    def peak(loads: Any) -> int:
        gc.collect()
        tracemalloc.start()
        try:
            value = loads(text)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            del value

    assert _json_slices._sliced(text, _json_slices.SLICE, None) is not None  # pyright: ignore[reportPrivateUsage]
    whole, sliced = peak(orjson.loads), peak(_json_slices.loads)
    assert sliced < whole / 2, (sliced, whole)
    assert _json_slices.loads(text) == orjson.loads(text)


def test_a_nested_array_of_the_same_name_is_not_taken_for_the_body() -> None:
    body = {"meta": {"data": [{"x": i} for i in range(50)]}, "data": [], "n": 1}
    text = orjson.dumps(body)
    assert _json_slices._sliced(text, 16, None) is None  # pyright: ignore[reportPrivateUsage]
    assert _json_slices.loads(text, slice_size=16) == body


def test_a_response_with_arrays_after_its_output_is_sliced() -> None:
    # A Response's `output` is followed by keys full of `]` (tools, their schemas): the
    # array's end is found among them, not given up on.
    text_item = {"type": "output_text", "text": "x" * 500, "annotations": [], "logprobs": []}
    output = [{"id": f"msg_{i}", "type": "message", "content": [text_item]} for i in range(400)]
    tools = [{"type": "function", "name": f"f{i}", "parameters": {"required": ["a", "b"]}} for i in range(300)]  # fmt: skip
    body = {"id": "resp_1", "output": output, "tools": tools, "metadata": {"k": "]"}}
    text = orjson.dumps(body)
    got = _json_slices._sliced(text, 4096, None)  # pyright: ignore[reportPrivateUsage]
    assert got is not None
    assert orjson.dumps(got) == text
