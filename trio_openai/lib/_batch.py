"""The Batch API as one call: many request bodies in, one result per body out, in order.

    results = await run_batch(client, [{"model": "gpt-5.2", "input": q} for q in questions])
    for result in results:
        print(result.body["output"] if result.ok else result.error)

`run_batch` writes the bodies as JSONL lines (`custom_id` "req-<index>"), uploads them
(purpose "batch"), creates the batch, polls it until it ends, downloads its output and
error files and matches their lines back to the inputs. More requests than one batch may
hold are split over several batches, run at the same time in a nursery.

- Polling honours the server's `openai-poll-after-ms` header, else starts at
  `poll_interval` and backs off (x1.5, up to `max_poll_interval`) while nothing moves.
- Each input gets exactly one `BatchResult`: its response, or a typed error: the API's
  answer to that line (`BatchRequestFailed`), or no answer at all because the batch
  expired, was cancelled or failed (`BatchRequestMissing`).
- `on_progress` receives a `BatchProgress` after every change, with the batch ids as soon
  as they exist: persist `progress.batch_ids` and, after a crash, hand them to
  `resume_batch` with the same requests and splitting options to pick the run up again.
- Cancelling the caller cancels the batches still running (POST /batches/{id}/cancel,
  shielded, `cancel_timeout` seconds at most) and re-raises `trio.Cancelled`. Any other
  failure (the network gone after the client's retries, a callback that raised) stops the
  run and raises it as is, leaving the batches running so that they can be resumed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypedDict, Unpack, cast, final

import attrs
import orjson
import trio

from .._encoding import json_default
from .._errors import OpenAIError

if TYPE_CHECKING:
    from .._client import OpenAI

__all__ = [
    "BatchOptions",
    "BatchProgress",
    "BatchRequestError",
    "BatchRequestFailed",
    "BatchRequestMissing",
    "BatchResult",
    "BatchRun",
    "BatchState",
    "resume_batch",
    "run_batch",
]

TERMINAL: Final = frozenset({"completed", "failed", "expired", "cancelled"})
_BACKOFF: Final = 1.5


def _json_object(data: Any) -> Mapping[str, Any]:
    """The typed view of a JSON object answer (the Files and Batches objects)."""
    return cast("Mapping[str, Any]", data)


class BatchRequestError(OpenAIError):
    """One input of a batch has no successful response; see the two subclasses."""

    def __init__(
        self,
        message: str,
        *,
        custom_id: str,
        batch_id: str | None,
        code: str | None = None,
        status_code: int | None = None,
        body: object = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.custom_id = custom_id
        self.batch_id = batch_id
        self.code = code
        self.status_code = status_code
        self.body = body
        self.request_id = request_id


class BatchRequestFailed(BatchRequestError):
    """The batch ran the request and the API answered with an error (`status_code`, `body`)."""


class BatchRequestMissing(BatchRequestError):
    """Neither file of the batch answers the request: it expired, was cancelled or failed."""

    def __init__(self, message: str, *, batch_status: str, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.batch_status = batch_status


@final
@attrs.frozen
class BatchResult:
    """What input `index` produced: `body` (HTTP `status_code`), or `error`."""

    index: int
    custom_id: str
    status_code: int | None
    body: Any
    error: BatchRequestError | None
    batch_id: str | None = attrs.field(default=None, kw_only=True)

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> Any:
        """The response body, or raise the input's error."""
        if self.error is not None:
            raise self.error
        return self.body


@final
@attrs.frozen(kw_only=True)
class BatchState:
    """One batch of a run: the inputs `first_index` to `first_index + total - 1`.

    `status` is the API's, or "pending" until the batch is created; `completed` and
    `failed` are the batch's `request_counts`.
    """

    batch_id: str | None
    first_index: int
    total: int
    status: str = "pending"
    completed: int = 0
    failed: int = 0

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


@final
@attrs.frozen
class BatchProgress:
    """A snapshot of a run: every batch's state, and the sums over all inputs."""

    batches: tuple[BatchState, ...]

    @property
    def batch_ids(self) -> tuple[str | None, ...]:
        """One id per batch, in input order; None where a batch is not created yet."""
        return tuple(state.batch_id for state in self.batches)

    @property
    def total(self) -> int:
        return sum(state.total for state in self.batches)

    @property
    def completed(self) -> int:
        return sum(state.completed for state in self.batches)

    @property
    def failed(self) -> int:
        return sum(state.failed for state in self.batches)

    @property
    def finished(self) -> bool:
        return all(state.finished for state in self.batches)


@attrs.frozen
class _Chunk:
    number: int
    first_index: int
    count: int
    payload: bytes


def _encode(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else json_default(value)


def _split(
    requests: Sequence[Mapping[str, Any]], endpoint: str, max_lines: int, max_bytes: int
) -> list[_Chunk]:
    """The JSONL input files: at most `max_lines` lines and `max_bytes` bytes each."""
    chunks: list[_Chunk] = []
    lines: list[bytes] = []
    size = first = 0
    for index, body in enumerate(requests):
        line = {"custom_id": f"req-{index}", "method": "POST", "url": endpoint, "body": body}
        encoded = orjson.dumps(line, default=_encode) + b"\n"
        if len(encoded) > max_bytes:
            raise ValueError(f"request {index} alone is over max_bytes_per_batch ({max_bytes})")
        if lines and (len(lines) >= max_lines or size + len(encoded) > max_bytes):
            chunks.append(_Chunk(len(chunks), first, len(lines), b"".join(lines)))
            lines, size, first = [], 0, index
        lines.append(encoded)
        size += len(encoded)
    if lines:
        chunks.append(_Chunk(len(chunks), first, len(lines), b"".join(lines)))
    return chunks


def _poll_after(headers: Any) -> float | None:
    try:
        value = int(headers.get("openai-poll-after-ms", ""))
    except ValueError:
        return None
    return value / 1000 if value >= 0 else None


def _result(line: Any, index: int, batch_id: str) -> BatchResult:
    """The result of one line of an output or error file."""
    custom_id, error = f"req-{index}", line.get("error")
    response = line.get("response") if isinstance(line.get("response"), Mapping) else {}
    status, body = response.get("status_code"), response.get("body")
    status = status if isinstance(status, int) else None
    if status is not None and 200 <= status < 300 and not error:
        return BatchResult(index, custom_id, status, body, None, batch_id=batch_id)
    inner = body.get("error") if isinstance(body, Mapping) else None
    detail = next((d for d in (inner, error) if isinstance(d, Mapping)), {})
    failure = BatchRequestFailed(
        str(detail.get("message") or f"The request failed (status {status})."),
        custom_id=custom_id,
        batch_id=batch_id,
        code=detail.get("code"),
        status_code=status,
        body=body if response else error,
        request_id=response.get("request_id"),
    )
    return BatchResult(index, custom_id, status, body, failure, batch_id=batch_id)


def _missing(index: int, batch: Mapping[str, Any]) -> BatchResult:
    status = str(batch.get("status"))
    custom_id = f"req-{index}"
    reasons = [e.get("message") for e in (batch.get("errors") or {}).get("data") or ()]
    message = f"The batch ended {status} without an answer to this request."
    if reasons:
        message += " " + "; ".join(str(r) for r in reasons[:3])
    code = f"batch_{status}" if status in ("expired", "cancelled", "failed") else "missing_result"
    failure = BatchRequestMissing(
        message, batch_status=status, custom_id=custom_id, batch_id=batch.get("id"), code=code
    )
    return BatchResult(index, custom_id, None, None, failure, batch_id=batch.get("id"))


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        out.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return out


@final
class BatchRun:
    """One run over the Batch API; `run_batch` and `resume_batch` make and run one.

    Make one yourself to watch it from another task: `batch_ids` and `progress` are live,
    and `created` is set once every batch exists (their ids are then all known).
    """

    def __init__(
        self,
        client: OpenAI,
        requests: Sequence[Mapping[str, Any]],
        *,
        endpoint: str = "/v1/responses",
        completion_window: str = "24h",
        max_per_batch: int = 50_000,
        max_bytes_per_batch: int = 200 * 1024 * 1024,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        cancel_timeout: float = 10.0,
        on_progress: Callable[[BatchProgress], object] | None = None,
        metadata: Mapping[str, str] | None = None,
        batch_ids: Sequence[str | None] | None = None,
    ) -> None:
        if max_per_batch < 1 or max_bytes_per_batch < 1:
            raise ValueError("max_per_batch and max_bytes_per_batch must be >= 1")
        self._client = client
        self._raw = client.with_raw_response
        self._endpoint = endpoint
        self._window = completion_window
        self._poll_interval = poll_interval
        self._max_poll_interval = max(max_poll_interval, poll_interval)
        self._cancel_timeout = cancel_timeout
        self._on_progress = on_progress
        self._metadata = dict(metadata) if metadata is not None else None
        self._count = len(requests)
        self._chunks = _split(requests, endpoint, max_per_batch, max_bytes_per_batch)
        ids = list(batch_ids) if batch_ids is not None else [None] * len(self._chunks)
        if len(ids) != len(self._chunks):
            raise ValueError(
                f"{len(ids)} batch ids for {len(self._chunks)} batches: resume with the same "
                "requests and splitting options as the first run"
            )
        self._states = [
            BatchState(batch_id=bid, first_index=c.first_index, total=c.count)
            for bid, c in zip(ids, self._chunks, strict=True)
        ]
        self._failure: Exception | None = None
        self._started = False
        self.created = trio.Event()
        if all(ids):
            self.created.set()

    @property
    def batch_ids(self) -> tuple[str | None, ...]:
        return tuple(state.batch_id for state in self._states)

    @property
    def progress(self) -> BatchProgress:
        return BatchProgress(tuple(self._states))

    def _update(self, chunk: _Chunk, **changes: Any) -> None:
        old = self._states[chunk.number]
        self._states[chunk.number] = new = attrs.evolve(old, **changes)
        if all(self.batch_ids):
            self.created.set()
        if new != old and self._on_progress is not None:
            self._on_progress(self.progress)

    async def run(self) -> list[BatchResult]:
        """Run every batch to its end and return one result per input, in input order."""
        if self._started:
            raise RuntimeError("a BatchRun runs once")
        self._started = True
        results: list[BatchResult | None] = [None] * self._count
        try:
            async with trio.open_nursery() as nursery:
                for chunk in self._chunks:
                    nursery.start_soon(self._run_chunk, chunk, results, nursery.cancel_scope)
        except BaseExceptionGroup as group:
            # Children record their errors and cancel each other, so a group holds only
            # Cancelled (and perhaps KeyboardInterrupt): raise one exception, not a group.
            leaves = _leaves(group)
            raise next(
                (x for x in leaves if not isinstance(x, trio.Cancelled)), leaves[0]
            ) from None
        if self._failure is not None:
            raise self._failure
        assert all(result is not None for result in results)
        return results  # type: ignore[return-value]

    async def _run_chunk(
        self, chunk: _Chunk, results: list[BatchResult | None], scope: trio.CancelScope
    ) -> None:
        try:
            batch_id, batch, wait = self._states[chunk.number].batch_id, None, 0.0
            if batch_id is None:
                batch, wait = await self._create(chunk)
                batch_id = str(batch["id"])
            batch = await self._watch(chunk, batch_id, batch, wait)
            for result in await self._collect(chunk, batch):
                results[result.index] = result
        except Exception as exc:
            if self._failure is None:
                self._failure = exc
            scope.cancel()

    async def _create(self, chunk: _Chunk) -> tuple[Mapping[str, Any], float]:
        last = chunk.first_index + chunk.count - 1
        name = f"batch-{chunk.first_index}-{last}.jsonl"
        form = {"purpose": "batch", "file": (name, chunk.payload, "application/jsonl")}
        uploaded = await self._client.post("/files", files=form, cast_to=_json_object)
        body: dict[str, Any] = {
            "input_file_id": uploaded["id"],
            "endpoint": self._endpoint,
            "completion_window": self._window,
        }
        if self._metadata is not None:
            body["metadata"] = self._metadata
        response = await self._raw.post("/batches", body=body, cast_to=_json_object)
        batch = response.parsed
        self._record(chunk, batch)
        hint = _poll_after(response.headers)
        return batch, self._poll_interval if hint is None else hint

    def _record(self, chunk: _Chunk, batch: Mapping[str, Any]) -> None:
        counts = batch.get("request_counts") or {}
        total = counts.get("total") or 0
        if total and total != chunk.count:
            raise ValueError(
                f"batch {batch.get('id')} holds {total} requests where this run expects "
                f"{chunk.count}: resume with the same requests and splitting options"
            )
        self._update(
            chunk,
            batch_id=str(batch["id"]),
            status=str(batch.get("status")),
            completed=int(counts.get("completed") or 0),
            failed=int(counts.get("failed") or 0),
        )

    async def _watch(
        self, chunk: _Chunk, batch_id: str, batch: Mapping[str, Any] | None, wait: float
    ) -> Mapping[str, Any]:
        """Poll the batch until it ends; cancel it server-side if the caller cancels us."""
        delay = self._poll_interval
        try:
            while batch is None or batch.get("status") not in TERMINAL:
                await trio.sleep(wait)
                response = await self._raw.get(f"/batches/{batch_id}", cast_to=_json_object)
                previous, batch = batch, response.parsed
                self._record(chunk, batch)
                if previous is None or previous.get("request_counts") != batch.get(
                    "request_counts"
                ):
                    delay = self._poll_interval  # things move: look again soon
                hint = _poll_after(response.headers)
                wait = delay if hint is None else hint
                if hint is None:
                    delay = min(delay * _BACKOFF, self._max_poll_interval)
        except trio.Cancelled:
            if self._failure is None:  # the caller's cancellation, not a sibling's failure
                await self._cancel_remote(batch_id)
            raise
        return batch

    async def _cancel_remote(self, batch_id: str) -> None:
        with trio.move_on_after(self._cancel_timeout) as scope:
            scope.shield = True
            # Already finished, or unreachable: nothing more to do while cancelled.
            with contextlib.suppress(OpenAIError):
                await self._client.post(f"/batches/{batch_id}/cancel", max_retries=0)

    async def _collect(self, chunk: _Chunk, batch: Mapping[str, Any]) -> list[BatchResult]:
        found: dict[int, BatchResult] = {}
        stop = chunk.first_index + chunk.count
        batch_id = str(batch["id"])
        for key in ("output_file_id", "error_file_id"):
            file_id = batch.get(key)
            if not file_id:
                continue
            content = await self._client._request("GET", f"/files/{file_id}/content", binary=True)
            for raw in bytes(content).splitlines():
                if not raw.strip():
                    continue
                line = orjson.loads(raw)
                prefix, _, number = str(line.get("custom_id")).partition("-")
                if prefix == "req" and number.isdigit():
                    index = int(number)
                    if chunk.first_index <= index < stop and index not in found:
                        found[index] = _result(line, index, batch_id)
        return [
            found.get(index) or _missing(index, batch) for index in range(chunk.first_index, stop)
        ]


class BatchOptions(TypedDict, total=False):
    """The keyword arguments of `run_batch` and `resume_batch`; defaults as in `BatchRun`."""

    endpoint: str
    completion_window: str
    max_per_batch: int
    max_bytes_per_batch: int
    poll_interval: float
    max_poll_interval: float
    cancel_timeout: float
    on_progress: Callable[[BatchProgress], object] | None
    metadata: Mapping[str, str] | None


async def run_batch(
    client: OpenAI, requests: Sequence[Mapping[str, Any]], **options: Unpack[BatchOptions]
) -> list[BatchResult]:
    """Send `requests` (bodies for `endpoint`) through the Batch API; see the module doc.

    Options: `endpoint` ("/v1/responses"), `completion_window` ("24h"), `max_per_batch`
    (50,000), `max_bytes_per_batch` (200 MiB), `poll_interval` (5 s), `max_poll_interval`
    (60 s), `cancel_timeout` (10 s), `on_progress`, `metadata`. Raises what the uploads,
    creations and polls raise (after the client's retries), `ValueError` for a request
    too big for one batch; a failure of one input is its result, not an exception.
    """
    return await BatchRun(client, requests, **options).run()


async def resume_batch(
    client: OpenAI,
    batch_ids: Sequence[str | None],
    requests: Sequence[Mapping[str, Any]],
    **options: Unpack[BatchOptions],
) -> list[BatchResult]:
    """Pick a run up from its `progress.batch_ids`, given the same requests and options.

    Batches with an id are polled, not created again; a None id (a batch the first run
    had not created yet) is created now. `ValueError` when the ids do not fit the split.
    """
    return await BatchRun(client, requests, batch_ids=batch_ids, **options).run()
