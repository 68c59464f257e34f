"""WebSocket cassettes: record Realtime / Responses WebSocket sessions, replay them in trio time.

A WebSocket session does not pass through the client's HTTP middleware, so it is recorded by
a relay instead: `open_ws_cassette` starts a WebSocket server on 127.0.0.1; point a client's
`base_url` at it. Recording, each connection is relayed to `upstream` (same path and query,
the handshake's credentials forwarded) and every message is written down with the sender and
its time since the handshake. Replaying, the server plays the session back: it waits for
each recorded client message (compared as JSON, redacted fields ignored) and sends each
server message at its recorded delay after the client message before it, with
`trio.sleep_until`, so under `MockClock(autojump_threshold=0)` the pacing is exact and free.

File: `{"trio_openai_cassette": 1, "websockets": [{"path", "query", "headers", "frames":
[{"at": 0.01, "server": {...}}, {"at": 0.2, "client": {...}}, ...]}]}`, one message per line;
a message that is not JSON is stored under `server_text`/`client_text`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncGenerator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final, Literal, cast, final
from urllib.parse import parse_qsl, urlsplit

import attrs
import orjson
import trio
from trio_websocket import (
    ConnectionClosed,
    ConnectionRejected,
    HandshakeError,
    WebSocketConnection,
    WebSocketRequest,
    serve_websocket,
    wrap_client_stream,
)

from .._transport import shared_ssl_context
from ._cassette import CassetteMismatchError, RecordMode, resolve_mode
from ._cassette_format import dumps_document, loads_document
from ._cassette_match import Redactor, json_differences

__all__ = ["WsCassetteServer", "WsFrame", "WsRecording", "open_ws_cassette"]

# Handshake headers the relay must not copy to the upstream handshake (trio-websocket sets them).
_HOP_HEADERS: Final = frozenset({"host", "upgrade", "connection", "content-length", "user-agent"})


_CLOSE_GRACE: Final = 5.0  # seconds a shielded close handshake may take


@final
@attrs.frozen
class WsFrame:
    """One message of a session: who sent it, when (seconds after the handshake), what."""

    sender: Literal["client", "server"]
    at: float
    message: str | bytes


@final
@attrs.frozen(kw_only=True)
class WsRecording:
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    frames: tuple[WsFrame, ...]


def _frame_entry(frame: WsFrame, redactor: Redactor) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": round(frame.at, 6)}
    if isinstance(frame.message, bytes):
        entry[f"{frame.sender}_bytes"] = frame.message.hex()
        return entry
    try:
        entry[frame.sender] = redactor.redact_json(orjson.loads(frame.message))
    except orjson.JSONDecodeError:
        entry[f"{frame.sender}_text"] = frame.message
    return entry


def _frame(entry: Mapping[str, Any]) -> WsFrame:
    at = float(entry.get("at", 0.0))
    for sender in ("client", "server"):
        if sender in entry:
            return WsFrame(sender, at, orjson.dumps(entry[sender]).decode())
        if f"{sender}_text" in entry:
            return WsFrame(sender, at, str(entry[f"{sender}_text"]))
        if f"{sender}_bytes" in entry:
            return WsFrame(sender, at, bytes.fromhex(str(entry[f"{sender}_bytes"])))
    raise ValueError(f"a frame without a client or server message: {dict(entry)!r}")


def _as_json(message: str | bytes) -> Any:
    try:
        return orjson.loads(message)
    except orjson.JSONDecodeError:
        return message


@final
class WsCassetteServer:
    """The relay (recording) or player (replaying) of one WebSocket cassette file.

    `base_url` is for `OpenAI(base_url=...)`; `upstream` (settable until a session
    connects) is where sessions are recorded from; `recordings` holds the sessions of the
    file; `mismatches` the messages that did not match (each also closes its session with
    code 1008 and the difference as the reason).
    """

    base_url: str
    recordings: list[WsRecording]
    mismatches: list[str]

    def __init__(
        self, path: Path, *, mode: RecordMode, upstream: str | None, redactor: Redactor
    ) -> None:
        self.path = path
        self.mode = mode
        self.upstream = upstream
        self.redactor = redactor
        self.base_url = ""  # set once listening
        self.recordings = []
        if mode == "none" and not path.exists():
            raise FileNotFoundError(
                f"cassette {path} does not exist: record it with mode='new_episodes' and an "
                "upstream"
            )
        if mode != "all" and path.exists():
            entries = loads_document(path.read_bytes(), source=str(path), key="websockets")
            self.recordings = [self._recording(entry) for entry in entries]
        self._used = [False] * len(self.recordings)
        self._new: list[tuple[WsRecording, list[WsFrame]]] = []
        self.mismatches = []

    def _listening_on(self, port: int) -> None:
        prefix = urlsplit(self.upstream).path.rstrip("/") if self.upstream else "/v1"
        self.base_url = f"http://127.0.0.1:{port}{prefix}"

    @staticmethod
    def _recording(entry: Mapping[str, Any]) -> WsRecording:
        return WsRecording(
            path=str(entry["path"]),
            query=tuple((str(k), str(v)) for k, v in entry.get("query", [])),
            headers=dict(entry.get("headers", {})),
            frames=tuple(_frame(frame) for frame in entry.get("frames", [])),
        )

    def _claim(self, path: str, query: tuple[tuple[str, str], ...]) -> WsRecording | None:
        for index, recording in enumerate(self.recordings):
            if not self._used[index] and (recording.path, recording.query) == (path, query):
                self._used[index] = True
                return recording
        return None

    async def handle(self, request: WebSocketRequest) -> None:
        path, _, qs = request.path.partition("?")
        query = self.redactor.redact_query(parse_qsl(qs, keep_blank_values=True))
        if self.mode != "all":
            recording = self._claim(path, query)
            if recording is not None:
                await self._replay(request, recording)
                return
        if self.mode == "none" or self.upstream is None:
            message = f"No recorded WebSocket session in {self.path} for {path}?{qs}."
            self.mismatches.append(message)
            await request.reject(404, body=message.encode())
            return
        await self._relay(request, path, query, qs)

    async def _replay(self, request: WebSocketRequest, recording: WsRecording) -> None:
        ws = await request.accept()
        anchor, anchor_at = trio.current_time(), 0.0
        try:
            for frame in recording.frames:
                if frame.sender == "server":
                    await trio.sleep_until(anchor + frame.at - anchor_at)
                    await ws.send_message(frame.message)
                    continue
                received = await ws.get_message()
                anchor, anchor_at = trio.current_time(), frame.at
                diff = json_differences(
                    _as_json(frame.message), self.redactor.redact_json(_as_json(received))
                )
                if diff:
                    message = (
                        f"WebSocket {recording.path}: message differs from the recording: "
                        + "; ".join(diff)
                    )
                    self.mismatches.append(message)
                    await ws.aclose(1008, reason=message[:120])
                    return
            while True:  # the recording is over: keep the session until the client closes
                await ws.get_message()
        except ConnectionClosed:
            pass

    async def _relay(
        self, request: WebSocketRequest, path: str, query: tuple[tuple[str, str], ...], qs: str
    ) -> None:
        assert self.upstream is not None
        parts = urlsplit(self.upstream)
        scheme = "wss" if parts.scheme in ("https", "wss") else "ws"
        url = f"{scheme}://{parts.netloc}{path}{'?' + qs if qs else ''}"
        forwarded = [
            (name, value)
            for name, value in request.headers
            if name.decode("latin-1").lower() not in _HOP_HEADERS
            and not name.decode("latin-1").lower().startswith("sec-websocket")
        ]
        shown = self.redactor.redact_headers(
            (n.decode("latin-1"), v.decode("latin-1")) for n, v in forwarded
        )
        frames: list[WsFrame] = []  # filled live: the block may end before this handler
        host = parts.hostname or "127.0.0.1"
        port = parts.port or (443 if scheme == "wss" else 80)
        try:
            if scheme == "wss":
                stream: trio.abc.Stream = await trio.open_ssl_over_tcp_stream(
                    host, port, ssl_context=shared_ssl_context()
                )
            else:
                stream = await trio.open_tcp_stream(host, port)
        except OSError as exc:
            await request.reject(502, body=f"cassette relay: cannot reach {url}: {exc!r}".encode())
            return
        # The socket is ours to close: trio-websocket's open_websocket_url leaks it when the
        # handshake is refused. A refusal surfaces from the connection's reader task, so it
        # comes out of the nursery (in a group), not from wrap_client_stream.
        refused: ConnectionRejected | None = None
        failed: BaseException | None = None
        try:
            async with trio.open_nursery() as nursery:
                resource = f"{path}{'?' + qs if qs else ''}"
                upstream = await wrap_client_stream(
                    nursery, stream, host, resource, extra_headers=forwarded
                )
                try:
                    await self._relay_open(request, upstream, frames, path, query, shown)
                    # A graceful close needs the connection's reader, which a cancellation
                    # has stopped: then the socket is just dropped (finally below).
                    await upstream.aclose()
                finally:
                    nursery.cancel_scope.cancel()
        except* ConnectionRejected as group:
            refused = cast("ConnectionRejected", group.exceptions[0])
        except* (HandshakeError, ConnectionClosed, OSError, trio.BrokenResourceError) as group:
            failed = group.exceptions[0]
        finally:
            await trio.aclose_forcefully(stream)
        if any(recorded is frames for _, recorded in self._new):
            return  # the session was accepted: the relay ended with the upstream
        if refused is not None:  # the refusal, passed on to the client
            kept = [(n, v) for n, v in refused.headers if n.lower() == b"content-type"]
            await request.reject(refused.status_code, extra_headers=kept, body=refused.body)
        elif failed is not None:
            message = f"cassette relay: handshake with {url} failed: {failed!r}"
            await request.reject(502, body=message.encode())

    async def _relay_open(
        self,
        request: WebSocketRequest,
        upstream: WebSocketConnection,
        frames: list[WsFrame],
        path: str,
        query: tuple[tuple[str, str], ...],
        shown: dict[str, str],
    ) -> None:
        """Relay an accepted session both ways, writing each message down as it passes."""
        ws = await request.accept()
        self._new.append((WsRecording(path=path, query=query, headers=shown, frames=()), frames))
        start = trio.current_time()

        async def pump(
            source: WebSocketConnection,
            sink: WebSocketConnection,
            sender: Literal["client", "server"],
            done: trio.CancelScope,
        ) -> None:
            try:
                while True:
                    message = await source.get_message()
                    frames.append(WsFrame(sender, trio.current_time() - start, message))
                    await sink.send_message(message)
            except ConnectionClosed:
                pass
            finally:
                done.cancel()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(pump, ws, upstream, "client", nursery.cancel_scope)
            nursery.start_soon(pump, upstream, ws, "server", nursery.cancel_scope)
        with trio.CancelScope(shield=True) as closing:
            closing.deadline = trio.current_time() + _CLOSE_GRACE
            await ws.aclose()

    def save(self) -> None:
        """Write the file when a session was recorded (mode "all" replaces its sessions)."""
        if not self._new:
            return
        new = [attrs.evolve(recording, frames=tuple(frames)) for recording, frames in self._new]
        sessions = new if self.mode == "all" else [*self.recordings, *new]
        entries = [
            {
                "path": s.path,
                "query": [list(pair) for pair in s.query],
                "headers": dict(s.headers),
                "frames": [_frame_entry(frame, self.redactor) for frame in s.frames],
            }
            for s in sessions
        ]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(dumps_document({"websockets": entries}))


@asynccontextmanager
async def open_ws_cassette(
    path: str | os.PathLike[str],
    *,
    upstream: str | None = None,
    mode: RecordMode | None = None,
    redact_headers: Iterable[str] = (),
    redact_fields: Iterable[str] = (),
) -> AsyncGenerator[WsCassetteServer, None]:
    """Serve the WebSocket cassette at `path` on 127.0.0.1 for the block; save on exit.

    `upstream` is the real server's base URL (e.g. "https://api.openai.com/v1"), needed to
    record; `mode` and the redaction options are those of `open_cassette`. Replaying, a
    session the file lacks is refused (404) and a client message that differs closes the
    session (1008); either also raises `CassetteMismatchError` when the block exits.
    """
    redactor = Redactor(
        headers=frozenset(name.lower() for name in redact_headers), fields=tuple(redact_fields)
    )
    server = WsCassetteServer(
        Path(path), mode=resolve_mode(mode), upstream=upstream, redactor=redactor
    )
    failure: BaseException | None = None
    async with trio.open_nursery() as nursery:
        serve = functools.partial(serve_websocket, server.handle, "127.0.0.1", 0, None)
        listening = await nursery.start(serve)
        server._listening_on(cast("int", listening.port))  # pyright: ignore[reportPrivateUsage]
        try:
            yield server
        except BaseException as exc:
            failure = exc  # re-raised outside the nursery, so that it is not wrapped
        finally:
            nursery.cancel_scope.cancel()
    if failure is not None:
        raise failure
    server.save()
    if server.mismatches:
        raise CassetteMismatchError(server.mismatches[0])
