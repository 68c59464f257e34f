"""The errors of workload identity. Pure module.

Messages and reprs name the step that failed, the endpoint's HTTP status and an OAuth error
code at most: never a subject token, an access token, or a body that might echo one.
"""

from __future__ import annotations

import re
from typing import Final

from .._errors import OpenAIError

__all__ = ["SubjectTokenProviderError", "WorkloadIdentityError", "safe_oauth_code"]

# RFC 6749 error codes are short ASCII words; anything else from a server is not shown.
_OAUTH_CODE: Final = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def safe_oauth_code(value: object) -> str | None:
    """The OAuth ``error`` value when it looks like a code, else None (never free text)."""
    if isinstance(value, str) and _OAUTH_CODE.fullmatch(value):
        return value
    return None


class WorkloadIdentityError(OpenAIError):
    """Getting an access token through workload identity failed.

    ``status_code`` is the HTTP status of the endpoint that failed (None when no response
    came back); ``error_code`` is the OAuth ``error`` of a refused token exchange, such as
    ``"invalid_grant"``. The message never contains a token.
    """

    status_code: int | None
    error_code: str | None

    def __init__(
        self, message: str, *, status_code: int | None = None, error_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.args[0]!r}, status_code={self.status_code!r}, "
            f"error_code={self.error_code!r})"
        )


class SubjectTokenProviderError(WorkloadIdentityError):
    """The subject token could not be obtained from its source (file, metadata server...).

    ``provider`` names the source: ``"kubernetes"``, ``"azure-imds"``, ``"gcp-metadata"``,
    or the class name of a custom provider.
    """

    provider: str

    def __init__(self, provider: str, message: str, *, status_code: int | None = None) -> None:
        super().__init__(f"{provider}: {message}", status_code=status_code)
        self.provider = provider
