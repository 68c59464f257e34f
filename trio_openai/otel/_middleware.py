"""OTelMiddleware: one GenAI client span and its metrics per inference call, and one span
per WebSocket session.

The middleware runs once per attempt (the client's middleware seam) and finds the
`trio_openai.otel._call.Call` of the call the attempt belongs to (one span across the
attempts). Realtime and Responses WebSocket sessions ask it for a
`trio_openai.otel._session.SessionSpan` through the session hook of trio_openai._operation.
The instruments, the server attributes of a URL and the attribute sets of metric points
are made once per middleware, not per call.

Telemetry never breaks a call: a span that cannot start leaves the call untraced.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Final, final

import httpx
from opentelemetry import metrics, trace

from .._operation import OPERATION, Operation
from .._version import __version__
from ._attributes import AttributeValue, Endpoint, endpoint_of
from ._call import Call
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

# (operation name, request model, server key): what a call's metric attributes depend on
# besides its outcome.
_MetricKey = tuple[str, str | None, bytes]
_MetricSets = tuple[
    dict[str, "AttributeValue"], dict[str, "AttributeValue"], dict[str, "AttributeValue"]
]
log: Final = logging.getLogger("trio_openai.otel")


def _env_capture() -> bool:
    return os.environ.get(_CAPTURE_ENV, "").strip().lower() in ("1", "true", "yes")


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
    ) -> Call:
        if operation is not None:
            for listener in operation.listeners:
                if isinstance(listener, Call) and listener.owner is self:
                    return listener
        call = Call(self, request, endpoint)
        if operation is not None:
            operation.add_listener(call)
        return call
