"""The Response a Responses stream's events describe so far, accumulated as plain JSON.

Kept apart from the stream helper (`_responses_stream`) because it is pure: events in, a
snapshot out, no I/O. ``response.created`` / ``in_progress`` / ``queued`` and the terminal
events replace the snapshot with the server's object; the others patch items, content
parts, text, refusals and function-call arguments in place.
"""

from __future__ import annotations

import copy
from typing import Any, Final, cast

__all__ = ["DELTA_FIELDS", "TERMINAL", "Snapshot"]

TERMINAL: Final = frozenset({"response.completed", "response.failed", "response.incomplete"})


def _copied(value: object) -> dict[str, Any]:
    """A deep copy of a JSON object from an event ({} when absent)."""
    if not isinstance(value, dict):
        return {}
    return copy.deepcopy(cast("dict[str, Any]", value))


# The events that append to a field: their type -> the field.
DELTA_FIELDS: Final = {
    "response.output_text.delta": "text",
    "response.refusal.delta": "refusal",
    "response.function_call_arguments.delta": "arguments",
}


class Snapshot:
    """The Response as the events so far describe it (plain JSON).

    Text deltas are not joined into the JSON one by one (``old + new`` copies the whole
    text per token: quadratic in the stream's length). A run of deltas to the same
    field keeps its pieces in a list, joined into the field when another kind of event
    comes or when `response` is read.
    """

    __slots__ = ("_response", "_run", "_run_key")

    def __init__(self) -> None:
        self._response: dict[str, Any] | None = None
        # The field the current run of deltas goes to: (dict, key, pieces so far), and
        # what chose it: (type, output_index, content_index, item_id) of its events.
        self._run: tuple[dict[str, Any], str, list[str]] | None = None
        self._run_key: tuple[object, ...] | None = None

    @property
    def response(self) -> dict[str, Any] | None:
        """The Response so far (JSON), with every delta received joined in."""
        if self._run is not None:
            self._flush()
        return self._response

    def _flush(self) -> None:
        run = self._run
        if run is not None:
            target, key, pieces = run
            target[key] = "".join(pieces)
            self._run = self._run_key = None

    def _item(self, event: dict[str, Any]) -> dict[str, Any] | None:
        if self._response is None:
            return None
        output = self._response.setdefault("output", [])
        index = event.get("output_index")
        if isinstance(index, int) and 0 <= index < len(output):
            return output[index]
        item_id = event.get("item_id")
        for item in reversed(output):
            if item_id is None or item.get("id") == item_id:
                return item
        return None

    def _part(self, event: dict[str, Any]) -> dict[str, Any] | None:
        item = self._item(event)
        if item is None:
            return None
        parts = item.setdefault("content", [])
        index = event.get("content_index")
        if isinstance(index, int) and 0 <= index < len(parts):
            return parts[index]
        return parts[-1] if parts else None

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if isinstance(kind, str):
            field = DELTA_FIELDS.get(kind)
            if field is not None:
                self.apply_delta(event, kind, field)
                return
        self._flush()
        if (
            kind in ("response.created", "response.in_progress", "response.queued")
            or kind in TERMINAL
        ):
            response: object = event.get("response")
            if response is not None:
                self._response = _copied(response)
            return
        if self._response is None:
            return
        if kind == "response.output_item.added":
            output = self._response.setdefault("output", [])
            item = _copied(event.get("item"))
            index = event.get("output_index")
            if isinstance(index, int) and index < len(output):
                output[index] = item
            else:
                output.append(item)
        elif kind == "response.output_item.done":
            output = self._response.setdefault("output", [])
            index = event.get("output_index")
            item = _copied(event.get("item"))
            if isinstance(index, int) and index < len(output):
                output[index] = item
            else:
                output.append(item)
        elif kind == "response.content_part.added":
            item = self._item(event)
            if item is not None:
                item.setdefault("content", []).append(_copied(event.get("part")))
        elif kind == "response.content_part.done":
            item = self._item(event)
            if item is not None:
                parts = item.setdefault("content", [])
                index = event.get("content_index")
                part = _copied(event.get("part"))
                if isinstance(index, int) and index < len(parts):
                    parts[index] = part
                else:
                    parts.append(part)
        elif kind == "response.output_text.done":
            part = self._part(event)
            if part is not None and "text" in event:
                part["text"] = event["text"]
        elif kind == "response.function_call_arguments.done":
            item = self._item(event)
            if item is not None and "arguments" in event:
                item["arguments"] = event["arguments"]

    def apply_delta(self, event: dict[str, Any], kind: str, field: str) -> None:
        """`apply` for an event of `DELTA_FIELDS` (``field`` is its entry there)."""
        delta = event.get("delta", "")
        piece = delta if delta.__class__ is str else str(delta)
        key = (kind, event.get("output_index"), event.get("content_index"), event.get("item_id"))
        if self._run is not None:
            if key == self._run_key:  # the same field as the previous delta
                self._run[2].append(piece)
                return
            self._flush()
        if self._response is None:
            return
        target = self._item(event) if field == "arguments" else self._part(event)
        if target is not None:
            self._run = (target, field, [target.get(field, ""), piece])
            self._run_key = key
