"""WebSocket cassettes: a Realtime session recorded through the relay replays without the
server, its pacing in virtual time, and a different client message fails with the diff."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import trio
import trio.testing

import trio_openai
from trio_openai.testing import CassetteMismatchError, WsAction, open_ws_cassette, open_ws_server

KEY = "sk-ws-SECRET-0123456789"
DONE: dict[str, Any] = {
    "type": "response.done",
    "event_id": "event_9",
    "response": {
        "id": "resp_1",
        "object": "realtime.response",
        "status": "completed",
        "output": [],
    },
}  # after 12 s: a slow model
HELLO = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello"}]}


async def _conversation(base_url: str, text: str = "hello") -> list[tuple[float, dict[str, Any]]]:
    """Events of one Realtime exchange with the trio time each arrived, from the handshake."""
    item = {**HELLO, "content": [{"type": "input_text", "text": text}]}
    seen: list[tuple[float, dict[str, Any]]] = []
    async with trio_openai.OpenAI(api_key=KEY, base_url=base_url) as client:
        start = trio.current_time()
        async with client.realtime.connect(model="gpt-realtime") as conn:
            await conn.recv()  # session.created
            await conn.conversation.item.create(item=item)
            await conn.response.create()
            async for event in conn:
                seen.append((trio.current_time() - start, event.to_dict()))
                if event.type == "response.done":
                    break
    return seen


async def _record(path: Path) -> list[tuple[float, dict[str, Any]]]:
    async with open_ws_server() as upstream:
        upstream.on_message("response.create", WsAction.sleep(12.0), WsAction.send(DONE))
        async with open_ws_cassette(path, upstream=upstream.base_url, mode="all") as relay:
            return await _conversation(relay.base_url)


async def test_a_realtime_session_replays_without_the_server_in_virtual_time(
    autojump_clock: trio.testing.MockClock, tmp_path: Path
) -> None:
    path = tmp_path / "realtime.json"
    recorded = await _record(path)
    assert recorded[-1][1]["type"] == "response.done"
    written = path.read_bytes()
    assert b"SECRET" not in written
    session = orjson.loads(written)["websockets"][0]
    assert session["headers"]["authorization"] == "REDACTED"
    assert [f["client"]["type"] for f in session["frames"] if "client" in f] == [
        "conversation.item.create",
        "response.create",
    ]

    wall = time.monotonic()
    async with open_ws_cassette(path, mode="none") as player:
        replayed = await _conversation(player.base_url)
    assert time.monotonic() - wall < 1.0  # 12 virtual seconds of model time, no real waiting
    assert [event for _, event in replayed] == [event for _, event in recorded]
    assert [at for at, _ in replayed] == pytest.approx([at for at, _ in recorded], abs=1e-6)
    assert replayed[-1][0] == pytest.approx(12.0, abs=1e-6)  # response.done after the pause


async def test_a_different_client_message_fails_with_the_diff(tmp_path: Path) -> None:
    path = tmp_path / "realtime.json"
    async with (
        open_ws_server() as upstream,
        open_ws_cassette(path, upstream=upstream.base_url, mode="all") as relay,
    ):
        await _conversation(relay.base_url)
    with pytest.raises(
        CassetteMismatchError,
        match=r"message\.item\.content\[0\]\.text: recorded 'hello', sent 'bye'",
    ):
        async with open_ws_cassette(path, mode="none") as player:
            with pytest.raises(trio_openai.APIConnectionError):
                await _conversation(player.base_url, text="bye")


async def _responses_over_websocket(base_url: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with (
        trio_openai.OpenAI(api_key=KEY, base_url=base_url) as client,
        client.responses.connect() as ws,
    ):
        for word in ("hello world", "again"):
            async with ws.create(model="gpt-5.2", input=word) as stream:
                seen += [event.to_dict() async for event in stream]
    return seen


async def test_a_responses_websocket_session_replays(tmp_path: Path) -> None:
    path = tmp_path / "responses.json"
    async with (
        open_ws_server() as upstream,
        open_ws_cassette(path, upstream=upstream.base_url, mode="all") as relay,
    ):
        recorded = await _responses_over_websocket(relay.base_url)
    assert [e["type"] for e in recorded].count("response.completed") == 2
    async with open_ws_cassette(path, mode="none") as player:
        assert await _responses_over_websocket(player.base_url) == recorded


async def test_an_upstream_refusal_reaches_the_client_through_the_relay(tmp_path: Path) -> None:
    path = tmp_path / "refused.json"
    async with (
        open_ws_server() as upstream,
        open_ws_cassette(path, upstream=upstream.base_url, mode="all") as relay,
    ):
        upstream.reject_next(401, {"error": {"message": "bad key", "code": "invalid_api_key"}})
        with pytest.raises(trio_openai.AuthenticationError, match="bad key"):
            await _conversation(relay.base_url)
        assert await _conversation(relay.base_url)  # the relay still serves the next session
