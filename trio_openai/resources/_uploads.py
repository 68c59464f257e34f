"""``client.uploads.upload_file``: a large file sent through the Uploads API in parts.

    upload = await client.uploads.upload_file(path, purpose="fine-tune")

POST /uploads declares the file (name, size, MIME type, purpose); the parts go to
POST /uploads/{id}/parts (the generated ``parts.create``, one multipart request each) with
at most `max_concurrency` in flight; POST /uploads/{id}/complete lists their ids in file
order, whatever order they finished in. A part is read only when a slot is free, so memory
holds at most `max_concurrency` parts; a path is read part by part with trio's file I/O,
sequentially (an MD5 of the whole file can follow the reads).

When anything fails between create and complete, or the caller cancels, the Upload is
cancelled on the server (shielded, at most `_CANCEL_TIMEOUT` seconds) before the failure
propagates: the first failing part's error, alone, never inside an ExceptionGroup.
"""

# pyright: reportPrivateUsage=false
# (helpers of the generated resources, like them the client's own callers)

from __future__ import annotations

import hashlib
import mimetypes
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Literal, cast, final

import trio

from .._types import CallOptions, Omit, omit
from ._tasks import Job, no_body, notify, run_bounded

if TYPE_CHECKING:
    from trio._file_io import AsyncIOWrapper

    from ..types.params import FileExpirationAfterParam
    from ..types.uploads import Upload
    from .uploads import Uploads

__all__ = ["upload_file"]

_CANCEL_TIMEOUT: Final = 5.0  # seconds for the shielded POST /uploads/{id}/cancel
_MIME_TYPES: Final = {".jsonl": "text/jsonl"}  # the API reference's own example


async def upload_file(
    api: Uploads,
    file: str | os.PathLike[str] | bytes,
    *,
    purpose: Literal["assistants", "batch", "fine-tune", "vision"],
    filename: str | None,
    mime_type: str | None,
    part_size: int,
    max_concurrency: int,
    md5: str | bool,
    expires_after: FileExpirationAfterParam | Omit,
    on_progress: Callable[[int, int], object] | None,
    options: CallOptions,
) -> Upload:
    """See `UploadsExtras.upload_file`; `api` is the resource on a non-raw client."""
    if part_size < 1:
        raise ValueError(f"part_size must be >= 1, not {part_size}")
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be >= 1, not {max_concurrency}")
    source = await _PartSource.open(file, part_size, digest=md5 is True)
    name = filename or source.name
    if not name:
        raise TypeError("upload_file needs a filename for bytes")
    if mime_type is None:
        ext = os.path.splitext(name)[1].lower()
        mime_type = _MIME_TYPES.get(ext) or mimetypes.guess_type(name)[0]
    upload = await api.create(
        filename=name,
        purpose=purpose,
        bytes=source.size,
        mime_type=mime_type or "application/octet-stream",
        expires_after=expires_after,
        **options,
    )
    rest = no_body(options)
    try:
        async with source:
            part_ids = await _send_parts(api, upload.id, source, max_concurrency, on_progress, rest)
        checksum = md5 if isinstance(md5, str) else source.hexdigest() if md5 else omit
        return await api.complete(upload.id, part_ids=part_ids, md5=checksum, **rest)
    except BaseException as exc:  # re-raised below, after the server-side cleanup
        await _cancel_upload(api, upload.id, exc, rest)
        raise


async def _send_parts(
    api: Uploads,
    upload_id: str,
    source: _PartSource,
    max_concurrency: int,
    on_progress: Callable[[int, int], object] | None,
    options: CallOptions,
) -> list[str]:
    part_ids: list[str | None] = [None] * source.count
    done = 0

    async def next_job() -> Job | None:
        if source.exhausted:
            return None
        index, data = await source.read_next()

        async def send() -> None:
            nonlocal done
            part = await api.parts.create(upload_id, data=data, **options)
            part_ids[index] = part.id
            done += len(data)
            await notify(on_progress, done, source.size)

        return send

    await run_bounded(next_job, max_concurrency)
    return cast("list[str]", part_ids)


async def _cancel_upload(
    api: Uploads, upload_id: str, exc: BaseException, options: CallOptions
) -> None:
    """Cancel the Upload on the server, shielded and briefly; never raise."""
    with trio.move_on_after(_CANCEL_TIMEOUT) as scope:
        scope.shield = True
        try:
            await api.cancel(upload_id, **options)
        except Exception as cancel_error:  # the original failure is the one to report
            if isinstance(exc, Exception):
                exc.add_note(f"cancelling upload {upload_id} failed too: {cancel_error!r}")
    if scope.cancelled_caught and isinstance(exc, Exception):
        exc.add_note(f"cancelling upload {upload_id} timed out after {_CANCEL_TIMEOUT} s")


@final
class _PartSource:
    """The parts of a path or of bytes, read one after another (so an MD5 can follow).

    A path is opened on the first read and read with trio's file I/O, one part at a
    time; its size is fixed when the source is opened (what the Upload declares).
    """

    def __init__(
        self, data: bytes | None, path: str | None, size: int, part_size: int, digest: bool
    ) -> None:
        self._data = data
        self._path = path
        self.size = size
        self._part_size = part_size
        self.count = -(-size // part_size)  # the last part may be short; none when empty
        self._index = 0
        self._file: AsyncIOWrapper[Any] | None = None
        self._md5 = hashlib.md5(usedforsecurity=False) if digest else None

    @classmethod
    async def open(
        cls, file: str | os.PathLike[str] | bytes, part_size: int, *, digest: bool
    ) -> _PartSource:
        if isinstance(file, bytes | bytearray):
            return cls(bytes(file), None, len(file), part_size, digest)
        if not isinstance(file, str | os.PathLike):  # pyright: ignore[reportUnnecessaryIsInstance]  # callers pass anything
            raise TypeError(f"upload_file takes a path or bytes, not {type(file).__name__}")
        path = os.fspath(file)
        size = (await trio.Path(path).stat()).st_size
        return cls(None, path, size, part_size, digest)

    @property
    def name(self) -> str | None:
        return os.path.basename(self._path) if self._path is not None else None

    @property
    def exhausted(self) -> bool:
        return self._index >= self.count

    def hexdigest(self) -> str:
        assert self._md5 is not None
        return self._md5.hexdigest()

    async def read_next(self) -> tuple[int, bytes]:
        index = self._index
        start = index * self._part_size
        length = min(self._part_size, self.size - start)
        if self._data is not None:
            data = self._data[start : start + length]
        else:
            data = await self._read(length)
        self._index += 1
        if self._md5 is not None:
            self._md5.update(data)
        return index, data

    async def _read(self, length: int) -> bytes:
        if self._file is None:
            assert self._path is not None
            self._file = await trio.open_file(self._path, "rb")
        chunks: list[bytes] = []
        missing = length
        while missing:
            chunk = await self._file.read(missing)
            if not chunk:
                raise RuntimeError(
                    f"{self._path} ended {missing} bytes early: it had {self.size} bytes "
                    "when the upload was created"
                )
            chunks.append(chunk)
            missing -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def __aenter__(self) -> _PartSource:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        file, self._file = self._file, None
        if file is not None:
            with trio.CancelScope(shield=True):
                await file.aclose()
