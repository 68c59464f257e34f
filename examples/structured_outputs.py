"""Structured Outputs: get an attrs instance back instead of text.

With OPENAI_API_KEY set, this asks the real API (model from OPENAI_MODEL, default gpt-5.2).
Without a key, it starts the bundled local server inside this same Trio run and scripts it
to answer like a model would, so the example works on a fresh machine.

    python examples/structured_outputs.py "Alice and Bob meet for lunch on Friday, 12:30."
"""

from __future__ import annotations

import enum
import os
import sys
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Annotated

import attrs
import orjson
import trio

import trio_openai
from trio_openai.lib import StructuredOutputError, parse_chat, parse_responses

if TYPE_CHECKING:
    from trio_openai.testing import LocalServer


class Kind(enum.Enum):
    MEETING = "meeting"
    MEAL = "meal"
    CALL = "call"


@attrs.frozen
class Participant:
    name: str
    email: str | None


@attrs.frozen
class CalendarEvent:
    """An event extracted from free text."""

    title: str
    kind: Kind
    day: Annotated[str, "weekday or ISO date, as written"]
    time: Annotated[str | None, "24-hour HH:MM, null when not given"]
    participants: list[Participant]


# What the scripted local server answers (a real model writes this from the prompt).
CANNED = {
    "title": "Lunch",
    "kind": "meal",
    "day": "Friday",
    "time": "12:30",
    "participants": [{"name": "Alice", "email": None}, {"name": "Bob", "email": None}],
}


def script_local_server(server: LocalServer) -> None:
    from trio_openai.testing import Reply

    text = orjson.dumps(CANNED).decode()
    part = {"type": "output_text", "text": text, "annotations": []}
    message = {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed"}
    server.script(
        "POST",
        "/v1/responses",
        Reply.json(
            {
                "id": "resp_1",
                "object": "response",
                "created_at": 0,
                "status": "completed",
                "model": "local",
                "output": [{**message, "content": [part]}],
            }
        ),
    )
    choice = {
        "index": 0,
        "finish_reason": "stop",
        "message": {"role": "assistant", "content": text, "refusal": None},
    }
    server.script(
        "POST",
        "/v1/chat/completions",
        Reply.json(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "local",
                "choices": [choice],
            }
        ),
    )


async def main(text: str) -> None:
    async with AsyncExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            client = trio_openai.OpenAI()
            model = os.environ.get("OPENAI_MODEL", "gpt-5.2")
        else:
            from trio_openai.testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            script_local_server(server)
            client = trio_openai.OpenAI(api_key="local", base_url=server.base_url)
            model = "local"
            print(f"(no OPENAI_API_KEY: the local server at {server.base_url} plays the model)")
        await stack.enter_async_context(client)

        instructions = "Extract the calendar event from the user's text."
        try:
            # The Responses API: the schema goes in text.format.
            parsed = await parse_responses(
                client,
                model=model,
                instructions=instructions,
                input=text,
                text_format=CalendarEvent,
            )
            if parsed.refusal is not None:
                print("refused:", parsed.refusal)
            else:
                print("responses:", parsed.output_parsed)

            # Chat completions: the schema goes in response_format.
            completion = await parse_chat(
                client,
                model=model,
                messages=[
                    {"role": "system", "content": instructions},
                    {"role": "user", "content": text},
                ],
                response_format=CalendarEvent,
            )
            message = completion.choices[0].message
            print("chat:     ", message.parsed if message.refusal is None else message.refusal)
        except StructuredOutputError as exc:  # not JSON of that type (a truncated answer...)
            print(f"unparseable output ({exc}):\n{exc.raw}")


if __name__ == "__main__":
    trio.run(main, " ".join(sys.argv[1:]) or "Alice and Bob meet for lunch on Friday, 12:30.")
