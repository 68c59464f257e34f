"""Every Python example of the spec's x-oaiMeta, ported to trio_openai by the migration rules
only, runs and returns what the server sent.

For each example (`{operationId}[{index}]`), both the original (openai-python's sync client,
in a thread) and the port (`example_port.py`: changed imports, `async with`, `await`,
`async for`, `trio.run`; its docstring lists the rules, which are docs/migration.md's) run
against a local server on 127.0.0.1 that answers with the example's response
(`spec_examples.py`). The port must:

- call the example's endpoint: its last request has the operation's method and path, and
  the same path, query string and JSON body as openai-python's;
- run wherever openai-python runs the original;
- return what the server sent: the main call's result's `to_dict()` equals the example
  response (or each streamed item's `to_dict()` the event's data; for a binary body, the
  bytes). Allowed differences: a key the example lacks may be null in the result, and an
  int may equal a float of the same value.

An example that openai-python cannot run either is wrong in the spec; `KNOWN_WRONG` names
each one with the reason, and the test checks that openai-python still fails it for that
reason, so the list shrinks when the spec is fixed. `LIBRARY_GAPS` names the ports that
still fail because of trio_openai, each with the gap; it too must shrink to stay green.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path
from typing import Any

import orjson
import pytest
from example_port import ported
from example_runner import (
    Run,
    binary_of,
    create_input_files,
    open_example_server,
    run_openai_python,
    run_ported,
)
from spec_examples import BINARY_BODY, Example, examples, stream_items

from trio_openai.testing import RecordedRequest

# Measured on the spec in ../shared/openapi (update together with the spec).
EXPECTED_EXAMPLES = 155

_NOT_JSON = "the example response is not JSON"
_PAGE_INDEX = "indexes a page (`completions[0]`); a page has `.data`, it is not a list"
_POSITIONAL = "passes a parent id positionally; openai-python makes it keyword-only"
_RUN_EVENT = "a thread.run.* event's data has one `}` too many"

# Examples openai-python's own client cannot run: name -> (why, text its error contains).
KNOWN_WRONG: dict[str, tuple[str, str]] = {
    "createTranscription[4]": (f"{_NOT_JSON} (`...` for more words)", "JSONDecodeError"),
    "createTranscription[5]": (f"{_NOT_JSON} (`...` for more segments)", "JSONDecodeError"),
    "listBatches[0]": (f"{_NOT_JSON} (`{{ ... }}` for more batches)", "JSONDecodeError"),
    "createEmbedding[0]": (f"{_NOT_JSON} (`.... (1536 floats total)`)", "JSONDecodeError"),
    "createEval[0]": (f"{_NOT_JSON} (a brace is missing)", "JSONDecodeError"),
    "listPaginatedFineTuningJobs[0]": (
        f"{_NOT_JSON} (`{{ ... }}` for more jobs)",
        "JSONDecodeError",
    ),
    "deleteVectorStore[0]": (f"{_NOT_JSON} (keys are not quoted)", "JSONDecodeError"),
    "deleteVectorStoreFile[0]": (f"{_NOT_JSON} (keys are not quoted)", "JSONDecodeError"),
    "createCompletion[1]": (f"{_NOT_JSON} (the chunk lacks a comma)", "JSONDecodeError"),
    "createThreadAndRun[1]": (
        "the thread.run.completed event's line lacks its `data:` prefix",
        "JSONDecodeError",
    ),
    "createThreadAndRun[2]": (_RUN_EVENT, "JSONDecodeError: Extra data"),
    "createRun[1]": (_RUN_EVENT, "JSONDecodeError: Extra data"),
    "createRun[2]": (_RUN_EVENT, "JSONDecodeError: Extra data"),
    "submitToolOuputsToRun[1]": (_RUN_EVENT, "JSONDecodeError: Extra data"),
    "getChatCompletion[0]": (_PAGE_INDEX, "object is not subscriptable"),
    "updateChatCompletion[0]": (_PAGE_INDEX, "object is not subscriptable"),
    "deleteChatCompletion[0]": (_PAGE_INDEX, "object is not subscriptable"),
    "getChatCompletionMessages[0]": (_PAGE_INDEX, "object is not subscriptable"),
    "getConversationItem[0]": (_POSITIONAL, "takes 2 positional arguments but 3"),
    "deleteConversationItem[0]": (_POSITIONAL, "takes 2 positional arguments but 3"),
    "getEvalRun[0]": (_POSITIONAL, "takes 2 positional arguments but 3"),
    "cancelEvalRun[0]": (_POSITIONAL, "takes 2 positional arguments but 3"),
    "deleteEvalRun[0]": (_POSITIONAL, "takes 2 positional arguments but 3"),
    "getEvalRunOutputItems[0]": (_POSITIONAL, "takes 2 positional arguments but 3"),
    "getEvalRunOutputItem[0]": (_POSITIONAL, "takes 2 positional arguments but 4"),
    "cancelVectorStoreFileBatch[0]": (
        "passes `file_batch_id=`; the parameter is `batch_id`",
        "unexpected keyword argument 'file_batch_id'",
    ),
    "DeleteThreadMethod[0]": (
        "spells `client.beta.chat_kit`; the resource is `client.beta.chatkit`",
        "has no attribute 'chat_kit'",
    ),
}

# Ports that fail because trio_openai still differs from openai-python, not because the
# example is wrong: name -> (the gap, text of the failure). Each must keep failing that
# way; once the library is fixed the test fails, asking for the entry to be removed.
LIBRARY_GAPS: dict[str, tuple[str, str]] = {}

EXAMPLES = {e.name: e for e in examples()}


def _differences(actual: Any, expected: Any, where: str = "$") -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r:.80}"]
        found: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{where}.{key}: missing")
            else:
                found += _differences(actual[key], value, f"{where}.{key}")
        found += [
            f"{where}.{key}: not in the example, got {actual[key]!r:.80}"
            for key in actual.keys() - expected.keys()
            if actual[key] is not None
        ]
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} items, got {actual!r:.80}"]
        return [
            d
            for i, (a, e) in enumerate(zip(actual, expected, strict=True))
            for d in _differences(a, e, f"{where}[{i}]")
        ]
    if isinstance(actual, bool) or isinstance(expected, bool):
        if actual is expected:
            return []
    elif isinstance(actual, int | float) and isinstance(expected, int | float):
        if actual == expected:
            return []
    elif type(actual) is type(expected) and actual == expected:
        return []
    return [f"{where}: expected {expected!r:.80}, got {actual!r:.80}"]


def _error(run: Run) -> str:
    assert run.error is not None
    return f"{type(run.error).__name__}: {run.error}"


def _to_dict(example: Example, value: Any) -> Any:
    """`value.to_dict()`; where the spec declares no body (responses.delete), the plain JSON
    value, or None as openai-python returns."""
    if example.operation.schema is None and (value is None or isinstance(value, dict)):
        return value
    return value.to_dict()


def _wrote_binary(workdir: Path) -> bool:
    return any(p.read_bytes() == BINARY_BODY for p in workdir.iterdir())


def _json_body(request: RecordedRequest) -> Any:
    return request.json() if request.body else None


def _endpoint_problems(example: Example, run: Run, reference: Run) -> list[str]:
    """Whether the port's main request went where openai-python's did, with the same JSON."""
    if not run.requests:
        return ["sent no request"]
    last, theirs = run.requests[-1], reference.requests[-1]
    op = example.operation
    if not op.matches(last.method, last.path):
        return [f"called {last.method} {last.path}, not {op.method} {op.template}"]
    if (last.path, last.query) != (theirs.path, theirs.query):
        return [f"requested {last.path} {last.query}; openai-python {theirs.path} {theirs.query}"]
    if "json" in theirs.headers.get("content-type", "") and _json_body(last) != _json_body(theirs):
        return [f"sent {last.body!r:.200}; openai-python {theirs.body!r:.200}"]
    return []


async def _value_problems(example: Example, run: Run, workdir: Path) -> list[str]:
    """Whether the main call returned what the server sent."""
    values = run.events if example.streams else run.results[-1:]
    if not example.operation.binary and example.operation.schema is not None:
        for value in values:
            if not callable(getattr(value, "to_dict", None)):
                return [f"the result, a {type(value).__name__}, has no to_dict()"]
    if example.streams:
        expected = stream_items(example.response or "")
        return _differences([_to_dict(example, e) for e in run.events], expected)
    if example.operation.binary:
        if _wrote_binary(workdir):
            return []  # the example wrote the body to a file
        try:
            data = await binary_of(run.results[-1])
        except Exception as exc:
            return [f"reading the binary result raised {exc!r}"]
        return [] if data == BINARY_BODY else [f"binary result {data!r:.80} is not the body sent"]
    _, body = example.reply()
    actual = _to_dict(example, run.results[-1])
    if actual is None and example.operation.schema is None:
        return []
    return _differences(actual, orjson.loads(body))


async def _run_both(
    example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Run, Run, Path]:
    """Run openai-python's original, then the port, each in a fresh working directory."""
    async with open_example_server(example) as server:
        runs: list[tuple[Run, Path]] = []
        for label, runner in (("openai-python", run_openai_python), ("trio_openai", run_ported)):
            workdir = tmp_path / label
            workdir.mkdir()
            monkeypatch.chdir(workdir)
            create_input_files(example, workdir)
            runs.append((await runner(example, server, workdir), workdir))
    (reference, _), (run, workdir) = runs
    return reference, run, workdir


def test_every_example_is_collected() -> None:
    assert len(EXAMPLES) == EXPECTED_EXAMPLES
    assert set(KNOWN_WRONG) <= set(EXAMPLES)
    assert set(LIBRARY_GAPS) <= set(EXAMPLES) - set(KNOWN_WRONG)


@pytest.mark.parametrize("name", [n for n in EXAMPLES if n not in KNOWN_WRONG])
async def test_ported_example(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = EXAMPLES[name]
    reference, run, workdir = await _run_both(example, tmp_path, monkeypatch)
    assert reference.error is None, (
        f"openai-python fails {name} ({_error(reference)}): KNOWN_WRONG?"
    )
    with warnings.catch_warnings():  # pydantic's serializer warnings are not ours to judge
        warnings.simplefilter("ignore")
        # The expectation is right: openai-python's own result matches it.
        assert await _value_problems(example, reference, tmp_path / "openai-python") == []
    if name in LIBRARY_GAPS:
        gap, failure = LIBRARY_GAPS[name]
        found = await _problems(example, run, reference, workdir)
        assert found, f"the port of {name} now runs: remove it from LIBRARY_GAPS ({gap})"
        assert any(failure in problem for problem in found), (gap, found)
        return
    if run.error is not None:
        raise AssertionError(f"the port of {name} raised {_error(run)}") from run.error
    assert _endpoint_problems(example, run, reference) == []
    assert await _value_problems(example, run, workdir) == []


async def _problems(example: Example, run: Run, reference: Run, workdir: Path) -> list[str]:
    if run.error is not None:
        return [f"raised {_error(run)}"]
    return _endpoint_problems(example, run, reference) + await _value_problems(
        example, run, workdir
    )


@pytest.mark.parametrize("name", sorted(KNOWN_WRONG))
async def test_known_wrong_example(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason, error_text = KNOWN_WRONG[name]
    reference, run, _ = await _run_both(EXAMPLES[name], tmp_path, monkeypatch)
    assert reference.error is not None, f"openai-python now runs {name}: remove it from KNOWN_WRONG"
    assert error_text in _error(reference), (reason, _error(reference))
    # The port fails too (a wrong example is not silently accepted).
    assert run.error is not None, f"the port of {name} ran although the example is wrong: {reason}"


PORT_RULES_SOURCE = """\
from openai import OpenAI
from openai.types.chat import ChatCompletion
client = OpenAI()
page = client.files.list(limit=2)
for f in client.files.list():
    print(f.id)
stream = client.responses.create(model="m", input="hi", stream=True)
for event in stream:
    print(event.type)
for chunk in client.completions.create(model="m", prompt="p", stream=True):
    print(chunk)
with client.audio.speech.with_streaming_response.create(model="m", voice="v", input="i") as r:
    r.stream_to_file("out.mp3")
"""

PORT_RULES_PORTED = """\
async def main():
    from trio_openai import OpenAI
    from trio_openai.types.chat import ChatCompletion
    async with OpenAI() as client:
        page = await client.files.list(limit=2)
        async for f in client.files.list():
            print(f.id)
        async with await client.responses.create(model='m', input='hi', stream=True) as stream:
            async for event in stream:
                print(event.type)
        async with await client.completions.create(model='m', prompt='p', stream=True) as stream:
            async for chunk in stream:
                print(chunk)
        async with client.audio.speech.with_streaming_response.create(model='m', voice='v', input='i') as r:
            await r.stream_to_file('out.mp3')"""


def test_port_rules() -> None:
    """The port does what example_port.py's docstring (and docs/migration.md) says."""
    assert ast.unparse(ported(PORT_RULES_SOURCE, instrument=False)) == PORT_RULES_PORTED


def test_async_client_classes_are_renamed() -> None:
    source = "from openai import AsyncOpenAI\nclient = AsyncOpenAI()\nclient.models.list()\n"
    expected = """\
async def main():
    from trio_openai import OpenAI
    async with OpenAI() as client:
        await client.models.list()"""
    assert ast.unparse(ported(source, instrument=False)) == expected


def test_module_client_is_opened_in_a_block() -> None:
    source = "import openai\nprint(openai.models.list())\n"
    expected = """\
async def main():
    from trio_openai import OpenAI
    async with OpenAI() as client:
        print(await client.models.list())"""
    assert ast.unparse(ported(source, instrument=False)) == expected
