"""`WorkloadIdentity`: an `AuthProvider` trading a workload's subject token for an OpenAI token.

The exchange is OAuth 2.0 Token Exchange (RFC 8693) as openai-go performs it: a JSON POST of
``grant_type``, ``client_id``, ``subject_token``, ``subject_token_type``,
``identity_provider_id`` and ``service_account_id`` to ``https://auth.openai.com/oauth/token``,
answered by ``{"access_token", "expires_in", ...}``.

Caching and concurrency: the access token is kept until ``expires_in`` minus the refresh
buffer; a trio.Lock lets one task exchange while the others wait for its result, so any
number of concurrent requests cost one exchange. Within the refresh window the old token is
still valid, so only the task that refreshes waits; the rest keep using it. No background
task: the refresh runs in the task that needs it (the caller's cancel scope bounds it; if
that task is cancelled, the next waiter takes over).
"""

from __future__ import annotations

import contextvars
import logging
import math
import random as _random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, Self, final

import orjson
import trio

from .. import _transport
from .._errors import APIConnectionError, APIError
from .._types import json_object
from ._errors import SubjectTokenProviderError, WorkloadIdentityError, safe_oauth_code
from ._http import fetch

if TYPE_CHECKING:
    import httpx

    from ._providers import SubjectTokenProvider

__all__ = [
    "DEFAULT_TOKEN_URL",
    "GRANT_TYPE_TOKEN_EXCHANGE",
    "ID_TOKEN_TYPE",
    "JWT_TOKEN_TYPE",
    "WorkloadIdentity",
]

log: Final = logging.getLogger("trio_openai")

DEFAULT_TOKEN_URL: Final = "https://auth.openai.com/oauth/token"
GRANT_TYPE_TOKEN_EXCHANGE: Final = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TOKEN_TYPE: Final = "urn:ietf:params:oauth:token-type:jwt"
ID_TOKEN_TYPE: Final = "urn:ietf:params:oauth:token-type:id_token"
_TOKEN_TYPES: Final = {"jwt": JWT_TOKEN_TYPE, "id": ID_TOKEN_TYPE}
_DEFAULT_EXPIRES_IN: Final = 3600.0  # openai-go's default when the answer omits expires_in
_REFRESH_PAUSE: Final = 30.0  # after a failed early refresh, keep the valid token this long

# The access token each task last sent, per provider: after a 401 only the token that was
# refused is dropped, so twenty requests failing together cause one new exchange, not twenty.
_last_sent: contextvars.ContextVar[tuple[int, str] | None] = contextvars.ContextVar(
    "trio_openai_workload_token", default=None
)


def _subject_token_type(value: str) -> str:
    if value.startswith("urn:"):
        return value
    try:
        return _TOKEN_TYPES[value]
    except KeyError:
        raise WorkloadIdentityError(
            f"Unsupported subject token type {value!r}; use 'jwt', 'id' or a full URN."
        ) from None


def _expires_in(value: object) -> float:
    if value is None:
        return _DEFAULT_EXPIRES_IN
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WorkloadIdentityError("The token exchange answer has an invalid 'expires_in'.")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise WorkloadIdentityError("The token exchange answer has an invalid 'expires_in'.")
    return seconds


@final
class WorkloadIdentity:
    """OpenAI access tokens for a cloud workload, from its subject token; an `AuthProvider`.

        async with WorkloadIdentity(
            client_id="...", identity_provider_id="idp-123", service_account_id="sa-456",
            provider=K8sServiceAccountTokenProvider(),
        ) as identity, trio_openai.OpenAI(auth=identity) as client:
            ...

    The block owns the HTTP pool used for the exchange and the metadata endpoints (pass
    ``http_client`` to use your own; it is then yours to close). ``refresh_buffer`` seconds
    before expiry the token is refreshed, but never earlier than half its lifetime.
    ``clock`` (default `trio.current_time`) and ``random_source`` are for tests.

    Raises `WorkloadIdentityError` (or its `SubjectTokenProviderError`) when no token can be
    had; messages and reprs never contain a token.
    """

    def __init__(
        self,
        *,
        client_id: str,
        identity_provider_id: str,
        service_account_id: str,
        provider: SubjectTokenProvider,
        refresh_buffer: float = 1200.0,
        token_url: str = DEFAULT_TOKEN_URL,
        timeout: float = 30.0,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] | None = None,
        random_source: Callable[[], float] | None = None,
    ) -> None:
        for name, value in (
            ("client_id", client_id),
            ("identity_provider_id", identity_provider_id),
            ("service_account_id", service_account_id),
        ):
            if not value:
                raise ValueError(f"WorkloadIdentity needs a non-empty {name}")
        if refresh_buffer < 0:
            raise ValueError("refresh_buffer must be >= 0")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.client_id = client_id
        self.identity_provider_id = identity_provider_id
        self.service_account_id = service_account_id
        self.provider = provider
        self.refresh_buffer = float(refresh_buffer)
        self.token_url = token_url
        self.timeout = timeout
        self.max_retries = max_retries
        self._clock = clock or trio.current_time
        self._random = random_source or _random.random
        self._http = http_client
        self._owns_http = http_client is None
        self._closed = False
        self._lock = trio.Lock()
        self._token: str | None = None
        self._expires_at = -math.inf
        self._refresh_at = -math.inf

    def __repr__(self) -> str:
        return (
            f"WorkloadIdentity(client_id={self.client_id!r}, "
            f"identity_provider_id={self.identity_provider_id!r}, "
            f"service_account_id={self.service_account_id!r}, provider={self.provider!r}, "
            f"token_url={self.token_url!r})"
        )

    # -- lifetime -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP pool if this object created it, and forget the token."""
        self._closed = True
        self._forget()
        if self._owns_http and self._http is not None:
            http, self._http = self._http, None
            with trio.CancelScope(shield=True):
                await http.aclose()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            if self._closed:
                raise WorkloadIdentityError("This WorkloadIdentity was closed.")
            # No redirects: a redirected exchange would resend the subject token elsewhere.
            self._http = _transport.make_http_client(
                max_connections=10, max_keepalive=2, follow_redirects=False
            )
        return self._http

    # -- the AuthProvider protocol ------------------------------------------------------

    async def auth_headers(self, *, admin: bool) -> Mapping[str, str]:
        """``Authorization: Bearer <access token>``, exchanging a new token when needed."""
        token = await self.get_token()
        _last_sent.set((id(self), token))
        return {"Authorization": f"Bearer {token}"}

    def invalidate(self) -> None:
        """Drop the cached token (the API refused it); the next request exchanges anew.

        Called by the client after a 401, in the task whose request failed: if that task
        sent an older token than the one now cached, the cached one is kept.
        """
        sent = _last_sent.get()
        if sent is not None and sent[0] == id(self) and sent[1] != self._token:
            return
        self._forget()

    def _forget(self) -> None:
        self._token = None
        self._expires_at = self._refresh_at = -math.inf

    # -- the cache ------------------------------------------------------------------------

    async def get_token(self) -> str:
        """A valid access token: the cached one, or a new one from a single exchange."""
        token = self._token
        now = self._clock()
        if token is not None and now < self._refresh_at:
            return token
        if token is not None and now < self._expires_at and self._lock.locked():
            return token  # another task is refreshing; this one is still good
        async with self._lock:
            token, now = self._token, self._clock()
            if token is not None and now < self._refresh_at:
                return token  # refreshed while we waited
            try:
                return await self._exchange()
            except WorkloadIdentityError as exc:
                if token is None or self._clock() >= self._expires_at:
                    raise
                # An early refresh failed, but the old token is still valid: keep it.
                log.warning("Workload identity refresh failed, keeping the current token: %s", exc)
                self._refresh_at = min(self._clock() + _REFRESH_PAUSE, self._expires_at)
                return token

    async def _subject_token(self) -> str:
        try:
            token = await self.provider.get_token(self._client())
        except WorkloadIdentityError:
            raise
        except Exception as exc:  # a custom provider's own failure, typed for the caller
            raise SubjectTokenProviderError(
                type(self.provider).__name__, f"get_token raised {type(exc).__name__}"
            ) from exc
        # A user's provider may return anything, whatever its protocol says.
        if not isinstance(token, str) or not token:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise SubjectTokenProviderError(
                type(self.provider).__name__, "get_token returned no token"
            )
        return token

    async def _exchange(self) -> str:
        subject_type = _subject_token_type(self.provider.token_type)
        subject = await self._subject_token()
        payload = {
            "grant_type": GRANT_TYPE_TOKEN_EXCHANGE,
            "client_id": self.client_id,
            "subject_token": subject,
            "subject_token_type": subject_type,
            "identity_provider_id": self.identity_provider_id,
            "service_account_id": self.service_account_id,
        }
        started = self._clock()
        try:
            response, body = await fetch(
                self._client(),
                "POST",
                self.token_url,
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                content=orjson.dumps(payload),
                attempt_timeout=self.timeout,
                max_retries=self.max_retries,
                random=self._random,
            )
        except APIConnectionError as exc:
            raise WorkloadIdentityError(
                f"Token exchange at {self.token_url} got no answer ({type(exc).__name__})."
            ) from exc
        except APIError as exc:  # an answer too large to be a token
            raise WorkloadIdentityError(
                f"Token exchange at {self.token_url} sent an unreadable answer."
            ) from exc
        access_token, expires_in = self._parse_answer(response.status_code, body)
        self._token = access_token
        self._expires_at = started + expires_in
        self._refresh_at = started + expires_in - min(self.refresh_buffer, expires_in / 2)
        log.debug("Workload identity token exchanged; it expires in %.0f s", expires_in)
        return access_token

    def _parse_answer(self, status: int, body: bytes) -> tuple[str, float]:
        try:
            data = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            data = None
        if status != 200:
            answer = json_object(data)
            code = safe_oauth_code(answer.get("error")) if answer is not None else None
            detail = f": {code}" if code else ""
            verb = "refused" if status in (400, 401, 403) else "failed"
            raise WorkloadIdentityError(
                f"Token exchange {verb} (HTTP {status}){detail}.",
                status_code=status,
                error_code=code,
            )
        answer = json_object(data)
        if answer is None:
            raise WorkloadIdentityError("The token exchange answer is not a JSON object.")
        access_token = answer.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise WorkloadIdentityError("The token exchange answer has no 'access_token'.")
        return access_token, _expires_in(answer.get("expires_in"))
