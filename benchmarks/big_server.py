"""The big-bodies benchmark's server: huge JSON, 1 GB transfers and a Realtime WebSocket.

Run as ``python -m benchmarks.big_server``; it prints ``PORT <n>`` once it listens. One
asyncio process, one core at most. The JSON answers are rendered before it listens; a
download is one repeated 1 MiB buffer written with flow control; an upload is read and
thrown away as it arrives. So the server costs next to nothing per byte and the clients'
own costs are what the benchmark sees.

Routes (the method is ignored except where said):

- ``GET /v1/files?limit=N``: one list page of N file objects (``has_more`` false).
- ``GET /v1/responses/resp_big_MB``: a completed Response of about MB megabytes: message
  items of ~2 KB of text each.
- ``GET /v1/files/file-gen-SIZE/content``: SIZE bytes of application/octet-stream.
- ``POST /v1/files``: the body (Content-Length or chunked) is read and discarded; the
  answer is a file object whose ``bytes`` is the size of the body received.
- ``GET /v1/realtime?model=...&n=N`` with ``Upgrade: websocket``: ``session.created``,
  then, for each text message the client sends, N ``response.output_text.delta`` events
  and one ``response.done``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import struct
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from . import payloads

_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_BLOCK = b"0123456789abcdef" * 65536  # 1 MiB
_JSON: dict[str, bytes] = {}


def file_object(i: int, size: int = 1024) -> dict[str, Any]:
    return {
        "id": f"file-{i:08d}",
        "object": "file",
        "bytes": size,
        "created_at": 1_741_569_952 + i,
        "expires_at": None,
        "filename": f"train-{i}.jsonl",
        "purpose": "fine-tune",
        "status": "processed",
        "status_details": None,
    }


def file_list(n: int) -> bytes:
    data = [file_object(i) for i in range(n)]
    body = {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"],
        "last_id": data[-1]["id"],
        "has_more": False,
    }
    return orjson.dumps(body)


def big_response_items(megabytes: int) -> int:
    return (megabytes * 1_000_000) // 2200


def big_response(megabytes: int) -> bytes:
    """A completed Response of ~``megabytes`` MB: many message items, ~2 KB of text each."""
    text = ("The quick brown fox jumps over the lazy dog. " * 45)[:2000]
    items = big_response_items(megabytes)
    output = [
        {
            "id": f"msg_{i:08d}",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
        }
        for i in range(items)
    ]
    usage = {
        "input_tokens": 12,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 32,
    }
    response = payloads.parsed_response()
    response.update(id=f"resp_big_{megabytes}", output=output, usage=usage)
    return orjson.dumps(response)


def _head(status: str, ctype: str, length: int, extra: bytes = b"") -> bytes:
    return (
        (
            f"HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\nx-request-id: req_big\r\n"
            f"content-length: {length}\r\n"
        ).encode()
        + extra
        + b"\r\n"
    )


def _json_for(path: str, query: dict[str, str]) -> bytes:
    key = path + "?" + query.get("limit", "")
    body = _JSON.get(key)
    if body is None:
        if path.endswith("/files"):
            body = file_list(int(query.get("limit", "100")))
        else:
            body = big_response(int(path.rsplit("_", 1)[1]))
        _JSON[key] = body
    return body


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> int:
    """Read and discard a request body; return its size."""
    if "content-length" in headers:
        left = int(headers["content-length"])
        total = left
        while left:
            chunk = await reader.read(min(left, 1 << 20))
            if not chunk:
                raise ConnectionError("body cut short")
            left -= len(chunk)
        return total
    if headers.get("transfer-encoding", "").lower() != "chunked":
        return 0
    total = 0
    while True:
        size = int((await reader.readline()).split(b";")[0], 16)
        if size == 0:
            await reader.readline()
            return total
        left = size
        while left:
            chunk = await reader.read(min(left, 1 << 20))
            if not chunk:
                raise ConnectionError("body cut short")
            left -= len(chunk)
        total += size
        await reader.readexactly(2)


async def _send_bytes(writer: asyncio.StreamWriter, size: int) -> None:
    writer.write(_head("200 OK", "application/octet-stream", size))
    view = memoryview(_BLOCK)
    while size:
        n = min(size, len(_BLOCK))
        writer.write(view[:n])
        size -= n
        await writer.drain()


def ws_frame(payload: bytes, opcode: int = 1) -> bytes:
    n = len(payload)
    if n < 126:
        return bytes((0x80 | opcode, n)) + payload
    if n < 65536:
        return bytes((0x80 | opcode, 126)) + struct.pack(">H", n) + payload
    return bytes((0x80 | opcode, 127)) + struct.pack(">Q", n) + payload


def realtime_events(n: int) -> bytes:
    """N delta frames and a response.done, as one buffer of server frames."""
    frames = [
        ws_frame(
            orjson.dumps(
                {
                    "type": "response.output_text.delta",
                    "event_id": f"event_{i:08d}",
                    "response_id": "resp_rt",
                    "item_id": "item_rt",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": " word",
                }
            )
        )
        for i in range(n)
    ]
    done = {
        "type": "response.done",
        "event_id": "event_done",
        "response": {
            "id": "resp_rt",
            "object": "realtime.response",
            "status": "completed",
            "output": [],
            "usage": None,
            "status_details": None,
            "conversation_id": None,
            "metadata": None,
        },
    }
    frames.append(ws_frame(orjson.dumps(done)))
    return b"".join(frames)


_WS_CACHE: dict[int, bytes] = {}
_SESSION_CREATED = ws_frame(
    orjson.dumps(
        {
            "type": "session.created",
            "event_id": "event_session",
            "session": {
                "id": "sess_rt",
                "object": "realtime.session",
                "type": "realtime",
                "model": "gpt-realtime",
            },
        }
    )
)


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first, second = await reader.readexactly(2)
    n = second & 0x7F
    if n == 126:
        (n,) = struct.unpack(">H", await reader.readexactly(2))
    elif n == 127:
        (n,) = struct.unpack(">Q", await reader.readexactly(8))
    mask = await reader.readexactly(4) if second & 0x80 else b"\0\0\0\0"
    data = await reader.readexactly(n)
    unmasked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return first & 0x0F, unmasked


async def _websocket(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: dict[str, str], n: int
) -> None:
    accept = base64.b64encode(
        hashlib.sha1(headers["sec-websocket-key"].encode() + _WS_GUID).digest()
    )
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
        b"sec-websocket-accept: " + accept + b"\r\nx-request-id: req_rt\r\n\r\n" + _SESSION_CREATED
    )
    burst = _WS_CACHE.get(n)
    if burst is None:
        burst = _WS_CACHE[n] = realtime_events(n)
    while True:
        opcode, data = await _read_frame(reader)
        if opcode == 8:  # close: echo it
            writer.write(ws_frame(data[:2] or b"\x03\xe8", 8))
            await writer.drain()
            return
        if opcode == 9:
            writer.write(ws_frame(data, 10))
        elif opcode == 1:
            writer.write(burst)
        await writer.drain()


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            parts = urlsplit(target)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            path = parts.path
            if headers.get("upgrade", "").lower() == "websocket":
                await _websocket(reader, writer, headers, int(query.get("n", "1000")))
                break
            received = await _read_body(reader, headers)
            if method == "POST" and path.endswith("/files"):
                body = orjson.dumps(file_object(0, received))
                writer.write(_head("200 OK", "application/json", len(body)) + body)
            elif path.endswith("/content"):
                await _send_bytes(writer, int(path.split("/")[-2].rsplit("-", 1)[1]))
            elif path.endswith("/files") or "/responses/resp_big_" in path:
                body = _json_for(path, query)
                writer.write(_head("200 OK", "application/json", len(body)) + body)
            else:
                body = b'{"error": {"message": "no such route", "type": "invalid_request_error"}}'
                writer.write(_head("404 Not Found", "application/json", len(body)) + body)
            await writer.drain()
    writer.close()


async def serve(host: str, port: int, prerender: list[str]) -> None:
    for target in prerender:
        parts = urlsplit(target)
        _json_for(parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()})
    server = await asyncio.start_server(handle, host, port, limit=1 << 20, backlog=512)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--prerender", action="append", default=[])
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.prerender))
    sys.exit(0)


if __name__ == "__main__":
    main()
