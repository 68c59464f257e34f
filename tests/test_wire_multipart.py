"""Multipart details on the wire, as openai-python sends them: default file names, and
JSON instead of a form where the spec takes JSON and no file is given.

Over a socket against the local server; openai-python's own file handling and httpx's
form encoder (test-only) are the reference for the names.
"""

from __future__ import annotations

import email
import email.policy
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai._files import to_httpx_files

import trio_openai
from trio_openai.testing import LocalServer, RecordedRequest, Reply

FILE = {"id": "cfile_1", "object": "container.file"}


def file_parts(content_type: str, body: bytes) -> dict[str, tuple[str | None, str]]:
    """{field: (filename, content type)} of a multipart body."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.message_from_bytes(head + body, policy=email.policy.HTTP)
    return {
        str(part.get_param("name", header="content-disposition")): (
            part.get_filename(),
            part.get_content_type(),
        )
        for part in message.iter_parts()
    }


def sent_parts(request: RecordedRequest) -> dict[str, tuple[str | None, str]]:
    return file_parts(request.headers["content-type"], request.body)


def openai_python_parts(file: Any) -> dict[str, tuple[str | None, str]]:
    """What openai-python puts in the form for `file` (its own transform, then httpx)."""
    request = httpx.Request("POST", "http://x/", files=to_httpx_files({"file": file}))
    request.read()
    return file_parts(request.headers["content-type"], request.content)


class Named(io.BytesIO):
    name = "/somewhere/notes.txt"


def sources(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"{}\n")
    return {
        "bytes": b"raw",
        "bytesio": io.BytesIO(b"memory"),
        "named file object": Named(b"disk"),
        "path": path,
        "tuple": ("speech.mp3", b"mp3"),
        "tuple with type": ("data.csv", b"1,2", "text/x-custom"),
        "tuple of a path": ("renamed.txt", path),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "bytes",
        "bytesio",
        "named file object",
        "path",
        "tuple",
        "tuple with type",
        "tuple of a path",
    ],
)
async def test_file_names_and_types_match_openai_python(
    client: trio_openai.OpenAI, local_server: LocalServer, tmp_path: Path, kind: str
) -> None:
    local_server.script("POST", "/v1/files", Reply.json({"id": "file-1", "object": "file"}))
    ours = sources(tmp_path)[kind]
    theirs = sources(tmp_path)[kind]  # a fresh file object: each side reads its own
    await client.files.create(file=ours, purpose="user_data")
    assert sent_parts(local_server.requests[-1])["file"] == openai_python_parts(theirs)["file"]


async def test_bytes_are_named_upload(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/files", Reply.json({"id": "file-1", "object": "file"}))
    await client.files.create(file=b"raw", purpose="user_data")
    assert sent_parts(local_server.requests[-1])["file"] == ("upload", "application/octet-stream")


# --- JSON where the spec takes it and no file is given -------------------------------


async def test_container_file_by_id_is_sent_as_json(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/containers/cntr_1/files", Reply.json(FILE))
    await client.containers.files.create("cntr_1", file_id="file-1")
    request = local_server.requests[-1]
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"file_id": "file-1"}


async def test_container_file_with_content_is_a_form(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/containers/cntr_1/files", Reply.json(FILE))
    await client.containers.files.create("cntr_1", file=("a.py", b"print(1)"))
    request = local_server.requests[-1]
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert sent_parts(request) == {"file": ("a.py", "text/x-python")}


async def test_extra_body_joins_whichever_body_is_sent(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/containers/cntr_1/files", Reply.json(FILE))
    await client.containers.files.create("cntr_1", file_id="file-1", extra_body={"x": None})
    assert local_server.requests[-1].json() == {"file_id": "file-1", "x": None}


SKILL = {"id": "skill_1", "object": "skill"}


async def test_a_list_of_files_is_found_and_sent_as_a_form(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/skills", Reply.json(SKILL))
    await client.skills.create(files=[("SKILL.md", b"# s"), ("run.py", b"x")])
    request = local_server.requests[-1]
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="files[]"; filename="SKILL.md"' in request.body
    assert b'name="files[]"; filename="run.py"' in request.body


VIDEO = {"id": "video_1", "object": "video"}


async def test_videos_are_a_form_even_without_a_file(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    # as openai-python sends them (naming.FORM_ALWAYS): a reference object as bracketed fields
    local_server.script("POST", "/v1/videos", Reply.json(VIDEO))
    await client.videos.create(prompt="a cat", input_reference={"file_id": "file-1"})
    request = local_server.requests[-1]
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert set(sent_parts(request)) == {"prompt", "input_reference[file_id]"}
    await client.videos.create(prompt="a cat", input_reference=("cat.png", b"\x89PNG"))
    request = local_server.requests[-1]
    assert sent_parts(request)["input_reference"] == ("cat.png", "image/png")


async def test_image_edits_stay_a_form(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    # the JSON body of /images/edits has other fields (`images` of references), so the
    # method, whose fields are the form's, always sends the form
    local_server.script("POST", "/v1/images/edits", Reply.json({"created": 1, "data": []}))
    await client.images.edit(image=b"png", prompt="x")
    assert local_server.requests[-1].headers["content-type"].startswith("multipart/form-data")
