"""Errors: one exception class per failure, with everything needed to report it.

A 4xx/5xx answer raises a subclass of `APIStatusError` chosen by the status
(`BadRequestError` for 400, `NotFoundError` for 404, `RateLimitError` for 429, ...). Each
carries `status_code`, `request_id`, the parsed `body` with its `code`/`param`/`type`, the
httpx `request` and `response`, and `dump()`: a dict for logs with the credentials
redacted. A server that cannot be reached raises `APIConnectionError` instead, and an
error event inside a stream raises `StreamError`. All derive from `OpenAIError`.

With OPENAI_API_KEY set, this provokes real errors from the API (or the server at
OPENAI_BASE_URL): an invalid input item and an unknown response id. Without a key, it
starts the bundled local server inside this same Trio run and scripts the same errors,
plus a 429 and an error event in the middle of a stream.

    python examples/errors.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import orjson
import trio

import trio_openai
from trio_openai.types.chat import ChatCompletionMessageParam

if TYPE_CHECKING:
    from trio_openai.testing import LocalServer


def script_local_server(server: LocalServer) -> None:
    from trio_openai.testing import Reply

    server.script(
        "POST",
        "/v1/responses",
        Reply.error(
            400,
            message="Invalid value: 'no_such_item'. Supported values are: 'message', ...",
            param="input[0].type",
            code="invalid_value",
        ),
        Reply.error(
            429,
            message="Rate limit reached for requests.",
            type="requests",
            code="rate_limit_exceeded",
        ),
    )
    # GET /v1/responses/... has no route of its own there: the server answers 404.
    server.script(
        "POST",
        "/v1/chat/completions",
        Reply.sse(
            [
                {
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {"content": "Hel"}}],
                },
                {
                    "error": {
                        "message": "The server had an error mid-stream.",
                        "type": "server_error",
                    }
                },
            ]
        ),
    )


async def main() -> None:
    async with AsyncExitStack() as stack:
        offline = not os.environ.get("OPENAI_API_KEY")
        if not offline:
            client = trio_openai.OpenAI()
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            script_local_server(server)
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "local"
            print(f"(no OPENAI_API_KEY: the local server at {server.base_url} plays the API)")
        await stack.enter_async_context(client)

        print("A bad request:")
        try:
            bad_item: Any = {"type": "no_such_item"}  # not a valid input item: the server says so
            await client.responses.create(model=model, input=[bad_item])
        except trio_openai.BadRequestError as err:
            print(f"  {type(err).__name__} {err.status_code}, request id {err.request_id}")
            print(f"  message: {err.message}")
            print(f"  code={err.code} param={err.param} type={err.type}")
            dump = err.dump()  # JSON-able; the Authorization header shows as <redacted>
            print(f"  dump() keys: {sorted(dump)}")
            print(f"  sent Authorization: {dump['request']['headers'].get('authorization')}")

        print("Something that does not exist:")
        try:
            await client.responses.retrieve("resp_does_not_exist")
        except trio_openai.NotFoundError as err:
            print(f"  {err!r}")

        print("Any status error, by its base class:")
        try:
            once = client.with_options(max_retries=0)
            await once.responses.create(model=model, input="Hi", max_output_tokens=50)
            print("  (no error this time)")
        except trio_openai.RateLimitError as err:  # 429s are retried unless max_retries=0
            print(f"  rate limited: {err.code}")
        except trio_openai.APIStatusError as err:
            print(f"  status {err.status_code}")

        print("A server that cannot be reached:")
        unreachable = client.with_options(base_url="http://127.0.0.1:9/v1", max_retries=0)
        try:
            await unreachable.models.list().first_page()
        except trio_openai.APIConnectionError as err:
            print(f"  {type(err).__name__}: {err} (cause: {type(err.__cause__).__name__})")

        if offline:
            print("An error event inside a stream:")
            messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hi"}]
            try:
                async with client.chat.completions.stream(model=model, messages=messages) as stream:
                    async for text in stream.text_deltas():
                        print(f"  got {text!r}")
            except trio_openai.StreamError as err:
                print(f"  {type(err).__name__}: {err.message}")
                print(f"  body: {orjson.dumps(err.body).decode()}")


if __name__ == "__main__":
    trio.run(main)
