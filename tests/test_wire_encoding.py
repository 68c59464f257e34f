"""Query strings and path ids on the wire, byte for byte as openai-python sends them.

Over a socket against the local server: what the request line carries. openai-python's
own quoting function (test-only dependency) is the reference for path ids.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, strategies as st
from openai._qs import Querystring
from openai._utils._path import path_template

import trio_openai
from trio_openai import omit
from trio_openai._encoding import encode_query
from trio_openai.resources._base import path_param
from trio_openai.testing import LocalServer, Reply

MODEL = {"id": "x", "object": "model", "created": 1, "owned_by": "me"}
LIST = {"object": "list", "data": [], "has_more": False}


# --- query ---------------------------------------------------------------------------


async def test_none_and_omit_query_parameters_are_left_out(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/files", Reply.json(LIST))
    cursor: Any = None  # the first page of a loop that pages by hand
    await client.files.list(after=cursor, limit=None, order=omit).first_page()
    request = local_server.requests[-1]
    assert request.query == {}
    assert request.path == "/v1/files"
    await client.files.list(after="", limit=0, purpose="batch").first_page()
    # falsy values that are not None are the caller's: sent as written
    assert local_server.requests[-1].query == {"after": [""], "limit": ["0"], "purpose": ["batch"]}


async def test_extra_query_none_removes_a_parameter(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/files", Reply.json(LIST))
    await client.files.list(
        limit=5, order="asc", extra_query={"order": None, "x": True, "y": None}
    ).first_page()
    assert local_server.requests[-1].query == {"limit": ["5"], "x": ["true"]}


QUERIES: list[dict[str, Any]] = [
    {"after": None, "limit": 3},
    {"project_ids": ["p1", None, "p2"], "flag": False, "on": True},
    {"metadata": {"a": "1", "b": None, "c": {"d": 2}}, "empty": ""},
    {"ids": [], "n": 1.5, "i": 0},
]


@pytest.mark.parametrize("query", QUERIES)
def test_query_pairs_match_openai_python(query: dict[str, Any]) -> None:
    reference = Querystring(array_format="brackets", nested_format="brackets")
    assert encode_query(query) == reference.stringify_items(query)


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.just(omit))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text("ab", min_size=1), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(st.dictionaries(st.text("xyz", min_size=1, max_size=2), _values, max_size=4))
def test_query_pairs_match_openai_python_for_any_value(query: dict[str, Any]) -> None:
    reference = Querystring(array_format="brackets", nested_format="brackets")
    without_omit = _drop_omit(query)  # openai-python strips its NOT_GIVEN before this step
    assert encode_query(query) == reference.stringify_items(without_omit)


def _drop_omit(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_omit(v) for k, v in value.items() if v is not omit}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [_drop_omit(v) for v in value if v is not omit]  # pyright: ignore[reportUnknownVariableType]
    return value


# --- path ids ------------------------------------------------------------------------

IDS = [
    "ft:gpt-4o-mini:org:suffix:abc123",
    "user@example.com",
    "a!$&'()*+,;=b",
    "a/b c?#d",
    "100%",
    "ünï",
    "~_.-",
    "...",
]


@pytest.mark.parametrize("value", IDS)
def test_path_ids_are_quoted_as_openai_python_quotes_them(value: str) -> None:
    assert f"/models/{path_param('model', value)}" == path_template("/models/{model}", model=value)


@given(st.text(max_size=12).filter(lambda s: s not in ("", ".", "..")))
def test_any_path_id_is_quoted_as_openai_python_quotes_it(value: str) -> None:
    assert f"/models/{path_param('model', value)}" == path_template("/models/{model}", model=value)


@pytest.mark.parametrize("value", IDS)
async def test_path_ids_reach_the_server_as_quoted(
    client: trio_openai.OpenAI, local_server: LocalServer, value: str
) -> None:
    expected = path_template("/v1/models/{model}", model=value)
    local_server.script("GET", expected, Reply.json(MODEL))
    await client.models.retrieve(value)
    assert local_server.requests[-1].path == expected


async def test_fine_tuned_model_ids_keep_their_colons(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    path = "/v1/models/ft:gpt-4o-mini:org:suffix:abc123"
    local_server.script("GET", path, Reply.json(MODEL))
    await client.models.retrieve("ft:gpt-4o-mini:org:suffix:abc123")
    assert local_server.requests[-1].path == path


@pytest.mark.parametrize("value", [".", ".."])
async def test_dot_segments_are_refused_before_sending(
    client: trio_openai.OpenAI, local_server: LocalServer, value: str
) -> None:
    with pytest.raises(ValueError, match="`model` cannot be"):
        await client.models.retrieve(value)
    with pytest.raises(ValueError, match="dot-segment"):
        path_template("/models/{model}", model=value)
    assert local_server.requests == []
