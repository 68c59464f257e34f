"""The cassette file: recorded HTTP exchanges as readable, diff-friendly JSON. Pure module.

Why JSON and not YAML or JSON lines: JSON needs nothing beyond the runtime dependencies
(orjson), every editor and `jq` read it, and bodies stay JSON inside it. JSON lines would put a
whole exchange (a whole stream) on one line, so a one-token change diffs as a 10 kB line; the
writer here indents the structure and keeps exactly one stream event per line, so a diff shows
which events changed. A cassette looks like:

    {
      "trio_openai_cassette": 1,
      "exchanges": [
        {
          "request": {"method": "POST", "path": "/v1/chat/completions", "query": [],
                      "headers": {...}, "json": {...}},
          "response": {"status": 200, "after": 0.183, "headers": {...},
                       "events": [
                         {"at": 0.0, "data": {"choices": [...]}},
                         {"at": 0.021, "text": "data: [DONE]\\n\\n"}]}
        }
      ]
    }

A body is stored under exactly one of `json` (parsed JSON), `text` (UTF-8) or `base64` (any
other bytes); none of them for an empty body. `after` is the time from sending the request to
the response headers, `at` the time of each stream event after the headers, in seconds.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, cast, final

import attrs
import orjson

__all__ = [
    "FORMAT_VERSION",
    "CassetteFormatError",
    "Exchange",
    "RecordedBody",
    "RecordedResponse",
    "RequestRecord",
    "StreamEvent",
    "decode_body",
    "dumps_cassette",
    "dumps_document",
    "encode_body",
    "event_wire",
    "loads_cassette",
    "loads_document",
    "split_events",
    "structured_event",
]

FORMAT_VERSION: Final = 1
_EVENT_ENDS: Final = (b"\r\n\r\n", b"\n\n", b"\r\r")
# Lists written one item per line (the top-level lists indent their items instead).
_ONE_PER_LINE: Final = ("exchanges", "websockets", "events", "frames", "messages", "input")


class CassetteFormatError(ValueError):
    """A cassette file that is not valid JSON or not in the cassette format."""


@final
@attrs.frozen
class RecordedBody:
    """A body as stored: `kind` is "json", "text", "base64" or "empty"; `value` its content."""

    kind: str
    value: Any = attrs.field(eq=True)

    def to_bytes(self) -> bytes:
        if self.kind == "json":
            return orjson.dumps(self.value)
        if self.kind == "text":
            return str(self.value).encode()
        if self.kind == "base64":
            return base64.b64decode(str(self.value))
        return b""


def encode_body(data: bytes, content_type: str) -> RecordedBody:
    """Store `data` as JSON when it is JSON, as text when it is UTF-8, else as base64."""
    if not data:
        return RecordedBody("empty", None)
    if "json" in content_type.lower():
        try:
            return RecordedBody("json", orjson.loads(data))
        except orjson.JSONDecodeError:
            pass
    if _is_textual(content_type):
        try:
            return RecordedBody("text", data.decode())
        except UnicodeDecodeError:
            pass
    return RecordedBody("base64", base64.b64encode(data).decode("ascii"))


def _is_textual(content_type: str) -> bool:
    lowered = content_type.lower()
    return (
        not lowered
        or lowered.startswith(("text/", "multipart/form-data", "application/x-www-form"))
        or "json" in lowered
        or "xml" in lowered
    )


def decode_body(entry: Mapping[str, Any]) -> RecordedBody:
    for kind in ("json", "text", "base64"):
        if kind in entry:
            return RecordedBody(kind, entry[kind])
    return RecordedBody("empty", None)


@final
@attrs.frozen
class StreamEvent:
    """One event of a recorded stream: its bytes on the wire, `at` seconds after the headers."""

    at: float
    wire: bytes


@final
@attrs.frozen(kw_only=True)
class RequestRecord:
    """A request as it is stored and matched (credentials and chosen fields already redacted)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: RecordedBody


@final
@attrs.frozen(kw_only=True)
class RecordedResponse:
    """A response as it is stored: a whole body, or `events` for an event stream."""

    status: int
    headers: Mapping[str, str]
    after: float
    body: RecordedBody
    events: tuple[StreamEvent, ...] | None = None


@final
@attrs.frozen(kw_only=True)
class Exchange:
    request: RequestRecord
    response: RecordedResponse


def split_events(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Complete SSE events (each with its terminating blank line) and the unfinished rest.

    Splitting only decides where the replay pauses: the concatenation of what comes out is
    always exactly what went in.
    """
    events: list[bytes] = []
    start = 0
    while True:
        ends = [(i, len(end)) for end in _EVENT_ENDS if (i := buffer.find(end, start)) >= 0]
        if not ends:
            return events, buffer[start:]
        index, size = min(ends)
        events.append(buffer[start : index + size])
        start = index + size


def _event_entry(event: StreamEvent) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": round(event.at, 6)}
    structured = structured_event(event.wire)
    if structured is not None:
        entry.update(structured)
    else:
        try:
            entry["text"] = event.wire.decode()
        except UnicodeDecodeError:
            entry["base64"] = base64.b64encode(event.wire).decode("ascii")
    return entry


def structured_event(wire: bytes) -> dict[str, Any] | None:
    """`{"event": name, "data": json}` for an `[event: x] data: <json>` event, else None."""
    lines = wire.split(b"\n")
    if len(lines) not in (3, 4) or lines[-2:] != [b"", b""]:
        return None
    out: dict[str, Any] = {}
    if len(lines) == 4:
        if not lines[0].startswith(b"event: "):
            return None
        try:
            out["event"] = lines[0][7:].decode()
        except UnicodeDecodeError:
            return None
    data = lines[-3]
    if not data.startswith(b"data: "):
        return None
    try:
        out["data"] = orjson.loads(data[6:])
    except orjson.JSONDecodeError:
        return None
    return out


def event_wire(entry: Mapping[str, Any]) -> bytes:
    if "data" in entry:
        head = b"event: " + str(entry["event"]).encode() + b"\n" if "event" in entry else b""
        return head + b"data: " + orjson.dumps(entry["data"]) + b"\n\n"
    if "text" in entry:
        return str(entry["text"]).encode()
    return base64.b64decode(str(entry.get("base64", "")))


def _body_entry(body: RecordedBody) -> dict[str, Any]:
    return {} if body.kind == "empty" else {body.kind: body.value}


def _exchange_entry(exchange: Exchange) -> dict[str, Any]:
    request, response = exchange.request, exchange.response
    out_request: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "query": [list(pair) for pair in request.query],
        "headers": dict(request.headers),
        **_body_entry(request.body),
    }
    out_response: dict[str, Any] = {
        "status": response.status,
        "after": round(response.after, 6),
        "headers": dict(response.headers),
    }
    if response.events is not None:
        out_response["events"] = [_event_entry(event) for event in response.events]
    else:
        out_response.update(_body_entry(response.body))
    return {"request": out_request, "response": out_response}


def dumps_cassette(exchanges: Sequence[Exchange]) -> bytes:
    """The file's bytes: indented JSON with one stream event per line, ending in a newline."""
    return dumps_document({"exchanges": [_exchange_entry(exchange) for exchange in exchanges]})


def dumps_document(content: Mapping[str, Any]) -> bytes:
    """A cassette file holding `content` (its "exchanges" and/or "websockets" lists)."""
    document = {"trio_openai_cassette": FORMAT_VERSION, **content}
    return "".join(_pretty(document, 0, key=None)).encode() + b"\n"


def loads_document(data: bytes, *, source: str, key: str) -> list[dict[str, Any]]:
    """The `key` list of a cassette file; CassetteFormatError names the file and the fault."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise CassetteFormatError(f"{source} is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or key not in document:
        raise CassetteFormatError(f"{source} has no {key!r} list: not a trio_openai cassette")
    document = cast("dict[str, Any]", document)
    version = document.get("trio_openai_cassette")
    if version != FORMAT_VERSION:
        raise CassetteFormatError(
            f"{source} is cassette format {version!r}; this trio_openai reads {FORMAT_VERSION}"
        )
    return cast("list[dict[str, Any]]", document[key])


def _pretty(value: Any, level: int, *, key: str | None) -> Iterator[str]:
    pad = "  " * (level + 1)
    if isinstance(value, dict) and value and key != "headers":
        items = list(cast("dict[str, Any]", value).items())
        yield "{\n"
        for index, (name, item) in enumerate(items):
            yield f"{pad}{orjson.dumps(name).decode()}: "
            yield from _pretty(item, level + 1, key=str(name))
            yield ",\n" if index < len(items) - 1 else "\n"
        yield "  " * level + "}"
    elif isinstance(value, list) and value and key in _ONE_PER_LINE:
        items = cast("list[Any]", value)
        yield "[\n"
        for index, item in enumerate(items):
            yield pad
            if key in ("exchanges", "websockets"):
                yield from _pretty(item, level + 1, key=None)
            else:
                yield orjson.dumps(item).decode()  # one event (one message) per line
            yield ",\n" if index < len(items) - 1 else "\n"
        yield "  " * level + "]"
    else:
        yield orjson.dumps(value).decode()


def loads_cassette(data: bytes, *, source: str = "cassette") -> list[Exchange]:
    """Parse a cassette file; CassetteFormatError names the file and what is wrong."""
    entries = loads_document(data, source=source, key="exchanges")
    try:
        return [_exchange(entry) for entry in entries]
    except (KeyError, TypeError, ValueError) as exc:
        raise CassetteFormatError(f"{source} has a malformed exchange: {exc!r}") from None


def _exchange(entry: Mapping[str, Any]) -> Exchange:
    request, response = entry["request"], entry["response"]
    events = response.get("events")
    return Exchange(
        request=RequestRecord(
            method=str(request["method"]),
            path=str(request["path"]),
            query=tuple((str(k), str(v)) for k, v in request.get("query", [])),
            headers=dict(request.get("headers", {})),
            body=decode_body(request),
        ),
        response=RecordedResponse(
            status=int(response["status"]),
            headers=dict(response.get("headers", {})),
            after=float(response.get("after", 0.0)),
            body=decode_body(response),
            events=None
            if events is None
            else tuple(StreamEvent(float(e.get("at", 0.0)), event_wire(e)) for e in events),
        ),
    )
