"""trio_openai.testing: the local server, over real sockets on 127.0.0.1 with httpx as client."""

from __future__ import annotations

import functools
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import trio

from trio_openai.testing import LocalServer, RecordedRequest, Reply, open_local_server

# What a client may see when the server aborts a connection: a RST read as ECONNRESET, or an
# EOF where the HTTP framing still expected bytes.
CONNECTION_BROKEN = (httpx.RemoteProtocolError, httpx.ReadError)


@pytest.fixture
def server(local_server: LocalServer) -> LocalServer:
    return local_server  # the plugin's fixture, under a shorter name


@pytest.fixture
async def client(server: LocalServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as http:
        yield http


async def collect_raw(response: httpx.Response, into: bytearray) -> None:
    async for piece in response.aiter_raw():
        into += piece


def sse_blocks(body: bytes) -> list[bytes]:
    return [block for block in body.split(b"\n\n") if block]


def sse_data(body: bytes) -> list[Any]:
    """The `data:` payloads of an SSE body, JSON-decoded except the [DONE] marker."""
    out: list[Any] = []
    for block in sse_blocks(body):
        for line in block.split(b"\n"):
            if line.startswith(b"data: "):
                payload = line[len(b"data: ") :]
                out.append("[DONE]" if payload == b"[DONE]" else orjson.loads(payload))
    return out


# --- plain replies ----------------------------------------------------------------------------


async def test_json_reply_and_recording(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.script("POST", "/v1/files", Reply.json({"id": "file-1"}, status=201))
    query = "?purpose=batch&purpose=x&empty="
    response = await client.post(f"/files{query}", json={"a": 1}, headers={"X-Custom": "yes"})
    assert response.status_code == 201
    assert response.json() == {"id": "file-1"}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "req_1"
    [request] = server.requests
    assert isinstance(request, RecordedRequest)
    assert request.method == "POST"
    assert request.path == "/v1/files"
    assert request.query == {"purpose": ["batch", "x"], "empty": [""]}
    assert request.headers["x-custom"] == "yes"
    assert request.json() == {"a": 1}


async def test_script_queue_order(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.script(
        "get", "/v1/models?ignored=1", Reply.error(429, message="slow down"), Reply.json([])
    )
    statuses = [(await client.get("/models")).status_code for _ in range(4)]
    assert statuses == [429, 200, 200, 200]

    server.script("GET", "/v1/models", Reply.text("replaced"))
    assert (await client.get("/models")).text == "replaced"

    server.reset()
    assert server.requests == []
    echoed = await client.get("/models")
    assert echoed.json()["data"][0]["id"] == "echo-1"


async def test_error_reply_is_openai_shaped(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.script("POST", "/v1/r", Reply.error(400, message="bad", code="c", param="input"))
    response = await client.post("/r", json={})
    assert response.status_code == 400
    assert response.headers["x-request-id"] == "req_test"
    error = {"message": "bad", "type": "invalid_request_error", "param": "input", "code": "c"}
    assert response.json() == {"error": error}


async def test_text_reply_headers_and_delay(server: LocalServer, client: httpx.AsyncClient) -> None:
    headers = {"X-Request-ID": "mine"}
    reply = Reply.text(b"raw,csv", content_type="text/csv", headers=headers, delay=0.1)
    server.script("GET", "/v1/files/f/content", reply)
    start = trio.current_time()
    response = await client.get("/files/f/content")
    assert trio.current_time() - start >= 0.1
    assert response.content == b"raw,csv"
    assert response.headers["content-type"] == "text/csv"
    assert response.headers.get_list("x-request-id") == ["mine"]


async def test_handler_replies(server: LocalServer, client: httpx.AsyncClient) -> None:
    def sync(request: RecordedRequest) -> Reply:
        return Reply.json({"seen": request.json()["n"]})

    async def later(request: RecordedRequest) -> Reply:
        await trio.lowlevel.checkpoint()
        return Reply.text(request.headers["x-n"])

    def broken(request: RecordedRequest) -> Reply:
        raise RuntimeError("boom")

    server.script("POST", "/v1/a", Reply.handler(sync))
    server.script("POST", "/v1/b", Reply.handler(later))
    server.script("POST", "/v1/c", Reply.handler(broken))
    assert (await client.post("/a", json={"n": 7})).json() == {"seen": 7}
    assert (await client.post("/b", headers={"x-n": "8"})).text == "8"
    failed = await client.post("/c")
    assert failed.status_code == 500
    assert "boom" in failed.json()["error"]["message"]


# --- server-sent events -------------------------------------------------------------------------


async def test_sse_reply_frames_events(server: LocalServer, client: httpx.AsyncClient) -> None:
    events = [{"type": "a", "n": 1}, b": a comment\n\n", {"type": "b"}]
    server.script("POST", "/v1/s", Reply.sse(events, event_names=True))
    response = await client.post("/s")
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.content == (
        b'event: a\ndata: {"type":"a","n":1}\n\n'
        b": a comment\n\n"
        b'event: b\ndata: {"type":"b"}\n\n'
        b"data: [DONE]\n\n"
    )


async def test_sse_pace_and_no_done(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.script("GET", "/v1/s", Reply.sse([[1], [2], [3]], done=False, pace=0.05))
    start = trio.current_time()
    response = await client.get("/s")
    assert trio.current_time() - start >= 0.1
    assert sse_data(response.content) == [[1], [2], [3]]


async def test_sse_reset_after(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.script("POST", "/v1/s", Reply.sse([{"n": n} for n in range(5)], reset_after=2))
    received = bytearray()
    async with client.stream("POST", "/s") as response:
        assert response.status_code == 200
        with pytest.raises(CONNECTION_BROKEN):
            await collect_raw(response, received)
    assert sse_data(bytes(received)) == [{"n": 0}, {"n": 1}]
    await server.wait_open_connections(0)


async def test_sse_stall_after(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.script("POST", "/v1/s", Reply.sse([{"n": 0}, {"n": 1}], stall_after=1))
    received = b""
    with trio.move_on_after(0.3) as scope:
        async with client.stream("POST", "/s") as response:
            async for piece in response.aiter_raw():
                received += piece
    assert scope.cancelled_caught
    assert sse_data(received) == [{"n": 0}]
    await client.aclose()
    await server.wait_open_connections(0)


async def test_sse_trickle(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.script("GET", "/v1/s", Reply.sse([{"k": "v"}], trickle=0.002))
    pieces: list[bytes] = []
    async with client.stream("GET", "/s") as response:
        pieces = [piece async for piece in response.aiter_raw()]
    body = b"".join(pieces)
    assert sse_data(body) == [{"k": "v"}, "[DONE]"]
    assert len(pieces) > len(body) // 2  # the bytes arrived (nearly) one by one


async def test_sse_close_delimited_body(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.script("GET", "/v1/s", Reply.sse([{"n": 1}], chunked=False))
    for _ in range(2):
        response = await client.get("/s")
        assert "transfer-encoding" not in response.headers
        assert "content-length" not in response.headers
        assert response.headers["connection"] == "close"
        assert sse_data(response.content) == [{"n": 1}, "[DONE]"]
    assert server.connections_opened == 2


# --- connection-level faults ------------------------------------------------------------------


async def test_reset_before_headers(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.script("POST", "/v1/r", Reply.reset(), Reply.json({"ok": True}))
    with pytest.raises(CONNECTION_BROKEN):
        await client.post("/r", json={})
    assert len(server.requests) == 1  # the request was read before the reset
    assert (await client.post("/r", json={})).json() == {"ok": True}
    assert server.connections_opened == 2


async def test_stall(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.script("GET", "/v1/slow", Reply.stall())
    with trio.move_on_after(0.2) as scope:
        await client.get("/slow")
    assert scope.cancelled_caught
    assert len(server.requests) == 1
    await client.aclose()
    with trio.fail_after(5):
        await server.wait_open_connections(0)


async def test_raw_replies(server: LocalServer, client: httpx.AsyncClient) -> None:
    http10 = b"HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nclose-delimited"
    truncated = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel"
    complete = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"
    server.script("GET", "/v1/http10", Reply.raw(http10))
    server.script("GET", "/v1/truncated", Reply.raw(truncated))
    server.script("GET", "/v1/complete", Reply.raw(complete, close=False))
    response = await client.get("/http10")
    assert response.http_version == "HTTP/1.0"
    assert response.text == "close-delimited"
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get("/truncated")
    opened = server.connections_opened
    assert (await client.get("/complete")).text == "hi"
    assert (await client.get("/complete")).text == "hi"
    assert server.connections_opened == opened + 1  # close=False: the connection is reused


async def test_malformed_request_gets_400(server: LocalServer) -> None:
    stream = await trio.open_tcp_stream("127.0.0.1", server.port)
    async with stream:
        await stream.send_all(b"NOT HTTP AT ALL\r\n\r\n")
        received = b""
        while chunk := await stream.receive_some():
            received += chunk
    assert received.startswith(b"HTTP/1.1 400 ")


# --- connections ------------------------------------------------------------------------------


async def test_keep_alive_reuses_one_connection(server: LocalServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        for _ in range(3):
            assert (await http.get("/models")).status_code == 200
        assert server.connections_opened == 1
        assert server.open_connections == 1
    with trio.fail_after(5):
        await server.wait_open_connections(0)
    assert server.connections_opened == 1


async def test_concurrent_clients_count_connections(server: LocalServer) -> None:
    server.script("GET", "/v1/slow", Reply.json({}, delay=0.1))
    async with httpx.AsyncClient(base_url=server.base_url) as http, trio.open_nursery() as nursery:
        for _ in range(4):
            nursery.start_soon(http.get, "/slow")
    assert server.connections_opened == 4
    await server.wait_open_connections(0)


async def serve_then_fail(opened: list[tuple[LocalServer, trio.SocketStream]]) -> None:
    async with open_local_server() as server:
        server.script("GET", "/v1/slow", Reply.stall())
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        opened.append((server, stream))
        await stream.send_all(b"GET /v1/slow HTTP/1.1\r\nhost: x\r\n\r\n")
        await server.wait_open_connections(1)
        raise KeyError("propagates as itself")


async def test_block_exit_closes_connections_and_does_not_wrap_errors() -> None:
    opened: list[tuple[LocalServer, trio.SocketStream]] = []
    with pytest.raises(KeyError, match="propagates as itself"):
        await serve_then_fail(opened)
    [(server, stream)] = opened
    assert server.open_connections == 0
    async with stream:
        assert await stream.receive_some() == b""  # the server closed its end
    with pytest.raises(OSError, match="all attempts to connect"):
        await trio.open_tcp_stream("127.0.0.1", server.port)


# --- the built-in echo model ------------------------------------------------------------------


async def test_echo_chat_completion(server: LocalServer, client: httpx.AsyncClient) -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "hello "}, {"type": "text", "text": "there"}],
        },
    ]
    response = await client.post("/chat/completions", json={"model": "m-1", "messages": messages})
    body = response.json()
    assert response.headers["x-request-id"] == "req_1"
    assert body["id"] == "chatcmpl-1"
    assert body["object"] == "chat.completion"
    assert body["model"] == "m-1"
    assert isinstance(body["created"], int)
    [choice] = body["choices"]
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == "You said: hello there"
    assert choice["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 6, "completion_tokens": 4, "total_tokens": 10}


async def test_echo_chat_completion_stream(server: LocalServer, client: httpx.AsyncClient) -> None:
    request = {
        "model": "m-1",
        "messages": [{"role": "user", "content": "one  two three"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = await client.post("/chat/completions", json=request)
    assert response.headers["content-type"] == "text/event-stream"
    events = sse_data(response.content)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    deltas = [c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]]
    assert "".join(deltas) == "You said: one  two three"
    assert len([d for d in deltas if d]) == 5  # one chunk per word
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}


async def test_echo_response(server: LocalServer, client: httpx.AsyncClient) -> None:
    response = await client.post("/responses", json={"model": "m-2", "input": "hi there"})
    body = response.json()
    assert body["id"] == "resp_1"
    assert body["object"] == "response"
    assert body["status"] == "completed"
    assert body["model"] == "m-2"
    part = {"type": "output_text", "text": "You said: hi there", "annotations": [], "logprobs": []}
    message = {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant"}
    assert body["output"] == [{**message, "content": [part]}]
    assert body["usage"] == {
        "input_tokens": 2,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 4,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 6,
    }
    required = "created_at error incomplete_details instructions tools parallel_tool_calls"
    assert {*required.split(), "metadata", "tool_choice", "temperature", "top_p"} <= body.keys()


async def test_echo_response_stream(server: LocalServer, client: httpx.AsyncClient) -> None:
    server.echo_pace = 0.01
    request = {
        "model": "m-2",
        "stream": True,
        "input": [
            {"role": "user", "content": "ignored"},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "a b"}]},
        ],
    }
    response = await client.post("/responses", json=request)
    blocks = sse_blocks(response.content)
    events = sse_data(response.content)
    assert "[DONE]" not in events
    names = [block.split(b"\n")[0].removeprefix(b"event: ").decode() for block in blocks]
    assert names == [event["type"] for event in events]
    expected = (
        "created in_progress output_item.added content_part.added"
        + " output_text.delta" * 4
        + " output_text.done content_part.done output_item.done completed"
    )
    assert names == [f"response.{name}" for name in expected.split()]
    numbers = [event["sequence_number"] for event in events]
    assert numbers == sorted(set(numbers))
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert "".join(deltas) == "You said: a b"
    assert events[0]["response"]["status"] == "in_progress"
    final = events[-1]["response"]
    assert final["status"] == "completed"
    assert final["output"][0]["content"][0]["text"] == "You said: a b"


async def test_echo_models_and_404(server: LocalServer, client: httpx.AsyncClient) -> None:
    models = await client.get("/models")
    assert models.json()["object"] == "list"
    assert [m["id"] for m in models.json()["data"]] == ["echo-1"]
    missing = await client.delete("/nowhere")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "invalid_request_error"
    assert missing.headers["x-request-id"] == "req_2"
    bad = await client.post("/chat/completions", content=b"{")
    assert bad.status_code == 400


async def test_fixture_and_urls(local_server: LocalServer) -> None:
    assert local_server.origin == f"http://127.0.0.1:{local_server.port}"
    assert local_server.base_url == local_server.origin + "/v1"
    assert local_server.connections_opened == 0
    assert local_server.echo_pace == 0.0


async def test_command_line_entry_point() -> None:
    command = [sys.executable, "-m", "trio_openai.testing", "--port", "0"]
    async with trio.open_nursery() as nursery:
        run = functools.partial(trio.run_process, command, stdout=subprocess.PIPE, check=False)
        process = await nursery.start(run)
        assert process.stdout is not None
        line = b""
        with trio.fail_after(20):
            while not line.endswith(b"\n"):
                line += await process.stdout.receive_some(1)
        base_url = line.decode().strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v1")
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{base_url}/models")).status_code == 200
        process.send_signal(signal.SIGINT)
        with trio.fail_after(20):
            assert await process.wait() == 0
