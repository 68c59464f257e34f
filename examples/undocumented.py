"""Undocumented endpoints, request fields and response fields.

- Endpoints: `client.get/post/put/patch/delete(path, ...)` (and `client.request(method,
  path, ...)`) reach any path with the client's auth, retries, middleware and typed
  errors. The JSON result comes back as plain dicts and lists, or through `cast_to`
  (any callable, e.g. a model's `from_dict`). `client.stream(method, path, body=...)`
  streams server-sent events from any path.
- Request fields: `extra_body={...}` adds keys to the JSON body of any typed method.
- Response fields: keys a model does not declare are kept in its `.extra` dict, and
  `to_dict()` gives the whole JSON object back.

With OPENAI_API_KEY set, this talks to the real API (or the server at OPENAI_BASE_URL),
using documented paths through the generic verbs. Without a key, it starts the bundled
local server inside this same Trio run and scripts an endpoint the library has no method
for, and a response carrying a field the spec does not have.

    python examples/undocumented.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import trio

import trio_openai
from trio_openai.types import Response

if TYPE_CHECKING:
    from trio_openai.testing import LocalServer, RecordedRequest, Reply


def script_local_server(server: LocalServer) -> None:
    from trio_openai.testing import Reply

    def reverse(request: RecordedRequest) -> Reply:
        text = request.json()["text"]
        return Reply.json({"object": "reversal", "text": text[::-1]})

    def respond(request: RecordedRequest) -> Reply:
        body = request.json()
        message = {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Hello!", "annotations": []}],
        }
        return Reply.json(
            {
                "id": "resp_1",
                "object": "response",
                "created_at": 1_700_000_000,
                "status": "completed",
                "model": body["model"],
                "output": [message],
                # not in the spec: what a newer API might send
                "moon_phase": "waxing gibbous",
                "echoed_flag": body.get("experimental_flag"),
            }
        )

    server.script("POST", "/v1/text/reverse", Reply.handler(reverse))
    server.script("POST", "/v1/responses", Reply.handler(respond))


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

        print("An endpoint without a method:")
        if offline:
            result: Any = await client.post("/text/reverse", body={"text": "stressed"})
            print(f"  POST /text/reverse -> {result}")
        models = await client.get("/models")  # relative to base_url; an absolute URL works too
        print(f"  GET /models -> {len(models['data'])} models")

        print("The same, decoded into a model with cast_to:")
        response = await client.post(
            "/responses",
            body={"model": model, "input": "Say hello.", "max_output_tokens": 100},
            cast_to=Response.from_dict,
        )
        print(f"  {type(response).__name__} {response.id}, {len(response.output)} output item(s)")

        print("A field the method does not have, through extra_body:")
        # (The real API refuses unknown keys, so online this sends a documented one.)
        extra_body = {"experimental_flag": True} if offline else {"store": False}
        response = await client.responses.create(
            model=model, input="Say hello.", max_output_tokens=100, extra_body=extra_body
        )
        print(f"  sent {extra_body} at the top level of the body")

        print("Fields the model does not declare, in .extra:")
        print(f"  {response.extra or '(none: every field is known)'}")
        raw = response.to_dict()  # the whole JSON object, undeclared keys included
        print(f"  to_dict() has {len(raw)} keys")

        print("Server-sent events from any path, as plain dicts:")
        messages = [{"role": "user", "content": "Say hello."}]
        body = {"model": model, "messages": messages, "max_completion_tokens": 100, "stream": True}
        async with client.stream("POST", "/chat/completions", body=body) as stream:
            chunks = [chunk async for chunk in stream]
        text = "".join(
            c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
        )
        print(f"  {len(chunks)} chunks: {text.strip()[:60]!r}")


if __name__ == "__main__":
    trio.run(main)
