"""trio_openai, with typed events (generated models when present, else the stand-in)."""

from __future__ import annotations

import time
from typing import Any

import trio_openai

from .bodies import CHAT_STREAM_BODY, JSON_BODY, RESPONSES_STREAM_BODY, path_for
from .models import load_decoders

runtime = "trio"


class Adapter:
    label = "trio_openai"

    def __init__(self, base_url: str, *, decoders: str = "auto", transport: str = "httpx") -> None:
        self.base_url = base_url
        self.decoders = load_decoders(decoders)
        self.transport = transport
        self.notes = {"decoders": self.decoders.source, "transport": transport}
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

    async def stream(self, kind: str, n: int, batch: int) -> int:
        count = 0
        async with self._open_stream(kind, n, batch) as stream:
            async for _event in stream:
                count += 1
        return count

    async def first_event(self, kind: str, n: int) -> float:
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
