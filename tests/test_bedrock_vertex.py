"""Amazon Bedrock (SigV4 through botocore) and Google Vertex (google-auth tokens) over real
sockets: the local server recomputes each SigV4 signature with botocore and checks each
bearer token against the ones its fake OAuth endpoint issued."""

from __future__ import annotations

import hmac
import sys
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import trio
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from google.oauth2.credentials import Credentials as GoogleUserCredentials

import trio_openai
from trio_openai.auth import BedrockAuth, VertexAuth, bedrock_base_url, vertex_base_url
from trio_openai.testing import LocalServer, RecordedRequest, Reply

AWS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI-SECRET", "session-token-1")
REGION = "us-west-2"
PATH = "/openai/v1/chat/completions"
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "openai.gpt-oss-120b",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": "signed ok", "refusal": None},
            "logprobs": None,
        }
    ],
}
MESSAGES = [{"role": "user", "content": "Hi"}]


def sigv4_valid(request: RecordedRequest, *, service: str, secret: Credentials = AWS) -> bool:
    """Recompute the request's SigV4 signature, as AWS does, with botocore."""
    scheme, _, fields = request.headers["authorization"].partition(" ")
    parts = dict(p.strip().split("=", 1) for p in fields.split(","))
    _, date, region, signed_service, _ = parts["Credential"].split("/")
    if scheme != "AWS4-HMAC-SHA256" or (region, signed_service) != (REGION, service):
        return False
    signed = parts["SignedHeaders"].split(";")
    query = urlencode([(k, v) for k, vs in request.query.items() for v in vs])
    url = f"http://{request.headers['host']}{request.path}" + (f"?{query}" if query else "")
    headers = {name: request.headers[name] for name in signed}
    aws_request: Any = AWSRequest(
        method=request.method, url=url, data=request.body, headers=headers
    )
    aws_request.context["timestamp"] = request.headers["x-amz-date"]
    signer: Any = SigV4Auth(secret, service, REGION)
    string_to_sign = signer.string_to_sign(aws_request, signer.canonical_request(aws_request))
    expected: str = signer.signature(string_to_sign, aws_request)
    return date == request.headers["x-amz-date"][:8] and hmac.compare_digest(
        expected, parts["Signature"]
    )


def bedrock_route(server: LocalServer, *, service: str = "bedrock") -> list[str]:
    """Answer PATH when the signature holds, else 403 as AWS does; returns the verdicts."""
    verdicts: list[str] = []

    def handle(request: RecordedRequest) -> Reply:
        ok = sigv4_valid(request, service=service)
        verdicts.append("ok" if ok else "bad")
        if not ok:
            return Reply.json(
                {"message": "The request signature we calculated does not match"}, status=403
            )
        return Reply.json(COMPLETION)

    server.script("POST", PATH, Reply.handler(handle))
    return verdicts


def bedrock(server: LocalServer, **kwargs: Any) -> BedrockAuth:
    return BedrockAuth(
        region=REGION,
        credentials=kwargs.pop("credentials", AWS),
        base_url=f"{server.origin}/openai/v1",
        **kwargs,
    )


async def test_bedrock_requests_carry_a_valid_sigv4_signature(local_server: LocalServer) -> None:
    verdicts = bedrock_route(local_server)
    auth = bedrock(local_server)
    async with trio_openai.OpenAI(base_url=auth.base_url, auth=auth) as client:
        reply = await client.chat.completions.create(model="openai.gpt-oss-120b", messages=MESSAGES)
    assert reply.choices[0].message.content == "signed ok"
    assert verdicts == ["ok"]
    sent = local_server.requests[0]
    assert sent.headers["x-amz-security-token"] == "session-token-1"
    assert "content-type" in sent.headers["authorization"]  # the body's type is signed
    assert "wJalrXUtnFEMI" not in repr(auth) and "Bearer" not in sent.headers["authorization"]


async def test_bedrock_a_wrong_secret_is_refused(local_server: LocalServer) -> None:
    verdicts = bedrock_route(local_server)
    auth = bedrock(local_server, credentials=Credentials("AKIDEXAMPLE", "not-the-secret"))
    async with trio_openai.OpenAI(base_url=auth.base_url, auth=auth, max_retries=0) as client:
        with pytest.raises(trio_openai.PermissionDeniedError):
            await client.chat.completions.create(model="m", messages=MESSAGES)
    assert verdicts == ["bad"]


async def test_bedrock_signs_after_middleware_and_on_every_retry(local_server: LocalServer) -> None:
    verdicts = bedrock_route(local_server)
    calls = 0

    def flaky(request: RecordedRequest) -> Reply:
        nonlocal calls
        calls += 1
        verdicts.append("ok" if sigv4_valid(request, service="bedrock") else "bad")
        if calls == 1:
            return Reply.json({"error": {"message": "busy"}}, status=500)
        return Reply.json(COMPLETION)

    local_server.script("POST", PATH, Reply.handler(flaky))

    async def trace(request: Any, call_next: Any) -> Any:
        request.headers["x-trace-id"] = "trace-1"
        return await call_next(request)

    auth = bedrock(local_server)
    async with trio_openai.OpenAI(
        base_url=auth.base_url, auth=auth, middleware=[trace], max_retries=2
    ) as client:
        await client.chat.completions.create(model="m", messages=MESSAGES)
    assert verdicts == ["ok", "ok"]  # the retry (another x-stainless-retry-count) re-signed
    first, second = local_server.requests
    assert "x-trace-id" in first.headers["authorization"]  # the middleware's header is signed
    assert first.headers["x-amz-date"] and second.headers["x-stainless-retry-count"] == "1"


async def test_bedrock_mantle_signs_for_its_own_service(local_server: LocalServer) -> None:
    verdicts = bedrock_route(local_server, service="bedrock-mantle")
    auth = bedrock(local_server, endpoint="mantle")
    async with trio_openai.OpenAI(base_url=auth.base_url, auth=auth) as client:
        await client.chat.completions.create(model="m", messages=MESSAGES)
    assert verdicts == ["ok"]


async def test_bedrock_api_key_is_a_bearer_token(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_server.script("POST", PATH, Reply.json(COMPLETION))
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-1")
    auth = BedrockAuth(region=REGION, base_url=f"{local_server.origin}/openai/v1")
    async with trio_openai.OpenAI(base_url=auth.base_url, auth=auth) as client:
        await client.chat.completions.create(model="m", messages=MESSAGES)
    sent = local_server.requests[0]
    assert sent.headers["authorization"] == "Bearer bedrock-api-key-1"
    assert "x-amz-date" not in sent.headers
    assert auth.invalidate() is False  # a fixed key is not replayed after a 401


def test_bedrock_base_urls_and_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        bedrock_base_url("us-east-1") == "https://bedrock-runtime.us-east-1.amazonaws.com/openai/v1"
    )
    assert (
        bedrock_base_url("eu-west-3", "mantle")
        == "https://bedrock-mantle.eu-west-3.api.aws/openai/v1"
    )
    assert bedrock_base_url("cn-north-1").endswith(".amazonaws.com.cn/openai/v1")
    with pytest.raises(trio_openai.OpenAIError, match="not an AWS region"):
        bedrock_base_url("moon-1")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(trio_openai.OpenAIError, match="region"):
        BedrockAuth()


# -- Vertex ------------------------------------------------------------------------------------


class TokenIssuer:
    """A fake Google OAuth token endpoint: ya29.token-1, ya29.token-2, ... per refresh."""

    def __init__(self, server: LocalServer) -> None:
        self.issued: list[str] = []
        self.revoked: set[str] = set()
        self.url = f"{server.origin}/token"
        server.script("POST", "/token", Reply.handler(self.issue))
        server.script(
            "POST",
            "/v1/projects/p/locations/us-central1/publishers/openai/v1/chat/completions",
            Reply.handler(self.api),
        )

    def issue(self, request: RecordedRequest) -> Reply:
        form = dict(parse_qsl(request.body.decode()))
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != "rt-1":
            return Reply.json({"error": "invalid_grant"}, status=400)
        self.issued.append(f"ya29.token-{len(self.issued) + 1}")
        return Reply.json(
            {"access_token": self.issued[-1], "expires_in": 3600, "token_type": "Bearer"}
        )

    def api(self, request: RecordedRequest) -> Reply:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.issued or token in self.revoked:
            return Reply.json({"error": {"message": "bad token", "code": 401}}, status=401)
        return Reply.json(COMPLETION)


def vertex(server: LocalServer, issuer: TokenIssuer) -> VertexAuth:
    credentials = GoogleUserCredentials(
        token=None,
        refresh_token="rt-1",
        token_uri=issuer.url,
        client_id="client-1",
        client_secret="client-secret-1",
    )
    base = f"{server.origin}/v1/projects/p/locations/us-central1/publishers/openai/v1"
    return VertexAuth(project="p", location="us-central1", credentials=credentials, base_url=base)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


async def test_vertex_tokens_are_refreshed_once_for_many_requests(
    local_server: LocalServer,
) -> None:
    issuer = TokenIssuer(local_server)
    auth = vertex(local_server, issuer)
    async with (
        trio_openai.OpenAI(base_url=auth.base_url, auth=auth) as client,
        trio.open_nursery() as nursery,
    ):
        for _ in range(10):
            nursery.start_soon(lambda: client.chat.completions.create(model="m", messages=MESSAGES))
    assert issuer.issued == ["ya29.token-1"] and auth.refreshes == 1
    api = [r for r in local_server.requests if r.path.endswith("/chat/completions")]
    assert {r.headers["authorization"] for r in api} == {"Bearer ya29.token-1"}


async def test_vertex_a_401_refreshes_the_token_and_replays(local_server: LocalServer) -> None:
    issuer = TokenIssuer(local_server)
    auth = vertex(local_server, issuer)
    async with trio_openai.OpenAI(base_url=auth.base_url, auth=auth) as client:
        await client.chat.completions.create(model="m", messages=MESSAGES)
        issuer.revoked.add("ya29.token-1")
        reply = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert reply.choices[0].message.content == "signed ok"
    assert issuer.issued == ["ya29.token-1", "ya29.token-2"]


def test_vertex_base_urls_and_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    assert vertex_base_url("my-proj", "us-central1") == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/"
        "us-central1/publishers/openai/v1"
    )
    assert vertex_base_url("p", "global").startswith("https://aiplatform.googleapis.com/")
    with pytest.raises(trio_openai.OpenAIError, match="location"):
        vertex_base_url("p", "US Central")
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    with pytest.raises(trio_openai.OpenAIError, match="project"):
        VertexAuth(location="us-central1")


def test_the_provider_libraries_load_only_when_used() -> None:
    import subprocess

    code = (
        "import sys, trio_openai, trio_openai.auth as a;"
        "a.BedrockAuth(region='us-east-1', api_key='k'); a.VertexAuth(project='p', location='l');"
        "print('botocore' in sys.modules, 'google.auth' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
