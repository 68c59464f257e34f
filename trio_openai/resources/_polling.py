"""Polling and upload helpers of generated resources, with openai-python's names.

    file = await client.vector_stores.files.upload_and_poll(vector_store_id=vs.id, file=path)
    batch = await client.vector_stores.file_batches.upload_and_poll(vs.id, files=paths)
    video = await client.videos.create_and_poll(prompt="...", on_progress=show)
    batch = await client.batches.poll(batch.id)
    upload = await client.uploads.upload_file(path, purpose="fine-tune")

Polling (`poll`, `create_and_poll`, `upload_and_poll`):

- Retrieves the object at once, then again after each wait while its status is one of
  the family's pending statuses (`_PENDING`); any other status, an unknown one included,
  ends the poll and the object is returned (a failed or cancelled one too: check
  `.status`). No status ever raises.
- The wait is the server's ``openai-poll-after-ms`` header when the last response had
  one (it wins over ``poll_interval_ms``), else ``poll_interval_ms``, else the family's
  default: 1 s for vector store files and file batches (as openai-python), 2 s for videos
  (they take minutes and report ``progress``), 5 s for batches (hours; as `run_batch`).
- ``on_progress(obj)``, sync or async, is called with every retrieved object, the last
  one included. An exception it raises ends the poll and propagates.
- Waiting is a plain `trio.sleep`: the caller's cancel scope ends a poll at any point
  and its `trio.Cancelled` propagates untouched. Nothing is cancelled on the server.

Every helper takes the per-call options (``extra_headers``, ``timeout``...) and applies
them to each request it sends, except ``extra_body``, which goes only to the request that
creates the object (a GET has no body). The helpers read the poll-after header through
the resource's own ``with_raw_response``. Concurrent helpers (`upload_and_poll` of file batches,
`upload_file`) raise the first failure alone, never inside an ExceptionGroup, after
cancelling the work still in flight.
"""

# pyright: reportPrivateUsage=false
# (helpers of the generated resources, like them the client's own callers)

from __future__ import annotations

import math
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Literal, TypeVar, Unpack, cast

import trio

from .._types import CallOptions, Omit, omit
from ._base import Resource, with_headers
from ._tasks import Job, no_body, notify, run_bounded

if TYPE_CHECKING:
    from .._client import OpenAI
    from .._multipart import FileInput
    from .._response import APIResponse
    from ..types.batch import Batch
    from ..types.params import (
        ChunkingStrategyRequestParam,
        CreateVectorStoreFileRequestParam,
        FileExpirationAfterParam,
        CreateVideoMultipartBodyImageRefParam,
        VectorStoreFileAttributesParam,
        VideoModelParam,
    )
    from ..types.uploads import Upload
    from ..types.vector_stores import VectorStoreFileBatchObject, VectorStoreFileObject
    from ..types.videos import VideoResource
    from .batches import Batches
    from .uploads import Uploads
    from .vector_stores import FileBatches, Files
    from .videos import Videos

__all__ = [
    "BatchesExtras",
    "UploadsExtras",
    "VectorStoreFileBatchesExtras",
    "VectorStoreFilesExtras",
    "VideosExtras",
]

T = TypeVar("T")
R = TypeVar("R", bound=Resource)

_PENDING: Final = {
    "vector_store_file": frozenset({"in_progress"}),
    "vector_store_file_batch": frozenset({"in_progress"}),
    "video": frozenset({"queued", "in_progress"}),
    "batch": frozenset({"validating", "in_progress", "finalizing", "cancelling"}),
}
_DEFAULT_INTERVAL_MS: Final = {
    "vector_store_file": 1000,
    "vector_store_file_batch": 1000,
    "video": 2000,
    "batch": 5000,
}
DEFAULT_PART_SIZE: Final = 64 * 1024 * 1024


# --- shared machinery ----------------------------------------------------------------------


def _poll_after(headers: Mapping[str, str]) -> float | None:
    """The ``openai-poll-after-ms`` header in seconds, or None when absent or malformed."""
    value = headers.get("openai-poll-after-ms")
    if value is None:
        return None
    try:
        ms = float(value)
    except ValueError:
        return None
    return ms / 1000 if math.isfinite(ms) and ms >= 0 else None


async def _poll(
    family: str,
    retrieve: Callable[[CallOptions], Awaitable[APIResponse[T]]],
    *,
    poll_interval_ms: int | Omit,
    on_progress: Callable[[T], object] | None,
    options: CallOptions,
) -> T:
    """Retrieve until the status is no longer pending; see the module docstring."""
    if not isinstance(poll_interval_ms, Omit) and poll_interval_ms < 0:
        raise ValueError(f"poll_interval_ms must be >= 0, not {poll_interval_ms}")
    # The headers openai-python's poll helpers send, for the server's statistics.
    headers = {"X-Stainless-Poll-Helper": "true"}
    if not isinstance(poll_interval_ms, Omit):
        headers["X-Stainless-Custom-Poll-Interval"] = str(poll_interval_ms)
        interval = poll_interval_ms / 1000
    else:
        interval = _DEFAULT_INTERVAL_MS[family] / 1000
    call_options = with_headers(no_body(options), headers)
    pending = _PENDING[family]
    while True:
        response = await retrieve(call_options)
        item = response.parsed
        await notify(on_progress, item)
        if getattr(item, "status", None) not in pending:
            return item
        hint = _poll_after(response.headers)
        await trio.sleep(interval if hint is None else hint)


# --- vector store files ----------------------------------------------------------------


class VectorStoreFilesExtras:
    """``client.vector_stores.files``: poll, create_and_poll, upload, upload_and_poll."""

    _client: OpenAI

    def _api(self) -> Files:
        return cast("Files", self)

    async def poll(
        self,
        file_id: str,
        *,
        vector_store_id: str,
        poll_interval_ms: int | Omit = omit,
        on_progress: Callable[[VectorStoreFileObject], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> VectorStoreFileObject:
        """Retrieve the vector store file until its status is not ``in_progress``.

        Returns it whatever its final status (``completed``, ``failed``, ``cancelled``:
        check ``.status`` and ``.last_error``). Waits ``openai-poll-after-ms`` when the
        server sends it, else ``poll_interval_ms`` (default 1000). Raises what the
        retrieve raises; cancelled by the caller's cancel scope at any point.
        """
        raw = self._api().with_raw_response

        def retrieve(opts: CallOptions) -> Awaitable[APIResponse[VectorStoreFileObject]]:
            return raw.retrieve(file_id, vector_store_id=vector_store_id, **opts)

        return await _poll(
            "vector_store_file",
            retrieve,
            poll_interval_ms=poll_interval_ms,
            on_progress=on_progress,
            options=options,
        )

    async def create_and_poll(
        self,
        file_id: str,
        *,
        vector_store_id: str,
        attributes: VectorStoreFileAttributesParam | Omit = omit,
        chunking_strategy: ChunkingStrategyRequestParam | Omit = omit,
        poll_interval_ms: int | Omit = omit,
        on_progress: Callable[[VectorStoreFileObject], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> VectorStoreFileObject:
        """Attach file `file_id` to the vector store, then `poll` until it is processed."""
        api = self._api()
        await api.create(
            vector_store_id,
            file_id=file_id,
            chunking_strategy=chunking_strategy,
            attributes=attributes,
            **options,
        )
        return await api.poll(
            file_id,
            vector_store_id=vector_store_id,
            poll_interval_ms=poll_interval_ms,
            on_progress=on_progress,
            **no_body(options),
        )

    async def upload(
        self,
        *,
        vector_store_id: str,
        file: FileInput,
        attributes: VectorStoreFileAttributesParam | Omit = omit,
        chunking_strategy: ChunkingStrategyRequestParam | Omit = omit,
        **options: Unpack[CallOptions],
    ) -> VectorStoreFileObject:
        """Upload `file` (``client.files.create``, purpose ``assistants``) and attach it.

        Returns at once, the file usually still ``in_progress``; `upload_and_poll` waits.
        """
        api = self._api()
        uploaded = await api._client.files.create(
            file=file, purpose="assistants", **no_body(options)
        )
        return await api.create(
            vector_store_id,
            file_id=uploaded.id,
            chunking_strategy=chunking_strategy,
            attributes=attributes,
            **options,
        )

    async def upload_and_poll(
        self,
        *,
        vector_store_id: str,
        file: FileInput,
        attributes: VectorStoreFileAttributesParam | Omit = omit,
        chunking_strategy: ChunkingStrategyRequestParam | Omit = omit,
        poll_interval_ms: int | Omit = omit,
        on_progress: Callable[[VectorStoreFileObject], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> VectorStoreFileObject:
        """`upload`, then `poll` until the file is processed."""
        api = self._api()
        uploaded = await api._client.files.create(
            file=file, purpose="assistants", **no_body(options)
        )
        return await api.create_and_poll(
            uploaded.id,
            vector_store_id=vector_store_id,
            attributes=attributes,
            chunking_strategy=chunking_strategy,
            poll_interval_ms=poll_interval_ms,
            on_progress=on_progress,
            **options,
        )


# --- vector store file batches -----------------------------------------------------------


class VectorStoreFileBatchesExtras:
    """``client.vector_stores.file_batches``: poll, create_and_poll, upload_and_poll."""

    _client: OpenAI

    def _api(self) -> FileBatches:
        return cast("FileBatches", self)

    async def poll(
        self,
        batch_id: str,
        *,
        vector_store_id: str,
        poll_interval_ms: int | Omit = omit,
        on_progress: Callable[[VectorStoreFileBatchObject], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> VectorStoreFileBatchObject:
        """Retrieve the file batch until its status is not ``in_progress``.

        Returns it whatever its final status; files that failed are counted in
        ``.file_counts.failed``. Waits as `VectorStoreFilesExtras.poll` (default 1000 ms).
        (openai-python waits for ``file_counts.in_progress == 0``; the batch's own status
        is its documented lifecycle, so that is what is followed here.)
        """
        raw = self._api().with_raw_response

        def retrieve(opts: CallOptions) -> Awaitable[APIResponse[VectorStoreFileBatchObject]]:
            return raw.retrieve(batch_id, vector_store_id=vector_store_id, **opts)

        return await _poll(
            "vector_store_file_batch",
            retrieve,
            poll_interval_ms=poll_interval_ms,
            on_progress=on_progress,
            options=options,
        )

    async def create_and_poll(
        self,
        vector_store_id: str,
        *,
        file_ids: Sequence[str] | Omit = omit,
        files: Sequence[CreateVectorStoreFileRequestParam] | Omit = omit,
        chunking_strategy: ChunkingStrategyRequestParam | Omit = omit,
        attributes: VectorStoreFileAttributesParam | Omit = omit,
        poll_interval_ms: int | Omit = omit,
        on_progress: Callable[[VectorStoreFileBatchObject], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> VectorStoreFileBatchObject:
        """Create a file batch of existing files, then `poll` until it is processed."""
        api = self._api()
        batch = await api.create(
            vector_store_id,
            file_ids=file_ids,
            files=files,
            chunking_strategy=chunking_strategy,
            attributes=attributes,
            **options,
        )
        return await api.poll(
            batch.id,
            vector_store_id=vector_store_id,
            poll_interval_ms=poll_interval_ms,
            on_progress=on_progress,
            **no_body(options),
        )

    async def upload_and_poll(
        self,
        vector_store_id: str,
        *,
        files: Iterable[FileInput],
        file_ids: Sequence[str] = (),
        max_concurrency: int = 5,
        chunking_strategy: ChunkingStrategyRequestParam | Omit = omit,
        attributes: VectorStoreFileAttributesParam | Omit = omit,
        poll_interval_ms: int | Omit = omit,
        on_progress: Callable[[VectorStoreFileBatchObject], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> VectorStoreFileBatchObject:
        """Upload `files` concurrently, create a batch of them and `file_ids`, then poll.

        At most `max_concurrency` uploads (``client.files.create``, purpose
        ``assistants``) run at once, in a nursery inside this call. The batch lists
        `file_ids` first, then the uploaded files in the order of `files`.

        Raises ValueError when there is nothing to batch. If an upload fails, the uploads
        in flight are cancelled, no batch is created, and that one error is raised (a
        note names the files already uploaded, which stay in your storage).
        """
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, not {max_concurrency}")
        api = self._api()
        sources = list(files)
        if not sources and not file_ids:
            raise ValueError("upload_and_poll needs files or file_ids")
        uploaded: list[str | None] = [None] * len(sources)
        upload_options = no_body(options)
        pending = iter(enumerate(sources))

        async def next_job() -> Job | None:
            entry = next(pending, None)
            if entry is None:
                return None
            index, file = entry

            async def upload() -> None:
                created = await api._client.files.create(
                    file=file, purpose="assistants", **upload_options
                )
                uploaded[index] = created.id

            return upload

        try:
            await run_bounded(next_job, max_concurrency)
        except Exception as exc:
            done = [file_id for file_id in uploaded if file_id is not None]
            if done:
                exc.add_note(f"files uploaded before the failure: {', '.join(done)}")
            raise
        return await api.create_and_poll(
            vector_store_id,
            file_ids=[*file_ids, *cast("list[str]", uploaded)],
            chunking_strategy=chunking_strategy,
            attributes=attributes,
            poll_interval_ms=poll_interval_ms,
            on_progress=on_progress,
            **options,
        )


# --- videos and batches ------------------------------------------------------------------


class VideosExtras:
    """``client.videos``: poll and create_and_poll."""

    _client: OpenAI

    def _api(self) -> Videos:
        return cast("Videos", self)

    async def poll(
        self,
        video_id: str,
        *,
        poll_interval_ms: int | Omit = omit,
        on_progress: Callable[[VideoResource], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> VideoResource:
        """Retrieve the video until it is neither ``queued`` nor ``in_progress``.

        Returns it ``completed`` or ``failed`` (see ``.error``); each retrieved video goes
        to `on_progress`, with its ``.progress`` (percent). Waits ``openai-poll-after-ms``
        when the server sends it, else ``poll_interval_ms`` (default 2000: a video takes
        minutes). Cancelled by the caller's cancel scope at any point.
        """
        raw = self._api().with_raw_response

        def retrieve(opts: CallOptions) -> Awaitable[APIResponse[VideoResource]]:
            return raw.retrieve(video_id, **opts)

        return await _poll(
            "video",
            retrieve,
            poll_interval_ms=poll_interval_ms,
            on_progress=on_progress,
            options=options,
        )

    async def create_and_poll(
        self,
        *,
        prompt: str,
        model: VideoModelParam | Omit = omit,
        input_reference: FileInput | CreateVideoMultipartBodyImageRefParam | Omit = omit,
        seconds: Literal["4", "8", "12"] | Omit = omit,
        size: Literal["720x1280", "1280x720", "1024x1792", "1792x1024"] | Omit = omit,
        poll_interval_ms: int | Omit = omit,
        on_progress: Callable[[VideoResource], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> VideoResource:
        """Create a video job (``client.videos.create``), then `poll` until it ends."""
        api = self._api()
        video = await api.create(
            prompt=prompt,
            model=model,
            input_reference=input_reference,
            seconds=seconds,
            size=size,
            **options,
        )
        return await api.poll(
            video.id,
            poll_interval_ms=poll_interval_ms,
            on_progress=on_progress,
            **no_body(options),
        )


class BatchesExtras:
    """``client.batches.poll``."""

    _client: OpenAI

    async def poll(
        self,
        batch_id: str,
        *,
        poll_interval_ms: int | Omit = omit,
        on_progress: Callable[[Batch], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> Batch:
        """Retrieve the batch until it is ``completed``, ``failed``, ``expired`` or
        ``cancelled`` (or any status other than validating, in_progress, finalizing,
        cancelling) and return it.

        Waits ``openai-poll-after-ms`` when the server sends it, else ``poll_interval_ms``
        (default 5000: a batch takes minutes to hours). Cancelling the caller's scope ends
        the poll, not the batch (``client.batches.cancel`` does that; `run_batch` of
        `trio_openai.lib` cancels its batches when cancelled).
        """
        raw = cast("Batches", self).with_raw_response

        def retrieve(opts: CallOptions) -> Awaitable[APIResponse[Batch]]:
            return raw.retrieve(batch_id, **opts)

        return await _poll(
            "batch",
            retrieve,
            poll_interval_ms=poll_interval_ms,
            on_progress=on_progress,
            options=options,
        )


# --- large uploads -----------------------------------------------------------------------


class UploadsExtras:
    """``client.uploads.upload_file``: a large file in parts, sent concurrently."""

    _client: OpenAI

    async def upload_file(
        self,
        file: str | os.PathLike[str] | bytes,
        *,
        purpose: Literal["assistants", "batch", "fine-tune", "vision"],
        filename: str | None = None,
        mime_type: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        max_concurrency: int = 4,
        md5: str | bool = False,
        expires_after: FileExpirationAfterParam | Omit = omit,
        on_progress: Callable[[int, int], object] | None = None,
        **options: Unpack[CallOptions],
    ) -> Upload:
        """Upload `file` (a path, or bytes) through the Uploads API; return the completed
        Upload, whose ``.file`` is the File created.

        Creates the Upload (``bytes``, `filename` — the path's name by default, required
        for bytes —, `mime_type` — guessed from the filename, ``.jsonl`` as
        ``text/jsonl``, else ``application/octet-stream`` —, `purpose`), sends the parts
        of `part_size` bytes with at most `max_concurrency` in flight, then completes it
        with the part ids in file order. A path is read one part at a time (trio file
        I/O, in order), so memory holds at most `max_concurrency` parts. `md5`: True
        computes the file's MD5 while reading and sends it for the server to check; a
        string is sent as given. ``on_progress(bytes_done, bytes_total)``, sync or
        async, is called as each part is stored.

        If a part fails (after the client's retries) the other parts are cancelled, the
        Upload is cancelled on the server (a shielded request of at most 5 s), and that
        part's error is raised alone. Cancelled by the caller's scope, it cancels the
        Upload the same way, then lets `trio.Cancelled` propagate. Raises TypeError for
        bytes without a filename, ValueError for a bad `part_size`/`max_concurrency`,
        OSError when the path cannot be read, RuntimeError when the file shrinks.
        """
        from ._uploads import upload_file

        return await upload_file(
            cast("Uploads", self),
            file,
            purpose=purpose,
            filename=filename,
            mime_type=mime_type,
            part_size=part_size,
            max_concurrency=max_concurrency,
            md5=md5,
            expires_after=expires_after,
            on_progress=on_progress,
            options=options,
        )
