"""The input side of a Batch API run: request bodies split into JSONL files, and the
small readers of what the API sends back (custom ids, the poll-after hint). Pure: no I/O.

Each input keeps one custom_id, `req-<index>`, for the whole run, resubmissions included,
so any line of any file maps back to its input without a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import attrs
import orjson

from .._encoding import json_default
from ._batch_results import as_mapping

__all__ = ["Chunk", "chain_of", "index_of", "poll_after", "read_custom_id", "split"]


@attrs.frozen
class Chunk:
    """The inputs `first_index` to `first_index + len(lines) - 1`, encoded as JSONL lines."""

    number: int
    first_index: int
    lines: tuple[bytes, ...]

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def indices(self) -> range:
        return range(self.first_index, self.first_index + len(self.lines))

    def describe(self, of: int) -> str:
        last = self.first_index + self.count - 1
        return f"batch {self.number + 1} of {of} (inputs {self.first_index}-{last})"


def _encode(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(cast("Mapping[str, Any]", value))
    return json_default(value)


def split(
    requests: Sequence[Mapping[str, Any]], endpoint: str, max_lines: int, max_bytes: int
) -> list[Chunk]:
    """The JSONL input files: at most `max_lines` lines and `max_bytes` bytes each."""
    chunks: list[Chunk] = []
    lines: list[bytes] = []
    size = first = 0
    for index, body in enumerate(requests):
        line = {"custom_id": f"req-{index}", "method": "POST", "url": endpoint, "body": body}
        encoded = orjson.dumps(line, default=_encode) + b"\n"
        if len(encoded) > max_bytes:
            raise ValueError(f"request {index} alone is over max_bytes_per_batch ({max_bytes})")
        if lines and (len(lines) >= max_lines or size + len(encoded) > max_bytes):
            chunks.append(Chunk(len(chunks), first, tuple(lines)))
            lines, size, first = [], 0, index
        lines.append(encoded)
        size += len(encoded)
    if lines:
        chunks.append(Chunk(len(chunks), first, tuple(lines)))
    return chunks


def index_of(custom_id: object) -> int | None:
    prefix, _, number = str(custom_id).partition("-")
    return int(number) if prefix == "req" and number.isdigit() else None


def read_custom_id(raw: bytes) -> object:
    try:
        line = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return as_mapping(line).get("custom_id")


def poll_after(headers: Mapping[str, str]) -> float | None:
    try:
        value = int(headers.get("openai-poll-after-ms", ""))
    except ValueError:
        return None
    return value / 1000 if value >= 0 else None


def chain_of(ids: str | Sequence[str] | None) -> tuple[str, ...]:
    if ids is None:
        return ()
    return (ids,) if isinstance(ids, str) else tuple(ids)
