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
  answer to that line (`BatchRequestFailed`), or none because the batch expired, was
  cancelled or failed before running it (`BatchRequestMissing`; see `_batch_results`).
- `resubmit_unfinished=True` sends the inputs an expired or cancelled batch never ran
  again, in a new batch (up to `max_resubmits` times per chunk); an input is still
  answered exactly once, by the batch that ran it.
- `on_progress` receives a `BatchProgress` after every change, with the batch ids as soon
  as they exist: persist `progress.resume_ids` and, after a crash, hand them to
  `resume_batch` with the same requests and splitting options to pick the run up again.
  A resumed batch is checked first: its input's custom_ids must be its chunk's.
- Cancelling the caller cancels the batches still running (POST /batches/{id}/cancel,
  shielded, `cancel_timeout` seconds at most) and re-raises `trio.Cancelled`. Any other
  failure (the network gone after the client's retries, a callback that raised) stops the
  run and raises it as is, leaving the batches running so that they can be resumed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypedDict, Unpack, cast, final

import attrs
import orjson
import trio

from .._errors import OpenAIError
from ._batch_input import Chunk, chain_of, index_of, poll_after, read_custom_id, split
from ._batch_results import (
    TERMINAL,
    BatchProgress as BatchProgress,
    BatchRequestError as BatchRequestError,
    BatchRequestFailed as BatchRequestFailed,
    BatchRequestMissing as BatchRequestMissing,
    BatchResult as BatchResult,
    BatchState as BatchState,
    as_mapping,
    line_result,
    missing_result,
)

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

_BACKOFF: Final = 1.5


def _json_object(data: Any) -> Mapping[str, Any]:
    """The typed view of a JSON object answer (the Files and Batches objects)."""
    return cast("Mapping[str, Any]", data)


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            out.extend(_leaves(cast("BaseExceptionGroup[BaseException]", exc)))
        else:
            out.append(exc)
    return out


@final
class BatchRun:
    """One run over the Batch API; `run_batch` and `resume_batch` make and run one.

    Make one yourself to watch it from another task: `batch_ids`, `resume_ids` and
    `progress` are live, and `created` is set once every chunk has its first batch.
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
        resubmit_unfinished: bool = False,
        max_resubmits: int = 3,
        batch_ids: Sequence[str | Sequence[str] | None] | None = None,
    ) -> None:
        if max_per_batch < 1 or max_bytes_per_batch < 1:
            raise ValueError("max_per_batch and max_bytes_per_batch must be >= 1")
        if max_resubmits < 0:
            raise ValueError("max_resubmits must be >= 0")
        self._client = client
        self._raw = client.with_raw_response
        self._endpoint = endpoint
        self._window = completion_window
        self._poll_interval = poll_interval
        self._max_poll_interval = max(max_poll_interval, poll_interval)
        self._cancel_timeout = cancel_timeout
        self._on_progress = on_progress
        self._metadata = dict(metadata) if metadata is not None else None
        self._resubmit = resubmit_unfinished
        self._max_resubmits = max_resubmits
        self._count = len(requests)
        self._chunks = split(requests, endpoint, max_per_batch, max_bytes_per_batch)
        given = [chain_of(ids) for ids in batch_ids] if batch_ids is not None else None
        self._given = given if given is not None else [()] * len(self._chunks)
        if len(self._given) != len(self._chunks):
            raise ValueError(
                f"{len(self._given)} batch ids for {len(self._chunks)} batches: resume with "
                "the same requests and splitting options as the first run"
            )
        self._states = [
            BatchState(
                batch_id=ids[0] if ids else None,
                first_index=c.first_index,
                total=c.count,
                resubmitted_ids=ids[1:],
            )
            for ids, c in zip(self._given, self._chunks, strict=True)
        ]
        self._failure: Exception | None = None
        self._started = False
        self.created = trio.Event()
        if all(self._given):
            self.created.set()

    @property
    def batch_ids(self) -> tuple[str | None, ...]:
        """The first batch of each chunk, in input order (None: not created yet)."""
        return tuple(state.batch_id for state in self._states)

    @property
    def resume_ids(self) -> tuple[tuple[str, ...], ...]:
        """Every batch of each chunk, oldest first: what `resume_batch` takes back."""
        return tuple(state.batch_ids for state in self._states)

    @property
    def progress(self) -> BatchProgress:
        return BatchProgress(tuple(self._states))

    def _update(self, chunk: Chunk, **changes: Any) -> None:
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
        done = [result for result in results if result is not None]
        assert len(done) == self._count
        return done

    async def _run_chunk(
        self, chunk: Chunk, results: list[BatchResult | None], scope: trio.CancelScope
    ) -> None:
        """Run the chunk's batches one after another until every input has its answer.

        The first batch holds the whole chunk; each later one (given to resume, or
        created when `resubmit_unfinished` is on) holds the inputs the one before it
        left unrun because it expired or was cancelled.
        """
        try:
            given, pending = self._given[chunk.number], list(chunk.indices)
            done = {"completed": 0, "failed": 0}  # answered by the chunk's earlier batches
            step = 0
            while True:
                if step < len(given):
                    batch_id, first_look = given[step], None
                else:
                    first_look = await self._create(chunk, pending, step, done)
                    batch_id = str(first_look[0]["id"])
                async with self._cancelled_with(batch_id):
                    if first_look is None:
                        first_look = await self._check(chunk, batch_id, pending, done)
                    batch, wait = first_look
                    batch = await self._watch(chunk, batch_id, batch, wait, pending, done)
                found = await self._collect(batch, set(pending))
                for index in pending:
                    results[index] = found.get(index) or missing_result(index, batch)
                pending, step = [i for i in pending if _resubmittable(results[i])], step + 1
                left = set(pending)
                answered = [results[i] for i in chunk.indices if i not in left]
                done["completed"] = sum(1 for result in answered if _ok(result))
                done["failed"] = len(answered) - done["completed"]
                more = step < len(given) or (self._resubmit and step <= self._max_resubmits)
                if not pending or not more:
                    break
            # Every input has its result now: count the unrun ones as failed too.
            self._update(chunk, completed=done["completed"], failed=chunk.count - done["completed"])
        except Exception as exc:
            if self._failure is None:
                self._failure = exc
            scope.cancel()

    async def _create(
        self, chunk: Chunk, pending: list[int], step: int, done: Mapping[str, int]
    ) -> tuple[Mapping[str, Any], float]:
        last = chunk.first_index + chunk.count - 1
        name = f"batch-{chunk.first_index}-{last}" + (f"-resubmit-{step}" if step else "")
        payload = b"".join(chunk.lines[index - chunk.first_index] for index in pending)
        form = {"purpose": "batch", "file": (f"{name}.jsonl", payload, "application/jsonl")}
        uploaded = await self._client.post("/files", files=form, cast_to=_json_object)
        del payload, form
        body: dict[str, Any] = {
            "input_file_id": uploaded["id"],
            "endpoint": self._endpoint,
            "completion_window": self._window,
        }
        if self._metadata is not None:
            body["metadata"] = self._metadata
        response = await self._raw.post("/batches", body=body, cast_to=_json_object)
        batch = response.parsed
        state = self._states[chunk.number]
        if step == 0:
            self._update(chunk, batch_id=str(batch["id"]))
        else:
            self._update(chunk, resubmitted_ids=(*state.resubmitted_ids, str(batch["id"])))
        self._record(chunk, batch, pending, done)
        hint = poll_after(response.headers)
        return batch, self._poll_interval if hint is None else hint

    async def _check(
        self, chunk: Chunk, batch_id: str, pending: list[int], done: Mapping[str, int]
    ) -> tuple[Mapping[str, Any], float]:
        """Fetch a batch given to resume, and make sure it holds exactly `pending`.

        Its input file's custom_ids must be the inputs this chunk still needs: ids passed
        in the wrong order, or from another run, fail here, before anything is polled.
        """
        response = await self._raw.get(f"/batches/{batch_id}", cast_to=_json_object)
        batch = response.parsed
        content = await self._client.files.content(str(batch["input_file_id"]))
        held = [read_custom_id(raw) for raw in bytes(content).splitlines() if raw.strip()]
        expected = {f"req-{index}" for index in pending}
        if {str(c) for c in held} != expected or len(held) != len(expected):
            stray = sorted({str(c) for c in held} - expected, key=_by_index)[:3]
            absent = sorted(expected - {str(c) for c in held}, key=_by_index)[:3]
            raise ValueError(
                f"batch {batch_id} does not belong to {chunk.describe(len(self._chunks))}: "
                f"it holds {len(held)} requests ({', '.join(stray) or 'none'} not in that "
                f"chunk; {', '.join(absent) or 'none'} of the chunk missing). Resume with the "
                "ids in the order the first run wrote them, the same requests and the same "
                "splitting options"
            )
        self._record(chunk, batch, pending, done)
        hint = poll_after(response.headers)
        return batch, self._poll_interval if hint is None else hint

    def _record(
        self,
        chunk: Chunk,
        batch: Mapping[str, Any],
        pending: list[int],
        done: Mapping[str, int],
    ) -> None:
        counts = as_mapping(batch.get("request_counts"))
        total = int(counts.get("total") or 0)
        if total and total != len(pending):
            raise ValueError(
                f"batch {batch.get('id')} holds {total} requests where this run expects "
                f"{len(pending)} for {chunk.describe(len(self._chunks))}: resume with the same "
                "requests and splitting options"
            )
        self._update(
            chunk,
            status=str(batch.get("status")),
            completed=done["completed"] + int(counts.get("completed") or 0),
            failed=done["failed"] + int(counts.get("failed") or 0),
        )

    async def _watch(
        self,
        chunk: Chunk,
        batch_id: str,
        batch: Mapping[str, Any],
        wait: float,
        pending: list[int],
        done: Mapping[str, int],
    ) -> Mapping[str, Any]:
        """Poll the batch until it ends."""
        delay = self._poll_interval
        while batch.get("status") not in TERMINAL:
            await trio.sleep(wait)
            response = await self._raw.get(f"/batches/{batch_id}", cast_to=_json_object)
            previous, batch = batch, response.parsed
            self._record(chunk, batch, pending, done)
            if previous.get("request_counts") != batch.get("request_counts"):
                delay = self._poll_interval  # things move: look again soon
            hint = poll_after(response.headers)
            wait = delay if hint is None else hint
            if hint is None:
                delay = min(delay * _BACKOFF, self._max_poll_interval)
        return batch

    @contextlib.asynccontextmanager
    async def _cancelled_with(self, batch_id: str) -> AsyncGenerator[None]:
        """Cancel the batch server-side if the caller cancels us while it runs."""
        try:
            yield
        except trio.Cancelled:
            if self._failure is None:  # the caller's cancellation, not a sibling's failure
                await self._cancel_remote(batch_id)
            raise

    async def _cancel_remote(self, batch_id: str) -> None:
        with trio.move_on_after(self._cancel_timeout) as scope:
            scope.shield = True
            # Already finished, or unreachable: nothing more to do while cancelled.
            with contextlib.suppress(OpenAIError):
                await self._client.post(f"/batches/{batch_id}/cancel", max_retries=0)

    async def _collect(self, batch: Mapping[str, Any], wanted: set[int]) -> dict[int, BatchResult]:
        """The results the batch's output and error files give for the `wanted` inputs."""
        found: dict[int, BatchResult] = {}
        for key in ("output_file_id", "error_file_id"):
            file_id = batch.get(key)
            if not file_id:
                continue
            content = await self._client.files.content(str(file_id))
            for raw in bytes(content).splitlines():
                if not raw.strip():
                    continue
                line = orjson.loads(raw)
                index = index_of(line.get("custom_id"))
                if index in wanted and index not in found:
                    found[index] = line_result(line, index, batch)
        return found


def _by_index(custom_id: str) -> tuple[int, str]:
    index = index_of(custom_id)
    return (-1 if index is None else index, custom_id)


def _ok(result: BatchResult | None) -> bool:
    return result is not None and result.ok


def _resubmittable(result: BatchResult | None) -> bool:
    error = None if result is None else result.error
    return isinstance(error, BatchRequestMissing) and error.resubmittable


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
    resubmit_unfinished: bool
    max_resubmits: int


async def run_batch(
    client: OpenAI, requests: Sequence[Mapping[str, Any]], **options: Unpack[BatchOptions]
) -> list[BatchResult]:
    """Send `requests` (bodies for `endpoint`) through the Batch API; see the module doc.

    Options: `endpoint` ("/v1/responses"), `completion_window` ("24h"), `max_per_batch`
    (50,000), `max_bytes_per_batch` (200 MiB), `poll_interval` (5 s), `max_poll_interval`
    (60 s), `cancel_timeout` (10 s), `on_progress`, `metadata`, `resubmit_unfinished`
    (False), `max_resubmits` (3). Raises what the uploads,
    creations and polls raise (after the client's retries), `ValueError` for a request
    too big for one batch; a failure of one input is its result, not an exception.
    """
    return await BatchRun(client, requests, **options).run()


async def resume_batch(
    client: OpenAI,
    batch_ids: Sequence[str | Sequence[str] | None],
    requests: Sequence[Mapping[str, Any]],
    **options: Unpack[BatchOptions],
) -> list[BatchResult]:
    """Pick a run up from its `progress.resume_ids`, given the same requests and options.

    One entry per chunk, in input order: the chunk's batch id, or the ids of all its
    batches oldest first (when inputs were resubmitted), or None / an empty list for a
    chunk the first run had not created a batch for (created now). Batches with an id are
    polled, not created again. `ValueError`, before anything is polled, when the ids do
    not fit the split or a batch's custom_ids are not its chunk's (ids out of order, or
    from another run). With `resubmit_unfinished=True`, the inputs of expired or
    cancelled batches (a run cancelled with Ctrl-C, for one) are sent again.
    """
    return await BatchRun(client, requests, batch_ids=batch_ids, **options).run()
