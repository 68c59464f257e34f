"""One TCP connection of the local server: parse requests with h11, write replies, inject faults.

h11 does the HTTP/1.1 bookkeeping (request parsing, keep-alive, chunked framing); every fault a
`Reply` can ask for (a RST, a stall, a byte-at-a-time body, a close-delimited or hand-made
response) is done here directly on the socket, which is why the server does not sit behind
an ASGI layer.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import parse_qs

import h11
import trio

from ._reply import RecordedRequest, Reply

__all__ = ["Responder", "serve_connection"]

# Given a recorded request, the server answers with the reply to send and its request id.
Responder = Callable[[RecordedRequest], Awaitable[tuple[Reply, str]]]

_RECEIVE_SIZE = 65536
_NO_BODY_STATUSES = frozenset({204, 304})
# What trio raises once the client has gone (reset, closed) or we aborted the socket ourselves.
_PEER_GONE = (trio.BrokenResourceError, trio.ClosedResourceError)


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


def _record(head: h11.Request, body: bytes) -> RecordedRequest:
    target = head.target.decode("latin-1")
    path, _, query = target.partition("?")
    headers: dict[str, str] = {}
    for name, value in head.headers:
        key = name.decode("latin-1")  # h11 already lower-cases names
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return RecordedRequest(
        method=head.method.decode("ascii"),
        path=path,
        query=parse_qs(query, keep_blank_values=True),
        headers=headers,
        body=body,
    )


async def _read_request(conn: h11.Connection, stream: trio.SocketStream) -> RecordedRequest | None:
    """The next complete request, or None when the client closed the connection between requests."""
    head: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await stream.receive_some(_RECEIVE_SIZE))
        elif isinstance(event, h11.Request):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert head is not None
            return _record(head, bytes(body))
        elif isinstance(event, h11.ConnectionClosed):
            return None


def _with_request_id(reply: Reply, request_id: str) -> list[tuple[str, str]]:
    headers = list(reply.headers)
    if not any(name.lower() == "x-request-id" for name, _ in headers):
        headers.append(("x-request-id", request_id))
    return headers


def _abort(stream: trio.SocketStream) -> None:
    """Close with a RST instead of a FIN: SO_LINGER on with a zero timeout, then close."""
    stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    stream.socket.close()


async def _wait_for_peer_close(stream: trio.SocketStream) -> None:
    """Say nothing and discard input until the client closes (or resets) the connection."""
    with contextlib.suppress(*_PEER_GONE):
        while await stream.receive_some(_RECEIVE_SIZE):
            pass


async def _write(
    stream: trio.SocketStream, data: bytes, *, trickle: float | None, pause_first: bool
) -> None:
    if trickle is None:
        await stream.send_all(data)
        return
    for index in range(len(data)):
        if index or pause_first:
            await trio.sleep(trickle)
        await stream.send_all(data[index : index + 1])


async def _send_body(
    conn: h11.Connection, stream: trio.SocketStream, reply: Reply, headers: list[tuple[str, str]]
) -> None:
    if reply.delay:
        await trio.sleep(reply.delay)
    body = b"" if reply.status in _NO_BODY_STATUSES else reply.body
    if reply.status not in _NO_BODY_STATUSES:
        headers = [*headers, ("content-length", str(len(body)))]
    response = h11.Response(status_code=reply.status, headers=headers, reason=_reason(reply.status))
    wire = conn.send(response)
    if body:
        wire += conn.send(h11.Data(data=body))
    wire += conn.send(h11.EndOfMessage())
    await stream.send_all(wire)


def _close_delimited_head(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [b"HTTP/1.1 %d %s" % (status, _reason(status))]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in headers]
    lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def _send_sse(
    conn: h11.Connection, stream: trio.SocketStream, reply: Reply, headers: list[tuple[str, str]]
) -> bool:
    """Stream the events; True when the connection may serve another request."""
    if reply.chunked:
        await stream.send_all(conn.send(h11.Response(status_code=reply.status, headers=headers)))
    else:
        await stream.send_all(_close_delimited_head(reply.status, headers))
    count = len(reply.events)
    for index in range(count + 1):
        if index == reply.reset_after or index == reply.stall_after:
            if index and reply.pace:
                await trio.sleep(reply.pace)
            if index == reply.reset_after:
                _abort(stream)
            else:
                await _wait_for_peer_close(stream)
            return False
        if index == count:
            break
        if index and reply.pace:
            await trio.sleep(reply.pace)
        event = reply.events[index]
        wire = conn.send(h11.Data(data=event)) if reply.chunked else event
        await _write(stream, wire, trickle=reply.trickle, pause_first=index > 0)
    # A fault scheduled beyond the last event still happens instead of the clean end.
    if reply.reset_after is not None and reply.reset_after > count:
        _abort(stream)
        return False
    if reply.stall_after is not None and reply.stall_after > count:
        await _wait_for_peer_close(stream)
        return False
    if not reply.chunked:
        return False
    await stream.send_all(conn.send(h11.EndOfMessage()))
    return True


async def _send_reply(
    conn: h11.Connection, stream: trio.SocketStream, reply: Reply, request_id: str
) -> bool:
    """Carry out `reply`; True when the connection may serve another request."""
    if reply.kind == "body":
        await _send_body(conn, stream, reply, _with_request_id(reply, request_id))
        return True
    if reply.kind == "sse":
        return await _send_sse(conn, stream, reply, _with_request_id(reply, request_id))
    if reply.kind == "reset":
        _abort(stream)
        return False
    if reply.kind == "stall":
        await _wait_for_peer_close(stream)
        return False
    if reply.kind == "raw":
        await stream.send_all(reply.body)
        return not reply.close
    raise AssertionError(f"unresolved reply kind {reply.kind!r}")  # handlers resolve earlier


async def _answer_bad_request(conn: h11.Connection, stream: trio.SocketStream) -> None:
    if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
        return
    reply = Reply.error(400, message="Malformed HTTP request")
    with contextlib.suppress(h11.LocalProtocolError, *_PEER_GONE):
        await _send_body(conn, stream, reply, list(reply.headers))


async def serve_connection(stream: trio.SocketStream, respond: Responder) -> None:
    """Serve requests on `stream` until either side closes it.

    Returns normally when the client disconnects, even mid-response; the caller closes the
    stream. Cancellation propagates.
    """
    conn = h11.Connection(h11.SERVER)
    try:
        while True:
            request = await _read_request(conn, stream)
            if request is None:
                return
            reply, request_id = await respond(request)
            if not await _send_reply(conn, stream, reply, request_id):
                return
            if reply.kind == "raw":
                # h11 did not see the hand-written bytes: start a fresh parser for what follows.
                conn = h11.Connection(h11.SERVER)
            elif conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                conn.start_next_cycle()
            else:
                return
    except h11.RemoteProtocolError:
        await _answer_bad_request(conn, stream)
    except h11.LocalProtocolError:
        pass  # a scripted reply HTTP cannot carry here (a body to HEAD, a 1xx status): hang up
    except _PEER_GONE:
        pass
