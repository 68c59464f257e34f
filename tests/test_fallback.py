"""Fallback endpoints over real sockets: a dead or failing first endpoint moves calls to the
next with no lost call; a breaker stops trying it for a while; streams fall back only before
their first event; the raw response names the endpoint that served."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Final

import pytest
import trio

import trio_openai
from trio_openai.testing import LocalServer, Reply, open_local_server

OK: Final[dict[str, object]] = {"object": "list", "data": []}


def dead_base_url() -> str:
    """A base URL nothing listens on (a port just bound and released): connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
async def second() -> AsyncIterator[LocalServer]:
    async with open_local_server() as server:
        server.script("GET", "/v1/models", Reply.json(OK))
        yield server


async def test_dead_first_endpoint_loses_no_call(second: LocalServer) -> None:
    async with trio_openai.OpenAI(
        api_key="sk-test",
        base_url=dead_base_url(),
        fallback_base_urls=[second.base_url],
        max_retries=1,
    ) as client:
        results: list[object] = []

        async def call() -> None:
            results.append(await client.get("/models"))

        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:
                for _ in range(50):
                    nursery.start_soon(call)
        assert results == [OK] * 50
        stats = client.statistics()
        assert stats["endpoint_1_served"] == 50
        assert stats["endpoint_0_served"] == 0
        assert stats["breakers_open"] == 1
    assert len(second.requests) == 50


async def test_breaker_skips_a_failing_endpoint_then_tries_it_again(
    local_server: LocalServer, second: LocalServer
) -> None:
    local_server.script("GET", "/v1/models", Reply.error(503))
    async with trio_openai.OpenAI(
        api_key="sk-test",
        base_url=local_server.base_url,
        fallback_base_urls=[second.base_url],
        max_retries=0,
        circuit_failure_threshold=3,
        circuit_reset_after=0.3,
    ) as client:
        for _ in range(10):
            assert await client.get("/models") == OK
        assert len(local_server.requests) == 3  # then the breaker opened
        assert client.statistics()["fallbacks"] == 3
        await trio.sleep(0.35)
        local_server.script("GET", "/v1/models", Reply.json({"from": "first"}))
        assert await client.get("/models") == {"from": "first"}  # half-open: tried, closed
        assert client.statistics()["breakers_open"] == 0
    assert len(second.requests) == 10


async def test_raw_response_names_the_endpoint(
    local_server: LocalServer, second: LocalServer
) -> None:
    local_server.script("GET", "/v1/models", Reply.error(500))
    async with trio_openai.OpenAI(
        api_key="sk-test",
        base_url=local_server.base_url,
        fallback_base_urls=[second.base_url],
        max_retries=0,
    ) as client:
        raw = await client.with_raw_response.get("/models")
        assert raw.url.port == second.port
        assert raw.http_response.extensions["trio_openai.endpoint"] == second.base_url
        local_server.script("GET", "/v1/models", Reply.json(OK))
        raw = await client.with_raw_response.get("/models")
        assert raw.http_response.extensions["trio_openai.endpoint"] == local_server.base_url


async def test_client_errors_do_not_fall_back(
    local_server: LocalServer, second: LocalServer
) -> None:
    local_server.script("GET", "/v1/models", Reply.error(400, message="bad model"))
    async with trio_openai.OpenAI(
        api_key="sk-test", base_url=local_server.base_url, fallback_base_urls=[second.base_url]
    ) as client:
        with pytest.raises(trio_openai.BadRequestError, match="bad model"):
            await client.get("/models")
    assert second.requests == []


async def test_stream_falls_back_before_its_first_event_only(
    local_server: LocalServer, second: LocalServer
) -> None:
    events = [{"type": "delta", "n": n} for n in range(5)]
    local_server.script("POST", "/v1/things", Reply.error(503))
    second.script("POST", "/v1/things", Reply.sse(events))
    async with trio_openai.OpenAI(
        api_key="sk-test",
        base_url=local_server.base_url,
        fallback_base_urls=[second.base_url],
        max_retries=0,
    ) as client:
        async with await client.post("/things", body={}, stream=True) as stream:
            assert [e async for e in stream] == events
        assert stream.response.url.port == second.port
        # Cut after two events on the first endpoint: no fallback, the error stands.
        local_server.script("POST", "/v1/things", Reply.sse(events, reset_after=2))
        second.requests.clear()
        got: list[object] = []
        with pytest.raises(trio_openai.APIConnectionError):
            async with await client.post("/things", body={}, stream=True) as stream:
                async for event in stream:
                    got.append(event)
        assert got == events[:2]
    assert second.requests == []


def test_bad_breaker_threshold_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="circuit_failure_threshold"):
        trio_openai.OpenAI(
            api_key="sk-test", fallback_base_urls=["http://x/v1"], circuit_failure_threshold=0
        )


def test_breakers_open_close_and_never_leave_no_endpoint() -> None:
    """Pure policy, with an injected clock."""
    from trio_openai._endpoints import Endpoints

    now = [0.0]
    endpoints = Endpoints(
        ["http://a/v1", "http://b/v1/"], failure_threshold=2, reset_after=10, clock=lambda: now[0]
    )
    assert endpoints.rebase("http://a/v1/models?x=1", 1) == "http://b/v1/models?x=1"
    assert endpoints.rebase("http://elsewhere/v1/models", 1) is None
    endpoints.record_failure(0)
    assert endpoints.order() == [0, 1]  # one failure: still closed
    endpoints.record_failure(0)
    assert endpoints.order() == [1]
    endpoints.record_failure(1)
    endpoints.record_failure(1)
    assert endpoints.order() == [0, 1]  # all open: try every endpoint rather than none
    now[0] = 10.0
    assert not endpoints.is_open(0)  # half-open: one call may try it
    endpoints.record_success(0)  # closes it
    endpoints.record_failure(1)  # the half-open try failed: open again, from now
    now[0] = 15.0
    assert endpoints.order() == [0]
    assert endpoints.statistics()["breakers_open"] == 1


async def test_background_stream_resumes_and_cancels_on_the_endpoint_that_served_it(
    local_server: LocalServer, second: LocalServer
) -> None:
    from trio_openai.lib import ResponseStreamManager

    body = {"model": "echo-1", "input": "a b c d e", "background": True}
    local_server.script("POST", "/v1/responses", Reply.error(503))
    second.background.faults.append(("reset", 4))
    async with trio_openai.OpenAI(
        api_key="sk-test",
        base_url=local_server.base_url,
        fallback_base_urls=[second.base_url],
        max_retries=0,
        circuit_failure_threshold=100,
    ) as client:
        async with ResponseStreamManager(client, body) as stream:
            events = [event.to_dict() async for event in stream]
        assert stream.resumes == 1
        assert stream.response_id is not None
        assert events == second.background.events[stream.response_id]
        async with ResponseStreamManager(client, body) as stream:
            await stream.__anext__()  # left early: cancelled where it runs
        assert second.background.cancels == [stream.response_id]
    assert [r.method for r in local_server.requests] == ["POST", "POST"]
