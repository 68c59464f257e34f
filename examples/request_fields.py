"""Request fields: omitted vs null, nested parameters, and extra_body/extra_query/extra_headers.

- A keyword you leave out (its default is `omit`) is not sent at all; `None` sends JSON
  `null`, which the API reads as "unset" for nullable fields.
- Nested parameters are plain dicts and lists. `trio_openai.types.params` has a TypedDict
  for each, so a type checker can check them; calling one just builds a dict. Inside a
  dict, "absent" means leaving the key out.
- `extra_body` adds top-level keys to the JSON body, `extra_query` query parameters and
  `extra_headers` headers, for what this version of the library does not know yet.

A small middleware prints each request as it goes out, so you see the exact body.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2);
with OPENAI_BASE_URL as well, any OpenAI-compatible server. Without a key, it starts the
bundled local server (a deterministic echo model) inside this same Trio run.

    python examples/request_fields.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

import trio

import trio_openai
from trio_openai.types.params import EasyInputMessageParam, InputParam

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import httpx


async def show_request(
    request: httpx.Request, call_next: Callable[[httpx.Request], Awaitable[httpx.Response]]
) -> httpx.Response:
    """Middleware: print the method, URL, our custom header and the JSON body."""
    query = request.url.query.decode()
    print(f"  -> {request.method} {request.url.path}{'?' + query if query else ''}")
    print(f"     x-example: {request.headers.get('x-example', '-')}")
    print(f"     {request.content.decode()}")
    return await call_next(request)


async def main() -> None:
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI(middleware=[show_request])
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            client = trio_openai.OpenAI(
                api_key="local", base_url=server.base_url, middleware=[show_request]
            )
            model = "echo-1"
            print(f"(no OPENAI_API_KEY: asking the local echo server at {server.base_url})")
        await stack.enter_async_context(client)

        print("1. Only what you give is sent (no temperature key at all):")
        await client.responses.create(model=model, input="Say hi.", max_output_tokens=100)

        print("2. None sends null: 'no value', not 'leave it to the default':")
        await client.responses.create(
            model=model, input="Say hi.", max_output_tokens=100, temperature=None
        )

        print("3. Nested parameters are dicts; the TypedDicts only help the type checker:")
        message = EasyInputMessageParam(type="message", role="user", content="Say hi.")
        conversation: InputParam = [message]
        await client.responses.create(
            model=model,
            input=conversation,
            text={"format": {"type": "text"}},  # ResponseTextParam; keys left out are absent
            metadata={"example": "request_fields"},
            max_output_tokens=100,
        )

        print("4. extra_body, extra_query and extra_headers, for what the library lacks:")
        response = await client.responses.create(
            model=model,
            input="Say hi.",
            max_output_tokens=100,
            extra_body={"prompt_cache_key": "request-fields-demo"},  # merged at the top level
            extra_query={"trace": "1"},
            extra_headers={"X-Example": "request-fields"},
        )
        print("  <-", response.output_text.strip()[:60] or "(no text)")


if __name__ == "__main__":
    trio.run(main)
