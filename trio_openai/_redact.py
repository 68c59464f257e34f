"""Redaction of credentials in headers, for logs, reprs and error dumps. Pure module."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = ["SENSITIVE_HEADERS", "redact_headers"]

SENSITIVE_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "openai-api-key",
        "cookie",
        "set-cookie",
        "x-goog-iam-authorization-token",
        "openai-admin-key",
        "webhook-signature",
    }
)


def redact_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict with the values of credential-bearing ones replaced."""
    out: dict[str, str] = {}
    for name, value in items:
        lowered = name.lower()
        if lowered in SENSITIVE_HEADERS or "secret" in lowered or "token" in lowered:
            out[name] = "<redacted>"
        else:
            out[name] = value
    return out
