"""The Responses API over a WebSocket: many responses over one connection.

    async with client.responses.connect() as ws:
        async with ws.create(model="gpt-5.2", input="Write a haiku") as stream:
            async for event in stream:
                if event.type == "response.output_text.delta":
                    print(event.delta, end="")
            first = await stream.get_final_response()
        async with ws.create(
            model="gpt-5.2", input="Another", previous_response_id=first.id
        ) as stream:
            ...

Each `create` sends one ``response.create`` message (the body of ``POST /v1/responses``
plus the WebSocket-only ``stream_id``; ``stream`` is implicit) when its block opens, and
its stream yields the events of that response, typed by the spec's
``ResponsesServerEvent`` union, up to and including the terminal one:
``response.completed``, ``response.failed`` or ``response.incomplete``. An ``error`` event
ends it by raising `ResponsesWebSocketError`.

Routing. The server processes the responses of one ``stream_id`` (one lane; no id is a lane
too) in order and echoes the id in their events, so the reader task hands each event to the
oldest unfinished stream of its lane. Responses on different lanes may run concurrently;
several ``create`` blocks on one lane may be open at once and are answered in order. A
stream left early (``break``, an exception, cancellation) does not stop its response on the
server (there is no cancel event): the rest of its events are read and dropped, and the
next response of that lane follows. A message that is not JSON, or an ``error`` event no
lane claims, is raised by every stream open at that moment.
"""

# pyright: reportPrivateUsage=false
# (ResponsesWebSocket and its streams are one state machine in two classes: the reader routes
# into a stream's private channel and state; no other module's private names are used here.)

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self, cast, final

import trio

from ._encoding import dump_json
from ._errors import StreamError
from ._operation import session_observers
from ._types import Omit, omit
from ._websocket import (
    DEFAULT_CLOSE_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT,
    WebSocketConnectionError,
    decode_event,
    event_decoder,
    open_client_socket,
    parse_message,
    response_header,
    websocket_url,
)
from ._ws_reconnect import (
    DEFAULT_MAX_QUEUE_SIZE,
    OnReconnecting,
    ReconnectPolicy,
    SessionLink,
    WebSocketInterruptedError,
    WebSocketQueueFullError,
    run_linked_session,
)
from ._wsconn import CloseReason, ConnectionClosed, WebSocket
from ._wsqueue import EventQueue

if TYPE_CHECKING:
    from ._client import OpenAI
    from .types.responses import Response
    from .types.responses_websocket import ResponsesServerEvent

__all__ = [
    "ResponsesWebSocket",
    "ResponsesWebSocketError",
    "ResponsesWebSocketStream",
    "open_responses_websocket",
]

log: Final = logging.getLogger("trio_openai")

_SERVER_EVENTS: Final = "ResponsesServerEvent"  # the union in the spec (and trio_openai.types)
_TERMINAL: Final = frozenset({"response.completed", "response.failed", "response.incomplete"})


class ResponsesWebSocketError(StreamError):
    """The Responses WebSocket server sent an ``error`` event.

    ``event`` is the event (typed when the generated types are available), ``body`` its
    JSON; ``code``, ``type``, ``param`` come from its ``error`` object; ``status`` is the
    HTTP status the server associates with it, ``stream_id`` the lane it concerns.
    """

    event: object  # the decoded `error` event (a generated model, or UnknownVariant)
    status: int | None
    stream_id: str | None

    def __init__(self, event: object, raw: Mapping[str, Any]) -> None:
        error = raw.get("error")
        fields: Mapping[str, Any] = (
            cast("Mapping[str, Any]", error) if isinstance(error, Mapping) else {}
        )
        message = fields.get("message")
        text = message if isinstance(message, str) and message else "Responses error event"
        super().__init__(text, request=None, body=raw)
        self.event = event
        status = raw.get("status")
        self.status = status if isinstance(status, int) else None
        stream_id = raw.get("stream_id")
        self.stream_id = stream_id if isinstance(stream_id, str) else None


def _parse_error(message: str | bytes) -> Exception:
    error = parse_message(message)
    assert isinstance(error, Exception)
    return error


def _response_of(event: Any, raw: Mapping[str, Any]) -> Any:
    """The ``response`` of a terminal event: typed when `event` is, else the JSON object."""
    response = getattr(event, "response", None)
    return response if response is not None else raw.get("response")


@final
class ResponsesWebSocketStream:
    """The events of one response over a `ResponsesWebSocket`; get it from ``ws.create()``
    and use it as ``async with``: the ``response.create`` message is sent on entry."""

    def __init__(
        self, socket: ResponsesWebSocket, message: dict[str, object], buffer_size: int
    ) -> None:
        stream_id = message.get("stream_id")
        self.stream_id: str | None = stream_id if isinstance(stream_id, str) else None
        self._socket = socket
        self._text = dump_json(message).decode()  # a bad parameter fails here, before sending
        self._queue = EventQueue(buffer_size)
        self._entered = False
        self._finished = False  # the reader saw the terminal event
        self._abandoned = False  # the consumer left: the reader drops the rest
        self._done = False  # the consumer saw the end
        self._transmitted = False  # its response.create went out (not just queued)
        self._final: Any = None
        self._error: Exception | None = None

    def __repr__(self) -> str:
        return f"<ResponsesWebSocketStream stream_id={self.stream_id!r} done={self._done}>"

    async def __aenter__(self) -> Self:
        if self._entered:
            raise RuntimeError("a ResponsesWebSocketStream can be entered only once")
        self._entered = True
        await self._socket._start(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._queue.close_consumer()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ResponsesServerEvent:
        if self._done:
            raise StopAsyncIteration
        try:
            item = await self._queue.get()
        except trio.EndOfChannel:
            self._done = True
            if self._finished:
                raise StopAsyncIteration from None
            raise self._socket._lost("The response did not finish") from None
        except trio.ClosedResourceError:
            raise RuntimeError("the stream is closed: use it inside its `async with`") from None
        if isinstance(item, Exception):
            raise item  # after a terminal `error` event the channel ends: so does the stream
        return cast("ResponsesServerEvent", item)  # the reader sends events and errors only

    async def until_done(self) -> None:
        """Consume the rest of the events."""
        async for _ in self:
            pass

    async def get_final_response(self) -> Response:
        """Consume the rest of the events and return the ``response`` of the terminal one
        (``response.completed``, ``.incomplete`` or ``.failed``: check its ``status``).

        Raises `ResponsesWebSocketError` if the response ended with an ``error`` event.
        """
        await self.until_done()
        if self._final is None:
            if self._error is not None:
                raise self._error
            raise RuntimeError("the response did not finish")
        return self._final

    async def _deliver(self, item: object) -> None:
        if self._abandoned:
            return
        if not await self._queue.put(item):
            self._abandoned = True  # the consumer left: the rest is dropped


@final
class ResponsesWebSocket:
    """A Responses WebSocket session; get one from ``client.responses.connect()``."""

    def __init__(self, link: SessionLink, *, buffer_size: int) -> None:
        self._link = link
        self._buffer_size = buffer_size
        self._lanes: dict[str | None, deque[ResponsesWebSocketStream]] = {}
        self._unusable: str | None = None

    def __repr__(self) -> str:
        state = (
            "closed" if self._link.over else "reconnecting" if self._link.reconnecting else "open"
        )
        return f"<ResponsesWebSocket {state} lanes={len(self._lanes)}>"

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` of the (latest) handshake answer, if the server sent one."""
        ws = self._link.ws
        return response_header(ws, "x-request-id") if ws is not None else None

    @property
    def reconnects(self) -> int:
        """How many times the session reconnected (see ``on_reconnecting``)."""
        return self._link.reconnects

    def create(
        self,
        *,
        model: str | Omit = omit,
        input: object = omit,
        stream_id: str | Omit = omit,
        extra_body: Mapping[str, object] | None = None,
        **params: object,
    ) -> ResponsesWebSocketStream:
        """A stream of one new response; ``async with`` it to send the request.

        Takes the parameters of ``client.responses.create`` (``instructions``, ``tools``,
        ``previous_response_id``, ...; ``stream`` is implicit and ``background`` is not
        supported over WebSocket) and ``stream_id``, the lane of this response.
        """
        if "stream" in params:
            raise TypeError("`stream` is implicit over a WebSocket: leave it out")
        fields = {"model": model, "input": input, "stream_id": stream_id, **params}
        message: dict[str, object] = {"type": "response.create"}
        message.update((k, v) for k, v in fields.items() if not isinstance(v, Omit))
        message.update(extra_body or {})
        return ResponsesWebSocketStream(self, message, self._buffer_size)

    async def send(self, event: object) -> None:
        """Send a raw client event (e.g. a beta ``response.inject``). Raises
        `WebSocketConnectionError` when the connection is closed."""
        await self._link.send_text(dump_json(event).decode(), None, self)

    def _lost(self, what: str) -> WebSocketConnectionError:
        return self._link.closed_error(what)

    async def _start(self, stream: ResponsesWebSocketStream) -> None:
        if self._link.over:
            raise self._lost("Cannot create a response")
        if self._unusable is not None:
            raise WebSocketConnectionError(self._unusable)
        self._lanes.setdefault(stream.stream_id, deque()).append(stream)
        try:
            await self._link.send_text(stream._text, stream, self)
        except WebSocketQueueFullError:
            self._lanes[stream.stream_id].remove(stream)
            if not self._lanes[stream.stream_id]:
                del self._lanes[stream.stream_id]
            stream._queue.close_consumer()
            raise
        except BaseException as exc:
            # The server may or may not have the request: keep the stream in its lane so
            # that any events of it are dropped, and refuse further responses.
            stream._abandoned = True
            stream._transmitted = True  # perhaps partly: a reconnection forgets it
            stream._queue.close_consumer()
            self._unusable = f"A response.create was interrupted while sent ({exc!r})."
            raise

    def _finish(self, lane: str | None, stream: ResponsesWebSocketStream) -> None:
        queue = self._lanes[lane]
        queue.popleft()
        if not queue:
            del self._lanes[lane]
        stream._finished = True
        stream._queue.end()

    async def _broadcast(self, make_error: Callable[[], Exception]) -> None:
        heads = [queue[0] for queue in self._lanes.values()]
        if not heads:
            log.warning("Responses WebSocket: %s, with no response open", make_error())
        for stream in heads:
            await stream._deliver(make_error())

    # -- the link's side ------------------------------------------------------------------

    async def read_socket(self, ws: WebSocket) -> CloseReason | None:
        """Routes each event of one socket to the oldest open stream of its lane."""
        decode = event_decoder(_SERVER_EVENTS)
        observers = self._link.observers
        while True:
            try:
                messages = await ws.receive_messages()
            except ConnectionClosed as exc:
                return exc.reason
            for message in messages:
                obj = parse_message(message)
                if isinstance(obj, Exception):
                    await self._broadcast(functools.partial(_parse_error, message))
                    continue
                for observer in observers:
                    observer.received(obj)
                await self._route(obj, decode)

    async def interrupted(self, close_code: int) -> None:
        """Streams whose request went out are lost; queued ones are sent after reconnecting.
        A new connection also forgets a request whose sending was interrupted."""
        self._unusable = None
        for lane, queue in list(self._lanes.items()):
            for stream in [s for s in queue if s._transmitted]:
                queue.remove(stream)
                await stream._deliver(
                    WebSocketInterruptedError(
                        f"The connection dropped (code {close_code}) before the response "
                        "finished; the session reconnects, but this response is lost.",
                        close_code=close_code,
                    )
                )
                stream._queue.end()
            if not queue:
                del self._lanes[lane]

    def replay(self) -> list[str]:
        return []

    def transmitted(self, tag: object) -> None:
        if isinstance(tag, ResponsesWebSocketStream):
            tag._transmitted = True

    def ended(self) -> None:
        for queue in self._lanes.values():
            for stream in queue:
                stream._queue.end()
        self._lanes.clear()

    async def _route(self, obj: dict[str, Any], decode: Callable[[Any], Any]) -> None:
        lane = obj.get("stream_id")
        kind = obj.get("type")
        queue = self._lanes.get(lane) if isinstance(lane, str) or lane is None else None
        if not queue:
            if kind == "error":
                event = decode_event(decode, obj)
                await self._broadcast(functools.partial(ResponsesWebSocketError, event, obj))
            else:
                log.debug("Responses WebSocket: dropped a %r event of no open response", kind)
            return
        stream = queue[0]
        event = decode_event(decode, obj)
        if kind == "error":
            stream._error = ResponsesWebSocketError(event, obj)
            await stream._deliver(stream._error)
            self._finish(lane, stream)
        elif kind in _TERMINAL:
            stream._final = _response_of(event, obj)
            await stream._deliver(event)
            self._finish(lane, stream)
        else:
            await stream._deliver(event)


@asynccontextmanager
async def _open(
    client: OpenAI,
    *,
    extra_query: Mapping[str, object] | None,
    extra_headers: Mapping[str, str | Omit] | None,
    buffer_size: int,
    connect_timeout: float,
    close_timeout: float,
    policy: ReconnectPolicy,
) -> AsyncGenerator[ResponsesWebSocket, None]:
    url = websocket_url(client, "/responses", {}, extra_query)  # checks the base URL
    observers = session_observers(
        client.middleware, operation="responses", api_type="responses", model=None, url=url
    )

    def open_socket(
        query: Mapping[str, object] | None, headers: Mapping[str, str | Omit] | None
    ) -> AbstractAsyncContextManager[WebSocket]:
        return open_client_socket(
            client,
            websocket_url(client, "/responses", {}, query),
            extra_headers=headers,
            connect_timeout=connect_timeout,
            close_timeout=close_timeout,
            error_class=WebSocketConnectionError,
        )

    link = SessionLink(
        open_socket,
        policy=policy,
        extra_query=extra_query,
        extra_headers=extra_headers,
        error_class=WebSocketConnectionError,
        observers=observers,
    )
    socket = ResponsesWebSocket(link, buffer_size=buffer_size)
    async with run_linked_session(link, socket, close_timeout=close_timeout):
        yield socket


def open_responses_websocket(
    client: OpenAI,
    *,
    extra_query: Mapping[str, object] | None = None,
    extra_headers: Mapping[str, str | Omit] | None = None,
    buffer_size: int = 100,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
    on_reconnecting: OnReconnecting | None = None,
    max_retries: int = 5,
    initial_delay: float = 0.5,
    max_delay: float = 8.0,
    max_queue_size: int = DEFAULT_MAX_QUEUE_SIZE,
) -> AbstractAsyncContextManager[ResponsesWebSocket]:
    """Open a Responses WebSocket session (``wss://…/v1/responses``) for `client`.

    The handshake carries the client's credentials and headers as HTTP requests do
    (``extra_headers``/``extra_query`` add or override). ``buffer_size`` bounds the events
    decoded ahead of each stream's consumer. Opening raises the status error of a refused
    handshake, `APITimeoutError` after ``connect_timeout`` s, `WebSocketConnectionError`
    when the server cannot be reached; a stream raises `WebSocketConnectionError` when the
    connection ends before its response does. Leaving the block closes the socket with code
    1000 (at most ``close_timeout`` s, even when cancelled); no task outlives the block.

    With ``on_reconnecting`` the session reconnects after an unexpected close, as
    ``client.realtime.connect`` does (see `trio_openai._ws_reconnect`): responses whose
    request went out end with `WebSocketInterruptedError`; ``create`` blocks opened while
    reconnecting are sent once the new connection is up (at most ``max_queue_size`` bytes
    wait, `WebSocketQueueFullError` beyond).
    """
    if buffer_size < 0:
        raise ValueError("buffer_size must be >= 0")
    policy = ReconnectPolicy(
        on_reconnecting=on_reconnecting,
        max_retries=max_retries,
        initial_delay=initial_delay,
        max_delay=max_delay,
        max_queue_size=max_queue_size,
    )
    policy.validate("responses.connect")
    return _open(
        client,
        extra_query=extra_query,
        extra_headers=extra_headers,
        buffer_size=buffer_size,
        connect_timeout=connect_timeout,
        close_timeout=close_timeout,
        policy=policy,
    )
