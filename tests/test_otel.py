"""OpenTelemetry spans and metrics of inference calls, over real sockets.

The SDK's in-memory exporters receive what `trio_openai.otel.OTelMiddleware` emits while
the client talks to the local server (and once to llama-server); each test asserts the
spans, events and metric points a user's tracing backend would get, attribute by attribute.
"""

# pyright: reportPrivateUsage=false
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import trio_openai
from trio_openai import otel
from trio_openai.lib import function_tool, run_tools_chat
from trio_openai.testing import LocalServer, RecordedRequest, Reply

KEY = "sk-test-SECRET-0123456789"
TIMELINE = Path(__file__).resolve().parent.parent / "docs" / "otel_timeline.py"


@attrs.define
class Telemetry:
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def only(self) -> ReadableSpan:
        spans = self.finished()
        assert len(spans) == 1, [s.name for s in spans]
        return spans[0]

    def points(self, name: str) -> list[HistogramDataPoint]:
        data = self.reader.get_metrics_data()
        found: list[HistogramDataPoint] = []
        if data is None:
            return found
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(
                            p for p in metric.data.data_points if isinstance(p, HistogramDataPoint)
                        )
        return found


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield Telemetry(exporter, reader, tracer_provider, meter_provider)
    tracer_provider.shutdown()
    meter_provider.shutdown()


def _middleware(t: Telemetry, *, capture: bool = False) -> otel.OTelMiddleware:
    return otel.OTelMiddleware(
        tracer_provider=t.tracer_provider, meter_provider=t.meter_provider, capture_content=capture
    )


@pytest.fixture
async def traced(
    local_server: LocalServer, telemetry: Telemetry
) -> AsyncIterator[trio_openai.OpenAI]:
    client = trio_openai.OpenAI(api_key=KEY, base_url=local_server.base_url, max_retries=2)
    async with otel.instrument(
        client,
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
    ) as c:
        yield c


def _server(local_server: LocalServer) -> dict[str, object]:
    host, _, port = local_server.base_url.split("//")[1].split("/")[0].partition(":")
    return {"server.address": host, "server.port": int(port)}


def _attrs(span: ReadableSpan) -> dict[str, object]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in (span.attributes or {}).items()}


CHAT_BODY: dict[str, Any] = {
    "id": "chatcmpl-42",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-test-2026",
    "service_tier": "default",
    "system_fingerprint": "fp_abc",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hi there", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        },
        {
            "index": 1,
            "message": {"role": "assistant", "content": "Hello", "refusal": None},
            "logprobs": None,
            "finish_reason": "length",
        },
    ],
    "usage": {
        "prompt_tokens": 11,
        "completion_tokens": 7,
        "total_tokens": 18,
        "prompt_tokens_details": {"cached_tokens": 3},
        "completion_tokens_details": {"reasoning_tokens": 2},
    },
}


async def test_create_span_has_every_attribute(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.json(CHAT_BODY))
    await traced.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "Hi"}],
        temperature=0.5,
        top_p=0.9,
        max_completion_tokens=64,
        frequency_penalty=0.1,
        presence_penalty=0.2,
        seed=7,
        stop=["END"],
        n=2,
        service_tier="auto",
        response_format={"type": "json_object"},
    )
    span = telemetry.only()
    assert span.name == "chat gpt-test"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert span.events == ()
    assert _attrs(span) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "openai.api.type": "chat_completions",
        **_server(local_server),
        "gen_ai.request.model": "gpt-test",
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 64,
        "gen_ai.request.frequency_penalty": 0.1,
        "gen_ai.request.presence_penalty": 0.2,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ["END"],
        "gen_ai.request.choice.count": 2,
        "gen_ai.output.type": "json",
        "openai.request.service_tier": "auto",
        "gen_ai.response.id": "chatcmpl-42",
        "gen_ai.response.model": "gpt-test-2026",
        "gen_ai.response.finish_reasons": ["stop", "length"],
        "gen_ai.usage.input_tokens": 11,
        "gen_ai.usage.output_tokens": 7,
        "gen_ai.usage.cache_read.input_tokens": 3,
        "gen_ai.usage.reasoning.output_tokens": 2,
        "openai.response.service_tier": "default",
        "openai.response.system_fingerprint": "fp_abc",
        "trio_openai.end_reason": "complete",
    }
    metric_attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-test",
        "gen_ai.response.model": "gpt-test-2026",
        **_server(local_server),
    }
    (duration,) = telemetry.points("gen_ai.client.operation.duration")
    assert dict(duration.attributes or {}) == metric_attrs
    assert duration.count == 1
    assert duration.sum == pytest.approx((span.end_time - span.start_time) / 1e9, abs=0.01)  # type: ignore[operator]
    tokens = {
        p.attributes["gen_ai.token.type"]: p for p in telemetry.points("gen_ai.client.token.usage")
    }  # type: ignore[index]
    assert {k: (p.count, p.sum) for k, p in tokens.items()} == {"input": (1, 11), "output": (1, 7)}
    assert dict(tokens["input"].attributes or {}) == {**metric_attrs, "gen_ai.token.type": "input"}
    # Not a stream: no chunk metrics.
    assert telemetry.points("gen_ai.client.operation.time_to_first_chunk") == []
    assert telemetry.points("gen_ai.client.operation.time_per_output_chunk") == []


async def test_responses_create(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    response = await traced.responses.create(
        model="echo-1", input="one two three", max_output_tokens=50
    )
    span = telemetry.only()
    attributes = _attrs(span)
    assert span.name == "chat echo-1"
    assert attributes["openai.api.type"] == "responses"
    assert attributes["gen_ai.request.max_tokens"] == 50
    assert attributes["gen_ai.response.id"] == response.id
    assert attributes["gen_ai.response.model"] == response.model
    assert attributes["gen_ai.response.finish_reasons"] == ["completed"]
    assert response.usage is not None
    assert attributes["gen_ai.usage.input_tokens"] == response.usage.input_tokens
    assert attributes["gen_ai.usage.output_tokens"] == response.usage.output_tokens


async def test_embeddings(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    local_server.script(
        "POST",
        "/v1/embeddings",
        Reply.json(
            {
                "object": "list",
                "model": "text-embedding-3-small",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                "usage": {"prompt_tokens": 4, "total_tokens": 4},
            }
        ),
    )
    await traced.embeddings.create(
        model="text-embedding-3-small", input="four words right here", encoding_format="float"
    )
    span = telemetry.only()
    assert span.name == "embeddings text-embedding-3-small"
    assert _attrs(span) == {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "openai",
        **_server(local_server),
        "gen_ai.request.model": "text-embedding-3-small",
        "gen_ai.request.encoding_formats": ["float"],
        "gen_ai.response.model": "text-embedding-3-small",
        "gen_ai.usage.input_tokens": 4,
        "trio_openai.end_reason": "complete",
    }
    (tokens,) = telemetry.points("gen_ai.client.token.usage")
    assert (tokens.attributes or {})["gen_ai.token.type"] == "input" and tokens.sum == 4


async def test_sampled_out_span_still_measures(
    local_server: LocalServer, telemetry: Telemetry
) -> None:
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    sampled_out = TracerProvider(sampler=ALWAYS_OFF)
    middleware = otel.OTelMiddleware(
        tracer_provider=sampled_out, meter_provider=telemetry.meter_provider
    )
    async with trio_openai.OpenAI(
        api_key=KEY, base_url=local_server.base_url, middleware=[middleware]
    ) as client:
        await client.chat.completions.create(
            model="echo-1", messages=[{"role": "user", "content": "a b"}]
        )
    (duration,) = telemetry.points("gen_ai.client.operation.duration")
    assert (duration.attributes or {})["gen_ai.response.model"] == "echo-1"
    assert {
        p.attributes["gen_ai.token.type"] for p in telemetry.points("gen_ai.client.token.usage")
    } == {"input", "output"}  # type: ignore[index]


async def test_responses_content_capture(local_server: LocalServer, telemetry: Telemetry) -> None:
    async with trio_openai.OpenAI(
        api_key=KEY,
        base_url=local_server.base_url,
        middleware=[_middleware(telemetry, capture=True)],
    ) as client:
        await client.responses.create(model="echo-1", instructions="Be terse.", input="hello there")
    attributes = _attrs(telemetry.only())
    assert json.loads(str(attributes["gen_ai.system_instructions"])) == [
        {"type": "text", "content": "Be terse."}
    ]
    assert json.loads(str(attributes["gen_ai.input.messages"])) == [
        {"role": "user", "parts": [{"type": "text", "content": "hello there"}]}
    ]
    (output,) = json.loads(str(attributes["gen_ai.output.messages"]))
    assert output["role"] == "assistant"
    assert output["finish_reason"] == "completed"
    assert output["parts"] == [{"type": "text", "content": "You said: hello there"}]


async def test_other_requests_have_no_span(
    traced: trio_openai.OpenAI, telemetry: Telemetry
) -> None:
    await traced.models.list().first_page()
    assert telemetry.finished() == []
    assert telemetry.points("gen_ai.client.operation.duration") == []


def _chunk(content: str | None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-stream",
        "system_fingerprint": "fp_s",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


STREAM_EVENTS = [
    _chunk("a"),
    _chunk("b"),
    _chunk("c"),
    _chunk(None, "stop"),
    {
        **_chunk(None),
        "choices": [],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    },
]


async def test_stream_complete(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.sse(STREAM_EVENTS, pace=0.02))
    async with await traced.chat.completions.create(
        model="gpt-x", messages=[{"role": "user", "content": "x"}], stream=True
    ) as stream:
        async for _ in stream:
            pass
        assert telemetry.finished() == []  # the span is open while the block is
    span = telemetry.only()
    attributes = _attrs(span)
    first = attributes.pop("gen_ai.response.time_to_first_chunk")
    assert isinstance(first, float) and 0 < first < 0.5
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "openai.api.type": "chat_completions",
        **_server(local_server),
        "gen_ai.request.model": "gpt-x",
        "gen_ai.response.id": "chatcmpl-s",
        "gen_ai.response.model": "gpt-stream",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 5,
        "gen_ai.usage.output_tokens": 3,
        "openai.response.system_fingerprint": "fp_s",
        "trio_openai.end_reason": "complete",
    }
    metric_attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-x",
        "gen_ai.response.model": "gpt-stream",
        **_server(local_server),
    }
    (ttfc,) = telemetry.points("gen_ai.client.operation.time_to_first_chunk")
    assert ttfc.count == 1 and ttfc.sum == pytest.approx(first)
    assert dict(ttfc.attributes or {}) == metric_attrs
    (per_chunk,) = telemetry.points("gen_ai.client.operation.time_per_output_chunk")
    # One transport chunk per paced event, [DONE] included: a gap after each but the first.
    assert per_chunk.count == len(STREAM_EVENTS)
    assert per_chunk.sum == pytest.approx(0.02 * len(STREAM_EVENTS), abs=0.06)
    assert per_chunk.min >= 0.01  # paced 20 ms apart by the server
    assert dict(per_chunk.attributes or {}) == metric_attrs


async def test_stream_break(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.sse(STREAM_EVENTS, stall_after=2))
    async with await traced.chat.completions.create(
        model="gpt-x", messages=[{"role": "user", "content": "x"}], stream=True
    ) as stream:
        async for _ in stream:
            break
    attributes = _attrs(telemetry.only())
    assert attributes["trio_openai.end_reason"] == "break"
    assert "error.type" not in attributes
    assert "gen_ai.response.finish_reasons" not in attributes
    assert attributes["gen_ai.response.id"] == "chatcmpl-s"  # from the first event
    assert telemetry.only().status.status_code is StatusCode.UNSET


async def test_stream_cancelled(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.sse(STREAM_EVENTS, stall_after=2))
    with trio.move_on_after(0.3) as scope:
        async with await traced.chat.completions.create(
            model="gpt-x", messages=[{"role": "user", "content": "x"}], stream=True
        ) as stream:
            async for _ in stream:
                pass
    assert scope.cancelled_caught
    span = telemetry.only()
    attributes = _attrs(span)
    assert attributes["trio_openai.end_reason"] == "cancelled"
    assert "error.type" not in attributes
    assert span.status.status_code is StatusCode.UNSET


async def test_stream_broken_by_the_server(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.sse(STREAM_EVENTS, reset_after=2))
    with pytest.raises(trio_openai.APIConnectionError):
        async with await traced.chat.completions.create(
            model="gpt-x", messages=[{"role": "user", "content": "x"}], stream=True
        ) as stream:
            async for _ in stream:
                pass
    span = telemetry.only()
    attributes = _attrs(span)
    assert attributes["trio_openai.end_reason"] == "error"
    assert attributes["error.type"] == "APIConnectionError"
    assert span.status.status_code is StatusCode.ERROR
    (duration,) = telemetry.points("gen_ai.client.operation.duration")
    assert (duration.attributes or {})["error.type"] == "APIConnectionError"


async def test_helper_stream_error_and_complete(
    traced: trio_openai.OpenAI, telemetry: Telemetry
) -> None:
    # client.responses.stream closes the body from its own block: the reason still shows.
    with pytest.raises(KeyError):
        async with traced.responses.stream(model="echo-1", input="a b c d") as stream:
            async for _ in stream:
                raise KeyError("in the user's block")
    async with traced.responses.stream(model="echo-1", input="a b c d") as stream:
        final = await stream.get_final_response()
    failed, done = telemetry.finished()
    assert _attrs(failed)["trio_openai.end_reason"] == "error"
    assert _attrs(failed)["error.type"] == "KeyError"
    done_attrs = _attrs(done)
    assert done_attrs["trio_openai.end_reason"] == "complete"
    assert done_attrs["gen_ai.response.id"] == final.id
    assert done_attrs["gen_ai.response.finish_reasons"] == ["completed"]
    assert final.usage is not None
    assert done_attrs["gen_ai.usage.output_tokens"] == final.usage.output_tokens


async def test_error_status(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.error(400, message="bad"))
    with pytest.raises(trio_openai.BadRequestError):
        await traced.chat.completions.create(
            model="gpt-x", messages=[{"role": "user", "content": "x"}]
        )
    span = telemetry.only()
    attributes = _attrs(span)
    assert attributes["error.type"] == "BadRequestError"
    assert attributes["http.response.status_code"] == 400
    assert attributes["trio_openai.end_reason"] == "error"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "BadRequestError"  # never the server's message
    assert span.events == ()


async def test_retries_are_span_events(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    local_server.script(
        "POST",
        "/v1/chat/completions",
        Reply.error(503, headers={"retry-after-ms": "20"}),
        Reply.error(429, headers={"retry-after-ms": "30"}),
        Reply.json(CHAT_BODY),
    )
    await traced.chat.completions.create(model="gpt-x", messages=[{"role": "user", "content": "x"}])
    span = telemetry.only()
    assert [e.name for e in span.events] == ["trio_openai.retry", "trio_openai.retry"]
    assert [dict(e.attributes or {}) for e in span.events] == [
        {
            "trio_openai.attempt": 1,
            "trio_openai.retry.delay": 0.02,
            "error.type": "InternalServerError",
            "http.response.status_code": 503,
        },
        {
            "trio_openai.attempt": 2,
            "trio_openai.retry.delay": 0.03,
            "error.type": "RateLimitError",
            "http.response.status_code": 429,
        },
    ]
    attributes = _attrs(span)
    assert attributes["trio_openai.end_reason"] == "complete"
    assert "error.type" not in attributes
    assert attributes["gen_ai.response.id"] == "chatcmpl-42"
    assert (span.end_time - span.start_time) / 1e9 >= 0.05  # type: ignore[operator]


async def test_retries_exhausted(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    local_server.script(
        "POST",
        "/v1/chat/completions",
        *[Reply.error(429, headers={"retry-after-ms": "1"})] * 3,
    )
    with pytest.raises(trio_openai.RateLimitError):
        await traced.chat.completions.create(
            model="gpt-x", messages=[{"role": "user", "content": "x"}]
        )
    span = telemetry.only()
    assert [(e.attributes or {})["trio_openai.attempt"] for e in span.events] == [1, 2]
    assert _attrs(span)["error.type"] == "RateLimitError"
    assert _attrs(span)["http.response.status_code"] == 429


async def test_connection_error_retried_then_fails(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    local_server.script("POST", "/v1/chat/completions", *[Reply.reset()] * 3)
    with pytest.raises(trio_openai.APIConnectionError):
        await traced.with_options(max_retries=1).chat.completions.create(
            model="gpt-x", messages=[{"role": "user", "content": "x"}]
        )
    span = telemetry.only()
    (event,) = span.events
    assert dict(event.attributes or {}).keys() == {
        "trio_openai.attempt",
        "trio_openai.retry.delay",
        "error.type",
    }
    assert (event.attributes or {})["error.type"] == "APIConnectionError"
    assert _attrs(span)["error.type"] == "APIConnectionError"


def _all_values(spans: Sequence[ReadableSpan]) -> list[str]:
    values: list[str] = []
    for span in spans:
        values.append(span.name)
        values.append(span.status.description or "")
        sources: list[Mapping[str, object]] = [span.attributes or {}]
        sources += [e.attributes or {} for e in span.events]
        for source in sources:
            values += [f"{k}={v!r}" for k, v in source.items()]
    return values


async def test_content_only_on_opt_in_and_credentials_never(
    local_server: LocalServer, telemetry: Telemetry
) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "one two"},
    ]
    async with trio_openai.OpenAI(
        api_key=KEY,
        organization="org-SECRET-org",
        project="proj-SECRET-proj",
        base_url=local_server.base_url,
        default_headers={"X-Custom-Token": "tok-SECRET-tok"},
        middleware=[_middleware(telemetry)],
    ) as off:
        await off.chat.completions.create(model="echo-1", messages=messages)
    async with trio_openai.OpenAI(
        api_key=KEY,
        organization="org-SECRET-org",
        project="proj-SECRET-proj",
        base_url=local_server.base_url,
        default_headers={"X-Custom-Token": "tok-SECRET-tok"},
        middleware=[_middleware(telemetry, capture=True)],
    ) as on:
        await on.chat.completions.create(
            model="echo-1",
            messages=messages,
            tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        )
        async with await on.chat.completions.create(
            model="echo-1", messages=messages, stream=True
        ) as stream:
            await stream.until_done()
        local_server.script("POST", "/v1/chat/completions", Reply.error(401, message="bad key"))
        with pytest.raises(trio_openai.AuthenticationError):
            await on.chat.completions.create(model="echo-1", messages=messages)
    plain, captured, streamed, refused = telemetry.finished()
    content_keys = {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.tool.definitions",
        "gen_ai.system_instructions",
    }
    assert not content_keys & _attrs(plain).keys()
    attributes = _attrs(captured)
    assert json.loads(str(attributes["gen_ai.input.messages"])) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "one two"}]},
    ]
    assert json.loads(str(attributes["gen_ai.output.messages"])) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "You said: one two"}],
            "finish_reason": "stop",
        }
    ]
    assert json.loads(str(attributes["gen_ai.tool.definitions"])) == [
        {"type": "function", "function": {"name": "f", "parameters": {}}}
    ]
    assert json.loads(str(_attrs(streamed)["gen_ai.output.messages"])) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "You said: one two"}],
            "finish_reason": "stop",
        }
    ]
    assert _attrs(refused)["error.type"] == "AuthenticationError"
    values = "\n".join(_all_values(telemetry.finished()))
    assert "SECRET" not in values
    assert "bad key" not in values


async def test_fan_out_children_share_the_parent(
    traced: trio_openai.OpenAI, telemetry: Telemetry
) -> None:
    tracer = telemetry.tracer_provider.get_tracer("test")
    n = 25
    with tracer.start_as_current_span("fan-out") as parent:
        async with trio.open_nursery() as nursery:
            for i in range(n):
                nursery.start_soon(
                    lambda i=i: traced.chat.completions.create(
                        model="echo-1", messages=[{"role": "user", "content": f"n {i}"}]
                    )
                )
    spans = telemetry.finished()
    children = [s for s in spans if s.name == "chat echo-1"]
    assert len(children) == n
    context = parent.get_span_context()
    assert {s.context.trace_id for s in children} == {context.trace_id}  # type: ignore[union-attr]
    assert {s.parent.span_id for s in children} == {context.span_id}  # type: ignore[union-attr]
    assert len({s.context.span_id for s in children}) == n  # type: ignore[union-attr]
    (duration,) = telemetry.points("gen_ai.client.operation.duration")
    assert duration.count == n


async def test_tool_runner_calls_nest_under_their_turn(
    traced: trio_openai.OpenAI, local_server: LocalServer, telemetry: Telemetry
) -> None:
    tracer = telemetry.tracer_provider.get_tracer("test")

    @function_tool
    async def ask(question: str) -> str:
        """Ask the model a sub-question."""
        with tracer.start_as_current_span("tool ask"):
            reply = await traced.chat.completions.create(
                model="echo-1", messages=[{"role": "user", "content": question}]
            )
        return reply.choices[0].message.content or ""

    calls = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": "ask", "arguments": json.dumps({"question": f"q{i}"})},
        }
        for i in range(2)
    ]
    with_calls = {
        **CHAT_BODY,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "tool_calls": calls},
                "finish_reason": "tool_calls",
            }
        ],
    }
    final = {**CHAT_BODY, "choices": CHAT_BODY["choices"][:1]}

    def answer(request: RecordedRequest) -> Reply:
        body = request.json()
        if body["model"] == "echo-1":  # a tool's own call
            return Reply.json({**final, "model": "echo-1"})
        turn_done = any(m["role"] == "tool" for m in body["messages"])
        return Reply.json(final if turn_done else with_calls)

    local_server.script("POST", "/v1/chat/completions", Reply.handler(answer))
    with tracer.start_as_current_span("agent") as agent:
        await run_tools_chat(
            traced, model="gpt-test", tools=[ask], messages=[{"role": "user", "content": "go"}]
        )
    spans = telemetry.finished()
    by_id = {s.context.span_id: s for s in spans}  # type: ignore[union-attr]
    turns = [s for s in spans if s.name == "chat gpt-test"]
    tools = [s for s in spans if s.name == "tool ask"]
    inner = [s for s in spans if s.name == "chat echo-1"]
    assert len(turns) == 2 and len(tools) == 2 and len(inner) == 2
    agent_id = agent.get_span_context().span_id
    assert {s.parent.span_id for s in turns + tools} == {agent_id}  # type: ignore[union-attr]
    # Each tool's model call is a child of its own tool span (run in the runner's nursery).
    assert {by_id[s.parent.span_id].name for s in inner} == {"tool ask"}  # type: ignore[union-attr]
    assert len({s.parent.span_id for s in inner}) == 2  # type: ignore[union-attr]


def test_trio_copies_context_into_child_tasks() -> None:
    # What fan-out tracing relies on: each child task starts with a copy of its parent's
    # contextvars, so the current span at start_soon is the child's parent.
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: list[str] = []

    async def child() -> None:
        seen.append(var.get())
        var.set("child")  # a copy: the parent does not see it

    async def main() -> None:
        var.set("parent")
        async with trio.open_nursery() as nursery:
            nursery.start_soon(child)
            nursery.start_soon(child)
        seen.append(var.get())

    trio.run(main)
    assert seen == ["parent", "parent", "parent"]


def test_import_trio_openai_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, trio_openai\n"
        "c = trio_openai.OpenAI(api_key='x')\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.llama
async def test_llama_stream(llama_url: str, telemetry: Telemetry) -> None:
    async with (
        trio_openai.OpenAI(
            api_key="sk-none", base_url=llama_url, middleware=[_middleware(telemetry)]
        ) as client,
        await client.chat.completions.create(
            model="smollm2",
            messages=[{"role": "user", "content": "Count to five."}],
            max_tokens=12,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        ) as stream,
    ):
        chunks = [chunk async for chunk in stream]
    span = telemetry.only()
    attributes = _attrs(span)
    assert span.name == "chat smollm2"
    assert attributes["trio_openai.end_reason"] == "complete"
    assert attributes["gen_ai.response.id"] == chunks[0].id
    assert attributes["gen_ai.response.model"] == chunks[0].model
    assert attributes["gen_ai.response.finish_reasons"] == ["length"]
    assert attributes["gen_ai.usage.output_tokens"] == 12
    usage = chunks[-1].usage
    assert usage is not None
    assert attributes["gen_ai.usage.input_tokens"] == usage.prompt_tokens
    first = attributes["gen_ai.response.time_to_first_chunk"]
    assert isinstance(first, float) and first > 0
    (per_chunk,) = telemetry.points("gen_ai.client.operation.time_per_output_chunk")
    # One point per transport read after the first: a token stream's reads, about one per
    # token (two tokens read together when the reader falls behind).
    assert per_chunk.count >= 1
    assert per_chunk.sum <= (span.end_time - span.start_time) / 1e9  # type: ignore[operator]


async def test_docs_timeline_is_drawn_from_a_real_run() -> None:
    # docs/observability-fanout.svg comes from this code: 12 calls under one parent, one
    # retried after a 429, two streamed.
    import importlib.util

    spec = importlib.util.spec_from_file_location("otel_timeline", TIMELINE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    spans: list[ReadableSpan] = await module.run_fan_out()
    children = [s for s in spans if s.parent is not None]
    assert len(children) == 12
    assert sum(len(s.events) for s in children) == 1
    assert sum("gen_ai.response.time_to_first_chunk" in (s.attributes or {}) for s in children) == 2
    svg: str = module.draw(spans)
    assert svg.count("<rect x=") == 13
    assert svg.count("<circle") == 1
    assert svg.count('stroke="orange"') == 2


async def test_a_telemetry_failure_never_breaks_the_call(
    traced: trio_openai.OpenAI, telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trio_openai.otel import _attributes

    def broken(*args: object) -> None:
        raise RuntimeError("a bug in telemetry")

    monkeypatch.setattr(_attributes.ResponseFacts, "merge", broken)
    reply = await traced.chat.completions.create(
        model="echo-1", messages=[{"role": "user", "content": "a b"}]
    )
    assert reply.choices[0].message.content == "You said: a b"
    async with await traced.chat.completions.create(
        model="echo-1", messages=[{"role": "user", "content": "a b"}], stream=True
    ) as stream:
        assert len([chunk async for chunk in stream]) > 2
    # The spans still end, without the facts the broken code would have read.
    spans = telemetry.finished()
    assert [_attrs(s)["trio_openai.end_reason"] for s in spans] == ["complete", "complete"]
    assert all("gen_ai.response.id" not in _attrs(s) for s in spans)

    (middleware,) = traced.middleware
    assert isinstance(middleware, otel.OTelMiddleware)
    monkeypatch.setattr(middleware.tracer, "start_span", broken)
    reply = await traced.chat.completions.create(
        model="echo-1", messages=[{"role": "user", "content": "c d"}]
    )
    assert reply.choices[0].message.content == "You said: c d"
    assert len(telemetry.finished()) == 2  # no span for that call, and no error either
