"""One request as the client prepares it, and the decoding of its JSON reply.

`Prepared` is what each attempt of the retry loop builds a fresh ``httpx.Request`` from;
the functions are the pure steps around it (merging ``extra_body``, sizing the body,
decoding a JSON body or an error body). Split from ``_client.py``, which keeps the client
and its retry loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from ._errors import APIResponseValidationError
from ._response import BIG_BODY, gc_paused
from ._types import Middleware, Omit, Timeout

if TYPE_CHECKING:
    import httpx

    from ._multipart import MultipartBody
    from ._operation import Operation

__all__ = [
    "Prepared",
    "bytes_of",
    "decode_json",
    "format_timeout",
    "json_decoder",
    "merge_extra",
    "parse_error_body",
    "right_sized",
]

T = TypeVar("T")


def decode_json(
    response: httpx.Response,
    content: bytes,
    cast: Callable[[Any], T] | None,
    *,
    items: Callable[[Any], object] | None = None,
) -> Any:
    """The JSON body, through ``cast`` when given.

    ``items`` (list calls): how the items of a list page are decoded. A big page's items
    are then decoded as its slices are parsed (`_json_slices`), and its ``data`` comes
    back as a `_models.Decoded` list; otherwise they are left as JSON.
    """
    if not content:
        return None if cast is None else cast(None)
    if len(content) >= BIG_BODY:
        with gc_paused():
            return _decode_json(response, content, cast, items)
    return _decode_json(response, content, cast, None)


def _decode_json(
    response: httpx.Response,
    content: bytes,
    cast: Callable[[Any], T] | None,
    items: Callable[[Any], object] | None,
) -> Any:
    try:
        data = orjson.loads(content) if len(content) < BIG_BODY else _loads_big(content, items)
    except orjson.JSONDecodeError as exc:
        ctype = response.headers.get("content-type", "")
        raise APIResponseValidationError(
            f"Expected a JSON body (content-type {ctype!r}): {exc}",
            request=response.request,
            response=response,
            body=content[:2000],
        ) from None
    return data if cast is None else cast(data)


def _loads_big(content: bytes, items: Callable[[Any], object] | None) -> Any:
    # imported on first use: its patterns cost ~0.8 ms of import time, the first big body
    # pays it instead of every `import trio_openai`
    from ._json_slices import loads

    return loads(content, item=items)


def bytes_of(content: bytes) -> bytes:
    return content


def json_decoder(
    response: httpx.Response, cast: Callable[[Any], object] | None
) -> Callable[[bytes], object]:
    def decode(content: bytes) -> object:
        return decode_json(response, content, cast)

    return decode


def parse_error_body(content: bytes) -> object:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return content.decode("utf-8", "replace")


def merge_extra(body: dict[str, Any], extra: Mapping[str, object] | None) -> dict[str, Any]:
    """``extra_body`` over ``body``: its values win, and ``omit`` removes a key."""
    for key, value in (extra or {}).items():
        if isinstance(value, Omit):
            body.pop(key, None)
        else:
            body[key] = value
    return body


def right_sized(data: bytes) -> bytes:
    """A copy of `data` in an allocation of its own size.

    orjson leaves its output in its working buffer: 4 KiB for a small body, about eight
    times the size of a large one (measured with tracemalloc). A request body lives as long
    as its response (for a stream, the whole stream); the copy costs one memcpy.
    """
    return memoryview(data).tobytes()


def format_timeout(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


class Prepared:
    """One logical request, from which each attempt builds a fresh httpx.Request."""

    __slots__ = (
        "admin",
        "content",
        "headers",
        "method",
        "middleware",
        "operation",
        "params",
        "replayable",
        "retry_count_header",
        "timeout",
        "tokens",
        "url",
    )

    def __init__(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        params: list[tuple[str, str]],
        content: bytes | MultipartBody | None,
        timeout: Timeout,
        middleware: Sequence[Middleware],
        admin: bool = False,
    ) -> None:
        self.admin = admin
        self.tokens = 0
        self.method = method
        self.url = url
        self.headers = headers
        self.params = params
        self.content = content
        self.timeout = timeout
        self.middleware = middleware
        # Seen by middleware across attempts; only a call with middleware has one.
        self.operation: Operation | None = None
        self.replayable = content is None or isinstance(content, bytes) or content.replayable
        # False when the caller set or removed X-Stainless-Retry-Count in extra_headers.
        self.retry_count_header = True
