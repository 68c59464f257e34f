"""Workload identity over real sockets: the exchange, the cache, one refresh for many, 401s."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

import trio_openai
from trio_openai.auth import (
    AzureManagedIdentityTokenProvider,
    GCPIDTokenProvider,
    K8sServiceAccountTokenProvider,
    SubjectTokenProvider,
    SubjectTokenProviderError,
    WorkloadIdentity,
    WorkloadIdentityError,
)
from trio_openai.testing import LocalServer, RecordedRequest, Reply

SUBJECT = "subject-SECRET-jwt"
IDS = {"client_id": "client-1", "identity_provider_id": "idp-123", "service_account_id": "sa-456"}


@attrs.define
class FixedSubject:
    token: str = SUBJECT
    token_type: str = "jwt"
    calls: int = 0

    async def get_token(self, http: Any) -> str:
        self.calls += 1
        return self.token


class Issuer:
    """A fake token endpoint on the local server: access-1, access-2, ... in order."""

    def __init__(self, server: LocalServer, *, expires_in: object = 3600, delay: float = 0):
        self.server = server
        self.expires_in = expires_in
        self.delay = delay
        self.url = f"{server.origin}/oauth/token"
        self._arrived = trio.Event()
        server.script("POST", "/oauth/token", Reply.handler(self.issue))

    async def wait_for(self, count: int) -> None:
        """Until `count` exchange requests have arrived (answered or not)."""
        with trio.fail_after(5):
            while len(self.requests) < count:
                await self._arrived.wait()

    def issue(self, request: RecordedRequest) -> Reply:
        self._arrived.set()
        self._arrived = trio.Event()
        body = {"access_token": f"access-{len(self.requests)}", "token_type": "Bearer"}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return Reply.json(body, delay=self.delay)

    @property
    def requests(self) -> list[RecordedRequest]:
        return [r for r in self.server.requests if r.path == "/oauth/token"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def api_tokens(server: LocalServer) -> list[str]:
    return [r.headers["authorization"] for r in server.requests if r.path.startswith("/v1/")]


@pytest.fixture
async def identity(local_server: LocalServer) -> AsyncIterator[WorkloadIdentity]:
    issuer = Issuer(local_server)
    async with WorkloadIdentity(**IDS, provider=FixedSubject(), token_url=issuer.url) as wi:
        yield wi


@pytest.fixture
async def client(
    local_server: LocalServer, identity: WorkloadIdentity
) -> AsyncIterator[trio_openai.OpenAI]:
    async with trio_openai.OpenAI(base_url=local_server.base_url, auth=identity) as c:
        yield c


async def test_the_exchange_request(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    await client.get("/models")
    exchange, api = local_server.requests
    assert (exchange.method, exchange.path) == ("POST", "/oauth/token")
    assert exchange.headers["content-type"] == "application/json"
    assert exchange.json() == {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "client_id": "client-1",
        "subject_token": SUBJECT,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "identity_provider_id": "idp-123",
        "service_account_id": "sa-456",
    }
    assert api.headers["authorization"] == "Bearer access-1"


async def test_the_token_is_cached(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    for _ in range(3):
        await client.get("/models")
    await client.with_options(max_retries=0).get("/models")  # copies share the provider
    assert api_tokens(local_server) == ["Bearer access-1"] * 4
    assert len(Issuer(local_server).requests) == 1


async def test_twenty_concurrent_requests_cause_one_exchange(local_server: LocalServer) -> None:
    issuer = Issuer(local_server, delay=0.05)  # all twenty wait for the same exchange
    async with (
        WorkloadIdentity(**IDS, provider=FixedSubject(), token_url=issuer.url) as wi,
        trio_openai.OpenAI(base_url=local_server.base_url, auth=wi) as client,
        trio.open_nursery() as nursery,
    ):
        for _ in range(20):
            nursery.start_soon(client.get, "/models")
    assert len(issuer.requests) == 1
    assert api_tokens(local_server) == ["Bearer access-1"] * 20


@pytest.mark.parametrize(
    ("expires_in", "buffer", "refresh_after"),
    [
        (100, 30, 70),
        (600, 1200, 300),  # at most half the lifetime, else every call would refresh
        (None, 1200, 2400),  # no expires_in: an hour, as openai-go
    ],
)
async def test_refreshed_ahead_of_expiry(
    local_server: LocalServer, expires_in: int | None, buffer: float, refresh_after: float
) -> None:
    issuer, clock = Issuer(local_server, expires_in=expires_in), Clock()
    async with WorkloadIdentity(
        **IDS, provider=FixedSubject(), token_url=issuer.url, refresh_buffer=buffer, clock=clock
    ) as wi:
        assert await wi.get_token() == "access-1"
        clock.now += refresh_after - 0.1
        assert await wi.get_token() == "access-1"
        clock.now += 0.2
        assert await wi.get_token() == "access-2"
        clock.now += 10_000  # long expired
        assert await wi.get_token() == "access-3"
    assert len(issuer.requests) == 3


async def test_during_a_refresh_others_keep_the_valid_token(local_server: LocalServer) -> None:
    issuer, clock = Issuer(local_server, expires_in=100), Clock()
    async with WorkloadIdentity(
        **IDS, provider=FixedSubject(), token_url=issuer.url, refresh_buffer=30, clock=clock
    ) as wi:
        await wi.get_token()
        clock.now += 80
        issuer.delay = 0.3
        async with trio.open_nursery() as nursery:
            refreshed: list[str] = []

            async def refresh() -> None:
                refreshed.append(await wi.get_token())

            nursery.start_soon(refresh)
            await issuer.wait_for(2)  # the refresh is in flight
            with trio.fail_after(0.1):  # and does not hold this caller up
                assert await wi.get_token() == "access-1"
        assert refreshed == ["access-2"]
        assert await wi.get_token() == "access-2"


async def test_a_failed_early_refresh_keeps_the_valid_token(
    local_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    issuer, clock = Issuer(local_server, expires_in=100), Clock()
    async with WorkloadIdentity(
        **IDS, provider=FixedSubject(), token_url=issuer.url, clock=clock, max_retries=0
    ) as wi:
        await wi.get_token()
        local_server.script("POST", "/oauth/token", Reply.error(503))
        clock.now += 60
        with caplog.at_level(logging.WARNING, "trio_openai"):
            assert await wi.get_token() == "access-1"
            assert await wi.get_token() == "access-1"  # paused: no second attempt at once
        assert len(issuer.requests) == 2
        assert "HTTP 503" in caplog.text
        clock.now += 50  # expired: now the failure is the caller's
        with pytest.raises(WorkloadIdentityError, match="HTTP 503"):
            await wi.get_token()


async def test_a_cancelled_refresh_hands_over_to_a_waiter(local_server: LocalServer) -> None:
    issuer = Issuer(local_server, delay=0.3)
    async with WorkloadIdentity(**IDS, provider=FixedSubject(), token_url=issuer.url) as wi:
        got: list[str] = []
        async with trio.open_nursery() as nursery:
            first = trio.CancelScope()
            nursery.start_soon(_cancelled_get, wi, first)

            async def second() -> None:
                got.append(await wi.get_token())

            await issuer.wait_for(1)  # the first task holds the lock, exchanging
            nursery.start_soon(second)
            await trio.sleep(0.02)
            first.cancel()
        assert got == ["access-2"]  # the waiter ran an exchange of its own
        assert len(issuer.requests) == 2


async def _cancelled_get(wi: WorkloadIdentity, scope: trio.CancelScope) -> None:
    with scope:
        await wi.get_token()
        raise AssertionError("should have been cancelled")


async def test_a_401_invalidates_and_replays_once(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/models", Reply.error(401), Reply.json({"data": []}))
    assert await client.get("/models") == {"data": []}
    assert api_tokens(local_server) == ["Bearer access-1", "Bearer access-2"]

    local_server.script("GET", "/v1/models", Reply.error(401))
    with pytest.raises(trio_openai.AuthenticationError):
        await client.get("/models")
    assert api_tokens(local_server)[2:] == ["Bearer access-2", "Bearer access-3"]


async def test_twenty_concurrent_401s_cause_one_new_exchange(local_server: LocalServer) -> None:
    issuer = Issuer(local_server, delay=0.02)

    def api(request: RecordedRequest) -> Reply:
        if request.headers["authorization"] == "Bearer access-1":  # revoked
            return Reply.error(401, delay=0.01)
        return Reply.json({"ok": True})

    local_server.script("GET", "/v1/models", Reply.handler(api))
    async with (
        WorkloadIdentity(**IDS, provider=FixedSubject(), token_url=issuer.url) as wi,
        trio_openai.OpenAI(base_url=local_server.base_url, auth=wi) as client,
        trio.open_nursery() as nursery,
    ):
        for _ in range(20):
            nursery.start_soon(client.get, "/models")
    assert len(issuer.requests) == 2
    # Tasks still waiting for the first token when it was refused get the second directly.
    tokens = api_tokens(local_server)
    assert tokens.count("Bearer access-2") == 20
    assert set(tokens) == {"Bearer access-1", "Bearer access-2"}


# -- failures -------------------------------------------------------------------------------


async def test_a_refused_exchange_is_typed_and_leaks_no_token(local_server: LocalServer) -> None:
    description = f"subject token {SUBJECT} is not trusted"
    local_server.script(
        "POST",
        "/oauth/token",
        Reply.json({"error": "invalid_grant", "error_description": description}, status=400),
    )
    async with (
        WorkloadIdentity(
            **IDS, provider=FixedSubject(), token_url=f"{local_server.origin}/oauth/token"
        ) as wi,
        trio_openai.OpenAI(base_url=local_server.base_url, auth=wi) as client,
    ):
        with pytest.raises(WorkloadIdentityError) as caught:
            await client.get("/models")
    error = caught.value
    assert (error.status_code, error.error_code) == (400, "invalid_grant")
    assert str(error) == "Token exchange refused (HTTP 400): invalid_grant."
    assert SUBJECT not in repr(error) and "not trusted" not in repr(error)
    assert len(local_server.requests) == 1  # a refusal is not retried, the API never called


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Reply.json({"token_type": "Bearer"}), "no 'access_token'"),
        (Reply.json({"access_token": "access-SECRET", "expires_in": -5}), "invalid 'expires_in'"),
        (Reply.json({"access_token": "access-SECRET", "expires_in": "1h"}), "invalid 'expires_in'"),
        (Reply.json(["access-SECRET"]), "not a JSON object"),
        (Reply.text("<html>access-SECRET</html>", status=502), r"failed \(HTTP 502\)"),
        (Reply.json({}, status=307, headers={"location": "/v1/models"}), r"\(HTTP 307\)"),
    ],
)
async def test_bad_answers(local_server: LocalServer, answer: Reply, message: str) -> None:
    local_server.script("POST", "/oauth/token", answer)
    async with WorkloadIdentity(
        **IDS,
        provider=FixedSubject(),
        token_url=f"{local_server.origin}/oauth/token",
        max_retries=0,
    ) as wi:
        with pytest.raises(WorkloadIdentityError, match=message) as caught:
            await wi.get_token()
    assert "SECRET" not in str(caught.value) and "SECRET" not in repr(caught.value)
    assert [r.path for r in local_server.requests] == ["/oauth/token"]  # never redirected


async def test_transient_failures_are_retried(local_server: LocalServer) -> None:
    issuer = Issuer(local_server)
    busy = Reply.error(503, headers={"retry-after-ms": "1"})
    local_server.script("POST", "/oauth/token", busy, busy, Reply.handler(issuer.issue))
    async with WorkloadIdentity(**IDS, provider=FixedSubject(), token_url=issuer.url) as wi:
        assert await wi.get_token() == "access-3"
    assert len(issuer.requests) == 3


async def test_no_answer_from_the_endpoint(local_server: LocalServer) -> None:
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    await listener.aclose()  # nothing listens there now
    local_server.script("POST", "/stall", Reply.stall())
    for url, cause in [
        (f"http://127.0.0.1:{port}/oauth/token", trio_openai.APIConnectionError),
        (f"{local_server.origin}/stall", trio_openai.APITimeoutError),
    ]:
        async with WorkloadIdentity(
            **IDS, provider=FixedSubject(), token_url=url, max_retries=0, timeout=0.2
        ) as wi:
            with pytest.raises(WorkloadIdentityError, match="got no answer") as caught:
                await wi.get_token()
        assert type(caught.value.__cause__) is cause


async def test_a_failing_custom_provider_is_wrapped(local_server: LocalServer) -> None:
    class Broken:
        token_type = "jwt"

        async def get_token(self, http: Any) -> str:
            raise ValueError(f"cannot parse {SUBJECT}")

    assert isinstance(Broken(), SubjectTokenProvider)
    async with WorkloadIdentity(**IDS, provider=Broken(), token_url=local_server.origin) as wi:
        with pytest.raises(SubjectTokenProviderError) as caught:
            await wi.get_token()
    assert str(caught.value) == "Broken: get_token raised ValueError"
    assert isinstance(caught.value.__cause__, ValueError)
    assert local_server.requests == []


async def test_unsupported_token_type_and_empty_token(local_server: LocalServer) -> None:
    url = f"{local_server.origin}/oauth/token"
    async with WorkloadIdentity(
        **IDS, provider=FixedSubject(token_type="saml"), token_url=url
    ) as wi:
        with pytest.raises(WorkloadIdentityError, match="Unsupported subject token type 'saml'"):
            await wi.get_token()
    async with WorkloadIdentity(**IDS, provider=FixedSubject(token=""), token_url=url) as wi:
        with pytest.raises(SubjectTokenProviderError, match="returned no token"):
            await wi.get_token()


async def test_closed_identity_and_invalid_arguments(local_server: LocalServer) -> None:
    issuer = Issuer(local_server)
    wi = WorkloadIdentity(**IDS, provider=FixedSubject(), token_url=issuer.url)
    await wi.get_token()
    assert "access-1" not in repr(wi)
    await wi.aclose()
    with pytest.raises(WorkloadIdentityError, match="closed"):
        await wi.get_token()
    with pytest.raises(ValueError, match="client_id"):
        WorkloadIdentity(**{**IDS, "client_id": ""}, provider=FixedSubject())
    with pytest.raises(ValueError, match="refresh_buffer"):
        WorkloadIdentity(**IDS, provider=FixedSubject(), refresh_buffer=-1)


# -- subject-token providers -----------------------------------------------------------------


async def test_kubernetes_token_file(tmp_path: Path, local_server: LocalServer) -> None:
    issuer = Issuer(local_server)
    path = tmp_path / "token"
    provider = K8sServiceAccountTokenProvider(str(path))
    async with WorkloadIdentity(**IDS, provider=provider, token_url=issuer.url) as wi:
        path.write_text("  jwt-one\n")
        await wi.get_token()
        path.write_text("jwt-two")  # the kubelet rotated it: read again for each exchange
        wi.invalidate()
        await wi.get_token()
        assert [r.json()["subject_token"] for r in issuer.requests] == ["jwt-one", "jwt-two"]
        assert issuer.requests[0].json()["subject_token_type"].endswith(":jwt")

        path.write_text(" \n")
        wi.invalidate()
        with pytest.raises(SubjectTokenProviderError, match="is empty") as caught:
            await wi.get_token()
        assert caught.value.provider == "kubernetes"
        path.unlink()
        with pytest.raises(SubjectTokenProviderError, match=r"cannot read .*FileNotFoundError"):
            await wi.get_token()
    assert K8sServiceAccountTokenProvider().path == (
        "/var/run/secrets/kubernetes.io/serviceaccount/token"
    )


async def test_azure_managed_identity(local_server: LocalServer) -> None:
    issuer = Issuer(local_server)
    local_server.script(
        "GET",
        "/metadata/identity/oauth2/token",
        Reply.json({"access_token": "imds-jwt", "expires_in": "3599"}),
    )
    provider = AzureManagedIdentityTokenProvider(
        resource="api://openai",
        client_id="mi-client",
        endpoint=f"{local_server.origin}/metadata/identity/oauth2/token",
    )
    async with WorkloadIdentity(**IDS, provider=provider, token_url=issuer.url) as wi:
        assert await wi.get_token() == "access-1"
    imds = local_server.requests[0]
    assert imds.method == "GET"
    assert imds.headers["metadata"] == "true"
    assert imds.query == {
        "api-version": ["2018-02-01"],
        "resource": ["api://openai"],
        "client_id": ["mi-client"],
    }
    exchange = issuer.requests[0].json()
    assert exchange["subject_token"] == "imds-jwt"
    assert exchange["subject_token_type"] == "urn:ietf:params:oauth:token-type:jwt"


async def test_gcp_identity_token(local_server: LocalServer) -> None:
    issuer = Issuer(local_server)
    path = "/computeMetadata/v1/instance/service-accounts/default/identity"
    local_server.script("GET", path, Reply.text("gcp-id-token\n"))
    provider = GCPIDTokenProvider(endpoint=local_server.origin + path)
    async with WorkloadIdentity(**IDS, provider=provider, token_url=issuer.url) as wi:
        assert await wi.get_token() == "access-1"
    metadata = local_server.requests[0]
    assert metadata.headers["metadata-flavor"] == "Google"
    assert metadata.query == {"audience": ["https://api.openai.com/v1"]}
    exchange = issuer.requests[0].json()
    assert exchange["subject_token"] == "gcp-id-token"
    assert exchange["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply.error(500, message="token imds-SECRET"), "answered HTTP 500"),
        (Reply.json({"token": "imds-SECRET"}), "no 'access_token'"),
        (Reply.text("imds-SECRET"), "not JSON"),
    ],
)
async def test_azure_metadata_failures(
    local_server: LocalServer, reply: Reply, message: str
) -> None:
    local_server.script("GET", "/imds", reply)
    provider = AzureManagedIdentityTokenProvider(
        endpoint=f"{local_server.origin}/imds", max_retries=0
    )
    async with WorkloadIdentity(**IDS, provider=provider, token_url=local_server.origin) as wi:
        with pytest.raises(SubjectTokenProviderError, match=message) as caught:
            await wi.get_token()
    assert caught.value.provider == "azure-imds"
    assert "SECRET" not in str(caught.value) and "SECRET" not in repr(caught.value)


async def test_gcp_metadata_failures(local_server: LocalServer) -> None:
    local_server.script("GET", "/identity", Reply.error(404), Reply.text(""))
    provider = GCPIDTokenProvider(endpoint=f"{local_server.origin}/identity", max_retries=0)
    async with WorkloadIdentity(**IDS, provider=provider, token_url=local_server.origin) as wi:
        with pytest.raises(SubjectTokenProviderError, match="HTTP 404") as caught:
            await wi.get_token()
        assert caught.value.status_code == 404
        with pytest.raises(SubjectTokenProviderError, match="empty token"):
            await wi.get_token()
