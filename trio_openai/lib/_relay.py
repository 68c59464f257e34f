# pyright: strict
"""Relay a model's text stream to a browser: frames, backpressure, cancellation.

    async with client.responses.stream(model=..., input=prompt) as stream:
        await relay_sse(stream, receive, send)          # inside an ASGI handler

Three policies, each the one a token-streaming UI needs and usually writes by hand:

- Frames. Deltas are coalesced into frames sent at most `max_fps` times a second. A frame
  goes out at once when the previous one is older than ``1 / max_fps``, so the first token
  (and the first after a pause) is never delayed; tokens that arrive faster wait for the
  next frame slot and travel together. A browser repaints at ~60 Hz: more frames than that
  cost CPU on both ends and show nothing more.
- Backpressure. When the browser reads slower than the model writes, ``send`` blocks and
  text keeps collecting into the next frame (coalesce further). Text is never dropped. The
  backlog is bounded by `max_pending_chars`: past it the relay stops reading the upstream
  stream, so TCP flow control slows the model's connection instead of memory growing. A
  browser that accepts nothing for `send_timeout` seconds is given up on ("slow_client").
- Cancellation. When the browser disconnects or asks to stop, the upstream stream is closed
  at once (its connection is released, not returned to the pool half-read), whatever the
  relay was waiting on. The relay owns the stream's closing; the caller's ``async with``
  around the stream still runs and finds it closed.

The relay is framework-agnostic: `relay_text` takes an async ``send(frame)`` callable and an
optional ``stopped()`` awaitable; `relay_sse` and `relay_websocket` adapt it to ASGI, which
hypercorn's trio worker (and any trio ASGI server) speaks.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Final, Literal, NotRequired, Protocol, TypedDict, cast, final

import attrs
import orjson
import trio

from .._errors import OpenAIError

__all__ = [
    "ASGIReceive",
    "ASGISend",
    "RelayFrame",
    "RelayResult",
    "TextDeltaStream",
    "relay_sse",
    "relay_text",
    "relay_websocket",
]

RelayEnd = Literal["completed", "stopped", "disconnected", "slow_client", "error"]
"""Why a relay ended: the reply was complete, the browser pressed stop, the browser went away,
the browser accepted nothing for `send_timeout`, or the upstream stream failed."""


class HTTPResponseStart(TypedDict):
    """The ASGI ``http.response.start`` message (as the ASGI spec and hypercorn type it)."""

    type: Literal["http.response.start"]
    status: int
    headers: Iterable[tuple[bytes, bytes]]
    trailers: NotRequired[bool]


class HTTPResponseBody(TypedDict):
    type: Literal["http.response.body"]
    body: bytes
    more_body: bool


class WebSocketSend(TypedDict):
    type: Literal["websocket.send"]
    bytes: bytes | None
    text: str | None


ASGISend = Callable[[HTTPResponseStart | HTTPResponseBody | WebSocketSend], Awaitable[None]]
"""An ASGI ``send`` callable: any server's (hypercorn's included) fits."""
ASGIReceive = Callable[[], Awaitable[Mapping[str, object]]]
"""An ASGI ``receive`` callable."""

_PEER_GONE: Final = (trio.BrokenResourceError, trio.ClosedResourceError, ConnectionError)
_CLOSE_GRACE: Final = 5.0  # seconds the shielded upstream close may take before it is abandoned


class TextDeltaStream(Protocol):
    """What the relay reads: `ResponseStream` and `ChatCompletionStream` both fit."""

    def text_deltas(self) -> AsyncIterator[str]: ...

    async def aclose(self) -> None: ...


@final
@attrs.frozen(kw_only=True)
class RelayFrame:
    """One message to the browser.

    ``kind`` is "delta" (``text`` holds one or more coalesced deltas), "done" (``reason``
    says why the relay ended) or "error" (``text`` is the upstream error's message).
    ``received_at`` is the wall-clock time (Unix seconds) the oldest delta of the frame was
    read from upstream: a browser can compare it with its own clock to measure latency.
    """

    kind: Literal["delta", "done", "error"]
    seq: int
    text: str = ""
    deltas: int = 0
    received_at: float = 0.0
    reason: RelayEnd | None = None

    def to_json(self) -> bytes:
        """The frame as the JSON the SSE and WebSocket adapters send."""
        payload: dict[str, object] = {"type": self.kind, "seq": self.seq}
        if self.kind == "delta":
            payload["text"] = self.text
            payload["deltas"] = self.deltas
            payload["t"] = round(self.received_at * 1000.0, 3)
        elif self.kind == "error":
            payload["message"] = self.text
        else:
            payload["reason"] = self.reason
        return orjson.dumps(payload)


@final
@attrs.frozen(kw_only=True)
class RelayResult:
    """How a relay went: why it ended and what it carried."""

    reason: RelayEnd
    frames: int
    """Delta and error frames the browser accepted (the closing "done" frame not counted)."""
    deltas: int
    chars: int
    max_backlog_chars: int
    """The largest amount of text that waited for the browser at once (coalescing depth)."""
    error: OpenAIError | None = None


@final
class _Relay:
    """The state shared by the reader (upstream) and the writer (browser) of one relay."""

    def __init__(self, max_fps: float, max_pending_chars: int, send_timeout: float) -> None:
        self.interval = 1.0 / max_fps
        self.max_pending = max_pending_chars
        self.send_timeout = send_timeout
        self.pending: list[str] = []
        self.pending_chars = 0
        self.oldest_at = 0.0
        self.upstream_done = False
        self.changed = trio.Event()
        self.drained = trio.Event()
        self.reason: RelayEnd | None = None
        self.error: OpenAIError | None = None
        self.frames = 0
        self.deltas = 0
        self.chars = 0
        self.max_backlog = 0

    def _wake(self) -> None:
        self.changed.set()
        self.changed = trio.Event()

    async def read(self, source: TextDeltaStream) -> None:
        try:
            async for delta in source.text_deltas():
                if not delta:
                    continue
                while self.pending_chars >= self.max_pending:
                    self.drained = trio.Event()
                    await self.drained.wait()
                if not self.pending:
                    self.oldest_at = time.time()
                self.pending.append(delta)
                self.pending_chars += len(delta)
                self.deltas += 1
                self.max_backlog = max(self.max_backlog, self.pending_chars)
                self._wake()
        except OpenAIError as exc:
            self.error = exc
        self.upstream_done = True
        self._wake()

    async def write(self, send: Callable[[RelayFrame], Awaitable[None]]) -> RelayEnd:
        next_slot = -math.inf
        while True:
            while not self.pending and not self.upstream_done:
                await self.changed.wait()
            if self.pending and trio.current_time() < next_slot:
                await trio.sleep_until(next_slot)  # more text may join this frame meanwhile
            if not self.pending:
                break
            text = "".join(self.pending)
            frame = RelayFrame(
                kind="delta",
                seq=self.frames,
                text=text,
                deltas=len(self.pending),
                received_at=self.oldest_at,
            )
            self.pending.clear()
            self.pending_chars = 0
            self.drained.set()
            next_slot = trio.current_time() + self.interval
            if not await self._send(send, frame):
                return self.reason or "disconnected"
            self.chars += len(text)
        if self.error is not None:
            if not await self._send(
                send, RelayFrame(kind="error", seq=self.frames, text=str(self.error))
            ):
                return self.reason or "disconnected"
            return "error"
        return "completed"

    async def _send(self, send: Callable[[RelayFrame], Awaitable[None]], frame: RelayFrame) -> bool:
        with trio.move_on_after(self.send_timeout) as scope:
            try:
                await send(frame)
            except _PEER_GONE:
                self.reason = "disconnected"
                return False
        if scope.cancelled_caught:
            self.reason = "slow_client"
            return False
        self.frames += 1
        return True


async def relay_text(
    source: TextDeltaStream,
    send: Callable[[RelayFrame], Awaitable[None]],
    *,
    stopped: Callable[[], Awaitable[Literal["stopped", "disconnected"]]] | None = None,
    max_fps: float = 30.0,
    max_pending_chars: int = 1 << 20,
    send_timeout: float = 30.0,
) -> RelayResult:
    """Send `source`'s text deltas to `send` as coalesced frames, then a "done" frame.

    `stopped`, when given, is awaited alongside: when it returns ("stopped" or
    "disconnected"), the relay ends at once. Whatever ends the relay (completion, stop,
    disconnect, a slow client, an upstream error, cancellation of the caller), `source` is
    closed before this returns, so its HTTP connection is released then and there. A "done"
    frame (or an "error" frame) is sent unless the browser is gone.

    `send` raising `trio.BrokenResourceError`, `trio.ClosedResourceError` or
    `ConnectionError` means the browser disconnected; other exceptions propagate (after the
    upstream is closed), never wrapped in an ExceptionGroup. An `OpenAIError` from the
    upstream becomes an "error" frame and `RelayResult.error`.
    """
    if not max_fps > 0:
        raise ValueError(f"relay_text(max_fps={max_fps!r}): give a positive frame rate, e.g. 30")
    if max_pending_chars < 1:
        raise ValueError(
            f"relay_text(max_pending_chars={max_pending_chars!r}): give a positive bound, e.g. 1 << 20"
        )
    relay = _Relay(max_fps, max_pending_chars, send_timeout)
    outcome: list[RelayEnd] = []
    failures: list[Exception] = []

    async def guarded(
        task: Callable[[], Awaitable[RelayEnd | None]], cancel: trio.CancelScope
    ) -> None:
        """Run one side; the first to finish (or fail) ends the others."""
        try:
            end = await task()
        except Exception as exc:  # re-raised below, outside the nursery (no ExceptionGroup)
            failures.append(exc)
            cancel.cancel()
            return
        if end is not None:
            outcome.append(end)
            cancel.cancel()

    try:
        async with trio.open_nursery() as nursery:
            scope = nursery.cancel_scope
            nursery.start_soon(guarded, functools.partial(relay.read, source), scope)
            nursery.start_soon(guarded, functools.partial(relay.write, send), scope)
            if stopped is not None:
                nursery.start_soon(guarded, stopped, scope)
    finally:
        # Released at once, even when the caller is being cancelled: a half-read response
        # must not keep its connection (or the model's generation) alive.
        with trio.move_on_after(_CLOSE_GRACE, shield=True):
            await source.aclose()
    if failures:
        raise failures[0]
    reason = outcome[0] if outcome else "completed"
    if reason in ("completed", "error", "stopped"):
        with trio.move_on_after(relay.send_timeout), _suppress_gone():
            await send(RelayFrame(kind="done", seq=relay.frames, reason=reason))
    return RelayResult(
        reason=reason,
        frames=relay.frames,
        deltas=relay.deltas,
        chars=relay.chars,
        max_backlog_chars=relay.max_backlog,
        error=relay.error,
    )


def _suppress_gone() -> contextlib.suppress:
    """Suppress the exceptions that mean the browser went away."""
    return contextlib.suppress(*_PEER_GONE)


_SSE_HEADERS: Final = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # proxies: do not buffer the stream
]


async def relay_sse(
    source: TextDeltaStream,
    receive: ASGIReceive,
    send: ASGISend,
    *,
    max_fps: float = 30.0,
    max_pending_chars: int = 1 << 20,
    send_timeout: float = 30.0,
) -> RelayResult:
    """Answer an ASGI HTTP request with `source` as Server-Sent Events.

    Each frame is one event, ``event: <kind>`` with the frame's JSON as data (see
    `RelayFrame.to_json`). An SSE connection carries nothing from the browser, so "stop" is
    the browser closing it (``EventSource.close()``): the server sees ``http.disconnect``
    and the upstream is closed at once. The response is not started before this call.
    """
    await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})

    async def send_frame(frame: RelayFrame) -> None:
        body = b"event: " + frame.kind.encode() + b"\ndata: " + frame.to_json() + b"\n\n"
        await send({"type": "http.response.body", "body": body, "more_body": True})

    async def disconnected() -> Literal["stopped", "disconnected"]:
        while (await receive()).get("type") != "http.disconnect":
            pass
        return "disconnected"

    result = await relay_text(
        source,
        send_frame,
        stopped=disconnected,
        max_fps=max_fps,
        max_pending_chars=max_pending_chars,
        send_timeout=send_timeout,
    )
    if result.reason != "disconnected":
        with trio.move_on_after(send_timeout), _suppress_gone():
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    return result


async def relay_websocket(
    source: TextDeltaStream,
    receive: ASGIReceive,
    send: ASGISend,
    *,
    max_fps: float = 30.0,
    max_pending_chars: int = 1 << 20,
    send_timeout: float = 30.0,
) -> RelayResult:
    """Send `source` over an accepted ASGI WebSocket, one text message per frame.

    A text message ``{"type": "stop"}`` from the browser stops the relay (a "done" frame
    with reason "stopped" follows); ``websocket.disconnect`` ends it as "disconnected". In
    both cases the upstream is closed at once. The socket stays open afterwards, for the
    next prompt; closing it is the caller's.
    """

    async def send_frame(frame: RelayFrame) -> None:
        await send({"type": "websocket.send", "bytes": None, "text": frame.to_json().decode()})

    async def stop_or_gone() -> Literal["stopped", "disconnected"]:
        while True:
            message = await receive()
            kind = message.get("type")
            if kind == "websocket.disconnect":
                return "disconnected"
            if kind == "websocket.receive" and _is_stop(message.get("text")):
                return "stopped"

    return await relay_text(
        source,
        send_frame,
        stopped=stop_or_gone,
        max_fps=max_fps,
        max_pending_chars=max_pending_chars,
        send_timeout=send_timeout,
    )


def _is_stop(text: object) -> bool:
    if not isinstance(text, str):
        return False
    try:
        message: object = orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return isinstance(message, dict) and cast("dict[str, object]", message).get("type") == "stop"
