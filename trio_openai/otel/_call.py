"""_Call: the span and measurements of one inference call, across its attempts.

`OTelMiddleware` makes one per call. It starts the span with the first attempt,
registers on the call's `Operation` (retries are span events; a call that failed ends
there), and reads the response body as the transport delivers it: the facts of the
response (id, model, finish reasons, usage) from its bytes, the time to the first chunk
when its first bytes arrive. A successful call ends when its body is closed: a plain call
once the body is read, a stream when its ``async with`` block ends.

Telemetry never breaks a call: an error inside it is logged and the call goes on.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Final, ParamSpec, final

import httpx
import orjson
import trio
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode

from .._errors import APIStatusError
from .._operation import STREAM_EXIT
from ._attributes import AttributeValue, Endpoint, ResponseFacts, request_attributes
from ._content import StreamedText, input_content, output_content

if TYPE_CHECKING:
    from ._middleware import OTelMiddleware

__all__ = ["Call", "error_type"]

_DONE: Final = b"[DONE]"
# Events worth decoding when content is not captured (the rest only count as chunks).
_CHAT_MARKS: Final = (b'"finish_reason":"', b'"finish_reason": "', b'"usage":{', b'"usage": {')
_RESPONSES_MARKS: Final = (b'"response.completed"', b'"response.incomplete"', b'"response.failed"')

P = ParamSpec("P")
log: Final = logging.getLogger("trio_openai.otel")


def _safe(method: Callable[P, None]) -> Callable[P, None]:
    """Telemetry never breaks a call: an error inside it is logged, and the call goes on."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            method(*args, **kwargs)
        except Exception:
            log.debug("telemetry failed in %s", method.__qualname__, exc_info=True)

    return guarded


def error_type(error: BaseException) -> str:
    return type(error).__qualname__


def _request_body(request: httpx.Request) -> dict[str, object]:
    try:
        body: object = orjson.loads(request.content)
    except (httpx.RequestNotRead, orjson.JSONDecodeError):
        return {}
    return body if isinstance(body, dict) else {}  # pyright: ignore[reportUnknownVariableType]


class Call:
    """The span and measurements of one call, across its attempts (an OperationListener)."""

    def __init__(self, owner: OTelMiddleware, request: httpx.Request, endpoint: Endpoint) -> None:
        self.owner = owner
        self.start = time.perf_counter()
        operation_name, self.api_type = endpoint
        body = _request_body(request)
        model = body.get("model")
        self.model = model if isinstance(model, str) else None
        self.streaming = body.get("stream") is True
        server_key, server = owner.server_of(request.url)
        self.metric_key = (operation_name, self.model, server_key)
        self.metric_attrs: dict[str, AttributeValue] = {
            "gen_ai.operation.name": operation_name,
            "gen_ai.provider.name": "openai",
            **server,
        }
        if self.model is not None:
            self.metric_attrs["gen_ai.request.model"] = self.model
        # What a sampler may decide on is given at creation; the rest is set at the end in
        # one call (one pass of the SDK's attribute checks), and is computed only for a span
        # that records (none without an SDK, or when sampled out).
        attrs: dict[str, AttributeValue] = dict(self.metric_attrs)
        if self.api_type is not None:
            attrs["openai.api.type"] = self.api_type
        name = operation_name if self.model is None else f"{operation_name} {self.model}"
        self.span: Span = owner.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attrs)
        self.recording = self.span.is_recording()
        self.capture = owner.capture_content and self.recording
        self.pending: dict[str, AttributeValue] = {}
        if self.recording:
            self.pending = request_attributes(operation_name, self.api_type, body)
            if self.capture:
                self.pending.update(input_content(self.api_type, body))
        self.status = 0
        self.returned_ = False
        self.ended = False
        self._reset_attempt()

    def _reset_attempt(self) -> None:
        self.facts = ResponseFacts()
        self.closed = False
        self.eof = False
        self.done = False  # the stream's last event ([DONE], response.completed) arrived
        self.exit: BaseException | None = None
        self.body: list[bytes] = []
        self.sse = False  # an event stream, split here with bytes operations
        self.tail = b""  # the bytes of an event not complete yet
        self.crlf = False
        self.first_event = True
        self.first_chunk: float | None = None
        self.last_chunk = 0.0
        self.gaps: list[float] = []
        self.output: str | None = None
        self.streamed_text: StreamedText | None = None

    # -- the body, as the transport delivers it ------------------------------------------

    @_safe
    def watch(self, response: httpx.Response) -> None:
        media = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media == "text/event-stream":
            self.sse = True
            if self.capture and self.api_type == "chat_completions":
                self.streamed_text = StreamedText()
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _ObservedBody(response.stream, self, response)

    @_safe
    def chunk(self, chunk: bytes) -> None:
        """One read of the transport: timed, and looked into only when it may matter.

        A chunk is what the transport delivers at once: in a token stream paced by the
        model, one event; from a server far ahead of the reader, many.
        """
        if not chunk:
            return
        now = time.perf_counter()
        if self.first_chunk is None:
            self.first_chunk = now
            self.crlf = b"\r" in chunk
        else:
            self.gaps.append(now - self.last_chunk)
        self.last_chunk = now
        if not self.sse:
            self.body.append(chunk)
            return
        if self.crlf:
            chunk = chunk.replace(b"\r\n", b"\n")
        if self.tail:
            chunk = self.tail + chunk
        cut = chunk.rfind(b"\n\n")
        if cut < 0:
            self.tail = chunk
            return
        self.tail = chunk[cut + 2 :]
        # Bounded searches, no copy of the chunk: it can hold hundreds of events.
        if chunk.find(b"data: [DONE]", 0, cut) >= 0:
            self.done = True
        marks = _RESPONSES_MARKS if self.api_type == "responses" else _CHAT_MARKS
        if self.capture or self.first_event or any(chunk.find(m, 0, cut) >= 0 for m in marks):
            for block in chunk[:cut].split(b"\n\n"):
                self._event(block)

    def _event(self, block: bytes) -> None:
        lines = [line for line in block.split(b"\n") if line.startswith(b"data:")]
        if not lines:
            return
        data = b"\n".join(line[6:] if line[5:6] == b" " else line[5:] for line in lines)
        if data == _DONE:
            return
        marks = _RESPONSES_MARKS if self.api_type == "responses" else _CHAT_MARKS
        if not (self.capture or self.first_event or any(mark in data for mark in marks)):
            return
        self.first_event = False
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        self.facts.merge(obj, self.api_type)
        if self.streamed_text is not None:
            self.streamed_text.add(obj)
        elif self.api_type == "responses" and any(mark in data for mark in _RESPONSES_MARKS):
            self.done = True  # the final event: what follows is the end of the body
            if self.capture:
                self.output = output_content(self.api_type, obj)

    @_safe
    def body_eof(self) -> None:
        self.eof = True
        if self.sse or not self.body:
            return
        try:
            obj = orjson.loads(b"".join(self.body))
        except orjson.JSONDecodeError:
            return
        finally:
            self.body = []
        self.facts.merge(obj, self.api_type)
        if self.capture:
            self.output = output_content(self.api_type, obj)

    @_safe
    def body_closed(self, response: httpx.Response) -> None:
        self.closed = True
        exit_error: BaseException | None = response.extensions.get(STREAM_EXIT)
        if exit_error is None and not self.eof and self.streaming:
            # A helper stream (client.responses.stream(...)) closes the body from its own
            # __aexit__: the exception being handled there, if any, is why.
            exit_error = sys.exception()
        self.exit = exit_error
        if self.returned_:
            self._finish_body()

    def _finish_body(self) -> None:
        if self.eof or (self.done and self.exit is None):
            self._end("complete", None)
        elif self.exit is None:
            self._end("break", None)
        else:
            self._end_error(self.exit)

    # -- what the client reports (OperationListener) -------------------------------------

    @_safe
    def retrying(self, attempt: int, delay: float, error: Exception) -> None:
        attrs: dict[str, AttributeValue] = {
            "trio_openai.attempt": attempt,
            "trio_openai.retry.delay": delay,
            "error.type": error_type(error),
        }
        if isinstance(error, APIStatusError):
            attrs["http.response.status_code"] = error.status_code
        self.span.add_event("trio_openai.retry", attrs)
        self._reset_attempt()

    @_safe
    def returned(self) -> None:
        self.returned_ = True
        if self.closed:
            self._finish_body()

    @_safe
    def failed(self, error: BaseException) -> None:
        self._end_error(error)

    # -- the end -------------------------------------------------------------------------

    def _end_error(self, error: BaseException) -> None:
        if isinstance(error, trio.Cancelled):
            self._end("cancelled", None)
        else:
            self._end("error", error)

    def _end(self, reason: str, error: BaseException | None) -> None:
        if self.ended:
            return
        self.ended = True
        end = time.perf_counter()
        span = self.span
        attrs = self.pending
        if self.recording:
            attrs.update(self.facts.attributes())
        attrs["trio_openai.end_reason"] = reason
        failure: str | None = None
        if error is not None:
            failure = attrs["error.type"] = error_type(error)
            if isinstance(error, APIStatusError):
                attrs["http.response.status_code"] = error.status_code
            span.set_status(Status(StatusCode.ERROR, failure))
        streamed = self.sse or self.streaming
        if self.streaming and self.first_chunk is not None:
            attrs["gen_ai.response.time_to_first_chunk"] = self.first_chunk - self.start
        if self.capture:
            output = self.output
            if self.streamed_text is not None and (self.streamed_text.texts or self.eof):
                output = self.streamed_text.content()
            if output is not None:
                attrs["gen_ai.output.messages"] = output
        span.set_attributes(attrs)
        span.end()
        owner = self.owner
        metric_attrs, input_attrs, output_attrs = owner.metric_sets(
            self.metric_key, self.metric_attrs, self.facts.model, failure
        )
        owner.duration.record(end - self.start, metric_attrs)
        if self.facts.input_tokens is not None:
            owner.token_usage.record(self.facts.input_tokens, input_attrs)
        if self.facts.output_tokens is not None:
            owner.token_usage.record(self.facts.output_tokens, output_attrs)
        if streamed and self.first_chunk is not None:
            owner.time_to_first_chunk.record(self.first_chunk - self.start, metric_attrs)
            record = owner.time_per_output_chunk.record
            for gap in self.gaps:
                record(gap, metric_attrs)
        self._release()

    def _release(self) -> None:
        """Let go of the ended span and what was gathered for it.

        httpx's response and its stream refer to each other, so the response, and this
        call through it, live until the garbage collector's next pass. What a recording
        span holds (its attributes, its lock, its events) would live, and be traversed,
        as long: freed here, it goes as soon as the span is ended. (Measured: a fan-out
        of JSON calls with the SDK recording spent about as much CPU in the collector
        because of the ended spans as in making them.)
        """
        self.span = INVALID_SPAN
        self.pending = {}
        self.facts = ResponseFacts()
        self.gaps = []
        self.body = []
        self.streamed_text = None
        self.output = None


class _ObservedBody(httpx.AsyncByteStream):
    """A response body passed through unchanged, its chunks shown to the call on the way."""

    def __init__(self, inner: httpx.AsyncByteStream, call: Call, response: httpx.Response) -> None:
        self._inner = inner
        self._call = call
        self._response = response

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _ObservedChunks(aiter(self._inner), self._call)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._call.body_closed(self._response)


@final
class _ObservedChunks:
    __slots__ = ("_call", "_chunks")

    def __init__(self, chunks: AsyncIterator[bytes], call: Call) -> None:
        self._chunks = chunks
        self._call = call

    def __aiter__(self) -> _ObservedChunks:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._call.body_eof()
            raise
        self._call.chunk(chunk)
        return chunk
