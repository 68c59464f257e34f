"""The local server's Files and Batch APIs: an in-memory emulation driven by trio's clock.

Uploads are kept in memory. A batch moves through validating -> in_progress -> finalizing ->
completed, one status every `step_time` seconds, its lines running over `progress_steps`
steps while `request_counts` advance. Nothing runs in the background: a batch catches up
with the clock whenever it is read, so the autojump clock can drive it too. Each line is
answered by `runner(url, body) -> (status_code, body)`, by default the echo model of
`_echo`; a line whose body holds `"fail": true` fails with a 400 instead. Finished lines go
to an output file (2xx) or an error file, in the Batch API's JSONL format.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from email.parser import HeaderParser
from typing import Any, Final, final

import attrs
import orjson
import trio

from .._types import json_object
from ._echo import echo_reply
from ._reply import RecordedRequest, Reply

__all__ = ["BatchService", "Runner", "echo_runner"]

Runner = Callable[[str, dict[str, Any]], tuple[int, Any]]

ENDPOINTS: Final = frozenset(
    {
        "/v1/responses",
        "/v1/chat/completions",
        "/v1/embeddings",
        "/v1/completions",
        "/v1/moderations",
        "/v1/images/generations",
        "/v1/images/edits",
        "/v1/videos",
    }
)
_PURPOSES: Final = frozenset({"assistants", "batch", "fine-tune", "vision", "user_data", "evals"})
_TERMINAL: Final = frozenset({"completed", "failed", "expired", "cancelled"})
_STAGES: Final = "in_progress finalizing completed failed expired cancelling cancelled"
_TIMESTAMPS: Final = tuple(f"{stage}_at" for stage in _STAGES.split())


def _error_body(message: str, *, code: str | None = None, param: str | None = None) -> Any:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }


_echo_serials = itertools.count(1)


def echo_runner(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    """Answer one batch line as the local server's echo routes would answer the request."""
    if body.get("stream"):
        return 400, _error_body("Streaming is not supported in batches.", param="stream")
    request = RecordedRequest(
        method="POST", path=url, query={}, headers={}, body=orjson.dumps(body)
    )
    reply = echo_reply(request, serial=next(_echo_serials), pace=0.0)
    return reply.status, orjson.loads(reply.body)


@attrs.define
class _File:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int

    def as_json(self) -> dict[str, Any]:
        expires = self.created_at + 30 * 86400 if self.purpose.startswith("batch") else None
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "expires_at": expires,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
        }


@attrs.define
class _Batch:
    id: str
    endpoint: str
    input_file_id: str
    metadata: Any
    lines: list[dict[str, Any]]  # the parsed input, valid lines only
    errors: list[dict[str, Any]]  # validation errors: the batch will fail
    started: float  # trio clock
    wall: float  # time.time() when created
    status: str = "validating"
    done: int = 0
    completed: int = 0
    failed: int = 0
    polls: list[float] = attrs.Factory(list[float])  # trio clock of each GET, for tests
    cancel_requested: float | None = None
    finished: float | None = None  # trio clock, when it reached a terminal status
    stamps: dict[str, int] = attrs.Factory(dict[str, int])
    output: list[bytes] = attrs.Factory(list[bytes])
    error_lines: list[bytes] = attrs.Factory(list[bytes])
    output_file_id: str | None = None
    error_file_id: str | None = None


def _parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form field name -> (filename, bytes) of a multipart/form-data body."""
    header = HeaderParser().parsestr(f"Content-Type: {content_type}\n\n")
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or header.get_content_type() != "multipart/form-data":
        raise ValueError("expected a multipart/form-data body")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        head, sep, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("a part without a blank line after its headers")
        headers = HeaderParser().parsestr(head.decode("utf-8") + "\n\n")
        name = headers.get_param("name", header="content-disposition")
        filename = headers.get_param("filename", header="content-disposition")
        filename = filename if isinstance(filename, str) else None
        if isinstance(name, str):
            fields[name] = (filename, data.removesuffix(b"\r\n"))
    return fields


@final
class BatchService:
    """The Files and Batches routes of a `LocalServer` (`server.batches`), with its knobs.

    - `step_time`: seconds between two status changes of a batch.
    - `progress_steps`: how many steps the lines take to run (request_counts advance).
    - `poll_after_ms`: sent as `openai-poll-after-ms` with a batch still running, when set.
    - `expire`: batches created while it is true stop after half their lines and end
      `expired`; the unfinished lines are in neither file.
    - `runner(url, body) -> (status_code, body)`: answers each line (`echo_runner`).

    `files` and `batches` map ids to the stored records, for tests to inspect; `cancelled`
    lists the ids of the batches a client asked to cancel.
    """

    def __init__(self) -> None:
        self.step_time = 0.05
        self.progress_steps = 2
        self.poll_after_ms: int | None = None
        self.expire = False
        self.runner: Runner = echo_runner
        self.files: dict[str, _File] = {}
        self.batches: dict[str, _Batch] = {}
        self.cancelled: list[str] = []
        self._expiring: set[str] = set()
        self._serial = 0

    def _next_id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self._serial}"

    def respond(self, request: RecordedRequest) -> Reply | None:
        """The reply to a Files or Batches request, or None for another route."""
        parts = request.path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "v1" or parts[1] not in ("files", "batches"):
            return None
        kind, method, rest = parts[1], request.method, parts[2:]
        if rest:
            route = self._file_route if kind == "files" else self._batch_route
            return route(method, rest)
        if method == "POST":
            return self._upload(request) if kind == "files" else self._create(request)
        if method != "GET":
            return _not_allowed(method)
        for batch in self.batches.values():
            self._advance(batch)
        records = self.files if kind == "files" else self.batches
        data = [self._json(record) for record in reversed(records.values())]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        return Reply.json(
            {"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": False}
        )

    def _json(self, record: _File | _Batch) -> dict[str, Any]:
        return record.as_json() if isinstance(record, _File) else self._batch_json(record)

    # -- files -------------------------------------------------------------------------

    def _store(self, filename: str, purpose: str, content: bytes) -> _File:
        record = _File(self._next_id("file-"), filename, purpose, content, int(time.time()))
        self.files[record.id] = record
        return record

    def _upload(self, request: RecordedRequest) -> Reply:
        try:
            form = _parse_multipart(request.headers.get("content-type", ""), request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            return Reply.error(400, message=f"Invalid multipart body: {exc}.")
        if "file" not in form or form["file"][0] is None:
            return Reply.error(400, message="A 'file' part is required.", param="file")
        purpose = form.get("purpose", (None, b""))[1].decode("utf-8", "replace")
        if purpose not in _PURPOSES:
            return Reply.error(400, message=f"Invalid purpose {purpose!r}.", param="purpose")
        filename, content = form["file"]
        return Reply.json(self._store(filename or "upload", purpose, content).as_json())

    def _file_route(self, method: str, rest: list[str]) -> Reply:
        record = self.files.get(rest[0])
        if record is None:
            return _not_found("File", rest[0])
        if rest[1:] == ["content"] and method == "GET":
            return Reply.text(record.content, content_type="application/octet-stream")
        if len(rest) == 1 and method == "GET":
            return Reply.json(record.as_json())
        if len(rest) == 1 and method == "DELETE":
            del self.files[record.id]
            return Reply.json({"id": record.id, "object": "file", "deleted": True})
        return _not_allowed(method)

    # -- batches -----------------------------------------------------------------------

    def _create(self, request: RecordedRequest) -> Reply:
        try:
            body = json_object(request.json())
        except orjson.JSONDecodeError:
            body = None
        if body is None:
            return Reply.error(400, message="Expected a JSON object body.")
        endpoint, window = body.get("endpoint"), body.get("completion_window")
        if endpoint not in ENDPOINTS:
            message = f"Unsupported endpoint {endpoint!r}."
            return Reply.error(400, message=message, param="endpoint")
        if window != "24h":
            message = f"Unsupported completion_window {window!r}."
            return Reply.error(400, message=message, param="completion_window")
        file = self.files.get(str(body.get("input_file_id")))
        if file is None or file.purpose != "batch":
            message = f"No file with purpose 'batch' has id {body.get('input_file_id')!r}."
            return Reply.error(400, message=message, param="input_file_id")
        lines, errors = _read_input(file.content, endpoint)
        batch = _Batch(
            id=self._next_id("batch_"),
            endpoint=endpoint,
            input_file_id=file.id,
            metadata=body.get("metadata"),
            lines=lines,
            errors=errors,
            started=trio.current_time(),
            wall=time.time(),
        )
        self.batches[batch.id] = batch
        if self.expire:
            self._expiring.add(batch.id)
        return Reply.json(self._batch_json(batch), headers=self._poll_headers(batch))

    def _batch_route(self, method: str, rest: list[str]) -> Reply:
        batch = self.batches.get(rest[0])
        if batch is None:
            return _not_found("Batch", rest[0])
        self._advance(batch)
        if len(rest) == 1 and method == "GET":
            batch.polls.append(trio.current_time())
            return Reply.json(self._batch_json(batch), headers=self._poll_headers(batch))
        if rest[1:] == ["cancel"] and method == "POST":
            self.cancelled.append(batch.id)
            if batch.status in _TERMINAL:
                message = f"Cannot cancel a batch with status '{batch.status}'."
                return Reply.error(400, message=message)
            if batch.cancel_requested is None:
                batch.cancel_requested = trio.current_time()
                batch.status = "cancelling"
                batch.stamps["cancelling_at"] = self._wall(batch, batch.cancel_requested)
            return Reply.json(self._batch_json(batch))
        return _not_allowed(method)

    def _poll_headers(self, batch: _Batch) -> dict[str, str]:
        if self.poll_after_ms is None or batch.status in _TERMINAL:
            return {}
        return {"openai-poll-after-ms": str(self.poll_after_ms)}

    def _wall(self, batch: _Batch, clock: float) -> int:
        return int(batch.wall + (clock - batch.started))

    def _advance(self, batch: _Batch) -> None:
        """Bring `batch` up to date with trio's clock: status, lines run, files written."""
        if batch.status in _TERMINAL:
            return
        now, step = trio.current_time(), self.step_time
        if batch.cancel_requested is not None:
            if now >= batch.cancel_requested + step:
                self._finish(batch, "cancelled", batch.cancel_requested + step)
            return
        steps = math.floor((now - batch.started) / step) if step > 0 else math.inf
        if steps < 1:
            return
        at = batch.started + step
        batch.stamps.setdefault("in_progress_at", self._wall(batch, at))
        if batch.errors:
            self._finish(batch, "failed", at)
            return
        batch.status = "in_progress"
        total, runs = len(batch.lines), self.progress_steps
        target = math.ceil(total * min(steps - 1, runs) / runs) if runs > 0 else total
        if batch.id in self._expiring:
            target = min(target, total // 2)
        while batch.done < target:
            self._run_line(batch, batch.lines[batch.done])
        if steps >= 1 + runs:
            at = batch.started + step * (1 + runs)
            if batch.id in self._expiring:
                self._finish(batch, "expired", at)
                return
            batch.status = "finalizing"
            batch.stamps.setdefault("finalizing_at", self._wall(batch, at))
        if steps >= 2 + runs:
            self._finish(batch, "completed", batch.started + step * (2 + runs))

    def _run_line(self, batch: _Batch, line: dict[str, Any]) -> None:
        batch.done += 1
        body = line["body"]
        if body.get("fail") is True:
            status, answer = 400, _error_body("This line asked to fail.", code="requested_failure")
        else:
            try:
                status, answer = self.runner(batch.endpoint, body)
            except Exception as exc:  # a broken runner fails its line, not the server
                status, answer = 500, _error_body(f"The runner raised {exc!r}.")
        request_id = self._next_id("req_b")
        response = {"status_code": status, "request_id": request_id, "body": answer}
        entry = {"id": self._next_id("batch_req_"), "custom_id": line["custom_id"]}
        entry |= {"response": response, "error": None}
        encoded = orjson.dumps(entry) + b"\n"
        if 200 <= status < 300:
            batch.completed += 1
            batch.output.append(encoded)
        else:
            batch.failed += 1
            batch.error_lines.append(encoded)

    def _finish(self, batch: _Batch, status: str, at: float) -> None:
        batch.status = status
        batch.finished = at
        batch.stamps[f"{status}_at"] = self._wall(batch, at)
        if batch.output:
            name = f"{batch.id}_output.jsonl"
            batch.output_file_id = self._store(name, "batch_output", b"".join(batch.output)).id
        if batch.error_lines:
            name = f"{batch.id}_error.jsonl"
            batch.error_file_id = self._store(name, "batch_output", b"".join(batch.error_lines)).id

    def _batch_json(self, batch: _Batch) -> dict[str, Any]:
        """The batch shaped after the spec's `Batch` schema (unset times are null)."""
        created = int(batch.wall)
        model = next((str(x["body"]["model"]) for x in batch.lines if "model" in x["body"]), None)
        errors = {"object": "list", "data": batch.errors} if batch.errors else None
        counted = batch.status not in ("validating", "failed")
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.endpoint,
            "model": model,
            "errors": errors,
            "input_file_id": batch.input_file_id,
            "completion_window": "24h",
            "status": batch.status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": created,
            "expires_at": created + 86400,
            **{name: batch.stamps.get(name) for name in _TIMESTAMPS},
            "request_counts": {
                "total": len(batch.lines) if counted else 0,
                "completed": batch.completed,
                "failed": batch.failed,
            },
            "metadata": batch.metadata,
        }


def _read_input(content: bytes, endpoint: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The lines of a batch input file, and the validation errors that make the batch fail."""
    lines: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()

    def problem(number: int, code: str, message: str, param: str | None = None) -> None:
        errors.append({"code": code, "message": message, "param": param, "line": number})

    for number, raw in enumerate(content.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json_object(orjson.loads(raw))
        except orjson.JSONDecodeError:
            problem(number, "invalid_json_line", "This line is not valid JSON.")
            continue
        if line is None or not isinstance(line.get("custom_id"), str):
            problem(
                number, "missing_required_parameter", "Each line needs a custom_id.", "custom_id"
            )
        elif line["custom_id"] in seen:
            problem(number, "duplicate_custom_id", "custom_id values must be unique.", "custom_id")
        elif line.get("method") != "POST" or line.get("url") != endpoint:
            problem(number, "mismatched_endpoint", f"Each line must POST to {endpoint}.", "url")
        elif not isinstance(line.get("body"), dict):
            problem(number, "missing_required_parameter", "Each line needs a body object.", "body")
        else:
            seen.add(line["custom_id"])
            lines.append(line)
    if not lines and not errors:
        problem(1, "empty_file", "The input file has no requests.")
    return lines, errors


def _not_found(kind: str, ident: str) -> Reply:
    return Reply.error(404, message=f"No such {kind} object: {ident}", param="id")


def _not_allowed(method: str) -> Reply:
    return Reply.error(405, message=f"Method {method} is not allowed here.")
