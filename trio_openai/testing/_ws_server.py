"""`open_ws_server`: a scripted WebSocket server for Realtime and the Responses WebSocket mode.

    async with open_ws_server() as server:
        client = trio_openai.OpenAI(api_key="sk-test", base_url=server.base_url)
        server.on_message("response.create", WsAction.error("overloaded"), WsAction.abort())
        async with client.realtime.connect(model="gpt-realtime") as conn:
            ...
        assert server.sessions[0].headers["authorization"] == "Bearer sk-test"

Routes (by the last path segment): ``/v1/realtime`` is a Realtime echo (``session.created`` on connect, and an answer to
each client event: ``session.updated``, ``conversation.item.created``, a whole response
whose text is "You said: " and the last user text, ...); ``/v1/responses`` is a Responses
echo (``response.created``, one ``response.output_text.delta`` per word,
``response.completed``, with the request's ``stream_id`` echoed). Any other path is refused
with 404. Every session is recorded (`WsSession`: path, query, headers, messages, close code).

Faults are scripted with `WsAction`: an ``error`` event, raw text (malformed JSON), a close
with any code, an abrupt TCP close without a close frame, a stall (the server keeps reading
but never answers again), a freeze (it stops reading the socket at all), a pause. The server
is built on trio-websocket's ``wrap_server_stream`` over trio's TCP listeners rather than
``serve_websocket``, so that it holds the TCP stream and can drop it without a close frame.
"""

# pyright: reportPrivateUsage=false
# (The server, its per-connection handlers and its opener are one test double split into
# classes: the handlers read the server's scripted actions; no other module's private names.)

from __future__ import annotations

import contextlib
import functools
from collections import deque
from collections.abc import AsyncGenerator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Literal, final
from urllib.parse import parse_qsl

import attrs
import orjson
import trio
from trio_websocket import (
    ConnectionClosed,
    WebSocketConnection,
    WebSocketRequest,
    wrap_server_stream,
)

from .._types import json_object
from ._ws_echo import RealtimeEcho, ResponsesEcho, protocol_of

__all__ = ["WebSocketTestServer", "WsAction", "WsSession", "open_ws_server"]

_HANDSHAKE_TIMEOUT = 10.0
ActionKind = Literal["send", "send_text", "close", "abort", "stall", "freeze", "sleep"]


@final
@attrs.frozen
class WsAction:
    """One scripted step of the server; build it with the static methods."""

    kind: ActionKind
    data: Any = None
    code: int = 1000
    reason: str | None = None
    seconds: float = 0.0

    @staticmethod
    def send(event: Mapping[str, Any]) -> WsAction:
        """Send `event` as JSON (Realtime events get an ``event_id``, Responses events the
        ``stream_id`` of the message being answered)."""
        return WsAction("send", dict(event))

    @staticmethod
    def send_text(text: str) -> WsAction:
        """Send `text` as it is: e.g. malformed JSON."""
        return WsAction("send_text", text)

    @staticmethod
    def error(
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        status: int | None = None,
    ) -> WsAction:
        """Send an ``error`` event (``status`` is the Responses mode's HTTP status)."""
        event: dict[str, Any] = {
            "type": "error",
            "error": {"type": type, "code": code, "message": message, "param": param},
        }
        if status is not None:
            event["status"] = status
        return WsAction("send", event)

    @staticmethod
    def close(code: int = 1000, reason: str | None = None) -> WsAction:
        """Close the WebSocket with a close frame."""
        return WsAction("close", code=code, reason=reason)

    @staticmethod
    def abort() -> WsAction:
        """Drop the TCP connection without a close frame (the client sees code 1006)."""
        return WsAction("abort")

    @staticmethod
    def stall() -> WsAction:
        """Answer nothing more on this connection (messages are still read and recorded)."""
        return WsAction("stall")

    @staticmethod
    def freeze() -> WsAction:
        """Stop reading the socket at all, keeping it open until the server stops: nothing
        is answered any more, not even a close frame (the session's ``closed`` stays unset)."""
        return WsAction("freeze")

    @staticmethod
    def sleep(seconds: float) -> WsAction:
        return WsAction("sleep", seconds=seconds)


@final
@attrs.define(eq=False)
class WsSession:
    """What the server saw of one connection."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    messages: list[Any] = attrs.field(factory=list)  # decoded JSON (raw text if not JSON)
    close_code: int | None = None  # the close code (1006: no close frame); None while open
    close_reason: str | None = None
    closed: trio.Event = attrs.field(factory=trio.Event)

    def types(self) -> list[str | None]:
        """The ``type`` of each message received."""
        return [
            fields.get("type") if (fields := json_object(message)) is not None else None
            for message in self.messages
        ]

    async def wait_closed(self) -> None:
        await self.closed.wait()


@final
class WebSocketTestServer:
    """A running scripted WebSocket server; get one from `open_ws_server`."""

    port: int
    url: str  # ws://127.0.0.1:PORT/v1
    base_url: str  # http://127.0.0.1:PORT/v1, for OpenAI(base_url=...)
    origin: str  # http://127.0.0.1:PORT, e.g. for AzureOpenAI(azure_endpoint=...)
    sessions: list[WsSession]
    pace: float  # seconds before each event the server sends

    def __init__(self, host: str, port: int) -> None:
        shown = f"[{host}]" if ":" in host else host
        self.port = port
        self.origin = f"http://{shown}:{port}"
        self.url = f"ws://{shown}:{port}/v1"
        self.base_url = f"{self.origin}/v1"
        self.sessions = []
        self.pace = 0.0
        self.open_connections = 0
        self._on_connect: deque[tuple[WsAction, ...]] = deque()
        self._on_message: dict[str | None, deque[tuple[WsAction, ...]]] = {}
        self._rejects: deque[tuple[int, Any]] = deque()
        self._drops: deque[int] = deque()
        self._idle = trio.Event()
        self._idle.set()

    def __repr__(self) -> str:
        return f"<WebSocketTestServer {self.url} sessions={len(self.sessions)}>"

    def on_connect(self, *actions: WsAction) -> None:
        """Run `actions` on the next connection, right after its greeting (if any)."""
        self._on_connect.append(actions)

    def on_message(self, event_type: str | None, *actions: WsAction) -> None:
        """Answer the next client message of type `event_type` with `actions` instead of
        the echo (None matches a message that is not a JSON object). Queued per type."""
        self._on_message.setdefault(event_type, deque()).append(actions)

    def drop_next_after(self, events: int) -> None:
        """Drop the next connection without a close frame once it has sent `events`
        events (0: right after the handshake), to test reconnection at every message."""
        self._drops.append(events)

    def next_drop(self) -> int | None:
        """The drop scripted for the connection being opened (see `drop_next_after`)."""
        return self._drops.popleft() if self._drops else None

    def reject_next(self, status: int, body: Any = None) -> None:
        """Refuse the next handshake with HTTP `status` and a JSON `body`."""
        self._rejects.append((status, body))

    async def wait_idle(self) -> None:
        """Wait until no connection is open (its handler and tasks finished)."""
        await self._idle.wait()

    def _moved(self, by: int) -> None:
        self.open_connections += by
        if self.open_connections == 0:
            self._idle.set()
        elif self._idle.is_set():
            self._idle = trio.Event()

    async def _handle(self, stream: trio.SocketStream) -> None:
        self._moved(+1)
        try:
            frozen = False
            async with trio.open_nursery() as nursery:  # trio-websocket's reader task
                request: WebSocketRequest | None = None
                with trio.move_on_after(_HANDSHAKE_TIMEOUT):
                    request = await wrap_server_stream(nursery, stream)
                if request is not None:
                    with contextlib.suppress(ConnectionClosed):  # the client went away
                        frozen = await self._serve(request, stream)
                nursery.cancel_scope.cancel()
            if frozen:  # nothing reads the socket any more; keep it open until the end
                await trio.sleep_forever()
        finally:
            try:
                await trio.aclose_forcefully(stream)
            finally:
                self._moved(-1)

    async def _serve(self, request: WebSocketRequest, stream: trio.SocketStream) -> bool:
        """Serve one connection; True if it was frozen (see `WsAction.freeze`)."""
        path, _, qs = request.path.partition("?")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers}
        session = WsSession(path=path, query=dict(parse_qsl(qs)), headers=headers)
        self.sessions.append(session)
        serial = len(self.sessions)
        protocol = protocol_of(path)
        status, body = self._rejects.popleft() if self._rejects else (None, None)
        if protocol is None and status is None:
            status = 404
            body = {"error": {"message": f"Unknown WebSocket URL: {path}.", "code": "unknown_url"}}
        frozen = False
        try:
            if protocol is None or status is not None:
                content = orjson.dumps(body) if body is not None else b""
                json_type = [(b"content-type", b"application/json")] if content else []
                await request.reject(status or 404, extra_headers=json_type, body=content)
                return False
            ws = await request.accept(
                extra_headers=[(b"x-request-id", f"req_ws_{serial}".encode())]
            )
            peer = _Peer(self, ws, stream, session, protocol(session, serial))
            await peer.run()
            frozen = peer.frozen
            return frozen
        finally:
            if not frozen:
                session.closed.set()


class _Peer:
    """One accepted connection: the greeting, the scripts, then the echo."""

    def __init__(
        self,
        server: WebSocketTestServer,
        ws: WebSocketConnection,
        stream: trio.SocketStream,
        session: WsSession,
        echo: RealtimeEcho | ResponsesEcho,
    ) -> None:
        self.server = server
        self.ws = ws
        self.stream = stream
        self.session = session
        self.echo = echo
        self.stalled = False
        self.frozen = False
        self.realtime = isinstance(echo, RealtimeEcho)
        self.event_serial = 0
        self.drop_after = server.next_drop()
        self.sent = 0

    async def run(self) -> None:
        if self.drop_after == 0:
            await self._perform([WsAction.abort()], None)
            return
        script = self.server._on_connect.popleft() if self.server._on_connect else ()
        if not await self._perform([*map(WsAction.send, self.echo.greeting()), *script], None):
            return
        while True:
            try:
                message = await self.ws.get_message()
            except ConnectionClosed as exc:
                self._record_close(exc.reason.code if exc.reason else 1006, exc)
                return
            try:
                obj: Any = orjson.loads(message)
            except orjson.JSONDecodeError:
                obj = message
            self.session.messages.append(obj)
            if self.stalled:
                continue
            fields = json_object(obj)
            kind = fields.get("type") if fields is not None else None
            queue = self.server._on_message.get(kind)
            actions: Iterable[WsAction] = (
                queue.popleft() if queue else map(WsAction.send, self.echo.reply(obj))
            )
            if not await self._perform(actions, obj):
                return

    def _record_close(self, code: int, exc: ConnectionClosed | None = None) -> None:
        if self.session.close_code is None:
            self.session.close_code = code
            self.session.close_reason = exc.reason.reason if exc and exc.reason else None

    def _stamp(self, event: dict[str, Any], trigger: Any) -> dict[str, Any]:
        if self.realtime and "event_id" not in event:
            self.event_serial += 1
            event = {"event_id": f"event_{self.event_serial}", **event}
        elif isinstance(trigger, dict) and "stream_id" in trigger and "stream_id" not in event:
            event = {**event, "stream_id": trigger["stream_id"]}
        return event

    async def _perform(self, actions: Iterable[WsAction], trigger: Any) -> bool:
        """Run `actions`; False once the connection is over."""
        for action in actions:
            try:
                if action.kind in ("send", "send_text"):
                    if self.server.pace:
                        await trio.sleep(self.server.pace)
                    text = action.data
                    if action.kind == "send":
                        text = orjson.dumps(self._stamp(action.data, trigger)).decode()
                    await self.ws.send_message(text)
                    self.sent += 1
                    if self.sent == self.drop_after:
                        await trio.aclose_forcefully(self.stream)
                        self._record_close(1006)
                        return False
                elif action.kind == "close":
                    await self.ws.aclose(action.code, action.reason)
                    self._record_close(action.code)
                    return False
                elif action.kind == "abort":
                    await trio.aclose_forcefully(self.stream)
                    self._record_close(1006)
                    return False
                elif action.kind == "stall":
                    self.stalled = True
                    return True
                elif action.kind == "freeze":
                    self.frozen = True
                    return False
                else:
                    await trio.sleep(action.seconds)
            except ConnectionClosed:
                # The client is closing: stop answering, but read (and record) what it sent
                # before its close frame.
                self.stalled = True
                return True
        return True


@asynccontextmanager
async def open_ws_server(
    *, host: str = "127.0.0.1", port: int = 0
) -> AsyncGenerator[WebSocketTestServer, None]:
    """Start a `WebSocketTestServer` on `host:port` (port 0 picks a free one).

    Its tasks live in a nursery owned by this block; on exit every connection is dropped.
    An exception raised in the block, or a cancellation, comes out unchanged (not in an
    ExceptionGroup).
    """
    listeners = await trio.open_tcp_listeners(port, host=host)
    server = WebSocketTestServer(host, listeners[0].socket.getsockname()[1])
    failure: BaseException | None = None
    cancelled: BaseException | None = None
    try:
        async with trio.open_nursery() as nursery:
            serve = functools.partial(
                trio.serve_listeners, server._handle, listeners, handler_nursery=nursery
            )
            await nursery.start(serve)
            try:
                yield server
            except BaseException as exc:
                failure = exc  # re-raised outside the nursery, so that it is not wrapped
            finally:
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # Under an outer cancellation the tasks' Cancelled come out of the nursery grouped.
        if group.split(trio.Cancelled)[1] is not None:
            raise
        cancelled = group.exceptions[0]
    if failure is not None:
        raise failure
    if cancelled is not None:
        raise cancelled
