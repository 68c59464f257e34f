"""Subject-token providers: where a workload proves who it is before the token exchange.

A provider has a ``token_type`` (``"jwt"`` or ``"id"``, as openai-go spells them, or a full
``urn:ietf:params:oauth:token-type:...``) and ``async get_token(http) -> str``, where
``http`` is the httpx.AsyncClient owned by the `WorkloadIdentity` calling it. Three come
with the package: a Kubernetes service-account token file, Azure's instance metadata
service (IMDS) and Google Cloud's metadata server.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Protocol, final, runtime_checkable

import attrs
import orjson
import trio

from .._errors import APIError
from .._types import json_object
from ._errors import SubjectTokenProviderError
from ._http import fetch

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AzureManagedIdentityTokenProvider",
    "GCPIDTokenProvider",
    "K8sServiceAccountTokenProvider",
    "SubjectTokenProvider",
]

DEFAULT_K8S_TOKEN_PATH: Final = "/var/run/secrets/kubernetes.io/serviceaccount/token"
DEFAULT_AZURE_RESOURCE: Final = "https://management.azure.com/"
DEFAULT_AZURE_IMDS_URL: Final = "http://169.254.169.254/metadata/identity/oauth2/token"
DEFAULT_GCP_AUDIENCE: Final = "https://api.openai.com/v1"
DEFAULT_GCP_IDENTITY_URL: Final = (
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity"
)


@runtime_checkable
class SubjectTokenProvider(Protocol):
    """A source of subject tokens for `WorkloadIdentity`; implement it for custom sources.

    ``get_token`` is called for every exchange (so a rotated file or a renewed metadata
    token is picked up) and returns the token text. Raise `SubjectTokenProviderError` for
    a clear failure; any other exception is wrapped into one by the caller.
    """

    @property
    def token_type(self) -> str:
        """``"jwt"``, ``"id"``, or a full ``urn:ietf:params:oauth:token-type:...``."""
        ...

    async def get_token(self, http: httpx.AsyncClient) -> str: ...


@final
@attrs.frozen
class K8sServiceAccountTokenProvider:
    """The projected service-account token of a Kubernetes pod, read from its file.

    The file is read (with trio, off the event loop) on every call, because the kubelet
    rotates it in place.
    """

    path: str = DEFAULT_K8S_TOKEN_PATH
    token_type: str = attrs.field(default="jwt", init=False)

    async def get_token(self, http: httpx.AsyncClient) -> str:
        try:
            text = await trio.Path(self.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SubjectTokenProviderError(
                "kubernetes",
                f"cannot read the service account token file {self.path!r} ({type(exc).__name__})",
            ) from exc
        token = text.strip()
        if not token:
            raise SubjectTokenProviderError(
                "kubernetes", f"the service account token file {self.path!r} is empty"
            )
        return token


async def _metadata_get(
    provider: str,
    http: httpx.AsyncClient,
    url: str,
    *,
    headers: dict[str, str],
    params: list[tuple[str, str]],
    attempt_timeout: float,
    max_retries: int,
    random: Callable[[], float],
) -> bytes:
    try:
        response, body = await fetch(
            http,
            "GET",
            url,
            headers=headers,
            params=params,
            attempt_timeout=attempt_timeout,
            max_retries=max_retries,
            random=random,
        )
    except APIError as exc:
        raise SubjectTokenProviderError(
            provider, f"no usable answer from the metadata endpoint ({type(exc).__name__})"
        ) from exc
    if response.status_code != 200:
        raise SubjectTokenProviderError(
            provider,
            f"the metadata endpoint answered HTTP {response.status_code}",
            status_code=response.status_code,
        )
    return body


@final
@attrs.frozen(kw_only=True)
class AzureManagedIdentityTokenProvider:
    """A token of the VM's (or container's) managed identity, from Azure IMDS.

    ``client_id``, ``object_id`` or ``msi_res_id`` pick one identity when several are
    assigned. ``endpoint`` is configurable for tests and for IMDS proxies.
    """

    resource: str = DEFAULT_AZURE_RESOURCE
    client_id: str | None = None
    object_id: str | None = None
    msi_res_id: str | None = None
    api_version: str = "2018-02-01"
    endpoint: str = DEFAULT_AZURE_IMDS_URL
    timeout: float = 10.0
    max_retries: int = 2
    random_source: Callable[[], float] = attrs.field(default=_random.random, repr=False)
    token_type: str = attrs.field(default="jwt", init=False)

    async def get_token(self, http: httpx.AsyncClient) -> str:
        params = [("api-version", self.api_version), ("resource", self.resource)]
        for name in ("object_id", "client_id", "msi_res_id"):
            value = getattr(self, name)
            if value is not None:
                params.append((name, value))
        body = await _metadata_get(
            "azure-imds",
            http,
            self.endpoint,
            headers={"Metadata": "true", "Accept": "application/json"},
            params=params,
            attempt_timeout=self.timeout,
            max_retries=self.max_retries,
            random=self.random_source,
        )
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise SubjectTokenProviderError("azure-imds", "the IMDS answer is not JSON") from None
        answer = json_object(data)
        token = answer.get("access_token") if answer is not None else None
        if not isinstance(token, str) or not token:
            raise SubjectTokenProviderError(
                "azure-imds", "the IMDS answer has no 'access_token' string"
            )
        return token


@final
@attrs.frozen(kw_only=True)
class GCPIDTokenProvider:
    """An ID token of the instance's default service account, from the GCP metadata server."""

    audience: str = DEFAULT_GCP_AUDIENCE
    endpoint: str = DEFAULT_GCP_IDENTITY_URL
    timeout: float = 10.0
    max_retries: int = 2
    random_source: Callable[[], float] = attrs.field(default=_random.random, repr=False)
    token_type: str = attrs.field(default="id", init=False)

    async def get_token(self, http: httpx.AsyncClient) -> str:
        body = await _metadata_get(
            "gcp-metadata",
            http,
            self.endpoint,
            headers={"Metadata-Flavor": "Google"},
            params=[("audience", self.audience)],
            attempt_timeout=self.timeout,
            max_retries=self.max_retries,
            random=self.random_source,
        )
        try:
            token = body.decode("ascii").strip()
        except UnicodeDecodeError:
            raise SubjectTokenProviderError(
                "gcp-metadata", "the metadata server's answer is not a token"
            ) from None
        if not token:
            raise SubjectTokenProviderError(
                "gcp-metadata", "the metadata server sent an empty token"
            )
        return token
