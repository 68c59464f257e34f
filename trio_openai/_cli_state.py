"""The resume state of `batch run`: which batches a run created, kept in a file.

A batch outlives the process that created it, and a crash (`kill -9`, a lost machine) can
come at any time, so the state is rewritten, whole and atomically (a temporary file then
`os.replace`), every time a batch id appears: the id is on disk before the run goes on.
Each entry names its position and input range, so a resume cannot silently pair a batch
with the wrong inputs: the file's ranges must be the split of the inputs given now, and
the run then checks each batch's custom_ids against its range.

    {"version": 1, "requests": 300, "endpoint": "/v1/responses", "max_per_batch": 50,
     "batches": [{"position": 1, "first_index": 0, "last_index": 49,
                  "batch_ids": ["batch_abc"]}, ...]}
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson

from .lib._batch_results import as_mapping

if TYPE_CHECKING:
    from .lib._batch import BatchRun
    from .lib._batch_results import BatchProgress, BatchState

__all__ = ["StateFile", "describe", "parse_resume_ids"]

_VERSION = 1


def describe(state: BatchState, number: int, count: int) -> str:
    """`batch 2 of 6 (inputs 50-99)`: how output names one chunk of a run."""
    last = state.first_index + state.total - 1
    return f"batch {number + 1} of {count} (inputs {state.first_index}-{last})"


def parse_resume_ids(words: list[str]) -> list[list[str]]:
    """`--resume` ids: one word per batch position; '-' none yet, 'A,B' a chain."""
    return [[] if word == "-" else [part for part in word.split(",") if part] for word in words]


class StateFile:
    """The state file of one `batch run` (see the module doc)."""

    def __init__(self, path: Path, *, requests: int, endpoint: str, max_per_batch: int) -> None:
        self.path = path
        self._settings: dict[str, Any] = {
            "requests": requests,
            "endpoint": endpoint,
            "max_per_batch": max_per_batch,
        }
        self._ranges: list[tuple[int, int]] | None = None

    @classmethod
    def for_args(cls, args: argparse.Namespace, requests: int) -> StateFile:
        """The state file named by --state, or the one beside --out (or the input)."""
        path = Path(args.state or f"{args.out or args.input}.batch-state.json")
        return cls(
            path, requests=requests, endpoint=args.endpoint, max_per_batch=args.max_per_batch
        )

    def save(self, progress: BatchProgress) -> None:
        count = len(progress.batches)
        entries = [
            {
                "position": number + 1,
                "of": count,
                "first_index": state.first_index,
                "last_index": state.first_index + state.total - 1,
                "batch_ids": list(state.batch_ids),
            }
            for number, state in enumerate(progress.batches)
        ]
        data = {"version": _VERSION, **self._settings, "batches": entries}
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("wb") as file:
            file.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)

    def load(self) -> list[list[str]]:
        """The ids per position; `ValueError` naming the difference when it does not fit."""
        try:
            raw: object = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            raise ValueError(
                f"--resume without ids needs the state file {self.path}, which does not "
                "exist: pass --state, or the ids the first run printed"
            ) from None
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{self.path} is not a batch state file ({exc})") from None
        data = as_mapping(raw)
        if data.get("version") != _VERSION:
            raise ValueError(f"{self.path} is not a batch state file of this version")
        for key, now in self._settings.items():
            if data.get(key) != now:
                raise ValueError(
                    f"{self.path} was written for {key} = {data.get(key)!r}, this run has "
                    f"{now!r}: resume with the same input file and options"
                )
        batches: object = data.get("batches")
        entries = (
            [as_mapping(e) for e in cast("list[object]", batches)]
            if isinstance(batches, list)
            else []
        )
        try:
            self._ranges = [(int(e["first_index"]), int(e["last_index"])) for e in entries]
            chains = [cast("list[object]", e["batch_ids"]) for e in entries]
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"{self.path} is not a batch state file: an entry is damaged"
            ) from None
        return [[str(batch_id) for batch_id in chain] for chain in chains]

    def check_split(self, run: BatchRun) -> None:
        """Make sure the loaded ranges are the run's split of the inputs."""
        if self._ranges is None:
            return
        split = [(s.first_index, s.first_index + s.total - 1) for s in run.progress.batches]
        if split != self._ranges:
            raise ValueError(
                f"{self.path} splits the inputs as {self._ranges[:4]}..., this run as "
                f"{split[:4]}...: resume with the same input file and options"
            )

    def refuse_overwrite(self) -> None:
        """A fresh run must not erase the only record of an unfinished one."""
        if self.path.exists():
            raise ValueError(
                f"{self.path} holds the state of an unfinished run: continue it with "
                "--resume, or delete the file to start over"
            )

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
