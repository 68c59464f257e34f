"""A client WebSocket over a trio stream, with no task of its own (framing: `_wscodec`).

`client_handshake` sends the opening handshake (RFC 6455 §4) over a stream the caller
opened (TCP, TLS already negotiated) and checks the answer: ``101`` with ``Upgrade:
websocket``, ``Connection: upgrade`` and the ``Sec-WebSocket-Accept`` of our key, no
extension or subprotocol we did not offer. A refused handshake raises `HandshakeRejected`
with the status, headers and body of the answer, so that the caller can raise the same
status error (AuthenticationError for a 401...) as an HTTP request would.

`WebSocket` is the open connection. Its reader is the caller's task: `receive_messages`
reads the socket once and returns every message that read completed, so that a session's
reader task decodes a whole 64 KiB read at once with no hop through a task of ours (the
trio-websocket client had its own reader task and channel: one more scheduler pass per
event, docs/performance.md). Pings are answered from there. Sending is safe from several
tasks at once (a lock orders the frames).

Closing: `aclose` sends our close frame and waits for the server's; it reads the socket
itself when no task is reading, else waits for the reading task to see the answer. After
our close frame, `receive_messages` returns nothing more (as trio-websocket did). `closed`
says why the connection ended: the server's close frame (code 1005 when it had no code),
our own close (what we sent), our protocol error (1002, 1007, 1009), or 1006 when the TCP
connection ended without a close frame.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Sequence
from typing import Final, final

import trio

from ._h1codec import END, NEED_DATA, RemoteProtocolError, ResponseParser
from ._wscodec import CLOSE, PONG, TEXT, Close, FrameParser, Ping, close_payload, encode_frame

__all__ = [
    "CloseReason",
    "ConnectionClosed",
    "HandshakeFailed",
    "HandshakeRejected",
    "WebSocket",
    "client_handshake",
]

_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_READ_SIZE: Final = 65536
_MAX_HEAD: Final = 65536
_MAX_REJECTION_BODY: Final = 1 << 20
_STATUS: Final = re.compile(rb"HTTP/1\.[01] ([0-9]{3})(?: [^\r\n]*)?")
_NAMES: Final = {
    1000: "NORMAL_CLOSURE",
    1001: "GOING_AWAY",
    1002: "PROTOCOL_ERROR",
    1003: "UNSUPPORTED_DATA",
    1005: "NO_STATUS_RCVD",
    1006: "ABNORMAL_CLOSURE",
    1007: "INVALID_FRAME_PAYLOAD_DATA",
    1008: "POLICY_VIOLATION",
    1009: "MESSAGE_TOO_BIG",
    1010: "MANDATORY_EXT",
    1011: "INTERNAL_ERROR",
    1012: "SERVICE_RESTART",
    1013: "TRY_AGAIN_LATER",
    1015: "TLS_HANDSHAKE_FAILED",
}

Stream = trio.abc.Stream


@final
class CloseReason:
    """Why a WebSocket ended: the close code, its RFC name and the reason text."""

    __slots__ = ("code", "name", "reason")

    def __init__(self, code: int, reason: str | None) -> None:
        self.code = code
        self.reason = reason
        self.name = _NAMES.get(code) or (
            "RFC_RESERVED"
            if 1000 <= code <= 2999
            else "IANA_RESERVED"
            if 3000 <= code <= 3999
            else "PRIVATE_RESERVED"
            if 4000 <= code <= 4999
            else "INVALID_CODE"
        )

    def __repr__(self) -> str:
        return f"<CloseReason code={self.code} name={self.name} reason={self.reason!r}>"


class ConnectionClosed(Exception):
    """The WebSocket is closed: nothing more can be received or sent."""

    def __init__(self, reason: CloseReason | None) -> None:
        super().__init__(reason)
        self.reason = reason


class HandshakeFailed(Exception):
    """The server's answer to the opening handshake is not a valid WebSocket upgrade."""


class HandshakeRejected(Exception):
    """The server refused the upgrade with an HTTP answer (kept whole for the caller)."""

    def __init__(self, status_code: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        super().__init__(f"the server refused the WebSocket upgrade with HTTP {status_code}")
        self.status_code = status_code
        self.headers = headers
        self.body = body


class ClosedDuringHandshake(HandshakeFailed):
    """The server closed the connection before answering the handshake."""


def handshake_request(
    host: str, target: str, headers: Sequence[tuple[str, str]]
) -> tuple[bytes, bytes]:
    """The GET of the opening handshake and the ``Sec-WebSocket-Accept`` it expects."""
    key = base64.b64encode(os.urandom(16))
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key.decode()}",
        "Sec-WebSocket-Version: 13",
    ]
    for name, value in headers:
        if "\r" in name or "\n" in name or "\r" in value or "\n" in value:
            raise ValueError(f"Invalid character in the handshake header {name!r}")
        lines.append(f"{name}: {value}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
    return request, accept


def _parse_head(head: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    lines = head.split(b"\r\n")
    match = _STATUS.fullmatch(lines[0])
    if match is None:
        raise HandshakeFailed(f"malformed status line {lines[0][:100]!r}")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise HandshakeFailed(f"malformed header line {line[:100]!r}")
        headers.append((name, value.strip(b" \t")))
    return int(match[1]), headers


def _tokens(headers: list[tuple[bytes, bytes]], name: bytes) -> set[bytes]:
    return {
        token.strip().lower()
        for key, value in headers
        if key.lower() == name
        for token in value.split(b",")
    }


async def client_handshake(
    stream: Stream,
    host: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    *,
    max_message_size: int,
) -> WebSocket:
    """Upgrade `stream` to a WebSocket; see the module docstring for what it raises.

    The caller bounds the time it takes and owns `stream` (closes it on failure)."""
    request, accept = handshake_request(host, target, headers)
    await stream.send_all(request)
    received = b""
    while (end := received.find(b"\r\n\r\n")) < 0:
        if len(received) > _MAX_HEAD:
            raise HandshakeFailed("the handshake answer's head is too large")
        data = bytes(await stream.receive_some(_READ_SIZE))
        if not data:
            raise ClosedDuringHandshake("the server closed the connection during the handshake")
        received += data
    status, answer = _parse_head(received[:end])
    if status != 101:
        raise await _rejection(stream, received, status, answer)
    if b"websocket" not in _tokens(answer, b"upgrade"):
        raise HandshakeFailed("the answer lacks Upgrade: websocket")
    if b"upgrade" not in _tokens(answer, b"connection"):
        raise HandshakeFailed("the answer lacks Connection: upgrade")
    if [v for k, v in answer if k.lower() == b"sec-websocket-accept"] != [accept]:
        raise HandshakeFailed("the answer's Sec-WebSocket-Accept does not match our key")
    for name in (b"sec-websocket-extensions", b"sec-websocket-protocol"):
        if any(k.lower() == name for k, _ in answer):
            raise HandshakeFailed(f"the server chose a {name.decode()} we did not offer")
    return WebSocket(
        stream, target, answer, max_message_size=max_message_size, rest=received[end + 4 :]
    )


async def _rejection(
    stream: Stream, received: bytes, status: int, headers: list[tuple[bytes, bytes]]
) -> HandshakeRejected:
    """The refusal, with its body read to its end (as its head frames it), when it can be."""
    parser = ResponseParser()
    parser.start("GET")
    parser.receive_data(received)
    body: list[bytes] = []
    size = 0
    try:
        while size <= _MAX_REJECTION_BODY:
            event = parser.next_event()
            if event is END:
                break
            if event is NEED_DATA:
                data = bytes(await stream.receive_some(_READ_SIZE))
                if data:
                    parser.receive_data(data)
                else:
                    parser.receive_eof()
            elif isinstance(event, bytes):
                body.append(event)
                size += len(event)
    except (RemoteProtocolError, trio.BrokenResourceError, OSError):
        pass  # what arrived is what there is to show
    return HandshakeRejected(status, headers, b"".join(body)[:_MAX_REJECTION_BODY])


@final
class WebSocket:
    """An open client WebSocket; see the module docstring."""

    def __init__(
        self,
        stream: Stream,
        path: str,
        handshake_headers: list[tuple[bytes, bytes]],
        *,
        max_message_size: int,
        rest: bytes = b"",
    ) -> None:
        self.path = path
        self.handshake_headers = handshake_headers  # of the server's 101 answer
        self.closed: CloseReason | None = None
        self._stream = stream
        self._parser = FrameParser(max_message_size)
        self._send_lock = trio.Lock()
        self._close_sent = False  # a close frame of ours went out
        self._closing = False  # we started the close handshake: nothing more is received
        self._close_waited = False  # an `aclose` has ended
        self._finished = False  # the server's close frame arrived, or the stream ended
        self._reading = False
        self._read_done = trio.Event()
        self._backlog: list[str | bytes] = []
        self._pending = rest  # bytes that came with the handshake answer

    def __repr__(self) -> str:
        return f"<WebSocket {self.path!r} closed={self.closed!r}>"

    async def receive_messages(self) -> list[str | bytes]:
        """The messages completed by the next read of the socket (never an empty list).

        Raises `ConnectionClosed` once the connection is closed and every message that
        arrived before is returned. Cancelling it loses nothing."""
        while True:
            if self._backlog:
                messages, self._backlog = self._backlog, []
                return messages
            if self._closing or self._finished:
                raise ConnectionClosed(self.closed)
            if self._reading:
                raise trio.BusyResourceError("another task is receiving from this WebSocket")
            messages = await self._read()
            if messages and not self._closing:
                return messages

    async def _read(self) -> list[str | bytes]:
        """One read of the socket, parsed: pings answered, closes handled."""
        self._reading = True
        try:
            if self._pending:
                data, self._pending = self._pending, b""
            else:
                try:
                    data = await self._stream.receive_some(_READ_SIZE)
                    if type(data) is not bytes:  # trio's streams give bytes: not a copy
                        data = bytes(data)
                except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                    data = b""
        finally:
            self._reading = False
            self._read_done.set()
            self._read_done = trio.Event()
        if not data:
            self._finished = True
            if self.closed is None:
                self.closed = CloseReason(1006, None)
            return []
        events = self._parser.receive_data(data)
        messages: list[str | bytes] = []
        for event in events:
            if type(event) is str or type(event) is bytes:
                messages.append(event)
            elif isinstance(event, Ping):
                await self._send_frame(PONG, event.payload, quiet=True)
            elif isinstance(event, Close):
                await self._closed_by_server(event)
        return messages

    async def _closed_by_server(self, event: Close) -> None:
        self._finished = True
        if self.closed is None:
            self.closed = CloseReason(event.code, event.reason or None)
        if not self._close_sent:
            self._close_sent = True
            # Answer a close with its code (none for 1005); a protocol error with ours.
            payload = b"" if event.code == 1005 else close_payload(event.code, event.reason)
            await self._send_frame(CLOSE, payload, quiet=True)

    async def _send_frame(self, opcode: int, payload: bytes, *, quiet: bool = False) -> None:
        frame = encode_frame(opcode, payload)
        try:
            async with self._send_lock:
                await self._stream.send_all(frame)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            self._finished = True
            if self.closed is None:
                self.closed = CloseReason(1006, None)
            if not quiet:
                raise ConnectionClosed(self.closed) from None

    async def send_message(self, message: str) -> None:
        """Send one text message. Raises `ConnectionClosed` once the connection is closed."""
        if self._closing or self._finished:
            raise ConnectionClosed(self.closed)
        await self._send_frame(TEXT, message.encode())

    async def aclose(self, code: int = 1000, reason: str | None = None) -> None:
        """Send a close frame (unless one was sent) and wait for the server's.

        Not bounded by itself: callers shield it and bound it by a timeout. Once a call
        has ended (answered, timed out or cancelled), later calls return at once: the
        grace given to the server is not given twice."""
        if self._close_waited:
            return
        try:
            if not self._close_sent and not self._finished:
                self._close_sent = self._closing = True
                if self.closed is None:
                    self.closed = CloseReason(code, reason)
                await self._send_frame(CLOSE, close_payload(code, reason), quiet=True)
            while not self._finished:
                if self._reading:
                    await self._read_done.wait()
                else:
                    await self._read()  # messages after our close frame are dropped
        finally:
            self._close_waited = True
