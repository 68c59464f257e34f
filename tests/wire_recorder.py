"""A recording HTTP/1.1 server for the differential suite: every request kept byte for byte.

`trio_openai.testing.LocalServer` parses the query string on arrival and matches routes by
exact path, so a differential test could not see how a client encoded its query, nor
answer every path of the spec. This server keeps the raw request target, the headers in
the order received and the body bytes, and answers each request with what the spec's
example response for the matched operation says (see `SpecReplies`), so both clients can
decode what they get back.

It speaks HTTP/1.1 through h11 on trio sockets on 127.0.0.1, like the local server.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote

import attrs
import h11
import orjson
import trio

__all__ = ["Answer", "Recorded", "RecordingServer", "SpecReplies", "open_recording_server"]


@attrs.frozen
class Recorded:
    """One request as received: `target` is the raw request target (path and query)."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name.lower()]
        return ", ".join(values) if values else None


@attrs.frozen
class Answer:
    status: int
    content_type: str
    body: bytes


class RecordingServer:
    def __init__(self, port: int, reply: Callable[[Recorded], Answer]) -> None:
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self.requests: list[Recorded] = []
        self._reply = reply

    def take(self) -> list[Recorded]:
        """The requests recorded since the last call, oldest first."""
        taken, self.requests = self.requests, []
        return taken

    async def serve(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                head: h11.Request | None = None
                body = bytearray()
                while True:
                    event = conn.next_event()
                    if event is h11.NEED_DATA:
                        conn.receive_data(await stream.receive_some(65536))
                    elif isinstance(event, h11.Request):
                        head = event
                    elif isinstance(event, h11.Data):
                        body += event.data
                    elif isinstance(event, h11.EndOfMessage):
                        break
                    elif isinstance(event, h11.ConnectionClosed):
                        return
                assert head is not None
                request = Recorded(
                    method=head.method.decode(),
                    target=head.target.decode("latin-1"),
                    headers=tuple((k.decode(), v.decode("latin-1")) for k, v in head.headers),
                    body=bytes(body),
                )
                self.requests.append(request)
                answer = self._reply(request)
                headers = [
                    ("content-type", answer.content_type),
                    ("content-length", str(len(answer.body))),
                    ("x-request-id", f"req_{len(self.requests)}"),
                ]
                wire = conn.send(h11.Response(status_code=answer.status, headers=headers))
                wire += conn.send(h11.Data(data=answer.body)) + conn.send(h11.EndOfMessage())
                await stream.send_all(wire)
                conn.start_next_cycle()
        except (trio.BrokenResourceError, trio.ClosedResourceError, h11.ProtocolError):
            return
        finally:
            await trio.aclose_forcefully(stream)


@asynccontextmanager
async def open_recording_server(
    reply: Callable[[Recorded], Answer],
) -> AsyncIterator[RecordingServer]:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    server = RecordingServer(listeners[0].socket.getsockname()[1], reply)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, server.serve, listeners)
        yield server
        nursery.cancel_scope.cancel()


# --- answers from the spec's examples ----------------------------------------------------

_TRAILING_COMMA = re.compile(rb",(\s*[}\]])")
_LIST = {"object": "list", "data": [], "has_more": False, "first_id": None, "last_id": None}
_MINIMAL_SSE = b"data: [DONE]\n\n"


def _lenient_json(text: str) -> Any:
    """The example as JSON, forgiving trailing commas; None when it is not JSON at all
    (several examples elide with `...` or are empty)."""
    data = text.encode()
    for candidate in (data, _TRAILING_COMMA.sub(rb"\1", data)):
        try:
            return orjson.loads(candidate)
        except orjson.JSONDecodeError:
            continue
    return None


def _is_sse(text: str) -> bool:
    return text.lstrip().startswith(("data:", "event:"))


def _decodable_events(text: str) -> bool:
    """Whether every `data:` line is JSON or `[DONE]` (the Assistants examples cut their
    events short with `...`)."""
    for line in text.splitlines():
        if line.startswith("data:") and line[5:].strip() != "[DONE]":
            try:
                orjson.loads(line[5:])
            except orjson.JSONDecodeError:
                return False
    return True


@attrs.frozen
class _Route:
    method: str
    pattern: re.Pattern[str]
    query: str  # "beta=true" for the spec's `?beta=true` twins, else ""
    json_body: bytes | None
    sse_body: bytes | None
    binary: bool
    listing: bool


class SpecReplies:
    """Answers a request with the spec's example response of the operation it matches.

    A streaming request (``Accept: text/event-stream`` or ``"stream": true`` in a JSON
    body) gets the example's event stream when the spec has one, else a minimal stream;
    a binary operation gets a few bytes; a list operation without a usable example an
    empty page; anything else its example or ``{}``.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.routes: list[_Route] = []
        for url, item in spec["paths"].items():
            for method, op in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    self.routes.append(self._route(method.upper(), url, op))
        # A literal segment beats a parameter: `/videos/characters` before `/videos/{id}`.
        self.routes.sort(key=lambda r: r.pattern.pattern.count("[^/]+"))

    @staticmethod
    def _route(method: str, url: str, op: dict[str, Any]) -> _Route:
        path, _, query = url.partition("?")
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
        pattern = re.compile(f"^/v1{regex}$")
        examples = (op.get("x-oaiMeta") or {}).get("examples") or []
        if isinstance(examples, dict):
            examples = [examples]
        json_body = sse_body = None
        for example in examples:
            text = example.get("response")
            if not isinstance(text, str):
                continue
            if _is_sse(text):
                if sse_body is None and _decodable_events(text):
                    sse_body = text.strip().encode() + b"\n\n"
            elif json_body is None:
                value = _lenient_json(text)
                if isinstance(value, dict):
                    json_body = orjson.dumps(value)
        content = (op.get("responses", {}).get("200") or {}).get("content") or {}
        binary = bool(content) and "application/json" not in content
        listing = method == "GET" and "list" in (op.get("operationId") or "").lower()
        return _Route(method, pattern, query, json_body, sse_body, binary, listing)

    def match(self, request: Recorded) -> _Route | None:
        path = unquote(request.path)
        for route in self.routes:
            if route.method != request.method or not route.pattern.match(path):
                continue
            if route.query and route.query not in request.query.split("&"):
                continue
            return route
        return None

    def __call__(self, request: Recorded) -> Answer:
        route = self.match(request)
        if _wants_stream(request):
            body = route.sse_body if route is not None and route.sse_body else _MINIMAL_SSE
            return Answer(200, "text/event-stream", body)
        if route is None:
            return Answer(200, "application/json", b"{}")
        if route.binary:
            return Answer(200, "application/octet-stream", b"binary-content")
        if route.json_body is not None:
            return Answer(200, "application/json", route.json_body)
        return Answer(200, "application/json", orjson.dumps(_LIST if route.listing else {}))


def _wants_stream(request: Recorded) -> bool:
    if "text/event-stream" in (request.header("accept") or ""):
        return True
    if (request.header("content-type") or "").startswith("application/json"):
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            return False
        return isinstance(body, dict) and body.get("stream") is True
    # A multipart form (transcriptions, image edits) says stream=true as a field.
    return b'name="stream"\r\n\r\ntrue' in request.body
