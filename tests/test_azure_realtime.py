"""AzureOpenAI's Realtime sessions over real sockets: the deployment routing, api-version,
Azure credentials in the handshake, and a reconnection that fetches a fresh token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio
import trio.lowlevel

import trio_openai
from trio_openai._ws_reconnect import ReconnectingEvent, WebSocketInterruptedError
from trio_openai.azure import AzureOpenAI
from trio_openai.testing._ws_server import WebSocketTestServer, open_ws_server

VERSION = "2025-08-28"


@pytest.fixture
async def server() -> AsyncIterator[WebSocketTestServer]:
    async with open_ws_server() as s:
        yield s


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION"):
        monkeypatch.delenv(name, raising=False)


async def test_a_pinned_deployment_wins_over_model(server: WebSocketTestServer) -> None:
    async with (
        AzureOpenAI(
            azure_endpoint=server.origin,
            azure_deployment="pinned-rt",
            api_version=VERSION,
            api_key="azure-key",
        ) as azure,
        azure.realtime.connect(model="ignored") as conn,
    ):
        assert (await conn.recv()).type == "session.created"
    session = server.sessions[0]
    assert session.path == "/openai/realtime"
    assert session.query == {"api-version": VERSION, "deployment": "pinned-rt"}


async def test_api_version_follows_with_options(server: WebSocketTestServer) -> None:
    async with AzureOpenAI(
        azure_endpoint=server.origin, api_version=VERSION, api_key="azure-key"
    ) as azure:
        newer = azure.with_options(api_version="2026-01-01")
        async with newer.realtime.connect(model="rt") as conn:
            await conn.recv()
    assert server.sessions[0].query == {"api-version": "2026-01-01", "deployment": "rt"}


async def test_a_base_url_client_routes_under_it(server: WebSocketTestServer) -> None:
    async with (
        AzureOpenAI(
            base_url=f"{server.origin}/openai", api_version=VERSION, api_key="azure-key"
        ) as azure,
        azure.realtime.connect(model="rt") as conn,
    ):
        await conn.recv()
    assert server.sessions[0].path == "/openai/realtime"
    assert server.sessions[0].query == {"api-version": VERSION, "deployment": "rt"}


async def test_no_deployment_is_a_clear_error(server: WebSocketTestServer) -> None:
    async with AzureOpenAI(
        azure_endpoint=server.origin, api_version=VERSION, api_key="azure-key"
    ) as azure:
        with pytest.raises(trio_openai.OpenAIError, match="azure_deployment"):
            async with azure.realtime.connect():
                pass
    assert server.sessions == []


async def test_entra_tokens_are_fetched_again_on_reconnect(server: WebSocketTestServer) -> None:
    tokens = iter(["entra-1", "entra-2", "entra-3"])

    async def token_provider() -> str:
        await trio.lowlevel.checkpoint()
        return next(tokens)

    def again(event: ReconnectingEvent) -> None:
        return None

    server.drop_next_after(1)
    async with (
        AzureOpenAI(
            azure_endpoint=server.origin,
            api_version=VERSION,
            azure_ad_token_provider=token_provider,
        ) as azure,
        azure.realtime.connect(
            model="rt", on_reconnecting=again, initial_delay=0.001, max_delay=0.01
        ) as conn,
    ):
        assert (await conn.recv()).type == "session.created"
        with pytest.raises(WebSocketInterruptedError):
            await conn.recv()
        assert (await conn.recv()).type == "session.created"
    first, second = server.sessions
    assert first.headers["authorization"] == "Bearer entra-1"
    assert second.headers["authorization"] == "Bearer entra-2"
    assert second.query == {"api-version": VERSION, "deployment": "rt"}
    assert "api-key" not in second.headers
