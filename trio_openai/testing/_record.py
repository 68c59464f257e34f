"""Recording side of cassettes: turn a live httpx request and response into an `Exchange`.

The response body is captured by wrapping `response.stream`, so recording reads nothing the
client would not read itself: a stream is recorded chunk by chunk as the code under test
consumes it, each chunk stamped with `trio.current_time()`, and the exchange is complete when
the body ends (or is closed early: then it holds what was read).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Final, cast

import httpx
import trio

from ._cassette_format import (
    Exchange,
    RecordedResponse,
    RequestRecord,
    StreamEvent,
    encode_body,
    event_wire,
    split_events,
    structured_event,
)
from ._cassette_match import Redactor

__all__ = ["RecordingStream", "request_record"]

_BOUNDARY: Final = re.compile(r"boundary=\"?([^\";]+)\"?")
_PLACEHOLDER: Final = "BOUNDARY"


class _Bytes(httpx.AsyncByteStream):
    """A request body read into memory, sent again as one chunk (a plain iterator)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _Once(self._data)


class _Once:
    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data or None

    def __aiter__(self) -> _Once:
        return self

    async def __anext__(self) -> bytes:
        data, self._data = self._data, None
        if data is None:
            raise StopAsyncIteration
        return data


async def _request_body(request: httpx.Request) -> bytes:
    """The bytes the request will send, read from its stream, not from `request.content`:
    the client sends an upload from a stream of its own while `content` stays empty. The
    stream is then replaced by the same bytes, so it can still be sent."""
    stream = cast("AsyncIterable[bytes]", request.stream)
    data = b"".join([part async for part in stream])
    request.stream = _Bytes(data)
    return data


async def request_record(request: httpx.Request, redactor: Redactor) -> RequestRecord:
    """The request as a cassette stores (and matches) it: redacted, multipart boundary fixed.

    A multipart boundary is random per request; it is replaced by a placeholder so an upload
    matches its recording.
    """
    body = await _request_body(request)
    content_type = request.headers.get("content-type", "")
    found = _BOUNDARY.search(content_type)
    headers = list(request.headers.items())
    if found is not None:
        boundary = found.group(1)
        body = body.replace(boundary.encode(), _PLACEHOLDER.encode())
        content_type = content_type.replace(boundary, _PLACEHOLDER)
        headers = [
            (name, content_type if name.lower() == "content-type" else value)
            for name, value in headers
        ]
    return RequestRecord(
        method=request.method,
        path=request.url.path,
        query=redactor.redact_query(request.url.params.multi_items()),
        headers=redactor.redact_headers(headers),
        body=redactor.redact_body(encode_body(body, content_type)),
    )


def _redact_event(wire: bytes, redactor: Redactor) -> bytes:
    if not redactor.fields:
        return wire
    entry = structured_event(wire)
    if entry is None:
        return wire
    entry["data"] = redactor.redact_json(entry["data"])
    return event_wire(entry)


class RecordingStream(httpx.AsyncByteStream):
    """Wraps a live response body; hands the finished `Exchange` to `on_done` once."""

    def __init__(
        self,
        response: httpx.Response,
        request: RequestRecord,
        *,
        sent_at: float,
        redactor: Redactor,
        on_done: Callable[[Exchange], None],
    ) -> None:
        self._inner = response.stream
        self._iterator: AsyncIterator[bytes] | None = None
        self._request = request
        self._status = response.status_code
        self._raw_headers = list(response.headers.items())
        self._sent_at = sent_at
        self._headers_at = trio.current_time()
        self._redactor = redactor
        self._on_done = on_done
        self._chunks: list[tuple[float, bytes]] = []
        self._done = False
        encoding = response.headers.get("content-encoding", "identity").lower()
        self._decoder = zlib.decompressobj(47) if encoding in ("gzip", "deflate") else None
        self._keep_encoding = encoding not in ("gzip", "deflate", "identity", "")

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self._iterator is None:
            self._iterator = aiter(self._inner)  # type: ignore[arg-type]
        try:
            chunk = await self._iterator.__anext__()
        except StopAsyncIteration:
            self._finish()
            raise
        self._chunks.append((trio.current_time() - self._headers_at, chunk))
        return chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()  # type: ignore[union-attr]
        finally:
            self._finish()

    def _decoded_chunks(self) -> list[tuple[float, bytes]]:
        if self._decoder is None:
            return self._chunks
        try:
            return [(at, self._decoder.decompress(chunk)) for at, chunk in self._chunks]
        except zlib.error:
            self._keep_encoding = True
            return self._chunks

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        chunks = self._decoded_chunks()
        headers = self._redactor.redact_headers(self._raw_headers)
        encoding = {n.lower(): v for n, v in self._raw_headers}.get("content-encoding")
        if self._keep_encoding and encoding is not None:
            headers["content-encoding"] = encoding
        content_type = headers.get("content-type", "")
        events: tuple[StreamEvent, ...] | None = None
        body = b"".join(chunk for _, chunk in chunks)
        if content_type.startswith("text/event-stream") and not self._keep_encoding:
            events = self._events(chunks)
            body = b""
        self._on_done(
            Exchange(
                request=self._request,
                response=RecordedResponse(
                    status=self._status,
                    headers=headers,
                    after=self._headers_at - self._sent_at,
                    body=self._redactor.redact_body(encode_body(body, content_type)),
                    events=events,
                ),
            )
        )

    def _events(self, chunks: list[tuple[float, bytes]]) -> tuple[StreamEvent, ...]:
        events: list[StreamEvent] = []
        pending = b""
        last = 0.0
        for at, chunk in chunks:
            complete, pending = split_events(pending + chunk)
            events += [StreamEvent(at, _redact_event(wire, self._redactor)) for wire in complete]
            last = at
        if pending:
            events.append(StreamEvent(last, _redact_event(pending, self._redactor)))
        return tuple(events)
