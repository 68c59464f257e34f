"""Binary results over real sockets: openai-python's HttpxBinaryResponseContent methods."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

import trio_openai
from trio_openai._binary import BinaryResponseContent, HttpxBinaryResponseContent
from trio_openai.testing import LocalServer, Reply

BODY = bytes(range(256)) * 40  # 10 KiB, every byte value


async def test_files_content_has_openai_pythons_methods(
    client: trio_openai.OpenAI, local_server: LocalServer, tmp_path: Path
) -> None:
    local_server.script(
        "GET", "/v1/files/file-1/content", Reply.text(BODY, content_type="application/octet-stream")
    )
    result = await client.files.content("file-1")
    assert isinstance(result, HttpxBinaryResponseContent)
    assert result.content == BODY
    assert result.read() == BODY
    assert await result.aread() == BODY
    assert bytes(result) == BODY
    assert result.response.status_code == 200
    assert result.response.headers["content-type"] == "application/octet-stream"
    assert b"".join([c async for c in result.iter_bytes()]) == BODY
    chunks = [c async for c in result.aiter_bytes(1000)]
    assert [len(c) for c in chunks] == [1000] * 10 + [240]
    assert b"".join(chunks) == BODY
    target = tmp_path / "out.bin"
    await result.write_to_file(target)
    assert target.read_bytes() == BODY
    await result.stream_to_file(str(tmp_path / "again.bin"), chunk_size=7)
    assert (tmp_path / "again.bin").read_bytes() == BODY
    assert "10240 bytes" in repr(result)


async def test_text_json_and_encoding(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "GET",
        "/v1/files/f-json/content",
        Reply.text(b'{"custom_id": "req-1", "n": [1, 2]}', content_type="application/json"),
    )
    result = await client.files.content("f-json")
    assert result.json() == {"custom_id": "req-1", "n": [1, 2]}
    assert result.json(parse_int=str) == {"custom_id": "req-1", "n": ["1", "2"]}
    assert result.encoding is None
    assert result.text == '{"custom_id": "req-1", "n": [1, 2]}'
    local_server.script(
        "GET",
        "/v1/files/f-latin/content",
        Reply.text("café".encode("latin-1"), content_type="text/plain; charset=latin-1"),
    )
    latin = await client.files.content("f-latin")
    assert latin.encoding == "latin-1"
    assert latin.text == "café"


async def test_every_binary_operation_returns_the_object(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST", "/v1/audio/speech", Reply.text(b"ID3audio", content_type="audio/mpeg")
    )
    speech = await client.audio.speech.create(model="gpt-4o-mini-tts", input="hi", voice="alloy")
    assert isinstance(speech, BinaryResponseContent)
    assert speech.read() == b"ID3audio"
    local_server.script(
        "GET", "/v1/videos/v1/content", Reply.text(b"mp4", content_type="video/mp4")
    )
    video = await client.videos.download_content("v1")
    assert video.content == b"mp4"
    local_server.script(
        "GET", "/v1/containers/c1/files/f1/content", Reply.text(b"file", content_type="x/y")
    )
    in_container = await client.containers.files.content.retrieve("f1", container_id="c1")
    assert in_container.content == b"file"


async def open_unread(
    client: trio_openai.OpenAI, path: str
) -> tuple[BinaryResponseContent, object]:
    """A binary result whose body is still on the wire (as with_streaming_response gives)."""
    stream = client._stream_bytes("GET", path)
    await stream.__aenter__()
    return BinaryResponseContent(stream.response), stream


async def test_a_body_on_the_wire_is_written_as_it_arrives(
    client: trio_openai.OpenAI, local_server: LocalServer, tmp_path: Path
) -> None:
    # Three chunks, then the server waits: the body never ends while we look at the file,
    # so whatever is on disk was written without holding the whole body.
    parts = [b"a" * 5000, b"b" * 5000, b"c" * 5000]
    local_server.script("GET", "/v1/files/big/content", Reply.sse(parts, done=False, stall_after=3))
    result, _ = await open_unread(client, "/files/big/content")
    with pytest.raises(RuntimeError, match=r"await result\.aread\(\)"):
        result.read()
    target = tmp_path / "big.bin"
    async with trio.open_nursery() as nursery:
        nursery.start_soon(result.write_to_file, target)
        with trio.fail_after(10):
            while not target.exists() or target.stat().st_size < 15000:  # noqa: ASYNC110 (the disk has no event to wait on)
                await trio.sleep(0.01)
        assert target.read_bytes() == b"".join(parts)
        nursery.cancel_scope.cancel()
    await result.aclose()
    with pytest.raises(RuntimeError, match="already streamed"):
        await result.aread()
    await local_server.wait_open_connections(0)


async def test_a_body_on_the_wire_read_whole_then_kept(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("GET", "/v1/files/f2/content", Reply.sse([b"12345", b"678"], done=False))
    result, _ = await open_unread(client, "/files/f2/content")
    assert "unread" in repr(result)
    assert await result.aread() == b"12345678"
    assert result.content == b"12345678"
    assert [c async for c in result.iter_bytes(3)] == [b"123", b"456", b"78"]
    await result.aclose()

    local_server.script("GET", "/v1/files/f3/content", Reply.sse([b"12345", b"678"], done=False))
    streamed, _ = await open_unread(client, "/files/f3/content")
    assert [c async for c in streamed.iter_bytes(4)] == [b"1234", b"5678"]
    with pytest.raises(RuntimeError, match="already streamed"):
        _ = streamed.content
    await streamed.aclose()


def test_bad_chunk_size_is_refused() -> None:
    import httpx

    result = BinaryResponseContent(httpx.Response(200, content=b"x"), b"x")
    with pytest.raises(ValueError, match="chunk_size"):
        result.iter_bytes(0)
