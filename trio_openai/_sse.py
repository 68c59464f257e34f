"""Sans-IO decoder for server-sent events (the WHATWG "event stream" format).

Feed it the bytes of a response body as they arrive; it returns the events each chunk
completes. It does no I/O and imports neither trio nor httpx. Data stays as bytes (the JSON
decoder validates UTF-8); event names and ids are decoded leniently. An event that grows
past `max_event_size` before it is dispatched raises `EventTooLargeError`, so memory stays
bounded.

As WHATWG says, an event without any `data:` line is not dispatched. Where an EventSource
keeps state, this decoder reports it: an empty `event:` or `id:` value reads as None (WHATWG
treats both as absent), and `retry` is set on the event that carried it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ._errors import EventTooLargeError

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"


class ServerSentEvent(NamedTuple):
    """One dispatched event (an immutable value).

    `event` is None when the stream gave no (or an empty) `event:` field, which WHATWG
    reads as "message". `data` is the `data:` lines joined with b"\\n". `id` is the last
    event id seen on the stream so far (ids persist across events). `retry` is the
    reconnection delay in milliseconds given inside this event, if any.
    """

    event: str | None
    data: bytes
    id: str | None
    retry: int | None


# A tuple is built by one C call; a frozen attrs class needed one call per field, about
# as costly as the rest of decoding a typical event.
_new_tuple: Callable[
    [type[ServerSentEvent], tuple[str | None, bytes, str | None, int | None]], ServerSentEvent
] = vars(tuple)["__new__"]


def _make_event(
    event: str | None, data: bytes, id: str | None, retry: int | None
) -> ServerSentEvent:
    return _new_tuple(ServerSentEvent, (event, data, id, retry))


class SSEDecoder:
    """Incremental SSE parser: `feed()` bytes, get completed events; `end()` at EOF.

    Lines may end in CR, LF or CRLF, and a CRLF may be split between two chunks. Raises
    `EventTooLargeError` from `feed()` when the undispatched event (its data plus any
    unterminated line) exceeds `max_event_size` bytes; the decoder is then unusable.
    """

    __slots__ = (
        "_at_boundary",
        "_data",
        "_data_size",
        "_event",
        "_first_line",
        "_last_id",
        "_max_event_size",
        "_partial",
        "_retry",
        "_skip_lf",
    )

    def __init__(self, *, max_event_size: int = 32 * 1024 * 1024) -> None:
        self._max_event_size = max_event_size
        self._partial = bytearray()  # an unterminated line, carried to the next chunk
        self._skip_lf = False  # the last chunk ended in CR: a leading LF completes a CRLF
        self._first_line = True  # a BOM is stripped from the stream's first line only
        # True between events: nothing carried over but the last event id (fast path).
        self._at_boundary = False
        self._event: str | None = None
        self._data: list[bytes] = []
        self._data_size = 0
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume `chunk`; return the events it completes, in stream order."""
        # Membership tests use ints (13 is CR, 10 is LF): `13 in chunk` is a bare memchr,
        # several times cheaper than `b"\r" in chunk` on CPython.
        if 13 in chunk or self._skip_lf or len(chunk) > self._max_event_size:
            return self._feed_lines(chunk)
        # A read of the body rarely ends where an event does: finish the event in progress
        # line by line, take the whole events after it in one go (`_whole_events`), and
        # keep the unfinished one at the end line by line again.
        events: list[ServerSentEvent] = []
        if not self._at_boundary:
            first = chunk.find(b"\n\n") + 2
            if first < 2:
                return self._feed_lines(chunk)
            events = self._feed_lines(chunk[:first])
            chunk = chunk[first:]
            if not chunk:
                return events
            if not self._at_boundary:  # not expected after a blank line; kept general
                return events + self._feed_lines(chunk)
        end = chunk.rfind(b"\n\n") + 2
        if end >= 2:
            whole = self._whole_events(chunk if end == len(chunk) else chunk[:end])
            if whole is not None:
                if end == len(chunk):
                    return events + whole if events else whole
                events += whole
                chunk = chunk[end:]
        return events + self._feed_lines(chunk) if events else self._feed_lines(chunk)

    def _feed_lines(self, chunk: bytes) -> list[ServerSentEvent]:
        """The general path of `feed`: line by line."""
        if self._at_boundary and 13 not in chunk:
            lines = chunk.split(b"\n")
        else:
            split = self._split_lines(chunk)
            if split is None:
                return []
            lines = split
        tail = lines.pop()
        events = self._process(lines) if lines else []
        partial = self._partial
        if tail:
            partial += tail
            self._check_size(len(partial) + self._data_size)
        self._at_boundary = not (
            partial or self._skip_lf or self._data or self._event or self._retry is not None
        )
        return events

    def _whole_events(self, chunk: bytes) -> list[ServerSentEvent] | None:
        """The events of `chunk` if it is made of whole events of the usual shapes (no CR,
        no other fields, between events); None otherwise, for the general path.

        Split at the separator of events (b"\\n\\ndata: " or b"\\n\\nevent: "), each piece
        must hold no other LF (a memchr each): several times cheaper per event than going
        line by line.
        """
        if chunk[-2:] != b"\n\n":
            return None
        last_id = self._last_id
        if chunk[:6] == b"data: ":
            datas = chunk[6:-2].split(b"\n\ndata: ")
            for data in datas:
                if 10 in data:
                    return None
            return [_new_tuple(ServerSentEvent, (None, data, last_id, None)) for data in datas]
        if chunk[:7] != b"event: ":
            return None
        events: list[ServerSentEvent] = []
        for block in chunk[7:-2].split(b"\n\nevent: "):
            name, _, line = block.partition(b"\n")
            if not name or line[:6] != b"data: " or 10 in line:
                return None
            name_text = name.decode("utf-8", "replace")
            events.append(_new_tuple(ServerSentEvent, (name_text, line[6:], last_id, None)))
        return events

    def end(self) -> list[ServerSentEvent]:
        """Signal EOF. An event not yet ended by a blank line is dropped, so this returns []."""
        self._partial.clear()
        self._skip_lf = False
        self._event = None
        self._data = []
        self._data_size = 0
        self._retry = None
        self._at_boundary = not self._first_line
        return []

    def _split_lines(self, chunk: bytes) -> list[bytes] | None:
        """Join `chunk` to any carried partial line and split it at LF, CR and CRLF.

        The last item is the new unterminated remainder (maybe b""). None means the chunk
        completed no line, so there is nothing to process.
        """
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[0] == 10:
                chunk = chunk[1:]
        if not chunk:
            return None
        partial = self._partial
        if partial:
            # Look for a line end in the new bytes only: rescanning the carried line on
            # every chunk would be quadratic for a long line arriving in small pieces.
            partial += chunk
            if 10 not in chunk and 13 not in chunk:
                self._check_size(len(partial) + self._data_size)
                return None
            chunk = bytes(partial)
            partial.clear()
        if 13 in chunk:
            self._skip_lf = chunk[-1] == 13
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        if self._first_line and len(lines) > 1:
            self._first_line = False
            if lines[0][:3] == _BOM:
                lines[0] = lines[0][3:]
        return lines

    def _process(self, lines: list[bytes]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        event = self._event
        data = self._data
        data_size = self._data_size
        last_id = self._last_id
        retry = self._retry
        limit = self._max_event_size
        for line in lines:
            if line[:6] == b"data: ":  # the common case, checked first
                data.append(line[6:])
                data_size += len(line) - 5
                if data_size > limit:
                    self._check_size(data_size)
                continue
            if not line:  # a blank line dispatches
                if data:
                    events.append(_make_event(event, b"\n".join(data), last_id, retry))
                    data = []
                    data_size = 0
                event = None
                retry = None
                continue
            name, colon, value = line.partition(b":")
            if not name and colon:  # a comment
                continue
            if value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                data.append(value)
                data_size += len(value) + 1
                if data_size > limit:
                    self._check_size(data_size)
            elif name == b"event":
                event = value.decode("utf-8", "replace") or None
            elif name == b"id" and 0 not in value:  # an id containing NUL is ignored
                last_id = value.decode("utf-8", "replace") or None
            elif name == b"retry" and value.isdigit():  # isdigit(): ASCII digits only
                retry = int(value)
        self._event = event
        self._data = data
        self._data_size = data_size
        self._last_id = last_id
        self._retry = retry
        return events

    def _check_size(self, size: int) -> None:
        if size > self._max_event_size:
            raise EventTooLargeError(
                f"server-sent event exceeds max_event_size ({size} > {self._max_event_size} bytes)"
            )
