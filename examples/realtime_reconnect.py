"""A Realtime session that survives a dropped connection.

Runs with no network: it starts the bundled scripted WebSocket server inside this same Trio
run and has it drop the connection (no close frame, as a flaky network does) in the middle
of the first answer. The session reconnects by itself; the example shows what the
application sees and what it does about it:

- ``on_reconnecting`` is told about each attempt (it could return fresh headers, or
  ``{"abort": True}``);
- ``recv`` raises ``WebSocketInterruptedError`` once: the answer in flight is lost and the
  new connection is a new server session (its ``session.update`` was sent again for us,
  its conversation is empty), so the application sends its turn again.

    python examples/realtime_reconnect.py
"""

from __future__ import annotations

import trio

import trio_openai
from trio_openai import ReconnectingEvent, WebSocketInterruptedError
from trio_openai.testing import open_ws_server

SESSION = {"type": "realtime", "output_modalities": ["text"], "instructions": "Be brief."}
QUESTION = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "is the line stable?"}],
}


def on_reconnecting(event: ReconnectingEvent) -> None:
    print(
        f"  (connection lost, code {event.close_code}: attempt {event.attempt}/"
        f"{event.max_attempts} in {event.delay:.2f} s)"
    )


async def ask(conn: trio_openai.RealtimeConnection) -> str:
    """One turn; sent again if the connection drops while it is answered."""
    while True:
        await conn.conversation.item.create(item=QUESTION)
        await conn.response.create()
        text = ""
        try:
            while (event := await conn.recv()).type != "response.done":
                if event.type == "response.output_text.delta":
                    text += event.delta
                    print(f"  delta: {event.delta!r}")
            return text
        except WebSocketInterruptedError as exc:
            print(f"  interrupted: lost responses {list(exc.lost_responses)}; asking again")


async def main() -> None:
    async with open_ws_server() as server:
        server.drop_next_after(6)  # greeting, session.updated, item, 3 events of the answer
        async with (
            trio_openai.OpenAI(api_key="local", base_url=server.base_url) as client,
            client.realtime.connect(
                model="echo-realtime", on_reconnecting=on_reconnecting, initial_delay=0.1
            ) as conn,
        ):
            await conn.session.update(session=SESSION)
            print("> is the line stable?")
            answer = await ask(conn)
            print(f"< {answer}")
            print(f"reconnections: {conn.reconnects}")
        replayed = server.sessions[1].messages[0]
        print(f"first message on the new connection: {replayed['type']} (replayed)")


if __name__ == "__main__":
    trio.run(main)
