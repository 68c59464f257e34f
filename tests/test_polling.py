"""Polling helpers: vector store files and file batches, videos, batches.

Over real sockets with the local server (scripted status progressions, the poll-after
header, progress callbacks, cancellation, concurrent uploads); exact default intervals
under the autojump clock with httpx.MockTransport; request shapes against Steady.
"""

from __future__ import annotations

import email
import email.policy
import itertools
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import trio
import trio.testing

import trio_openai
from trio_openai.testing import LocalServer, RecordedRequest, Reply

VS_FILE = "/v1/vector_stores/vs_1/files/file_1"
VS_BATCH = "/v1/vector_stores/vs_1/file_batches/vsfb_1"


def vs_file(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "file_1",
        "object": "vector_store.file",
        "vector_store_id": "vs_1",
        "status": status,
        "usage_bytes": 0,
        "created_at": 1,
        "last_error": None,
        **extra,
    }


def vs_batch(status: str, in_progress: int = 0) -> dict[str, Any]:
    counts = {
        "in_progress": in_progress,
        "completed": 2 - in_progress,
        "failed": 0,
        "cancelled": 0,
        "total": 2,
    }
    return {
        "id": "vsfb_1",
        "object": "vector_store.files_batch",
        "vector_store_id": "vs_1",
        "status": status,
        "created_at": 1,
        "file_counts": counts,
    }


def video(status: str, progress: int) -> dict[str, Any]:
    return {
        "id": "video_1",
        "object": "video",
        "status": status,
        "progress": progress,
        "created_at": 1,
        "model": "sora-2",
        "prompt": "a cat",
        "seconds": "4",
        "size": "720x1280",
    }


def form_fields(request: RecordedRequest) -> dict[str, bytes]:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.message_from_bytes(head + request.body, policy=email.policy.HTTP)
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in message.iter_parts()
    }


def hits(server: LocalServer, method: str, path: str) -> list[RecordedRequest]:
    return [r for r in server.requests if r.method == method and r.path == path]


# --- the poll loop over real sockets ---------------------------------------------------------


async def test_poll_retrieves_until_done_and_reports_each_object(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "GET",
        VS_FILE,
        Reply.json(vs_file("in_progress")),
        Reply.json(vs_file("in_progress")),
        Reply.json(vs_file("completed", usage_bytes=42)),
    )
    seen: list[str] = []
    result = await client.vector_stores.files.poll(
        "file_1",
        vector_store_id="vs_1",
        poll_interval_ms=1,
        on_progress=lambda f: seen.append(f.status),
    )
    assert result.status == "completed" and result.usage_bytes == 42
    assert seen == ["in_progress", "in_progress", "completed"]
    polls = hits(local_server, "GET", VS_FILE)
    assert len(polls) == 3
    assert polls[0].headers["x-stainless-poll-helper"] == "true"
    assert polls[0].headers["x-stainless-custom-poll-interval"] == "1"


@pytest.mark.parametrize("final", ["failed", "cancelled", "a_status_added_later"])
async def test_any_status_but_in_progress_ends_the_poll(
    client: trio_openai.OpenAI, local_server: LocalServer, final: str
) -> None:
    local_server.script(
        "GET",
        VS_FILE,
        Reply.json(vs_file("in_progress")),
        Reply.json(vs_file(final, last_error={"code": "server_error", "message": "boom"})),
    )
    result = await client.vector_stores.files.poll(
        "file_1", vector_store_id="vs_1", poll_interval_ms=1
    )
    assert result.status == final
    assert len(hits(local_server, "GET", VS_FILE)) == 2


async def test_poll_after_header_wins_over_the_interval(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    times: list[float] = []

    def answer(status: str) -> Reply:
        # The server's hint is 50 ms; poll_interval_ms asks for 60 s.
        return Reply.handler(
            lambda _: (
                times.append(trio.current_time())
                or Reply.json(vs_file(status), headers={"openai-poll-after-ms": "50"})
            )
        )

    local_server.script("GET", VS_FILE, *[answer("in_progress")] * 3, answer("completed"))
    with trio.fail_after(10):
        result = await client.vector_stores.files.poll(
            "file_1", vector_store_id="vs_1", poll_interval_ms=60_000
        )
    assert result.status == "completed"
    assert len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(0.05 <= gap < 5 for gap in gaps), gaps


async def test_async_progress_callback_and_its_error(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "GET", VS_FILE, Reply.json(vs_file("in_progress")), Reply.json(vs_file("completed"))
    )
    seen: list[str] = []

    async def report(item: Any) -> None:
        await trio.lowlevel.checkpoint()
        seen.append(item.status)

    await client.vector_stores.files.poll(
        "file_1", vector_store_id="vs_1", poll_interval_ms=1, on_progress=report
    )
    assert seen == ["in_progress", "completed"]

    def explode(item: Any) -> None:
        raise LookupError("from the callback")

    with pytest.raises(LookupError, match="from the callback"):
        await client.vector_stores.files.poll(
            "file_1", vector_store_id="vs_1", poll_interval_ms=1, on_progress=explode
        )


async def test_cancellation_stops_polling(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", VS_FILE, Reply.json(vs_file("in_progress")))
    with trio.move_on_after(0.3) as scope:
        await client.vector_stores.files.poll("file_1", vector_store_id="vs_1", poll_interval_ms=20)
    assert scope.cancelled_caught  # the caller's own Cancelled, not an error
    count = len(hits(local_server, "GET", VS_FILE))
    assert count >= 3
    await trio.sleep(0.2)
    assert len(hits(local_server, "GET", VS_FILE)) == count


async def test_an_error_while_polling_propagates(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", VS_FILE, Reply.json(vs_file("in_progress")), Reply.error(404))
    with pytest.raises(trio_openai.NotFoundError):
        await client.vector_stores.files.poll("file_1", vector_store_id="vs_1", poll_interval_ms=1)


async def test_helpers_return_parsed_objects_once_the_client_was_used_raw(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", VS_FILE, Reply.json(vs_file("completed")), Reply.json(vs_file("completed")))
    raw = await client.with_raw_response.vector_stores.files.retrieve("file_1", vector_store_id="vs_1")
    assert raw.parsed.status == "completed"
    result = await client.vector_stores.files.poll("file_1", vector_store_id="vs_1")
    assert result.status == "completed"


# --- vector store files ---------------------------------------------------------------------


async def test_create_and_poll_sends_the_create_then_polls(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/vector_stores/vs_1/files", Reply.json(vs_file("in_progress")))
    local_server.script(
        "GET", VS_FILE, Reply.json(vs_file("in_progress")), Reply.json(vs_file("completed"))
    )
    result = await client.vector_stores.files.create_and_poll(
        "file_1",
        vector_store_id="vs_1",
        attributes={"team": "a"},
        chunking_strategy={"type": "auto"},
        poll_interval_ms=1,
        extra_body={"x_test": 1},
        extra_headers={"x-tag": "t"},
    )
    assert result.status == "completed"
    create, *polls = local_server.requests
    assert create.json() == {
        "file_id": "file_1",
        "chunking_strategy": {"type": "auto"},
        "attributes": {"team": "a"},
        "x_test": 1,
    }
    assert len(polls) == 2
    # options reach every request; extra_body only the create
    assert all(r.headers["x-tag"] == "t" for r in local_server.requests)
    assert all(r.body == b"" for r in polls)


async def test_upload_and_upload_and_poll(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    def attach(request: RecordedRequest) -> Reply:
        return Reply.json(vs_file("in_progress", id=request.json()["file_id"]))

    local_server.script("POST", "/v1/vector_stores/vs_1/files", Reply.handler(attach))
    attached = await client.vector_stores.files.upload(
        vector_store_id="vs_1", file=("notes.txt", b"hello")
    )
    assert attached.status == "in_progress"
    stored = local_server.batches.files[attached.id]  # the local server's Files API
    assert (stored.filename, stored.purpose, stored.content) == (
        "notes.txt",
        "assistants",
        b"hello",
    )

    local_server.script(
        "GET",
        "/v1/vector_stores/vs_1/files/file-2",
        Reply.json(vs_file("in_progress")),
        Reply.json(vs_file("completed")),
    )
    seen: list[str] = []
    done = await client.vector_stores.files.upload_and_poll(
        vector_store_id="vs_1",
        file=("more.txt", b"world"),
        poll_interval_ms=1,
        on_progress=lambda f: seen.append(f.status),
    )
    assert done.status == "completed" and seen == ["in_progress", "completed"]
    assert local_server.batches.files["file-2"].content == b"world"


# --- vector store file batches --------------------------------------------------------------


async def test_file_batch_create_and_poll(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST", "/v1/vector_stores/vs_1/file_batches", Reply.json(vs_batch("in_progress", 2))
    )
    local_server.script(
        "GET", VS_BATCH, Reply.json(vs_batch("in_progress", 1)), Reply.json(vs_batch("completed"))
    )
    seen: list[int] = []
    batch = await client.vector_stores.file_batches.create_and_poll(
        "vs_1",
        file_ids=["file-a", "file-b"],
        poll_interval_ms=1,
        on_progress=lambda b: seen.append(b.file_counts.in_progress),
    )
    assert batch.status == "completed" and seen == [1, 0]
    assert local_server.requests[0].json() == {"file_ids": ["file-a", "file-b"]}


async def test_file_batch_upload_and_poll_is_concurrent_bounded_and_ordered(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    running = peak = 0
    names: dict[bytes, str] = {}

    async def store(request: RecordedRequest) -> Reply:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        content = form_fields(request)["file"]
        await trio.sleep(0.05 if content != b"0" else 0.2)  # the first one finishes last
        running -= 1
        names[content] = f"file-{content.decode()}"
        return Reply.json({"id": names[content], "object": "file"})

    local_server.script("POST", "/v1/files", Reply.handler(store))
    local_server.script(
        "POST", "/v1/vector_stores/vs_1/file_batches", Reply.json(vs_batch("in_progress", 2))
    )
    local_server.script("GET", VS_BATCH, Reply.json(vs_batch("completed")))
    files = [(f"{n}.txt", str(n).encode()) for n in range(7)]
    with trio.fail_after(10):
        batch = await client.vector_stores.file_batches.upload_and_poll(
            "vs_1",
            files=files,
            file_ids=["file-old"],
            max_concurrency=3,
            poll_interval_ms=1,
            chunking_strategy={"type": "auto"},
        )
    assert batch.status == "completed"
    assert peak == 3
    create = hits(local_server, "POST", "/v1/vector_stores/vs_1/file_batches")[0].json()
    assert create["file_ids"] == ["file-old", *(f"file-{n}" for n in range(7))]
    assert create["chunking_strategy"] == {"type": "auto"}
    purposes = {form_fields(r)["purpose"] for r in hits(local_server, "POST", "/v1/files")}
    assert purposes == {b"assistants"}


async def test_file_batch_upload_failure_cancels_the_rest_and_raises_one_error(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    finished: list[bytes] = []

    async def store(request: RecordedRequest) -> Reply:
        content = form_fields(request)["file"]
        if content == b"bad":
            await trio.sleep(0.05)
            return Reply.error(400, message="unsupported file")
        await trio.sleep(0 if content == b"quick" else 30)
        finished.append(content)
        return Reply.json({"id": f"file-{content.decode()}", "object": "file"})

    local_server.script("POST", "/v1/files", Reply.handler(store))
    files = [("q.txt", b"quick"), ("a.txt", b"slow"), ("b.txt", b"bad"), ("c.txt", b"slow")]
    with trio.fail_after(10), pytest.raises(trio_openai.BadRequestError) as info:
        await client.vector_stores.file_batches.upload_and_poll(
            "vs_1", files=files, max_concurrency=3
        )
    assert "unsupported file" in str(info.value)
    assert info.value.__notes__ == ["files uploaded before the failure: file-quick"]
    assert finished == [b"quick"]
    assert not hits(local_server, "POST", "/v1/vector_stores/vs_1/file_batches")


async def test_file_batch_upload_and_poll_needs_something(client: trio_openai.OpenAI) -> None:
    with pytest.raises(ValueError, match="files or file_ids"):
        await client.vector_stores.file_batches.upload_and_poll("vs_1", files=[])
    with pytest.raises(ValueError, match="max_concurrency"):
        await client.vector_stores.file_batches.upload_and_poll(
            "vs_1", files=[b"x"], max_concurrency=0
        )


# --- videos and batches -----------------------------------------------------------------------


async def test_video_create_and_poll_reports_progress(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/videos", Reply.json(video("queued", 0)))
    local_server.script(
        "GET",
        "/v1/videos/video_1",
        Reply.json(video("queued", 0)),
        Reply.json(video("in_progress", 40)),
        Reply.json(video("in_progress", 80)),
        Reply.json(video("completed", 100)),
    )
    progress: list[tuple[str, int]] = []
    result = await client.videos.create_and_poll(
        prompt="a cat",
        model="sora-2",
        seconds="4",
        poll_interval_ms=1,
        on_progress=lambda v: progress.append((v.status, v.progress)),
    )
    assert result.status == "completed"
    assert progress == [("queued", 0), ("in_progress", 40), ("in_progress", 80), ("completed", 100)]
    fields = form_fields(local_server.requests[0])
    assert fields == {"prompt": b"a cat", "model": b"sora-2", "seconds": b"4"}


async def test_video_poll_returns_a_failed_video(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    failed = {**video("failed", 10), "error": {"code": "moderation", "message": "no"}}
    local_server.script("GET", "/v1/videos/video_1", Reply.json(failed))
    result = await client.videos.poll("video_1")
    assert result.status == "failed" and result.error.code == "moderation"


async def test_batch_poll_follows_the_local_batch_service(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.batches.step_time = 0.05
    local_server.batches.poll_after_ms = 20
    line = (
        b'{"custom_id": "r1", "method": "POST", "url": "/v1/responses", "body": {"input": "hi"}}\n'
    )
    file = await client.files.create(file=("in.jsonl", line), purpose="batch")
    created = await client.batches.create(
        input_file_id=file.id, endpoint="/v1/responses", completion_window="24h"
    )
    statuses: list[str] = []
    with trio.fail_after(10):
        # 60 s between polls unless the server's 20 ms hint is honoured
        done = await client.batches.poll(
            created.id, poll_interval_ms=60_000, on_progress=lambda b: statuses.append(b.status)
        )
    assert done.status == "completed" and done.request_counts.completed == 1
    assert statuses[-1] == "completed"
    assert set(statuses) <= {"validating", "in_progress", "finalizing", "completed"}
    assert len(statuses) == len(local_server.batches.batches[created.id].polls) >= 3


@pytest.mark.parametrize("final", ["failed", "expired", "cancelled"])
async def test_batch_poll_ends_on_every_terminal_status(
    client: trio_openai.OpenAI, local_server: LocalServer, final: str
) -> None:
    def batch(status: str) -> Reply:
        return Reply.json({"id": "batch_1", "object": "batch", "status": status})

    local_server.script(
        "GET",
        "/v1/batches/batch_1",
        batch("validating"),
        batch("in_progress"),
        batch("finalizing"),
        batch("cancelling"),
        batch(final),
    )
    result = await client.batches.poll("batch_1", poll_interval_ms=1)
    assert result.status == final
    assert len(local_server.requests) == 5


# --- exact intervals: autojump clock over httpx.MockTransport --------------------------------


def mock_client(
    answer: Callable[[int], tuple[dict[str, Any], dict[str, str]]], times: list[float]
) -> trio_openai.OpenAI:
    def handler(request: httpx.Request) -> httpx.Response:
        times.append(trio.current_time())
        body, headers = answer(len(times))
        return httpx.Response(200, json=body, headers=headers)

    return trio_openai.OpenAI(
        api_key="sk-test",
        base_url="http://mock.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )


@pytest.mark.parametrize(
    ("family", "expected"),
    [("vector_store_file", 1.0), ("vector_store_file_batch", 1.0), ("video", 2.0), ("batch", 5.0)],
)
async def test_default_intervals(
    autojump_clock: trio.testing.MockClock, family: str, expected: float
) -> None:
    times: list[float] = []
    body = {
        "vector_store_file": vs_file,
        "vector_store_file_batch": vs_batch,
        "video": lambda s: video(s, 0),
        "batch": lambda s: {"id": "b", "object": "batch", "status": s},
    }[family]
    async with mock_client(
        lambda n: (body("in_progress" if n < 4 else "completed"), {}), times
    ) as client:
        polls = {
            "vector_store_file": lambda: client.vector_stores.files.poll(
                "file_1", vector_store_id="vs_1"
            ),
            "vector_store_file_batch": lambda: client.vector_stores.file_batches.poll(
                "vsfb_1", vector_store_id="vs_1"
            ),
            "video": lambda: client.videos.poll("video_1"),
            "batch": lambda: client.batches.poll("b"),
        }
        await polls[family]()
    assert [t - times[0] for t in times] == [0, expected, 2 * expected, 3 * expected]


async def test_each_hint_is_read_anew_and_bad_hints_are_ignored(
    autojump_clock: trio.testing.MockClock,
) -> None:
    hints = ["250", "not a number", "-5", "1500", None]
    times: list[float] = []

    def answer(n: int) -> tuple[dict[str, Any], dict[str, str]]:
        hint = hints[n - 1]
        status = "in_progress" if n < len(hints) else "completed"
        return vs_file(status), ({} if hint is None else {"openai-poll-after-ms": hint})

    async with mock_client(answer, times) as client:
        await client.vector_stores.files.poll(
            "file_1", vector_store_id="vs_1", poll_interval_ms=700
        )
    assert [t - times[0] for t in times] == [0, 0.25, 0.95, 1.65, 3.15]


async def test_negative_interval_is_refused(client: trio_openai.OpenAI) -> None:
    with pytest.raises(ValueError, match="poll_interval_ms"):
        await client.videos.poll("video_1", poll_interval_ms=-1)


# --- Steady: the request shapes the helpers send ---------------------------------------------


def steady_client(
    steady_url: str, verdicts: list[tuple[str, str, str | None]]
) -> trio_openai.OpenAI:
    async def record(request: httpx.Request, call_next: Any) -> httpx.Response:
        response = await call_next(request)
        verdicts.append(
            (request.method, request.url.path, response.headers.get("x-steady-request-valid"))
        )
        return response

    return trio_openai.OpenAI(
        api_key="sk-test", base_url=steady_url, max_retries=0, middleware=[record]
    )


def all_valid(verdicts: list[tuple[str, str, str | None]]) -> bool:
    return bool(verdicts) and all(valid == "true" for _, _, valid in verdicts)


def stop_after(polls: int, scope: trio.CancelScope, seen: list[Any]) -> Callable[[Any], None]:
    def on_progress(item: Any) -> None:
        seen.append(item)
        if len(seen) >= polls:
            scope.cancel()

    return on_progress


async def test_steady_vector_store_files(steady_url: str) -> None:
    verdicts: list[tuple[str, str, str | None]] = []
    async with steady_client(steady_url, verdicts) as client:
        files = client.vector_stores.files
        with trio.fail_after(30):
            # Steady's canned vector store file is already terminal ("cancelled").
            done = await files.create_and_poll(
                "file-abc",
                vector_store_id="vs_abc",
                attributes={"k": "v"},
                chunking_strategy={
                    "type": "static",
                    "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
                },
            )
            await files.upload(vector_store_id="vs_abc", file=("a.txt", b"hello"))
            await files.upload_and_poll(
                vector_store_id="vs_abc", file=("b.txt", b"world"), poll_interval_ms=10
            )
    assert done.status not in ("in_progress",)
    assert [m for m, _, _ in verdicts] == ["POST", "GET", "POST", "POST", "POST", "POST", "GET"]
    assert all_valid(verdicts), verdicts


async def test_steady_vector_store_file_batches(steady_url: str) -> None:
    verdicts: list[tuple[str, str, str | None]] = []
    async with steady_client(steady_url, verdicts) as client:
        batches = client.vector_stores.file_batches
        with trio.fail_after(30):
            await batches.create_and_poll(
                "vs_abc",
                file_ids=["file-1", "file-2"],
                attributes={"k": "v"},
                chunking_strategy={"type": "auto"},
            )
            await batches.create_and_poll("vs_abc", files=[{"file_id": "file-3"}])
            await batches.upload_and_poll(
                "vs_abc",
                files=[("a.txt", b"a"), ("b.txt", b"b")],
                file_ids=["file-1"],
                max_concurrency=2,
            )
    assert len(verdicts) == 8
    assert all_valid(verdicts), verdicts


async def test_steady_videos(steady_url: str) -> None:
    verdicts: list[tuple[str, str, str | None]] = []
    seen: list[Any] = []
    async with steady_client(steady_url, verdicts) as client:
        # Steady's canned video stays "in_progress": stop after three polls.
        with trio.fail_after(30), trio.CancelScope() as scope:
            await client.videos.create_and_poll(
                prompt="a cat",
                model="sora-2",
                seconds="4",
                size="720x1280",
                poll_interval_ms=10,
                on_progress=stop_after(3, scope, seen),
            )
    assert scope.cancelled_caught
    assert [v.status for v in seen] == ["in_progress"] * 3
    assert [m for m, _, _ in verdicts] == ["POST", "GET", "GET", "GET"]
    assert all_valid(verdicts), verdicts


async def test_steady_batches(steady_url: str) -> None:
    verdicts: list[tuple[str, str, str | None]] = []
    seen: list[Any] = []
    async with steady_client(steady_url, verdicts) as client:
        # Steady's canned batch stays "finalizing": stop after three polls.
        with trio.fail_after(30), trio.CancelScope() as scope:
            await client.batches.poll(
                "batch_abc", poll_interval_ms=10, on_progress=stop_after(3, scope, seen)
            )
    assert scope.cancelled_caught
    assert len(seen) == 3
    assert [m for m, _, _ in verdicts] == ["GET"] * 3
    assert all_valid(verdicts), verdicts
