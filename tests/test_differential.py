"""Differential test: openai-python and trio_openai send the same request for the same call.

Both clients call one recording server (tests/wire_recorder.py, real sockets on 127.0.0.1)
with the same key, base URL and arguments: openai-python's sync client in a worker thread,
trio_openai in the test. The two requests must agree on the method, the raw path, the
query (raw and parsed), the body (JSON parsed; multipart part by part) and every header
but the client-telemetry ones listed in `wire_compare.IGNORED_HEADERS`.

This module runs every operation of the spec: its x-oaiMeta Python examples, a call with
every parameter filled, and each streaming operation streamed. The hand-written edge cases
are in test_differential_edges.py; docs/wire-parity.md lists the deliberate differences.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest
from test_generated_steady import OPS
from wire_cases import OPENAI_NOTICES, PY_NAMES, resolve, spec_cases
from wire_compare import DELIBERATE, differences
from wire_recorder import Recorded
from wire_run import Differ, open_differ

CASES = spec_cases()
pytestmark = [pytest.mark.filterwarnings(notice) for notice in OPENAI_NOTICES]


@pytest.fixture
async def differ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Differ]:
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_CUSTOM_HEADERS", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    async with open_differ(tmp_path) as opened:
        yield opened


@pytest.mark.parametrize("case_id", sorted(CASES))
async def test_spec_case(differ: Differ, case_id: str) -> None:
    await differ.assert_same(CASES[case_id])


def test_every_operation_has_cases() -> None:
    covered = {case_id.rpartition("-all-params")[0] for case_id in CASES if case_id.endswith("-all-params")}
    assert covered == {op.operation_id for op in OPS}
    examples = [case_id for case_id in CASES if "-example" in case_id]
    assert len(examples) >= 120  # the spec has 117 operations with Python examples


def test_renamed_methods_exist_in_openai_python() -> None:
    client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    try:
        for ours, theirs in PY_NAMES.items():
            assert callable(resolve(client, theirs)), (ours, theirs)
    finally:
        client.close()


def _request(
    accept: str, *, path: str = "/v1/x", query: str = "", body: bytes = b"", ctype: str | None = None
) -> Recorded:
    headers = [("accept", accept), ("authorization", "Bearer k")]
    if ctype is not None:
        headers.append(("content-type", ctype))
    return Recorded("POST", path + (f"?{query}" if query else ""), tuple(headers), body)


def test_comparison_catches_what_it_must() -> None:
    """The comparison is not blind: each field a difference can hide in is reported."""
    same = _request("application/json", query="a=1&b=%5B", body=b'{"x":1}', ctype="application/json")
    assert differences(same, same) == []
    reordered = _request("application/json", query="b=%5B&a=1", body=b'{"x": 1}', ctype="application/json")
    assert differences(same, reordered) == []  # parameter order and JSON spacing mean nothing
    for other in (
        _request("application/json", query="a=1&b=[", body=b'{"x":1}', ctype="application/json"),
        _request("application/json", query="a=1&b=%5B", body=b'{"x":1.0}', ctype="application/json"),
        _request("application/json", query="a=1&b=%5B", body=b'{"x":1}', ctype="text/plain"),
        _request("application/json", path="/v1/y", query="a=1&b=%5B", body=b'{"x":1}', ctype="application/json"),
        _request("*/*", query="a=1&b=%5B", body=b'{"x":1}', ctype="application/json"),
    ):
        assert differences(same, other), other


def test_deliberate_differences_are_exact() -> None:
    """Each deliberate difference passes only with the exact values docs/wire-parity.md gives."""
    assert not differences(_request("application/json"), _request("text/event-stream"))
    assert not differences(_request("application/binary"), _request("application/zip"))
    assert not differences(_request("*/*"), _request("application/json"))
    assert differences(_request("application/json"), _request("application/zip"))
    assert differences(_request("*/*"), _request("text/event-stream"))
    embed = {"path": "/v1/embeddings", "ctype": "application/json"}
    theirs = _request("application/json", body=b'{"input":"a","encoding_format":"base64"}', **embed)
    assert not differences(theirs, _request("application/json", body=b'{"input":"a"}', **embed))
    assert differences(theirs, _request("application/json", body=b'{"input":"a","encoding_format":"float"}', **embed))
    beta = {"path": "/v1/realtime/sessions"}
    with_beta = Recorded(
        "POST", beta["path"], (("accept", "application/json"), ("authorization", "Bearer k"), ("openai-beta", "assistants=v2")),
        b"",
    )
    assert not differences(with_beta, _request("application/json", **beta))
    elsewhere = Recorded("POST", "/v1/threads", with_beta.headers, b"")
    assert differences(elsewhere, _request("application/json", path="/v1/threads"))
    assert set(DELIBERATE) == {"accept", "embeddings-encoding", "realtime-beta-header"}
