"""Replay side of cassettes: an `httpx.Response` rebuilt from an `Exchange`, in trio time.

Each stream event is released at its recorded offset with `trio.sleep_until`, counted from
when the replayed headers were handed over, so under `trio.testing.MockClock(autojump_threshold=0)`
a recorded 30-second stream takes no wall time and every gap is exact in virtual time: the
client's idle and first-event limits, which are trio deadlines too, see the recorded gaps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import trio

from ._cassette_format import Exchange, StreamEvent

__all__ = ["replay_response"]


class _TimedEvents(httpx.AsyncByteStream):
    def __init__(self, events: tuple[StreamEvent, ...], start: float) -> None:
        self._events = events
        self._start = start
        self._next = 0
        self._closed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self._closed or self._next >= len(self._events):
            raise StopAsyncIteration
        event = self._events[self._next]
        await trio.sleep_until(self._start + event.at)
        self._next += 1
        return event.wire

    async def aclose(self) -> None:
        self._closed = True


class _Body(httpx.AsyncByteStream):
    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data or None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        data, self._data = self._data, None
        if data is None:
            raise StopAsyncIteration
        await trio.lowlevel.checkpoint()
        return data

    async def aclose(self) -> None:
        self._data = None


def replay_response(exchange: Exchange, request: httpx.Request) -> httpx.Response:
    """The recorded response, its body unread (as a middleware's `call_next` returns it)."""
    recorded = exchange.response
    headers = list(recorded.headers.items())
    stream: httpx.AsyncByteStream
    if recorded.events is not None:
        stream = _TimedEvents(recorded.events, trio.current_time())
    else:
        body = recorded.body.to_bytes()
        stream = _Body(body)
        headers.append(("content-length", str(len(body))))
    return httpx.Response(recorded.status, headers=headers, stream=stream, request=request)
