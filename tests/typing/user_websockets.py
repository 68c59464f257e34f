"""WebSocket sessions as a user writes them: the Responses WebSocket mode and Realtime."""

from __future__ import annotations

from typing import assert_type

import trio_openai
from trio_openai import RealtimeConnection, ResponsesWebSocket
from trio_openai.types.responses import Response


async def responses_websocket(client: trio_openai.OpenAI) -> None:
    async with client.responses.connect() as ws:
        assert_type(ws, ResponsesWebSocket)
        async with ws.create(model="gpt-5.2", input="Write a haiku") as stream:
            async for event in stream:
                if event.type == "response.output_text.delta":
                    assert_type(event.delta, str)
            final = await stream.get_final_response()
            assert_type(final, Response)
            assert_type(final.id, str)


async def realtime(client: trio_openai.OpenAI) -> None:
    async with client.realtime.connect(model="gpt-realtime") as conn:
        assert_type(conn, RealtimeConnection)
        await conn.session.update(session={"type": "realtime", "instructions": "Be brief."})
        async for event in conn:
            if event.type == "response.output_text.delta":
                assert_type(event.delta, str)
            elif event.type == "error":
                assert_type(event.error.message, str)
