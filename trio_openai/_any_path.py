"""``client.get/post/put/patch/delete/request/stream``: any path, typed by overloads.

A base class of `OpenAI`, apart from it so that the overloads (what a type checker needs
to give ``cast_to=f`` the type ``f`` returns, and ``stream=True`` a `Stream`) do not bury
the client's own logic. Every call ends in `OpenAI._call_path`, with the client's auth,
retries, middleware and errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Unpack, cast, overload

from ._types import CallOptions, omit

if TYPE_CHECKING:
    from ._streaming import Stream

__all__ = ["AnyPath"]

T = TypeVar("T")


def json_object(value: object) -> dict[str, object]:
    """The default decoding of `client.stream(...)` events: each is a JSON object (a dict).

    Typed so that ``event["type"]`` reads as users write it; an event that is not an
    object (a server outside the OpenAI API) raises, naming ``decode=`` to take any JSON.
    """
    if value.__class__ is dict:
        return cast("dict[str, object]", value)
    from ._errors import APIResponseValidationError

    raise APIResponseValidationError(
        f"An event of client.stream(...) is JSON {type(value).__name__}, not an object; "
        "pass decode= (e.g. decode=lambda data: data) to take any JSON value.",
        body=value,
    )


class AnyPath:
    """Calls of undocumented (or not yet generated) endpoints, typed by their ``cast_to``."""

    async def _call_path(
        self,
        method: str,
        path: str,
        *,
        body: object,
        query: Mapping[str, object] | None,
        files: Mapping[str, object] | None,
        cast_to: Callable[[Any], object] | None,
        stream: bool,
        options: CallOptions,
    ) -> object:
        raise NotImplementedError  # OpenAI implements it

    def _open_stream(
        self,
        method: str,
        path: str,
        *,
        body: object,
        query: Mapping[str, object] | None,
        decode: Callable[[Any], T],
        options: CallOptions,
    ) -> Stream[T]:
        raise NotImplementedError  # OpenAI implements it

    # -- request -------------------------------------------------------------------------

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        files: Mapping[str, object] | None = ...,
        cast_to: Callable[[Any], T],
        stream: Literal[False] = ...,
        **options: Unpack[CallOptions],
    ) -> T: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        files: Mapping[str, object] | None = ...,
        cast_to: None = ...,
        stream: Literal[False] = ...,
        **options: Unpack[CallOptions],
    ) -> Any: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        cast_to: Callable[[Any], T],
        stream: Literal[True],
        **options: Unpack[CallOptions],
    ) -> Stream[T]: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        cast_to: None = ...,
        stream: Literal[True],
        **options: Unpack[CallOptions],
    ) -> Stream[dict[str, Any]]: ...
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: object = omit,
        query: Mapping[str, object] | None = None,
        files: Mapping[str, object] | None = None,
        cast_to: Callable[[Any], object] | None = None,
        stream: bool = False,
        **options: Unpack[CallOptions],
    ) -> object:
        """Call any path (relative to base_url, or absolute) with the client's auth, retries,
        middleware and errors. The JSON result goes through ``cast_to`` when given (its
        return type is the call's); without it the result is the decoded JSON.

        With ``files`` the request is multipart (form fields and files). With
        ``stream=True`` the result is a `Stream` of events (each passed through
        ``cast_to``), sent when its block opens: ``async with await client.post(...,
        stream=True) as stream``.
        """
        return await self._call_path(
            method,
            path,
            body=body,
            query=query,
            files=files,
            cast_to=cast_to,
            stream=stream,
            options=options,
        )

    # -- get and post (they may stream) ---------------------------------------------------

    @overload
    async def get(
        self,
        path: str,
        *,
        query: Mapping[str, object] | None = ...,
        cast_to: Callable[[Any], T],
        stream: Literal[False] = ...,
        **options: Unpack[CallOptions],
    ) -> T: ...
    @overload
    async def get(
        self,
        path: str,
        *,
        query: Mapping[str, object] | None = ...,
        cast_to: None = ...,
        stream: Literal[False] = ...,
        **options: Unpack[CallOptions],
    ) -> Any: ...
    @overload
    async def get(
        self,
        path: str,
        *,
        query: Mapping[str, object] | None = ...,
        cast_to: Callable[[Any], T],
        stream: Literal[True],
        **options: Unpack[CallOptions],
    ) -> Stream[T]: ...
    @overload
    async def get(
        self,
        path: str,
        *,
        query: Mapping[str, object] | None = ...,
        cast_to: None = ...,
        stream: Literal[True],
        **options: Unpack[CallOptions],
    ) -> Stream[dict[str, Any]]: ...
    async def get(
        self,
        path: str,
        *,
        query: Mapping[str, object] | None = None,
        cast_to: Callable[[Any], object] | None = None,
        stream: bool = False,
        **options: Unpack[CallOptions],
    ) -> object:
        """GET any path; see `request`."""
        return await self._call_path(
            "GET",
            path,
            body=omit,
            query=query,
            files=None,
            cast_to=cast_to,
            stream=stream,
            options=options,
        )

    @overload
    async def post(
        self,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        files: Mapping[str, object] | None = ...,
        cast_to: Callable[[Any], T],
        stream: Literal[False] = ...,
        **options: Unpack[CallOptions],
    ) -> T: ...
    @overload
    async def post(
        self,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        files: Mapping[str, object] | None = ...,
        cast_to: None = ...,
        stream: Literal[False] = ...,
        **options: Unpack[CallOptions],
    ) -> Any: ...
    @overload
    async def post(
        self,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        cast_to: Callable[[Any], T],
        stream: Literal[True],
        **options: Unpack[CallOptions],
    ) -> Stream[T]: ...
    @overload
    async def post(
        self,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        cast_to: None = ...,
        stream: Literal[True],
        **options: Unpack[CallOptions],
    ) -> Stream[dict[str, Any]]: ...
    async def post(
        self,
        path: str,
        *,
        body: object = omit,
        query: Mapping[str, object] | None = None,
        files: Mapping[str, object] | None = None,
        cast_to: Callable[[Any], object] | None = None,
        stream: bool = False,
        **options: Unpack[CallOptions],
    ) -> object:
        """POST to any path; see `request`."""
        return await self._call_path(
            "POST",
            path,
            body=body,
            query=query,
            files=files,
            cast_to=cast_to,
            stream=stream,
            options=options,
        )

    # -- put, patch, delete ---------------------------------------------------------------

    @overload
    async def put(
        self,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        cast_to: Callable[[Any], T],
        **options: Unpack[CallOptions],
    ) -> T: ...
    @overload
    async def put(
        self,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        cast_to: None = ...,
        **options: Unpack[CallOptions],
    ) -> Any: ...
    async def put(
        self,
        path: str,
        *,
        body: object = omit,
        query: Mapping[str, object] | None = None,
        cast_to: Callable[[Any], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> object:
        """PUT to any path; see `request`."""
        return await self._call_path(
            "PUT",
            path,
            body=body,
            query=query,
            files=None,
            cast_to=cast_to,
            stream=False,
            options=options,
        )

    @overload
    async def patch(
        self,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        cast_to: Callable[[Any], T],
        **options: Unpack[CallOptions],
    ) -> T: ...
    @overload
    async def patch(
        self,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        cast_to: None = ...,
        **options: Unpack[CallOptions],
    ) -> Any: ...
    async def patch(
        self,
        path: str,
        *,
        body: object = omit,
        query: Mapping[str, object] | None = None,
        cast_to: Callable[[Any], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> object:
        """PATCH any path; see `request`."""
        return await self._call_path(
            "PATCH",
            path,
            body=body,
            query=query,
            files=None,
            cast_to=cast_to,
            stream=False,
            options=options,
        )

    @overload
    async def delete(
        self,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        cast_to: Callable[[Any], T],
        **options: Unpack[CallOptions],
    ) -> T: ...
    @overload
    async def delete(
        self,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        cast_to: None = ...,
        **options: Unpack[CallOptions],
    ) -> Any: ...
    async def delete(
        self,
        path: str,
        *,
        body: object = omit,
        query: Mapping[str, object] | None = None,
        cast_to: Callable[[Any], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> object:
        """DELETE any path; see `request`."""
        return await self._call_path(
            "DELETE",
            path,
            body=body,
            query=query,
            files=None,
            cast_to=cast_to,
            stream=False,
            options=options,
        )

    # -- stream ---------------------------------------------------------------------------

    @overload
    def stream(
        self,
        method: str,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        decode: Callable[[Any], T],
        **options: Unpack[CallOptions],
    ) -> Stream[T]: ...
    @overload
    def stream(
        self,
        method: str,
        path: str,
        *,
        body: object = ...,
        query: Mapping[str, object] | None = ...,
        **options: Unpack[CallOptions],
    ) -> Stream[dict[str, Any]]: ...
    def stream(
        self,
        method: str,
        path: str,
        *,
        body: object = omit,
        query: Mapping[str, object] | None = None,
        decode: Callable[[Any], Any] = json_object,
        **options: Unpack[CallOptions],
    ) -> Stream[Any]:
        """Stream server-sent events from any path: ``async with client.stream(...) as s``.

        Each event's JSON goes through ``decode`` when given.
        """
        return self._open_stream(
            method, path, body=body, query=query, decode=decode, options=options
        )
