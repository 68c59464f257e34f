"""AzureOpenAI over real sockets: deployment routing, api-version, the three credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio
import trio.lowlevel

import trio_openai
from trio_openai.azure import AzureOpenAI
from trio_openai.testing import LocalServer, Reply

VERSION = "2024-10-21"
KEY = "azure-key-SECRET-123"
CHAT = {"model": "my-dep", "messages": [{"role": "user", "content": "hi"}]}
AZURE_ENV = (
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_AD_TOKEN",
    "AZURE_OPENAI_ENDPOINT",
    "OPENAI_API_VERSION",
    "OPENAI_BASE_URL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in AZURE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-must-not-be-sent")


@pytest.fixture
async def azure(local_server: LocalServer) -> AsyncIterator[AzureOpenAI]:
    async with AzureOpenAI(
        azure_endpoint=local_server.origin + "/", api_version=VERSION, api_key=KEY
    ) as client:
        yield client


def last(server: LocalServer) -> trio_openai.testing.RecordedRequest:
    return server.requests[-1]


async def test_deployment_route_takes_the_model_from_the_body(
    azure: AzureOpenAI, local_server: LocalServer
) -> None:
    path = "/openai/deployments/my-dep/chat/completions"
    local_server.script("POST", path, Reply.json({"id": "chatcmpl-1"}))
    assert await azure.post("/chat/completions", body=CHAT) == {"id": "chatcmpl-1"}
    request = last(local_server)
    assert request.path == path
    assert request.query == {"api-version": [VERSION]}
    assert request.headers["api-key"] == KEY
    assert "authorization" not in request.headers
    assert request.json() == CHAT


async def test_other_routes_go_to_the_account(
    azure: AzureOpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/openai/models", Reply.json({"object": "list", "data": []}))
    local_server.script("POST", "/openai/files", Reply.json({"id": "file-1"}))
    local_server.script("POST", "/openai/responses", Reply.json({"id": "resp-1"}))
    await azure.get("/models")
    assert last(local_server).query == {"api-version": [VERSION]}
    await azure.post("/files", files={"file": b"{}", "purpose": "batch"})
    # /responses is not a deployment route: the model stays in the body.
    await azure.post("/responses", body={"model": "my-dep", "input": "hi"})
    assert [r.path for r in local_server.requests] == [
        "/openai/models",
        "/openai/files",
        "/openai/responses",
    ]


async def test_every_deployment_route_is_rewritten(
    azure: AzureOpenAI, local_server: LocalServer
) -> None:
    routes = [
        "/completions",
        "/chat/completions",
        "/embeddings",
        "/audio/speech",
        "/images/generations",
    ]
    for route in routes:
        local_server.script("POST", f"/openai/deployments/dep-x{route}", Reply.json({}))
        await azure.post(route, body={"model": "dep-x", "input": "a"})
    assert [r.path for r in local_server.requests] == [
        f"/openai/deployments/dep-x{route}" for route in routes
    ]


async def test_a_route_without_a_model_is_not_rewritten(
    azure: AzureOpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/openai/chat/completions", Reply.json({}))
    await azure.post("/chat/completions", body={"messages": []})
    assert last(local_server).path == "/openai/chat/completions"


async def test_multipart_uploads_route_by_their_model_field(
    azure: AzureOpenAI, local_server: LocalServer
) -> None:
    path = "/openai/deployments/whisper-1/audio/transcriptions"
    local_server.script("POST", path, Reply.json({"text": "hello"}))
    result = await azure.post(
        "/audio/transcriptions", files={"file": ("a.wav", b"RIFF"), "model": "whisper-1"}
    )
    assert result == {"text": "hello"}
    assert last(local_server).path == path
    assert b'name="model"' in last(local_server).body


async def test_streams_are_routed_too(azure: AzureOpenAI, local_server: LocalServer) -> None:
    path = "/openai/deployments/my-dep/chat/completions"
    local_server.script("POST", path, Reply.sse([{"choices": [{"delta": {"content": "hi"}}]}]))
    async with azure.stream("POST", "/chat/completions", body={**CHAT, "stream": True}) as s:
        events = [event async for event in s]
    assert events == [{"choices": [{"delta": {"content": "hi"}}]}]
    assert last(local_server).path == path
    assert last(local_server).query == {"api-version": [VERSION]}


async def test_a_pinned_deployment_serves_its_routes_and_leaves_the_rest(
    local_server: LocalServer,
) -> None:
    local_server.script("POST", "/openai/deployments/pinned/chat/completions", Reply.json({}))
    local_server.script("GET", "/openai/models", Reply.json({"data": []}))
    async with AzureOpenAI(
        azure_endpoint=local_server.origin,
        azure_deployment="pinned",
        api_version=VERSION,
        api_key=KEY,
    ) as client:
        assert client.base_url == f"{local_server.origin}/openai/deployments/pinned"
        await client.post("/chat/completions", body=CHAT)  # the body's model is not used
        await client.get("/models")
    assert [r.path for r in local_server.requests] == [
        "/openai/deployments/pinned/chat/completions",
        "/openai/models",
    ]
    assert all(r.query == {"api-version": [VERSION]} for r in local_server.requests)


async def test_base_url_and_v1_preview_versions(local_server: LocalServer) -> None:
    local_server.script("POST", "/openai/deployments/d/embeddings", Reply.json({}))
    local_server.script("POST", "/openai/v1/embeddings", Reply.json({}))
    async with AzureOpenAI(
        base_url=f"{local_server.origin}/openai", api_version=VERSION, api_key=KEY
    ) as client:
        await client.post("/embeddings", body={"model": "d", "input": "x"})
    # Azure's v1 surface ("preview"/"latest") takes the model in the body.
    async with AzureOpenAI(
        base_url=f"{local_server.origin}/openai/v1", api_version="preview", api_key=KEY
    ) as client:
        await client.post("/embeddings", body={"model": "d", "input": "x"})
    assert [r.path for r in local_server.requests] == [
        "/openai/deployments/d/embeddings",
        "/openai/v1/embeddings",
    ]
    assert last(local_server).query == {"api-version": ["preview"]}


async def test_query_parameters_merge_with_api_version(
    azure: AzureOpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/openai/files", Reply.json({"data": []}))
    await azure.get("/files", query={"limit": 2}, extra_query={"x": "y"})
    assert last(local_server).query == {"api-version": [VERSION], "limit": ["2"], "x": ["y"]}
    await azure.get("/files", extra_query={"api-version": "2025-01-01"})
    assert last(local_server).query == {"api-version": ["2025-01-01"]}


async def test_a_static_ad_token_is_a_bearer(local_server: LocalServer) -> None:
    local_server.script("GET", "/openai/models", Reply.json({}))
    async with AzureOpenAI(
        azure_endpoint=local_server.origin, api_version=VERSION, azure_ad_token="entra-1"
    ) as client:
        await client.get("/models")
    headers = last(local_server).headers
    assert headers["authorization"] == "Bearer entra-1"
    assert "api-key" not in headers


async def test_a_sync_token_provider_is_asked_on_every_attempt(
    local_server: LocalServer,
) -> None:
    tokens = iter(["t-1", "t-2", "t-3"])
    retry_soon = Reply.error(500, headers={"retry-after-ms": "1"})
    local_server.script("GET", "/openai/models", retry_soon, Reply.json({}))
    async with AzureOpenAI(
        azure_endpoint=local_server.origin,
        api_version=VERSION,
        azure_ad_token_provider=lambda: next(tokens),
    ) as client:
        await client.get("/models")  # a 500, then the retry
        await client.get("/models")
    assert [r.headers["authorization"] for r in local_server.requests] == [
        "Bearer t-1",
        "Bearer t-2",
        "Bearer t-3",
    ]


async def test_an_async_token_provider_refreshes_after_a_401(local_server: LocalServer) -> None:
    calls = 0

    async def provider() -> str:
        nonlocal calls
        calls += 1
        await trio.lowlevel.checkpoint()
        return f"async-{calls}"

    local_server.script(
        "POST",
        "/openai/deployments/my-dep/chat/completions",
        Reply.error(401),
        Reply.json({"ok": 1}),
    )
    async with AzureOpenAI(
        azure_endpoint=local_server.origin, api_version=VERSION, azure_ad_token_provider=provider
    ) as client:
        assert await client.post("/chat/completions", body=CHAT) == {"ok": 1}
    assert [r.headers["authorization"] for r in local_server.requests] == [
        "Bearer async-1",
        "Bearer async-2",
    ]


async def test_a_provider_returning_no_token_is_a_clear_error(local_server: LocalServer) -> None:
    async with AzureOpenAI(
        azure_endpoint=local_server.origin, api_version=VERSION, azure_ad_token_provider=lambda: ""
    ) as client:
        with pytest.raises(trio_openai.OpenAIError, match="non-empty str"):
            await client.get("/models")
    assert local_server.requests == []


async def test_environment_variables(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", local_server.origin)
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-02-01")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "env-key")
    local_server.script("GET", "/openai/models", Reply.json({}))
    async with AzureOpenAI() as client:
        await client.get("/models")
    request = last(local_server)
    assert request.headers["api-key"] == "env-key"
    assert "authorization" not in request.headers  # OPENAI_API_KEY is not Azure's
    assert request.query == {"api-version": ["2024-02-01"]}

    # The AD token of the environment wins over its key (as openai-python)...
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", "env-token")
    async with AzureOpenAI() as client:
        await client.get("/models")
    assert last(local_server).headers["authorization"] == "Bearer env-token"
    assert "api-key" not in last(local_server).headers
    # ...but an explicit argument wins over the environment.
    async with AzureOpenAI(api_key="arg-key", api_version=VERSION) as client:
        await client.get("/models")
    assert last(local_server).headers["api-key"] == "arg-key"
    assert "authorization" not in last(local_server).headers
    assert last(local_server).query == {"api-version": [VERSION]}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"api_version": VERSION}, "Missing credentials"),
        ({"api_key": "k"}, "Missing api_version"),
        ({"api_key": "k", "api_version": VERSION, "azure_endpoint": None}, "Missing endpoint"),
    ],
)
def test_missing_configuration_is_a_clear_error(kwargs: dict[str, str], message: str) -> None:
    kwargs = {"azure_endpoint": "https://example.openai.azure.com", **kwargs}
    with pytest.raises(trio_openai.OpenAIError, match=message):
        AzureOpenAI(**kwargs)  # type: ignore[arg-type]


def test_base_url_and_endpoint_are_exclusive() -> None:
    with pytest.raises(trio_openai.OpenAIError, match="not both"):
        AzureOpenAI(
            base_url="https://x/openai",
            azure_endpoint="https://x",
            api_key="k",
            api_version=VERSION,
        )


def test_repr_shows_no_credential() -> None:
    client = AzureOpenAI(azure_endpoint="https://x", api_key=KEY, api_version=VERSION)
    assert KEY not in repr(client)
    assert KEY not in repr(client.auth)
    assert repr(client) == "AzureOpenAI(base_url='https://x/openai', api_version='2024-10-21')"


async def test_with_options_keeps_azure_behaviour(
    azure: AzureOpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/openai/deployments/my-dep/chat/completions", Reply.json({}))
    copy = azure.with_options(max_retries=0, api_version="2025-04-01-preview")
    assert isinstance(copy, AzureOpenAI)
    await copy.post("/chat/completions", body=CHAT)
    assert last(local_server).query == {"api-version": ["2025-04-01-preview"]}
    assert last(local_server).headers["api-key"] == KEY

    bearer = azure.with_options(azure_ad_token="new-token")
    await bearer.post("/chat/completions", body=CHAT)
    assert last(local_server).headers["authorization"] == "Bearer new-token"
    assert "api-key" not in last(local_server).headers

    raw = await azure.with_raw_response.post("/chat/completions", body=CHAT)
    assert raw.status_code == 200
    assert last(local_server).path == "/openai/deployments/my-dep/chat/completions"
    assert last(local_server).query == {"api-version": [VERSION]}  # the original is unchanged
    assert last(local_server).headers["api-key"] == KEY


async def test_a_refused_key_is_not_replayed_but_a_provider_token_is(local_server: LocalServer) -> None:
    local_server.script("GET", "/openai/models", Reply.error(401))
    endpoint = local_server.origin
    async with AzureOpenAI(azure_endpoint=endpoint, api_version="2024-06-01", api_key="k1") as client:
        with pytest.raises(trio_openai.AuthenticationError):
            await client.get("/models")
    assert len(local_server.requests) == 1  # a fixed key cannot get better by asking again
    tokens = iter(["t1", "t2"])
    async with AzureOpenAI(
        azure_endpoint=endpoint, api_version="2024-06-01", azure_ad_token_provider=lambda: next(tokens)
    ) as client:
        with pytest.raises(trio_openai.AuthenticationError):
            await client.get("/models")
    assert [r.headers["authorization"] for r in local_server.requests[1:]] == ["Bearer t1", "Bearer t2"]
