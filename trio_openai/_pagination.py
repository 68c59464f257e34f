"""Paginators over the page shapes of the spec.

A list call returns an `AsyncPaginator` without sending anything. ``async for item in it``
fetches page after page; ``await it`` or ``await it.first_page()`` gives one `Page`, and
``it.pages()`` iterates pages. The iterators are small classes, not async generators, so
breaking out early leaves nothing for the garbage collector.

Shapes (what the next request's query is built from):
- "cursor": ``after`` = the page's ``last_id``, else the last item's ``id``, while has_more;
- "next": ``after`` = the page's ``next`` field (organization groups, roles);
- "page": ``page`` = the page's ``next_page`` field (usage and costs);
- "single": one page only (``/models``).
An empty page with has_more true does not end the iteration while a cursor is known.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, Self, TypeAlias, TypeVar, final

if TYPE_CHECKING:
    from collections.abc import Generator

    import httpx

__all__ = ["AsyncPaginator", "Page", "PageShape"]

T = TypeVar("T")
PageShape: TypeAlias = Literal["cursor", "next", "page", "single"]
FetchPage: TypeAlias = "Callable[[dict[str, Any]], Awaitable[tuple[Any, httpx.Response]]]"


@final
class Page(Generic[T]):
    """One page of a list: its items, the raw JSON object and the HTTP response."""

    __slots__ = ("_next_query", "data", "http_response", "raw")

    def __init__(
        self,
        data: list[T],
        raw: Mapping[str, Any],
        http_response: httpx.Response | None,
        next_query: dict[str, Any] | None,
    ) -> None:
        self.data = data
        self.raw = raw
        self.http_response = http_response
        self._next_query = next_query

    @property
    def has_more(self) -> bool:
        return bool(self.raw.get("has_more", False))

    def has_next_page(self) -> bool:
        return self._next_query is not None

    def next_page_query(self) -> dict[str, Any] | None:
        """The query of the next page's request, or None on the last page."""
        return None if self._next_query is None else dict(self._next_query)

    def __repr__(self) -> str:
        return f"Page(items={len(self.data)}, has_more={self.has_more})"


def next_query(
    shape: PageShape, raw: Mapping[str, Any], query: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The query for the page after ``raw`` (fetched with ``query``), or None."""
    if shape == "single":
        return None
    if shape == "page":
        token = raw.get("next_page")
        if not token or raw.get("has_more") is False:
            return None
        return {**query, "page": token}
    if not raw.get("has_more"):
        return None
    if shape == "next":
        cursor = raw.get("next")
    else:
        cursor = raw.get("last_id")
        if not cursor:
            data = raw.get("data")
            if isinstance(data, list) and data and isinstance(data[-1], Mapping):
                cursor = data[-1].get("id")
    if not cursor or cursor == query.get("after"):
        return None  # nothing to advance with: stop rather than loop forever
    return {**query, "after": cursor}


class AsyncPaginator(Generic[T]):
    """An auto-paging async iterable of items; awaiting it gives the first page."""

    def __init__(
        self,
        fetch: FetchPage,
        decode_item: Callable[[Any], T],
        *,
        shape: PageShape,
        query: Mapping[str, Any],
    ) -> None:
        self._fetch = fetch
        self._decode_item = decode_item
        self._shape: PageShape = shape
        self._query = dict(query)

    async def _get_page(self, query: dict[str, Any]) -> Page[T]:
        raw, response = await self._fetch(query)
        if not isinstance(raw, Mapping):
            from ._errors import APIResponseValidationError

            raise APIResponseValidationError(
                "A list response is not a JSON object.", response=response, body=raw
            )
        items = raw.get("data") or []
        decode = self._decode_item
        return Page(
            [decode(item) for item in items], raw, response, next_query(self._shape, raw, query)
        )

    async def first_page(self) -> Page[T]:
        return await self._get_page(self._query)

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self.first_page().__await__()

    def pages(self) -> _PageIterator[T]:
        return _PageIterator(self)

    def __aiter__(self) -> _ItemIterator[T]:
        return _ItemIterator(_PageIterator(self))


@final
class _PageIterator(Generic[T]):
    __slots__ = ("_next", "_paginator")

    def __init__(self, paginator: AsyncPaginator[T]) -> None:
        self._paginator = paginator
        self._next: dict[str, Any] | None = paginator._query

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Page[T]:
        if self._next is None:
            raise StopAsyncIteration
        page = await self._paginator._get_page(self._next)
        self._next = page.next_page_query()
        return page


@final
class _ItemIterator(Generic[T]):
    __slots__ = ("_index", "_items", "_pages")

    def __init__(self, pages: _PageIterator[T]) -> None:
        self._pages = pages
        self._items: list[T] = []
        self._index = 0

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        while self._index >= len(self._items):
            page = await self._pages.__anext__()  # StopAsyncIteration ends us too
            self._items = page.data
            self._index = 0
        item = self._items[self._index]
        self._index += 1
        return item
