"""Raw httpx (or httpx2) under trio, no JSON: the floor of the stack trio_openai is built on.

Two readers: ``raw`` counts event ends in ``aiter_raw()`` bytes (no text decoding, no line
splitting); ``lines`` counts ``data:`` lines from ``aiter_lines()`` (the usual hand-rolled
SSE loop, untyped). The pool limits match trio_openai's and openai-python's (1000
connections, 100 kept alive). ``pools > 1`` shards requests over several clients, one of
the ways around httpcore's O(pool) connection scan that the fan-out experiment measures.
"""

from __future__ import annotations

import importlib
import time
from itertools import count as _counter
from typing import Any

import orjson

from .bodies import JSON_BODY, body_bytes, path_for

runtime = "trio"

_HEADERS = {"Authorization": "Bearer bench", "Content-Type": "application/json"}


def _new_client(httpx: Any, max_connections: int = 1000, transport: str = "httpx") -> Any:
    if transport == "trio_openai":  # the same reader over trio_openai's pool (an experiment)
        import trio_openai

        return trio_openai.DefaultHttpClient(
            max_connections=max_connections,
            max_keepalive_connections=min(100, max_connections),
        )
    return httpx.AsyncClient(
        timeout=None,
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=min(100, max_connections),
        ),
    )


class Adapter:
    def __init__(
        self,
        base_url: str,
        *,
        reader: str = "raw",
        pools: int = 1,
        module: str = "httpx",
        transport: str = "httpx",
        max_connections: int = 1000,
    ) -> None:
        self.max_connections = max_connections
        self.transport = transport
        self.base_url = base_url
        self.reader = reader
        self.pools = pools
        self.httpx = importlib.import_module(module)
        self.notes: dict[str, Any] = {
            module: self.httpx.__version__,
            "pools": pools,
            "transport": transport,
        }
        self.clients: list[Any] = []
        self._next = _counter()
        self._json_body = orjson.dumps(JSON_BODY)

    async def open(self) -> None:
        per_pool = max(1, self.max_connections // self.pools)
        self.clients = [
            _new_client(self.httpx, per_pool, self.transport) for _ in range(self.pools)
        ]

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()

    def _client(self) -> Any:
        if self.pools == 1:
            return self.clients[0]
        return self.clients[next(self._next) % self.pools]

    def _open(self, kind: str, n: int, batch: int) -> Any:
        url = f"{self.base_url}{path_for(kind)}?n={n}&batch={batch}"
        return self._client().stream("POST", url, content=body_bytes(kind), headers=_HEADERS)

    async def stream(self, kind: str, n: int, batch: int) -> int:
        events = 0
        async with self._open(kind, n, batch) as response:
            if self.reader == "raw":
                newline_at_end = False
                async for chunk in response.aiter_raw():
                    events += chunk.count(b"\n\n")
                    if newline_at_end and chunk[:1] == b"\n":
                        events += 1  # a blank line split between two reads
                    newline_at_end = chunk[-1:] == b"\n" and chunk[-2:] != b"\n\n"
                if kind == "chat":
                    events -= 1  # [DONE]
            else:
                async for line in response.aiter_lines():
                    if line.startswith("data:") and line != "data: [DONE]":
                        events += 1
        return events

    async def first_event(self, kind: str, n: int) -> float:
        start = time.perf_counter()
        first = 0.0
        async with self._open(kind, n, 1) as response:
            if self.reader == "raw":
                async for chunk in response.aiter_raw():
                    if not first and b"\n\n" in chunk:
                        first = time.perf_counter() - start
            else:
                async for line in response.aiter_lines():
                    if not first and line.startswith("data:"):
                        first = time.perf_counter() - start
        return first

    async def request(self) -> bytes:
        url = f"{self.base_url}/chat/completions?bench=json"
        response = await self._client().post(url, content=self._json_body, headers=_HEADERS)
        return response.content

    def construct(self) -> Any:
        return _new_client(self.httpx)

    async def dispose(self, client: Any) -> None:
        await client.aclose()

    async def pages(self, pages: int) -> int:
        """Cursor paging by hand: GET, orjson, follow ``last_id`` while ``has_more``."""
        count, after = 0, ""
        while True:
            url = f"{self.base_url}/files?pages={pages}" + (f"&after={after}" if after else "")
            page = orjson.loads((await self._client().get(url, headers=_HEADERS)).content)
            count += len(page["data"])
            if not page["has_more"]:
                return count
            after = page["last_id"]

    async def content(self, size: int) -> int:
        url = f"{self.base_url}/files/file-bin-{size}/content"
        return len((await self._client().get(url, headers=_HEADERS)).content)

    async def parse(self) -> Any:
        """The hand-rolled equivalent: POST, orjson the Response, validate the text."""
        from .shapes import Story

        url = f"{self.base_url}/responses?bench=parse"
        body = orjson.dumps({"model": "gpt-4.1", "input": "Describe a story."})
        reply = orjson.loads(
            (await self._client().post(url, content=body, headers=_HEADERS)).content
        )
        return Story.model_validate_json(reply["output"][0]["content"][0]["text"])
