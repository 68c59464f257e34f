"""OpenTelemetry spans of WebSocket sessions (Realtime, the Responses WebSocket).

The local WebSocket server plays the other side over a real socket; the SDK's in-memory
exporter receives the session span, whose attributes and events are asserted one by one:
a complete session, one that fails, one cancelled, one reconnected, content capture, and
nesting under the caller's span. Telemetry is off unless the client has the middleware.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import pytest
import trio
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import trio_openai
from trio_openai import otel
from trio_openai._realtime import RealtimeConnection, RealtimeConnectionError
from trio_openai._ws_reconnect import ReconnectingEvent, WebSocketInterruptedError
from trio_openai.testing._ws_server import WebSocketTestServer, WsAction, open_ws_server

KEY = "sk-test-WS-SECRET-0123456789"
HELLO = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi all"}]}
SENT = "trio_openai.websocket.sent"
RECEIVED = "trio_openai.websocket.received"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider
    provider.shutdown()


@pytest.fixture
async def server() -> AsyncIterator[WebSocketTestServer]:
    async with open_ws_server() as s:
        yield s


def _client(
    server: WebSocketTestServer, provider: TracerProvider, *, capture: bool = False
) -> trio_openai.OpenAI:
    client = trio_openai.OpenAI(api_key=KEY, base_url=server.base_url, organization="org-SECRET")
    return otel.instrument(client, tracer_provider=provider, capture_content=capture)


def _only(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def _events(span: ReadableSpan, name: str) -> list[dict[str, Any]]:
    return [dict(e.attributes or {}) for e in span.events if e.name == name]


def _types(span: ReadableSpan, name: str) -> list[object]:
    return [e["openai.event.type"] for e in _events(span, name)]


def _server(server: WebSocketTestServer) -> dict[str, object]:
    host, port = server.base_url.removeprefix("http://").split("/")[0].split(":")
    return {"server.address": host, "server.port": int(port)}


async def _turn(conn: RealtimeConnection, seen: list[str]) -> None:
    """One user message and its whole response; every event read goes to `seen`."""
    await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
    await conn.conversation.item.create(item=HELLO)
    await conn.response.create()
    async for event in conn:
        seen.append(event.type)
        if event.type == "response.done":
            return


async def test_a_realtime_session_is_one_span_with_its_events(
    server: WebSocketTestServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    seen: list[str] = []
    async with (
        _client(server, provider) as client,
        client.realtime.connect(model="gpt-realtime") as conn,
    ):
        await _turn(conn, seen)
        await _turn(conn, seen)
    span = _only(exporter)
    assert span.name == "realtime gpt-realtime"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    # The server's echo counts words: "hi all" in, "You said: hi all" out, per response.
    assert dict(span.attributes or {}) == {
        "gen_ai.operation.name": "realtime",
        "gen_ai.provider.name": "openai",
        "openai.api.type": "realtime",
        "gen_ai.request.model": "gpt-realtime",
        **_server(server),
        "gen_ai.usage.input_tokens": 2 + 2,
        "gen_ai.usage.output_tokens": 4 + 4,
        "trio_openai.websocket.events_sent": 6,
        "trio_openai.websocket.events_received": len(seen),
        "trio_openai.websocket.responses": 2,
        "trio_openai.websocket.reconnects": 0,
        "trio_openai.websocket.close_code": 1000,
        "trio_openai.end_reason": "complete",
    }
    turn = ["session.update", "conversation.item.create", "response.create"]
    assert _types(span, SENT) == turn * 2 == server.sessions[0].types()
    assert _types(span, RECEIVED) == seen
    assert seen[0] == "session.created" and seen.count("response.done") == 2
    # Without content capture an event says its type, nothing else.
    assert all(e == {"openai.event.type": e["openai.event.type"]} for e in _events(span, SENT))
    assert all(set(e) == {"openai.event.type"} for e in _events(span, RECEIVED))
    assert span.end_time is not None and span.start_time is not None


async def test_a_responses_websocket_session_takes_its_model_from_the_first_response(
    server: WebSocketTestServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    seen: list[str] = []
    async with _client(server, provider) as client, client.responses.connect() as ws:
        for text in ("one two", "three"):
            async with ws.create(model="gpt-5.2", input=text) as stream:
                seen += [event.type async for event in stream]
    span = _only(exporter)
    assert span.name == "responses gpt-5.2"
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes or {}) == {
        "gen_ai.operation.name": "responses",
        "gen_ai.provider.name": "openai",
        "openai.api.type": "responses",
        "gen_ai.request.model": "gpt-5.2",
        "gen_ai.response.model": "gpt-5.2",
        **_server(server),
        "gen_ai.usage.input_tokens": 2 + 1,
        "gen_ai.usage.output_tokens": 4 + 3,
        "gen_ai.usage.cache_read.input_tokens": 0,
        "gen_ai.usage.reasoning.output_tokens": 0,
        "trio_openai.websocket.events_sent": 2,
        "trio_openai.websocket.events_received": len(seen),
        "trio_openai.websocket.responses": 2,
        "trio_openai.websocket.reconnects": 0,
        "trio_openai.websocket.close_code": 1000,
        "trio_openai.end_reason": "complete",
    }
    assert _types(span, SENT) == ["response.create", "response.create"]
    assert _types(span, RECEIVED) == seen
    assert seen.count("response.completed") == 2


async def test_a_session_that_raises_ends_its_span_with_the_error(
    server: WebSocketTestServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    server.on_message("response.create", WsAction.close(1011, "boom"))
    async with _client(server, provider) as client:
        with pytest.raises(RealtimeConnectionError):
            async with client.realtime.connect(model="gpt-realtime") as conn:
                await conn.response.create()
                async for _ in conn:
                    pass  # the server closes with 1011: the iterator raises
    span = _only(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "RealtimeConnectionError"
    attrs = dict(span.attributes or {})
    assert attrs["error.type"] == "RealtimeConnectionError"
    assert attrs["trio_openai.end_reason"] == "error"
    assert attrs["trio_openai.websocket.close_code"] == 1011
    assert attrs["trio_openai.websocket.responses"] == 0
    assert "gen_ai.usage.input_tokens" not in attrs
    assert _types(span, SENT) == ["response.create"]
    assert _types(span, RECEIVED) == ["session.created"]


async def test_a_refused_handshake_is_a_span_with_the_status_error(
    server: WebSocketTestServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    server.reject_next(401, {"error": {"message": "bad key", "code": "invalid_api_key"}})
    async with _client(server, provider) as client:
        with pytest.raises(trio_openai.AuthenticationError):
            async with client.realtime.connect(model="gpt-realtime"):
                pass
    span = _only(exporter)
    attrs = dict(span.attributes or {})
    assert (attrs["error.type"], attrs["trio_openai.end_reason"]) == (
        "AuthenticationError",
        "error",
    )
    assert span.status.status_code is StatusCode.ERROR
    assert attrs["trio_openai.websocket.events_received"] == 0
    assert "trio_openai.websocket.close_code" not in attrs
    assert span.events == ()


async def test_an_error_event_is_an_event_with_its_code(
    server: WebSocketTestServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    server.on_message("response.create", WsAction.error("slow down", code="rate_limit"))
    async with (
        _client(server, provider) as client,
        client.realtime.connect(model="gpt-realtime", raise_errors=False) as conn,
    ):
        await conn.response.create()
        async for event in conn:
            if event.type == "error":
                break
    span = _only(exporter)
    assert _events(span, RECEIVED)[-1] == {"openai.event.type": "error", "error.type": "rate_limit"}
    # The session went on: an error event is not the session's end.
    assert dict(span.attributes or {})["trio_openai.end_reason"] == "complete"
    assert span.status.status_code is StatusCode.UNSET


async def test_a_cancelled_session_ends_its_span_as_cancelled(
    server: WebSocketTestServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    server.on_message("response.create", WsAction.stall())
    async with _client(server, provider) as client:
        with trio.CancelScope() as scope:
            async with client.realtime.connect(model="gpt-realtime") as conn:
                await conn.response.create()
                scope.cancel()  # as a deadline would, while the block waits for events
                async for _ in conn:
                    pass
    assert scope.cancelled_caught
    span = _only(exporter)
    attrs = dict(span.attributes or {})
    assert attrs["trio_openai.end_reason"] == "cancelled"
    assert "error.type" not in attrs
    assert span.status.status_code is StatusCode.UNSET  # cancelling is no failure
    assert attrs["trio_openai.websocket.close_code"] == 1000  # the block still closed it
    assert _types(span, SENT) == ["response.create"]


async def test_a_cancelled_responses_websocket_session_ends_as_cancelled(
    server: WebSocketTestServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    server.on_message("response.create", WsAction.stall())
    async with _client(server, provider) as client:
        with trio.CancelScope() as scope:
            async with client.responses.connect() as ws, ws.create(model="m", input="x") as s:
                scope.cancel()
                await s.until_done()
    assert scope.cancelled_caught
    span = _only(exporter)
    assert dict(span.attributes or {})["trio_openai.end_reason"] == "cancelled"
    assert span.name == "responses m"


async def test_reconnections_are_events(
    server: WebSocketTestServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    server.drop_next_after(1)  # the first connection drops after session.created

    def retry(event: ReconnectingEvent) -> None:
        return None

    async with (
        _client(server, provider) as client,
        client.realtime.connect(
            model="m", on_reconnecting=retry, initial_delay=0.001, max_delay=0.001
        ) as conn,
    ):
        await conn.session.update(session={"type": "realtime", "instructions": "brief"})
        with pytest.raises(WebSocketInterruptedError):
            while True:
                await conn.recv()
        while (await conn.recv()).type != "session.updated":
            pass  # the session.update replayed on the new connection
    span = _only(exporter)
    names = [e.name for e in span.events]
    assert "trio_openai.websocket.reconnecting" in names
    reconnecting = _events(span, "trio_openai.websocket.reconnecting")
    assert reconnecting == [
        {
            "trio_openai.attempt": 1,
            "trio_openai.retry.delay": reconnecting[0]["trio_openai.retry.delay"],
            "trio_openai.websocket.close_code": 1006,
        }
    ]
    assert 0 < reconnecting[0]["trio_openai.retry.delay"] <= 0.001
    assert names.index("trio_openai.websocket.reconnecting") < names.index(
        "trio_openai.websocket.reconnected"
    )
    assert dict(span.attributes or {})["trio_openai.websocket.reconnects"] == 1


async def test_a_session_nests_under_the_callers_span(
    server: WebSocketTestServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    tracer = provider.get_tracer("app")
    async with _client(server, provider) as client:
        with tracer.start_as_current_span("voice turn") as parent:

            async def one(n: int) -> None:
                async with client.realtime.connect(model=f"m{n}") as conn:
                    await conn.recv()

            async with trio.open_nursery() as nursery:
                for n in range(3):
                    nursery.start_soon(one, n)
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"voice turn", "realtime m0", "realtime m1", "realtime m2"}
    for n in range(3):
        child = spans[f"realtime m{n}"]
        assert child.parent is not None
        assert child.parent.span_id == parent.get_span_context().span_id
        assert child.context is not None
        assert child.context.trace_id == parent.get_span_context().trace_id


async def test_content_is_recorded_only_when_asked_without_audio_or_secrets(
    server: WebSocketTestServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    async with (
        _client(server, provider, capture=True) as client,
        client.realtime.connect(model="gpt-realtime") as conn,
    ):
        await conn.input_audio_buffer.append(audio="QUJD" * 100)
        await conn.conversation.item.create(item=HELLO)
        while (await conn.recv()).type != "conversation.item.created":
            pass
    span = _only(exporter)
    sent = _events(span, SENT)
    assert [json.loads(e["trio_openai.event.content"]) for e in sent] == [
        {"type": "input_audio_buffer.append", "audio": "<omitted>"},
        {"type": "conversation.item.create", "item": HELLO},
    ]
    received = {e["openai.event.type"]: e for e in _events(span, RECEIVED)}
    created = json.loads(received["conversation.item.created"]["trio_openai.event.content"])
    assert created["item"]["content"] == HELLO["content"]
    # Credentials of the handshake are in no attribute or event.
    everything = repr(dict(span.attributes or {})) + repr([e.attributes for e in span.events])
    assert KEY not in everything and "SECRET" not in everything


def test_secrets_are_removed_from_captured_content() -> None:
    from trio_openai.otel._session import event_content

    event: Mapping[str, object] = {
        "type": "session.created",
        "session": {"client_secret": {"value": "ek_123"}, "model": "m"},
    }
    assert json.loads(event_content(event, "session.created")) == {
        "type": "session.created",
        "session": {"client_secret": "<omitted>", "model": "m"},
    }


def test_without_the_middleware_a_session_imports_no_opentelemetry() -> None:
    code = """
import sys, trio, trio_openai
from trio_openai.testing._ws_server import open_ws_server

async def main():
    async with open_ws_server() as server:
        async with trio_openai.OpenAI(api_key="k", base_url=server.base_url) as client:
            async with client.realtime.connect(model="m") as conn:
                await conn.recv()
            async with client.responses.connect() as ws, ws.create(model="m", input="x") as s:
                await s.until_done()
    assert not [m for m in sys.modules if m.startswith("opentelemetry")], "imported"

trio.run(main)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
