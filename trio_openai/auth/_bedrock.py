"""Amazon Bedrock's OpenAI-compatible endpoints: AWS SigV4 signing, or a Bedrock API key.

    from trio_openai.auth import BedrockAuth

    bedrock = BedrockAuth(region="us-west-2")  # the default AWS credential chain
    async with trio_openai.OpenAI(base_url=bedrock.base_url, auth=bedrock) as client:
        await client.responses.create(model="openai.gpt-oss-120b", input="Hi")

Signing is botocore's (``pip install trio_openai[bedrock]``), never hand-written crypto;
botocore is imported on first use only. Credentials are resolved (environment, profile,
SSO, instance metadata: all blocking I/O) in a worker thread, as is their refresh.
Base URLs and SigV4 service names follow openai-python's Bedrock provider:
``https://bedrock-runtime.{region}.amazonaws.com/openai/v1`` signed for ``bedrock``, and
``https://bedrock-mantle.{region}.api.aws/openai/v1`` signed for ``bedrock-mantle``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, cast, final

import trio

from .._errors import OpenAIError

if TYPE_CHECKING:
    import httpx

__all__ = ["BedrockAuth", "bedrock_base_url"]

BedrockEndpoint = Literal["runtime", "mantle"]
_REGION: Final = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
# Not signed: they may be changed on the way (botocore leaves them out for the same reason).
_UNSIGNED: Final = frozenset({"authorization", "user-agent", "expect", "x-amzn-trace-id"})


class AwsCredentials(Protocol):
    """botocore's credentials (``botocore.credentials.Credentials``) or anything alike."""

    @property
    def access_key(self) -> str: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def token(self) -> str | None: ...


def bedrock_base_url(region: str, endpoint: BedrockEndpoint = "runtime") -> str:
    """The OpenAI-compatible base URL of Bedrock in `region`."""
    if not _REGION.fullmatch(region):
        raise OpenAIError(f"BedrockAuth: {region!r} is not an AWS region such as 'us-east-1'.")
    if endpoint == "mantle":
        return f"https://bedrock-mantle.{region}.api.aws/openai/v1"
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://bedrock-runtime.{region}.{suffix}/openai/v1"


@final
class BedrockAuth:
    """An `AuthProvider` (and `RequestSigner`) for Amazon Bedrock.

    Authentication, in this order: ``api_key`` (a Bedrock API key, sent as a bearer token);
    ``credentials`` (botocore credentials) or ``profile``; the ``AWS_BEARER_TOKEN_BEDROCK``
    environment variable; else botocore's default credential chain. ``region`` defaults to
    ``AWS_REGION`` / ``AWS_DEFAULT_REGION``. ``base_url`` is the endpoint to pass to
    ``OpenAI(base_url=...)``.
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint: BedrockEndpoint = "runtime",
        api_key: str | None = None,
        credentials: AwsCredentials | None = None,
        profile: str | None = None,
        base_url: str | None = None,
    ) -> None:
        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not region:
            raise OpenAIError("BedrockAuth needs region=... (or AWS_REGION).")
        if endpoint not in ("runtime", "mantle"):
            raise OpenAIError("BedrockAuth: endpoint must be 'runtime' or 'mantle'.")
        self.region = region
        self.service = "bedrock" if endpoint == "runtime" else "bedrock-mantle"
        self.base_url = base_url or bedrock_base_url(region, endpoint)
        if api_key is None and credentials is None and profile is None:
            api_key = os.environ.get("AWS_BEARER_TOKEN_BEDROCK") or None
        self._api_key = api_key
        self._credentials = credentials
        self._profile = profile
        self._frozen: AwsCredentials | None = None
        self._lock = trio.Lock()

    def __repr__(self) -> str:
        mode = "api_key" if self._api_key else "sigv4"
        return f"<BedrockAuth {mode} region={self.region!r} service={self.service!r}>"

    async def auth_headers(self, *, admin: bool) -> Mapping[str, str]:
        if self._api_key is not None:
            return {"Authorization": f"Bearer {self._api_key}"}
        return {}

    def invalidate(self) -> bool | None:
        if self._api_key is not None:
            return False  # a fixed key: replaying the request would fail the same way
        self._frozen = None
        return True

    async def sign_request(self, request: httpx.Request) -> None:
        """Add the SigV4 ``Authorization``, ``X-Amz-Date`` (and session token) headers."""
        if self._api_key is not None:
            return
        try:
            body = request.content
        except Exception:  # httpx.RequestNotRead: a streamed (multipart) body
            raise OpenAIError(
                "BedrockAuth: SigV4 signs the body, and this request streams its body "
                "(a file upload); use a Bedrock API key (api_key=...) for it."
            ) from None
        credentials = await self._current_credentials()
        signed = sign_sigv4(
            request.method,
            str(request.url),
            dict(request.headers),
            body,
            credentials=credentials,
            service=self.service,
            region=self.region,
        )
        for name in ("authorization", "x-amz-date", "x-amz-security-token"):
            if name in request.headers:
                del request.headers[name]
        request.headers.update(signed)

    async def _current_credentials(self) -> AwsCredentials:
        async with self._lock:
            if self._frozen is None:
                self._frozen = await trio.to_thread.run_sync(self._resolve)
            return self._frozen

    def _resolve(self) -> AwsCredentials:
        """In a worker thread: botocore's resolution (and refresh) may do blocking I/O."""
        botocore_session = _botocore("session")
        source: object = self._credentials
        if source is None:
            session = botocore_session.Session(profile=self._profile)
            source = session.get_credentials()
            if source is None:
                raise OpenAIError(
                    "BedrockAuth: no AWS credentials found (environment, profile, instance "
                    "role); pass credentials=..., profile=... or api_key=...."
                )
        get_frozen = getattr(source, "get_frozen_credentials", None)
        frozen: Any = get_frozen() if callable(get_frozen) else source
        return cast("AwsCredentials", frozen)


def sign_sigv4(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    credentials: AwsCredentials,
    service: str,
    region: str,
) -> dict[str, str]:
    """The headers botocore's SigV4 signer adds to this request."""
    awsrequest = _botocore("awsrequest")
    auth = _botocore("auth")
    botocore_credentials = _botocore("credentials")
    to_sign = {k: v for k, v in headers.items() if k.lower() not in _UNSIGNED}
    request = awsrequest.AWSRequest(method=method, url=url, data=body, headers=to_sign)
    creds = botocore_credentials.Credentials(
        credentials.access_key, credentials.secret_key, credentials.token
    )
    auth.SigV4Auth(creds, service, region).add_auth(request)
    wanted = ("authorization", "x-amz-date", "x-amz-security-token")
    return {k: v for k, v in request.headers.items() if k.lower() in wanted}


def _botocore(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(f"botocore.{module}")
    except ImportError:
        raise OpenAIError(
            "BedrockAuth signs with botocore: pip install 'trio_openai[bedrock]'."
        ) from None
