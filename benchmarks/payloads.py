"""Pre-rendered response bodies for the benchmark server (pure: no I/O).

Every response is rendered once, as the exact bytes that go on the wire (status line,
headers, chunked body), so the server does no work per request beyond a dict lookup.

The shapes copy what the OpenAI API sends: chat-completion chunks as ``data:`` lines
ending in ``data: [DONE]``; Responses events as ``event:`` + ``data:`` pairs from
``response.created`` to ``response.completed``; a ``chat.completion`` JSON object for
plain requests. Each stream carries the words of a short text, cycled.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

__all__ = [
    "CHAT_MODEL",
    "chat_completion",
    "chat_stream_events",
    "expected_events",
    "json_response",
    "responses_stream_events",
    "sse_response",
]

CHAT_MODEL = "gpt-4.1-2025-04-14"
_CREATED = 1_741_569_952
_CHAT_ID = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"
_RESPONSE_ID = "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b"
_MESSAGE_ID = "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b"
_FINGERPRINT = "fp_b376dfbbd5"

_TEXT = (
    "Streams of tokens arrive one by one, and a client that spends less time on each"
    " of them leaves more of the processor to the application that asked for them. The"
    " benchmark measures that cost, per event, through the whole stack: the socket, the"
    " HTTP parser, the event splitter, the JSON decoder and the typed model."
)
_WORDS = [" " + word for word in _TEXT.split()]


def _words(n: int) -> Iterator[str]:
    for i in range(n):
        yield _WORDS[i % len(_WORDS)]


def _sse(data: Any, event: str | None = None) -> bytes:
    head = b"" if event is None else b"event: " + event.encode() + b"\n"
    return head + b"data: " + orjson.dumps(data) + b"\n\n"


# -- chat completions --------------------------------------------------------------------


def _chat_chunk(delta: dict[str, Any], finish_reason: str | None, tag: str) -> dict[str, Any]:
    return {
        "id": _CHAT_ID,
        "object": "chat.completion.chunk",
        "created": _CREATED,
        "model": CHAT_MODEL,
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        "usage": None,
        "obfuscation": tag,
    }


def chat_stream_events(n: int) -> list[bytes]:
    """``n`` chunk events (a role chunk, ``n - 2`` content chunks, a stop chunk), then [DONE]."""
    if n < 2:
        raise ValueError("a chat stream needs at least 2 events")
    events = [_sse(_chat_chunk({"role": "assistant", "content": "", "refusal": None}, None, "q"))]
    events.extend(
        _sse(_chat_chunk({"content": word}, None, "xK9" + str(i % 10)))
        for i, word in enumerate(_words(n - 2))
    )
    events.append(_sse(_chat_chunk({}, "stop", "z")))
    events.append(b"data: [DONE]\n\n")
    return events


def chat_completion(words: int = 40) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` object (the fan-out workload's answer)."""
    return {
        "id": _CHAT_ID,
        "object": "chat.completion",
        "created": _CREATED,
        "model": CHAT_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "".join(_words(words)).strip(),
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 19,
            "completion_tokens": words,
            "total_tokens": 19 + words,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }


# -- responses ---------------------------------------------------------------------------

_LIFECYCLE_EVENTS = 8  # created, in_progress, item added, part added, ... , completed


def _response(status: str, output: list[Any], usage: Any) -> dict[str, Any]:
    return {
        "id": _RESPONSE_ID,
        "object": "response",
        "created_at": _CREATED,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": CHAT_MODEL,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def responses_stream_events(n: int) -> list[bytes]:
    """A Responses stream: 4 opening events, ``n`` output_text deltas, 4 closing events."""
    seq = iter(range(n + _LIFECYCLE_EVENTS))
    text_part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    message = {
        "id": _MESSAGE_ID,
        "type": "message",
        "status": "in_progress",
        "content": [],
        "role": "assistant",
    }
    events = [
        _sse(
            {
                "type": kind,
                "response": _response("in_progress", [], None),
                "sequence_number": next(seq),
            },
            kind,
        )
        for kind in ("response.created", "response.in_progress")
    ]
    events.append(
        _sse(
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": message,
                "sequence_number": next(seq),
            },
            "response.output_item.added",
        )
    )
    events.append(
        _sse(
            {
                "type": "response.content_part.added",
                "item_id": _MESSAGE_ID,
                "output_index": 0,
                "content_index": 0,
                "part": text_part,
                "sequence_number": next(seq),
            },
            "response.content_part.added",
        )
    )
    words = list(_words(n))
    for i, word in enumerate(words):
        events.append(
            _sse(
                {
                    "type": "response.output_text.delta",
                    "item_id": _MESSAGE_ID,
                    "output_index": 0,
                    "content_index": 0,
                    "delta": word,
                    "logprobs": [],
                    "obfuscation": "aB3" + str(i % 10),
                    "sequence_number": next(seq),
                },
                "response.output_text.delta",
            )
        )
    text = "".join(words)
    done_part = {**text_part, "text": text}
    done_message = {**message, "status": "completed", "content": [done_part]}
    usage = {
        "input_tokens": 12,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": n,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 12 + n,
    }
    closing: list[tuple[str, dict[str, Any]]] = [
        (
            "response.output_text.done",
            {
                "item_id": _MESSAGE_ID,
                "output_index": 0,
                "content_index": 0,
                "text": text,
                "logprobs": [],
            },
        ),
        (
            "response.content_part.done",
            {"item_id": _MESSAGE_ID, "output_index": 0, "content_index": 0, "part": done_part},
        ),
        ("response.output_item.done", {"output_index": 0, "item": done_message}),
        ("response.completed", {"response": _response("completed", [done_message], usage)}),
    ]
    for kind, fields in closing:
        events.append(_sse({"type": kind, **fields, "sequence_number": next(seq)}, kind))
    return events


def expected_events(kind: str, n: int) -> int:
    """How many events a client should yield for a stream of ``kind`` with ``n`` units."""
    return n if kind == "chat" else n + _LIFECYCLE_EVENTS


# -- HTTP framing --------------------------------------------------------------------------


def sse_response(events: list[bytes], batch: int) -> bytes:
    """A whole HTTP/1.1 response: ``batch`` events per HTTP chunk (1 = one chunk per event)."""
    parts = [
        b"HTTP/1.1 200 OK\r\n"
        b"content-type: text/event-stream; charset=utf-8\r\n"
        b"transfer-encoding: chunked\r\n"
        b"x-request-id: req_bench\r\n"
        b"\r\n"
    ]
    for start in range(0, len(events), batch):
        payload = b"".join(events[start : start + batch])
        parts.append(b"%x\r\n%s\r\n" % (len(payload), payload))
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


def json_response(obj: Any) -> bytes:
    body = orjson.dumps(obj)
    head = (
        b"HTTP/1.1 200 OK\r\n"
        b"content-type: application/json\r\n"
        b"x-request-id: req_bench\r\n"
        b"content-length: %d\r\n\r\n" % len(body)
    )
    return head + body


# -- the surface workloads: pages, binary content, structured output ----------------------

PAGE_ITEMS = 100  # files per list page


def file_list_page(page: int, pages: int) -> dict[str, Any]:
    """Page ``page`` (0-based) of ``pages`` of a cursor-paged ``GET /v1/files``."""
    data = [
        {
            "id": f"file-{page:04d}{i:04d}",
            "object": "file",
            "bytes": 1024 + i,
            "created_at": _CREATED + i,
            "expires_at": None,
            "filename": f"train-{page}-{i}.jsonl",
            "purpose": "fine-tune",
            "status": "processed",
            "status_details": None,
        }
        for i in range(PAGE_ITEMS)
    ]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"],
        "last_id": data[-1]["id"],
        "has_more": page + 1 < pages,
    }


def page_after(after: str | None) -> int:
    """The page that follows the cursor ``after`` (an id made by `file_list_page`)."""
    return 0 if not after else int(after[5:9]) + 1


def binary_response(size: int) -> bytes:
    """``GET /v1/files/{id}/content``: ``size`` bytes of application/octet-stream."""
    body = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    head = (
        b"HTTP/1.1 200 OK\r\n"
        b"content-type: application/octet-stream\r\n"
        b"x-request-id: req_bench\r\n"
        b"content-length: %d\r\n\r\n" % size
    )
    return head + body


STORY = {"title": "Event streams", "words": 1200, "tags": ["sse", "trio", "typed"]}


def parsed_response() -> dict[str, Any]:
    """A completed Response whose text is JSON matching ``STORY`` (for ``responses.parse``)."""
    text = orjson.dumps(STORY).decode()
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    message = {
        "id": _MESSAGE_ID,
        "type": "message",
        "status": "completed",
        "content": [part],
        "role": "assistant",
    }
    usage = {
        "input_tokens": 12,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 32,
    }
    return _response("completed", [message], usage)
