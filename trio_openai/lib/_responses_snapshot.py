"""The Response a Responses stream's events describe so far, accumulated as plain JSON.

Kept apart from the stream helper (`_responses_stream`) because it is pure: events in, a
snapshot out, no I/O. ``response.created`` / ``in_progress`` / ``queued`` and the terminal
events replace the snapshot with the server's object; the others patch items, content
parts, text, refusals and function-call arguments in place.
"""

from __future__ import annotations

import copy
from typing import Any, Final, cast

__all__ = ["TERMINAL", "Snapshot"]

TERMINAL: Final = frozenset({"response.completed", "response.failed", "response.incomplete"})


def _copied(value: object) -> dict[str, Any]:
    """A deep copy of a JSON object from an event ({} when absent)."""
    if not isinstance(value, dict):
        return {}
    return copy.deepcopy(cast("dict[str, Any]", value))


class Snapshot:
    """The Response as the events so far describe it (plain JSON)."""

    __slots__ = ("response",)

    def __init__(self) -> None:
        self.response: dict[str, Any] | None = None

    def _item(self, event: dict[str, Any]) -> dict[str, Any] | None:
        if self.response is None:
            return None
        output = self.response.setdefault("output", [])
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
        if (
            kind in ("response.created", "response.in_progress", "response.queued")
            or kind in TERMINAL
        ):
            response: object = event.get("response")
            if response is not None:
                self.response = _copied(response)
            return
        if self.response is None:
            return
        if kind == "response.output_item.added":
            output = self.response.setdefault("output", [])
            item = _copied(event.get("item"))
            index = event.get("output_index")
            if isinstance(index, int) and index < len(output):
                output[index] = item
            else:
                output.append(item)
        elif kind == "response.output_item.done":
            output = self.response.setdefault("output", [])
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
        elif kind in ("response.output_text.delta", "response.refusal.delta"):
            part = self._part(event)
            key = "text" if kind == "response.output_text.delta" else "refusal"
            if part is not None:
                part[key] = part.get(key, "") + str(event.get("delta", ""))
        elif kind == "response.output_text.done":
            part = self._part(event)
            if part is not None and "text" in event:
                part["text"] = event["text"]
        elif kind == "response.function_call_arguments.delta":
            item = self._item(event)
            if item is not None:
                item["arguments"] = item.get("arguments", "") + str(event.get("delta", ""))
        elif kind == "response.function_call_arguments.done":
            item = self._item(event)
            if item is not None and "arguments" in event:
                item["arguments"] = event["arguments"]
