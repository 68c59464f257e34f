"""Message content as the GenAI conventions shape it, recorded only when the user opts in.

Inputs become ``gen_ai.input.messages`` (and ``gen_ai.system_instructions`` for the
Responses API's ``instructions``), outputs ``gen_ai.output.messages``, tools
``gen_ai.tool.definitions``: each a JSON string of ``{"role", "parts": [...]}`` messages.
Text, tool calls and tool results are kept; other parts (images, audio, files) are
recorded by their type only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import orjson

__all__ = ["StreamedText", "input_content", "output_content"]

Part = dict[str, object]
Message = dict[str, object]

_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


def _as_map(value: object) -> Mapping[str, object] | None:
    return cast("Mapping[str, object]", value) if isinstance(value, dict) else None


def _parts(content: object) -> list[Part]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[Part] = []
    if isinstance(content, list):
        for item in cast("list[object]", content):
            part = _as_map(item)
            if part is None:
                continue
            kind = part.get("type")
            if kind in _TEXT_PARTS and isinstance(part.get("text"), str):
                parts.append({"type": "text", "content": part["text"]})
            elif kind == "refusal":
                parts.append({"type": "text", "content": part.get("refusal")})
            else:
                parts.append({"type": kind if isinstance(kind, str) else "unknown"})
    return parts


def _tool_call(call_id: object, name: object, arguments: object) -> Part:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def _chat_message(message: Mapping[str, object]) -> Message:
    role = message.get("role")
    if role == "tool":
        return {
            "role": "tool",
            "parts": [
                {
                    "type": "tool_call_response",
                    "id": message.get("tool_call_id"),
                    "response": message.get("content"),
                }
            ],
        }
    parts = _parts(message.get("content"))
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for item in cast("list[object]", calls):
            call = _as_map(item)
            function = _as_map(call.get("function")) if call is not None else None
            if call is not None and function is not None:
                parts.append(
                    _tool_call(call.get("id"), function.get("name"), function.get("arguments"))
                )
    return {"role": role, "parts": parts}


def _response_item(item: Mapping[str, object]) -> Message | None:
    kind = item.get("type")
    if kind == "function_call":
        part = _tool_call(item.get("call_id"), item.get("name"), item.get("arguments"))
        return {"role": "assistant", "parts": [part]}
    if kind == "function_call_output":
        part: Part = {
            "type": "tool_call_response",
            "id": item.get("call_id"),
            "response": item.get("output"),
        }
        return {"role": "tool", "parts": [part]}
    if kind in (None, "message"):
        return {"role": item.get("role"), "parts": _parts(item.get("content"))}
    return {"role": "assistant", "parts": [{"type": kind if isinstance(kind, str) else "unknown"}]}


def input_content(api_type: str | None, body: Mapping[str, object]) -> dict[str, str]:
    """The content attributes of a request body (JSON strings)."""
    attrs: dict[str, str] = {}
    messages: list[Message] = []
    if api_type == "responses":
        given = body.get("input")
        if isinstance(given, str):
            messages.append({"role": "user", "parts": [{"type": "text", "content": given}]})
        elif isinstance(given, list):
            for item in cast("list[object]", given):
                entry = _as_map(item)
                message = _response_item(entry) if entry is not None else None
                if message is not None:
                    messages.append(message)
        instructions = body.get("instructions")
        if isinstance(instructions, str):
            attrs["gen_ai.system_instructions"] = _json([{"type": "text", "content": instructions}])
    elif isinstance(body.get("messages"), list):
        for item in cast("list[object]", body["messages"]):
            entry = _as_map(item)
            if entry is not None:
                messages.append(_chat_message(entry))
    else:  # completions, embeddings
        prompt = body.get("prompt", body.get("input"))
        if isinstance(prompt, str):
            messages.append({"role": "user", "parts": [{"type": "text", "content": prompt}]})
    if messages:
        attrs["gen_ai.input.messages"] = _json(messages)
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        attrs["gen_ai.tool.definitions"] = _json(cast("list[object]", tools))
    return attrs


def output_content(api_type: str | None, obj: object) -> str | None:
    """``gen_ai.output.messages`` of a whole response body (or a Responses final event)."""
    data = _as_map(obj)
    if data is None:
        return None
    if api_type == "responses":
        data = _as_map(data.get("response")) or data
        output = data.get("output")
        if not isinstance(output, list):
            return None
        messages: list[Message] = []
        for item in cast("list[object]", output):
            fields = _as_map(item)
            made = _response_item(fields) if fields is not None else None
            if made is not None:
                messages.append(made)
        status = data.get("status")
        for message in messages:
            message["finish_reason"] = status
        return _json(messages)
    choices = data.get("choices")
    if not isinstance(choices, list):
        return None
    out: list[Message] = []
    for item in cast("list[object]", choices):
        choice = _as_map(item)
        if choice is None:
            continue
        said = _as_map(choice.get("message"))
        text = choice.get("text")  # completions
        if said is not None:
            entry = _chat_message(said)
        else:
            parts = _parts(text if isinstance(text, str) else "")
            entry: Message = {"role": "assistant", "parts": parts}
        entry["finish_reason"] = choice.get("finish_reason")
        out.append(entry)
    return _json(out)


class StreamedText:
    """The text of a streamed Chat Completion, choice by choice, from its deltas."""

    __slots__ = ("finish", "texts")

    def __init__(self) -> None:
        self.texts: dict[int, list[str]] = {}
        self.finish: dict[int, str] = {}

    def add(self, obj: object) -> None:
        data = _as_map(obj)
        choices = data.get("choices") if data is not None else None
        if not isinstance(choices, list):
            return
        for item in cast("list[object]", choices):
            choice = _as_map(item)
            if choice is None:
                continue
            index = choice.get("index")
            key = index if isinstance(index, int) else 0
            delta = _as_map(choice.get("delta"))
            text = delta.get("content") if delta is not None else None
            if isinstance(text, str):
                self.texts.setdefault(key, []).append(text)
            reason = choice.get("finish_reason")
            if isinstance(reason, str):
                self.finish[key] = reason

    def content(self) -> str:
        return _json(
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": "".join(self.texts.get(i, []))}],
                    "finish_reason": self.finish.get(i),
                }
                for i in sorted(set(self.texts) | set(self.finish))
            ]
        )
