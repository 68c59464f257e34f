"""The `batch` command: run a JSONL file of request bodies through the Batch API.

    python -m trio_openai batch run requests.jsonl [--endpoint /v1/responses]
        [--out results.jsonl] [--base-url URL] [--max-per-batch N] [--resume ID ...]

Each input line is one request body for the endpoint. Results are written as JSONL in input
order, one line per input: `{"index", "custom_id", "status_code", "body", "error"}` where
`error` is null or `{"type", "code", "message"}`. A progress bar is drawn on stderr. The ids
of the batches are printed as soon as they exist, for `--resume` after a crash; Ctrl-C
cancels them. Without
OPENAI_API_KEY (and no --base-url), the local server runs in this process and answers with
its echo model. Exit status: 0 when every request succeeded, 1 when some did not, 2 for an
unreadable input file or options that do not fit it.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import AsyncExitStack
from typing import Any, TextIO

import orjson
import trio

__all__ = ["add_batch_parser", "main", "run_batch_command"]

_BAR_WIDTH = 30


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
        "--resume",
        nargs="+",
        default=None,
        metavar="ID",
        help="the batch ids an earlier run printed, in order ('-' for one it had not created)",
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
        requests.append(body)
    return requests


class _ProgressBar:
    """One line of plain text on stderr, redrawn in place after a carriage return."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._shown_ids: set[str] = set()
        self._last = ""

    def __call__(self, progress: Any) -> None:
        for batch_id in progress.batch_ids:
            if batch_id is not None and batch_id not in self._shown_ids:
                self._shown_ids.add(batch_id)
                self._draw(f"batch {batch_id} created")
                self._write("\n")
                self._last = ""
        total = max(progress.total, 1)
        done = progress.completed + progress.failed
        filled = _BAR_WIDTH * done // total
        statuses = ",".join(sorted({state.status for state in progress.batches}))
        line = (
            f"[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {done}/{progress.total}"
            f" ({progress.failed} failed) {len(progress.batches)} batch(es): {statuses}"
        )
        if line != self._last:
            self._draw(line)

    def finish(self) -> None:
        if self._last:
            self._write("\n")
            self._last = ""

    def _draw(self, line: str) -> None:
        # Spaces wipe what is left of a longer previous line (no terminal escapes).
        self._write("\r" + line.ljust(len(self._last)))
        self._last = line

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()


def _resume_id(text: str) -> str | None:
    return None if text == "-" else text


def _result_line(result: Any) -> bytes:
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


async def run_batch_command(args: argparse.Namespace, *, stderr: TextIO | None = None) -> int:
    """Run `batch run` with parsed arguments; returns the exit status."""
    from ._client import OpenAI
    from .lib._batch import BatchRun

    err = stderr if stderr is not None else sys.stderr
    try:
        requests = await _read_requests(args.input)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    async with AsyncExitStack() as stack:
        poll_interval = args.poll_interval
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
        bar = _ProgressBar(err)
        try:
            run = BatchRun(
                client,
                requests,
                endpoint=args.endpoint,
                max_per_batch=args.max_per_batch,
                poll_interval=poll_interval if poll_interval is not None else 5.0,
                on_progress=bar,
                batch_ids=None if args.resume is None else [_resume_id(x) for x in args.resume],
            )
            results = await run.run()
        except ValueError as exc:  # options that do not fit: a resume that does not match
            bar.finish()
            print(f"error: {exc}", file=err)
            return 2
        finally:
            bar.finish()
    data = b"".join(_result_line(result) for result in results)
    if args.out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        await trio.Path(args.out).write_bytes(data)
    failed = sum(1 for result in results if not result.ok)
    print(f"{len(results) - failed} succeeded, {failed} failed", file=err)
    return 1 if failed else 0


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
