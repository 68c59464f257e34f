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
from wire_cases import PY_NAMES, Differ, open_differ, resolve, spec_cases

CASES = spec_cases()


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
