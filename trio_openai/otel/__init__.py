"""OpenTelemetry for trio_openai: GenAI client spans and metrics, opt-in.

Importing this module imports ``opentelemetry`` (the ``trio_openai[otel]`` extra);
``import trio_openai`` never does. Nothing is patched: a client is traced when you give
it the middleware::

    import trio_openai.otel

    async with trio_openai.otel.instrument(trio_openai.OpenAI()) as client:
        ...

or, the same thing spelled out, ``trio_openai.OpenAI(middleware=[OTelMiddleware()])``.
See docs/observability.md for the spans, events and metrics.
"""

from __future__ import annotations

from typing import TypeVar

from opentelemetry import metrics, trace

from .._client import OpenAI
from ._middleware import SEMCONV_VERSION as SEMCONV_VERSION, OTelMiddleware as OTelMiddleware

__all__ = ["SEMCONV_VERSION", "OTelMiddleware", "instrument"]

C = TypeVar("C", bound=OpenAI)


def instrument(
    client: C,
    *,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
    capture_content: bool | None = None,
) -> C:
    """``client`` itself, with an `OTelMiddleware` appended to its middleware.

    The same client is returned (so ``async with instrument(OpenAI()) as client:`` keeps
    owning the connection pool); its `with_options` copies made afterwards are traced too.
    """
    middleware = OTelMiddleware(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_content=capture_content,
    )
    client.middleware = (*client.middleware, middleware)
    return client
