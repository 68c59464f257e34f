"""The echo protocols of the scripted WebSocket server (`_ws_server.py`).

``/v1/realtime`` answers each Realtime client event as the API would (``session.updated``,
``conversation.item.created``, a whole response whose text is "You said: " and the last
user text, errors for unknown items...); ``/v1/responses`` answers each
``response.create`` with a Responses stream (one ``response.output_text.delta`` per word).
One instance per connection holds that session's state; the server sends what ``reply``
returns, unless a scripted `WsAction` says otherwise.
"""

from __future__ import annotations

import base64
import binascii
import functools
from typing import TYPE_CHECKING, Any

from .._types import json_object
from ._echo import ECHO_PREFIX, input_texts, pieces, response_object, words

if TYPE_CHECKING:
    from ._ws_server import WsSession

__all__ = ["RealtimeEcho", "ResponsesEcho", "protocol_of"]


def _realtime_error(
    message: str, code: str, trigger: Any, param: str | None = None
) -> dict[str, Any]:
    fields = json_object(trigger)
    event_id = fields.get("event_id") if fields is not None else None
    error = {"type": "invalid_request_error", "code": code, "message": message, "param": param}
    return {"type": "error", "error": {**error, "event_id": event_id}}


class RealtimeEcho:
    """The Realtime protocol's echo: state of one session, one answer per client event."""

    def __init__(self, session: WsSession, serial: int) -> None:
        model = session.query.get("model") or session.query.get("deployment") or "echo-realtime"
        self.config: dict[str, Any] = {
            "type": "realtime",
            "object": "realtime.session",
            "id": f"sess_{serial}",
            "model": model,
            "output_modalities": ["audio"],
            "instructions": "",
            "tools": [],
        }
        self.items: dict[str, dict[str, Any]] = {}
        self.audio_bytes = 0
        self.serial = 0

    def _next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}_{self.serial}"

    def greeting(self) -> list[dict[str, Any]]:
        return [{"type": "session.created", "session": dict(self.config)}]

    def reply(self, message: Any) -> list[dict[str, Any]]:
        obj = json_object(message)
        if obj is None:
            return [_realtime_error("The message is not a JSON object.", "invalid_json", message)]
        kind = obj.get("type")
        handler = getattr(self, "_on_" + str(kind).replace(".", "_"), None)
        if handler is None:
            return [_realtime_error(f"Invalid value: {kind!r}.", "invalid_value", obj, "type")]
        answer: list[dict[str, Any]] = handler(obj)
        return answer

    def _last_item_id(self) -> str | None:
        return next(reversed(self.items), None)

    def _on_session_update(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        session = json_object(obj.get("session"))
        if session is None:
            return [_realtime_error("Missing 'session'.", "missing_required_parameter", obj)]
        self.config.update(session)
        return [{"type": "session.updated", "session": dict(self.config)}]

    def _on_input_audio_buffer_append(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            self.audio_bytes += len(base64.b64decode(str(obj.get("audio", "")), validate=True))
        except binascii.Error:
            return [_realtime_error("Invalid base64 audio.", "invalid_value", obj, "audio")]
        return []

    def _on_input_audio_buffer_commit(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        if not self.audio_bytes:
            return [_realtime_error("The buffer is empty.", "input_audio_buffer_commit_empty", obj)]
        content = [{"type": "input_audio", "transcript": f"({self.audio_bytes} bytes of audio)"}]
        item: dict[str, Any] = {
            "id": self._next_id("item"),
            "type": "message",
            "role": "user",
            "content": content,
        }
        previous = self._last_item_id()
        self.items[item["id"]] = item
        self.audio_bytes = 0
        return [
            {
                "type": "input_audio_buffer.committed",
                "previous_item_id": previous,
                "item_id": item["id"],
            },
            {"type": "conversation.item.created", "previous_item_id": previous, "item": item},
        ]

    def _on_input_audio_buffer_clear(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        self.audio_bytes = 0
        return [{"type": "input_audio_buffer.cleared"}]

    def _on_conversation_item_create(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        given = json_object(obj.get("item"))
        if given is None:
            return [_realtime_error("Missing 'item'.", "missing_required_parameter", obj)]
        item = {"id": self._next_id("item"), **given}
        previous = self._last_item_id()
        self.items[item["id"]] = item
        return [{"type": "conversation.item.created", "previous_item_id": previous, "item": item}]

    def _known(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        return self.items.get(str(obj.get("item_id")))

    def _missing(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        message = f"Item with item_id not found: {obj.get('item_id')}"
        return [_realtime_error(message, "item_not_found", obj, "item_id")]

    def _on_conversation_item_delete(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        if self.items.pop(str(obj.get("item_id")), None) is None:
            return self._missing(obj)
        return [{"type": "conversation.item.deleted", "item_id": obj["item_id"]}]

    def _on_conversation_item_retrieve(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        item = self._known(obj)
        return (
            self._missing(obj)
            if item is None
            else [{"type": "conversation.item.retrieved", "item": item}]
        )

    def _on_conversation_item_truncate(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        if self._known(obj) is None:
            return self._missing(obj)
        fields = {k: obj.get(k) for k in ("item_id", "content_index", "audio_end_ms")}
        return [{"type": "conversation.item.truncated", **fields}]

    def _on_response_cancel(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        # Echo responses are sent whole, so none is ever in progress when a cancel arrives.
        message = "Cancellation failed: no active response found"
        return [_realtime_error(message, "response_cancel_not_active", obj)]

    def _on_output_audio_buffer_clear(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"type": "output_audio_buffer.cleared", "response_id": None}]

    def _user_text(self) -> str:
        for item in reversed(self.items.values()):
            if item.get("role") == "user":
                parts: list[Any] = item.get("content") or []
                return "".join(
                    str(p.get("text") or p.get("transcript") or "")
                    for part in parts
                    if (p := json_object(part)) is not None
                )
        return ""

    def _on_response_create(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        options = json_object(obj.get("response")) or {}
        modalities = options.get("output_modalities") or self.config.get("output_modalities")
        audio = "audio" in (modalities or [])
        text = ECHO_PREFIX + self._user_text()
        rid, item_id = self._next_id("resp"), self._next_id("item")
        where = {"response_id": rid, "item_id": item_id, "output_index": 0, "content_index": 0}
        part = (
            {"type": "output_audio", "transcript": text}
            if audio
            else {"type": "output_text", "text": text}
        )
        item = {
            "id": item_id,
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [part],
        }
        common = {"object": "realtime.response", "id": rid, "output_modalities": modalities}
        events: list[dict[str, Any]] = [
            {
                "type": "response.created",
                "response": {**common, "status": "in_progress", "output": []},
            },
            {
                "type": "response.output_item.added",
                "response_id": rid,
                "output_index": 0,
                "item": {**item, "status": "in_progress", "content": []},
            },
            {
                "type": "response.content_part.added",
                **where,
                "part": {**part, "transcript" if audio else "text": ""},
            },
        ]
        if audio:
            events += [
                {"type": "response.output_audio_transcript.delta", **where, "delta": p}
                for p in pieces(text)
            ]
            events += [
                {
                    "type": "response.output_audio.delta",
                    **where,
                    "delta": base64.b64encode(bytes(480)).decode(),
                },
                {"type": "response.output_audio.done", **where},
                {"type": "response.output_audio_transcript.done", **where, "transcript": text},
            ]
        else:
            events += [
                {"type": "response.output_text.delta", **where, "delta": p} for p in pieces(text)
            ]
            events.append({"type": "response.output_text.done", **where, "text": text})
        usage = {"input_tokens": words(self._user_text()), "output_tokens": words(text)}
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        events += [
            {"type": "response.content_part.done", **where, "part": part},
            {
                "type": "response.output_item.done",
                "response_id": rid,
                "output_index": 0,
                "item": item,
            },
            {
                "type": "response.done",
                "response": {**common, "status": "completed", "output": [item], "usage": usage},
            },
        ]
        self.items[item_id] = item
        return events


class ResponsesEcho:
    """The Responses WebSocket mode's echo: one whole streamed response per response.create."""

    def __init__(self, session: WsSession, serial: int) -> None:
        self.connection = serial
        self.count = 0

    def greeting(self) -> list[dict[str, Any]]:
        return []

    def reply(self, message: Any) -> list[dict[str, Any]]:
        def error(text: str, code: str, param: str | None = None) -> dict[str, Any]:
            detail = {
                "type": "invalid_request_error",
                "code": code,
                "message": text,
                "param": param,
            }
            return {"type": "error", "status": 400, "error": detail}

        obj = json_object(message)
        if obj is None:
            return [error("The message is not a JSON object.", "invalid_json")]
        if obj.get("type") != "response.create":
            return [error(f"Invalid value: {obj.get('type')!r}.", "invalid_value", "type")]
        if "input" not in obj:
            return [
                error("Missing required parameter: 'input'.", "missing_required_parameter", "input")
            ]
        self.count += 1
        serial = self.connection * 1000 + self.count
        user_text, all_text = input_texts(obj["input"])
        text = ECHO_PREFIX + user_text
        usage = {
            "input_tokens": words(all_text),
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": words(text),
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": words(all_text) + words(text),
        }
        item_id = f"msg_{serial}"
        part: dict[str, Any] = {
            "type": "output_text",
            "text": text,
            "annotations": [],
            "logprobs": [],
        }
        item: dict[str, Any] = {
            "type": "message",
            "id": item_id,
            "status": "completed",
            "role": "assistant",
            "content": [part],
        }
        made = functools.partial(response_object, obj, serial, created_at=1700000000)
        pending = made(status="in_progress", output=[], usage=None)
        where = {"item_id": item_id, "output_index": 0, "content_index": 0}
        events: list[dict[str, Any]] = [
            {"type": "response.created", "response": pending},
            {"type": "response.in_progress", "response": pending},
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {**item, "status": "in_progress", "content": []},
            },
            {"type": "response.content_part.added", **where, "part": {**part, "text": ""}},
            *(
                {"type": "response.output_text.delta", **where, "delta": p, "logprobs": []}
                for p in pieces(text)
            ),
            {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
            {"type": "response.content_part.done", **where, "part": part},
            {"type": "response.output_item.done", "output_index": 0, "item": item},
            {
                "type": "response.completed",
                "response": made(status="completed", output=[item], usage=usage),
            },
        ]
        return [{**event, "sequence_number": n} for n, event in enumerate(events)]


# By the last segment of a /v1/... or /openai/... path (Azure's /openai/realtime too).
PROTOCOLS: dict[str, type[RealtimeEcho] | type[ResponsesEcho]] = {
    "realtime": RealtimeEcho,
    "responses": ResponsesEcho,
}
_PREFIXES = ("/v1/", "/openai/")


def protocol_of(path: str) -> type[RealtimeEcho] | type[ResponsesEcho] | None:
    if not path.startswith(_PREFIXES):
        return None
    return PROTOCOLS.get(path.rstrip("/").rpartition("/")[2])
