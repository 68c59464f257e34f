"""A throwaway httpx transport on trio, to measure what a transport of our own would buy.

Not for production (no TLS, no proxies, no timeouts, no validation of what the server
sends beyond what the parser needs, no retry of a request sent on a connection the server
had closed). It answers two questions of the performance issue with numbers:

- A pool with O(1) checkout: idle connections wait in a per-origin stack, so getting one
  is a ``list.pop()``, not a scan of every connection for every request.
- Bodies de-chunked in bulk: after a read from the socket, every complete HTTP chunk in
  the buffer is unwrapped with bytes operations and handed up as ONE piece, so a token
  stream costs one iteration of the stack per socket read, not one per event.

The request goes out in one ``send_all`` (head and body together); the response head is
parsed by hand (a real version could keep h11 for the head: that is a cost per request,
not per event).
"""

from __future__ import annotations

from typing import Any

import httpx
import trio

__all__ = ["ProtoTransport"]

_READ_SIZE = 65536


class _Connection:
    __slots__ = ("buffer", "origin", "stream")

    def __init__(self, stream: trio.SocketStream, origin: tuple[str, int]) -> None:
        self.stream = stream
        self.origin = origin
        self.buffer = b""

    async def fill(self) -> None:
        data = await self.stream.receive_some(_READ_SIZE)
        if not data:
            raise httpx.RemoteProtocolError("server closed the connection")
        self.buffer = self.buffer + data if self.buffer else data


class _Body(httpx.AsyncByteStream):
    """The response body; an iterator class, not an async generator (nothing left to GC)."""

    def __init__(
        self, transport: ProtoTransport, conn: _Connection, length: int | None, keep: bool
    ) -> None:
        self._transport = transport
        self._conn: _Connection | None = conn
        self._chunked = length is None
        self._left = length or 0  # bytes left: of the body, or of the current chunk
        self._after_data = False  # chunked: a CRLF follows the current chunk's data
        self._keep = keep
        self._done = False

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> bytes:
        conn = self._conn
        while not self._done:
            assert conn is not None
            piece = self._take_chunked(conn) if self._chunked else self._take_plain(conn)
            if self._done:
                self._release(reuse=self._keep)
            if piece:
                return piece
            if not self._done:
                await conn.fill()
        raise StopAsyncIteration

    def _take_plain(self, conn: _Connection) -> bytes:
        buffer = conn.buffer
        piece = buffer[: self._left]
        conn.buffer = buffer[len(piece) :]
        self._left -= len(piece)
        if not self._left:
            self._done = True
        return piece

    def _take_chunked(self, conn: _Connection) -> bytes:
        buffer, pos, end = conn.buffer, 0, len(conn.buffer)
        pieces = []
        while True:
            if self._left:
                stop = min(end, pos + self._left)
                pieces.append(buffer[pos:stop])
                self._left -= stop - pos
                pos = stop
                if self._left:
                    break
                self._after_data = True
            if self._after_data:
                if end - pos < 2:
                    break
                pos += 2
                self._after_data = False
            line_end = buffer.find(b"\r\n", pos)
            if line_end < 0:
                break
            size = int(buffer[pos:line_end].split(b";", 1)[0], 16)
            if size == 0:  # last chunk; no trailers expected: then a blank line
                if end - line_end < 4:
                    break
                pos = line_end + 4
                self._done = True
                break
            pos = line_end + 2
            self._left = size
        conn.buffer = buffer[pos:]
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _release(self, *, reuse: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._transport._release(conn, reuse=reuse and not conn.buffer)

    async def aclose(self) -> None:
        if self._conn is not None:
            self._release(reuse=False)


class ProtoTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_in_flight: int = 1000, max_idle: int = 100) -> None:
        self._slots = trio.Semaphore(max_in_flight)
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._idle_count = 0
        self._max_idle = max_idle

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.host, url.port or 80)
        await self._slots.acquire()
        conn: _Connection | None = None
        try:
            stack = self._idle.get(origin)
            if stack:
                conn = stack.pop()
                self._idle_count -= 1
            else:
                conn = _Connection(await trio.open_tcp_stream(*origin), origin)
            body = await request.aread()
            head = [request.method.encode(), b" ", url.raw_path, b" HTTP/1.1\r\n"]
            for name, value in request.headers.raw:
                head += (name, b": ", value, b"\r\n")
            head.append(b"\r\n")
            await conn.stream.send_all(b"".join(head) + body)
            status, reason, headers = await self._read_head(conn)
        except BaseException:
            self._slots.release()
            if conn is not None:
                with trio.CancelScope(shield=True):
                    await conn.stream.aclose()
            raise
        length: int | None = None
        chunked = False
        keep = True
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif lowered == b"connection":
                keep = b"close" not in value.lower()
        if not chunked and length is None:
            raise httpx.RemoteProtocolError("the prototype needs a length or chunked framing")
        stream = _Body(self, conn, None if chunked else length, keep)
        if length == 0:
            stream._done = True
            stream._release(reuse=keep)
        return httpx.Response(
            status,
            headers=headers,
            stream=stream,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    @staticmethod
    async def _read_head(conn: _Connection) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        while (end := conn.buffer.find(b"\r\n\r\n")) < 0:
            await conn.fill()
        lines = conn.buffer[:end].split(b"\r\n")
        conn.buffer = conn.buffer[end + 4 :]
        _version, status, reason = [*lines[0].split(b" ", 2), b""][:3]
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers.append((name.strip(), value.strip()))
        return int(status), reason, headers

    def _release(self, conn: _Connection, *, reuse: bool) -> None:
        self._slots.release()
        if reuse and self._idle_count < self._max_idle:
            self._idle.setdefault(conn.origin, []).append(conn)
            self._idle_count += 1
        else:
            conn.stream.socket.close()  # closing a trio socket needs no await

    async def aclose(self) -> None:
        conns: list[Any] = [c for stack in self._idle.values() for c in stack]
        self._idle.clear()
        self._idle_count = 0
        with trio.CancelScope(shield=True):
            for conn in conns:
                await conn.stream.aclose()
