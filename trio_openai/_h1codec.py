"""HTTP/1.1, client side, sans-IO: response bytes in, events out; request heads out.

The codec under `_pool.TrioTransport` (its I/O is ``_http11.py``): no socket, no trio,
nothing awaited, so every framing rule is tested by feeding bytes (tests/test_h1codec.py:
Hypothesis over every split of valid and malformed responses, h11 as the reference).

`ResponseParser` reads the responses of one connection. `ResponseParser.next_event` gives:

- `Head`: the status line and headers (1xx heads too; the final head follows them);
- ``bytes``: body data, all that the bytes received so far decode to, in one piece (one
  socket read of a chunked body is one piece, not one per chunk: fewer objects and task
  switches above), never empty;
- `END`: the response is complete; bytes received past it stay in `ResponseParser.buffered`;
- `NEED_DATA`: feed `receive_data` (or `receive_eof`) and ask again.

Framing (RFC 9112 §6): no body after a HEAD request, a 1xx, 204 or 304 status, or a 2xx
answer to CONNECT; ``Transfer-Encoding: chunked`` wins over Content-Length, and then the
connection is not reused (both at once is how response splitting starts, RFC 9112 §6.3);
else Content-Length; else the body runs until the server closes. Chunked bodies are read by
an explicit state machine: size line (hex size, extensions), data, CRLF, trailer fields,
blank line; whole chunks in the plainest form (a streamed event each) first take a fast
path (`_whole_chunks`) that leaves anything else to the state machine.

Strict on malformed input: the head and body errors raise `RemoteProtocolError`
(`HeadError` for the head, which tells the pool the server did answer), request heads
that cannot be written raise `LocalProtocolError`; ``_http11.py`` raises them as httpx's
errors of the same names (this module imports neither httpx nor trio). Limits: a head
(or the trailer section) of at most 64 KiB, a chunk-size line of at most 4 KiB.
"""

from __future__ import annotations

import re
from typing import Final, final

__all__ = [
    "END",
    "NEED_DATA",
    "Head",
    "HeadError",
    "LocalProtocolError",
    "RemoteProtocolError",
    "ResponseParser",
    "connect_head",
    "request_head",
]

_MAX_HEAD: Final = 65536  # a response head (status line and headers) larger than this is refused
_MAX_CHUNK_LINE: Final = 4096

_TOKEN: Final = rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+"
_VALUE: Final = rb"(?:[\x21-\x7e\x80-\xff]+(?:[ \t]+[\x21-\x7e\x80-\xff]+)*)?"
_FIELD: Final = re.compile(rb"(" + _TOKEN + rb"):[ \t]*(" + _VALUE + rb")[ \t]*")
_FOLD: Final = re.compile(rb"[ \t]+(" + _VALUE + rb")[ \t]*")  # obs-fold: a continuation line
_STATUS: Final = re.compile(rb"HTTP/(1\.[0-9]) ([1-9][0-9]{2})(?: ([\t\x20-\x7e\x80-\xff]*))?")
_CHUNK_SIZE: Final = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[\t\x20-\x7e\x80-\xff]*)?")
_HEAD_END: Final = re.compile(rb"\n\r?\n")
_LINE_END: Final = re.compile(rb"\r?\n")
_DIGITS: Final = re.compile(rb"[0-9]{1,19}")

_IS_TOKEN: Final = re.compile(_TOKEN)
_BAD_VALUE: Final = re.compile(rb"[\x00\r\n]")
_BAD_TARGET: Final = re.compile(rb"[\x00-\x20\x7f]")

# Parser states.
_IDLE: Final = 0  # no request sent yet (or the last response is complete)
_HEAD: Final = 1
_LENGTH: Final = 2  # Content-Length bytes left in `_left`
_UNTIL_EOF: Final = 3
_CHUNK_SIZE_LINE: Final = 4
_CHUNK_DATA: Final = 5  # bytes of the current chunk left in `_left`
_CHUNK_CRLF: Final = 6
_TRAILERS: Final = 7
_DONE: Final = 8


@final
class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


END: Final = _Sentinel("END")
NEED_DATA: Final = _Sentinel("NEED_DATA")


class RemoteProtocolError(Exception):
    """The server broke HTTP/1.1 (the transport raises it as RemoteProtocolError)."""


class HeadError(RemoteProtocolError):
    """The response head is malformed, too large, or cut short by the server closing."""


class LocalProtocolError(Exception):
    """A request head that cannot be written (raised as LocalProtocolError)."""


@final
class Head:
    """A response's status line and headers, as received (names keep their case)."""

    __slots__ = ("headers", "http_version", "reason", "status")

    def __init__(
        self, status: int, reason: bytes, headers: list[tuple[bytes, bytes]], http_version: bytes
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.http_version = http_version  # b"1.1", b"1.0"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Head):
            return NotImplemented
        return (self.status, self.reason, self.headers, self.http_version) == (
            other.status,
            other.reason,
            other.headers,
            other.http_version,
        )

    def __repr__(self) -> str:
        return f"Head({self.status}, {self.reason!r}, {len(self.headers)} headers)"


def _body_error() -> RemoteProtocolError:
    return RemoteProtocolError("peer closed connection without sending complete message body")


@final
class ResponseParser:
    """The responses of one connection, one after another: `start` before each.

    ``keep_alive`` says, once the final head is parsed, whether the response lets the
    connection be reused (HTTP/1.1 without ``Connection: close``, a framing that ends
    before the server closes, not both Transfer-Encoding and Content-Length).
    """

    __slots__ = (
        "_buffer",
        "_closed",
        "_connect",
        "_left",
        "_no_body",
        "_received",
        "_scan",
        "_state",
        "_trailer_bytes",
        "keep_alive",
    )

    def __init__(self) -> None:
        self._buffer = b""
        self._state = _IDLE
        self._left = 0
        self._scan = 0  # where the search for the end of the head resumes
        self._trailer_bytes = 0
        self._no_body = False
        self._connect = False
        self._closed = False
        self._received = False
        self.keep_alive = False

    # -- feeding ---------------------------------------------------------------------

    def start(self, method: str) -> None:
        """A request with this method was sent: parse its response next."""
        if self._state not in (_IDLE, _DONE):
            raise RuntimeError("the previous response is not complete")
        self._state = _HEAD
        self._no_body = method == "HEAD"
        self._connect = method == "CONNECT"
        self._received = bool(self._buffer)
        self._scan = 0
        self.keep_alive = False

    def receive_data(self, data: bytes) -> None:
        if self._closed:
            raise RuntimeError("data received after the end of the connection")
        if data:
            self._buffer = self._buffer + data if self._buffer else data
            self._received = True

    def receive_eof(self) -> None:
        """The server closed its side of the connection."""
        self._closed = True

    @property
    def buffered(self) -> bytes:
        """Bytes received and not parsed yet (past the end of a complete response: bytes the
        server should not have sent, so the connection is not to be reused)."""
        return self._buffer

    @property
    def received(self) -> bool:
        """Whether any byte of this response has arrived (or was waiting before `start`)."""
        return self._received

    @property
    def complete(self) -> bool:
        """The response in progress has been read to its end."""
        return self._state == _DONE

    # -- events ----------------------------------------------------------------------

    def next_event(self) -> Head | bytes | _Sentinel:
        """The next event; raises RemoteProtocolError (HeadError in the head)."""
        state = self._state
        if state == _CHUNK_SIZE_LINE:  # a chunked body between chunks: the streaming case
            buffer = self._buffer
            if not buffer:
                if self._closed:
                    raise _body_error()
                return NEED_DATA
            pieces: list[bytes] = []
            pos = _whole_chunks(buffer, 0, len(buffer), pieces)
            if pos == len(buffer):
                self._buffer = b""
                return pieces[0] if len(pieces) == 1 else b"".join(pieces)
            return self._chunked(pos, pieces)  # the rest: by the state machine
        if state >= _CHUNK_SIZE_LINE and state != _DONE:
            return self._chunked(0, [])
        if state == _LENGTH:
            buffer = self._buffer
            if not buffer:
                if self._closed:
                    raise _body_error()
                return NEED_DATA
            left = self._left
            if len(buffer) <= left:
                self._buffer = b""
                self._left = left - len(buffer)
            else:
                self._buffer = buffer[left:]
                buffer = buffer[:left]
                self._left = 0
            if not self._left:
                self._state = _DONE
            return buffer
        if state == _DONE:
            return END
        if state == _HEAD:
            return self._head()
        if state == _UNTIL_EOF:
            buffer = self._buffer
            if buffer:
                self._buffer = b""
                return buffer
            if self._closed:
                self._state = _DONE
                return END
            return NEED_DATA
        raise RuntimeError("no request was started")

    def _head(self) -> Head | _Sentinel:
        buffer = self._buffer
        match = _HEAD_END.search(buffer, self._scan)
        if match is None:
            if len(buffer) > _MAX_HEAD:
                raise HeadError("response head too large")
            if self._closed:
                if buffer:
                    raise HeadError("server closed the connection in the response head")
                raise RemoteProtocolError("Server disconnected without sending a response.")
            self._scan = max(0, len(buffer) - 2)
            return NEED_DATA
        if match.end() > _MAX_HEAD:
            raise HeadError("response head too large")
        self._buffer = buffer[match.end() :]
        self._scan = 0
        text = buffer[: match.start()]
        head = _parse_head(_LINE_END.split(text[:-1] if text.endswith(b"\r") else text))
        if head.status < 200:
            if head.status == 101:
                raise HeadError("unexpected 101 Switching Protocols: no upgrade was asked for")
            return head  # informational: the final head follows
        self._frame(head)
        return head

    def _frame(self, head: Head) -> None:
        """Choose how the body ends, from the final head (RFC 9112 §6.3)."""
        length: bytes | None = None
        encoding: bytes | None = None
        keep = head.http_version != b"1.0"
        tokens: set[bytes] = set()  # of the Connection header
        fields = head.headers
        for index in range(len(fields) - 1, -1, -1):  # backwards: repeats are dropped in place
            name, value = fields[index]
            lowered = name.lower()
            if lowered == b"content-length":
                parts = {part.strip(b" \t") for part in value.split(b",")}
                single = parts.pop()
                if parts or not _DIGITS.fullmatch(single):
                    raise HeadError(f"malformed Content-Length {value!r}")
                if length is not None and single != length:
                    raise HeadError("conflicting Content-Length headers")
                length = single
                # Shown once and as one value ("5, 5" is "5"), as h11 and httpcore show it.
                if any(n.lower() == b"content-length" for n, _ in fields[:index]):
                    del fields[index]
                elif single != value:
                    fields[index] = (name, single)
            elif lowered == b"transfer-encoding":
                if encoding is not None:
                    raise HeadError("multiple Transfer-Encoding headers")
                encoding = value.lower()
                if encoding != b"chunked":
                    raise HeadError(f"unsupported Transfer-Encoding {value!r}: only chunked")
                fields[index] = (name, encoding)
            elif lowered == b"connection":
                tokens.update(token.strip(b" \t") for token in value.lower().split(b","))
        if b"close" in tokens:
            keep = False
        elif b"keep-alive" in tokens and head.http_version == b"1.0":
            keep = True
        status = head.status
        if self._no_body or status in (204, 304) or (self._connect and status < 300):
            self._state = _DONE
        elif encoding is not None:
            self._state = _CHUNK_SIZE_LINE
            self._trailer_bytes = 0
            if length is not None or head.http_version == b"1.0":
                keep = False  # framing a server should not send: do not trust what follows
        elif length is not None:
            self._left = int(length)
            self._state = _LENGTH if self._left else _DONE
        else:
            self._state = _UNTIL_EOF
            keep = False
        self.keep_alive = keep

    def _chunked(self, pos: int, pieces: list[bytes]) -> bytes | _Sentinel:
        """The chunked body from ``pos`` in the buffer, by the state machine (``pieces``:
        the data before ``pos`` that is not handed out yet)."""
        buffer = self._buffer
        state, left = self._state, self._left
        end = len(buffer)
        try:
            while pos < end:
                if state == _CHUNK_DATA:
                    stop = min(end, pos + left)
                    pieces.append(buffer if stop - pos == end else buffer[pos:stop])
                    left -= stop - pos
                    pos = stop
                    if left:
                        break
                    state = _CHUNK_CRLF
                elif state == _CHUNK_CRLF:
                    if buffer[pos] != 13 or (end - pos > 1 and buffer[pos + 1] != 10):
                        raise RemoteProtocolError("malformed chunked body: no CRLF after data")
                    if end - pos < 2:
                        break
                    pos += 2
                    state = _CHUNK_SIZE_LINE
                else:
                    if state == _CHUNK_SIZE_LINE:
                        pos = _whole_chunks(buffer, pos, end, pieces)
                        if pos == end:
                            break
                    line_end = buffer.find(b"\r\n", pos)
                    limit = _MAX_CHUNK_LINE if state == _CHUNK_SIZE_LINE else _MAX_HEAD
                    if (line_end if line_end >= 0 else end) - pos > limit:
                        raise RemoteProtocolError("malformed chunked body: line too long")
                    if line_end < 0:
                        break
                    if state == _CHUNK_SIZE_LINE:
                        match = _CHUNK_SIZE.fullmatch(buffer, pos, line_end)
                        if match is None:
                            line = buffer[pos:line_end]
                            raise RemoteProtocolError(
                                f"malformed chunked body: chunk size {line!r}"
                            )
                        left = int(match[1], 16)
                        state = _CHUNK_DATA if left else _TRAILERS
                    elif line_end == pos:  # the blank line after the trailers: the end
                        state = _DONE
                        pos += 2
                        break
                    else:
                        self._trailer(buffer, pos, line_end)
                    pos = line_end + 2
        finally:
            self._state, self._left = state, left
            self._buffer = buffer[pos:] if pos else buffer
        if pieces:
            return pieces[0] if len(pieces) == 1 else b"".join(pieces)
        if state == _DONE:
            return END
        if self._closed:
            raise _body_error()
        return NEED_DATA

    def _trailer(self, buffer: bytes, pos: int, line_end: int) -> None:
        """A trailer field: checked like a header (and capped), then dropped."""
        self._trailer_bytes += line_end - pos + 2
        if self._trailer_bytes > _MAX_HEAD:
            raise RemoteProtocolError("malformed chunked body: trailers too large")
        first = self._trailer_bytes == line_end - pos + 2  # a continuation needs a field before
        if _FIELD.fullmatch(buffer, pos, line_end) is None and (
            first or _FOLD.fullmatch(buffer, pos, line_end) is None
        ):
            line = buffer[pos:line_end]
            raise RemoteProtocolError(f"malformed chunked body: trailer {line!r}")


def _whole_chunks(buffer: bytes, pos: int, end: int, pieces: list[bytes]) -> int:
    """The fast path of the chunked decoder: the whole chunks from ``pos`` on (size line,
    data, CRLF all in ``buffer``), their data appended to ``pieces``; returns where they end.

    A streamed response sends each event as its own chunk, so this runs per event. It takes
    only the plainest form: a size of 1 to 16 hex digits without leading zeros, no
    extension, CRLF at once. It stops at anything else (a cut chunk, an extension, the last
    chunk, a malformed line) and leaves that to the state machine, which reads it from the
    same place with every check: the two agree by construction, and tests/test_h1codec.py
    compares them on any input at any cut.
    """
    find = buffer.find
    while True:
        line_end = find(b"\r\n", pos, pos + 18)  # at most 16 digits before the CRLF
        if line_end <= pos:
            return pos
        try:
            size = int(buffer[pos:line_end], 16)
        except ValueError:
            return pos
        # int() also takes signs, spaces, "0x" and "_": each makes the line longer than
        # the size's own hex digits, as does a leading zero (and the size 0, the last chunk).
        start = line_end + 2
        stop = start + size
        if (
            (size.bit_length() + 3) >> 2 != line_end - pos
            or stop + 2 > end
            or buffer[stop] != 13
            or buffer[stop + 1] != 10
        ):
            return pos
        pieces.append(buffer[start:stop])
        pos = stop + 2


def _parse_head(lines: list[bytes]) -> Head:
    status_line = _STATUS.fullmatch(lines[0])
    if status_line is None:
        raise HeadError(f"malformed status line {lines[0][:100]!r}")
    version, status, reason = status_line.groups()
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        field = _FIELD.fullmatch(line)
        if field is not None:
            headers.append((field[1], field[2]))
            continue
        fold = _FOLD.fullmatch(line)
        if fold is None or not headers:
            raise HeadError(f"malformed header line {line[:100]!r}")
        # obs-fold (RFC 9112 §5.2): the continuation joins the previous value with a space
        name, value = headers[-1]
        more = fold[1]
        headers[-1] = (name, value + b" " + more if value and more else value or more)
    return Head(int(status), reason or b"", headers, version)


# -- requests ------------------------------------------------------------------------


def request_head(
    method: str,
    target: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    netloc: bytes,
    body: bytes | None,
    proxy_authorization: bytes | None = None,
) -> tuple[bytes, bool]:
    """The request line and headers, validated; and whether the body goes chunked.

    A Host header is added when missing (from ``netloc``), then Content-Length for a body
    in memory (``body``) or Transfer-Encoding: chunked for a streamed one (``None``).
    ``proxy_authorization`` goes last, for a request sent to a proxy in absolute form.
    """
    raw_method = method.encode("ascii", "replace")
    if not _IS_TOKEN.fullmatch(raw_method):
        raise LocalProtocolError(f"invalid method {method!r}")
    if _BAD_TARGET.search(target):
        raise LocalProtocolError("invalid characters in the request target")
    lines = [raw_method, b" ", target, b" HTTP/1.1\r\n"]
    has_host = chunked = has_length = False
    for name, value in headers:
        if not _IS_TOKEN.fullmatch(name) or _BAD_VALUE.search(value):
            raise LocalProtocolError(f"invalid header {name!r}")
        lowered = name.lower()
        if lowered == b"host":
            has_host = True
        elif lowered == b"content-length":
            has_length = True
        elif lowered == b"transfer-encoding":
            chunked = value.lower().endswith(b"chunked")
        lines += (name, b": ", value, b"\r\n")
    if not has_host:
        lines[4:4] = [b"Host: ", netloc, b"\r\n"]
    if not has_length and not chunked:
        if body is None:
            lines += (b"Transfer-Encoding: chunked\r\n",)
            chunked = True
        elif body:
            lines += (b"Content-Length: %d\r\n" % len(body),)
    if proxy_authorization is not None:
        lines += (b"Proxy-Authorization: ", proxy_authorization, b"\r\n")
    lines.append(b"\r\n")
    return b"".join(lines), chunked


def connect_head(authority: bytes, proxy_authorization: bytes | None) -> bytes:
    """``CONNECT host:port``, asking a proxy for a tunnel."""
    head = [b"CONNECT ", authority, b" HTTP/1.1\r\nHost: ", authority, b"\r\n"]
    if proxy_authorization is not None:
        head += (b"Proxy-Authorization: ", proxy_authorization, b"\r\n")
    head.append(b"\r\n")
    return b"".join(head)
