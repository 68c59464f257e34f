"""Paginators over the page shapes of the spec, with openai-python's page methods.

A list call returns an `AsyncPaginator` without sending anything. ``async for item in it``
fetches page after page; ``await it`` (or ``await it.first_page()``) gives the first
`Page`, and ``it.pages()`` iterates pages. A `Page` has openai-python's methods:
``.data``, ``has_next_page()``, ``next_page_info()``, ``await get_next_page()``,
``iter_pages()``, ``to_dict()`` (the list response exactly as received), and
``async for item in page`` goes on across the following pages, as openai-python's
``AsyncCursorPage`` does. The iterators are small classes, not async generators, so
breaking out early leaves nothing for the garbage collector.

Shapes (what the next request's query is built from):
- "cursor": ``after`` = the page's ``last_id``, else the last item's ``id``, while has_more;
- "next": ``after`` = the page's ``next`` field (organization groups, roles);
- "page": ``page`` = the page's ``next_page`` field (usage and costs);
- "single": one page only (``/models``).
An empty page with has_more true does not end the iteration while a cursor is known
(openai-go #890: the API sends such pages); openai-python stops there.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    Literal,
    Self,
    TypeAlias,
    TypeVar,
    cast,
    final,
)

import orjson

from ._models import BaseModel, Decoded, as_json

if TYPE_CHECKING:
    from collections.abc import Generator

    import httpx

__all__ = ["AsyncPaginator", "Page", "PageInfo", "PageShape"]

T = TypeVar("T")
PageShape: TypeAlias = Literal["cursor", "next", "page", "single"]
FetchPage: TypeAlias = "Callable[[dict[str, Any]], Awaitable[tuple[Any, httpx.Response]]]"

_NO_NEXT_PAGE = (
    "No next page expected; please check `.has_next_page()` before calling `.get_next_page()`."
)


@final
class PageInfo:
    """What the next page's request changes: ``params`` (e.g. ``{"after": "file-abc"}``).

    As openai-python's ``PageInfo``; the rest of the query is the first request's.
    """

    __slots__ = ("params",)

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params: dict[str, Any] = dict(params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PageInfo) and other.params == self.params

    __hash__: Any = None

    def __repr__(self) -> str:
        return f"PageInfo(params={self.params!r})"


@final
class _Items(enum.Enum):
    """Stands in a page's JSON object for its ``data`` list while the items are models."""

    ITEMS = 0


_ITEMS: Final = _Items.ITEMS


@final
class Page(Generic[T]):
    """One page of a list: its items, the JSON object as received and the HTTP response.

    A page of models does not keep the item objects it was decoded from: the models hold
    the same values, and ``to_dict()`` gives them back (a list page of small objects such
    as files is ~3.8x its JSON as dicts; the models and their values ~2.9x; measured on
    10,000 files). ``raw`` rebuilds the ``data`` list when it is read.
    """

    __slots__ = (
        "_json",
        "_next_params",
        "_next_query",
        "_paginator",
        "_sent",
        "data",
        "http_response",
    )

    def __init__(
        self,
        data: list[T],
        raw: Mapping[str, Any],
        http_response: httpx.Response,
        next_query: dict[str, Any] | None,
        *,
        paginator: AsyncPaginator[T] | None = None,
        next_params: dict[str, Any] | None = None,
    ) -> None:
        self.data = data
        # The JSON object as received; while `_sent` is set, its "data" entry is `_ITEMS`
        # and the items are the JSON of `_sent` (the decoded items, kept apart from `data`,
        # which the caller may change).
        self._json = raw
        self._sent: tuple[object, ...] | None = None
        self.http_response = http_response
        self._next_query = next_query
        self._next_params = next_params if next_params is not None else next_query
        self._paginator = paginator

    @classmethod
    def _received(
        cls,
        body: dict[str, Any],
        items: list[T],
        http_response: httpx.Response,
        next_params: dict[str, Any] | None,
        query: Mapping[str, Any],
        paginator: AsyncPaginator[T],
    ) -> Page[T]:
        """The page of a list response; `body` (orjson's, not shared) becomes the page's."""
        page = cls(
            items,
            body,
            http_response,
            None if next_params is None else {**query, **next_params},
            paginator=paginator,
            next_params=next_params,
        )
        if items and all(isinstance(item, BaseModel) for item in items):
            body["data"] = _ITEMS  # the item dicts go; the models give them back
            page._sent = tuple(items)
        return page

    @property
    def raw(self) -> Mapping[str, Any]:
        """The JSON object as received (not copied: do not change it).

        On a page of models, reading its ``data`` builds the list from the models.
        """
        if self._sent is None:
            return self._json
        return _PageJSON(self._json, self._sent)

    @property
    def has_more(self) -> bool:
        """The page's own ``has_more`` field (False when absent)."""
        return bool(self._json.get("has_more", False))

    @property
    def first_id(self) -> str | None:
        """The page's ``first_id`` field, where the list has one (None otherwise)."""
        value = self._json.get("first_id")
        return value if isinstance(value, str) else None

    @property
    def last_id(self) -> str | None:
        """The page's ``last_id`` field, where the list has one (None otherwise)."""
        value = self._json.get("last_id")
        return value if isinstance(value, str) else None

    def has_next_page(self) -> bool:
        """Whether there is a page after this one (``get_next_page()`` would fetch it)."""
        return self._next_query is not None

    def next_page_info(self) -> PageInfo | None:
        """What the next page's request changes (``PageInfo(params={"after": ...})``), or
        None on the last page."""
        return None if self._next_params is None else PageInfo(self._next_params)

    def next_page_query(self) -> dict[str, Any] | None:
        """The whole query of the next page's request, or None on the last page."""
        return None if self._next_query is None else dict(self._next_query)

    async def get_next_page(self) -> Page[T]:
        """Fetch the page after this one.

        Raises RuntimeError on the last page (check `has_next_page()` first), as
        openai-python does, and for a page built by hand (no request to repeat).
        """
        if self._next_query is None:
            raise RuntimeError(_NO_NEXT_PAGE)
        if self._paginator is None:
            raise RuntimeError("This page was not fetched by a list call: it has no next page.")
        return await self._paginator.get_page(self._next_query)

    def iter_pages(self) -> PageIterator[T]:
        """This page, then each following one (fetched as the iteration reaches it)."""
        return PageIterator(self._paginator, first=self)

    def __aiter__(self) -> ItemIterator[T]:
        """Every item from this page on, fetching the following pages as needed."""
        return ItemIterator(self.iter_pages())

    def to_dict(self) -> dict[str, Any]:
        """The list response exactly as received (a copy: changing it leaves the page alone)."""
        sent = self._sent
        return {
            key: copy.deepcopy(value) if value is not _ITEMS else _items_json(sent)
            for key, value in self._json.items()
        }

    def to_json(self) -> bytes:
        """`to_dict()` serialized by orjson."""
        sent = self._sent
        if sent is None:
            return orjson.dumps(dict(self._json))
        return orjson.dumps(
            {k: v if v is not _ITEMS else _items_json(sent) for k, v in self._json.items()}
        )

    def __repr__(self) -> str:
        return f"Page(items={len(self.data)}, has_next_page={self.has_next_page()})"


def _items_json(items: tuple[object, ...] | None) -> list[Any]:
    return [] if items is None else [as_json(item) for item in items]


@final
class _PageJSON(Mapping[str, Any]):
    """A page's JSON object whose ``data`` list is rebuilt from the models when read."""

    __slots__ = ("_json", "_sent")

    def __init__(self, json: Mapping[str, Any], sent: tuple[object, ...]) -> None:
        self._json = json
        self._sent = sent

    def __getitem__(self, key: str) -> Any:
        value = self._json[key]
        return _items_json(self._sent) if value is _ITEMS else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._json)

    def __len__(self) -> int:
        return len(self._json)

    def __repr__(self) -> str:
        return repr(dict(self))


def next_params(
    shape: PageShape, raw: Mapping[str, Any], query: Mapping[str, Any]
) -> dict[str, Any] | None:
    """What changes in the query for the page after ``raw`` (fetched with ``query``)."""
    if shape == "single":
        return None
    if shape == "page":
        token = raw.get("next_page")
        if not token or raw.get("has_more") is False:
            return None
        return {"page": token}
    if not raw.get("has_more"):
        return None
    cursor: object
    if shape == "next":
        cursor = raw.get("next")
    else:
        cursor = raw.get("last_id")
        if not cursor:
            data = raw.get("data")
            if isinstance(data, list) and data:
                last = cast("list[object]", data)[-1]
                if isinstance(last, Mapping):
                    cursor = cast("Mapping[str, object]", last).get("id")
                else:  # a decoded item (a big page's)
                    cursor = getattr(last, "id", None)
    if not cursor or cursor == query.get("after"):
        return None  # nothing to advance with: stop rather than loop forever
    return {"after": cursor}


def next_query(
    shape: PageShape, raw: Mapping[str, Any], query: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The whole query for the page after ``raw`` (fetched with ``query``), or None."""
    params = next_params(shape, raw, query)
    return None if params is None else {**query, **params}


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

    async def get_page(self, query: dict[str, Any]) -> Page[T]:
        """The page that ``query`` selects (one request)."""
        raw, response = await self._fetch(query)
        if not isinstance(raw, Mapping):
            from ._errors import APIResponseValidationError

            raise APIResponseValidationError(
                "A list response is not a JSON object.", response=response, body=raw
            )
        sent = cast("Mapping[str, Any]", raw)
        body = sent if isinstance(sent, dict) else dict(sent)  # the page's own: it trims it
        items = cast("Iterable[Any]", body.get("data") or [])
        params = next_params(self._shape, body, query)
        if isinstance(items, Decoded):  # a big page, decoded as it was parsed
            decoded: list[T] = list(items)
        else:
            decode = self._decode_item
            decoded = [decode(item) for item in items]
        return Page[T]._received(  # pyright: ignore[reportPrivateUsage]
            body, decoded, response, params, query, self
        )

    async def first_page(self) -> Page[T]:
        return await self.get_page(self._query)

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self.first_page().__await__()

    def pages(self) -> PageIterator[T]:
        return PageIterator(self)

    def __aiter__(self) -> ItemIterator[T]:
        return ItemIterator(PageIterator(self))


@final
class PageIterator(Generic[T]):
    """Pages one after another: from a paginator's first query, or from a page in hand."""

    __slots__ = ("_first", "_next", "_paginator")

    def __init__(
        self, paginator: AsyncPaginator[T] | None, *, first: Page[T] | None = None
    ) -> None:
        self._paginator = paginator
        self._first = first
        self._next: dict[str, Any] | None = None
        if first is None and paginator is not None:
            self._next = paginator._query  # pyright: ignore[reportPrivateUsage]

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Page[T]:
        page = self._first
        if page is not None:
            self._first = None
        elif self._next is None or self._paginator is None:
            raise StopAsyncIteration
        else:
            page = await self._paginator.get_page(self._next)
        self._next = page.next_page_query()
        return page


@final
class ItemIterator(Generic[T]):
    """The items of each page of a `PageIterator`, in order."""

    __slots__ = ("_index", "_items", "_pages")

    def __init__(self, pages: PageIterator[T]) -> None:
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
