"""The progress display of `batch run`: a rich bar in a terminal, plain lines anywhere else.

A Batch API run lasts minutes to a day, and its counts move in jumps (one poll every few
seconds), so the display shows what a person watching needs: answered out of total, the
failures, the rate since the start, an ETA from that rate, and how many batches are in
each status. In a terminal (and with `rich` installed: `pip install 'trio_openai[cli]'`)
it is a live bar; when stderr is a file or a pipe (CI logs, `nohup`, `2> log`) it is one
plain line per `interval` seconds at most, only when something changed, so a log stays
readable and greppable. Events (a batch created, resubmitted or ended) are a line each in
both modes, with the batch's position and input range.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from .lib._batch_results import BatchProgress

__all__ = ["ProgressDisplay", "open_display"]


class Writer(Protocol):
    """Where plain lines go: a text file such as `sys.stderr`."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class ProgressDisplay(Protocol):
    """What `batch run` feeds: every `BatchProgress`, event lines, and the end."""

    def __call__(self, progress: BatchProgress) -> None: ...

    def event(self, line: str) -> None: ...

    def finish(self) -> None: ...


def _clock() -> float:
    return time.monotonic()


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class _Rate:
    """Answered inputs per second since the first snapshot, and the ETA it gives."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._start: float | None = None

    def measure(self, progress: BatchProgress) -> tuple[float, str]:
        now = self._clock()
        if self._start is None:
            self._start = now
        done = progress.completed + progress.failed
        elapsed = now - self._start
        rate = done / elapsed if elapsed > 0 else 0.0
        left = progress.total - done
        eta = "0:00:00" if left <= 0 else _duration(left / rate) if rate > 0 else "unknown"
        return rate, eta


def _statuses(progress: BatchProgress) -> str:
    counts = progress.status_counts()
    return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))


class PlainLines:
    """One line per change, at most one per `interval` seconds (events always)."""

    def __init__(
        self, out: Writer, *, interval: float, clock: Callable[[], float] = _clock
    ) -> None:
        self._out = out
        self._interval = interval
        self._clock = clock
        self._rate = _Rate(clock)
        self._last_key: tuple[int, int, str] | None = None
        self._last_time: float | None = None
        self._pending: tuple[str, tuple[int, int, str]] | None = None

    def __call__(self, progress: BatchProgress) -> None:
        rate, eta = self._rate.measure(progress)
        done, statuses = progress.completed + progress.failed, _statuses(progress)
        key = (done, progress.failed, statuses)
        if key == self._last_key:
            return  # only the rate would differ: not worth a line
        line = (
            f"progress: {done}/{progress.total} answered ({progress.failed} failed), "
            f"{rate:.1f}/s, ETA {eta}; batches: {statuses}"
        )
        now = self._clock()
        due = self._last_time is None or now - self._last_time >= self._interval
        if progress.finished or due:
            self._emit(line, key, now)
        else:
            self._pending = (line, key)

    def _emit(self, line: str, key: tuple[int, int, str], now: float) -> None:
        self._pending = None
        self._last_key, self._last_time = key, now
        self._write(line)

    def event(self, line: str) -> None:
        self._write(line)

    def finish(self) -> None:
        if self._pending is not None:
            self._emit(*self._pending, self._clock())

    def _write(self, line: str) -> None:
        self._out.write(line + "\n")
        self._out.flush()


class RichBar:
    """A live bar drawn by rich, with the events printed above it."""

    def __init__(self, out: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]batch[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TextColumn("{task.fields[rate]:.1f}/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[statuses]}"),
            console=Console(file=out),
        )
        self._task = self._progress.add_task("batch", total=None, failed=0, rate=0.0, statuses="")
        self._rate = _Rate(_clock)
        self._progress.start()

    def __call__(self, progress: BatchProgress) -> None:
        rate, _ = self._rate.measure(progress)
        self._progress.update(
            self._task,
            total=progress.total,
            completed=progress.completed + progress.failed,
            failed=progress.failed,
            rate=rate,
            statuses=_statuses(progress),
        )

    def event(self, line: str) -> None:
        self._progress.console.print(line, markup=False, highlight=False)

    def finish(self) -> None:
        self._progress.stop()


def open_display(out: TextIO, *, interval: float) -> ProgressDisplay:
    """A rich bar when `out` is a terminal and rich is installed, else plain lines."""
    isatty = getattr(out, "isatty", None)
    if callable(isatty) and isatty():
        try:
            return RichBar(out)
        except ImportError:
            out.write("(pip install 'trio_openai[cli]' for a live progress bar)\n")
    return PlainLines(out, interval=interval)
