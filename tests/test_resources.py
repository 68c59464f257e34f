"""The generated resources over the local server: what each kind of method puts on the wire.

Path quoting, `omit` against `None`, JSON against multipart bodies, query and header
parameters, admin routes and their key, paginators, streams and binary bodies, and that
resources load lazily.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import trio_openai
from trio_openai import omit
from trio_openai.lib import ChatCompletionStream, ResponseStream
from trio_openai.resources._base import json_part, path_param, with_headers
from trio_openai.testing import LocalServer, Reply
from trio_openai.types import (
    CreateChatCompletionStreamResponse,
    ImageGenCompletedEvent,
    OpenAIFile,
    ProjectUser,
    VectorStoreFileObject,
)

FILE = {
    "id": "file-1",
    "object": "file",
    "bytes": 3,
    "created_at": 1,
    "filename": "a.jsonl",
    "purpose": "fine-tune",
    "status": "processed",
}


@pytest.fixture
async def admin_client(local_server: LocalServer) -> AsyncIterator[trio_openai.OpenAI]:
    async with trio_openai.OpenAI(
        api_key="sk-user", admin_key="sk-admin", base_url=local_server.base_url, max_retries=0
    ) as c:
        yield c


# --- paths -----------------------------------------------------------------------------


async def test_path_parameters_are_quoted(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/files/a%2Fb%20c%3F%23", Reply.json(FILE))
    found = await client.files.retrieve("a/b c?#")
    assert isinstance(found, OpenAIFile)
    assert local_server.requests[-1].path == "/v1/files/a%2Fb%20c%3F%23"


async def test_last_path_parameter_is_positional_the_others_keyword_only(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    path = "/v1/vector_stores/vs_1/files/file-1"
    local_server.script("GET", path, Reply.json({"id": "file-1", "object": "vector_store.file"}))
    found = await client.vector_stores.files.retrieve("file-1", vector_store_id="vs_1")
    assert isinstance(found, VectorStoreFileObject)
    params = inspect.signature(client.vector_stores.files.retrieve).parameters
    assert params["file_id"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert params["vector_store_id"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("value", ["", None, omit])
async def test_an_empty_path_parameter_raises_naming_it(
    client: trio_openai.OpenAI, local_server: LocalServer, value: object
) -> None:
    with pytest.raises(ValueError, match="`vector_store_id`"):
        await client.vector_stores.files.retrieve("file-1", vector_store_id=value)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`file_id`"):
        await client.files.retrieve(value)  # type: ignore[arg-type]
    assert local_server.requests == []


def test_path_param_helper() -> None:
    assert path_param("x", "a b/c") == "a%20b%2Fc"
    assert path_param("x", 5) == "5"
    assert path_param("x", "ünï") == "%C3%BCn%C3%AF"


# --- bodies ----------------------------------------------------------------------------


async def test_omitted_arguments_are_left_out_and_none_is_sent_as_null(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/assistants/asst_1", Reply.json({"id": "asst_1"}))
    await client.beta.assistants.update("asst_1", model="gpt-4o", name=None, description=omit)
    assert local_server.requests[-1].json() == {"model": "gpt-4o", "name": None}
    assert local_server.requests[-1].headers["content-type"] == "application/json"


async def test_a_method_without_body_arguments_sends_no_body(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/batches/b_1/cancel", Reply.json({"id": "b_1"}))
    await client.batches.cancel("b_1")
    assert local_server.requests[-1].body == b""


async def test_extra_body_merges_into_the_generated_body(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/embeddings", Reply.json({"object": "list", "data": []}))
    await client.embeddings.create(model="m", input="hi", extra_body={"x": 1})
    assert local_server.requests[-1].json() == {"input": "hi", "model": "m", "x": 1}


async def test_multipart_operations_send_a_form(
    client: trio_openai.OpenAI, local_server: LocalServer, tmp_path: Path
) -> None:
    local_server.script("POST", "/v1/files", Reply.json(FILE))
    created = await client.files.create(file=("a.jsonl", b'{"a": 1}\n'), purpose="fine-tune")
    assert isinstance(created, OpenAIFile)
    sent = local_server.requests[-1]
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="a.jsonl"' in sent.body
    assert b'name="purpose"\r\n\r\nfine-tune' in sent.body
    assert b"expires_after" not in sent.body  # omitted
    path = tmp_path / "upload.jsonl"
    path.write_bytes(b"{}\n")
    await client.files.create(
        file=path, purpose="batch", expires_after={"anchor": "created_at", "seconds": 3600}
    )
    body = local_server.requests[-1].body
    assert b'filename="upload.jsonl"' in body
    assert b'name="expires_after[anchor]"\r\n\r\ncreated_at' in body
    assert b'name="expires_after[seconds]"\r\n\r\n3600' in body


def test_json_part_sends_objects_as_json_text() -> None:
    assert json_part({"type": "realtime", "n": 1}) == '{"type":"realtime","n":1}'
    assert json_part("raw") == "raw"
    assert json_part(omit) is omit


# --- query and headers -----------------------------------------------------------------


async def test_query_parameters_and_cursor_paging(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    page1 = {"object": "list", "data": [FILE], "last_id": "file-1", "has_more": True}
    page2 = {"object": "list", "data": [{**FILE, "id": "file-2"}], "has_more": False}
    local_server.script("GET", "/v1/files", Reply.json(page1), Reply.json(page2))
    files = [f async for f in client.files.list(limit=1, purpose=omit, order="asc")]
    assert [f.id for f in files] == ["file-1", "file-2"]
    first, second = local_server.requests[-2:]
    assert first.query == {"limit": ["1"], "order": ["asc"]}
    assert second.query == {"limit": ["1"], "order": ["asc"], "after": ["file-1"]}


async def test_array_query_parameters_use_brackets(
    admin_client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/organization/audit_logs", Reply.json({"data": []}))
    await admin_client.admin.organization.audit_logs.list(project_ids=["p1", "p2"]).first_page()
    assert local_server.requests[-1].query == {"project_ids[]": ["p1", "p2"]}


async def test_header_parameters_and_extra_headers(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/responses/resp_1", Reply.json({"id": "resp_1"}))
    await client.beta.responses.retrieve("resp_1", betas=["a=v1", "b=v2"])
    sent = local_server.requests[-1]
    assert sent.headers["openai-beta"] == "a=v1,b=v2"
    assert sent.query == {"beta": ["true"]}
    await client.beta.responses.retrieve(
        "resp_1", betas=["a=v1"], extra_headers={"openai-beta": "mine"}
    )
    assert local_server.requests[-1].headers["openai-beta"] == "mine"
    await client.beta.responses.retrieve("resp_1")
    assert "openai-beta" not in local_server.requests[-1].headers


def test_with_headers_helper() -> None:
    assert with_headers({}, {"h": omit}) == {}
    assert with_headers({"timeout": 1}, {"h": ["a", "b"]}) == {
        "timeout": 1,
        "extra_headers": {"h": "a,b"},
    }


# --- admin routes ----------------------------------------------------------------------


async def test_admin_routes_use_the_admin_key(
    admin_client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/organization/projects/p_1/users/u_1", Reply.json({"id": "u_1"}))
    user = await admin_client.admin.organization.projects.users.retrieve("u_1", project_id="p_1")
    assert isinstance(user, ProjectUser)
    assert local_server.requests[-1].headers["authorization"] == "Bearer sk-admin"
    # /projects/... (no /organization prefix) is an admin route too: the spec says so
    local_server.script("GET", "/v1/projects/p_1/roles", Reply.json({"data": []}))
    await admin_client.admin.organization.projects.roles.list("p_1").first_page()
    assert local_server.requests[-1].headers["authorization"] == "Bearer sk-admin"
    local_server.script("GET", "/v1/models/m", Reply.json({"id": "m"}))
    await admin_client.models.retrieve("m")
    assert local_server.requests[-1].headers["authorization"] == "Bearer sk-user"


# --- results ---------------------------------------------------------------------------


async def test_binary_results_are_binary_content(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "GET", "/v1/files/file-1/content", Reply.text(b"\x00\x01raw", content_type="x/y")
    )
    assert (await client.files.content("file-1")).content == b"\x00\x01raw"
    assert local_server.requests[-1].headers["accept"] == "application/octet-stream"
    local_server.script("GET", "/v1/skills/s_1/content", Reply.text(b"PK", content_type="x/y"))
    assert (await client.skills.content.retrieve("s_1")).read() == b"PK"
    assert local_server.requests[-1].headers["accept"] == "application/zip"


async def test_speech_as_a_byte_stream(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/audio/speech", Reply.text(b"ID3" * 1000, content_type="x"))
    async with client.audio.speech.stream_content(model="tts", input="hi", voice="alloy") as audio:
        assert await audio.read() == b"ID3" * 1000
    assert "stream_format" not in local_server.requests[-1].json()


async def test_empty_results_are_none(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("DELETE", "/v1/containers/c_1", Reply.text(b"", content_type="x"))
    assert await client.containers.delete("c_1") is None


async def test_with_raw_response(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    raw = client.with_raw_response
    local_server.script("GET", "/v1/files/file-1", Reply.json(FILE, headers={"x-a": "1"}))
    response = await raw.files.retrieve("file-1")
    assert isinstance(response, trio_openai.APIResponse)
    assert isinstance(response.parsed, OpenAIFile)
    assert response.headers["x-a"] == "1"


# --- streams ---------------------------------------------------------------------------

CHUNK = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []}


async def test_stream_methods_set_the_flag_and_decode_events(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    event = {"type": "image_generation.completed", "b64_json": "AAA=", "created_at": 1}
    local_server.script("POST", "/v1/images/generations", Reply.sse([event, event]))
    async with client.images.generate_stream(prompt="a cat", n=1) as stream:
        events = [e async for e in stream]
    assert [type(e) for e in events] == [ImageGenCompletedEvent] * 2
    sent = local_server.requests[-1]
    assert sent.json() == {"stream": True, "prompt": "a cat", "n": 1}
    assert sent.headers["accept"] == "text/event-stream"
    # the plain method streams only when asked (openai-python's stream=True)
    assert "stream" in inspect.signature(client.images.generate).parameters
    assert "partial_images" in inspect.signature(client.images.generate_stream).parameters


async def test_chat_and_responses_streams_go_through_the_lib_helpers(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.sse([CHUNK, CHUNK]))
    messages = [{"role": "user", "content": "hi"}]
    async with client.chat.completions.stream(
        model="m", messages=messages, temperature=omit, extra_headers={"x-a": "1"}
    ) as stream:
        events = [e async for e in stream]
    assert isinstance(stream, ChatCompletionStream)
    assert events and all(isinstance(e.chunk, CreateChatCompletionStreamResponse) for e in events)
    sent = local_server.requests[-1]
    assert sent.json() == {"stream": True, "messages": messages, "model": "m"}
    assert sent.headers["x-a"] == "1"
    assert "stream_options" in inspect.signature(client.chat.completions.stream).parameters
    local_server.script("POST", "/v1/responses", Reply.sse([]))
    async with client.responses.stream(model="m", input="hi") as rstream:
        assert isinstance(rstream, ResponseStream)
    assert local_server.requests[-1].json() == {"stream": True, "model": "m", "input": "hi"}


async def test_multipart_streams(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    delta = {"type": "transcript.text.delta", "delta": "he"}
    local_server.script("POST", "/v1/audio/transcriptions", Reply.sse([delta]))
    async with client.audio.transcriptions.stream(
        file=("a.wav", b"RIFF"), model="gpt-4o-transcribe"
    ) as stream:
        events = [event async for event in stream]
    assert [type(e).__name__ for e in events] == ["TranscriptTextDeltaEvent"]
    body = local_server.requests[-1].body
    assert b'name="stream"\r\n\r\ntrue' in body
    assert b'filename="a.wav"' in body


async def test_speech_streams_with_stream_format_sse(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    event = {"type": "speech.audio.delta", "audio": "AAA="}
    local_server.script("POST", "/v1/audio/speech", Reply.sse([event]))
    async with client.audio.speech.stream(model="tts", input="hi", voice="alloy") as stream:
        events = [e async for e in stream]
    assert [type(e).__name__ for e in events] == ["SpeechAudioDeltaEvent"]
    assert local_server.requests[-1].json()["stream_format"] == "sse"


# --- shape of the surface --------------------------------------------------------------


def test_sub_resources_are_created_once() -> None:
    client = trio_openai.OpenAI(api_key="sk-test")
    assert client.vector_stores.files is client.vector_stores.files
    assert client.beta.threads.runs.steps is client.beta.threads.runs.steps
    assert type(client.admin.organization.projects).__module__ == (
        "trio_openai.resources.admin_projects"
    )


def test_resources_and_models_load_on_first_use() -> None:
    code = """
import sys
import trio_openai
assert not [m for m in sys.modules if m.startswith("trio_openai.resources.")], "eager"
client = trio_openai.OpenAI(api_key="sk-test")
client.files.retrieve
loaded = sorted(m for m in sys.modules if m.startswith(("trio_openai.resources.", "trio_openai.types.")))
print(loaded)
assert loaded == ["trio_openai.resources._base", "trio_openai.resources.files"], loaded
"""
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
