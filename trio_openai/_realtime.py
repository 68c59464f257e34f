"""The Realtime API over a WebSocket: ``async with client.realtime.connect(...) as conn``.

    async with client.realtime.connect(model="gpt-realtime") as conn:
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await conn.conversation.item.create(item={...})
        await conn.response.create()
        async for event in conn:
            if event.type == "response.output_text.delta":
                print(event.delta, end="")
            elif event.type == "response.done":
                break

The block owns the socket and one reader task. The task reads the socket itself (no task
in between: `_wsconn`), decodes each message into a typed event (the
``RealtimeServerEvent`` union of trio_openai.types) and hands the events of one socket read
over at once through a bounded queue (`_wsqueue`: at most ``buffer_size`` events), so a
slow consumer slows the socket down instead of growing memory.

Errors, and what happens after them:

- A server ``error`` event raises `RealtimeError` from `recv` / the iterator (unless
  ``raise_errors=False``, which yields it as an event, as openai-python does). The session
  stays open: the error ends that ``async for`` loop, and the next `recv` or a new loop
  continues with the following event. Most Realtime errors concern one client event
  (``error.event_id`` names it) and do not end the session.
- A message that is not a JSON object raises `APIResponseValidationError`; the session
  continues likewise.
- The connection ending: when the server closes normally (code 1000 or 1001) the iterator
  ends quietly; any other end (a close code such as 1011, a dropped TCP connection: 1006,
  a message over ``client.max_event_size``: 1009) raises `RealtimeConnectionError`. `recv`
  raises `RealtimeConnectionError` in both cases, having no event to return. Events that
  arrived before the close are delivered first.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, Self, cast, final

import trio

from ._encoding import dump_json
from ._errors import OpenAIError, StreamError
from ._operation import session_observers
from ._realtime_helpers import (
    RealtimeConversationResource,
    RealtimeInputAudioBufferResource,
    RealtimeOutputAudioBufferResource,
    RealtimeResponseResource,
    RealtimeSessionResource,
)
from ._types import Omit
from ._websocket import (
    DEFAULT_CLOSE_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT,
    NORMAL_CLOSE_CODES,
    WebSocketConnectionError,
    decode_event,
    event_decoder,
    is_azure,
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
    run_linked_session,
)
from ._wsconn import CloseReason, ConnectionClosed, WebSocket
from ._wsqueue import EventQueue

if TYPE_CHECKING:
    from ._client import OpenAI
    from .types.realtime_events import RealtimeServerEvent

__all__ = [
    "Realtime",
    "RealtimeConnection",
    "RealtimeConnectionError",
    "RealtimeError",
]

_SERVER_EVENTS = "RealtimeServerEvent"  # the union in the spec (and in trio_openai.types)


class RealtimeConnectionError(WebSocketConnectionError):
    """The Realtime WebSocket could not be opened, broke, or was closed by the server."""


class RealtimeError(StreamError):
    """The Realtime server sent an ``error`` event.

    ``event`` is the event (typed when the generated types are available), ``body`` its
    JSON; ``code``, ``type``, ``param`` come from its ``error`` object, and ``event_id`` is
    the id of the client event that caused it, when the server says.
    """

    event: object  # the decoded `error` event (a generated model, or UnknownVariant)
    event_id: str | None

    def __init__(self, event: object, raw: Mapping[str, Any]) -> None:
        error = raw.get("error")
        fields: Mapping[str, Any] = (
            cast("Mapping[str, Any]", error) if isinstance(error, Mapping) else {}
        )
        message = fields.get("message")
        text = message if isinstance(message, str) and message else "Realtime error event"
        super().__init__(text, request=None, body=raw)
        self.event = event
        event_id = fields.get("event_id")
        self.event_id = event_id if isinstance(event_id, str) else None


@final
class RealtimeConnection:
    """A live Realtime session; get one from ``client.realtime.connect(...)``.

    Receive with ``async for event in conn`` or ``await conn.recv()``; send with
    ``await conn.send(event)`` or the typed helpers (``conn.session.update(...)``,
    ``conn.response.create(...)``, ``conn.input_audio_buffer.append(...)``,
    ``conn.conversation.item.create(...)``, ``conn.output_audio_buffer.clear()``...).
    Sending from several tasks at once is safe; so is cancelling `recv` (no event is lost).
    """

    session: RealtimeSessionResource
    response: RealtimeResponseResource
    input_audio_buffer: RealtimeInputAudioBufferResource
    conversation: RealtimeConversationResource
    output_audio_buffer: RealtimeOutputAudioBufferResource

    def __init__(
        self,
        link: SessionLink,
        *,
        buffer_size: int,
        raise_errors: bool,
        close_timeout: float,
    ) -> None:
        self._link = link
        self._raise_errors = raise_errors
        self._close_timeout = close_timeout
        self._queue = EventQueue(buffer_size)
        self._session_update: str | None = None  # the last one sent: replayed on reconnect
        self._in_flight: dict[str, None] = {}  # ids of responses created, not yet done
        self._requested = 0  # response.create sent, not yet answered by response.created
        self.session = RealtimeSessionResource(self)
        self.response = RealtimeResponseResource(self)
        self.input_audio_buffer = RealtimeInputAudioBufferResource(self)
        self.conversation = RealtimeConversationResource(self)
        self.output_audio_buffer = RealtimeOutputAudioBufferResource(self)

    def __repr__(self) -> str:
        ws = self._link.ws
        state = (
            "closed" if self._link.over else "reconnecting" if self._link.reconnecting else "open"
        )
        return f"<RealtimeConnection {state} {ws.path if ws else ''!r}>"

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` of the (latest) handshake answer, if the server sent one."""
        ws = self._link.ws
        return response_header(ws, "x-request-id") if ws is not None else None

    @property
    def reconnects(self) -> int:
        """How many times the session reconnected (see ``on_reconnecting``)."""
        return self._link.reconnects

    # -- receiving ------------------------------------------------------------------------

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> RealtimeServerEvent:
        return await self._next(end_quietly=True)

    async def recv(self) -> RealtimeServerEvent:
        """The next server event.

        Raises `RealtimeError` for a server ``error`` event (see ``raise_errors``),
        `APIResponseValidationError` for a message that is not a JSON object,
        `WebSocketInterruptedError` for a response lost to a reconnection, and
        `RealtimeConnectionError` once the connection has ended and every event that
        arrived before is consumed. Cancelling it loses nothing.
        """
        return await self._next(end_quietly=False)

    async def _next(self, *, end_quietly: bool) -> RealtimeServerEvent:
        try:
            item = await self._queue.get()
        except trio.EndOfChannel:
            reason = self._link.close_reason or (self._link.ws.closed if self._link.ws else None)
            if end_quietly and reason is not None and reason.code in NORMAL_CLOSE_CODES:
                raise StopAsyncIteration from None
            raise self._link.closed_error("No more events") from self._link.stop_cause
        if isinstance(item, Exception):
            raise item
        return cast("RealtimeServerEvent", item)  # the reader sends events and errors only

    # -- the link's side ------------------------------------------------------------------

    async def read_socket(self, ws: WebSocket) -> CloseReason | None:
        """Messages of one socket in, decoded events (or errors to raise) out: all those of
        one socket read at once, as many as the queue has room for (see `_wsqueue`)."""
        decode = event_decoder(_SERVER_EVENTS)
        queue = self._queue
        while True:
            try:
                messages = await ws.receive_messages()
            except ConnectionClosed as exc:
                return exc.reason
            start = 0
            while start < len(messages):
                room = queue.room()
                if not room:
                    await queue.wait_room()
                    continue
                queue.put_many(self._decode(messages[start : start + room], decode))
                start += room

    def _decode(self, messages: list[str | bytes], decode: Callable[[Any], Any]) -> list[object]:
        observers = self._link.observers
        raise_errors = self._raise_errors
        events: list[object] = []
        for message in messages:
            obj = parse_message(message)
            if isinstance(obj, Exception):
                events.append(obj)
                continue
            for observer in observers:
                observer.received(obj)
            kind = obj.get("type")
            if kind == "response.created" or kind == "response.done":
                self._track(obj)
            event = decode_event(decode, obj)
            if raise_errors and kind == "error":
                event = RealtimeError(event, obj)
            events.append(event)
        return events

    def _track(self, obj: Mapping[str, Any]) -> None:
        kind = obj.get("type")
        if kind not in ("response.created", "response.done"):
            return
        response: object = obj.get("response")
        response_id = (
            cast("Mapping[str, object]", response).get("id")
            if isinstance(response, Mapping)
            else None
        )
        if kind == "response.created":
            self._requested = max(0, self._requested - 1)
            if isinstance(response_id, str):
                self._in_flight[response_id] = None
        elif isinstance(response_id, str):
            self._in_flight.pop(response_id, None)

    async def interrupted(self, close_code: int) -> None:
        """One error per reconnection: a new connection is a new server session (its
        conversation is empty; the configuration is replayed), and the responses in flight
        are lost."""
        lost = [*self._in_flight]
        requested = self._requested
        self._in_flight.clear()
        self._requested = 0
        what = ", ".join(lost) if lost else f"{requested} requested" if requested else "none"
        await self._queue.put(
            WebSocketInterruptedError(
                f"The connection dropped (code {close_code}); the session reconnects with "
                f"its last session.update but an empty conversation. Responses lost: {what}.",
                close_code=close_code,
                response_id=lost[0] if lost else None,
                lost_responses=(*lost, *([None] * requested)),
            )
        )

    def replay(self) -> list[str]:
        return [self._session_update] if self._session_update is not None else []

    def transmitted(self, tag: object) -> None:
        kind, text = cast("tuple[object, object]", tag) if isinstance(tag, tuple) else (None, None)
        if kind == "response.create":
            self._requested += 1
        elif kind == "session.update" and isinstance(text, str):
            self._session_update = text

    def ended(self) -> None:
        self._queue.end()

    # -- sending --------------------------------------------------------------------------

    async def send(self, event: object) -> None:
        """Send a client event: a mapping, or a model (anything with ``to_dict``).

        While the session reconnects the event is queued (`WebSocketQueueFullError` when
        the queue is full). Raises `RealtimeConnectionError` when the connection is over.
        """
        text = dump_json(event).decode()
        await self._link.send_text(text, (_type_of(event), text), self)

    async def close(self, *, code: int = 1000, reason: str | None = None) -> None:
        """Close the session now (the block's exit does it anyway): send a close frame and
        wait, at most ``close_timeout`` s, for the server's. The iterator then ends; the
        session does not reconnect."""
        await self._link.close(self._close_timeout, code, reason)


def _type_of(event: object) -> str | None:
    kind: object = (
        cast("Mapping[str, object]", event).get("type")
        if isinstance(event, Mapping)
        else getattr(event, "type", None)
    )
    return kind if isinstance(kind, str) else None


def realtime_url(
    client: OpenAI,
    *,
    model: str | None,
    call_id: str | None,
    extra_query: Mapping[str, object] | None,
) -> str:
    """``wss://…/realtime?model=…`` (or ``call_id=…``); for an Azure client
    ``{endpoint}/openai/realtime?api-version=…&deployment=…`` as openai-python builds it."""
    query: dict[str, object] = {}
    base: str | None = None
    if is_azure(client):
        deployment = (
            getattr(client, "azure_deployment", None)
            or getattr(client, "_azure_deployment", None)
            or model
        )
        if not deployment:
            raise OpenAIError(
                "realtime.connect() on Azure needs the deployment: pass model=... (the "
                "deployment name) or create the client with AzureOpenAI(azure_deployment=...)."
            )
        endpoint = getattr(client, "azure_endpoint", None) or getattr(
            client, "_azure_endpoint", None
        )
        if endpoint:
            base = str(endpoint).rstrip("/") + "/openai"
        if "api-version" not in client.default_query:
            query["api-version"] = getattr(client, "api_version", None)
        query["deployment"] = deployment
    elif model is not None:
        query["model"] = model
    if call_id is not None:
        query["call_id"] = call_id
    return websocket_url(client, "/realtime", query, extra_query, base=base)


@asynccontextmanager
async def _open_realtime(
    client: OpenAI,
    *,
    model: str | None,
    call_id: str | None,
    extra_query: Mapping[str, object] | None,
    extra_headers: Mapping[str, str | Omit] | None,
    buffer_size: int,
    raise_errors: bool,
    connect_timeout: float,
    close_timeout: float,
    policy: ReconnectPolicy,
) -> AsyncGenerator[RealtimeConnection, None]:
    url = realtime_url(client, model=model, call_id=call_id, extra_query=extra_query)  # checks
    observers = session_observers(
        client.middleware,
        operation="realtime",
        api_type="realtime",
        model=model or getattr(client, "azure_deployment", None),
        url=url,
    )

    def open_socket(
        query: Mapping[str, object] | None, headers: Mapping[str, str | Omit] | None
    ) -> AbstractAsyncContextManager[WebSocket]:
        url = realtime_url(client, model=model, call_id=call_id, extra_query=query)
        return open_client_socket(
            client,
            url,
            extra_headers=headers,
            connect_timeout=connect_timeout,
            close_timeout=close_timeout,
            error_class=RealtimeConnectionError,
        )

    link = SessionLink(
        open_socket,
        policy=policy,
        extra_query=extra_query,
        extra_headers=extra_headers,
        error_class=RealtimeConnectionError,
        observers=observers,
    )
    connection = RealtimeConnection(
        link, buffer_size=buffer_size, raise_errors=raise_errors, close_timeout=close_timeout
    )
    async with run_linked_session(link, connection, close_timeout=close_timeout):
        yield connection


@final
class Realtime:
    """Realtime sessions over WebSocket: what ``client.realtime.connect(...)`` opens (the
    generated ``client.realtime`` resource reaches it through `RealtimeExtras`)."""

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    def connect(
        self,
        *,
        model: str | None = None,
        call_id: str | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_headers: Mapping[str, str | Omit] | None = None,
        buffer_size: int = 100,
        raise_errors: bool = True,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
        on_reconnecting: OnReconnecting | None = None,
        max_retries: int = 5,
        initial_delay: float = 0.5,
        max_delay: float = 8.0,
        max_queue_size: int = DEFAULT_MAX_QUEUE_SIZE,
    ) -> AbstractAsyncContextManager[RealtimeConnection]:
        """Open a Realtime session: ``async with client.realtime.connect(model=...) as conn``.

        The URL is the client's ``base_url`` with ws/wss and ``/realtime?model=…``
        (``call_id=…`` attaches to a SIP/WebRTC call instead). The handshake carries the
        client's credentials (API key or auth provider), organization, project, platform and
        default headers; ``extra_headers`` and ``extra_query`` add to or override them (``omit``
        removes a header). For an Azure client the URL is ``{endpoint}/openai/realtime`` with
        ``api-version`` and ``deployment`` (``model`` names the deployment), authenticated by
        the client's Azure credential; with any other Azure setup pass
        ``extra_headers={"api-key": ...}`` and ``extra_query={"api-version": ...,
        "deployment": ...}``.

        ``buffer_size`` bounds the events decoded ahead of the consumer. ``raise_errors``
        (default True) raises server ``error`` events as `RealtimeError`; False yields them.
        Opening raises the status error of a refused handshake (AuthenticationError for a
        401...), `APITimeoutError` after ``connect_timeout`` s, `RealtimeConnectionError`
        when the server cannot be reached. Leaving the block (normally, by an exception or
        by cancellation) closes the socket with code 1000, waiting at most
        ``close_timeout`` s for the server's answer; no task outlives the block.

        Reconnection (off unless ``on_reconnecting`` is given; names as openai-python):
        after an unexpected close (code 1001, 1005, 1006, 1011, 1012, 1013, 1015) the
        session reopens up to ``max_retries`` times with backoff from ``initial_delay``
        to ``max_delay`` s. ``on_reconnecting(event)`` (sync or async) sees each attempt
        and may return ``{"extra_query": ..., "extra_headers": ..., "abort": True}``. The
        last ``session.update`` is sent again on the new connection; responses in flight
        end with `WebSocketInterruptedError` from `recv`; events sent meanwhile wait in a
        queue of at most ``max_queue_size`` bytes (`WebSocketQueueFullError` beyond).
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
        policy.validate("realtime.connect")
        return _open_realtime(
            self._client,
            model=model,
            call_id=call_id,
            extra_query=extra_query,
            extra_headers=extra_headers,
            buffer_size=buffer_size,
            raise_errors=raise_errors,
            connect_timeout=connect_timeout,
            close_timeout=close_timeout,
            policy=policy,
        )
