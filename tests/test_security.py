"""Credentials stay secret; redirects do not carry them away; TLS verification stays on.

- Every error path we can drive (status errors 400-503, refused and reset connections,
  timeouts, undecodable bodies, stream errors, WebSocket errors, workload identity errors)
  is checked for recognisable secrets in ``str``, ``repr``, ``dump()``, the formatted
  traceback with its causes, and every log record at DEBUG (all loggers, not only
  "trio_openai"). Reprs of clients, streams and sessions too.
- A redirect to another origin drops every credential header (Authorization, Azure's
  api-key, custom ones); one to the same origin keeps them.
- The default client verifies certificates and host names, and no constructor argument or
  environment variable turns that off: only an explicit ``http_client`` can.
"""

from __future__ import annotations

import inspect
import json
import logging
import socket
import ssl
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Final

import httpx
import pytest

import trio_openai
from trio_openai import _transport
from trio_openai._realtime import Realtime
from trio_openai.auth import WorkloadIdentity
from trio_openai.azure import AzureOpenAI
from trio_openai.testing import (
    LocalServer,
    Reply,
    WebSocketTestServer,
    WsAction,
    open_local_server,
    open_ws_server,
)

API_KEY: Final = "sk-SECRET-xyz"
ADMIN_KEY: Final = "sk-admin-SECRET-xyz"
AZURE_KEY: Final = "az-SECRET-xyz"
SUBJECT_TOKEN: Final = "st-SECRET-subject"
ACCESS_TOKEN: Final = "at-SECRET-access"
SECRETS: Final = (API_KEY, ADMIN_KEY, AZURE_KEY, SUBJECT_TOKEN, ACCESS_TOKEN)
# A part of every secret, so that a truncated or re-encoded one is caught too.
MARKER: Final = "SECRET"


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert MARKER not in text, text[:2000]


def error_texts(exc: BaseException) -> list[str]:
    """Every way an error is commonly turned into text."""
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    dump = getattr(exc, "dump", None)
    if callable(dump):
        texts.append(json.dumps(dump(), default=str))
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            texts += [str(linked), repr(linked)]
    return texts


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore, trio-websocket
    caplog.set_level(logging.DEBUG, logger="trio_openai")
    yield caplog
    records = caplog.get_records("call")  # (caplog.records would be the teardown's)
    assert records  # the capture works: each of these paths logs something
    assert_clean(*(record.getMessage() for record in records))
    assert_clean(*(repr(record.__dict__) for record in records))


async def expect_error(
    kind: type[BaseException], call: Callable[[], Awaitable[Any]]
) -> BaseException:
    with pytest.raises(kind) as info:
        await call()
    assert_clean(*error_texts(info.value))
    return info.value


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def client(local_server: LocalServer) -> AsyncIterator[trio_openai.OpenAI]:
    async with trio_openai.OpenAI(
        api_key=API_KEY,
        admin_key=ADMIN_KEY,
        base_url=local_server.base_url,
        max_retries=0,
        # long enough that a loaded machine is never a timeout; the stall cases still end soon
        timeout=trio_openai.Timeout(request=1.5, first_event=1.5, idle=1.5),
    ) as c:
        yield c


# -- HTTP error paths ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 429, 500, 502, 503])
@pytest.mark.parametrize("admin", [False, True])
async def test_status_errors_keep_keys_secret(
    client: trio_openai.OpenAI,
    local_server: LocalServer,
    logs: pytest.LogCaptureFixture,
    status: int,
    admin: bool,
) -> None:
    path = "/organization/projects" if admin else "/x"
    local_server.script("POST", f"/v1{path}", Reply.error(status, message="nope"))
    error = await expect_error(
        trio_openai.APIStatusError,
        lambda: client._request("POST", path, body={"a": 1}, admin=admin),
    )
    sent = local_server.requests[-1].headers["authorization"]
    assert sent == f"Bearer {ADMIN_KEY if admin else API_KEY}"  # it was sent, then hidden
    assert isinstance(error, trio_openai.APIStatusError) and error.status_code == status


async def test_a_streamed_status_error_keeps_keys_secret(
    client: trio_openai.OpenAI, local_server: LocalServer, logs: pytest.LogCaptureFixture
) -> None:
    local_server.script("POST", "/v1/s", Reply.error(401))

    async def call() -> None:
        async with client.stream("POST", "/s", body={"stream": True}):
            pass

    await expect_error(trio_openai.AuthenticationError, call)


FAILING_REPLIES: Final[dict[str, tuple[Reply, type[BaseException]]]] = {
    "reset": (Reply.reset(), trio_openai.APIConnectionError),
    "timeout": (Reply.stall(), trio_openai.APITimeoutError),
    "malformed JSON": (
        Reply.text('{"a": ', content_type="application/json"),
        trio_openai.APIResponseValidationError,
    ),
    "truncated body": (
        Reply.raw(b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{"),
        trio_openai.APIConnectionError,
    ),
}


@pytest.mark.parametrize("case", list(FAILING_REPLIES))
async def test_connection_and_decoding_errors_keep_keys_secret(
    client: trio_openai.OpenAI,
    local_server: LocalServer,
    logs: pytest.LogCaptureFixture,
    case: str,
) -> None:
    reply, kind = FAILING_REPLIES[case]
    local_server.script("POST", "/v1/x", reply)
    await expect_error(kind, lambda: client.post("/x", body={"a": 1}))


async def test_refused_connection_keeps_keys_secret(logs: pytest.LogCaptureFixture) -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    async with trio_openai.OpenAI(api_key=API_KEY, base_url=base_url, max_retries=0) as client:
        await expect_error(trio_openai.APIConnectionError, lambda: client.post("/x", body={}))


STREAM_REPLIES: Final[dict[str, tuple[Reply, type[BaseException]]]] = {
    "error event": (
        Reply.sse([{"type": "error", "error": {"message": "overloaded"}}]),
        trio_openai.StreamError,
    ),
    "malformed event": (Reply.sse([b"data: {oops\n\n"]), trio_openai.APIResponseValidationError),
    "oversized event": (
        Reply.sse([b"data: " + b"x" * 5000 + b"\n\n"]),
        trio_openai.EventTooLargeError,
    ),
    "idle timeout": (Reply.sse([{"n": 1}], stall_after=1), trio_openai.APITimeoutError),
    "reset": (Reply.sse([{"n": 1}], reset_after=1), trio_openai.APIConnectionError),
    "not an event stream": (
        Reply.text("<html>", content_type="text/html"),
        trio_openai.APIResponseValidationError,
    ),
}


@pytest.mark.parametrize("case", list(STREAM_REPLIES))
async def test_stream_errors_keep_keys_secret(
    local_server: LocalServer, logs: pytest.LogCaptureFixture, case: str
) -> None:
    reply, kind = STREAM_REPLIES[case]
    local_server.script("POST", "/v1/s", reply)
    async with trio_openai.OpenAI(
        api_key=API_KEY,
        base_url=local_server.base_url,
        max_event_size=1024,
        timeout=trio_openai.Timeout(idle=0.3),
    ) as client:

        async def call() -> None:
            async with client.stream("POST", "/s", body={"stream": True}) as stream:
                assert_clean(repr(stream))
                async for _ in stream:
                    pass

        await expect_error(kind, call)


# -- WebSocket error paths -------------------------------------------------------------------


@pytest.fixture
async def ws_server() -> AsyncIterator[WebSocketTestServer]:
    async with open_ws_server() as server:
        yield server


async def realtime_session(client: trio_openai.OpenAI) -> None:
    async with Realtime(client).connect(model="gpt-realtime", connect_timeout=1.0) as conn:
        assert_clean(repr(conn))
        await conn.send({"type": "response.create"})
        async for event in conn:
            if event.type == "response.done":
                return


WS_FAULTS: Final[dict[str, tuple[tuple[WsAction, ...], type[BaseException]]]] = {
    "error event": ((WsAction.error("bad request"),), trio_openai.StreamError),
    "malformed message": ((WsAction.send_text("{oops"),), trio_openai.APIResponseValidationError),
    "abort": ((WsAction.abort(),), trio_openai.APIConnectionError),
    "close 1011": ((WsAction.close(1011, "internal"),), trio_openai.APIConnectionError),
}


@pytest.mark.parametrize("case", list(WS_FAULTS))
async def test_websocket_errors_keep_keys_secret(
    ws_server: WebSocketTestServer, logs: pytest.LogCaptureFixture, case: str
) -> None:
    actions, kind = WS_FAULTS[case]
    ws_server.on_message("response.create", *actions)
    async with trio_openai.OpenAI(api_key=API_KEY, base_url=ws_server.base_url) as client:
        await expect_error(kind, lambda: realtime_session(client))
    assert ws_server.sessions[-1].headers["authorization"] == f"Bearer {API_KEY}"


async def test_refused_handshakes_keep_keys_secret(
    ws_server: WebSocketTestServer, logs: pytest.LogCaptureFixture
) -> None:
    ws_server.reject_next(401, {"error": {"message": "Incorrect API key provided"}})
    async with trio_openai.OpenAI(api_key=API_KEY, base_url=ws_server.base_url) as client:
        error = await expect_error(
            trio_openai.AuthenticationError, lambda: realtime_session(client)
        )
    async with trio_openai.OpenAI(
        api_key=API_KEY, base_url=f"http://127.0.0.1:{closed_port()}/v1"
    ) as client:
        await expect_error(trio_openai.APIConnectionError, lambda: realtime_session(client))
    async with AzureOpenAI(
        api_key=AZURE_KEY, azure_endpoint=ws_server.origin, api_version="2025-04-01-preview"
    ) as azure:
        ws_server.reject_next(403)
        await expect_error(trio_openai.PermissionDeniedError, lambda: realtime_session(azure))
    assert ws_server.sessions[-1].headers["api-key"] == AZURE_KEY
    assert isinstance(error, trio_openai.APIStatusError)


# -- workload identity -------------------------------------------------------------------------


class FixedSubjectToken:
    token_type = "jwt"

    async def get_token(self, http: httpx.AsyncClient) -> str:
        return SUBJECT_TOKEN


def identity(token_url: str) -> WorkloadIdentity:
    return WorkloadIdentity(
        client_id="client-1",
        identity_provider_id="idp-1",
        service_account_id="sa-1",
        provider=FixedSubjectToken(),
        token_url=token_url,
        max_retries=0,
        timeout=0.5,
    )


EXCHANGE_FAILURES: Final[dict[str, Reply]] = {
    # A token endpoint that echoes what it got, as some do in their error descriptions.
    "refused": Reply.json(
        {"error": "invalid_grant", "error_description": f"bad subject {SUBJECT_TOKEN}"},
        status=400,
    ),
    "free-text error": Reply.json({"error": f"token {SUBJECT_TOKEN} expired"}, status=401),
    "no access token": Reply.json({"token_type": "bearer", "echo": SUBJECT_TOKEN}),
    "not JSON": Reply.text(f"<html>{SUBJECT_TOKEN}</html>", content_type="text/html"),
    "server error": Reply.error(503, message=f"down ({SUBJECT_TOKEN})"),
    "stall": Reply.stall(),
    "reset": Reply.reset(),
}


@pytest.mark.parametrize("case", list(EXCHANGE_FAILURES))
async def test_workload_identity_errors_keep_tokens_secret(
    local_server: LocalServer, logs: pytest.LogCaptureFixture, case: str
) -> None:
    local_server.script("POST", "/oauth/token", EXCHANGE_FAILURES[case])
    async with (
        identity(local_server.origin + "/oauth/token") as auth,
        trio_openai.OpenAI(auth=auth, base_url=local_server.base_url, max_retries=0) as client,
    ):
        assert_clean(repr(auth), repr(client))
        await expect_error(trio_openai.OpenAIError, lambda: client.post("/x", body={}))
    assert local_server.requests[0].json()["subject_token"] == SUBJECT_TOKEN


async def test_a_refused_access_token_stays_secret(
    local_server: LocalServer, logs: pytest.LogCaptureFixture
) -> None:
    local_server.script(
        "POST", "/oauth/token", Reply.json({"access_token": ACCESS_TOKEN, "expires_in": 3600})
    )
    local_server.script("POST", "/v1/x", Reply.error(401, message="token revoked"))
    async with (
        identity(local_server.origin + "/oauth/token") as auth,
        trio_openai.OpenAI(auth=auth, base_url=local_server.base_url, max_retries=0) as client,
    ):
        await expect_error(trio_openai.AuthenticationError, lambda: client.post("/x", body={}))
        assert_clean(repr(auth))
    assert local_server.requests[-1].headers["authorization"] == f"Bearer {ACCESS_TOKEN}"


# -- reprs -----------------------------------------------------------------------------------


async def test_reprs_hold_no_secret() -> None:
    async with (
        trio_openai.OpenAI(
            api_key=API_KEY, admin_key=ADMIN_KEY, webhook_secret="whsec_SECRET"
        ) as client,
        AzureOpenAI(
            api_key=AZURE_KEY, azure_endpoint="https://example.invalid", api_version="2024-10-21"
        ) as azure,
    ):
        copy = client.with_options(api_key=ADMIN_KEY)
        assert_clean(repr(client), str(client), repr(copy), repr(azure), repr(azure.auth))


# -- redirects ---------------------------------------------------------------------------------


@pytest.fixture
async def other_server() -> AsyncIterator[LocalServer]:
    async with open_local_server() as server:
        yield server


def redirect(status: int, to: str) -> Reply:
    return Reply.text("", status=status, headers={"location": to})


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_origin_carries_no_credentials(
    local_server: LocalServer, other_server: LocalServer, status: int
) -> None:
    other_server.script("POST", "/v1/x", Reply.json({"ok": True}))
    other_server.script("GET", "/v1/x", Reply.json({"ok": True}))
    local_server.script("POST", "/v1/x", redirect(status, other_server.base_url + "/x"))
    headers = {"X-Api-Key": "k-SECRET-1", "X-Custom-Token": "t-SECRET-2", "X-Trace": "t1"}
    async with trio_openai.OpenAI(
        api_key=API_KEY, base_url=local_server.base_url, default_headers=headers
    ) as client:
        assert await client.post("/x", body={"a": 1}) == {"ok": True}
    received = other_server.requests[-1].headers
    assert "authorization" not in received
    assert "x-api-key" not in received and "x-custom-token" not in received
    assert received["x-trace"] == "t1"  # only credentials are dropped
    assert local_server.requests[-1].headers["authorization"] == f"Bearer {API_KEY}"


async def test_azure_api_key_does_not_follow_a_redirect_elsewhere(
    local_server: LocalServer, other_server: LocalServer
) -> None:
    path = "/openai/deployments/dep/chat/completions"
    other_server.script("POST", path, Reply.json({"id": "chatcmpl-1"}))
    local_server.script("POST", path, redirect(307, other_server.origin + path))
    async with AzureOpenAI(
        api_key=AZURE_KEY, azure_endpoint=local_server.origin, api_version="2024-10-21"
    ) as azure:
        await azure.chat.completions.create(
            model="dep", messages=[{"role": "user", "content": "hi"}]
        )
    assert local_server.requests[-1].headers["api-key"] == AZURE_KEY
    assert "api-key" not in other_server.requests[-1].headers


async def test_a_redirect_within_the_origin_keeps_credentials(local_server: LocalServer) -> None:
    local_server.script("POST", "/v1/old", redirect(307, local_server.base_url + "/new"))
    local_server.script("POST", "/v1/new", Reply.json({"ok": True}))
    async with trio_openai.OpenAI(api_key=API_KEY, base_url=local_server.base_url) as client:
        assert await client.post("/old", body={}) == {"ok": True}
    assert local_server.requests[-1].path == "/v1/new"
    assert local_server.requests[-1].headers["authorization"] == f"Bearer {API_KEY}"


# -- TLS verification --------------------------------------------------------------------------


def ssl_contexts(client: trio_openai.OpenAI) -> list[ssl.SSLContext]:
    """The SSL context of every transport the client's pool may use (proxy mounts too):
    the package's own transport keeps it, httpx's keeps it in its httpcore pool."""
    http: Any = client._http
    contexts = []
    for transport in [http._transport, *http._mounts.values()]:
        if transport is None:
            continue
        context = getattr(transport, "_ssl_context", None)
        if context is None:
            context = transport._pool._ssl_context
        assert isinstance(context, ssl.SSLContext), transport
        contexts.append(context)
    return contexts


def pool_ssl_context(client: trio_openai.OpenAI) -> ssl.SSLContext:
    (context,) = ssl_contexts(client)
    return context


def assert_verifying(context: ssl.SSLContext) -> None:
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


# A non-default value for every parameter of OpenAI.__init__ but http_client: a new
# parameter fails test_no_constructor_argument_turns_verification_off until it is added.
NON_DEFAULTS: Final[dict[str, Any]] = {
    "api_key": API_KEY,
    "admin_key": ADMIN_KEY,
    "organization": "org-1",
    "project": "proj-1",
    "webhook_secret": "whsec_x",
    "base_url": "https://example.invalid/v1",
    "data_residency": None,
    "timeout": None,
    "max_retries": 0,
    "max_retry_after": 1.0,
    "default_headers": {"X-Verify": "false"},
    "default_query": {"verify": "false"},
    "middleware": (),
    "max_event_size": 1,
    "auth": None,
    "rate_limiter": None,
    "random_source": lambda: 0.0,
    "wall_clock": lambda: 0.0,
    "hedge_after": 0.5,
    "fallback_base_urls": ["https://fallback.invalid/v1"],
    "circuit_failure_threshold": 1,
    "circuit_reset_after": 1.0,
}


async def test_the_default_client_verifies_certificates_and_host_names() -> None:
    async with trio_openai.OpenAI(api_key=API_KEY) as client:
        context = pool_ssl_context(client)
    assert context is _transport.shared_ssl_context()  # the same one for WebSockets
    assert_verifying(context)


async def test_no_constructor_argument_turns_verification_off() -> None:
    parameters = set(inspect.signature(trio_openai.OpenAI.__init__).parameters) - {"self"}
    assert parameters == {*NON_DEFAULTS, "http_client"}
    for name in parameters:
        assert not any(w in name for w in ("verify", "ssl", "tls", "cert", "insecure")), name
    async with trio_openai.OpenAI(**NON_DEFAULTS) as client:
        assert_verifying(pool_ssl_context(client))


TLS_ENVIRONMENT: Final = {
    "SSL_CERT_FILE": "/dev/null",
    "SSL_CERT_DIR": "/nonexistent",
    "REQUESTS_CA_BUNDLE": "/dev/null",
    "CURL_CA_BUNDLE": "",
    "PYTHONHTTPSVERIFY": "0",
    "HTTPX_SSL_VERIFY": "0",
    "OPENAI_VERIFY_SSL": "false",
    "OPENAI_SSL_VERIFY": "0",
    "OPENAI_INSECURE": "1",
    "SSLKEYLOGFILE": "",
}


async def test_no_environment_variable_turns_verification_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in TLS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    _transport.shared_ssl_context.cache_clear()  # built anew under this environment
    try:
        async with trio_openai.OpenAI(api_key=API_KEY) as client:
            context = pool_ssl_context(client)
            assert_verifying(context)
            assert context.cert_store_stats()["x509_ca"] > 0  # CAs loaded despite the env
    finally:
        monkeypatch.undo()
        _transport.shared_ssl_context.cache_clear()


async def test_verification_stays_on_through_proxy_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With proxy variables the pool is still the package's transport (tunnels to https
    # origins, TLS to https proxies), with the one shared context.
    monkeypatch.setenv("HTTPS_PROXY", "https://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    async with trio_openai.OpenAI(api_key=API_KEY) as client:
        contexts = ssl_contexts(client)
    assert contexts == [_transport.shared_ssl_context()]
    for context in contexts:
        assert_verifying(context)


async def test_only_an_explicit_http_client_can_turn_verification_off() -> None:
    async with (
        httpx.AsyncClient(verify=False) as http,
        trio_openai.OpenAI(api_key=API_KEY, http_client=http) as client,
    ):
        assert pool_ssl_context(client).verify_mode == ssl.CERT_NONE


def test_every_secret_carries_the_marker_the_checks_look_for() -> None:
    assert all(MARKER in secret for secret in SECRETS)
