"""The clients of the big-bodies benchmark, each called the way its users call it.

Every adapter has the same five coroutines, each returning what it got, so that the worker
can check it: ``list_page(n)`` (items on the first page of ``files.list(limit=n)``),
``retrieve(mb)`` (output items of a ~mb MB Response), ``download(size, path)`` (bytes
streamed to the file), ``upload(path)`` (bytes the server received), ``realtime(n)``
(delta events read from a Realtime session). A client without such a call raises
`NotImplementedError` (reported, not run).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

MODEL = "gpt-realtime"
REALTIME_DELTA = "response.output_text.delta"


def _size(path: Path) -> int:
    """The size of a file just written (a stat: quick, done once per transfer)."""
    return os.stat(path).st_size


class TrioOpenAI:
    """trio_openai's public calls: typed results, streamed transfers."""

    runtime = "trio"

    def __init__(self, base_url: str) -> None:
        import trio_openai

        self.client = trio_openai.OpenAI(api_key="bench", base_url=base_url, max_retries=0)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def list_page(self, n: int) -> int:
        page = await self.client.files.list(limit=n)
        return len(page.data)

    async def retrieve(self, mb: int) -> int:
        response = await self.client.responses.retrieve(f"resp_big_{mb}")
        return len(response.output)

    async def download(self, size: int, path: Path) -> int:
        async with self.client.files.with_streaming_response.content(f"file-gen-{size}") as r:
            await r.stream_to_file(path)
        return _size(path)

    async def upload(self, path: Path) -> int:
        created = await self.client.files.create(file=path, purpose="user_data")
        return created.bytes

    async def realtime(self, n: int) -> int:
        count = 0
        async with self.client.realtime.connect(model=MODEL, extra_query={"n": n}) as conn:
            await conn.send({"type": "response.create"})
            async for event in conn:
                if event.type == REALTIME_DELTA:
                    count += 1
                elif event.type == "response.done":
                    break
        return count


class OpenAIPython:
    """openai-python's AsyncOpenAI under asyncio: pydantic results, its streamed calls."""

    runtime = "asyncio"

    def __init__(self, base_url: str) -> None:
        import openai

        self.client = openai.AsyncOpenAI(api_key="bench", base_url=base_url, max_retries=0)

    async def aclose(self) -> None:
        await self.client.close()

    async def list_page(self, n: int) -> int:
        page = await self.client.files.list(limit=n)
        return len(page.data)

    async def retrieve(self, mb: int) -> int:
        response = await self.client.responses.retrieve(f"resp_big_{mb}")
        return len(response.output)

    async def download(self, size: int, path: Path) -> int:
        async with self.client.files.with_streaming_response.content(f"file-gen-{size}") as r:
            await r.stream_to_file(path)
        return _size(path)

    async def upload(self, path: Path) -> int:
        # An open file: openai-python reads a *path* whole into memory before sending.
        with path.open("rb") as file:
            created = await self.client.files.create(file=file, purpose="user_data")
        return created.bytes

    async def realtime(self, n: int) -> int:
        count = 0
        async with self.client.realtime.connect(model=MODEL, extra_query={"n": n}) as conn:
            await conn.send({"type": "response.create"})  # type: ignore[arg-type]
            async for event in conn:
                if event.type == REALTIME_DELTA:
                    count += 1
                elif event.type == "response.done":
                    break
        return count


class RawHttpx:
    """httpx under trio with orjson, no models: the floor; trio-websocket for Realtime."""

    runtime = "trio"

    def __init__(self, base_url: str) -> None:
        import httpx

        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=None)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def list_page(self, n: int) -> int:
        import orjson

        response = await self.http.get("/files", params={"limit": n})
        return len(orjson.loads(response.content)["data"])

    async def retrieve(self, mb: int) -> int:
        import orjson

        response = await self.http.get(f"/responses/resp_big_{mb}")
        return len(orjson.loads(response.content)["output"])

    async def download(self, size: int, path: Path) -> int:
        import trio

        async with (
            self.http.stream("GET", f"/files/file-gen-{size}/content") as response,
            await trio.open_file(path, "wb") as out,
        ):
            async for chunk in response.aiter_raw():
                await out.write(chunk)
        return _size(path)

    async def upload(self, path: Path) -> int:
        import orjson

        with path.open("rb") as file:
            response = await self.http.post(
                "/files", files={"file": file}, data={"purpose": "user_data"}
            )
        created: dict[str, Any] = orjson.loads(response.content)
        return int(created["bytes"])

    async def realtime(self, n: int) -> int:
        import orjson
        from trio_websocket import open_websocket_url

        url = self.base_url.replace("http://", "ws://") + f"/realtime?model={MODEL}&n={n}"
        count = 0
        async with open_websocket_url(url, extra_headers=[("authorization", "Bearer x")]) as ws:
            await ws.send_message(orjson.dumps({"type": "response.create"}).decode())
            while True:
                event = orjson.loads(await ws.get_message())
                if event["type"] == REALTIME_DELTA:
                    count += 1
                elif event["type"] == "response.done":
                    break
        return count


ADAPTERS: dict[str, type[TrioOpenAI] | type[OpenAIPython] | type[RawHttpx]] = {
    "trio_openai": TrioOpenAI,
    "httpx_raw": RawHttpx,
    "openai_asyncio": OpenAIPython,
}
