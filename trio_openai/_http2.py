"""HTTP/2 on one connection, for `_http2_pool.H2Pool`: the h2 state machine, a reader and a
writer task, and the streams multiplexed over it.

Part of the transport layer (with ``_pool.py``, ``_http2_pool.py``); imported only when a
transport is built with ``http2=True`` (``h2`` is the optional extra ``http2``). Raises
httpx's transport errors only, like the HTTP/1.1 path, so the retry policy treats both alike.

Why a reader and a writer task (in the transport's nursery) instead of "whoever waits
reads": a cancelled `trio.SSLStream.send_all` breaks the TLS stream, and with many
streams on one connection one caller's cancellation must not break the others. So callers
only change the h2 state (synchronous calls, nothing to shield) and wake the writer, the
only task that writes; the reader is the only task that reads, and it hands each stream
its events. A stream that is cancelled or closed early is reset (RST_STREAM CANCEL) at
once, without an await, and releases only itself.

Flow control: each stream's receive window is `STREAM_WINDOW`, acknowledged when the
caller takes the bytes (a slow reader stalls its own stream, nothing else); the
connection's window is `CONNECTION_WINDOW`, so that many slow streams are needed to stall a
connection. Request bodies are sent as the server's windows allow.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterable
from typing import TYPE_CHECKING, Final, Protocol, cast

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import httpx
import trio
from h2.errors import ErrorCodes

from ._connect import Origin, describe as _describe
from ._http2_stream import (
    H2ResponseStream,
    NotSent,
    Stream,
    before_headers,
    code_name,
    request_headers,
)
from ._transport import CLOSE_GRACE

if TYPE_CHECKING:
    from h2.events import Event

__all__ = ["CONNECTION_WINDOW", "STREAM_WINDOW", "H2Connection", "NotSent"]

STREAM_WINDOW: Final = 256 * 1024  # a slow reader holds this much at most
CONNECTION_WINDOW: Final = 16 * 1024 * 1024
_READ_SIZE: Final = 65536
_MAX_FRAME: Final = STREAM_WINDOW  # the most a server may put in one frame (16 KiB by default)
_MAX_STREAMS_CAP: Final = 1000  # whatever the server allows, per connection
_READ_ERRORS: Final = (trio.BrokenResourceError, trio.ClosedResourceError, OSError, ssl.SSLError)


class Owner(Protocol):
    """The pool a connection tells when it has ended or a stream has been released."""

    def stream_released(self, conn: H2Connection) -> None: ...

    def connection_lost(self, conn: H2Connection) -> None: ...


class H2Connection:
    """One HTTP/2 connection: open streams, the reader and writer tasks' state."""

    def __init__(
        self,
        stream: trio.abc.Stream,
        socket: trio.socket.SocketType,
        origin: Origin,
        owner: Owner,
    ) -> None:
        self.stream = stream
        self.socket = socket
        self.origin = origin
        self._owner = owner
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self._h2 = h2.connection.H2Connection(config=config)
        self._h2.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                h2.settings.SettingCodes.ENABLE_PUSH: 0,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 65536,
            },
        )
        self._streams: dict[int, Stream] = {}
        self.active = 0  # streams reserved by the pool (opened or about to be)
        self.usable = True  # False after GOAWAY or a failure: no new streams
        self.ready = trio.Event()  # set at the server's first SETTINGS (or a failure)
        self.idle_since = 0.0  # when its last stream ended (``active`` at 0)
        self._failure: Exception | None = None
        self._write_wakeup = trio.Event()
        self._closed = False

    # -- state the pool reads -----------------------------------------------------------

    @property
    def max_streams(self) -> int:
        return min(self._h2.remote_settings.max_concurrent_streams, _MAX_STREAMS_CAP)

    @property
    def streams(self) -> int:
        return len(self._streams)

    def has_room(self) -> bool:
        return self.usable and self.active < self.max_streams

    # -- the connection's tasks -----------------------------------------------------------

    async def start(self, nursery: trio.Nursery) -> None:
        """Send the preface, start the reader and writer, wait for the server's SETTINGS."""
        self._h2.initiate_connection()
        # Large bodies in few frames (h2 spends its time per frame, not per byte). A second
        # SETTINGS: h2 accepts larger frames once the server acknowledges it, and the
        # server sends them only after its acknowledgement.
        self._h2.update_settings({h2.settings.SettingCodes.MAX_FRAME_SIZE: _MAX_FRAME})
        self._h2.increment_flow_control_window(CONNECTION_WINDOW - 65535)
        try:
            await self.stream.send_all(self._h2.data_to_send())
        except _READ_ERRORS as exc:
            raise httpx.ConnectError(_describe(exc)) from exc
        nursery.start_soon(self._read_loop)
        nursery.start_soon(self._write_loop)
        await self.ready.wait()
        if self._failure is not None:
            raise httpx.ConnectError(f"HTTP/2 connection failed at setup: {self._failure}")

    def _flush(self) -> None:
        self._write_wakeup.set()

    async def _write_loop(self) -> None:
        try:
            while not self._closed:
                await self._write_wakeup.wait()
                self._write_wakeup = trio.Event()
                if self._closed:
                    return
                data = self._h2.data_to_send()
                if data:
                    await self.stream.send_all(data)
        except _READ_ERRORS as exc:
            self._fail(httpx.WriteError(_describe(exc)))
        except Exception as exc:  # never into the transport's nursery (the user's block)
            self._fail(httpx.WriteError(f"HTTP/2 writer failed: {exc!r}"))

    async def _read_loop(self) -> None:
        try:
            while not self._closed:
                data = await self.stream.receive_some(_READ_SIZE)
                if not data:
                    self._fail(httpx.RemoteProtocolError("server closed the HTTP/2 connection"))
                    return
                for event in self._h2.receive_data(bytes(data)):
                    self._dispatch(event)
                self._flush()
        except _READ_ERRORS as exc:
            self._fail(httpx.ReadError(_describe(exc)))
        except h2.exceptions.ProtocolError as exc:
            self._fail(httpx.RemoteProtocolError(f"HTTP/2 protocol error: {exc}"))
        except Exception as exc:  # never into the transport's nursery (the user's block)
            self._fail(httpx.RemoteProtocolError(f"HTTP/2 reader failed: {exc!r}"))

    def _dispatch(self, event: Event) -> None:
        stream_id = cast("int | None", getattr(event, "stream_id", None))
        stream = self._streams.get(stream_id) if stream_id else None
        if isinstance(event, h2.events.DataReceived):
            if stream is None:  # a stream we reset: give the connection window back
                self._h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                return
            if event.data:
                stream.chunks.append(event.data)
            stream.unacked += event.flow_controlled_length
            stream.wake()
        elif isinstance(event, h2.events.ResponseReceived):
            if stream is not None:
                stream.headers = cast("list[tuple[bytes, bytes]]", list(event.headers or ()))
                stream.wake()
        elif isinstance(event, h2.events.StreamEnded):
            if stream is not None:
                stream.ended = True
                stream.wake()
        elif isinstance(event, h2.events.StreamReset):
            if stream is not None:
                code = code_name(event.error_code)
                error = httpx.RemoteProtocolError(f"the server reset the HTTP/2 stream ({code})")
                refused = event.error_code == ErrorCodes.REFUSED_STREAM
                stream.error = NotSent(error) if refused and stream.headers is None else error
                stream.wake()
        elif isinstance(event, h2.events.ConnectionTerminated):
            self._goaway(event)
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            self.ready.set()
            self._wake_all()  # a new initial window may let bodies go on
        elif isinstance(event, h2.events.WindowUpdated):
            if event.stream_id:
                if stream is not None:
                    stream.wake()
            else:
                self._wake_all()

    def _goaway(self, event: h2.events.ConnectionTerminated) -> None:
        self.usable = False
        self.ready.set()
        # h2 treats a received GOAWAY as the end of the connection and refuses any frame
        # after it; but the server may still finish the streams up to last_stream_id (a
        # graceful shutdown). Those are read to their end: back to open, with no new stream
        # opened here (``usable``).
        self._h2.state_machine.state = h2.connection.ConnectionState.CLIENT_OPEN
        last = event.last_stream_id if event.last_stream_id is not None else 0
        code = code_name(event.error_code)
        for stream_id, stream in self._streams.items():
            if stream_id > last and stream.error is None:
                stream.error = NotSent(
                    httpx.RemoteProtocolError(f"the server sent GOAWAY ({code}) before the request")
                )
                stream.wake()
        self._owner.stream_released(self)  # the pool drops it (and closes it when empty)

    def _fail(self, error: Exception) -> None:
        """The connection is gone: every open stream gets `error`; the socket is closed."""
        if self._failure is not None:
            return
        self._failure = error
        self.usable = False
        self.ready.set()
        for stream in self._streams.values():
            if stream.error is None and not (stream.ended and not stream.chunks):
                stream.error = error if stream.headers is not None else before_headers(error)
            stream.wake()
        self.close()
        self._owner.connection_lost(self)

    def _wake_all(self) -> None:
        for stream in self._streams.values():
            stream.wake()

    def close(self) -> None:
        """Close at once: no await, safe in any `finally`."""
        if not self._closed:
            self._closed = True
            self.usable = False
            self._write_wakeup.set()
            self.socket.close()

    # -- one request ----------------------------------------------------------------------

    async def exchange(self, request: httpx.Request, body: bytes | None) -> httpx.Response:
        """Send `request` on a new stream (reserved by the pool in ``active``) and wait
        for the response head. Raises NotSent when the server did not take the stream."""
        if not self.usable:
            self._reserved_done()
            raise NotSent(before_headers(self._failure or httpx.RemoteProtocolError("closed")))
        try:
            stream_id = self._h2.get_next_available_stream_id()
        except h2.exceptions.NoAvailableStreamIDError as exc:
            self.usable = False
            self._reserved_done()
            raise NotSent(httpx.RemoteProtocolError("HTTP/2 stream ids exhausted")) from exc
        stream = Stream(stream_id)
        self._streams[stream_id] = stream
        handed_over = False
        try:
            try:
                self._h2.send_headers(stream_id, request_headers(request), end_stream=body == b"")
            except h2.exceptions.TooManyStreamsError as exc:  # the server lowered its limit
                raise NotSent(httpx.RemoteProtocolError(f"no room for a stream: {exc}")) from exc
            except h2.exceptions.ProtocolError as exc:
                raise httpx.LocalProtocolError(f"HTTP/2 request refused locally: {exc}") from exc
            self._flush()
            try:
                if body is None:
                    await self._send_stream(stream, request)
                elif body:
                    await self._send_data(stream, body, end=True)
            except h2.exceptions.ProtocolError as exc:  # the stream closed under the upload
                if stream.error is not None:
                    raise stream.error from exc
                raise httpx.WriteError(f"HTTP/2 stream closed during the upload: {exc}") from exc
            while stream.headers is None:
                if stream.error is not None:
                    raise stream.error
                await stream.wait()
            status = 0
            headers: list[tuple[bytes, bytes]] = []
            for name, value in stream.headers:
                if name == b":status":
                    status = int(value)
                elif not name.startswith(b":"):
                    headers.append((name, value))
            response_stream = H2ResponseStream(self, stream)
            handed_over = True
            return httpx.Response(
                status,
                headers=headers,
                stream=response_stream,
                extensions={"http_version": b"HTTP/2"},
            )
        finally:
            if not handed_over:
                self.release(stream)

    async def _send_data(self, stream: Stream, data: bytes, *, end: bool) -> None:
        view = memoryview(data)
        while view:
            if stream.error is not None:
                raise stream.error
            if stream.headers is not None and stream.ended:
                return  # the server answered in full before the upload ended
            window = min(
                self._h2.local_flow_control_window(stream.id), self._h2.max_outbound_frame_size
            )
            if window <= 0:
                await stream.wait()
                continue
            piece, view = view[:window], view[window:]
            self._h2.send_data(stream.id, bytes(piece), end_stream=end and not view)
            self._flush()
        if end and not data:
            self._h2.end_stream(stream.id)
            self._flush()

    async def _send_stream(self, stream: Stream, request: httpx.Request) -> None:
        iterator = aiter(cast("AsyncIterable[bytes]", request.stream))
        finished = False
        try:
            async for chunk in iterator:
                if chunk:
                    await self._send_data(stream, chunk, end=False)
            finished = True
        finally:
            aclose = getattr(iterator, "aclose", None)
            if not finished and aclose is not None:
                with trio.CancelScope(shield=True) as scope:
                    scope.deadline = trio.current_time() + CLOSE_GRACE
                    with contextlib.suppress(Exception):
                        await aclose()
        if stream.error is None and not stream.ended:
            self._h2.end_stream(stream.id)
            self._flush()

    def take(self, stream: Stream) -> bytes:
        """All bytes buffered for `stream`, acknowledged to the server."""
        chunks = stream.chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        if stream.unacked and not self._closed:
            with contextlib.suppress(h2.exceptions.ProtocolError):
                self._h2.acknowledge_received_data(stream.unacked, stream.id)
            self._flush()
        stream.unacked = 0
        return data

    def release(self, stream: Stream) -> None:
        """The stream's caller is done with it: reset it when it is still open."""
        if self._streams.pop(stream.id, None) is None:
            return
        if not self._closed:
            if stream.unacked:
                with contextlib.suppress(h2.exceptions.ProtocolError):
                    self._h2.acknowledge_received_data(stream.unacked, stream.id)
            state = self._h2.streams.get(stream.id)
            if state is not None and not state.closed:  # still open on our side: reset it
                with contextlib.suppress(h2.exceptions.ProtocolError):
                    self._h2.reset_stream(stream.id, ErrorCodes.CANCEL)
            self._flush()
        stream.chunks.clear()
        self._reserved_done()

    def _reserved_done(self) -> None:
        self.active -= 1
        if not self.active:
            self.idle_since = trio.current_time()
        self._owner.stream_released(self)
