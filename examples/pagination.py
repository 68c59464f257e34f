"""Pagination: list methods return a paginator that fetches pages only when you ask.

- `async for item in client.files.list(limit=3)` walks every item, fetching the next page
  when the current one runs out; `break` stops it, and no further request is sent.
- `await client.files.list(limit=3).first_page()` (or just `await client.files.list(...)`)
  gives one `Page`: `.data`, `.has_more`, `.next_page_query()`, the raw JSON and response.
- `async for page in client.files.list(limit=3).pages()` walks page by page.

With OPENAI_API_KEY set, this lists your files on the real API (possibly none). Without a
key, it starts the bundled local server inside this same Trio run and scripts a Files list
of 8 files served 3 per page, following the `after` cursor as the API does.

    python examples/pagination.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

import trio

import trio_openai

if TYPE_CHECKING:
    from trio_openai.testing import LocalServer, RecordedRequest, Reply

FILES = [
    {
        "id": f"file-{n:03d}",
        "object": "file",
        "bytes": 1000 * n,
        "created_at": 1_700_000_000 + n,
        "filename": f"train-{n}.jsonl",
        "purpose": "fine-tune",
        "status": "processed",
        "expires_at": None,
    }
    for n in range(1, 9)
]


def script_local_server(server: LocalServer) -> None:
    from trio_openai.testing import Reply

    def list_files(request: RecordedRequest) -> Reply:
        limit = int(request.query.get("limit", ["20"])[0])
        after = request.query.get("after", [None])[0]
        start = next((i + 1 for i, f in enumerate(FILES) if f["id"] == after), 0)
        data = FILES[start : start + limit]
        return Reply.json(
            {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": start + limit < len(FILES),
            }
        )

    server.script("GET", "/v1/files", Reply.handler(list_files))


async def main() -> None:
    async with AsyncExitStack() as stack:
        server: LocalServer | None = None
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI()
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            script_local_server(server)
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            print(f"(no OPENAI_API_KEY: a scripted Files list at {server.base_url})")
        await stack.enter_async_context(client)

        def requests_sent() -> str:
            return "" if server is None else f"  [{len(server.requests)} requests so far]"

        print("Every item, pages fetched as needed:")
        async for file in client.files.list(limit=3):
            print(f"  {file.id}  {file.filename}  {file.bytes} bytes")
        print(requests_sent())

        print("Stop early: the paginator sends nothing more after `break`:")
        async for file in client.files.list(limit=3):
            if file.id == "file-002":
                break
            print(f"  {file.id}")
        print(requests_sent())

        print("One page at a time:")
        page = await client.files.list(limit=3).first_page()
        print(f"  {[f.id for f in page.data]} has_more={page.has_more}")
        print(f"  the next page would be fetched with {page.next_page_query()}")

        async for page in client.files.list(limit=3).pages():
            print(f"  a page of {len(page.data)}, last id {page.raw.get('last_id')}")


if __name__ == "__main__":
    trio.run(main)
