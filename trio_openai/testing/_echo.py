"""The local server's built-in routes: a deterministic "echo" model.

The model answers "You said: " followed by the text of the last user message, so examples and
tests can run a chat completion or a Responses call, plain or streamed, without an API key.
Token counts are word counts. Everything here is pure: a request in, a `Reply` out.
"""

from __future__ import annotations

import re
import time
from typing import Any, cast

import orjson

from .._types import json_object
from ._reply import RecordedRequest, Reply

__all__ = ["ECHO_MODEL", "echo_reply"]

ECHO_MODEL = "echo-1"
ECHO_PREFIX = "You said: "
_PIECE = re.compile(r"\s*\S+")


def words(text: str) -> int:
    return len(text.split())


def pieces(text: str) -> list[str]:
    """Split `text` into word-sized deltas that concatenate back to exactly `text`."""
    found = _PIECE.findall(text)
    rest = text[sum(map(len, found)) :]
    if rest:
        found.append(rest)
    return found or [text]


def _objects(values: list[Any]) -> list[dict[str, Any]]:
    """The JSON objects among `values` (a request's messages, items or content parts)."""
    return [found for value in values if (found := json_object(value)) is not None]


def _text_of(content: object, part_types: frozenset[str]) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", ""))
            for part in _objects(cast("list[Any]", content))
            if part.get("type") in part_types
        )
    return ""


def _last_user_text(items: list[Any], part_types: frozenset[str]) -> str:
    for item in reversed(_objects(items)):
        if item.get("role") == "user":
            return _text_of(item.get("content"), part_types)
    return ""


def _all_text(items: list[Any], part_types: frozenset[str]) -> str:
    return " ".join(_text_of(item.get("content"), part_types) for item in _objects(items))


def _bad_request(message: str, param: str | None = None) -> Reply:
    return Reply.error(400, message=message, param=param, code="invalid_request")


def _body_of(request: RecordedRequest) -> dict[str, Any] | None:
    try:
        body = request.json()
    except orjson.JSONDecodeError:
        return None
    return json_object(body)


# --- chat completions -------------------------------------------------------------------------

_CHAT_PARTS = frozenset({"text"})


def _chat(request: RecordedRequest, serial: int, pace: float) -> Reply:
    body = _body_of(request)
    if body is None or not isinstance(body.get("messages"), list):
        return _bad_request("Expected a JSON body with a 'messages' list.", "messages")
    messages: list[Any] = body["messages"]
    reply = ECHO_PREFIX + _last_user_text(messages, _CHAT_PARTS)
    model = str(body.get("model", ECHO_MODEL))
    prompt_tokens = words(_all_text(messages, _CHAT_PARTS))
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": words(reply),
        "total_tokens": prompt_tokens + words(reply),
    }
    common = {"id": f"chatcmpl-{serial}", "created": int(time.time()), "model": model}
    if not body.get("stream"):
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply,
            "refusal": None,
            "annotations": [],
        }
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
        return Reply.json(
            {**common, "object": "chat.completion", "choices": [choice], "usage": usage}
        )

    options = json_object(body.get("stream_options"))
    include_usage = options is not None and bool(options.get("include_usage"))

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        event: dict[str, Any] = {**common, "object": "chat.completion.chunk", "choices": [choice]}
        if include_usage:
            event["usage"] = None
        return event

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in pieces(reply)]
    events.append(chunk({}, "stop"))
    if include_usage:
        events.append({**common, "object": "chat.completion.chunk", "choices": [], "usage": usage})
    return Reply.sse(events, pace=pace)


# --- responses --------------------------------------------------------------------------------

_INPUT_PARTS = frozenset({"input_text"})


def input_texts(value: object) -> tuple[str, str]:
    """(text of the last user message, all input text) of a Responses `input`."""
    if isinstance(value, str):
        return value, value
    if isinstance(value, list):
        items = cast("list[Any]", value)
        return _last_user_text(items, _INPUT_PARTS), _all_text(items, _INPUT_PARTS)
    return "", ""


def response_object(
    body: dict[str, Any],
    serial: int,
    *,
    created_at: int,
    status: str,
    output: list[Any],
    usage: Any,
) -> dict[str, Any]:
    """A Response shaped after the spec's `Response` schema, with neutral defaults."""
    return {
        "id": f"resp_{serial}",
        "object": "response",
        "created_at": created_at,
        "status": status,
        "completed_at": created_at if status == "completed" else None,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": None,
        "model": str(body.get("model", ECHO_MODEL)),
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": bool(body.get("store", True)),
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": body.get("metadata") or {},
    }


def _responses(request: RecordedRequest, serial: int, pace: float) -> Reply:
    body = _body_of(request)
    if body is None or "input" not in body:
        return _bad_request("Expected a JSON body with an 'input'.", "input")
    user_text, all_text = input_texts(body["input"])
    reply = ECHO_PREFIX + user_text
    input_tokens, output_tokens = words(all_text), words(reply)
    usage = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }
    created_at = int(time.time())
    item_id = f"msg_{serial}"
    part: dict[str, Any] = {"type": "output_text", "text": reply, "annotations": [], "logprobs": []}
    item: dict[str, Any] = {
        "type": "message",
        "id": item_id,
        "status": "completed",
        "role": "assistant",
        "content": [part],
    }
    final = response_object(
        body, serial, created_at=created_at, status="completed", output=[item], usage=usage
    )
    if not body.get("stream"):
        return Reply.json(final)

    pending = response_object(
        body, serial, created_at=created_at, status="in_progress", output=[], usage=None
    )
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
    ]
    events += [
        {"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []}
        for piece in pieces(reply)
    ]
    events += [
        {"type": "response.output_text.done", **where, "text": reply, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": final},
    ]
    numbered = [{**event, "sequence_number": number} for number, event in enumerate(events)]
    return Reply.sse(numbered, done=False, pace=pace, event_names=True)


# --- models and the fallback ------------------------------------------------------------------


def _models(request: RecordedRequest, serial: int, pace: float) -> Reply:
    model = {"id": ECHO_MODEL, "object": "model", "created": 1700000000, "owned_by": "trio_openai"}
    return Reply.json({"object": "list", "data": [model]})


_ROUTES = {
    ("POST", "/v1/chat/completions"): _chat,
    ("POST", "/v1/responses"): _responses,
    ("GET", "/v1/models"): _models,
}


def echo_reply(request: RecordedRequest, *, serial: int, pace: float) -> Reply:
    """The built-in answer to `request`; `serial` numbers the ids, `pace` spaces stream events."""
    route = _ROUTES.get((request.method, request.path))
    if route is None:
        return Reply.error(
            404,
            message=f"Unknown request URL: {request.method} {request.path}.",
            code="unknown_url",
            headers={"x-request-id": f"req_{serial}"},
        )
    return route(request, serial, pace)
