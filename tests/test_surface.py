"""The typed surface a user meets: areas as attributes, copies, any-path calls, close()."""

from __future__ import annotations

import subprocess
import sys

import attrs
import pytest
import trio

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


# --- with_raw_response / with_streaming_response ------------------------------------------

CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "hi", "refusal": None},
        }
    ],
}


async def test_raw_response_of_a_nested_resource(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST", "/v1/chat/completions", Reply.json(CHAT, headers={"x-request-id": "req_1"})
    )
    raw = await client.chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": "hi"}]
    )
    assert isinstance(raw, trio_openai.APIResponse)
    assert raw.status_code == 200 and raw.request_id == "req_1"
    assert raw.http_request.url.path == "/v1/chat/completions"
    assert raw.parse().choices[0].message.content == "hi"
    assert raw.json() == CHAT
    assert client.statistics()["busy"] == 0
    # the resource itself still returns the plain result
    local_server.script("POST", "/v1/chat/completions", Reply.json(CHAT))
    plain = await client.chat.completions.create(model="m", messages=[])
    assert plain.id == "chatcmpl-1"


async def test_raw_list_is_the_first_page(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "GET", "/v1/files", Reply.json({"object": "list", "data": [FILE], "has_more": False})
    )
    raw = await client.files.with_raw_response.list(limit=1)
    assert raw.headers["content-type"] == "application/json"
    assert [f.id for f in raw.parsed.data] == ["file-1"]
    assert local_server.requests[-1].query == {"limit": ["1"]}


async def test_streaming_response_reads_the_body_as_asked_and_releases_it(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    body = b"line one\nline two\r\nlast"
    local_server.script(
        "GET",
        "/v1/files/file-1/content",
        Reply.text(body, content_type="application/octet-stream"),
        Reply.text(body, content_type="application/octet-stream"),
        Reply.text(body, content_type="text/plain; charset=utf-8"),
    )
    async with client.files.with_streaming_response.content("file-1") as response:
        assert response.status_code == 200
        assert b"".join([chunk async for chunk in response.iter_bytes(5)]) == body
    assert client.statistics()["busy"] == 0
    async with client.files.with_streaming_response.content("file-1") as response:
        async for _ in response.iter_bytes():
            break  # leaving early still releases the connection
    assert client.statistics()["busy"] == 0
    async with client.files.with_streaming_response.content("file-1") as response:
        assert [line async for line in response.iter_lines()] == [
            "line one",
            "line two",
            "last",
        ]
    assert client.statistics()["busy"] == 0


async def test_streaming_response_parse_and_client_level_forms(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/files/file-1", Reply.json(FILE), Reply.json(FILE))
    async with client.files.with_streaming_response.retrieve("file-1") as response:
        assert (await response.parse()).filename == "a.txt"
        assert await response.json() == FILE
        assert "a.txt" in await response.text()
    async with client.with_streaming_response.files.retrieve("file-1") as response:
        assert (await response.parse()).id == "file-1"
    local_server.script("GET", "/v1/things", Reply.error(500), Reply.json({"ok": True}))
    raw = await client.with_raw_response.get("/things")
    assert raw.parsed == {"ok": True} and raw.retries_taken == 1
    assert client.statistics()["busy"] == 0
    page = {"object": "list", "data": [FILE], "has_more": False}
    local_server.script("GET", "/v1/files", Reply.json(page))
    async with client.files.with_streaming_response.list() as listed:
        assert isinstance(listed, trio_openai.AsyncAPIResponse)
        assert [f.id for f in (await listed.parse()).data] == ["file-1"]
        assert await listed.json() == page
    assert client.statistics()["busy"] == 0


# --- errors that teach ----------------------------------------------------------------------


async def test_a_misspelled_keyword_names_the_method_and_the_parameter_meant(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    with pytest.raises(TypeError) as info:
        await client.responses.create(model="m", inptu="hi")  # type: ignore[call-overload]
    assert str(info.value) == (
        "responses.create() got an unexpected keyword argument 'inptu' (did you mean 'input'?)"
    )
    with pytest.raises(TypeError, match=r"chat\.completions\.create\(\) got unexpected"):
        await client.chat.completions.create(model="m", messages=[], temprature=1, foo=2)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"client\.get\(\) .* 'qeury' \(did you mean 'query'\?\)"):
        await client.get("/x", qeury={})  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"'extra_header' \(did you mean 'extra_headers'\?\)"):
        await client.files.retrieve("file-1", extra_header={})  # type: ignore[call-arg]
    assert local_server.requests == []  # nothing was sent


async def test_helpers_with_create_parameters_name_a_misspelling_before_sending(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    """parse and run_tools take create's parameters (typed), and a misspelled one is named."""

    @attrs.frozen
    class Answer:
        text: str

    with pytest.raises(TypeError) as info:
        await client.responses.parse(text_format=Answer, model="m", inptu="hi")  # type: ignore[call-arg]
    assert str(info.value) == (
        "responses.parse() got an unexpected keyword argument 'inptu' (did you mean 'input'?)"
    )
    with pytest.raises(TypeError, match=r"responses\.run_tools\(\) .* 'max_turn' \(did you mean"):
        await client.responses.run_tools(model="m", input="hi", tools=[], max_turn=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"chat\.completions\.parse\(\) .* 'temprature'"):
        await client.chat.completions.parse(
            response_format=Answer, model="m", messages=[], temprature=1  # type: ignore[call-arg]
        )
    with pytest.raises(TypeError, match=r"chat\.completions\.run_tools\(\) .* 'max_concurency'"):
        await client.chat.completions.run_tools(
            model="m", messages=[], tools=[], max_concurency=2  # type: ignore[call-arg]
        )
    assert local_server.requests == []  # nothing was sent


async def test_stream_where_nothing_streams_says_what_to_call(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    with pytest.raises(TypeError) as info:
        await client.files.content("file-1", stream=True)  # type: ignore[call-arg]
    message = str(info.value)
    assert message.startswith("files.content() got an unexpected keyword argument 'stream'")
    assert "async with client.files.with_streaming_response.content(...) as response:" in message
    with pytest.raises(TypeError, match=r"async for item in client\.files\.list\(\.\.\.\)"):
        client.files.list(stream=True)  # type: ignore[call-arg]
    assert local_server.requests == []


async def test_a_closed_client_raises_at_once_and_never_retries(
    local_server: LocalServer,
) -> None:
    async with trio_openai.OpenAI(api_key="sk-test", base_url=local_server.base_url) as client:
        copy = client.with_options(max_retries=5)
        async with copy:  # a copy's block does not close the client it came from
            pass
        local_server.script("GET", "/v1/files/file-1", Reply.json(FILE))
        await client.files.retrieve("file-1")
        stream = await client.responses.create(model="m", input="x", stream=True)
    for call in (
        lambda: client.files.retrieve("file-1"),
        lambda: copy.files.retrieve("file-1"),
        lambda: client.get("/anything"),
        lambda: client.files.list().first_page(),
    ):
        with trio.fail_after(0.2), pytest.raises(trio_openai.ClientClosedError, match="block has ended"):
            await call()
    with pytest.raises(trio_openai.ClientClosedError):
        async with stream:
            pass
    assert len(local_server.requests) == 1
