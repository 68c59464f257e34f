"""Middleware: wrap every HTTP attempt with your own code (logging, tracing, headers).

A middleware is an async function `(request, call_next) -> response`: it may change the
`httpx.Request`, must `await call_next(request)` to send it on, and may look at the
`httpx.Response` before returning it. The second parameter must be named `call_next`
(it is passed by keyword). The response's body has not been read yet (a stream is still
streaming), so look at its status and headers, not its content.

Give a list to the client (`OpenAI(middleware=[...])`, every request) or to a call
(`middleware=[...]`, that request only). The client's run first, outermost, then the
call's; each runs once per attempt, so retries show up in them.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2);
with OPENAI_BASE_URL as well, any OpenAI-compatible server. Without a key, it starts the
bundled local server (a deterministic echo model) inside this same Trio run and makes one
request fail once, so the retry passes through the middleware too.

    python examples/middleware.py
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

import httpx
import trio

import trio_openai
from trio_openai.types.chat import ChatCompletionMessageParam

CallNext = Callable[[httpx.Request], Awaitable[httpx.Response]]


async def log_requests(request: httpx.Request, call_next: CallNext) -> httpx.Response:
    """Log each attempt: method, path, status, request id and time taken."""
    start = trio.current_time()
    attempt = request.headers.get("x-stainless-retry-count", "0")
    try:
        response = await call_next(request)
    except Exception as exc:
        print(f"  [log] {request.method} {request.url.path} failed: {type(exc).__name__}")
        raise
    elapsed = (trio.current_time() - start) * 1000
    request_id = response.headers.get("x-request-id", "-")
    print(
        f"  [log] {request.method} {request.url.path} attempt {attempt} -> "
        f"{response.status_code} ({request_id}, {elapsed:.0f} ms)"
    )
    return response


async def add_trace_id(request: httpx.Request, call_next: CallNext) -> httpx.Response:
    """Give every request a trace id header (a new one per attempt)."""
    request.headers["X-Trace-Id"] = uuid.uuid4().hex[:12]
    return await call_next(request)


def tag(name: str) -> Callable[[httpx.Request, CallNext], Awaitable[httpx.Response]]:
    """A middleware factory: shows the nesting order of client and call middleware."""

    async def middleware(request: httpx.Request, call_next: CallNext) -> httpx.Response:
        print(f"  [{name}] before (trace {request.headers.get('x-trace-id', '-')})")
        response = await call_next(request)
        print(f"  [{name}] after")
        return response

    return middleware


async def main() -> None:
    async with AsyncExitStack() as stack:
        server = None
        api_key = base_url = None  # None: OPENAI_API_KEY and OPENAI_BASE_URL
        model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        if not os.environ.get("OPENAI_API_KEY"):
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            api_key, base_url = "local", server.base_url
            model = "echo-1"
            print(f"(no OPENAI_API_KEY: asking the local echo server at {server.base_url})")
        client = trio_openai.OpenAI(
            api_key=api_key, base_url=base_url, middleware=[log_requests, add_trace_id]
        )
        await stack.enter_async_context(client)

        print("Client middleware on every request:")
        response = await client.responses.create(
            model=model, input="Say hi.", max_output_tokens=100
        )
        print(f"  {response.output_text.strip()[:60]!r}")

        print("Plus call middleware, inside the client's:")
        await client.models.list(middleware=[tag("call")]).first_page()

        if server is not None:
            from trio_openai.testing import Reply

            print("A retried request passes through the middleware once per attempt:")
            server.script(
                "POST",
                "/v1/chat/completions",
                Reply.error(503, headers={"retry-after-ms": "50"}),
                Reply.json(
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": 0,
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": "Hi again."},
                            }
                        ],
                    }
                ),
            )
            messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hi."}]
            completion = await client.chat.completions.create(model=model, messages=messages)
            print(f"  {completion.choices[0].message.content!r}")


if __name__ == "__main__":
    trio.run(main)
