"""Conversations: a durable thread the API keeps, which responses read from and add to.

`client.conversations.create()` makes one; `responses.create(conversation=conv.id)` runs a
turn in it (the API adds the turn's input and output items to the conversation); and
`client.conversations.items.list(conv.id)` pages through what it holds.

With OPENAI_API_KEY set, this talks to the real API (model from OPENAI_MODEL, default
gpt-5.2). Without a key, it starts the bundled local server inside this same Trio run and
scripts a small in-memory stand-in for the Conversations API there (the local server has
no /v1/conversations of its own): its "model" only reports how many items it can see.

    python examples/conversations.py
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import trio

import trio_openai

if TYPE_CHECKING:
    from trio_openai.testing import LocalServer, RecordedRequest, Reply


class FakeConversations:
    """Plays POST /conversations, POST /responses (with `conversation`) and the items list."""

    def __init__(self, conversation_id: str) -> None:
        self.id = conversation_id
        self.items: list[dict[str, Any]] = []

    def _add(self, role: str, text: str) -> dict[str, Any]:
        if role == "user":
            part: dict[str, Any] = {"type": "input_text", "text": text}
        else:
            part = {"type": "output_text", "text": text, "annotations": []}
        item = {
            "type": "message",
            "id": f"msg_{len(self.items) + 1}",
            "status": "completed",
            "role": role,
            "content": [part],
        }
        self.items.append(item)
        return item

    def create(self, request: RecordedRequest) -> Reply:
        from trio_openai.testing import Reply

        body = request.json()
        for item in body.get("items") or []:
            self._add(item["role"], item["content"])
        return Reply.json(
            {
                "id": self.id,
                "object": "conversation",
                "created_at": 1_700_000_000,
                "metadata": body.get("metadata") or {},
            }
        )

    def respond(self, request: RecordedRequest) -> Reply:
        from trio_openai.testing import Reply

        body = request.json()
        conversation = body.get("conversation")
        if isinstance(conversation, dict):  # {"id": ...} and a plain id are both allowed
            conversation = conversation.get("id")
        if conversation != self.id:
            return Reply.error(404, message=f"Conversation {conversation!r} not found.")
        seen = len(self.items)
        self._add("user", body["input"])
        answer = self._add("assistant", f"I can see {seen} earlier items.")
        return Reply.json(
            {
                "id": f"resp_{len(self.items)}",
                "object": "response",
                "created_at": 1_700_000_000,
                "status": "completed",
                "model": body["model"],
                "output": [answer],
                "conversation": {"id": self.id},
            }
        )

    def list_items(self, request: RecordedRequest) -> Reply:
        from trio_openai.testing import Reply

        items = self.items[::-1] if request.query.get("order") != ["asc"] else self.items
        return Reply.json(
            {
                "object": "list",
                "data": items,
                "first_id": items[0]["id"] if items else None,
                "last_id": items[-1]["id"] if items else None,
                "has_more": False,
            }
        )

    def install(self, server: LocalServer) -> None:
        from trio_openai.testing import Reply

        server.script("POST", "/v1/conversations", Reply.handler(self.create))
        server.script("POST", "/v1/responses", Reply.handler(self.respond))
        server.script("GET", f"/v1/conversations/{self.id}/items", Reply.handler(self.list_items))


async def main() -> None:
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI()
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            FakeConversations("conv_local_1").install(server)
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "local"
            print(f"(no OPENAI_API_KEY: a stand-in Conversations API at {server.base_url})")
        await stack.enter_async_context(client)

        conv = await client.conversations.create(metadata={"topic": "demo"})
        print("created conversation:", conv.id)

        first = await client.responses.create(
            model=model,
            input="Hello! Remember that my favorite color is blue.",
            conversation=conv.id,  # a plain id ...
            max_output_tokens=300,
        )
        print("first: ", first.output_text)

        second = await client.responses.create(
            model=model,
            input="What is my favorite color?",
            conversation={"id": conv.id},  # ... or the object form: the same request
            max_output_tokens=300,
        )
        print("second:", second.output_text)

        # An auto-paging list: `async for` fetches further pages as needed.
        count = 0
        async for item in client.conversations.items.list(conv.id, order="asc"):
            count += 1
            role = getattr(item, "role", "-")
            print(f"  {item.type:>8} {role:>9}: {item.id}")
        print(f"the conversation holds {count} items")

        if os.environ.get("OPENAI_API_KEY"):
            await client.conversations.delete(conv.id)  # items stay; the thread is gone
            print("deleted", conv.id)


if __name__ == "__main__":
    trio.run(main)
