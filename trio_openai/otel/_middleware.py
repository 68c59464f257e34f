"""OTelMiddleware: one GenAI client span and its metrics per inference call.

The middleware runs once per attempt (the client's middleware seam). The span covers the
whole call: it starts with the first attempt and registers itself on the call's
`Operation`, which reports retries (span events) and the end of a call that failed. A
successful call's span ends when its body is closed: for a plain call once the body is
read, for a stream when its ``async with`` block ends. Response facts (id, model, finish
reasons, usage) are read from the body bytes as they pass through the transport, so the
time to the first chunk is the time the first bytes of the body arrived.

Telemetry never breaks a call: a body it cannot read is passed through unobserved.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Final, ParamSpec, final

import httpx
import orjson
import trio
from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .._errors import APIStatusError
from .._operation import OPERATION, STREAM_EXIT, Operation
from .._version import __version__
from ._attributes import AttributeValue, Endpoint, ResponseFacts, endpoint_of, request_attributes
from ._content import StreamedText, input_content, output_content
from ._session import SessionSpan

if TYPE_CHECKING:
    from .._types import CallNext

__all__ = ["SEMCONV_VERSION", "OTelMiddleware"]

SEMCONV_VERSION: Final = "1.41.0"
_SCHEMA_URL: Final = f"https://opentelemetry.io/schemas/{SEMCONV_VERSION}"
_CAPTURE_ENV: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
# The conventions' advised bucket boundaries.
_DURATION_BUCKETS: Final = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
_CHUNK_BUCKETS: Final = (
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5,
)  # fmt: skip
_TOKEN_BUCKETS: Final = tuple(float(4**i) for i in range(14))
_DONE: Final = b"[DONE]"
# Events worth decoding when content is not captured (the rest only count as chunks).
_CHAT_MARKS: Final = (b'"finish_reason":"', b'"finish_reason": "', b'"usage":{', b'"usage": {')
_RESPONSES_MARKS: Final = (b'"response.completed"', b'"response.incomplete"', b'"response.failed"')


P = ParamSpec("P")
# (operation name, request model, server key): what a call's metric attributes depend on
# besides its outcome.
_MetricKey = tuple[str, str | None, bytes]
_MetricSets = tuple[
    dict[str, "AttributeValue"], dict[str, "AttributeValue"], dict[str, "AttributeValue"]
]
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


def _env_capture() -> bool:
    return os.environ.get(_CAPTURE_ENV, "").strip().lower() in ("1", "true", "yes")


def _error_type(error: BaseException) -> str:
    return type(error).__qualname__


@final
class OTelMiddleware:
    """Traces and measures the inference calls of a client (chat completions, responses,
    completions, embeddings) per the OpenTelemetry GenAI conventions; other requests pass
    through untouched.

    ``capture_content=True`` records messages, outputs and tool definitions (off by
    default; None reads OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT). Without
    providers, the global ones of ``opentelemetry.trace`` and ``opentelemetry.metrics``
    are used.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        capture_content: bool | None = None,
    ) -> None:
        self.capture_content = _env_capture() if capture_content is None else capture_content
        self.tracer = trace.get_tracer(
            "trio_openai", __version__, tracer_provider, schema_url=_SCHEMA_URL
        )
        meter = metrics.get_meter("trio_openai", __version__, meter_provider, _SCHEMA_URL)
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.token_usage = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
        )
        self.time_to_first_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit="s",
            description="Time to receive the first chunk of a streamed response.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.time_per_output_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_per_output_chunk",
            unit="s",
            description="Time between consecutive chunks of a streamed response.",
            explicit_bucket_boundaries_advisory=_CHUNK_BUCKETS,
        )

        self._servers: dict[bytes, dict[str, AttributeValue]] = {}
        self._metric_sets: dict[tuple[object, ...], _MetricSets] = {}

    def __repr__(self) -> str:
        return f"OTelMiddleware(capture_content={self.capture_content})"

    def server_of(self, url: httpx.URL) -> tuple[bytes, dict[str, AttributeValue]]:
        """``server.address`` and ``server.port`` of a URL, and a key naming them (cached:
        a client has one or two)."""
        key = url.raw_host + b":" + str(url.port).encode()
        found: dict[str, AttributeValue] | None = self._servers.get(key)
        if found is None:
            port: int = url.port or (443 if url.scheme == "https" else 80)
            host: str = url.host
            found = {"server.address": host, "server.port": port}
            if len(self._servers) < 64:
                self._servers[key] = found
        return key, found

    def metric_sets(
        self,
        key: _MetricKey,
        base: dict[str, AttributeValue],
        response_model: str | None,
        error_type: str | None,
    ) -> _MetricSets:
        """The attribute sets of a call's metric points: of its duration (and chunk
        times), of its input tokens, of its output tokens. Built once per distinct call
        shape (a service has a handful) and shared, never mutated afterwards."""
        full_key = (*key, response_model, error_type)
        found = self._metric_sets.get(full_key)
        if found is None:
            attrs = dict(base)
            if response_model is not None:
                attrs["gen_ai.response.model"] = response_model
            if error_type is not None:
                attrs["error.type"] = error_type
            found = (
                attrs,
                {**attrs, "gen_ai.token.type": "input"},
                {**attrs, "gen_ai.token.type": "output"},
            )
            if len(self._metric_sets) < 256:
                self._metric_sets[full_key] = found
        return found

    def observe_session(
        self, *, operation: str, api_type: str, model: str | None, url: str
    ) -> SessionSpan | None:
        """The span of a WebSocket session opening at ``url`` (the session hook of
        trio_openai._operation: Realtime and Responses WebSocket sessions call it)."""
        try:
            parsed = httpx.URL(url)
            port = parsed.port or (443 if parsed.scheme in ("wss", "https") else 80)
            server: dict[str, AttributeValue] = {"server.address": parsed.host, "server.port": port}
            return SessionSpan(
                self, operation=operation, api_type=api_type, model=model, server=server
            )
        except Exception:  # telemetry never breaks a session
            log.debug("telemetry failed to start a session span", exc_info=True)
            return None

    async def __call__(self, request: httpx.Request, call_next: CallNext) -> httpx.Response:
        endpoint = endpoint_of(request.method, request.url.path)
        if endpoint is None:
            return await call_next(request)
        operation: Operation | None = request.extensions.get(OPERATION)
        try:
            call = self._call_of(operation, request, endpoint)
        except Exception:  # telemetry never breaks a call
            log.debug("telemetry failed to start a span", exc_info=True)
            return await call_next(request)
        try:
            response = await call_next(request)
        except BaseException as exc:
            if operation is None:  # no client to report the end: this attempt is the call
                call.failed(exc)
            raise
        call.status = response.status_code
        if response.status_code < 400:
            call.watch(response)
        return response

    def _call_of(
        self, operation: Operation | None, request: httpx.Request, endpoint: Endpoint
    ) -> _Call:
        if operation is not None:
            for listener in operation.listeners:
                if isinstance(listener, _Call) and listener.owner is self:
                    return listener
        call = _Call(self, request, endpoint)
        if operation is not None:
            operation.add_listener(call)
        return call


def _request_body(request: httpx.Request) -> dict[str, object]:
    try:
        body: object = orjson.loads(request.content)
    except (httpx.RequestNotRead, orjson.JSONDecodeError):
        return {}
    return body if isinstance(body, dict) else {}  # pyright: ignore[reportUnknownVariableType]


class _Call:
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
        self.span = owner.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attrs)
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
            "error.type": _error_type(error),
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
        error_type: str | None = None
        if error is not None:
            error_type = attrs["error.type"] = _error_type(error)
            if isinstance(error, APIStatusError):
                attrs["http.response.status_code"] = error.status_code
            span.set_status(Status(StatusCode.ERROR, error_type))
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
            self.metric_key, self.metric_attrs, self.facts.model, error_type
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


class _ObservedBody(httpx.AsyncByteStream):
    """A response body passed through unchanged, its chunks shown to the call on the way."""

    def __init__(self, inner: httpx.AsyncByteStream, call: _Call, response: httpx.Response) -> None:
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

    def __init__(self, chunks: AsyncIterator[bytes], call: _Call) -> None:
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
