"""multipart/form-data request bodies for uploads, produced as a stream.

`encode_multipart` turns a form (field name -> value) into a `MultipartBody`: an async
iterable of chunks, plus what a transport needs to send it (`content_type`,
`content_length`) and whether a retry may send it again (`replayable`).

- A path is read `chunk_size` bytes at a time with `trio.open_file` while the body is
  sent, never whole (256 KiB by default: each read is a trip to a worker thread, and at
  64 KiB those trips made a 1 GB upload 3x slower than httpx's), and closed when the
  iteration ends, fails, is cancelled or is closed early. Its size is taken with
  `os.stat` when the body is built and exactly that many bytes are sent: a file that
  shrank since is an error, one that grew is cut there.
- A sync file object (`IO[bytes]`) is read with plain `.read(chunk_size)` in the event
  loop: it is expected to be in memory (`io.BytesIO`) or a local file, where reads are
  quick; pass a path for big files on slow disks. It stays the caller's (never closed
  here); a seekable one is sent from the position it had when the body was built.
- Nested values follow openai-python's "brackets" format: a list sends `name[]` once per
  item, a dict sends `name[key]`. A list of files too: `{"image": [a, b]}` becomes two
  `image[]` file parts, as in the API reference's `/images/edits` examples.

I/O module: imports trio (async reads of paths), never httpx.
"""

from __future__ import annotations

import inspect
import io
import mimetypes
import os
import re
import secrets
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Final, TypeAlias, cast, final

import attrs
import trio

from ._types import omit

if TYPE_CHECKING:
    from trio._file_io import AsyncIOWrapper

__all__ = [
    "FileContent",
    "FileInput",
    "MultipartBody",
    "MultipartIterator",
    "TypedText",
    "encode_multipart",
    "has_file",
    "is_file_input",
]

FileContent: TypeAlias = "bytes | os.PathLike[str] | IO[bytes]"
FileInput: TypeAlias = (
    "FileContent | tuple[str | None, FileContent] | tuple[str | None, FileContent, str | None]"
)

_DEFAULT_NAME: Final = "upload"  # what openai-python (httpx) names an upload without a name
_BOUNDARY_RE: Final = re.compile(r"[0-9A-Za-z'()+_,\-./:=?]{1,70}")  # RFC 2046 bchars
# Backslash-escape `"` and `\` (quoted-string); percent-encode control characters as
# browsers do, CR and LF above all, which would otherwise end the header.
_QUOTE: Final = {c: f"%{c:02X}" for c in [*range(32), 127]} | {34: '\\"', 92: "\\\\"}


def is_file_input(value: object) -> bool:
    """Whether `value` is file content or a ``(filename, content[, content_type])`` tuple."""
    if isinstance(value, tuple):
        items = cast("tuple[object, ...]", value)
        return (
            len(items) in (2, 3)
            and isinstance(items[0], str | None)
            and _is_file_content(items[1])
            and (len(items) == 2 or isinstance(items[2], str | None))
        )
    return _is_file_content(value)


def has_file(form: Mapping[str, object]) -> bool:
    """Whether any field of `form` holds a file, at any depth of lists and dicts."""
    fields: list[tuple[str, object]] = []
    for name, value in form.items():
        _flatten(name, value, fields)
    return any(is_file_input(value) for _, value in fields)


def _is_file_content(value: object) -> bool:
    if isinstance(value, bytes | bytearray | os.PathLike | io.IOBase):
        return True
    read = getattr(value, "read", None)  # duck-typed IO[bytes]; async files are refused
    return callable(read) and not inspect.iscoroutinefunction(read)


@attrs.frozen
class _FileSource:
    """A part's content read while iterating: a path (ours to open) or a file object."""

    path: str | None
    file: IO[bytes] | None
    start: int | None  # where to rewind a seekable file object to
    size: int | None  # None only for a file object that cannot seek

    def __str__(self) -> str:
        return repr(self.path if self.path is not None else self.file)


@final
@attrs.frozen(eq=False)
class MultipartBody:
    """An encoded form, ready to send; see `encode_multipart`.

    Each ``async for`` produces the whole body anew. Do not iterate one body from two
    tasks at once when it holds a file object: they would share its position.
    """

    content_type: str
    content_length: int | None  # None when a part is a stream of unknown size
    replayable: bool  # False when a part is a stream that cannot be rewound
    _segments: list[bytes | _FileSource] = attrs.field(repr=False, alias="segments")
    _chunk_size: int = attrs.field(repr=False, alias="chunk_size")
    _iterated: bool = attrs.field(default=False, init=False, repr=False)

    def __aiter__(self) -> MultipartIterator:
        """A fresh iterator over the body's bytes, from the start.

        Raises RuntimeError when the body reads from a non-seekable stream and was
        already iterated: that stream cannot be read again.
        """
        if self._iterated and not self.replayable:
            raise RuntimeError(
                "this multipart body reads from a non-seekable stream that was already "
                "consumed, so it cannot be sent again; pass bytes, a path or a seekable "
                "file object to make it replayable"
            )
        object.__setattr__(self, "_iterated", True)  # the one mutable (private) field
        return MultipartIterator(self._segments, self._chunk_size)


@final
class MultipartIterator:
    """One pass over a `MultipartBody`, in chunks of at most `chunk_size` bytes.

    A class, not an async generator, so that stopping early leaves nothing to the garbage
    collector: `aclose()` closes the open file at once, and so does an error or a cancel
    while producing a chunk. Dropping an unfinished iterator closes its file synchronously
    (httpx drops the body of a request abandoned mid-upload without closing it).
    """

    __slots__ = ("_chunk_size", "_file", "_remaining", "_segments", "_source", "_static")

    def __init__(self, segments: list[bytes | _FileSource], chunk_size: int):
        self._segments = iter(segments)
        self._chunk_size = chunk_size
        self._static = memoryview(b"")  # the rest of a static segment above chunk_size
        self._source: _FileSource | None = None
        self._file: AsyncIOWrapper[io.BufferedReader] | None = None
        self._remaining: int | None = None  # bytes still due from self._source

    def __aiter__(self) -> MultipartIterator:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._next_chunk()
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Stop the iteration and close the file being read, if any. Idempotent."""
        self._segments = iter(())
        self._static = memoryview(b"")
        self._source = None
        file, self._file = self._file, None
        if file is not None:
            with trio.CancelScope(shield=True):  # even when cancelled: no leaked handle
                await file.aclose()

    def __del__(self) -> None:
        file = getattr(self, "_file", None)
        if file is not None:
            file.wrapped.close()

    async def _next_chunk(self) -> bytes:
        size = self._chunk_size
        while True:
            if self._static:
                chunk, self._static = bytes(self._static[:size]), self._static[size:]
                return chunk
            if self._source is not None:
                if chunk := await self._read(self._source):
                    return chunk
                self._source = None
                file, self._file = self._file, None
                if file is not None:
                    await file.aclose()
                continue
            segment = next(self._segments, None)
            if segment is None:
                raise StopAsyncIteration
            if isinstance(segment, bytes):
                if len(segment) <= size:
                    return segment
                self._static = memoryview(segment)
            else:
                if segment.path is not None:
                    self._file = await trio.open_file(segment.path, "rb")
                elif segment.start is not None and segment.file is not None:
                    segment.file.seek(segment.start)
                self._source, self._remaining = segment, segment.size

    async def _read(self, source: _FileSource) -> bytes:
        size = self._chunk_size
        if self._remaining is not None:
            size = min(size, self._remaining)
        if size == 0:
            return b""
        # object: a duck-typed file object may return anything from read()
        if self._file is not None:
            chunk = cast(object, await self._file.read(size))
        else:
            assert source.file is not None  # no path: a file object
            chunk = cast(object, source.file.read(size))
        if not isinstance(chunk, bytes | bytearray):
            raise TypeError(f"{source}.read() returned {type(chunk).__name__}, not bytes")
        if self._remaining is not None:
            if not chunk:
                raise RuntimeError(
                    f"{source} ended {self._remaining} bytes short of the size it had "
                    "when the multipart body was built"
                )
            self._remaining -= len(chunk)
        return bytes(chunk)


@final
class TypedText:
    """A text form field with a Content-Type of its own (``session`` as
    ``application/json``, ``sdp`` as ``application/sdp``): no filename, unlike a file."""

    __slots__ = ("content_type", "text")

    def __init__(self, text: str, content_type: str) -> None:
        self.text = text
        self.content_type = content_type

    def __repr__(self) -> str:
        return f"TypedText({self.text!r}, {self.content_type!r})"


def encode_multipart(
    form: Mapping[str, object],
    *,
    boundary: str | None = None,
    chunk_size: int = 256 * 1024,
) -> MultipartBody:
    """Encode `form` as a multipart/form-data body, streamed when iterated.

    A `FileInput` becomes a file part; str, int, float and bool text parts (bools as
    ``true``/``false``); None and `omit` are skipped; lists and dicts are flattened (see
    the module docstring). A str is always text: upload by path with a `pathlib.Path`. A
    None filename in a tuple gets the default name, so the part stays a file part.

    Paths are stat-ed here, opened only while iterating. Raises TypeError for a value that
    cannot be sent (a text-mode file among them), ValueError for a bad boundary, chunk size
    or content type, OSError when a path cannot be stat-ed.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, not {chunk_size}")
    if boundary is None:
        boundary = secrets.token_hex(16)
    elif not _BOUNDARY_RE.fullmatch(boundary):
        raise ValueError(f"invalid multipart boundary: {boundary!r}")
    fields: list[tuple[str, object]] = []
    for name, value in form.items():
        _flatten(name, value, fields)

    segments: list[bytes | _FileSource] = []
    pending = bytearray()
    for name, value in fields:
        if isinstance(value, TypedText):
            pending += _part_header(boundary, name, None, value.content_type)
            pending += value.text.encode() + b"\r\n"
            continue
        if not is_file_input(value):
            pending += _part_header(boundary, name) + _text(name, value).encode() + b"\r\n"
            continue
        filename, content_type, content = _file_part(name, value)
        pending += _part_header(boundary, name, filename, content_type)
        if isinstance(content, bytes) and len(content) <= chunk_size:
            pending += content  # small: sent in one chunk with the headers around it
        else:
            segments += [bytes(pending), content]
            pending.clear()
        pending += b"\r\n"
    pending += f"--{boundary}--\r\n".encode()
    segments.append(bytes(pending))

    sizes = [len(s) if isinstance(s, bytes) else s.size for s in segments]
    known = [size for size in sizes if size is not None]
    return MultipartBody(
        content_type=f"multipart/form-data; boundary={boundary}",
        content_length=sum(known) if len(known) == len(sizes) else None,
        replayable=len(known) == len(sizes),  # only a non-seekable object has no size
        segments=segments,
        chunk_size=chunk_size,
    )


def _flatten(name: str, value: object, out: list[tuple[str, object]]) -> None:
    if value is None or value is omit:
        return
    if is_file_input(value):
        out.append((name, value))
    elif isinstance(value, Mapping):
        for key, item in cast("Mapping[object, object]", value).items():
            _flatten(f"{name}[{key}]", item, out)
    elif isinstance(value, list | tuple):
        for item in cast("list[object] | tuple[object, ...]", value):
            _flatten(f"{name}[]", item, out)
    else:
        out.append((name, value))


def _text(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(int(value))  # int() so that an IntEnum sends its number
    if isinstance(value, float):
        return repr(float(value))
    raise TypeError(f"form field {name!r}: cannot send a {type(value).__name__} value")


def _file_part(name: str, value: object) -> tuple[str, str, bytes | _FileSource]:
    filename: str | None = None
    content_type: str | None = None
    content = value
    if isinstance(value, tuple):
        items = cast("tuple[object, ...]", value)
        filename = items[0] if isinstance(items[0], str) else None
        content = items[1]
        content_type = items[2] if len(items) == 3 and isinstance(items[2], str) else None
    default_name: object = None
    if isinstance(content, bytes | bytearray):
        source: bytes | _FileSource = bytes(content)
    elif isinstance(content, os.PathLike):
        path = os.fsdecode(cast("os.PathLike[str]", content))
        source = _FileSource(path, None, None, os.stat(path).st_size)
        default_name = path
    elif isinstance(content, io.TextIOBase):
        raise TypeError(f"form field {name!r}: a text-mode file; open it in binary mode")
    else:
        file = cast("IO[bytes]", content)  # is_file_input checked it has a sync read()
        source = _FileSource(None, file, None, None)
        if callable(getattr(file, "seekable", None)) and file.seekable():
            start = file.tell()
            source = _FileSource(None, file, start, max(file.seek(0, os.SEEK_END) - start, 0))
            file.seek(start)
        default_name = getattr(file, "name", None)
    if filename is None:
        basename = os.path.basename(default_name) if isinstance(default_name, str) else ""
        filename = basename or _DEFAULT_NAME
    if content_type is None:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    elif "\r" in content_type or "\n" in content_type:
        raise ValueError(f"form field {name!r}: invalid content type {content_type!r}")
    return filename, content_type, source


def _part_header(
    boundary: str, name: str, filename: str | None = None, content_type: str | None = None
) -> bytes:
    header = f"--{boundary}\r\nContent-Disposition: form-data; name={_quote(name)}"
    if filename is not None:
        header += f"; filename={_quote(filename)}"
    if content_type is not None:
        header += f"\r\nContent-Type: {content_type}"
    return (header + "\r\n\r\n").encode()


def _quote(value: str) -> str:
    return '"' + value.translate(_QUOTE) + '"'
