"""Raw and streamed access to a call: the parsed result with the HTTP response around it.

``resource.with_raw_response.method(...)`` returns an `APIResponse` (body read, result
parsed); ``async with resource.with_streaming_response.method(...) as response`` gives an
`AsyncAPIResponse` whose body is read only as you ask (``iter_bytes()``, ``read()``,
``parse()``...) and whose connection is released when the block ends. Names follow
openai-python.

How the HTTP response reaches the wrapper: the wrapper sets a `_Capture` in a context
variable around the one generated method it calls, and the client's entry point records
what it received there (a streamed call also skips reading the body). The method's
return value is unchanged, so no helper ever gets an `APIResponse` it did not ask for;
the cost on a plain call is one context-variable read.
"""

from __future__ import annotations

import codecs
import functools
import gc
import os
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager, contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final, Generic, ParamSpec, Self, TypeVar, final

import orjson

from ._errors import OpenAIError
from ._transport import BodyReader

if TYPE_CHECKING:
    from types import TracebackType

    import httpx

    from ._pagination import AsyncPaginator, Page

__all__ = [
    "BIG_BODY",
    "APIResponse",
    "AsyncAPIResponse",
    "gc_paused",
    "to_raw_page_wrapper",
    "to_raw_response_wrapper",
    "to_streamed_page_wrapper",
    "to_streamed_response_wrapper",
]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
S = TypeVar("S")


class _Capture:
    """What the client's entry point received, for the raw-response wrapper around it."""

    __slots__ = ("content", "decode", "response", "retries_taken", "streaming")

    def __init__(self, *, streaming: bool) -> None:
        self.streaming = streaming
        self.response: httpx.Response | None = None
        self.content: bytes | None = None
        self.retries_taken = 0
        self.decode: Callable[[bytes], object] | None = None


CAPTURE: ContextVar[_Capture | None] = ContextVar("trio_openai_capture", default=None)

# A body from this size up is decoded with the cyclic garbage collector paused.
BIG_BODY: Final = 1 << 20


@contextmanager
def gc_paused() -> Generator[None]:
    """Pause the cyclic garbage collector while a big body becomes objects.

    Decoding a 20 MB Response builds ~100,000 containers; the collector runs a young
    collection every 700 of them and, as they survive, full ones that traverse all that
    was built so far: ~40 % of the decode time, finding nothing (fresh JSON holds no
    cycles). The decode is synchronous (no checkpoint, no other task runs meanwhile), and
    collection resumes when it ends, error or not. Not nested: it leaves a collector
    that someone else disabled alone.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _no_response(name: str) -> OpenAIError:
    return OpenAIError(
        f"{name}: this call sent no request of its own (with stream=True the Stream carries "
        "the HTTP response: `async with await ...create(..., stream=True) as stream:` then "
        "`stream.response`)"
    )


@final
class APIResponse(Generic[T]):
    """What ``with_raw_response`` calls return: ``.parsed`` (or ``.parse()``) plus the HTTP
    details (``headers``, ``status_code``, ``request_id``, ``retries_taken``...)."""

    __slots__ = ("_content", "http_response", "parsed", "retries_taken")

    def __init__(
        self,
        http_response: httpx.Response,
        parsed: T,
        retries_taken: int,
        content: bytes | None = None,
    ) -> None:
        self.http_response = http_response
        self.parsed = parsed
        self.retries_taken = retries_taken
        self._content = content

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def http_request(self) -> httpx.Request:
        return self.http_response.request

    @property
    def url(self) -> httpx.URL:
        return self.http_response.request.url

    @property
    def request_id(self) -> str | None:
        return self.http_response.headers.get("x-request-id")

    @property
    def content(self) -> bytes:
        """The body as received (empty for a page, whose items are in ``parsed``)."""
        return self._content or b""

    @property
    def text(self) -> str:
        return self.content.decode(self.http_response.encoding or "utf-8", "replace")

    def json(self) -> object:
        """The body's JSON, not converted to models."""
        return orjson.loads(self.content)

    def parse(self) -> T:
        """The result the call returns without ``with_raw_response``."""
        return self.parsed

    def __repr__(self) -> str:
        return (
            f"APIResponse(status_code={self.status_code}, request_id={self.request_id!r}, "
            f"parsed={type(self.parsed).__name__})"
        )


@final
class _Pieces(Generic[S]):
    """An async iterator over a body in pieces (bytes re-cut, text, lines), fed chunk by
    chunk; a class rather than an async generator so that an early ``break`` leaves
    nothing for the garbage collector (the response closes with its block)."""

    __slots__ = ("_done", "_flush", "_next", "_pending", "_split")

    def __init__(
        self,
        next_chunk: Callable[[], Awaitable[bytes | None]],
        split: Callable[[bytes], list[S]],
        flush: Callable[[], list[S]],
    ) -> None:
        self._next = next_chunk
        self._split = split
        self._flush = flush
        self._pending: deque[S] = deque()
        self._done = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> S:
        while not self._pending:
            if self._done:
                raise StopAsyncIteration
            chunk = await self._next()
            if chunk is None:
                self._done = True
                self._pending.extend(self._flush())
            else:
                self._pending.extend(self._split(chunk))
        return self._pending.popleft()


@final
class AsyncAPIResponse(Generic[T]):
    """What ``async with ...with_streaming_response.method(...) as response`` gives: the
    headers at once, the body as you read it. The connection is released when the block
    ends, whether or not the body was read."""

    def __init__(
        self,
        http_response: httpx.Response,
        parse: Callable[[bytes], T],
        retries_taken: int,
        content: bytes | None = None,
    ) -> None:
        self.http_response = http_response
        self.retries_taken = retries_taken
        self._parse = parse
        self._content = content
        self._reader: BodyReader | None = None
        self._consumed = content is not None
        self._parsed: tuple[T] | None = None

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def http_request(self) -> httpx.Request:
        return self.http_response.request

    @property
    def url(self) -> httpx.URL:
        return self.http_response.request.url

    @property
    def request_id(self) -> str | None:
        return self.http_response.headers.get("x-request-id")

    def _body_reader(self) -> BodyReader:
        if self._reader is None:
            self._reader = BodyReader(self.http_response)
        return self._reader

    async def _next_chunk(self) -> bytes | None:
        return await self._body_reader().next_chunk()

    def _start(self) -> Callable[[], Awaitable[bytes | None]]:
        if self._content is not None:
            pending = [self._content]

            async def replay() -> bytes | None:
                return pending.pop() if pending else None

            return replay
        if self._consumed:
            raise OpenAIError("the body was already read: iterate it (or read it) only once")
        self._consumed = True
        return self._next_chunk

    async def read(self) -> bytes:
        """The whole body (read once, then kept)."""
        if self._content is None:
            if self._consumed:
                raise OpenAIError("the body was already consumed by an iter_*() loop")
            self._consumed = True
            reader = self._body_reader()
            parts: list[bytes] = []
            while (chunk := await reader.next_chunk()) is not None:
                parts.append(chunk)
            self._content = b"".join(parts)
        return self._content

    async def text(self) -> str:
        return (await self.read()).decode(self.http_response.encoding or "utf-8", "replace")

    async def json(self) -> object:
        """The body's JSON, not converted to models."""
        return orjson.loads(await self.read())

    async def parse(self) -> T:
        """The result the call returns without ``with_streaming_response`` (reads the body)."""
        if self._parsed is None:
            self._parsed = (self._parse(await self.read()),)
        return self._parsed[0]

    def iter_bytes(self, chunk_size: int | None = None) -> _Pieces[bytes]:
        """The body as it arrives, in chunks of ``chunk_size`` bytes (the last may be
        shorter) or as received."""
        if chunk_size is None:
            return _Pieces(self._start(), lambda chunk: [chunk], list)
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        buffer = bytearray()

        def split(chunk: bytes) -> list[bytes]:
            buffer.extend(chunk)
            cut = len(buffer) - len(buffer) % chunk_size
            out = [bytes(buffer[i : i + chunk_size]) for i in range(0, cut, chunk_size)]
            del buffer[:cut]
            return out

        return _Pieces(self._start(), split, lambda: [bytes(buffer)] if buffer else [])

    async def stream_to_file(
        self, file: str | os.PathLike[str], *, chunk_size: int | None = None
    ) -> None:
        """Write the body to `file` as it arrives, never holding all of it in memory
        (openai-python's ``stream_to_file``, awaited)."""
        from ._binary import write_chunks

        await write_chunks(self.iter_bytes(chunk_size), file)

    def iter_text(self) -> _Pieces[str]:
        """The body decoded as it arrives (the response's charset, else UTF-8)."""
        decoder = codecs.getincrementaldecoder(self.http_response.encoding or "utf-8")("replace")

        def split(chunk: bytes) -> list[str]:
            text = decoder.decode(chunk)
            return [text] if text else []

        def flush() -> list[str]:
            text = decoder.decode(b"", final=True)
            return [text] if text else []

        return _Pieces(self._start(), split, flush)

    def iter_lines(self) -> _Pieces[str]:
        """The body's lines as they arrive, without their line endings."""
        decoder = codecs.getincrementaldecoder(self.http_response.encoding or "utf-8")("replace")
        partial: list[str] = [""]

        def split(chunk: bytes) -> list[str]:
            lines = (partial[0] + decoder.decode(chunk)).split("\n")
            partial[0] = lines.pop()
            return [line.removesuffix("\r") for line in lines]

        def flush() -> list[str]:
            rest = partial[0] + decoder.decode(b"", final=True)
            return [rest.removesuffix("\r")] if rest else []

        return _Pieces(self._start(), split, flush)

    async def aclose(self) -> None:
        """Release the connection (safe to call more than once)."""
        await self._body_reader().aclose()

    def __repr__(self) -> str:
        return f"AsyncAPIResponse(status_code={self.status_code}, request_id={self.request_id!r})"


# --- the wrappers behind with_raw_response / with_streaming_response --------------------------


def to_raw_response_wrapper(
    fn: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[APIResponse[R]]]:
    """`fn`, returning an `APIResponse` around its result."""

    @functools.wraps(fn)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> APIResponse[R]:
        capture = _Capture(streaming=False)
        token = CAPTURE.set(capture)
        try:
            parsed = await fn(*args, **kwargs)
        finally:
            CAPTURE.reset(token)
        if capture.response is None:
            raise _no_response(f"with_raw_response.{fn.__name__}()")
        return APIResponse(capture.response, parsed, capture.retries_taken, capture.content)

    return wrapped


def to_raw_page_wrapper(
    fn: Callable[P, AsyncPaginator[T]],
) -> Callable[P, Awaitable[APIResponse[Page[T]]]]:
    """A list method, returning its first page in an `APIResponse`."""

    @functools.wraps(fn)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> APIResponse[Page[T]]:
        capture = _Capture(streaming=False)
        token = CAPTURE.set(capture)
        try:
            page = await fn(*args, **kwargs).first_page()
        finally:
            CAPTURE.reset(token)
        if capture.response is None:
            raise _no_response(f"with_raw_response.{fn.__name__}()")
        return APIResponse(capture.response, page, capture.retries_taken, capture.content)

    return wrapped


@final
class _StreamedCall(Generic[T]):
    """The async context manager a ``with_streaming_response`` method returns: the request
    is sent when the block opens, the connection released when it ends."""

    def __init__(self, call: Callable[[], Awaitable[object]], name: str, *, page: bool) -> None:
        self._call = call
        self._name = name
        self._page = page
        self._response: AsyncAPIResponse[T] | None = None

    async def __aenter__(self) -> AsyncAPIResponse[T]:
        capture = _Capture(streaming=not self._page)
        token = CAPTURE.set(capture)
        try:
            result = await self._call()
        finally:
            CAPTURE.reset(token)
        http = capture.response
        if http is None:
            raise _no_response(f"with_streaming_response.{self._name}()")
        if self._page:

            def parse(_: bytes) -> Any:
                return result

            response: AsyncAPIResponse[Any] = AsyncAPIResponse(
                http, parse, capture.retries_taken, capture.content or b""
            )
        else:
            assert capture.decode is not None
            response = AsyncAPIResponse(http, capture.decode, capture.retries_taken)
        self._response = response
        return response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._response is not None:
            await self._response.aclose()


def to_streamed_response_wrapper(
    fn: Callable[P, Awaitable[R]],
) -> Callable[P, AbstractAsyncContextManager[AsyncAPIResponse[R]]]:
    """`fn` as ``async with method(...) as response``: an `AsyncAPIResponse`, body unread."""

    @functools.wraps(fn)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> _StreamedCall[R]:
        return _StreamedCall(lambda: fn(*args, **kwargs), fn.__name__, page=False)

    return wrapped


def to_streamed_page_wrapper(
    fn: Callable[P, AsyncPaginator[T]],
) -> Callable[P, AbstractAsyncContextManager[AsyncAPIResponse[Page[T]]]]:
    """A list method as ``async with method(...) as response``; ``parse()`` is the first page."""

    @functools.wraps(fn)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> _StreamedCall[Page[T]]:
        return _StreamedCall(lambda: fn(*args, **kwargs).first_page(), fn.__name__, page=True)

    return wrapped
