"""Pluggable authentication: where a request's credential headers come from.

The default is the API key (and admin key) given to the client. A provider replaces that
with headers computed per attempt: Azure's ``api-key``, Azure AD tokens, workload-identity
tokens exchanged at OpenAI's auth endpoint. After a 401 the client calls ``invalidate()``
and replays the request once, so a revoked or expired token is refreshed transparently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

__all__ = ["AuthProvider"]


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
