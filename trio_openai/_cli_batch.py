"""The `batch` command: run a JSONL file of request bodies through the Batch API.

    python -m trio_openai batch run requests.jsonl [--out results.jsonl]
        [--endpoint /v1/responses] [--base-url URL] [--max-per-batch N]
        [--resubmit-unfinished] [--state FILE] [--resume [ID ...]]

Each input line is one request body for the endpoint. Results are written as JSONL in input
order, one line per input: `{"index", "custom_id", "status_code", "body", "error"}` where
`error` is null or `{"type", "code", "message"}`.

A run survives a crash: every batch id is written, as soon as it exists, to a state file
next to the output (`--state`, by default `<out>.batch-state.json`, or next to the input
when results go to stdout) with its position and input range, and printed as
`batch 2 of 6 (inputs 50-99): batch_abc created`. `--resume` (no ids) continues from the
state file; `--resume ID ...` from ids given in position order ('-' for a batch not
created yet, `ID1,ID2` for a batch and its resubmission). Each resumed batch is checked
first: its custom_ids must be those of its inputs, else the command stops (status 2)
saying which batch does not fit. The state file is removed when the run ends; a fresh
run refuses to overwrite one left by an unfinished run.

Progress goes to stderr: a live bar in a terminal (with `rich`), plain lines at most every
`--progress-interval` seconds elsewhere. Ctrl-C cancels the running batches (resume them
with `--resume --resubmit-unfinished`). Without OPENAI_API_KEY (and no --base-url), the
local server runs in this process and answers with its echo model. Exit status: 0 when
every request succeeded, 1 when some did not, 2 for an unreadable input file, options
that do not fit it, or a state that does not match.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, TextIO, cast

import orjson
import trio

from ._cli_state import StateFile, describe, parse_resume_ids

if TYPE_CHECKING:
    from ._cli_progress import ProgressDisplay
    from .lib._batch_results import BatchProgress, BatchResult

__all__ = ["add_batch_parser", "main", "run_batch_command"]


def add_batch_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `batch run ...` to the subparsers of `python -m trio_openai`."""
    batch = subparsers.add_parser("batch", help="run many requests through the Batch API")
    actions = batch.add_subparsers(dest="batch_command", required=True)
    run = actions.add_parser("run", help="run a JSONL file of request bodies")
    run.add_argument("input", help="JSONL file, one request body per line")
    run.add_argument("--endpoint", default="/v1/responses", help="default: /v1/responses")
    run.add_argument("--out", default=None, help="results JSONL file (default: stdout)")
    run.add_argument(
        "--base-url", default=None, help="API base URL (default: OPENAI_BASE_URL or OpenAI)"
    )
    run.add_argument("--max-per-batch", type=int, default=50_000, help="lines per batch")
    run.add_argument(
        "--poll-interval", type=float, default=None, help="seconds between polls (default 5)"
    )
    run.add_argument(
        "--resubmit-unfinished",
        action="store_true",
        help="send the inputs an expired or cancelled batch did not run again, in new batches",
    )
    run.add_argument(
        "--state",
        default=None,
        help="the resume state file (default: <out>.batch-state.json, or <input>'s)",
    )
    run.add_argument(
        "--resume",
        nargs="*",
        default=None,
        metavar="ID",
        help="continue a run: from the state file, or from the printed ids in position "
        "order ('-' for a batch not created, 'ID1,ID2' for a batch and its resubmissions)",
    )
    run.add_argument(
        "--progress-interval",
        type=float,
        default=10.0,
        help="seconds between progress lines when stderr is not a terminal (default 10)",
    )
    return batch


async def _read_requests(path: str) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = []
    content = await trio.Path(path).read_bytes()
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            body = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc})") from None
        if not isinstance(body, dict):
            raise ValueError(f"{path}:{number}: a request body must be a JSON object")
        requests.append(cast("dict[str, Any]", body))
    return requests


def _result_line(result: BatchResult) -> bytes:
    error = result.error
    line = {
        "index": result.index,
        "custom_id": result.custom_id,
        "status_code": result.status_code,
        "body": result.body,
        "error": None
        if error is None
        else {"type": type(error).__name__, "code": error.code, "message": error.message},
    }
    return orjson.dumps(line) + b"\n"


def _resubmittable(result: BatchResult) -> bool:
    from .lib._batch_results import BatchRequestMissing

    return isinstance(result.error, BatchRequestMissing) and result.error.resubmittable


class _Watcher:
    """The run's `on_progress`: saves the state, prints events, feeds the display."""

    def __init__(self, state: StateFile, display: ProgressDisplay) -> None:
        self._state = state
        self._display = display
        self._seen: BatchProgress | None = None

    def begin(self, progress: BatchProgress) -> None:
        """Start from the run's first state: the batches a resume was given are not new."""
        self._seen = progress
        count = len(progress.batches)
        for number, state in enumerate(progress.batches):
            if state.batch_ids:
                ids = ", ".join(state.batch_ids)
                self._display.event(f"{describe(state, number, count)}: {ids} resumed")

    def __call__(self, progress: BatchProgress) -> None:
        before = self._seen
        self._seen = progress
        if before is None or before.resume_ids != progress.resume_ids:
            self._state.save(progress)  # first: a crash right after must not lose an id
        count = len(progress.batches)
        for number, now in enumerate(progress.batches):
            old = before.batches[number] if before is not None else None
            where = describe(now, number, count)
            new_ids = now.batch_ids[len(old.batch_ids) if old is not None else 0 :]
            for step, batch_id in enumerate(new_ids, start=len(now.batch_ids) - len(new_ids)):
                what = (
                    "created"
                    if step == 0
                    else f"created (resubmission {step}: what the last did not run)"
                )
                self._display.event(f"{where}: {batch_id} {what}")
            if now.finished and (old is None or not old.finished or new_ids):
                self._display.event(
                    f"{where}: {now.batch_ids[-1]} {now.status}, "
                    f"{now.completed} succeeded, {now.failed} failed"
                )
        self._display(progress)


async def run_batch_command(args: argparse.Namespace, *, stderr: TextIO | None = None) -> int:
    """Run `batch run` with parsed arguments; returns the exit status."""
    from ._cli_progress import open_display
    from ._client import OpenAI
    from .lib._batch import BatchRun

    err = stderr if stderr is not None else sys.stderr
    try:
        requests = await _read_requests(args.input)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    state = StateFile.for_args(args, len(requests))
    try:
        batch_ids = await _resume_ids(args, state)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    async with AsyncExitStack() as stack:
        offline = (
            not os.environ.get("OPENAI_API_KEY")
            and args.base_url is None
            and not os.environ.get("OPENAI_BASE_URL")
        )
        if offline:
            from .testing import open_local_server

            server = await stack.enter_async_context(open_local_server())
            server.batches.step_time = 0.2
            server.batches.poll_after_ms = 100
            client = OpenAI(api_key="local", base_url=server.base_url)
            print(f"(no OPENAI_API_KEY: the local server at {server.base_url})", file=err)
        else:
            client = OpenAI(
                base_url=args.base_url, api_key=os.environ.get("OPENAI_API_KEY") or "none"
            )
        await stack.enter_async_context(client)
        display = open_display(err, interval=args.progress_interval)
        try:
            watcher = _Watcher(state, display)
            run = BatchRun(
                client,
                requests,
                endpoint=args.endpoint,
                max_per_batch=args.max_per_batch,
                poll_interval=args.poll_interval if args.poll_interval is not None else 5.0,
                resubmit_unfinished=args.resubmit_unfinished,
                on_progress=watcher,
                batch_ids=batch_ids,
            )
            state.check_split(run)
            watcher.begin(run.progress)
            results = await run.run()
        except ValueError as exc:  # a resume that does not fit
            display.finish()
            print(f"error: {exc}", file=err)
            return 2
        finally:
            display.finish()
    data = b"".join(_result_line(result) for result in results)
    if args.out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        await trio.Path(args.out).write_bytes(data)
    failed = sum(1 for result in results if not result.ok)
    print(f"{len(results) - failed} succeeded, {failed} failed", file=err)
    unrun = sum(1 for result in results if _resubmittable(result))
    if unrun:
        print(
            f"{unrun} inputs were never run (their batch expired or was cancelled): "
            f"`--resume --resubmit-unfinished` sends them again (state: {state.path})",
            file=err,
        )
    else:
        state.remove()
    return 1 if failed else 0


async def _resume_ids(args: argparse.Namespace, state: StateFile) -> list[list[str]] | None:
    if args.resume is None:
        state.refuse_overwrite()
        return None
    if args.resume:
        return parse_resume_ids(args.resume)
    return state.load()


def main(argv: list[str] | None = None) -> int:
    """`python -m trio_openai._cli_batch run ...`: the command without the main CLI."""
    parser = argparse.ArgumentParser(prog="python -m trio_openai._cli_batch")
    add_batch_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["batch", *(sys.argv[1:] if argv is None else argv)])
    try:
        return trio.run(run_batch_command, args)
    except KeyboardInterrupt:
        print("\n(interrupted: the batches were cancelled)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
