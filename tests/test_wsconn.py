"""The client WebSocket connection (trio_openai/_wsconn.py) against a scripted server.

The server side is raw bytes over a trio memory stream pair, its frames made and read by
wsproto (the reference); the sessions built on it are tested over real sockets in
tests/test_realtime.py, test_responses_ws.py, test_ws_reconnect.py.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from typing import cast

import pytest
import trio
import trio.testing
from wsproto.frame_protocol import Frame, FrameProtocol, Opcode

from trio_openai._wsconn import (
    ClosedDuringHandshake,
    ConnectionClosed,
    HandshakeFailed,
    HandshakeRejected,
    WebSocket,
    client_handshake,
)

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Server:
    """The server's end: reads the handshake, answers it, speaks frames through wsproto."""

    def __init__(self, stream: trio.testing.MemoryReceiveStream | trio.abc.Stream) -> None:
        self.stream = cast("trio.abc.Stream", stream)
        self.proto = FrameProtocol(client=False, extensions=[])
        self.request = b""

    async def read_request(self) -> dict[bytes, bytes]:
        while b"\r\n\r\n" not in self.request:
            self.request += await self.stream.receive_some(65536)
        lines = self.request.split(b"\r\n\r\n")[0].split(b"\r\n")
        return {k.lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}

    async def accept(self, *, extra: bytes = b"", accept: bytes | None = None) -> None:
        headers = await self.read_request()
        if accept is None:
            key = headers[b"sec-websocket-key"]
            accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        await self.stream.send_all(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n"
            b"x-request-id: req_1\r\n" + extra + b"\r\n"
        )

    async def frames(self) -> list[Frame]:
        """The client's frames, at least one."""
        while True:
            frames = list(self.proto.received_frames())
            if frames:
                return frames
            data = await self.stream.receive_some(65536)
            if not data:
                return []
            self.proto.receive_bytes(bytes(data))


async def opened() -> tuple[WebSocket, Server]:
    client_stream, server_stream = trio.testing.memory_stream_pair()
    server = Server(server_stream)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.accept)
        ws = await client_handshake(
            client_stream,
            "example.test",
            "/v1/realtime?x=1",
            [("Authorization", "Bearer k")],
            max_message_size=1000,
        )
    return ws, server


async def test_handshake_then_messages_both_ways() -> None:
    ws, server = await opened()
    assert server.request.startswith(b"GET /v1/realtime?x=1 HTTP/1.1\r\nHost: example.test\r\n")
    assert b"\r\nAuthorization: Bearer k\r\n" in server.request
    assert [v for k, v in ws.handshake_headers if k == b"x-request-id"] == [b"req_1"]
    await ws.send_message('{"type":"é"}')
    (frame,) = await server.frames()
    assert (frame.opcode, frame.payload) == (Opcode.TEXT, '{"type":"é"}')
    # One write of three messages: one read, one list.
    sent = b"".join(server.proto.send_data(text) for text in ("a", "b", "c"))
    await server.stream.send_all(bytes(sent))
    assert await ws.receive_messages() == ["a", "b", "c"]


async def test_pings_are_answered_with_their_payload() -> None:
    ws, server = await opened()
    await server.stream.send_all(
        bytes(server.proto.ping(b"are you there") + server.proto.send_data("x"))
    )
    assert await ws.receive_messages() == ["x"]
    (frame,) = await server.frames()
    assert (frame.opcode, frame.payload) == (Opcode.PONG, b"are you there")


async def test_messages_before_a_server_close_come_first_then_its_code() -> None:
    ws, server = await opened()
    data = server.proto.send_data("one") + server.proto.send_data("two")
    await server.stream.send_all(bytes(data + server.proto.close(1011, "oops")))
    assert await ws.receive_messages() == ["one", "two"]
    with pytest.raises(ConnectionClosed) as info:
        await ws.receive_messages()
    assert info.value.reason is not None
    assert (info.value.reason.code, info.value.reason.reason) == (1011, "oops")
    (frame,) = await server.frames()  # the close is echoed
    assert (frame.opcode, frame.payload) == (Opcode.CLOSE, (1011, "oops"))
    with pytest.raises(ConnectionClosed):
        await ws.send_message("late")


async def test_aclose_reads_the_answer_itself_when_nobody_reads() -> None:
    ws, server = await opened()

    async def answer() -> None:
        (frame,) = await server.frames()
        assert (frame.opcode, frame.payload) == (Opcode.CLOSE, (1000, "bye"))
        await server.stream.send_all(
            bytes(server.proto.send_data("dropped") + server.proto.close(1000))
        )

    async with trio.open_nursery() as nursery:
        nursery.start_soon(answer)
        await ws.aclose(1000, "bye")
    assert ws.closed is not None and ws.closed.code == 1000
    with pytest.raises(ConnectionClosed):
        await ws.receive_messages()


async def test_aclose_while_another_task_reads() -> None:
    ws, server = await opened()
    outcome: list[object] = []

    async def reader() -> None:
        try:
            await ws.receive_messages()
        except ConnectionClosed as exc:
            outcome.append(exc.reason.code if exc.reason else None)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(reader)
        await trio.testing.wait_all_tasks_blocked()
        closing = trio.Event()

        async def close() -> None:
            await ws.aclose()
            closing.set()

        nursery.start_soon(close)
        (frame,) = await server.frames()
        assert frame.opcode == Opcode.CLOSE
        await trio.testing.wait_all_tasks_blocked()
        assert not closing.is_set()  # waits for the server's answer
        await server.stream.send_all(bytes(server.proto.close(1000)))
    assert outcome == [1000]


async def test_end_of_tcp_without_a_close_frame_is_1006() -> None:
    ws, server = await opened()
    await server.stream.send_all(bytes(server.proto.send_data("last")))
    await server.stream.aclose()
    assert await ws.receive_messages() == ["last"]
    with pytest.raises(ConnectionClosed) as info:
        await ws.receive_messages()
    assert info.value.reason is not None and info.value.reason.code == 1006


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (b"\x81\x82\x00\x00\x00\x00hi", 1002),  # masked by the server
        (b"\x81\x01\xff", 1007),  # not UTF-8
        (b"\x82\x7e\x04\x00", 1009),  # 1024 bytes announced, over the 1000-byte limit
    ],
)
async def test_protocol_errors_close_with_their_code(bad: bytes, code: int) -> None:
    ws, server = await opened()
    await server.stream.send_all(bytes(server.proto.send_data("ok")) + bad)
    assert await ws.receive_messages() == ["ok"]
    with pytest.raises(ConnectionClosed) as info:
        await ws.receive_messages()
    assert info.value.reason is not None and info.value.reason.code == code
    (frame,) = await server.frames()
    assert frame.opcode == Opcode.CLOSE and frame.payload[0] == code


async def handshake_against(answer: bytes, *, close: bool = False) -> BaseException:
    client_stream, server_stream = trio.testing.memory_stream_pair()
    server = Server(server_stream)

    async def serve() -> None:
        await server.read_request()
        await server.stream.send_all(answer)
        if close:
            await server.stream.aclose()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve)
        try:
            await client_handshake(client_stream, "h", "/", [], max_message_size=1000)
        except Exception as exc:
            return exc
    raise AssertionError("the handshake succeeded")


async def test_a_refused_handshake_keeps_status_headers_and_body() -> None:
    body = b'{"error": {"message": "bad key"}}'
    error = await handshake_against(
        b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    assert isinstance(error, HandshakeRejected)
    assert error.status_code == 401 and error.body == body
    assert (b"Content-Type", b"application/json") in error.headers


async def test_a_refusal_read_until_the_server_closes() -> None:
    error = await handshake_against(b"HTTP/1.1 503 Busy\r\n\r\ntry later", close=True)
    assert isinstance(error, HandshakeRejected) and error.body == b"try later"


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: d3Jvbmc=\r\n\r\n",
        b"HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n\r\n",
        b"nonsense\r\n\r\n",
    ],
)
async def test_an_invalid_upgrade_fails(answer: bytes) -> None:
    assert isinstance(await handshake_against(answer), HandshakeFailed)


async def test_an_extension_we_did_not_offer_fails() -> None:
    client_stream, server_stream = trio.testing.memory_stream_pair()
    server = Server(server_stream)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            lambda: server.accept(extra=b"Sec-WebSocket-Extensions: permessage-deflate\r\n")
        )
        with pytest.raises(HandshakeFailed, match="extensions"):
            await client_handshake(client_stream, "h", "/", [], max_message_size=1000)


async def test_the_server_closing_during_the_handshake() -> None:
    error = await handshake_against(b"HTTP/1.1 101 Swi", close=True)
    assert isinstance(error, ClosedDuringHandshake)


async def test_a_header_value_cannot_inject_lines() -> None:
    client_stream, _ = trio.testing.memory_stream_pair()
    with pytest.raises(ValueError, match="Invalid character"):
        await client_handshake(
            client_stream, "h", "/", [("x", "a\r\nInjected: 1")], max_message_size=1000
        )


def test_importing_the_client_does_not_import_trio_websocket() -> None:
    code = (
        "import sys, trio_openai, trio_openai._realtime, trio_openai._responses_ws; "
        "print(sorted(m for m in ('trio_websocket', 'wsproto') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


async def test_the_close_grace_is_given_once(autojump_clock: trio.testing.MockClock) -> None:
    ws, server = await opened()
    start = trio.current_time()
    with trio.move_on_after(2):
        await ws.aclose()  # the server never answers
    assert trio.current_time() - start == 2
    with trio.move_on_after(2):
        await ws.aclose()
    assert trio.current_time() - start == 2  # returned at once
    (frame,) = await server.frames()
    assert (frame.opcode, frame.payload) == (Opcode.CLOSE, (1000, ""))
