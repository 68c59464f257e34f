"""The typed surface a user meets: areas as attributes, copies, any-path calls, close()."""

from __future__ import annotations

import subprocess
import sys

import pytest

import trio_openai
from trio_openai.resources.files import Files
from trio_openai.resources.realtime import Realtime
from trio_openai.testing import LocalServer, Reply

FILE = {
    "id": "file-1",
    "object": "file",
    "bytes": 3,
    "created_at": 1,
    "filename": "a.txt",
    "purpose": "batch",
    "status": "processed",
}


def test_import_and_construction_load_no_resource_or_model_module() -> None:
    code = """
import sys
import trio_openai
client = trio_openai.OpenAI(api_key="sk-test")
copy = client.with_options(max_retries=1)
loaded = [m for m in sys.modules if m.startswith(("trio_openai.resources.", "trio_openai.types"))]
assert not loaded, loaded
assert "trio_openai.resources.files" not in sys.modules
client.files
assert "trio_openai.resources.files" in sys.modules
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def test_areas_are_plain_attributes_of_their_generated_class() -> None:
    client = trio_openai.OpenAI(api_key="sk-test")
    assert type(client.files) is Files
    assert type(client.realtime) is Realtime  # the REST routes and connect() on one class
    assert callable(client.realtime.connect)
    assert client.realtime.client_secrets is client.realtime.client_secrets
    assert client.webhooks is client.webhooks
    assert not hasattr(trio_openai.OpenAI, "__getattr__")
    with pytest.raises(AttributeError, match="no_such_area"):
        client.no_such_area  # type: ignore[attr-defined]  # noqa: B018


async def test_a_copy_binds_its_own_resources(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/files/file-1", Reply.json(FILE), Reply.json(FILE))
    first = client.files
    copy = client.with_options(default_headers={"x-copy": "1"})
    assert copy.files is not first and copy.files._client is copy
    await copy.files.retrieve("file-1")
    assert local_server.requests[-1].headers.get("x-copy") == "1"
    await client.files.retrieve("file-1")
    assert "x-copy" not in local_server.requests[-1].headers


async def test_any_path_casts_and_streams(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/things", Reply.json({"n": 2}))
    assert await client.get("/things", cast_to=lambda data: data["n"] * 10) == 20
    local_server.script("POST", "/v1/events", Reply.sse([{"n": 1}, {"n": 2}]))
    async with await client.post("/events", body={}, stream=True) as stream:
        assert [event async for event in stream] == [{"n": 1}, {"n": 2}]
    assert client.statistics()["busy"] == 0


async def test_close_is_aclose(local_server: LocalServer) -> None:
    client = trio_openai.OpenAI(api_key="sk-test", base_url=local_server.base_url)
    local_server.script("GET", "/v1/files/file-1", Reply.json(FILE))
    await client.files.retrieve("file-1")
    await client.close()
    assert client.statistics()["connections"] == 0
