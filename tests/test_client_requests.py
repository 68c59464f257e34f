"""Requests over real sockets: configuration, headers, per-call options, errors, raw access."""

from __future__ import annotations

import logging
import platform
import typing

import httpx
import pytest

import trio_openai
from trio_openai.testing import LocalServer, Reply

KEY = "sk-test-SECRET-0123456789"


async def test_official_headers_are_sent(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/things", Reply.json({"ok": True}))
    assert await client.get("/things") == {"ok": True}
    headers = local_server.requests[-1].headers
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["x-stainless-lang"] == "python"
    assert headers["x-stainless-package-version"] == trio_openai.__version__
    assert headers["x-stainless-runtime"] == platform.python_implementation()
    assert headers["x-stainless-runtime-version"] == platform.python_version()
    assert headers["x-stainless-os"] and headers["x-stainless-arch"]
    assert headers["x-stainless-retry-count"] == "0"
    assert headers["x-stainless-timeout"] == "600"
    assert headers["user-agent"].startswith("trio_openai/Python ")


async def test_environment_configuration(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", local_server.base_url)
    monkeypatch.setenv("OPENAI_ORG_ID", "org-1")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-1")
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "X-Team: blue\n\nX-Trace:  abc ")
    local_server.script("GET", "/v1/x", Reply.json({}))
    async with trio_openai.OpenAI() as client:
        await client.get("/x")
    headers = local_server.requests[-1].headers
    assert headers["authorization"] == "Bearer sk-from-env"
    assert headers["openai-organization"] == "org-1"
    assert headers["openai-project"] == "proj-1"
    assert headers["x-team"] == "blue"
    assert headers["x-trace"] == "abc"


def test_data_residency_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert trio_openai.OpenAI(api_key="k").base_url == "https://api.openai.com/v1"
    assert (
        trio_openai.OpenAI(api_key="k", data_residency="eu").base_url
        == "https://eu.api.openai.com/v1"
    )
    assert (
        trio_openai.OpenAI(api_key="k", data_residency="us").base_url
        == "https://us.api.openai.com/v1"
    )
    with pytest.raises(trio_openai.OpenAIError):
        trio_openai.OpenAI(api_key="k", data_residency="mars")


def test_data_residency_regions_are_openai_pythons(monkeypatch: pytest.MonkeyPatch) -> None:
    from openai._data_residency import _DATA_RESIDENCY_BASE_URLS  # pyright: ignore[reportPrivateUsage]

    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert set(typing.get_args(trio_openai.DataResidency)) == set(_DATA_RESIDENCY_BASE_URLS)
    for region, url in _DATA_RESIDENCY_BASE_URLS.items():
        assert trio_openai.OpenAI(api_key="k", data_residency=region).base_url == url


def test_malformed_custom_headers_are_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "no colon here")
    with pytest.raises(trio_openai.OpenAIError, match="Name: value"):
        trio_openai.OpenAI(api_key="k")


async def test_missing_key_is_a_clear_error(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with trio_openai.OpenAI(base_url=local_server.base_url) as client:
        with pytest.raises(trio_openai.OpenAIError, match="OPENAI_API_KEY"):
            await client.get("/x")
    assert local_server.requests == []


async def test_per_call_options(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    local_server.script("POST", "/v1/things", Reply.json({"id": "t1"}))
    await client.post(
        "/things",
        body={"a": 1, "b": 2},
        query={"q": "1", "tags": ["x", "y"], "f": {"k": "v"}, "skip": trio_openai.omit},
        extra_headers={"X-Extra": "yes", "X-Stainless-Lang": trio_openai.omit},
        extra_query={"extra": "1"},
        extra_body={"b": 3, "c": [1]},
        timeout=12.5,
    )
    seen = local_server.requests[-1]
    assert seen.json() == {"a": 1, "b": 3, "c": [1]}
    assert seen.query == {"q": ["1"], "tags[]": ["x", "y"], "f[k]": ["v"], "extra": ["1"]}
    assert seen.headers["x-extra"] == "yes"
    assert "x-stainless-lang" not in seen.headers
    assert seen.headers["x-stainless-timeout"] == "12.5"
    assert seen.headers["content-type"] == "application/json"


async def test_unknown_call_option_is_a_type_error(client: trio_openai.OpenAI) -> None:
    with pytest.raises(TypeError, match="extra_haeders"):
        await client.get("/x", extra_haeders={})  # type: ignore[call-arg]


async def test_status_errors_carry_everything(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST",
        "/v1/things",
        Reply.error(
            400,
            message="bad thing",
            type="invalid_request_error",
            code="bad",
            param="x",
            headers={"x-request-id": "req_abc"},
        ),
    )
    with pytest.raises(trio_openai.BadRequestError) as info:
        await client.post("/things", body={"x": 1})
    err = info.value
    assert err.status_code == 400
    assert err.request_id == "req_abc"
    assert (err.code, err.param, err.type) == ("bad", "x", "invalid_request_error")
    assert err.body == {
        "error": {
            "message": "bad thing",
            "type": "invalid_request_error",
            "param": "x",
            "code": "bad",
        }
    }
    assert "bad thing" in str(err)
    assert err.response.status_code == 400
    assert err.request is not None and err.request.method == "POST"
    dump = repr(err.dump()) + repr(err) + str(err)
    assert KEY not in dump and "<redacted>" in dump


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, trio_openai.AuthenticationError),
        (403, trio_openai.PermissionDeniedError),
        (404, trio_openai.NotFoundError),
        (409, trio_openai.ConflictError),
        (422, trio_openai.UnprocessableEntityError),
        (429, trio_openai.RateLimitError),
        (500, trio_openai.InternalServerError),
        (418, trio_openai.APIStatusError),
    ],
)
async def test_status_error_classes(
    client: trio_openai.OpenAI, local_server: LocalServer, status: int, cls: type
) -> None:
    local_server.script("GET", "/v1/e", Reply.error(status, headers={"x-should-retry": "false"}))
    with pytest.raises(cls) as info:
        await client.get("/e")
    assert type(info.value) is cls
    assert info.value.status_code == status


async def test_retries_over_sockets(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    local_server.script(
        "GET",
        "/v1/flaky",
        Reply.error(503, headers={"retry-after-ms": "1"}),
        Reply.error(429, headers={"retry-after-ms": "1"}),
        Reply.json({"ok": 1}),
    )
    raw = await client.with_raw_response.get("/flaky")
    assert raw.parsed == {"ok": 1}
    assert raw.retries_taken == 2
    assert [r.headers["x-stainless-retry-count"] for r in local_server.requests] == ["0", "1", "2"]


async def test_x_should_retry_false_stops_at_once(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "GET", "/v1/x", Reply.error(500, headers={"x-should-retry": "false"}), Reply.json({})
    )
    with pytest.raises(trio_openai.InternalServerError):
        await client.get("/x")
    assert len(local_server.requests) == 1


async def test_connection_reset_is_retried(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/x", Reply.reset(), Reply.json({"ok": 2}))
    fast = client.with_options(max_retry_after=1)
    assert await fast.get("/x") == {"ok": 2}
    assert len(local_server.requests) == 2


async def test_refused_connection_is_a_connection_error() -> None:
    from tests.conftest import free_port

    async with trio_openai.OpenAI(
        api_key="k", base_url=f"http://127.0.0.1:{free_port()}/v1", max_retries=0
    ) as c:
        with pytest.raises(trio_openai.APIConnectionError):
            await c.get("/x")


async def test_stall_before_headers_times_out(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/x", Reply.stall())
    with pytest.raises(trio_openai.APITimeoutError):
        await client.get("/x", timeout=0.2, max_retries=0)


async def test_malformed_json_body_is_typed(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/x", Reply.text("{not json", content_type="application/json"))
    with pytest.raises(trio_openai.APIResponseValidationError):
        await client.get("/x")


async def test_middleware_order_and_once_per_attempt(local_server: LocalServer) -> None:
    calls: list[str] = []

    def recorder(name: str):  # type: ignore[no-untyped-def]
        async def mw(request: httpx.Request, call_next):  # type: ignore[no-untyped-def]
            calls.append(f"{name}>")
            request.headers[f"x-mw-{name}"] = "1"
            response = await call_next(request)
            calls.append(f"<{name}")
            return response

        return mw

    local_server.script(
        "GET", "/v1/x", Reply.error(500, headers={"retry-after-ms": "1"}), Reply.json({})
    )
    async with trio_openai.OpenAI(
        api_key=KEY, base_url=local_server.base_url, middleware=[recorder("client")]
    ) as c:
        await c.get("/x", middleware=(recorder("call"),))
    assert calls == ["client>", "call>", "<call", "<client"] * 2
    assert local_server.requests[-1].headers["x-mw-call"] == "1"


async def test_with_options_shares_the_pool(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/x", Reply.json({}))
    other = client.with_options(default_headers={"X-Copy": "1"}, max_retries=5)
    assert other.max_retries == 5 and client.max_retries == 2
    await client.get("/x")
    await other.get("/x")
    await other.aclose()  # a copy does not own the pool: the original still works
    await client.get("/x")
    assert local_server.connections_opened == 1
    assert "x-copy" in local_server.requests[1].headers
    assert "x-copy" not in local_server.requests[2].headers


async def test_user_http_client_is_used_and_not_closed(local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/x", Reply.json({}))
    async with httpx.AsyncClient(headers={"X-Own": "mine"}) as http:
        async with trio_openai.OpenAI(
            api_key=KEY, base_url=local_server.base_url, http_client=http
        ) as c:
            await c.get("/x")
        assert not http.is_closed
    assert local_server.requests[-1].headers["x-own"] == "mine"


def ssl_context_of(client: trio_openai.OpenAI) -> object:
    transport = client._http._transport  # type: ignore[attr-defined]
    pool = getattr(transport, "_pool", None)  # httpx's own transport (httpcore)
    return pool._ssl_context if pool is not None else transport._ssl_context


def test_ssl_context_is_built_once() -> None:
    from trio_openai._transport import shared_ssl_context

    a = trio_openai.OpenAI(api_key="k")
    b = trio_openai.OpenAI(api_key="k")
    assert ssl_context_of(a) is ssl_context_of(b) is shared_ssl_context()


async def test_debug_log_redacts_credentials(
    client: trio_openai.OpenAI, local_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    local_server.script(
        "GET", "/v1/x", Reply.json({}, headers={"set-cookie": "session=SECRETCOOKIE"})
    )
    with caplog.at_level(logging.DEBUG, logger="trio_openai"):
        await client.get("/x", extra_headers={"Cookie": "c=SECRETCOOKIE", "api-key": KEY})
    text = caplog.text
    assert "HTTP request: GET" in text and "HTTP response" in text
    assert KEY not in text and "SECRETCOOKIE" not in text
    assert "<redacted>" in text


def test_client_repr_hides_keys() -> None:
    c = trio_openai.OpenAI(api_key=KEY, admin_key="sk-admin-SECRET")
    assert KEY not in repr(c) and "SECRET" not in repr(c)


async def test_admin_routes_use_the_admin_key(local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/organization/users", Reply.json({"data": []}))
    async with trio_openai.OpenAI(
        api_key=KEY, admin_key="sk-admin-1", base_url=local_server.base_url
    ) as c:
        await c._request("GET", "/organization/users", admin=True)
        await c._request("GET", "/organization/users")
    assert local_server.requests[0].headers["authorization"] == "Bearer sk-admin-1"
    assert local_server.requests[1].headers["authorization"] == f"Bearer {KEY}"


class CountingTokens:
    """An auth provider handing out token-1, token-2, ... and counting invalidations."""

    def __init__(self) -> None:
        self.issued = 0
        self.current: str | None = None
        self.invalidated = 0

    async def auth_headers(self, *, admin: bool) -> dict[str, str]:
        if self.current is None:
            self.issued += 1
            self.current = f"token-{self.issued}"
        return {"Authorization": f"Bearer {self.current}"}

    def invalidate(self) -> None:
        self.invalidated += 1
        self.current = None


async def test_auth_provider_refreshes_after_401_once(local_server: LocalServer) -> None:
    provider = CountingTokens()
    local_server.script("GET", "/v1/x", Reply.error(401), Reply.json({"ok": 1}))
    async with trio_openai.OpenAI(base_url=local_server.base_url, auth=provider) as c:
        assert await c.get("/x") == {"ok": 1}
        local_server.script("GET", "/v1/x", Reply.error(401))
        with pytest.raises(trio_openai.AuthenticationError):
            await c.get("/x")
    auths = [r.headers["authorization"] for r in local_server.requests]
    assert auths == ["Bearer token-1", "Bearer token-2", "Bearer token-2", "Bearer token-3"]
    assert provider.invalidated == 2


def test_client_webhooks_use_the_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    import base64
    import hashlib
    import hmac
    import time

    key = b"0123456789abcdef"
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", "whsec_" + base64.b64encode(key).decode())
    client = trio_openai.OpenAI(api_key="k")
    body = b'{"type": "batch.completed", "id": "evt_1", "data": {"id": "batch_1"}}'
    stamp = str(int(time.time()))
    mac = hmac.new(key, b"wh_1." + stamp.encode() + b"." + body, hashlib.sha256).digest()
    headers = {
        "webhook-id": "wh_1",
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    event = client.webhooks.unwrap(body, headers)
    assert (event["type"] if isinstance(event, dict) else event.type) == "batch.completed"
    with pytest.raises(trio_openai.InvalidSignatureError):
        client.webhooks.verify_signature(body + b" ", headers)


async def test_query_written_in_the_path_is_kept(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/things", Reply.json({}))
    await client.get("/things?a=1&b=", query={"c": "2"})
    assert local_server.requests[-1].query == {"a": ["1"], "b": [""], "c": ["2"]}


async def test_copies_do_not_reuse_resources_bound_to_the_original(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/models", Reply.json({"object": "list", "data": []}))
    assert client.models is client.models  # loaded once, then cached on this client
    raw = client.with_raw_response
    assert raw.models is client.models.with_raw_response
    page = (await raw.models.list()).parsed
    assert page.data == []
    copy = client.with_options(max_retries=7)
    assert copy.models._client is copy


async def test_middleware_may_name_its_parameters_freely_and_extra_body_omit_removes(
    local_server: LocalServer,
) -> None:
    async def mw(req: httpx.Request, nxt):  # type: ignore[no-untyped-def]
        req.headers["x-seen"] = "1"
        return await nxt(req)

    local_server.script("POST", "/v1/x", Reply.json({}))
    async with trio_openai.OpenAI(
        api_key=KEY, base_url=local_server.base_url, middleware=[mw]
    ) as c:
        await c.post(
            "/x", body={"keep": 1, "drop": 2}, extra_body={"drop": trio_openai.omit, "add": 3}
        )
    assert local_server.requests[-1].headers["x-seen"] == "1"
    assert local_server.requests[-1].json() == {"keep": 1, "add": 3}


async def test_cookies_a_server_sets_are_sent_back(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    # The default pool's jar skips responses without Set-Cookie (a cost on every call);
    # one that sets a cookie still counts, and a later one without keeps it.
    local_server.script("GET", "/v1/a", Reply.json({}))
    local_server.script("GET", "/v1/b", Reply.json({}, headers={"set-cookie": "route=r7; Path=/"}))
    local_server.script("GET", "/v1/c", Reply.json({}), Reply.json({}))
    await client.get("/a")
    await client.get("/c")
    await client.get("/b")
    await client.get("/c")
    cookies = [r.headers.get("cookie") for r in local_server.requests]
    assert cookies == [None, None, None, "route=r7"]
