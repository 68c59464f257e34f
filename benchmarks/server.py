"""The benchmark's HTTP/1.1 server: pre-rendered answers on raw asyncio protocols.

Run as ``python -m benchmarks.server``; it prints ``PORT <n>`` once it listens, then
serves until killed. It must never be the bottleneck, so per request it only finds the
end of the headers, skips the body (``content-length``), looks the request target up in a
cache of finished responses and writes those bytes with one ``transport.write``.
Connections are kept alive; requests may arrive in any number of pieces.

Request targets (the method and the body are ignored):

- ``/v1/chat/completions?n=N&batch=B``: a chat-completions SSE stream of N chunk events
  (then ``[DONE]``), B events per HTTP chunk (B=1: one chunk per event, like a real token
  stream; larger B: the "bulk" mode).
- ``/v1/responses?n=N&batch=B``: a Responses stream with N ``response.output_text.delta``
  events between the lifecycle events.
- ``/v1/files?pages=P[&after=ID]``: a cursor-paged file list, P pages of 100 files.
- ``/v1/files/file-bin-SIZE/content``: SIZE bytes of binary content.
- ``/v1/responses?bench=parse``: a completed Response whose text is JSON for ``parse``.
- any path without ``n`` (e.g. ``/v1/chat/completions?bench=json``): a JSON chat.completion.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import socket
import sys
from typing import Final
from urllib.parse import parse_qs, urlsplit

from . import payloads

_HEADER_END: Final = b"\r\n\r\n"
_MAX_HEAD: Final = 64 * 1024
_cache: dict[bytes, bytes] = {}
_log_misses = False  # after pre-rendering: a miss means a target the runner did not expect


def render(target: bytes) -> bytes:
    """The full response for a request target (cached by the caller)."""
    parts = urlsplit(target.decode("latin-1"))
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if parts.path.endswith("/content"):  # /v1/files/file-bin-<size>/content
        return payloads.binary_response(int(parts.path.split("/")[-2].rsplit("-", 1)[1]))
    if parts.path.endswith("/files"):
        page = payloads.page_after(query.get("after"))
        return payloads.json_response(payloads.file_list_page(page, int(query["pages"])))
    if query.get("bench") == "parse":
        return payloads.json_response(payloads.parsed_response())
    if "n" not in query:
        return payloads.json_response(payloads.chat_completion())
    n = int(query["n"])
    batch = max(1, int(query.get("batch", "1")))
    if parts.path.endswith("/responses"):
        events = payloads.responses_stream_events(n)
    else:
        events = payloads.chat_stream_events(n)
    return payloads.sse_response(events, batch)


def response_for(target: bytes) -> bytes:
    found = _cache.get(target)
    if found is None:
        if _log_misses:
            print(f"rendered on demand: {target.decode('latin-1')}", file=sys.stderr, flush=True)
        found = _cache[target] = render(target)
    return found


def _content_length(head: bytes) -> int:
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at < 0:
        return 0
    end = lowered.find(b"\r\n", at + 2)
    return int(lowered[at + 17 : end if end >= 0 else None].strip())


class BenchProtocol(asyncio.Protocol):
    __slots__ = ("_buffer", "_transport")

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        transport = self._transport
        assert transport is not None
        while True:
            end = buffer.find(_HEADER_END)
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    transport.close()
                    return
                break
            head = buffer[:end]
            total = end + 4 + _content_length(head)
            if len(buffer) < total:
                break
            target = head[: head.find(b"\r\n")].split(b" ", 2)[1]
            transport.write(response_for(target))
            buffer = buffer[total:]
        self._buffer = buffer

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(BenchProtocol, host, port, backlog=4096, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--prerender",
        action="append",
        default=[],
        help="a request target to render before listening (repeatable)",
    )
    args = parser.parse_args(argv)
    _raise_fd_limit()
    global _log_misses
    for target in args.prerender:
        response_for(target.encode())
    _log_misses = True
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))
    sys.exit(0)


if __name__ == "__main__":
    main()
