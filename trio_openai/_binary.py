"""Binary results (file contents, speech audio, videos, zips): openai-python's methods.

``await client.files.content(id)`` returns a `BinaryResponseContent`, the trio twin of
openai-python's ``HttpxBinaryResponseContent``: ``.content``, ``.read()``, ``.text``,
``.json()``, ``.encoding``, ``.response``, ``await write_to_file(path)`` and
``async for chunk in result.iter_bytes()``. Differences that trio requires: writing to a
file and byte iteration are async (file I/O must not block the event loop).

The object wraps either a body already read (what a plain call gives: the client reads it
inside its retry loop, so a dropped connection is retried) or a body still on the wire
(``with_streaming_response``, whose block owns the connection). On the second kind,
``write_to_file`` and ``iter_bytes`` pass the chunks through as they arrive, never holding
the whole body; ``content``/``read()`` need ``await aread()`` first, and a body streamed
once cannot be streamed again (nothing was kept).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Self, cast, final

import orjson

if TYPE_CHECKING:
    import httpx
    from trio._file_io import AsyncIOWrapper

    from ._transport import BodyReader

__all__ = ["BinaryResponseContent", "HttpxBinaryResponseContent", "write_chunks"]

_NOT_READ = (
    "The body of this binary response has not been read: `await result.aread()` first, "
    "or stream it with `async for chunk in result.iter_bytes()` / "
    "`await result.write_to_file(path)`."
)
_CONSUMED = (
    "The body of this binary response was already streamed and not kept: read it with "
    "`await result.aread()` before streaming if you need it twice."
)

# Chunks waiting for the file while a write is in progress (each write is one trip to a
# worker thread, trio.open_file, costlier than writing a ~64 KB socket read): they go to
# disk together in the next write. The bound keeps memory flat whatever the body's size.
_QUEUED_CHUNKS = 16


async def write_chunks(chunks: AsyncIterator[bytes], file: str | os.PathLike[str]) -> None:
    """Write `chunks` to `file` as they arrive, never holding more than a few of them.

    One task reads, another writes: every chunk is written as soon as the previous write
    is done (a slow body is on disk as it comes), and whatever arrived during a write
    goes in the next one, so a fast download costs far fewer thread trips than socket
    reads. An error of either side is raised as it is (not in an exception group).
    """
    import trio

    send, receive = trio.open_memory_channel[bytes](_QUEUED_CHUNKS)

    async def write_all(out: AsyncIOWrapper[Any]) -> None:
        async with receive:
            async for chunk in receive:
                batch = [chunk]
                while len(batch) < _QUEUED_CHUNKS:
                    try:
                        batch.append(receive.receive_nowait())
                    except (trio.WouldBlock, trio.EndOfChannel):
                        break
                await out.writelines(batch)

    async with await trio.open_file(file, "wb") as out:
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(write_all, out)
                async with send:
                    async for chunk in chunks:
                        await send.send(chunk)
        except BaseExceptionGroup as group:
            raise _sole_error(group) from None


def _sole_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The one error of a reader/writer pair (a Cancelled of the other side aside)."""
    import trio

    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        exc = pending.pop()
        if isinstance(exc, BaseExceptionGroup):
            pending.extend(cast("BaseExceptionGroup[BaseException]", exc).exceptions)
        else:
            leaves.append(exc)
    errors = [exc for exc in leaves if not isinstance(exc, trio.Cancelled)]
    if len(errors) == 1:
        return errors[0]
    return group if errors else leaves[0]


@final
class BinaryResponseContent:
    """A binary response body with openai-python's ``HttpxBinaryResponseContent`` methods."""

    __slots__ = ("_consumed", "_content", "_reader", "_response")

    def __init__(self, response: httpx.Response, content: bytes | None = None) -> None:
        """`content` is the body when already read; None leaves it on the wire."""
        self._response = response
        self._content = content
        self._reader: BodyReader | None = None
        self._consumed = False

    # --- the body as a whole ------------------------------------------------------------

    @property
    def response(self) -> httpx.Response:
        """The HTTP response (status, headers)."""
        return self._response

    @property
    def content(self) -> bytes:
        """The whole body. Raises RuntimeError if it is still unread (see `aread`)."""
        if self._content is None:
            raise RuntimeError(_CONSUMED if self._consumed else _NOT_READ)
        return self._content

    def read(self) -> bytes:
        """The whole body, as openai-python's ``read()`` (a body already read)."""
        return self.content

    async def aread(self) -> bytes:
        """Read the rest of the body if needed, keep it, and return the whole of it."""
        if self._content is None:
            if self._consumed:
                raise RuntimeError(_CONSUMED)
            self._content = b"".join([chunk async for chunk in self._wire_chunks()])
        return self._content

    @property
    def encoding(self) -> str | None:
        """The charset of the Content-Type header, else None (text then decodes as UTF-8)."""
        return self._response.charset_encoding

    @property
    def charset_encoding(self) -> str | None:
        return self._response.charset_encoding

    @property
    def text(self) -> str:
        """The body decoded with `encoding` (UTF-8 when the header names none)."""
        return self.content.decode(self.encoding or "utf-8", errors="replace")

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON (``json.loads`` with `kwargs`, orjson without)."""
        if kwargs:
            import json

            return json.loads(self.content, **kwargs)
        return orjson.loads(self.content)

    def __bytes__(self) -> bytes:
        return self.content

    def __len__(self) -> int:
        return len(self.content)

    # --- streaming --------------------------------------------------------------------

    def iter_bytes(self, chunk_size: int | None = None) -> ByteChunks:
        """The body chunk by chunk (``chunk_size`` bytes each, the last maybe shorter;
        None: as they arrive). A body still on the wire is passed through, not kept."""
        return ByteChunks(self, chunk_size)

    def aiter_bytes(self, chunk_size: int | None = None) -> ByteChunks:
        """The same as `iter_bytes` (openai-python's async name)."""
        return ByteChunks(self, chunk_size)

    async def write_to_file(self, file: str | os.PathLike[str]) -> None:
        """Write the body to `file`, chunk by chunk as it arrives (never all in memory
        when it is still on the wire)."""
        await write_chunks(self.iter_bytes(), file)

    async def stream_to_file(
        self, file: str | os.PathLike[str], *, chunk_size: int | None = None
    ) -> None:
        """openai-python's ``astream_to_file``: `write_to_file` with a chunk size."""
        await write_chunks(self.iter_bytes(chunk_size), file)

    astream_to_file = stream_to_file

    async def aclose(self) -> None:
        """Release the connection of a body still on the wire (a no-op once read)."""
        if self._reader is not None:
            await self._reader.aclose()
        elif self._content is None and not self._consumed:
            await self._response.aclose()

    close = aclose

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        size = "unread" if self._content is None else f"{len(self._content)} bytes"
        ctype = self._response.headers.get("content-type", "")
        return f"<BinaryResponseContent {ctype!r} {size}>"

    def _wire_chunks(self) -> _WireChunks:
        if self._consumed:
            raise RuntimeError(_CONSUMED)
        self._consumed = True
        from ._transport import BodyReader

        self._reader = BodyReader(self._response)
        return _WireChunks(self._reader)


HttpxBinaryResponseContent = BinaryResponseContent
"""openai-python's name for the same thing."""


@final
class _WireChunks:
    """The chunks of a body still on the wire; the connection is released at the end."""

    __slots__ = ("_reader",)

    def __init__(self, reader: BodyReader) -> None:
        self._reader = reader

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = await self._reader.next_chunk()
        except BaseException:
            await self._reader.aclose()
            raise
        if chunk is None:
            await self._reader.aclose()
            raise StopAsyncIteration
        return chunk


@final
class ByteChunks:
    """An async iterator over a binary body, re-cut to `chunk_size` when one is given."""

    __slots__ = ("_buffer", "_done", "_offset", "_size", "_source", "_wire")

    def __init__(self, owner: BinaryResponseContent, chunk_size: int | None) -> None:
        if chunk_size is not None and chunk_size <= 0:
            raise ValueError(f"chunk_size must be a positive number of bytes, not {chunk_size}")
        self._size = chunk_size
        self._buffer = bytearray()
        self._offset = 0  # bytes of an in-memory body handed out so far
        self._done = False
        self._source = owner
        self._wire: _WireChunks | None = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        owner = self._source
        content = owner._content  # pyright: ignore[reportPrivateUsage]
        if content is not None and self._wire is None:  # a body in memory: slice it
            start = self._offset
            if start >= len(content):
                raise StopAsyncIteration
            end = len(content) if self._size is None else start + self._size
            self._offset = end
            return content[start:end]
        if self._wire is None:
            self._wire = owner._wire_chunks()  # pyright: ignore[reportPrivateUsage]
        if self._size is None:
            return await self._wire.__anext__()
        while len(self._buffer) < self._size and not self._done:
            try:
                self._buffer += await self._wire.__anext__()
            except StopAsyncIteration:
                self._done = True
        if not self._buffer:
            raise StopAsyncIteration
        piece = bytes(self._buffer[: self._size])
        del self._buffer[: self._size]
        return piece
