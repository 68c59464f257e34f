"""``client.uploads.upload_file``: parts sent concurrently, completed in order, cleaned up.

Over real sockets with the local server: a handler stores the parts and answers after small
random delays, so parts finish out of order; the complete request must still list them in
file order. Then failures, cancellation, reading a path part by part, and Steady.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import random
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

import trio_openai
from trio_openai.testing import LocalServer, RecordedRequest, Reply

PARTS = "/v1/uploads/upload_1/parts"
COMPLETE = "/v1/uploads/upload_1/complete"
CANCEL = "/v1/uploads/upload_1/cancel"


def part_data(request: RecordedRequest) -> bytes:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.message_from_bytes(head + request.body, policy=email.policy.HTTP)
    (part,) = message.iter_parts()
    assert part.get_param("name", header="content-disposition") == "data"
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def upload(status: str = "pending", **extra: Any) -> dict[str, Any]:
    return {
        "id": "upload_1",
        "object": "upload",
        "status": status,
        "bytes": 0,
        "filename": "f",
        "purpose": "batch",
        "created_at": 1,
        "expires_at": 2,
        **extra,
    }


class FakeUploads:
    """The Uploads routes of the local server: parts stored by id, answered out of order."""

    def __init__(self, server: LocalServer, *, seed: int = 7, max_delay: float = 0.03) -> None:
        self.parts: dict[str, bytes] = {}
        self.running = 0
        self.peak = 0
        self.finish_order: list[str] = []
        self._random = random.Random(seed)
        self._max_delay = max_delay
        server.script("POST", "/v1/uploads", Reply.handler(self.create))
        server.script("POST", PARTS, Reply.handler(self.add_part))
        server.script("POST", COMPLETE, Reply.handler(self.complete))
        server.script("POST", CANCEL, Reply.json(upload("cancelled")))

    def create(self, request: RecordedRequest) -> Reply:
        self.declared = request.json()
        return Reply.json(upload(**self.declared))

    async def add_part(self, request: RecordedRequest) -> Reply:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            data = part_data(request)
            part_id = f"part_{len(self.parts)}"
            self.parts[part_id] = data
            await trio.sleep(self._random.uniform(0, self._max_delay))
            self.finish_order.append(part_id)
        finally:
            self.running -= 1
        return Reply.json(
            {"id": part_id, "object": "upload.part", "created_at": 1, "upload_id": "upload_1"}
        )

    def complete(self, request: RecordedRequest) -> Reply:
        body = request.json()
        content = b"".join(self.parts[i] for i in body["part_ids"])
        file = {
            "id": "file-1",
            "object": "file",
            "bytes": len(content),
            "created_at": 1,
            "filename": self.declared["filename"],
            "purpose": self.declared["purpose"],
        }
        self.content = content
        return Reply.json(upload("completed", bytes=len(content), file=file))


async def test_parts_complete_in_file_order_although_they_finish_out_of_order(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    fake = FakeUploads(local_server)
    data = bytes(range(256)) * 40  # 10,240 bytes: 10 parts of 1,000, one of 240
    progress: list[tuple[int, int]] = []
    with trio.fail_after(10):
        result = await client.uploads.upload_file(
            data,
            purpose="batch",
            filename="requests.jsonl",
            part_size=1000,
            max_concurrency=4,
            on_progress=lambda done, total: progress.append((done, total)),
        )
    assert result.status == "completed" and result.file.filename == "requests.jsonl"
    assert fake.declared == {
        "filename": "requests.jsonl",
        "purpose": "batch",
        "bytes": len(data),
        "mime_type": "text/jsonl",
    }
    assert fake.content == data
    assert fake.finish_order != sorted(fake.finish_order, key=lambda i: int(i[5:]))
    assert 1 < fake.peak <= 4  # concurrent, and bounded
    assert [total for _, total in progress] == [len(data)] * 11
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert progress[-1] == (len(data), len(data))
    complete = next(r for r in local_server.requests if r.path == COMPLETE).json()
    assert "md5" not in complete


async def test_a_path_is_read_part_by_part(
    client: trio_openai.OpenAI,
    local_server: LocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeUploads(local_server, max_delay=0.01)
    mb = 1024 * 1024
    path = tmp_path / "big.bin"
    content = random.Random(1).randbytes(20 * mb)
    path.write_bytes(content)
    reads: list[int] = []
    real_open = trio.open_file

    async def spying_open(*args: Any, **kwargs: Any) -> Any:
        file = await real_open(*args, **kwargs)
        real_read = file.read

        async def read(size: int = -1) -> bytes:
            reads.append(size)
            return await real_read(size)

        file.read = read
        return file

    monkeypatch.setattr(trio, "open_file", spying_open)
    with trio.fail_after(60):
        await client.uploads.upload_file(
            path, purpose="assistants", part_size=4 * mb, max_concurrency=2, md5=True
        )
    assert reads == [4 * mb] * 5  # never the whole file, never past a part
    assert fake.declared["filename"] == "big.bin"
    assert fake.declared["mime_type"] == "application/octet-stream"
    assert fake.declared["bytes"] == 20 * mb
    assert [len(p) for p in fake.parts.values()] == [4 * mb] * 5
    assert fake.content == content
    complete = next(r for r in local_server.requests if r.path == COMPLETE).json()
    assert complete["md5"] == hashlib.md5(content).hexdigest()
    assert fake.peak <= 2


async def test_a_given_md5_is_sent_as_is_and_an_empty_file_has_no_parts(
    client: trio_openai.OpenAI, local_server: LocalServer, tmp_path: Path
) -> None:
    FakeUploads(local_server)
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    await client.uploads.upload_file(path, purpose="assistants", md5="abc")
    assert not [r for r in local_server.requests if r.path == PARTS]
    complete = next(r for r in local_server.requests if r.path == COMPLETE).json()
    assert complete == {"part_ids": [], "md5": "abc"}


async def test_a_failing_part_cancels_the_rest_and_the_upload(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    FakeUploads(local_server)
    started: list[bytes] = []
    finished: list[bytes] = []

    async def add_part(request: RecordedRequest) -> Reply:
        data = part_data(request)
        started.append(data)
        if data == b"3333":
            await trio.sleep(0.05)
            return Reply.error(413, message="part too large")
        await trio.sleep(30)  # the others would take long: they must be cancelled
        finished.append(data)
        return Reply.json({"id": "p", "object": "upload.part", "created_at": 1, "upload_id": "u"})

    local_server.script("POST", PARTS, Reply.handler(add_part))
    data = b"".join(str(n).encode() * 4 for n in range(8))
    with trio.fail_after(10), pytest.raises(trio_openai.APIStatusError) as info:
        await client.uploads.upload_file(
            data, purpose="batch", filename="x.bin", part_size=4, max_concurrency=4
        )
    assert info.value.status_code == 413 and "part too large" in str(info.value)
    assert sorted(started) == [b"0000", b"1111", b"2222", b"3333"] and not finished
    paths = [r.path for r in local_server.requests]
    assert paths.count(CANCEL) == 1 and COMPLETE not in paths


async def test_a_failing_cancel_is_noted_not_raised(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    FakeUploads(local_server)
    local_server.script("POST", PARTS, Reply.error(400, message="bad part"))
    local_server.script("POST", CANCEL, Reply.error(404, message="gone"))
    with pytest.raises(trio_openai.BadRequestError) as info:
        await client.uploads.upload_file(b"abc", purpose="batch", filename="x.bin")
    assert len(info.value.__notes__) == 1
    assert info.value.__notes__[0].startswith("cancelling upload upload_1 failed too: NotFound")


async def test_caller_cancellation_cancels_the_upload_on_the_server(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    FakeUploads(local_server, max_delay=5)
    with trio.move_on_after(0.3) as scope:
        await client.uploads.upload_file(
            b"x" * 100, purpose="batch", filename="x.bin", part_size=10
        )
    assert scope.cancelled_caught
    paths = [r.path for r in local_server.requests]
    assert paths.count(CANCEL) == 1 and COMPLETE not in paths


async def test_argument_errors(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    with pytest.raises(TypeError, match="filename"):
        await client.uploads.upload_file(b"abc", purpose="batch")
    with pytest.raises(ValueError, match="part_size"):
        await client.uploads.upload_file(b"abc", purpose="batch", filename="a", part_size=0)
    with pytest.raises(ValueError, match="max_concurrency"):
        await client.uploads.upload_file(b"abc", purpose="batch", filename="a", max_concurrency=0)
    with pytest.raises(TypeError, match="path or bytes"):
        await client.uploads.upload_file(12, purpose="batch", filename="a")  # type: ignore[arg-type]
    assert not local_server.requests  # nothing was created


async def test_steady_accepts_the_upload_requests(steady_url: str) -> None:
    verdicts: list[tuple[str, str | None]] = []

    async def record(request: httpx.Request, call_next: Any) -> httpx.Response:
        response = await call_next(request)
        verdicts.append((request.url.path, response.headers.get("x-steady-request-valid")))
        return response

    async with trio_openai.OpenAI(
        api_key="sk-test", base_url=steady_url, max_retries=0, middleware=[record]
    ) as client:
        with trio.fail_after(30):
            await client.uploads.upload_file(
                b"0123456789",
                purpose="fine-tune",
                filename="train.jsonl",
                part_size=4,
                md5=True,
                expires_after={"anchor": "created_at", "seconds": 3600},
            )
        # the request a failure sends
        await client.uploads.cancel("upload_abc")
    paths = [path for path, _ in verdicts]
    assert paths[0] == "/uploads" and len(paths) == 6
    assert all(valid == "true" for _, valid in verdicts), verdicts
