"""trio_openai, with typed events (generated models when present, else the stand-in).

``api`` picks the surface a stream is read through: ``low`` is ``client.stream(...,
decode=...)``; ``helper`` is what users call, ``chat.completions.stream(...)`` (with its
accumulation) and ``responses.stream(...)``; ``create`` is openai-python's call shape,
``async with await ...create(..., stream=True) as stream``. Pages, binary content and
structured output always go through the public resources.
"""

from __future__ import annotations

import time
from typing import Any

import trio_openai

from .bodies import CHAT_STREAM_BODY, JSON_BODY, MESSAGES, MODEL, RESPONSES_STREAM_BODY, path_for
from .models import load_decoders

runtime = "trio"


class Adapter:
    label = "trio_openai"

    def __init__(
        self,
        base_url: str,
        *,
        decoders: str = "auto",
        transport: str = "httpx",
        api: str = "low",
        max_connections: int | None = None,
    ) -> None:
        self.base_url = base_url
        self.max_connections = max_connections
        self.api = api
        self.decoders = load_decoders(decoders)
        self.transport = transport
        self.notes = {"decoders": self.decoders.source, "transport": transport, "api": api}
        self.client: Any = None
        self._http: Any = None

    def _new(self) -> Any:
        return trio_openai.OpenAI(
            api_key="bench", base_url=self.base_url, max_retries=0, http_client=self._http
        )

    async def open(self) -> None:
        if self.transport == "proto":  # the experiment: httpx over benchmarks.proto_transport
            import httpx

            from .proto_transport import ProtoTransport

            self._http = httpx.AsyncClient(transport=ProtoTransport(), timeout=None)
        elif self.max_connections is not None:
            self._http = trio_openai.DefaultHttpClient(max_connections=self.max_connections)
        self.client = self._new()

    async def aclose(self) -> None:
        await self.client.aclose()
        if self._http is not None:
            await self._http.aclose()

    def _open_stream(self, kind: str, n: int, batch: int) -> Any:
        if kind == "chat":
            body, decode = CHAT_STREAM_BODY, self.decoders.chat_chunk
        else:
            body, decode = RESPONSES_STREAM_BODY, self.decoders.response_event
        return self.client.stream(
            "POST", path_for(kind), body=body, query={"n": n, "batch": batch}, decode=decode
        )

    async def _count_public(self, kind: str, query: dict[str, int], first: list[float]) -> int:
        """Read a stream through the public surface; count what the low-level path yields
        (chat chunks, Responses events), timing the first one into ``first``."""
        start, count = time.perf_counter(), 0
        if kind == "chat" and self.api == "helper":
            async with self.client.chat.completions.stream(
                model=MODEL, messages=MESSAGES, extra_query=query
            ) as stream:
                async for event in stream:
                    if event.type == "chunk":
                        count += 1
                        if not first:
                            first.append(time.perf_counter() - start)
            return count
        if kind == "chat":
            opened = await self.client.chat.completions.create(
                model=MODEL, messages=MESSAGES, stream=True, extra_query=query
            )
        elif self.api == "helper":
            opened = self.client.responses.stream(
                model=MODEL, input=RESPONSES_STREAM_BODY["input"], extra_query=query
            )
        else:
            opened = await self.client.responses.create(
                model=MODEL, input=RESPONSES_STREAM_BODY["input"], stream=True, extra_query=query
            )
        async with opened as stream:
            async for _event in stream:
                count += 1
                if not first:
                    first.append(time.perf_counter() - start)
        return count

    async def stream(self, kind: str, n: int, batch: int) -> int:
        if self.api != "low":
            return await self._count_public(kind, {"n": n, "batch": batch}, [])
        count = 0
        async with self._open_stream(kind, n, batch) as stream:
            async for _event in stream:
                count += 1
        return count

    async def first_event(self, kind: str, n: int) -> float:
        if self.api != "low":
            first: list[float] = []
            await self._count_public(kind, {"n": n, "batch": 1}, first)
            return first[0]
        start = time.perf_counter()
        first = 0.0
        async with self._open_stream(kind, n, 1) as stream:
            async for _event in stream:
                if not first:
                    first = time.perf_counter() - start
        return first

    async def request(self) -> Any:
        return await self.client.post(
            "/chat/completions",
            body=JSON_BODY,
            query={"bench": "json"},
            cast_to=self.decoders.chat_completion,
        )

    def construct(self) -> Any:
        return self._new()

    async def dispose(self, client: Any) -> None:
        await client.aclose()

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
