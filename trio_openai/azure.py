"""`AzureOpenAI`: the client for Azure OpenAI, with Azure's URLs, ``api-version`` and auth.

    async with AzureOpenAI(
        azure_endpoint="https://my-resource.openai.azure.com",
        api_version="2024-10-21",
        api_key="...",                      # or azure_ad_token=..., azure_ad_token_provider=...
    ) as client:
        await client.post("/chat/completions", body={"model": "my-deployment", ...})
        # -> POST https://my-resource.openai.azure.com/openai/deployments/my-deployment/
        #         chat/completions?api-version=2024-10-21

Behaviour follows openai-python's AzureOpenAI: the routes Azure serves per deployment take
the deployment from the body's ``model``; every other route goes to ``{endpoint}/openai``;
``azure_deployment`` pins one deployment in the base URL. Environment: AZURE_OPENAI_API_KEY,
AZURE_OPENAI_AD_TOKEN, OPENAI_API_VERSION, AZURE_OPENAI_ENDPOINT.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Self, TypeAlias, cast, final
from urllib.parse import quote, urlsplit

from ._client import OpenAI
from ._errors import OpenAIError
from ._types import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    Middleware,
    Omit,
    RequestOptions,
    Timeout,
    omit,
)

if TYPE_CHECKING:
    import httpx

    from ._auth import AuthProvider
    from ._hedge import AdaptiveHedge
    from ._prepared import Prepared

__all__ = ["AzureADTokenProvider", "AzureOpenAI"]

AzureADTokenProvider: TypeAlias = Callable[[], "str | Awaitable[str]"]
"""A sync or async callable returning a Microsoft Entra ID (Azure AD) token, called per attempt."""

# The routes Azure serves under /deployments/{model} (openai-python's list).
DEPLOYMENT_ROUTES: Final = frozenset(
    {
        "/completions",
        "/chat/completions",
        "/embeddings",
        "/audio/transcriptions",
        "/audio/translations",
        "/audio/speech",
        "/images/generations",
        "/images/edits",
    }
)
# API versions of Azure's v1 surface, which takes the model in the body, not the URL.
_UNROUTED_VERSIONS: Final = frozenset({"preview", "latest"})


@final
class _APIKeyAuth:
    __slots__ = ("_headers",)

    def __init__(self, api_key: str) -> None:
        self._headers = {"api-key": api_key}

    def __repr__(self) -> str:
        return "<Azure api-key auth>"

    async def auth_headers(self, *, admin: bool) -> Mapping[str, str]:
        return self._headers

    def invalidate(self) -> bool:
        return False  # a key cannot be refreshed: no replay


@final
class _BearerAuth:
    """A fixed Entra ID token, or one from a (sync or async) provider called per attempt."""

    __slots__ = ("_provider", "_token")

    def __init__(self, token: str | None, provider: AzureADTokenProvider | None) -> None:
        self._token = token
        self._provider = provider

    def __repr__(self) -> str:
        return "<Azure AD token provider auth>" if self._provider else "<Azure AD token auth>"

    async def auth_headers(self, *, admin: bool) -> Mapping[str, str]:
        if self._provider is None:
            token: object = self._token
        else:
            token = self._provider()
            if inspect.isawaitable(token):
                token = await token
        if not isinstance(token, str) or not token:
            raise OpenAIError(
                "azure_ad_token_provider must return a non-empty str, "
                f"it returned {type(token).__name__}."
            )
        return {"Authorization": f"Bearer {token}"}

    def invalidate(self) -> bool:
        # A fixed token cannot be refreshed; a provider is asked again on the replay.
        return self._provider is not None


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _make_auth(
    api_key: str | None,
    azure_ad_token: str | None,
    azure_ad_token_provider: AzureADTokenProvider | None,
) -> AuthProvider:
    """Explicit arguments win over the environment; then AD token, provider, key in turn."""
    azure_ad_token, api_key = azure_ad_token or None, api_key or None
    if azure_ad_token is None and azure_ad_token_provider is None and api_key is None:
        azure_ad_token = _env("AZURE_OPENAI_AD_TOKEN")
        api_key = _env("AZURE_OPENAI_API_KEY")
    if azure_ad_token is not None:
        return _BearerAuth(azure_ad_token, None)
    if azure_ad_token_provider is not None:
        return _BearerAuth(None, azure_ad_token_provider)
    if api_key is not None:
        return _APIKeyAuth(api_key)
    raise OpenAIError(
        "Missing credentials: pass api_key, azure_ad_token or azure_ad_token_provider, "
        "or set AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN."
    )


def _model_of(form: object) -> str | None:
    if isinstance(form, Mapping):
        model = cast("Mapping[str, object]", form).get("model")
        if isinstance(model, str) and model:
            return model
    return None


class AzureOpenAI(OpenAI):
    """A client of Azure OpenAI; everything else is `OpenAI`'s (options, retries, streams).

    Give ``azure_endpoint`` (``https://<resource>.openai.azure.com``; env
    AZURE_OPENAI_ENDPOINT) or a full ``base_url``, an ``api_version`` (env
    OPENAI_API_VERSION), and one credential: ``api_key`` (sent as ``api-key``; env
    AZURE_OPENAI_API_KEY), ``azure_ad_token`` (env AZURE_OPENAI_AD_TOKEN) or
    ``azure_ad_token_provider``, a sync or async callable asked for a token on every attempt
    (both sent as ``Authorization: Bearer``). A sync provider runs in the event loop: if it
    may block (azure-identity's sync credentials do when they refresh), pass
    ``lambda: trio.to_thread.run_sync(provider)`` instead.

    Raises `OpenAIError` when the credential, the API version or the endpoint is missing.
    """

    def __init__(
        self,
        *,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        api_version: str | None = None,
        api_key: str | None = None,
        azure_ad_token: str | None = None,
        azure_ad_token_provider: AzureADTokenProvider | None = None,
        organization: str | None = None,
        project: str | None = None,
        webhook_secret: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_after: float = 60.0,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        middleware: Sequence[Middleware] = (),
        http_client: httpx.AsyncClient | None = None,
        max_event_size: int = 32 * 1024 * 1024,
        random_source: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        auth = _make_auth(api_key, azure_ad_token, azure_ad_token_provider)
        api_version = api_version or _env("OPENAI_API_VERSION")
        if not api_version:
            raise OpenAIError("Missing api_version: pass api_version or set OPENAI_API_VERSION.")
        if base_url is None:
            azure_endpoint = azure_endpoint or _env("AZURE_OPENAI_ENDPOINT")
            if not azure_endpoint:
                raise OpenAIError(
                    "Missing endpoint: pass azure_endpoint (or base_url), "
                    "or set AZURE_OPENAI_ENDPOINT."
                )
            azure_endpoint = azure_endpoint.rstrip("/")
            base_url = f"{azure_endpoint}/openai"
            if azure_deployment:
                base_url += f"/deployments/{quote(azure_deployment, safe='')}"
        elif azure_endpoint is not None:
            raise OpenAIError("Give either base_url or azure_endpoint, not both.")
        super().__init__(
            api_key="",  # not OPENAI_API_KEY: Azure's credential travels through `auth`
            admin_key="",
            organization=organization,
            project=project,
            webhook_secret=webhook_secret,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_after=max_retry_after,
            default_headers=default_headers,
            default_query={**(default_query or {}), "api-version": api_version},
            middleware=middleware,
            http_client=http_client,
            max_event_size=max_event_size,
            auth=auth,
            random_source=random_source,
            wall_clock=wall_clock,
        )
        self.api_key = api_key if isinstance(auth, _APIKeyAuth) else None
        self.admin_key = None
        self.api_version = api_version
        self.azure_endpoint = azure_endpoint
        self.azure_deployment = azure_deployment if azure_endpoint else None

    def __repr__(self) -> str:
        return f"AzureOpenAI(base_url={self.base_url!r}, api_version={self.api_version!r})"

    def with_options(
        self,
        *,
        api_key: str | None = None,
        admin_key: str | None = None,
        azure_ad_token: str | None = None,
        azure_ad_token_provider: AzureADTokenProvider | None = None,
        api_version: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeout | Omit | None = omit,
        max_retries: int | None = None,
        max_retry_after: float | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        middleware: Sequence[Middleware] | None = None,
        hedge_after: float | AdaptiveHedge | Omit | None = omit,
    ) -> Self:
        """A copy with some options changed, sharing this client's connection pool.

        A new credential (``api_key``, ``azure_ad_token`` or ``azure_ad_token_provider``)
        replaces the current one; ``api_version`` replaces the ``api-version`` parameter.
        """
        copy = super().with_options(
            admin_key=admin_key,
            organization=organization,
            project=project,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_after=max_retry_after,
            default_headers=default_headers,
            default_query=default_query,
            middleware=middleware,
            hedge_after=hedge_after,
        )
        if api_key is not None or azure_ad_token is not None or azure_ad_token_provider:
            copy.auth = _make_auth(api_key, azure_ad_token, azure_ad_token_provider)
            copy.api_key = api_key if isinstance(copy.auth, _APIKeyAuth) else None
        if api_version is not None:
            copy.api_version = api_version
            copy.default_query = {**copy.default_query, "api-version": api_version}
        return copy

    # -- routing ----------------------------------------------------------------------

    def _azure_path(self, path: str, body: object, multipart: object) -> str:
        if path.startswith(("http://", "https://")):
            return path
        if path in DEPLOYMENT_ROUTES:
            model = _model_of(body) or _model_of(multipart)
            if (
                model is not None
                and "/deployments" not in urlsplit(self.base_url).path
                and self.api_version.lower() not in _UNROUTED_VERSIONS
            ):
                return f"/deployments/{quote(model, safe='')}{path}"
            return path
        if self.azure_deployment and self.azure_endpoint:
            # A pinned deployment serves only its own routes; the rest are account-wide.
            return f"{self.azure_endpoint}/openai{path}"
        return path

    def _prepare(
        self,
        method: str,
        path: str,
        *,
        body: object,
        query: Mapping[str, object] | None,
        multipart: Mapping[str, object] | None,
        headers: Mapping[str, str] | None,
        options: RequestOptions,
        admin: bool,
        accept: str,
    ) -> Prepared:
        return super()._prepare(
            method,
            self._azure_path(path, body, multipart),
            body=body,
            query=query,
            multipart=multipart,
            headers=headers,
            options=options,
            admin=admin,
            accept=accept,
        )
