# pyright: strict
"""A token-streaming chat page: one ASGI app on hypercorn's trio worker.

    .venv/bin/python examples/chat_ui/app.py            # then open http://127.0.0.1:8000/

Upstream, in this order: ``--base-url`` (e.g. llama-server's http://127.0.0.1:8080/v1), else
OPENAI_API_KEY (the real API), else the bundled local echo server started in this process,
so the page works offline. The page streams over Server-Sent Events (``GET /sse``) or a
WebSocket (``/ws``); both use `trio_openai.lib.relay_sse` / `relay_websocket`, which
coalesce tokens into frames, keep the backlog bounded for a slow browser and close the
upstream stream the moment the browser stops or goes away. ``GET /stats`` shows the
connection pool and the last relays (the browser test reads it).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import deque
from contextlib import AbstractAsyncContextManager, AsyncExitStack, suppress
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs

import orjson
import trio
from hypercorn.config import Config
from hypercorn.trio import serve  # pyright: ignore[reportUnknownVariableType]
from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    HTTPScope,
    LifespanScope,
    Scope,
    WebsocketScope,
)

import trio_openai
from trio_openai.lib import RelayResult, TextDeltaStream, relay_sse, relay_websocket

PAGE = (Path(__file__).resolve().parent / "index.html").read_bytes()


class ChatApp:
    """The ASGI application: the page, the two streaming routes, and /stats."""

    def __init__(
        self,
        client: trio_openai.OpenAI,
        *,
        model: str,
        api: Literal["responses", "chat"],
        max_fps: float,
        upstream: str,
    ) -> None:
        self.client = client
        self.model = model
        self.api = api
        self.max_fps = max_fps
        self.upstream = upstream
        self.active = 0
        self.results: deque[dict[str, object]] = deque(maxlen=50)

    def open_stream(self, prompt: str) -> AbstractAsyncContextManager[TextDeltaStream]:
        if self.api == "chat":
            return self.client.chat.completions.stream(
                model=self.model, messages=[{"role": "user", "content": prompt}]
            )
        return self.client.responses.stream(model=self.model, input=prompt)

    def record(self, transport: str, result: RelayResult) -> None:
        self.results.append(
            {
                "transport": transport,
                "reason": result.reason,
                "frames": result.frames,
                "deltas": result.deltas,
                "chars": result.chars,
                "max_backlog_chars": result.max_backlog_chars,
            }
        )

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.websocket(scope, receive, send)
        else:
            await self.http(scope, receive, send)

    async def lifespan(
        self, scope: LifespanScope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        del scope
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(
        self, scope: HTTPScope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["path"] == "/":
            await respond(send, 200, "text/html; charset=utf-8", PAGE)
        elif scope["path"] == "/stats":
            stats = {
                "upstream": self.upstream,
                "pool": self.client.statistics(),
                "active_relays": self.active,
                "relays": list(self.results),
            }
            await respond(send, 200, "application/json", orjson.dumps(stats))
        elif scope["path"] == "/sse":
            query = parse_qs(scope["query_string"].decode())
            prompt = query.get("prompt", [""])[0]
            if not prompt:
                await respond(send, 400, "text/plain", b"?prompt= is required\n")
                return
            self.active += 1
            try:
                async with self.open_stream(prompt) as stream:
                    result = await relay_sse(stream, receive, send, max_fps=self.max_fps)
                self.record("sse", result)
            finally:
                self.active -= 1
        else:
            await respond(send, 404, "text/plain", b"not found\n")

    async def websocket(
        self, scope: WebsocketScope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        del scope
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept", "subprotocol": None, "headers": []})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            if message["type"] != "websocket.receive" or message["text"] is None:
                continue
            request = orjson.loads(message["text"])
            if not isinstance(request, dict) or request.get("type") != "prompt":  # pyright: ignore[reportUnknownMemberType]
                continue  # a late "stop" after the reply ended, or noise
            prompt = str(request.get("text", ""))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
            self.active += 1
            try:
                async with self.open_stream(prompt) as stream:
                    result = await relay_websocket(stream, receive, send, max_fps=self.max_fps)
                self.record("websocket", result)
            finally:
                self.active -= 1
            if result.reason == "disconnected":
                return


async def respond(send: ASGISendCallable, status: int, content_type: str, body: bytes) -> None:
    headers = [(b"content-type", content_type.encode()), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def open_upstream(
    stack: AsyncExitStack, base_url: str | None, pace: float
) -> tuple[trio_openai.OpenAI, str, str]:
    """(client, default model, description) for the chosen upstream."""
    if base_url:
        key = os.environ.get("OPENAI_API_KEY", "local")
        client = trio_openai.OpenAI(api_key=key, base_url=base_url)
        model = os.environ.get("OPENAI_MODEL", "default")  # llama-server serves one model
        return await stack.enter_async_context(client), model, base_url
    if os.environ.get("OPENAI_API_KEY"):
        client = await stack.enter_async_context(trio_openai.OpenAI())
        return client, os.environ.get("OPENAI_MODEL", "gpt-5.2"), "api.openai.com"
    from trio_openai.testing import open_local_server

    server = await stack.enter_async_context(open_local_server())
    server.echo_pace = pace
    client = trio_openai.OpenAI(api_key="local", base_url=server.base_url, max_retries=0)
    return await stack.enter_async_context(client), "echo-1", f"local echo {server.base_url}"


async def main(args: argparse.Namespace) -> None:
    async with AsyncExitStack() as stack:
        client, model, upstream = await open_upstream(stack, args.base_url, args.echo_pace)
        app = ChatApp(
            client,
            model=args.model or model,
            api=args.api,
            max_fps=args.max_fps,
            upstream=upstream,
        )
        config = Config()
        config.bind = [f"{args.host}:{args.port}"]
        config.accesslog = None
        config.graceful_timeout = 1.0
        async with trio.open_nursery() as nursery:
            urls: list[str] = await nursery.start(serve, app, config)  # pyright: ignore[reportUnknownArgumentType]
            print(f"chat UI on {urls[0]}/ (upstream: {upstream}, api: {args.api})", flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--api", choices=["responses", "chat"], default="responses")
    parser.add_argument("--max-fps", type=float, default=30.0)
    parser.add_argument(
        "--echo-pace", type=float, default=0.05, help="seconds between the echo model's tokens"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    with suppress(KeyboardInterrupt):
        trio.run(main, parse_args(sys.argv[1:]))
