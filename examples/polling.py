"""Wait for server-side work: vector store files and file batches, a video, a batch.

Every poll helper retrieves the object until it leaves its pending statuses, waits what
the server's `openai-poll-after-ms` header says (else `poll_interval_ms`), reports each
object to `on_progress`, and stops when the caller's cancel scope ends.

With OPENAI_API_KEY set, this creates a vector store on the real API, fills it with
`upload_and_poll` (one file, then a batch of three), then deletes it all; it also starts a
one-line batch (model from OPENAI_MODEL, default gpt-5.2) and waits for it 30 seconds at
most, cancelling it if it is still running. A video (paid, minutes long) is made only with
OPENAI_RUN_VIDEO=1. Without a key, it starts the bundled local server inside this same Trio
run and scripts its routes with the same status progressions.

    python examples/polling.py
"""

from __future__ import annotations

import os
import sys
from contextlib import AsyncExitStack
from typing import Any

import orjson
import trio

import trio_openai
from trio_openai.testing import LocalServer, RecordedRequest, Reply

HINT = {"openai-poll-after-ms": "150"}  # the local server asks for a poll every 150 ms


def script_local_routes(server: LocalServer) -> None:
    """Vector stores and videos for the local server; its Batch API is built in."""

    def vs_file(file_id: str, status: str) -> dict[str, Any]:
        return {
            "id": file_id,
            "object": "vector_store.file",
            "vector_store_id": "vs_local",
            "status": status,
            "usage_bytes": 0 if status != "completed" else 1200,
            "created_at": 0,
            "last_error": None,
        }

    def attach(request: RecordedRequest) -> Reply:
        file_id = request.json()["file_id"]
        steps = [Reply.json(vs_file(file_id, "in_progress"), headers=HINT)] * 2
        server.script(
            "GET",
            f"/v1/vector_stores/vs_local/files/{file_id}",
            *steps,
            Reply.json(vs_file(file_id, "completed")),
        )
        return Reply.json(vs_file(file_id, "in_progress"))

    def file_batch(status: str, done: int, total: int) -> dict[str, Any]:
        counts = {
            "in_progress": total - done,
            "completed": done,
            "failed": 0,
            "cancelled": 0,
            "total": total,
        }
        return {
            "id": "vsfb_local",
            "object": "vector_store.files_batch",
            "created_at": 0,
            "vector_store_id": "vs_local",
            "status": status,
            "file_counts": counts,
        }

    def create_batch(request: RecordedRequest) -> Reply:
        total = len(request.json()["file_ids"])
        steps = [
            Reply.json(file_batch("in_progress", n, total), headers=HINT) for n in range(total)
        ]
        server.script(
            "GET",
            "/v1/vector_stores/vs_local/file_batches/vsfb_local",
            *steps,
            Reply.json(file_batch("completed", total, total)),
        )
        return Reply.json(file_batch("in_progress", 0, total))

    def video(status: str, progress: int) -> dict[str, Any]:
        return {
            "id": "video_local",
            "object": "video",
            "status": status,
            "progress": progress,
            "created_at": 0,
            "model": "sora-2",
            "seconds": "4",
            "size": "720x1280",
            "prompt": "a calico cat playing a piano",
        }

    server.script(
        "POST",
        "/v1/vector_stores",
        Reply.json(
            {
                "id": "vs_local",
                "object": "vector_store",
                "name": "polling example",
                "status": "completed",
                "created_at": 0,
            }
        ),
    )
    server.script("POST", "/v1/vector_stores/vs_local/files", Reply.handler(attach))
    server.script("POST", "/v1/vector_stores/vs_local/file_batches", Reply.handler(create_batch))
    server.script("POST", "/v1/videos", Reply.json(video("queued", 0)))
    server.script(
        "GET",
        "/v1/videos/video_local",
        *[Reply.json(video("in_progress", p), headers=HINT) for p in (0, 20, 45, 70, 95)],
        Reply.json(video("completed", 100)),
    )
    server.batches.step_time = 0.2  # seconds per status change of a batch
    server.batches.poll_after_ms = 150


async def fill_a_vector_store(client: trio_openai.OpenAI) -> None:
    store = await client.vector_stores.create(name="trio_openai polling example")
    files = client.vector_stores.files
    one = await files.upload_and_poll(
        vector_store_id=store.id,
        file=("trio.txt", b"Trio is a Python library for structured concurrency.\n"),
        on_progress=lambda f: print(f"  vector store file {f.id}: {f.status}"),
    )
    print(f"vector_stores.files.upload_and_poll -> {one.status}, {one.usage_bytes} bytes")

    # Three uploads at most two at a time, then one batch over all of them.
    docs = [
        (f"doc{n}.txt", f"Document {n} about nurseries and cancel scopes.\n".encode())
        for n in range(3)
    ]

    async def report(batch: Any) -> None:  # async callbacks work too
        counts = batch.file_counts
        print(f"  file batch {batch.id}: {batch.status}, {counts.completed}/{counts.total}")

    batch = await client.vector_stores.file_batches.upload_and_poll(
        store.id, files=docs, max_concurrency=2, on_progress=report
    )
    print(f"vector_stores.file_batches.upload_and_poll -> {batch.status}")
    if os.environ.get("OPENAI_API_KEY"):  # clean up what the real API stored
        uploaded = [one.id] + [f.id async for f in files.list(store.id)]
        await client.vector_stores.delete(store.id)
        for file_id in dict.fromkeys(uploaded):
            await client.files.delete(file_id)
        print("deleted the vector store and its files")


async def make_a_video(client: trio_openai.OpenAI) -> None:
    def show(video: Any) -> None:
        print(
            f"\r  video {video.id}: {video.status} {video.progress or 0:3d}%",
            end="",
            file=sys.stderr,
            flush=True,
        )

    video = await client.videos.create_and_poll(
        prompt="a calico cat playing a piano", seconds="4", on_progress=show
    )
    print(file=sys.stderr)
    print(f"videos.create_and_poll -> {video.status}")


async def run_a_batch(client: trio_openai.OpenAI, model: str) -> None:
    line = {
        "custom_id": "q1",
        "method": "POST",
        "url": "/v1/responses",
        "body": {"model": model, "input": "Say hello in French."},
    }
    file = await client.files.create(
        file=("batch.jsonl", orjson.dumps(line) + b"\n"), purpose="batch"
    )
    batch = await client.batches.create(
        input_file_id=file.id, endpoint="/v1/responses", completion_window="24h"
    )
    latest = batch

    def show(polled: Any) -> None:
        nonlocal latest
        latest = polled
        print(f"  batch {polled.id}: {polled.status}")

    # A deadline is the caller's cancel scope: leaving it stops the polling, not the batch.
    with trio.move_on_after(30) as deadline:
        await client.batches.poll(batch.id, on_progress=show)
    if not deadline.cancelled_caught:
        print(f"batches.poll -> {latest.status}")
    else:
        await client.batches.cancel(batch.id)
        print(f"batches.poll: still {latest.status} after 30 s; cancelled the batch")


async def main() -> None:
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI()
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
            video = os.environ.get("OPENAI_RUN_VIDEO") == "1"
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            script_local_routes(server)
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model, video = "echo-1", True
            print(f"(no OPENAI_API_KEY: the local server at {server.base_url})")
        await stack.enter_async_context(client)

        await fill_a_vector_store(client)
        if video:
            await make_a_video(client)
        else:
            print("(videos.create_and_poll skipped: set OPENAI_RUN_VIDEO=1 to make one)")
        await run_a_batch(client, model)


if __name__ == "__main__":
    trio.run(main)
