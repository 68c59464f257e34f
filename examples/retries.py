"""Retries: what is retried, how often, and how to change it.

Like the official SDKs, a request is retried twice by default after a connection error,
a timeout of the attempt, 408, 409, 429 or any 5xx, waiting 0.5 s * 2^n (at most 8 s, with
jitter) or what the server's `retry-after-ms` / `retry-after` header asks. A server's
`x-should-retry` header overrides the choice; each attempt says which it is in
`x-stainless-retry-count`. Other 4xx errors, and your own cancellation, are never retried.

Set the number on the client (`OpenAI(max_retries=...)`), on a derived client
(`client.with_options(max_retries=...)`) or per call (`max_retries=...`); 0 turns it off.
`with_raw_response` tells how many retries a call took.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2),
which will most likely answer the first time. Without a key, it starts the bundled local
server inside this same Trio run and scripts two 503s before a success.

    python examples/retries.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack

import trio

import trio_openai
from trio_openai.testing import LocalServer, Reply, open_local_server

ANSWER = {
    "id": "resp_after_retries",
    "object": "response",
    "created_at": 1_700_000_000,
    "status": "completed",
    "model": "local",
    "output": [
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Third time lucky.", "annotations": []}],
        }
    ],
}


def script_flaky(server: LocalServer) -> None:
    server.reset()
    unavailable = Reply.error(503, message="Service busy", type="server_error")
    hinted = Reply.error(503, headers={"retry-after-ms": "100"}, type="server_error")
    # Two failures, then an answer; each request takes the next reply.
    server.script("POST", "/v1/responses", unavailable, hinted, Reply.json(ANSWER))


async def main() -> None:
    async with AsyncExitStack() as stack:
        server: LocalServer | None = None
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI(max_retries=4)
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            server = await stack.enter_async_context(open_local_server())
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url, max_retries=4)
            model = "local"
            print(f"(no OPENAI_API_KEY: the local server at {server.base_url} fails twice first)")
        await stack.enter_async_context(client)

        print("Retried until it works (the client allows 4 retries):")
        if server is not None:
            script_flaky(server)
        start = trio.current_time()
        raw = await client.with_raw_response.responses.create(
            model=model, input="Hello!", max_output_tokens=100
        )
        elapsed = trio.current_time() - start
        print(f"  {raw.parsed.output_text!r} after {raw.retries_taken} retries, {elapsed:.1f} s")
        if server is not None:
            counts = [r.headers["x-stainless-retry-count"] for r in server.requests]
            print(f"  x-stainless-retry-count of each attempt: {counts}")

        print("No retries for this call:")
        if server is not None:
            script_flaky(server)
        try:
            response = await client.responses.create(
                model=model, input="Hello!", max_output_tokens=100, max_retries=0
            )
            print(f"  {response.output_text!r}")
        except trio_openai.InternalServerError as err:
            print(f"  {type(err).__name__} {err.status_code} at once: {err.message}")

        print("A derived client with its own setting:")
        if server is not None:
            script_flaky(server)
        patient = client.with_options(max_retries=1)
        try:
            await patient.responses.create(model=model, input="Hello!", max_output_tokens=100)
            print("  answered")
        except trio_openai.InternalServerError as err:
            print(f"  gave up after 1 retry: {err.status_code}")

        if server is not None:
            print("The server says not to retry (x-should-retry: false):")
            server.reset()
            refusal = Reply.error(503, headers={"x-should-retry": "false"}, type="server_error")
            server.script("POST", "/v1/responses", refusal)
            try:
                await client.responses.create(model=model, input="Hello!")
            except trio_openai.InternalServerError:
                print(f"  {len(server.requests)} attempt, despite max_retries=4")


if __name__ == "__main__":
    trio.run(main)
