"""Raw access: a parsed result together with the httpx.Response it came from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar, final

if TYPE_CHECKING:
    import httpx

__all__ = ["APIResponse"]

T = TypeVar("T")


@final
class APIResponse(Generic[T]):
    """What ``client.with_raw_response....`` returns: ``.parsed`` plus the HTTP details."""

    __slots__ = ("http_response", "parsed", "retries_taken")

    def __init__(self, http_response: httpx.Response, parsed: T, retries_taken: int) -> None:
        self.http_response = http_response
        self.parsed = parsed
        self.retries_taken = retries_taken

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        return self.http_response.headers.get("x-request-id")

    def parse(self) -> T:
        return self.parsed

    def __repr__(self) -> str:
        return (
            f"APIResponse(status_code={self.status_code}, request_id={self.request_id!r}, "
            f"parsed={type(self.parsed).__name__})"
        )
