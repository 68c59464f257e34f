"""Streams over real sockets: decoding, ends, errors, limits, and the connection's release."""

from __future__ import annotations

import random

import pytest
import trio

import trio_openai
from trio_openai.testing import LocalServer, Reply

EVENTS = [{"i": i, "text": f"tok{i}"} for i in range(5)]


async def collect(stream: trio_openai.Stream) -> list:  # type: ignore[type-arg]
    return [event async for event in stream]


async def test_events_decode_and_done_keeps_connection(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/s", Reply.sse(EVENTS))
    for _ in range(3):
        async with client.stream("POST", "/s", body={}) as stream:
            assert await collect(stream) == EVENTS
            assert stream.response.status_code == 200
            assert stream.request_id is not None
    assert local_server.requests[-1].headers["accept"] == "text/event-stream"
    assert local_server.connections_opened == 1  # [DONE] left the connection reusable
    assert client.statistics()["busy"] == 0


async def test_decode_function_types_each_event(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/s", Reply.sse(EVENTS))
    async with client.stream("GET", "/s", decode=lambda d: d["text"]) as stream:
        assert await collect(stream) == [f"tok{i}" for i in range(5)]


async def test_eof_without_done_ends_cleanly(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/s", Reply.sse(EVENTS, done=False))
    async with client.stream("GET", "/s") as stream:
        assert await collect(stream) == EVENTS


async def test_event_done_ends_like_steady(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    raw = [
        b'event: message\ndata: {"a": 1}\n\n',
        b"event: done\ndata: {}\n\n",
        b'data: {"late": 1}\n\n',
    ]
    local_server.script("GET", "/v1/s", Reply.sse(raw, done=False))
    async with client.stream("GET", "/s") as stream:
        assert await collect(stream) == [{"a": 1}]


async def test_events_without_data_and_comments_are_skipped(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    raw = [b": keep-alive\n\n", b"event: ping\n\n", b"id: 7\nretry: 10\n\n", b'data: {"a": 1}\n\n']
    local_server.script("GET", "/v1/s", Reply.sse(raw))
    async with client.stream("GET", "/s") as stream:
        assert await collect(stream) == [{"a": 1}]


async def test_error_event_raises_stream_error(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    raw = [
        b'data: {"a": 1}\n\n',
        b'event: error\ndata: {"message": "overloaded", "code": "server_error"}\n\n',
    ]
    local_server.script("GET", "/v1/s", Reply.sse(raw))
    async with client.stream("GET", "/s") as stream:
        assert await stream.__anext__() == {"a": 1}
        with pytest.raises(trio_openai.StreamError, match="overloaded") as info:
            await stream.__anext__()
    assert info.value.code == "server_error"


async def test_top_level_error_object_raises(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "GET", "/v1/s", Reply.sse([{"error": {"message": "boom", "type": "server_error"}}])
    )
    with pytest.raises(trio_openai.StreamError, match="boom"):
        async with client.stream("GET", "/s") as stream:
            await collect(stream)
    assert client.statistics()["busy"] == 0


async def test_malformed_event_is_typed_and_keeps_earlier_events(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/s", Reply.sse([{"a": 1}, b"data: {broken\n\n"]))
    got = []
    with pytest.raises(trio_openai.APIResponseValidationError):
        async with client.stream("GET", "/s") as stream:
            async for event in stream:
                got.append(event)
    assert got == [{"a": 1}]


async def test_invalid_utf8_event_is_typed(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/s", Reply.sse([b'data: {"a": "\xff\xfe"}\n\n']))
    with pytest.raises(trio_openai.APIResponseValidationError):
        async with client.stream("GET", "/s") as stream:
            await collect(stream)


async def test_oversized_event_is_typed(local_server: LocalServer) -> None:
    big = b'data: "' + b"x" * 200_000 + b'"\n\n'
    local_server.script("GET", "/v1/s", Reply.sse([big]))
    async with trio_openai.OpenAI(
        api_key="k", base_url=local_server.base_url, max_event_size=64 * 1024
    ) as c:
        with pytest.raises(trio_openai.EventTooLargeError):
            async with c.stream("GET", "/s") as stream:
                await collect(stream)
        assert c.statistics()["busy"] == 0


async def test_reset_mid_stream_is_a_connection_error(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/s", Reply.sse(EVENTS, reset_after=2))
    got = []
    with pytest.raises(trio_openai.APIConnectionError):
        async with client.stream("GET", "/s") as stream:
            async for event in stream:
                got.append(event)
    assert got == EVENTS[:2]


async def test_idle_limit_between_events(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/s", Reply.sse(EVENTS, stall_after=2))
    timeout = trio_openai.Timeout(idle=0.2)
    got = []
    with pytest.raises(trio_openai.APITimeoutError, match="between events"):
        async with client.stream("GET", "/s", timeout=timeout) as stream:
            async for event in stream:
                got.append(event)
    assert got == EVENTS[:2]


async def test_first_event_limit(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    local_server.script("GET", "/v1/s", Reply.sse(EVENTS, stall_after=0))
    with pytest.raises(trio_openai.APITimeoutError, match="first event"):
        async with client.stream(
            "GET", "/s", timeout=trio_openai.Timeout(first_event=0.2)
        ) as stream:
            await collect(stream)


async def test_status_error_before_stream_is_retried_then_raised(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "GET", "/v1/s", Reply.error(500, headers={"retry-after-ms": "1"}), Reply.sse(EVENTS)
    )
    async with client.stream("GET", "/s") as stream:
        assert await collect(stream) == EVENTS
    local_server.script("GET", "/v1/s", Reply.error(401))
    with pytest.raises(trio_openai.AuthenticationError):
        async with client.stream("GET", "/s"):
            raise AssertionError("not reached")


async def test_break_releases_the_connection(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/s", Reply.sse([{"i": i} for i in range(1000)], pace=0.001))
    async with client.stream("GET", "/s") as stream:
        async for event in stream:
            if event["i"] == 3:
                break
    assert client.statistics()["busy"] == 0
    await local_server.wait_open_connections(0)


async def test_post_with_stream_true_returns_a_stream_sent_at_block_entry(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/s", Reply.sse(EVENTS))
    stream = await client.post("/s", body={"x": 1}, stream=True)
    assert local_server.requests == []
    async with stream:
        assert await collect(stream) == EVENTS


async def test_thousand_streams_cancelled_at_random_points(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/s", Reply.sse([{"i": i} for i in range(30)], pace=0.0005))
    rng = random.Random(1234)
    completed = cancelled = 0

    async def one(limit: float) -> None:
        nonlocal completed, cancelled
        with trio.move_on_after(limit) as scope:
            async with client.stream("GET", "/s") as stream:
                async for _ in stream:
                    pass
            completed += 1
        cancelled += scope.cancelled_caught

    async with trio.open_nursery() as nursery:
        for n in range(1000):
            # every third stream runs to its end; the others are cancelled somewhere
            nursery.start_soon(one, float("inf") if n % 3 == 0 else rng.uniform(0.0, 0.5))
    stats = client.statistics()
    assert stats["busy"] == 0 and stats["waiting"] == 0
    assert completed + cancelled == 1000
    assert completed >= 334 and cancelled > 0
    # and the client still works afterwards
    async with client.stream("GET", "/s") as stream:
        assert len(await collect(stream)) == 30
