"""openai-python's AsyncOpenAI, under asyncio or (through anyio) under trio.

Streams are read the way its README shows: ``await ...create(stream=True)`` then
``async for`` over pydantic events; plain requests return a pydantic ChatCompletion.
The server is selected with ``extra_query``, so the bodies match the other clients'.
"""

from __future__ import annotations

import time
from typing import Any

import openai

from .bodies import JSON_BODY, MESSAGES, MODEL, RESPONSES_STREAM_BODY

# ``api="helper"`` reads streams through openai-python's own ``.stream()`` helpers instead.

runtime = "asyncio"  # the worker overrides it for the trio variant


class Adapter:
    def __init__(self, base_url: str, *, runtime: str = "asyncio", api: str = "create") -> None:
        self.base_url = base_url
        self.api = api
        self.label = f"openai_{runtime}"
        self.notes: dict[str, Any] = {"openai": openai.__version__}
        self.client: Any = None

    def _new(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(api_key="bench", base_url=self.base_url, max_retries=0)

    async def open(self) -> None:
        self.client = self._new()

    async def aclose(self) -> None:
        await self.client.close()

    async def _create(self, kind: str, n: int, batch: int) -> Any:
        query = {"n": n, "batch": batch}
        if kind == "chat":
            return await self.client.chat.completions.create(
                model=MODEL, messages=MESSAGES, stream=True, extra_query=query
            )
        return await self.client.responses.create(
            model=MODEL,
            input=RESPONSES_STREAM_BODY["input"],
            stream=True,
            extra_query=query,
        )

    async def _helper(self, kind: str, query: dict[str, int], first: list[float]) -> int:
        start, count = time.perf_counter(), 0
        if kind == "chat":
            manager: Any = self.client.chat.completions.stream(
                model=MODEL, messages=MESSAGES, extra_query=query
            )
        else:
            manager = self.client.responses.stream(
                model=MODEL, input=RESPONSES_STREAM_BODY["input"], extra_query=query
            )
        async with manager as stream:
            async for event in stream:
                if kind == "chat" and event.type != "chunk":
                    continue
                count += 1
                if not first:
                    first.append(time.perf_counter() - start)
        return count

    async def stream(self, kind: str, n: int, batch: int) -> int:
        if self.api == "helper":
            return await self._helper(kind, {"n": n, "batch": batch}, [])
        count = 0
        stream = await self._create(kind, n, batch)
        async with stream:
            async for _event in stream:
                count += 1
        return count

    async def first_event(self, kind: str, n: int) -> float:
        if self.api == "helper":
            first: list[float] = []
            await self._helper(kind, {"n": n, "batch": 1}, first)
            return first[0]
        start = time.perf_counter()
        first = 0.0
        stream = await self._create(kind, n, 1)
        async with stream:
            async for _event in stream:
                if not first:
                    first = time.perf_counter() - start
        return first

    async def request(self) -> Any:
        return await self.client.chat.completions.create(
            model=JSON_BODY["model"], messages=JSON_BODY["messages"], extra_query={"bench": "json"}
        )

    def construct(self) -> openai.AsyncOpenAI:
        return self._new()

    async def dispose(self, client: openai.AsyncOpenAI) -> None:
        await client.close()

    async def pages(self, pages: int) -> int:
        count = 0
        async for _file in self.client.files.list(extra_query={"pages": pages}):
            count += 1
        return count

    async def content(self, size: int) -> int:
        binary = await self.client.files.content(f"file-bin-{size}")
        return len(binary.read())

    async def parse(self) -> Any:
        from .shapes import Story

        parsed = await self.client.responses.parse(
            model=MODEL,
            input="Describe a story.",
            text_format=Story,
            extra_query={"bench": "parse"},
        )
        return parsed.output_parsed
