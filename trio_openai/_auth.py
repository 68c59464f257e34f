"""Pluggable authentication: where a request's credential headers come from.

The default is the API key (and admin key) given to the client. A provider replaces that
with headers computed per attempt: Azure's ``api-key``, Azure AD tokens, workload-identity
tokens exchanged at OpenAI's auth endpoint, Google Vertex tokens. After a 401 the client
calls ``invalidate()`` and replays the request once, so a revoked or expired token is
refreshed transparently.

A provider that must see the whole request (AWS SigV4 signs the method, URL, headers and
body) also implements `RequestSigner`: the client then calls ``sign_request`` on each
attempt, after every middleware, just before the request goes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import httpx

    from ._types import CallNext, Middleware

__all__ = ["AuthProvider", "RequestSigner", "signing_middleware"]


@runtime_checkable
class AuthProvider(Protocol):
    """The credential headers of each attempt (``admin`` marks /organization routes)."""

    async def auth_headers(self, *, admin: bool) -> Mapping[str, str]: ...

    def invalidate(self) -> bool | None:
        """Forget any cached credential: the server answered 401 with it.

        Return False when the credential cannot be refreshed (a fixed key), so the client
        does not replay the request in vain; None or True allow one replay.
        """
        ...


@runtime_checkable
class RequestSigner(Protocol):
    """An auth provider that signs the final request in place (headers added or replaced)."""

    async def sign_request(self, request: httpx.Request) -> None: ...


def signing_middleware(auth: object) -> tuple[Middleware, ...]:
    """The innermost middleware of a client whose provider signs requests, else nothing:
    innermost, so that every header a middleware adds is signed too."""
    if not isinstance(auth, RequestSigner):
        return ()
    signer = auth

    async def sign(request: httpx.Request, call_next: CallNext) -> httpx.Response:
        await signer.sign_request(request)
        return await call_next(request)

    return (sign,)
