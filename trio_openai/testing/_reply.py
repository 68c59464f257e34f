"""What the local server received (`RecordedRequest`) and what it should send back (`Reply`).

Both are plain immutable values: no trio, no sockets. The server in `_server.py` interprets a
`Reply`; this module only describes one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias, final

import attrs
import orjson

from .._types import json_object

__all__ = ["RecordedRequest", "Reply"]

ReplyKind: TypeAlias = Literal["body", "sse", "reset", "stall", "raw", "handler"]
Handler: TypeAlias = Callable[["RecordedRequest"], "Awaitable[Reply] | Reply"]

_DONE = b"data: [DONE]\n\n"


@final
@attrs.frozen(kw_only=True)
class RecordedRequest:
    """One HTTP request as the local server received it.

    `path` excludes the query string, which is parsed into `query`; header names are
    lower-cased, and a repeated header is joined with ", ".
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON; raises `orjson.JSONDecodeError` when it is not JSON."""
        return orjson.loads(self.body)


def _header_pairs(
    defaults: Mapping[str, str], extra: Mapping[str, str] | None
) -> tuple[tuple[str, str], ...]:
    """Merge `extra` over `defaults`, comparing names without regard to case."""
    merged = {name.lower(): (name, value) for name, value in defaults.items()}
    for name, value in (extra or {}).items():
        merged[name.lower()] = (name, value)
    return tuple(merged.values())


def _encode_event(event: object, *, event_names: bool) -> bytes:
    if isinstance(event, bytes | bytearray):
        return bytes(event)
    if isinstance(event, memoryview):
        return event.tobytes()
    head = b""
    fields = json_object(event)
    if event_names and fields is not None and "type" in fields:
        head = b"event: " + str(fields["type"]).encode() + b"\n"
    return head + b"data: " + orjson.dumps(event) + b"\n\n"


@final
@attrs.frozen(kw_only=True)
class Reply:
    """An immutable description of one response of the local server.

    Build one with the static constructors (`Reply.json`, `Reply.sse`, `Reply.reset`, ...)
    and hand it to `LocalServer.script`. The fields are the server's instructions; read
    them freely, but construct replies through the constructors only.
    """

    kind: ReplyKind
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    events: tuple[bytes, ...] = ()
    delay: float = 0.0
    pace: float = 0.0
    reset_after: int | None = None
    stall_after: int | None = None
    trickle: float | None = None
    chunked: bool = True
    close: bool = True
    fn: Handler | None = attrs.field(default=None, eq=False)

    @staticmethod
    def json(
        body: Any,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        delay: float = 0,
    ) -> Reply:
        """A JSON body with a Content-Length, sent after `delay` seconds."""
        return Reply(
            kind="body",
            status=status,
            headers=_header_pairs({"content-type": "application/json"}, headers),
            body=orjson.dumps(body),
            delay=delay,
        )

    @staticmethod
    def text(
        body: str | bytes,
        *,
        status: int = 200,
        content_type: str = "text/plain",
        headers: Mapping[str, str] | None = None,
        delay: float = 0,
    ) -> Reply:
        """A text (or any bytes) body with a Content-Length, sent after `delay` seconds."""
        return Reply(
            kind="body",
            status=status,
            headers=_header_pairs({"content-type": content_type}, headers),
            body=body.encode() if isinstance(body, str) else bytes(body),
            delay=delay,
        )

    @staticmethod
    def error(
        status: int,
        *,
        message: str = "Error from the trio_openai test server",
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0,
    ) -> Reply:
        """An OpenAI-shaped error body, `{"error": {message, type, param, code}}`.

        It carries `x-request-id: req_test` unless `headers` gives another one.
        """
        payload = {"error": {"message": message, "type": type, "param": param, "code": code}}
        return Reply(
            kind="body",
            status=status,
            headers=_header_pairs(
                {"content-type": "application/json", "x-request-id": "req_test"}, headers
            ),
            body=orjson.dumps(payload),
            delay=delay,
        )

    @staticmethod
    def sse(
        events: Sequence[Any],
        *,
        done: bool = True,
        pace: float = 0.0,
        headers: Mapping[str, str] | None = None,
        reset_after: int | None = None,
        stall_after: int | None = None,
        trickle: float | None = None,
        event_names: bool = False,
        chunked: bool = True,
    ) -> Reply:
        """A `text/event-stream` body, one HTTP chunk per event, `pace` seconds apart.

        A dict or list becomes `data: <json>` (preceded by `event: <type>` when
        `event_names` is true); bytes are sent verbatim as the whole event. `done` appends
        `data: [DONE]`, which counts as one more event for `reset_after`/`stall_after`.

        Faults: `reset_after=N` aborts the TCP connection with a RST after N events (no
        terminating chunk); `stall_after=N` stops after N events and waits until the client
        closes; `trickle=s` writes each event's bytes on the wire one byte at a time, `s`
        seconds apart; `chunked=False` sends a close-delimited body (no length, no chunked
        framing, `Connection: close`) and closes the connection at the end.
        """
        encoded = [_encode_event(event, event_names=event_names) for event in events]
        if done:
            encoded.append(_DONE)
        return Reply(
            kind="sse",
            headers=_header_pairs(
                {"content-type": "text/event-stream", "cache-control": "no-cache"}, headers
            ),
            events=tuple(encoded),
            pace=pace,
            reset_after=reset_after,
            stall_after=stall_after,
            trickle=trickle,
            chunked=chunked,
        )

    @staticmethod
    def reset() -> Reply:
        """Read the request, then abort the connection with a RST before any response byte."""
        return Reply(kind="reset")

    @staticmethod
    def stall() -> Reply:
        """Read the request and never answer; the connection ends when the client closes it."""
        return Reply(kind="stall")

    @staticmethod
    def raw(data: bytes, *, close: bool = True) -> Reply:
        """Write `data` to the socket as the whole response, bypassing HTTP framing.

        With `close=True` the server then closes the connection (which also ends an
        HTTP/1.0-style close-delimited body). With `close=False` it keeps the connection
        and reads the next request on it, so `data` may also be a complete hand-made
        response, or a truncated one the client must time out on.
        """
        return Reply(kind="raw", body=bytes(data), close=close)

    @staticmethod
    def handler(fn: Handler) -> Reply:
        """Compute the reply from the request: `fn(request)` returns a `Reply` or awaits one.

        If `fn` raises, the server answers 500 with an OpenAI-shaped error naming the
        exception.
        """
        return Reply(kind="handler", fn=fn)
