"""Multipart uploads through the client over real sockets: sources, retries, replayability."""

from __future__ import annotations

import email
import email.policy
import io
from pathlib import Path

import pytest

import trio_openai
from trio_openai.testing import LocalServer, RecordedRequest, Reply


def parts(request: RecordedRequest) -> dict[str, tuple[str | None, str, bytes]]:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.message_from_bytes(head + request.body, policy=email.policy.HTTP)
    out = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        out[name] = (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
    return out


async def test_upload_bytes_path_and_file_object(
    client: trio_openai.OpenAI, local_server: LocalServer, tmp_path: Path
) -> None:
    local_server.script("POST", "/v1/files", Reply.json({"id": "file-1"}))
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"a": 1}\n' * 1000)

    await client.post("/files", files={"file": b"raw bytes", "purpose": "batch"})
    await client.post("/files", files={"file": path, "purpose": "fine-tune"})
    await client.post(
        "/files", files={"file": ("named.txt", io.BytesIO(b"hello"), "text/plain"), "purpose": "x"}
    )

    first, second, third = (parts(r) for r in local_server.requests)
    assert first["file"] == ("upload", "application/octet-stream", b"raw bytes")
    assert first["purpose"][2] == b"batch"
    assert second["file"][0] == "train.jsonl"
    assert second["file"][2] == path.read_bytes()
    assert third["file"] == ("named.txt", "text/plain", b"hello")
    # sizes are known, so the body goes with a Content-Length rather than chunked
    assert all("content-length" in r.headers for r in local_server.requests)


async def test_extra_body_fields_join_the_form(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/files", Reply.json({"id": "file-1"}))
    await client.post(
        "/files",
        files={"file": b"x"},
        extra_body={"expires_after": {"anchor": "created_at", "seconds": 3600}},
    )
    got = parts(local_server.requests[-1])
    assert got["expires_after[anchor]"][2] == b"created_at"
    assert got["expires_after[seconds]"][2] == b"3600"


async def test_replayable_upload_is_retried_whole(
    client: trio_openai.OpenAI, local_server: LocalServer, tmp_path: Path
) -> None:
    local_server.script(
        "POST",
        "/v1/files",
        Reply.error(503, headers={"retry-after-ms": "1"}),
        Reply.json({"id": "f"}),
    )
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(range(256)) * 400)
    await client.post("/files", files={"file": path})
    assert len(local_server.requests) == 2
    assert (
        parts(local_server.requests[0])["file"][2]
        == parts(local_server.requests[1])["file"][2]
        == path.read_bytes()
    )


class OneShot(io.RawIOBase):
    """A readable, non-seekable stream: its bytes cannot be produced twice."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


async def test_unreplayable_body_is_never_retried(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST",
        "/v1/files",
        Reply.error(503, headers={"retry-after-ms": "1"}),
        Reply.json({"id": "f"}),
    )
    with pytest.raises(trio_openai.InternalServerError):
        await client.post("/files", files={"file": ("pipe.bin", OneShot(b"once"))})
    assert len(local_server.requests) == 1
