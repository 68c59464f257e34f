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

runtime = "asyncio"  # the worker overrides it for the trio variant


class Adapter:
    def __init__(self, base_url: str, *, runtime: str = "asyncio") -> None:
        self.base_url = base_url
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

    async def stream(self, kind: str, n: int, batch: int) -> int:
        count = 0
        stream = await self._create(kind, n, batch)
        async with stream:
            async for _event in stream:
                count += 1
        return count

    async def first_event(self, kind: str, n: int) -> float:
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
