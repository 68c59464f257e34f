"""Client configuration from arguments and the environment. Pure module."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping
from typing import Final, Literal, TypeAlias

from ._errors import OpenAIError
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DataResidency",
    "base_url_for",
    "parse_custom_headers",
    "platform_headers",
]

DEFAULT_BASE_URL: Final = "https://api.openai.com/v1"
DataResidency: TypeAlias = Literal["global", "us", "eu", "ae", "au", "in", "jp"]
_RESIDENCY_HOSTS: Final[Mapping[str, str]] = {
    "global": "https://api.openai.com/v1",
    "us": "https://us.api.openai.com/v1",
    "eu": "https://eu.api.openai.com/v1",
    "ae": "https://ae.api.openai.com/v1",
    "au": "https://au.api.openai.com/v1",
    "in": "https://in.api.openai.com/v1",
    "jp": "https://jp.api.openai.com/v1",
}


def base_url_for(base_url: str | None, data_residency: str | None) -> str:
    """Explicit base URL, else OPENAI_BASE_URL, else the data-residency host."""
    if base_url is None:
        base_url = os.environ.get("OPENAI_BASE_URL") or None
    if base_url is not None:
        if data_residency not in (None, "global"):
            raise OpenAIError("Give either base_url or data_residency, not both.")
        return base_url.rstrip("/")
    region = data_residency or "global"
    try:
        return _RESIDENCY_HOSTS[region]
    except KeyError:
        choices = ", ".join(sorted(_RESIDENCY_HOSTS))
        raise OpenAIError(f"Unknown data_residency {region!r}; choose one of {choices}.") from None


def parse_custom_headers(text: str | None) -> dict[str, str]:
    """OPENAI_CUSTOM_HEADERS: newline-separated ``Name: value`` lines; blank lines ignored."""
    headers: dict[str, str] = {}
    if not text:
        return headers
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise OpenAIError(
                "OPENAI_CUSTOM_HEADERS lines must look like 'Name: value' (a line did not)."
            )
        headers[name.strip()] = value.strip()
    return headers


def _arch() -> str:
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "x64"
    if machine in ("arm64", "aarch64"):
        return "arm64"
    if machine in ("i386", "i686", "x86"):
        return "x32"
    return f"other:{machine}" if machine else "unknown"


def _os_name() -> str:
    name = sys.platform
    if name.startswith("linux"):
        return "Linux"
    if name == "darwin":
        return "MacOS"
    if name in ("win32", "cygwin"):
        return "Windows"
    if "freebsd" in name:
        return "FreeBSD"
    return f"Other:{name}"


def platform_headers() -> dict[str, str]:
    """The X-Stainless-* platform headers the official SDKs send, plus User-Agent."""
    return {
        "User-Agent": f"trio_openai/Python {__version__}",
        "X-Stainless-Lang": "python",
        "X-Stainless-Package-Version": __version__,
        "X-Stainless-OS": _os_name(),
        "X-Stainless-Arch": _arch(),
        "X-Stainless-Runtime": platform.python_implementation(),
        "X-Stainless-Runtime-Version": platform.python_version(),
        "X-Stainless-Async": "trio",
    }
