"""Raw responses: the HTTP status, headers and request id next to the parsed result.

`client.responses.with_raw_response.create(...)` (any resource, any method; or
`client.with_raw_response.responses.create(...)`) returns an `APIResponse`: `.parse()` (what
the call would have returned), `.status_code`, `.headers`, `.request_id`, `.retries_taken`
and `.http_response` (the httpx.Response). `with_streaming_response` gives the headers at
once and the body as you read it, inside `async with`. Streams carry their response
themselves, and errors carry theirs in `err.response`.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2),
whose headers include the rate-limit budget; with OPENAI_BASE_URL as well, any
OpenAI-compatible server. Without a key, it starts the bundled local server (a
deterministic echo model) inside this same Trio run.

    python examples/raw_responses.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack

import trio

import trio_openai
from trio_openai.types.chat import ChatCompletionMessageParam

INTERESTING = (
    "content-type",
    "openai-processing-ms",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
)


async def main() -> None:
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI()
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "echo-1"
            print(f"(no OPENAI_API_KEY: asking the local echo server at {server.base_url})")
        await stack.enter_async_context(client)

        raw = await client.responses.with_raw_response.create(
            model=model, input="Say this is a test", max_output_tokens=100
        )
        print(f"status {raw.status_code}, request id {raw.request_id}, {raw.retries_taken} retries")
        for name in INTERESTING:
            if name in raw.headers:
                print(f"  {name}: {raw.headers[name]}")
        response = raw.parse()  # the typed Response a plain call returns
        print(f"parsed: {response.output_text.strip()[:70]!r}")
        print(f"elapsed on the wire: {raw.http_response.elapsed.total_seconds():.3f} s")

        # Streams: the response (status, headers) is there as soon as the block opens.
        messages: list[ChatCompletionMessageParam] = [
            {"role": "user", "content": "Say this is a test"}
        ]
        async with client.chat.completions.stream(
            model=model, messages=messages, max_completion_tokens=100
        ) as stream:
            print(f"stream: status {stream.response.status_code}, request id {stream.request_id}")
            await stream.until_done()

        # The body as it arrives; the connection is released when the block ends.
        async with client.models.with_streaming_response.list() as listed:
            print(f"models: status {listed.status_code}, {len(await listed.read())} bytes")

        # Errors: the response that carried the error.
        try:
            await client.responses.retrieve("resp_does_not_exist")
        except trio_openai.APIStatusError as err:
            print(f"error: status {err.response.status_code}, request id {err.request_id}")


if __name__ == "__main__":
    trio.run(main)
