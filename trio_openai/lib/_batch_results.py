"""What a Batch API run gives back: per-input results, typed errors and progress snapshots.

Pure values and the mapping from one line of a batch's output or error file to a
`BatchResult`; no I/O (the run itself is in `_batch.py`).

The API answers each input in one of three ways, and each maps to one result:

- a line with a 2xx `response`: the body;
- a line with another `response`, or an `error` for a request it ran: `BatchRequestFailed`;
- a line with `"response": null` and `error.code` `batch_expired` / `batch_cancelled` /
  `batch_failed` (the API writes one for every request an expired or cancelled batch never
  ran), or no line at all: `BatchRequestMissing`. These inputs were never run, so sending
  them again is safe; `resubmit_unfinished=True` does it for expired and cancelled batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast, final

import attrs

from .._errors import OpenAIError

__all__ = [
    "TERMINAL",
    "BatchProgress",
    "BatchRequestError",
    "BatchRequestFailed",
    "BatchRequestMissing",
    "BatchResult",
    "BatchState",
    "as_mapping",
    "line_result",
    "missing_result",
]

TERMINAL: Final = frozenset({"completed", "failed", "expired", "cancelled"})
# The error codes of a request its batch never ran; the first two may be sent again.
UNRUN_CODES: Final = frozenset({"batch_expired", "batch_cancelled", "batch_failed"})
RESUBMITTABLE_CODES: Final = frozenset({"batch_expired", "batch_cancelled"})


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
    """The batch never ran the request: it expired, was cancelled or failed.

    The API says so with an error-file line (`response: null`, `code` `batch_expired`,
    `batch_cancelled` or `batch_failed`), or by leaving the request out of both files;
    either way `code` is one of those three (`missing_result` if the batch completed
    without a line for it) and `batch_status` is the batch's final status.
    """

    def __init__(self, message: str, *, batch_status: str, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.batch_status = batch_status

    @property
    def resubmittable(self) -> bool:
        """True when the batch expired or was cancelled: sending the input again is safe."""
        return self.code in RESUBMITTABLE_CODES


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
    """One chunk of a run: the inputs `first_index` to `first_index + total - 1`.

    `batch_id` is the batch created for the chunk (None until it exists), and
    `resubmitted_ids` the later batches that ran its unfinished inputs again, oldest first.
    `status` is the API's status of the latest of them, or "pending"; `completed` and
    `failed` count the chunk's inputs answered so far (the batches' `request_counts`).
    """

    batch_id: str | None
    first_index: int
    total: int
    status: str = "pending"
    completed: int = 0
    failed: int = 0
    resubmitted_ids: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def batch_ids(self) -> tuple[str, ...]:
        """Every batch of the chunk, oldest first: what `resume_batch` needs for it."""
        return () if self.batch_id is None else (self.batch_id, *self.resubmitted_ids)


@final
@attrs.frozen
class BatchProgress:
    """A snapshot of a run: every chunk's state, and the sums over all inputs."""

    batches: tuple[BatchState, ...]

    @property
    def batch_ids(self) -> tuple[str | None, ...]:
        """The first batch of each chunk, in input order; None where not created yet."""
        return tuple(state.batch_id for state in self.batches)

    @property
    def resume_ids(self) -> tuple[tuple[str, ...], ...]:
        """Every batch of each chunk, in input order: persist this for `resume_batch`.

        Equal to `batch_ids` (as one-element tuples) unless inputs were resubmitted.
        """
        return tuple(state.batch_ids for state in self.batches)

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

    def status_counts(self) -> dict[str, int]:
        """How many chunks are in each status, e.g. {"in_progress": 3, "completed": 1}."""
        counts: dict[str, int] = {}
        for state in self.batches:
            counts[state.status] = counts.get(state.status, 0) + 1
        return counts


def as_mapping(value: object) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty one: API data read defensively."""
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}


def line_result(line: Mapping[str, Any], index: int, batch: Mapping[str, Any]) -> BatchResult:
    """The result of one line of a batch's output or error file."""
    batch_id, custom_id, raw_error = str(batch.get("id")), f"req-{index}", line.get("error")
    error = as_mapping(raw_error)
    response = as_mapping(line.get("response"))
    status, body = response.get("status_code"), response.get("body")
    status = status if isinstance(status, int) else None
    if status is not None and 200 <= status < 300 and not raw_error:
        return BatchResult(index, custom_id, status, body, None, batch_id=batch_id)
    if not response and error.get("code") in UNRUN_CODES:
        code = str(error.get("code"))
        message = str(error.get("message") or f"The batch ended {batch.get('status')}.")
        missing = BatchRequestMissing(
            message,
            batch_status=str(batch.get("status")),
            custom_id=custom_id,
            batch_id=batch_id,
            code=code,
            body=error,
        )
        return BatchResult(index, custom_id, None, None, missing, batch_id=batch_id)
    inner = as_mapping(as_mapping(body).get("error"))
    detail = inner or error
    failure = BatchRequestFailed(
        str(detail.get("message") or f"The request failed (status {status})."),
        custom_id=custom_id,
        batch_id=batch_id,
        code=_text(detail.get("code")),
        status_code=status,
        body=body if response else raw_error,
        request_id=_text(response.get("request_id")),
    )
    return BatchResult(index, custom_id, status, body, failure, batch_id=batch_id)


def missing_result(index: int, batch: Mapping[str, Any]) -> BatchResult:
    """The result of an input that neither file of its (ended) batch mentions."""
    status = str(batch.get("status"))
    custom_id = f"req-{index}"
    data: object = as_mapping(batch.get("errors")).get("data")
    items: list[object] = cast("list[object]", data) if isinstance(data, list) else []
    reasons = [as_mapping(item).get("message") for item in items]
    message = f"The batch ended {status} without an answer to this request."
    if reasons:
        message += " " + "; ".join(str(r) for r in reasons[:3])
    code = f"batch_{status}" if status in ("expired", "cancelled", "failed") else "missing_result"
    batch_id = str(batch.get("id"))
    failure = BatchRequestMissing(
        message, batch_status=status, custom_id=custom_id, batch_id=batch_id, code=code
    )
    return BatchResult(index, custom_id, None, None, failure, batch_id=batch_id)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
