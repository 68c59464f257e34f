"""WebSocket framing (RFC 6455), client side, sans-IO: server bytes in, messages out.

The codec under `_wsconn.WebSocket` (its I/O): no socket, no trio, nothing awaited, so every
framing rule is tested by feeding bytes (tests/test_wscodec.py: Hypothesis over every split
of frame streams, wsproto as the reference in both directions, and malformed input).

`FrameParser.receive_data` takes the bytes of one socket read and returns, in order, every
event they complete:

- ``str``: a text message (fragments reassembled, UTF-8 checked); ``bytes``: a binary one;
- `Ping` (answer it with ``encode_frame(PONG, ping.payload)``) and `Pong`;
- `Close`: the server's close frame (code 1005 when it carried none), or a protocol error
  of ours (``local=True``: send that close frame, then end the connection). Nothing
  follows a `Close`: the parser ignores later bytes.

Why not wsproto: it costs about a third of the per-event floor in the Realtime benchmark
(docs/performance.md): an event object per frame, a generator per parse, a bytearray
buffer copied per frame. Here one 64 KiB read is cut into all its complete frames by one
loop over a ``bytes`` object, with header fields read by integer indexing; a partial frame
waits in a buffer that is joined once its declared length has arrived (no quadratic
re-joining of a large message read in many pieces).

Errors (the close code the client sends): a masked server frame, reserved bits (no
extension is negotiated), an unknown opcode, a control frame over 125 bytes or
fragmented, a continuation without a message or a new message inside one, a 64-bit length
with its top bit set, a close frame with a one-byte payload or an invalid code: 1002;
invalid UTF-8 in a text message or a close reason: 1007; a message over
``max_message_size``: 1009 (refused as soon as a frame header announces it).
"""

from __future__ import annotations

import os
from typing import Final, final

__all__ = [
    "BINARY",
    "CLOSE",
    "PING",
    "PONG",
    "TEXT",
    "Close",
    "FrameParser",
    "Ping",
    "Pong",
    "close_payload",
    "encode_frame",
]

CONTINUATION: Final = 0x0
TEXT: Final = 0x1
BINARY: Final = 0x2
CLOSE: Final = 0x8
PING: Final = 0x9
PONG: Final = 0xA

_MAX_CONTROL: Final = 125
# Close codes a peer may send (RFC 6455 §7.4; 1012/1013 registered later); 3000-4999 too.
_VALID_CODES: Final = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013})


@final
class Ping:
    """A ping from the server: answer with a pong carrying the same payload."""

    __slots__ = ("payload",)

    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def __repr__(self) -> str:
        return f"Ping({self.payload!r})"


@final
class Pong:
    """A pong from the server (an answer to our ping, or unsolicited)."""

    __slots__ = ("payload",)

    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def __repr__(self) -> str:
        return f"Pong({self.payload!r})"


@final
class Close:
    """The end of the server's side: its close frame, or (``local``) our protocol error."""

    __slots__ = ("code", "local", "reason")

    def __init__(self, code: int, reason: str, *, local: bool = False) -> None:
        self.code = code
        self.reason = reason
        self.local = local

    def __repr__(self) -> str:
        return f"Close({self.code}, {self.reason!r}, local={self.local})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Close) and (self.code, self.reason, self.local) == (
            other.code,
            other.reason,
            other.local,
        )

    def __hash__(self) -> int:
        return hash((self.code, self.reason, self.local))


Event = str | bytes | Ping | Pong | Close


@final
class FrameParser:
    """Frames of the server's side of one connection; see the module docstring."""

    __slots__ = ("_buffer", "_fragments", "_kind", "_need", "_size", "closed", "max_message_size")

    def __init__(self, max_message_size: int = 1 << 24) -> None:
        self.max_message_size = max_message_size
        self.closed = False  # a Close was returned: later bytes are ignored
        self._buffer: list[bytes] = []  # a partial frame, joined once `_need` bytes are in
        self._need = 0
        self._kind = 0  # opcode of the fragmented message in progress (0: none)
        self._fragments: list[bytes] = []
        self._size = 0

    def receive_data(self, data: bytes) -> list[Event]:
        """The events completed by `data` (the next bytes from the server), in order."""
        if self.closed or not data:
            return []
        if self._buffer:
            self._buffer.append(data)
            self._need -= len(data)
            if self._need > 0:
                return []
            data = b"".join(self._buffer)
            self._buffer.clear()
        events: list[Event] = []
        end = len(data)
        pos = 0
        while end - pos >= 2:
            b0 = data[pos]
            b1 = data[pos + 1]
            length = b1 & 0x7F
            start = pos + 2
            if length == 126:
                if end - pos < 4:
                    break
                length = int.from_bytes(data[start : start + 2])
                start += 2
            elif length == 127:
                if end - pos < 10:
                    break
                length = int.from_bytes(data[start : start + 8])
                start += 8
            opcode = b0 & 0x0F
            if b0 & 0x70 or b1 & 0x80 or length >> 63:
                return self._fail(events, 1002, _header_error(b0, b1))
            if opcode >= CLOSE and (length > _MAX_CONTROL or not b0 & 0x80):
                return self._fail(events, 1002, "a fragmented or oversized control frame")
            if opcode < CLOSE and self._size + length > self.max_message_size:
                return self._fail(events, 1009, "message too big")
            stop = start + length
            if stop > end:
                break
            payload = data[start:stop]
            pos = stop
            if opcode == TEXT and b0 & 0x80 and not self._kind:
                try:
                    events.append(payload.decode())
                except UnicodeDecodeError:
                    return self._fail(events, 1007, "invalid UTF-8 in a text message")
            elif opcode == BINARY and b0 & 0x80 and not self._kind:
                events.append(payload)
            elif opcode >= CLOSE:
                if opcode == PING:
                    events.append(Ping(payload))
                elif opcode == PONG:
                    events.append(Pong(payload))
                elif opcode == CLOSE:
                    events.append(_close_event(payload))
                    self.closed = True
                    return events
                else:
                    return self._fail(events, 1002, f"unknown opcode {opcode:#x}")
            elif (error := self._fragment(opcode, b0 & 0x80, payload, events)) is not None:
                return self._fail(events, *error)
        if pos < end:
            rest = data[pos:]
            self._buffer.append(rest)
            self._need = _frame_size(rest) - len(rest)
        return events

    def _fragment(
        self, opcode: int, fin: int, payload: bytes, events: list[Event]
    ) -> tuple[int, str] | None:
        """Add a data frame of a fragmented message; the error, if it breaks the rules."""
        if opcode == CONTINUATION:
            if not self._kind:
                return 1002, "a continuation frame without a message"
        elif opcode in (TEXT, BINARY):
            if self._kind:
                return 1002, "a new message inside a fragmented one"
            self._kind = opcode
        else:
            return 1002, f"unknown opcode {opcode:#x}"
        self._fragments.append(payload)
        self._size += len(payload)
        if fin:
            whole = b"".join(self._fragments)
            kind = self._kind
            self._fragments.clear()
            self._size = 0
            self._kind = 0
            if kind == BINARY:
                events.append(whole)
            else:
                try:
                    events.append(whole.decode())
                except UnicodeDecodeError:
                    return 1007, "invalid UTF-8 in a text message"
        return None

    def _fail(self, events: list[Event], code: int, reason: str) -> list[Event]:
        events.append(Close(code, reason, local=True))
        self.closed = True
        self._buffer.clear()
        self._fragments.clear()
        return events


def _header_error(b0: int, b1: int) -> str:
    if b1 & 0x80:
        return "a masked frame from the server"
    if b0 & 0x70:
        return "reserved bits set without an extension"
    return "a 64-bit frame length with its top bit set"


def _frame_size(head: bytes) -> int:
    """The size of the frame `head` starts (a lower bound while its header is incomplete)."""
    if len(head) < 2:
        return 2
    length = head[1] & 0x7F
    if length < 126:
        return 2 + length
    width = 2 if length == 126 else 8
    if len(head) < 2 + width:
        return 2 + width
    return 2 + width + int.from_bytes(head[2 : 2 + width])


def _close_event(payload: bytes) -> Close:
    if not payload:
        return Close(1005, "")
    if len(payload) == 1:
        return Close(1002, "a close frame with a one-byte payload", local=True)
    code = int.from_bytes(payload[:2])
    if code not in _VALID_CODES and not 3000 <= code <= 4999:
        return Close(1002, f"a close frame with the invalid code {code}", local=True)
    try:
        return Close(code, payload[2:].decode())
    except UnicodeDecodeError:
        return Close(1007, "invalid UTF-8 in a close reason", local=True)


# -- the client's frames ----------------------------------------------------------------------


def encode_frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """One client frame: masked (RFC 6455 §5.3) with a fresh random key."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    if n < 126:
        head = bytes((b0, 0x80 | n))
    elif n < 65536:
        head = bytes((b0, 0xFE)) + n.to_bytes(2)
    else:
        head = bytes((b0, 0xFF)) + n.to_bytes(8)
    key = os.urandom(4)
    if not n:
        return head + key
    # XOR the whole payload as one big integer: linear, and ~50x faster than per byte.
    mask = (key * ((n + 3) // 4))[:n]
    masked = (int.from_bytes(payload) ^ int.from_bytes(mask)).to_bytes(n)
    return head + key + masked


def close_payload(code: int, reason: str | None) -> bytes:
    """The payload of a close frame: the code, then the reason cut to fit 125 bytes."""
    data = code.to_bytes(2)
    if reason:
        data += reason.encode()[: _MAX_CONTROL - 2].decode(errors="ignore").encode()
    return data
