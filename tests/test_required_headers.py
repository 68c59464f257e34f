"""Headers the API requires of whole areas, generated from the spec's examples.

The API refuses an Assistants call without ``OpenAI-Beta: assistants=v2`` (and ChatKit
without ``chatkit_beta=v1``). Each operation of those areas is called over a socket
against the local server, and what it sent is checked; the caller's extra_headers still
win, whatever the case of the name.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_generated_steady import OPS, SPEC, call_arguments, resource_of

import trio_openai
from codegen.operations import OpDef, area_of, example_headers
from trio_openai import omit
from trio_openai.testing import LocalServer

BETA = {
    "assistants": "assistants=v2",
    "threads": "assistants=v2",
    "vector_stores": "assistants=v2",
    "chatkit": "chatkit_beta=v1",
}
WITH_HEADERS = sorted(
    [op for op in OPS if op.headers], key=lambda op: (op.operation_id, op.http_method)
)


def test_the_areas_and_values_come_from_the_examples() -> None:
    shown = {op.operation_id: example_headers(op.op) for op in OPS}
    assert {area_of(op.url) for op in WITH_HEADERS} == set(BETA)
    for op in OPS:
        expected = BETA.get(area_of(op.url))
        assert op.headers == ({"OpenAI-Beta": expected} if expected else {}), op.operation_id
        # every operation whose example shows the header sends it, with that value
        if "OpenAI-Beta" in shown[op.operation_id]:
            assert op.headers["OpenAI-Beta"] == shown[op.operation_id]["OpenAI-Beta"]
    # the areas where the spec shows it on most operations, but not all (search, the
    # file attributes and content, deleting a ChatKit thread): openai-python sends it too
    missing = {op.operation_id for op in WITH_HEADERS if not example_headers(op.op)}
    assert missing == {
        "DeleteThreadMethod",
        "retrieveVectorStoreFileContent",
        "searchVectorStore",
        "updateVectorStoreFileAttributes",
    }
    assert len(WITH_HEADERS) == sum(1 for _ in SPEC.operations() if area_of(_.path) in BETA)


async def _call(client: trio_openai.OpenAI, op: OpDef, **options: Any) -> None:
    """Call `op` once (and its stream twin): the local server answers 404, which is fine:
    the request it recorded is what is checked."""
    args, kwargs = call_arguments(op)
    method = getattr(resource_of(client, op), op.name)
    with pytest.raises(trio_openai.NotFoundError):
        if op.page_shape is not None:
            await method(*args, **kwargs, **options).first_page()
        else:
            await method(*args, **kwargs, **options)
    if op.stream_type is not None:
        stream = getattr(resource_of(client, op), op.stream_name)
        with pytest.raises(trio_openai.NotFoundError):
            async with stream(*args, **kwargs, **options):
                pass


@pytest.mark.parametrize("op", WITH_HEADERS, ids=lambda op: op.operation_id)
async def test_each_operation_sends_its_beta_header(
    op: OpDef, client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    expected = BETA[area_of(op.url)]
    await _call(client, op)
    sent = local_server.requests
    assert sent
    for request in sent:
        assert request.method == op.http_method
        assert request.headers["openai-beta"] == expected


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"OpenAI-Beta": "assistants=v3"}, "assistants=v3"),
        ({"openai-beta": "assistants=v3"}, "assistants=v3"),  # any case replaces it
        ({"OPENAI-BETA": omit}, None),  # omit removes it
        ({"X-Other": "1"}, "assistants=v2"),
    ],
)
async def test_extra_headers_win(
    client: trio_openai.OpenAI,
    local_server: LocalServer,
    extra: dict[str, Any],
    expected: str | None,
) -> None:
    with pytest.raises(trio_openai.NotFoundError):
        await client.beta.assistants.retrieve("asst_1", extra_headers=extra)
    with pytest.raises(trio_openai.NotFoundError):
        await client.vector_stores.list(extra_headers=extra).first_page()
    for request in local_server.requests:  # a doubled header would arrive joined by ", "
        assert request.headers.get("openai-beta") == expected


async def test_a_client_default_header_is_replaced_not_doubled(
    local_server: LocalServer,
) -> None:
    async with trio_openai.OpenAI(
        api_key="sk-test",
        base_url=local_server.base_url,
        max_retries=0,
        default_headers={"openai-beta": "assistants=v1"},
    ) as client:
        with pytest.raises(trio_openai.NotFoundError):
            await client.beta.threads.retrieve("thread_1")
        with pytest.raises(trio_openai.NotFoundError):
            await client.files.retrieve("file-1")
    assistants, files = local_server.requests
    assert assistants.headers["openai-beta"] == "assistants=v2"  # not joined with v1
    assert files.headers["openai-beta"] == "assistants=v1"
