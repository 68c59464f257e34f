"""Upload files: `files.create` from bytes, a path or a file object, then a large file in
parts with `uploads.upload_file`.

With OPENAI_API_KEY set, this uploads small files to the real API (purpose "user_data",
"assistants" for the large one) and deletes them at the end. Without a key, it starts the
bundled local server inside this same Trio run: its in-memory Files API answers
`files.create`, and the Uploads routes are scripted below.

    python examples/file_uploads.py
"""

from __future__ import annotations

import email
import email.policy
import os
import sys
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path

import trio

import trio_openai
from trio_openai.testing import LocalServer, RecordedRequest, Reply

MIB = 1024 * 1024


def serve_uploads(server: LocalServer) -> None:
    """A small Uploads API on the local server: create, parts, complete, cancel."""
    parts: dict[str, bytes] = {}
    declared: dict[str, object] = {}

    def upload(status: str, **fields: object) -> dict[str, object]:
        return {
            "id": "upload_local",
            "object": "upload",
            "status": status,
            "created_at": 0,
            "expires_at": 3600,
            **declared,
            **fields,
        }

    def create(request: RecordedRequest) -> Reply:
        declared.update(request.json())
        return Reply.json(upload("pending"))

    async def add_part(request: RecordedRequest) -> Reply:
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        form = email.message_from_bytes(head + request.body, policy=email.policy.HTTP)
        (data_part,) = form.iter_parts()
        part_id = f"part_{len(parts)}"
        payload = data_part.get_payload(decode=True)
        assert isinstance(payload, bytes)  # a single (non-multipart) part decodes to bytes
        parts[part_id] = payload
        await trio.sleep(0.05)  # a visible pace for the progress line
        return Reply.json(
            {"id": part_id, "object": "upload.part", "created_at": 0, "upload_id": "upload_local"}
        )

    def complete(request: RecordedRequest) -> Reply:
        size = sum(len(parts[part_id]) for part_id in request.json()["part_ids"])
        file = {
            "id": "file-from-upload",
            "object": "file",
            "bytes": size,
            "created_at": 0,
            "filename": declared["filename"],
            "purpose": declared["purpose"],
        }
        return Reply.json(upload("completed", file=file))

    server.script("POST", "/v1/uploads", Reply.handler(create))
    server.script("POST", "/v1/uploads/upload_local/parts", Reply.handler(add_part))
    server.script("POST", "/v1/uploads/upload_local/complete", Reply.handler(complete))
    server.script("POST", "/v1/uploads/upload_local/cancel", Reply.json(upload("cancelled")))


def show_progress(done: int, total: int) -> None:
    print(f"\r  {done / MIB:4.1f} / {total / MIB:.1f} MiB", end="", file=sys.stderr, flush=True)


async def main() -> None:
    real_api = bool(os.environ.get("OPENAI_API_KEY"))
    async with AsyncExitStack() as stack:
        if real_api:
            client = trio_openai.OpenAI()
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            serve_uploads(server)
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            print(f"(no OPENAI_API_KEY: the local server at {server.base_url})")
        await stack.enter_async_context(client)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        notes = folder / "notes.txt"
        notes.write_text("Trio: structured concurrency for Python.\n" * 100)

        # bytes: a (filename, content) tuple names the file; bare bytes are named "upload" (as openai-python names them)
        from_bytes = await client.files.create(
            file=("hello.txt", b"Hello from trio_openai\n"), purpose="user_data"
        )
        # a path: read in chunks while it is sent (never whole), named after the path
        from_path = await client.files.create(file=notes, purpose="user_data")
        # an open binary file object: read from its current position
        with notes.open("rb") as handle:
            from_object = await client.files.create(
                file=("notes-copy.txt", handle, "text/plain"), purpose="user_data"
            )
        for file in (from_bytes, from_path, from_object):
            print(f"files.create -> {file.id}: {file.filename}, {file.bytes} bytes")

        # A large file through the Uploads API: parts of 1 MiB (64 MiB by default), three
        # in flight, read from disk one part at a time; completed with the parts in order.
        big = folder / "corpus.txt"
        with big.open("w") as out:
            for n in range(60_000):
                out.write(f"line {n}: the quick brown fox jumps over the lazy dog\n")
        upload = await client.uploads.upload_file(
            big,
            purpose="assistants",
            part_size=1 * MIB,
            max_concurrency=3,
            md5=True,  # computed while reading; the server checks it
            on_progress=show_progress,
        )
        print(file=sys.stderr)
        made = upload.file  # a completed upload carries its file (absent before: `omit`)
        assert made is not trio_openai.omit
        print(
            f"uploads.upload_file -> {upload.id} ({upload.status}): file {made.id}, "
            f"{made.bytes} bytes in {-(-big.stat().st_size // MIB)} parts"
        )

        if real_api:  # files stay in your storage until deleted
            for file_id in (from_bytes.id, from_path.id, from_object.id, made.id):
                await client.files.delete(file_id)
            print("deleted the uploaded files")


if __name__ == "__main__":
    trio.run(main)
