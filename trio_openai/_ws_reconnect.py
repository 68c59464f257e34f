"""Reconnection of a WebSocket session (Realtime, Responses) after an unexpected close.

`SessionLink` holds the socket of a session across reconnections. Its supervisor task (run
in the session's own nursery) opens the socket, hands it to the session's reader, and when
the connection ends with a recoverable close code (1001, 1005, 1006, 1011, 1012, 1013,
1015, as openai-python) and the user gave ``on_reconnecting``, it:

1. tells the session the connection dropped (in-flight responses end with
   `WebSocketInterruptedError`);
2. asks ``on_reconnecting(event)`` for each attempt: it may return new ``extra_query`` /
   ``extra_headers`` (a fresh token...) or ``{"abort": True}``; it may be async;
3. sleeps the backoff (``initial_delay * 2**(attempt-1)``, capped at ``max_delay``, with
   jitter in [0.75, 1]); `close` or leaving the block interrupts it;
4. opens a new socket, sends the session's replay (Realtime: its last ``session.update``),
   then the messages queued while disconnected, in order.

Messages sent while disconnected wait in a queue bounded in bytes (``max_queue_size``,
1 MiB by default as openai-python); one that would overflow it raises
`WebSocketQueueFullError` and is not queued. Without ``on_reconnecting`` nothing changes:
the first close ends the session, as before.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Final, Protocol, final

import trio

from ._errors import APIStatusError, APITimeoutError
from ._operation import SessionObserver
from ._types import Omit
from ._websocket import WebSocketConnectionError, close_socket, closed_error, sole_cancelled
from ._ws_reconnect_policy import (
    DEFAULT_MAX_QUEUE_SIZE as DEFAULT_MAX_QUEUE_SIZE,
    RECOVERABLE_CLOSE_CODES as RECOVERABLE_CLOSE_CODES,
    OnReconnecting as OnReconnecting,
    ReconnectingEvent as ReconnectingEvent,
    ReconnectingOverrides as ReconnectingOverrides,
    ReconnectPolicy as ReconnectPolicy,
    SendQueue as SendQueue,
    WebSocketQueueFullError as WebSocketQueueFullError,
    is_recoverable_close as is_recoverable_close,
)
from ._wsconn import CloseReason, ConnectionClosed, WebSocket

__all__ = [
    "RECOVERABLE_CLOSE_CODES",
    "ReconnectPolicy",
    "ReconnectingEvent",
    "ReconnectingOverrides",
    "SendQueue",
    "SessionLink",
    "OnReconnecting",
    "DEFAULT_MAX_QUEUE_SIZE",
    "WebSocketInterruptedError",
    "WebSocketQueueFullError",
    "is_recoverable_close",
    "run_linked_session",
]

log: Final = logging.getLogger("trio_openai")


class WebSocketInterruptedError(WebSocketConnectionError):
    """The connection dropped; the session reconnects, but what was in flight is lost.

    A Responses stream whose request went out raises it. A Realtime session raises it
    once per reconnection from `recv`: the new connection is a new server session, with
    the last ``session.update`` replayed and an empty conversation. ``lost_responses``
    holds the ids of the responses that were in flight (None for one requested but not
    yet announced by ``response.created``); ``response_id`` is the first of them.
    ``close_code`` is the code of the close that caused it (1006: no close frame).
    """

    response_id: str | None
    lost_responses: tuple[str | None, ...]

    def __init__(
        self,
        message: str,
        *,
        close_code: int | None,
        response_id: str | None = None,
        lost_responses: tuple[str | None, ...] = (),
    ) -> None:
        super().__init__(message, close_code=close_code)
        self.response_id = response_id
        self.lost_responses = lost_responses


class LinkedSession(Protocol):
    """What a session gives its link."""

    async def read_socket(self, ws: WebSocket) -> CloseReason | None:
        """Read `ws` until it closes; return its close reason."""
        ...

    async def interrupted(self, close_code: int) -> None:
        """The connection dropped and will be reopened: end what was in flight."""
        ...

    def replay(self) -> list[str]:
        """Messages to send first on a new connection (session configuration)."""
        ...

    def transmitted(self, tag: object) -> None:
        """A message tagged `tag` went out over the socket."""
        ...

    def ended(self) -> None:
        """The session is over: no more connections."""
        ...


OpenSocket = Callable[
    [Mapping[str, object] | None, Mapping[str, str | Omit] | None],
    AbstractAsyncContextManager[WebSocket],
]
_OPEN_ERRORS: Final = (WebSocketConnectionError, APIStatusError, APITimeoutError)


@final
class SessionLink:
    """The socket of one session across reconnections; see the module docstring."""

    def __init__(
        self,
        open_socket: OpenSocket,
        *,
        policy: ReconnectPolicy,
        extra_query: Mapping[str, object] | None,
        extra_headers: Mapping[str, str | Omit] | None,
        error_class: type[WebSocketConnectionError],
        observers: tuple[SessionObserver, ...] = (),
    ) -> None:
        self._open_socket = open_socket
        self.observers = observers  # telemetry (trio_openai._operation); usually none
        self._policy = policy
        self._extra_query: Mapping[str, object] = dict(extra_query or {})
        self._extra_headers: Mapping[str, str | Omit] = dict(extra_headers or {})
        self._error_class = error_class
        self._queue = SendQueue(policy.max_queue_size)
        self.ws: WebSocket | None = None
        self.reconnecting = False
        self.over = False
        self.close_reason: CloseReason | None = None
        self.reconnects = 0  # successful reconnections, for statistics and tests
        self.stop_cause: Exception | None = None  # what made on_reconnecting give up
        self._closing = False
        self._close_done = trio.Event()
        self._waiting = trio.CancelScope()

    @property
    def queued_bytes(self) -> int:
        return self._queue.size

    @property
    def reconnect_enabled(self) -> bool:
        return self._policy.on_reconnecting is not None

    def closed_error(self, what: str) -> WebSocketConnectionError:
        """The error of a session that is over (its cause: an exception of the callback)."""
        reason = self.close_reason or (self.ws.closed if self.ws is not None else None)
        error = closed_error(self._error_class, reason, what)
        error.__cause__ = self.stop_cause
        return error

    async def send_text(self, text: str, tag: object, session: LinkedSession) -> None:
        """Send now, or queue while reconnecting. Raises the session's connection error
        once it is over, `WebSocketQueueFullError` when the queue is full."""
        if self.over or self._closing or self.ws is None:
            raise self.closed_error("Cannot send")
        if self.reconnecting or len(self._queue):
            self._queue.push(text, tag)
            return
        try:
            await self.ws.send_message(text)
        except ConnectionClosed as exc:
            code = exc.reason.code if exc.reason is not None else None
            if self._closing or not self.reconnect_enabled or not is_recoverable_close(code):
                raise closed_error(self._error_class, exc.reason, "Cannot send") from None
            self._queue.push(text, tag)  # sent again once reconnected
            return
        session.transmitted(tag)
        for observer in self.observers:
            observer.sent(text)

    async def close(self, grace: float, code: int = 1000, reason: str | None = None) -> None:
        """End the session: no more reconnection; close the current socket."""
        self._closing = True
        self._waiting.cancel()
        try:
            if self.ws is not None:
                await close_socket(self.ws, grace, code, reason)
        finally:
            self._close_done.set()

    async def run(
        self,
        session: LinkedSession,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """The supervisor: the first open (its failure raises to `nursery.start`), then
        reconnections until the session ends."""
        try:
            reason = await self._serve(session, task_status)
            attempt = 0
            while self._should_reconnect(reason):
                code = reason.code if reason is not None else 1006
                self.reconnecting = True
                if attempt == 0:
                    await session.interrupted(code)
                attempt += 1
                if attempt > self._policy.max_retries or not await self._wait(attempt, code):
                    break
                try:
                    reason = await self._serve(session, None)
                except _OPEN_ERRORS as exc:
                    log.info("WebSocket reconnection attempt %d failed: %r", attempt, exc)
                    continue
                attempt = 0
        finally:
            self.over = True
            self.reconnecting = False
            unsent = self._queue.clear()
            if unsent:
                log.warning("WebSocket session ended with %d unsent messages", len(unsent))
            session.ended()

    def _should_reconnect(self, reason: CloseReason | None) -> bool:
        if reason is not None:
            self.close_reason = reason
        code = reason.code if reason is not None else None
        return self.reconnect_enabled and not self._closing and is_recoverable_close(code)

    async def _wait(self, attempt: int, close_code: int) -> bool:
        """Ask the callback and sleep the backoff; False: stop trying."""
        callback = self._policy.on_reconnecting
        assert callback is not None
        delay = self._policy.delay(attempt)
        event = ReconnectingEvent(
            attempt=attempt,
            max_attempts=self._policy.max_retries,
            delay=delay,
            close_code=close_code,
            extra_query=self._extra_query,
            extra_headers=self._extra_headers,
        )
        try:
            answer = callback(event)
            overrides = await answer if inspect.isawaitable(answer) else answer
        except Exception as exc:  # as openai-python: a failing callback stops the retries
            log.warning("on_reconnecting raised %r: the session ends", exc)
            self.stop_cause = exc
            return False
        if overrides is not None:
            if overrides.get("abort"):
                return False
            self._extra_query = overrides.get("extra_query", self._extra_query)
            self._extra_headers = overrides.get("extra_headers", self._extra_headers)
        log.info(
            "Reconnecting the WebSocket (attempt %d/%d) in %.2f s",
            attempt,
            self._policy.max_retries,
            delay,
        )
        self._waiting = trio.CancelScope()
        if self._closing:
            return False
        for observer in self.observers:
            observer.reconnecting(attempt, delay, close_code)
        with self._waiting:
            await trio.sleep(delay)
        return not self._closing

    async def _serve(
        self, session: LinkedSession, task_status: trio.TaskStatus[None] | None
    ) -> CloseReason | None:
        """One connection: open, (re)send the replay and the queue, read until it ends."""
        async with self._open_socket(self._extra_query, self._extra_headers) as ws:
            self.ws = ws
            if task_status is not None:
                task_status.started()
            else:
                if self._closing:
                    return None
                self.reconnects += 1
                for observer in self.observers:
                    observer.reconnected()
                try:
                    for text in session.replay():
                        await ws.send_message(text)
                        for observer in self.observers:
                            observer.sent(text)
                    while len(self._queue):
                        text, tag = self._queue.pop()
                        try:
                            await ws.send_message(text)
                        except BaseException:
                            self._queue.push_front(text, tag)
                            raise
                        session.transmitted(tag)
                        for observer in self.observers:
                            observer.sent(text)
                except ConnectionClosed as exc:
                    return exc.reason
                self.reconnecting = False
            reason = await session.read_socket(ws)
            if self._closing:  # our close frame is out: let `close` wait for the answer
                await self._close_done.wait()
            return reason


@asynccontextmanager
async def run_linked_session(
    link: SessionLink, session: LinkedSession, *, close_timeout: float
) -> AsyncGenerator[None]:
    """Run `link`'s supervisor in a nursery owned by this block: the first open happens on
    entry (its failure raises here, unwrapped); leaving closes the socket (code 1000, at
    most `close_timeout` s) and no task outlives the block. An exception raised in the
    block comes out unchanged. The link's observers hear how the block ended."""
    if not link.observers:
        async with _run_linked(link, session, close_timeout=close_timeout):
            yield
        return
    error: BaseException | None = None
    try:
        async with _run_linked(link, session, close_timeout=close_timeout):
            yield
    except BaseException as exc:
        error = exc
        raise
    finally:
        reason = link.close_reason or (link.ws.closed if link.ws is not None else None)
        for observer in link.observers:
            observer.ended(error, reason.code if reason is not None else None)


@asynccontextmanager
async def _run_linked(
    link: SessionLink, session: LinkedSession, *, close_timeout: float
) -> AsyncGenerator[None]:
    failure: BaseException | None = None
    cancelled: BaseException | None = None
    try:
        async with trio.open_nursery() as nursery:
            try:
                await nursery.start(functools.partial(link.run, session))
            except BaseException as exc:
                failure = exc
            else:
                try:
                    yield
                except BaseException as exc:
                    failure = exc
                finally:
                    await link.close(close_timeout)
            nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        cancelled = sole_cancelled(group)
        if cancelled is None:
            raise
    if failure is not None:
        raise failure
    if cancelled is not None:
        raise cancelled
