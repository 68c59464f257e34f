"""multipart/form-data encoding: parsed back, streamed, replayed, sent over a socket."""

from __future__ import annotations

import email.parser
import email.policy
import gc
import hashlib
import io
import os
import re
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import trio
from hypothesis import given, settings, strategies as st

from trio_openai._multipart import MultipartBody, encode_multipart, is_file_input
from trio_openai._types import omit


@attrs.frozen
class Part:
    name: str
    filename: str | None
    content_type: str | None
    payload: bytes


_PARAM = re.compile(r'; (name|filename)="((?:[^"\\]|\\.)*)"')


async def collect(body: MultipartBody) -> bytes:
    return b"".join([chunk async for chunk in body])


def parse(body: MultipartBody, data: bytes) -> list[Part]:
    """A strict hand parser for the exact layout the encoder promises."""
    boundary = body.content_type.removeprefix("multipart/form-data; boundary=").encode()
    closing = b"--" + boundary + b"--\r\n"
    assert data.endswith(closing)
    first, *raw_parts = data[: -len(closing)].split(b"--" + boundary + b"\r\n")
    assert first == b""
    parts = []
    for raw in raw_parts:
        assert raw.endswith(b"\r\n")
        head, _, payload = raw[:-2].partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        disposition = lines[0].removeprefix("Content-Disposition: ")
        assert disposition.startswith("form-data; name=")
        params = {k: re.sub(r"\\(.)", r"\1", v) for k, v in _PARAM.findall(disposition)}
        content_type = None
        if len(lines) == 2:
            content_type = lines[1].removeprefix("Content-Type: ")
        else:
            assert len(lines) == 1
        parts.append(Part(params["name"], params.get("filename"), content_type, payload))
    return parts


def email_parts(body: MultipartBody, data: bytes) -> list[Part]:
    """The same body through the standard library's MIME parser, as a cross-check."""
    raw = f"Content-Type: {body.content_type}\r\n\r\n".encode() + data
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    assert not message.defects
    return [
        Part(
            str(part.get_param("name", header="content-disposition")),
            part.get_filename(),
            part["content-type"],
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()  # type: ignore[attr-defined]
    ]


async def encode_and_parse(form: dict[str, Any], **kwargs: Any) -> list[Part]:
    body = encode_multipart(form, **kwargs)
    data = await collect(body)
    assert body.content_length == len(data)
    return parse(body, data)


# --- values and names -----------------------------------------------------------------


async def test_text_fields_lists_and_dicts() -> None:
    parts = await encode_and_parse(
        {
            "model": "whisper-1",
            "temperature": 0.5,
            "n": 3,
            "stream": True,
            "echo": False,
            "skipped_none": None,
            "skipped_omit": omit,
            "include": ["logprobs", "words"],
            "metadata": {"a": "1", "nested": {"b": 2}},
            "empty": "",
        }
    )
    assert [(p.name, p.payload, p.filename, p.content_type) for p in parts] == [
        ("model", b"whisper-1", None, None),
        ("temperature", b"0.5", None, None),
        ("n", b"3", None, None),
        ("stream", b"true", None, None),
        ("echo", b"false", None, None),
        ("include[]", b"logprobs", None, None),
        ("include[]", b"words", None, None),
        ("metadata[a]", b"1", None, None),
        ("metadata[nested][b]", b"2", None, None),
        ("empty", b"", None, None),
    ]


async def test_none_and_omit_inside_containers_are_skipped() -> None:
    parts = await encode_and_parse({"x": [1, None, omit, 2], "d": {"a": None, "b": omit}})
    assert [(p.name, p.payload) for p in parts] == [("x[]", b"1"), ("x[]", b"2")]


async def test_text_is_utf8() -> None:
    (part,) = await encode_and_parse({"prompt": "café ☕"})
    assert part.payload == "café ☕".encode()


def test_unsupported_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"'when'.*object"):
        encode_multipart({"when": object()})


def test_is_file_input() -> None:
    class DuckFile:
        def read(self, size: int = -1) -> bytes:
            return b""

    for yes in [b"x", bytearray(b"x"), Path("a.txt"), io.BytesIO(), DuckFile()]:
        assert is_file_input(yes)
    for yes in [("a.txt", b"x"), (None, b"x"), ("a.txt", b"x", "text/plain"), ("a", b"", None)]:
        assert is_file_input(yes)
    for no in ["a.txt", 1, None, ("a", "b"), (b"a", b"b"), ("a", b"x", 3), ("a", b"x", "t", "u")]:
        assert not is_file_input(no)


# --- file parts -----------------------------------------------------------------------


async def test_bytes_are_named_upload_as_openai_python_names_them() -> None:
    (part,) = await encode_and_parse({"file": b"\x00\x01binary\r\n--"})
    assert part == Part("file", "upload", "application/octet-stream", b"\x00\x01binary\r\n--")


async def test_path_is_named_and_typed_from_its_basename(tmp_path: Path) -> None:
    text, image, unknown = tmp_path / "train.txt", tmp_path / "photo.png", tmp_path / "b.zzqx"
    text.write_bytes(b'{"a": 1}\n')
    image.write_bytes(b"\x89PNG")
    unknown.write_bytes(b"?")
    parts = await encode_and_parse({"file": text, "image": image, "blob": unknown})
    assert parts == [
        Part("file", "train.txt", "text/plain", b'{"a": 1}\n'),
        Part("image", "photo.png", "image/png", b"\x89PNG"),
        Part("blob", "b.zzqx", "application/octet-stream", b"?"),
    ]


async def test_file_objects(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"from disk")
    with path.open("rb") as on_disk:
        parts = await encode_and_parse({"memory": io.BytesIO(b"in memory"), "disk": on_disk})
    assert parts == [
        Part("memory", "upload", "application/octet-stream", b"in memory"),
        Part("disk", "notes.txt", "text/plain", b"from disk"),
    ]


async def test_tuples_given_name_and_type_win(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"path")
    parts = await encode_and_parse(
        {
            "a": ("speech.mp3", b"mp3"),
            "b": ("data.csv", b"1,2", "text/x-custom"),
            "c": ("renamed.txt", path),
            "d": (None, path),
            "e": (None, b"raw", None),
            "f": ("report.pdf", io.BytesIO(b"%PDF"), "application/pdf"),
        }
    )
    assert parts == [
        Part("a", "speech.mp3", "audio/mpeg", b"mp3"),
        Part("b", "data.csv", "text/x-custom", b"1,2"),
        Part("c", "renamed.txt", "text/plain", b"path"),
        Part("d", "x.bin", "application/octet-stream", b"path"),
        Part("e", "upload", "application/octet-stream", b"raw"),
        Part("f", "report.pdf", "application/pdf", b"%PDF"),
    ]


async def test_list_of_files_repeats_the_bracketed_name(tmp_path: Path) -> None:
    path = tmp_path / "b.png"
    path.write_bytes(b"B")
    parts = await encode_and_parse(
        {"image": [("a.png", b"A"), path, io.BytesIO(b"C")], "mask": ("m.png", b"M")}
    )
    assert [(p.name, p.filename, p.payload) for p in parts] == [
        ("image[]", "a.png", b"A"),
        ("image[]", "b.png", b"B"),
        ("image[]", "upload", b"C"),
        ("mask", "m.png", b"M"),
    ]


async def test_seekable_object_is_sent_from_its_position() -> None:
    stream = io.BytesIO(b"skip:keep")
    stream.seek(5)
    body = encode_multipart({"f": stream})
    for _ in range(2):
        data = await collect(body)
        assert parse(body, data)[0].payload == b"keep"
        assert body.content_length == len(data)


def test_text_mode_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("x")
    with path.open("r") as text, pytest.raises(TypeError, match="binary mode"):
        encode_multipart({"file": text})


# --- quoting --------------------------------------------------------------------------


async def test_names_are_quoted_and_cannot_inject_headers() -> None:
    form = {'we"ird\\name': (('evil"\r\nContent-Type: text/html\r\n\r\n.txt'), b"x")}
    body = encode_multipart(form)
    data = await collect(body)
    header = data.split(b"\r\n")[1]
    assert header == (
        b'Content-Disposition: form-data; name="we\\"ird\\\\name"; '
        b'filename="evil\\"%0D%0AContent-Type: text/html%0D%0A%0D%0A.txt"'
    )
    (part,) = email_parts(body, data)
    assert part.name == 'we"ird\\name'
    assert part.filename == 'evil"%0D%0AContent-Type: text/html%0D%0A%0D%0A.txt'
    assert part.content_type == "text/plain"


async def test_non_ascii_filename_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "résumé ñ 漢字.txt"
    path.write_bytes("contenu accentué".encode())
    body = encode_multipart({"fichier": path, "clé": "valeur"})
    data = await collect(body)
    expected = [
        Part("fichier", "résumé ñ 漢字.txt", "text/plain", "contenu accentué".encode()),
        Part("clé", None, None, b"valeur"),
    ]
    assert parse(body, data) == expected
    from_email = email_parts(body, data)
    assert [(p.name, p.filename, p.payload) for p in from_email] == [
        (p.name, p.filename, p.payload) for p in expected
    ]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="boundary"):
        encode_multipart({}, boundary="has space")
    with pytest.raises(ValueError, match="boundary"):
        encode_multipart({}, boundary="x" * 71)
    with pytest.raises(ValueError, match="chunk_size"):
        encode_multipart({}, chunk_size=0)
    with pytest.raises(ValueError, match="content type"):
        encode_multipart({"f": ("a", b"", "text/plain\r\nX-Evil: 1")})


async def test_boundary_is_random_unless_given() -> None:
    first, second = encode_multipart({}), encode_multipart({})
    assert first.content_type != second.content_type
    assert re.fullmatch(r"multipart/form-data; boundary=[0-9a-f]{32}", first.content_type)
    fixed = encode_multipart({"a": "1"}, boundary="fixed-Boundary_1")
    assert fixed.content_type == "multipart/form-data; boundary=fixed-Boundary_1"
    assert await collect(fixed) == (
        b'--fixed-Boundary_1\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b"--fixed-Boundary_1--\r\n"
    )
    assert await collect(encode_multipart({}, boundary="b")) == b"--b--\r\n"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(st.characters(exclude_categories=["Cc", "Cs"], exclude_characters="%")),
            st.one_of(
                st.text(st.characters(exclude_categories=["Cs"])),
                st.binary(),
                st.booleans(),
                st.integers(),
            ),
        ),
        max_size=6,
    ),
    st.integers(min_value=1, max_value=300),
)
def test_round_trip_property(fields: list[tuple[str, object]], chunk_size: int) -> None:
    # Lists keep duplicate names: feed them through distinct keys of nested dicts instead.
    form = {f"f{i}": {name: value} for i, (name, value) in enumerate(fields)}
    body = encode_multipart(form, chunk_size=chunk_size)
    chunks: list[bytes] = []

    async def run() -> None:
        chunks.extend([chunk async for chunk in body])

    trio.run(run)
    data = b"".join(chunks)
    assert max(map(len, chunks)) <= chunk_size
    assert body.content_length == len(data)
    parts = parse(body, data)
    assert [p.name for p in parts] == [f"f{i}[{name}]" for i, (name, _) in enumerate(fields)]
    for part, (_, value) in zip(parts, fields, strict=True):
        if isinstance(value, bytes):
            assert (part.filename, part.payload) == ("upload", value)
        elif isinstance(value, bool):
            assert part.payload == (b"true" if value else b"false")
        else:
            assert (part.filename, part.payload) == (None, str(value).encode())


# --- replay ---------------------------------------------------------------------------


async def test_replayable_bodies_produce_the_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"path content" * 1000)
    body = encode_multipart(
        {"p": path, "b": b"bytes" * 1000, "io": io.BytesIO(b"memory" * 1000), "t": "x"},
        chunk_size=1000,
    )
    assert body.replayable
    first, second = await collect(body), await collect(body)
    assert first == second
    assert len(first) == body.content_length


async def test_non_seekable_stream_is_sent_once() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"piped data")
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        body = encode_multipart({"f": pipe, "t": "text"})
        assert not body.replayable
        assert body.content_length is None
        data = await collect(body)
        assert parse(body, data)[0] == Part(
            "f", "upload", "application/octet-stream", b"piped data"
        )
        with pytest.raises(RuntimeError, match="non-seekable"):
            body.__aiter__()


async def test_duck_typed_stream_without_seek_is_not_replayable() -> None:
    class Upstream:
        def __init__(self) -> None:
            self.pieces = [b"a" * 10, b"b" * 3]

        def read(self, size: int = -1) -> bytes:
            return self.pieces.pop(0)[:size] if self.pieces else b""

    body = encode_multipart({"f": ("up.bin", Upstream())}, chunk_size=4)
    assert (body.replayable, body.content_length) == (False, None)
    data = await collect(body)
    assert parse(body, data)[0].payload == b"a" * 4 + b"b" * 3  # read(4) cuts each piece
    with pytest.raises(RuntimeError):
        await collect(body)


# --- streaming paths ------------------------------------------------------------------


class FileSpy:
    """Stands in for trio.open_file: records reads and closes of the files it opens."""

    def __init__(self) -> None:
        self.files: list[Any] = []
        self.read_sizes: list[int] = []
        self.hang_on_read: int | None = None  # block forever on this read number
        self.real_open_file = trio.open_file

    async def open_file(self, path: Any, mode: str = "r") -> Any:
        file = await self.real_open_file(path, mode)
        self.files.append(file)
        return _SpyFile(file, self)

    @property
    def all_closed(self) -> bool:
        return bool(self.files) and all(file.wrapped.closed for file in self.files)


@attrs.define
class _SpyFile:
    inner: Any
    spy: FileSpy

    @property
    def wrapped(self) -> Any:
        return self.inner.wrapped

    async def read(self, size: int) -> bytes:
        self.spy.read_sizes.append(size)
        if len(self.spy.read_sizes) == self.spy.hang_on_read:
            await trio.sleep_forever()
        data: bytes = await self.inner.read(size)
        return data

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> FileSpy:
    spy = FileSpy()
    monkeypatch.setattr(trio, "open_file", spy.open_file)
    return spy


async def test_big_file_streams_in_bounded_chunks(tmp_path: Path, spy: FileSpy) -> None:
    path = tmp_path / "big.bin"
    block = os.urandom(1 << 20)
    with path.open("wb") as out:
        for _ in range(20):
            out.write(block)
    chunk_size = 64 * 1024
    body = encode_multipart({"purpose": "batch", "file": path}, chunk_size=chunk_size)
    assert not spy.files  # stat-ed, not opened, until sent

    streamed, total, biggest = hashlib.sha256(), 0, 0
    async for chunk in body:
        biggest = max(biggest, len(chunk))
        total += len(chunk)
        streamed.update(chunk)
    assert biggest <= chunk_size
    assert total == body.content_length
    assert max(spy.read_sizes) <= chunk_size
    assert len(spy.read_sizes) == 20 * (1 << 20) // chunk_size  # no extra read past the size
    assert len(spy.files) == 1
    assert spy.all_closed

    data = await collect(body)  # a second pass, to check the payload itself
    assert hashlib.sha256(data).digest() == streamed.digest()
    assert parse(body, data)[1].payload == block * 20


async def test_aclose_mid_stream_closes_the_file(tmp_path: Path, spy: FileSpy) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 10_000)
    iterator = encode_multipart({"f": path}, chunk_size=1000).__aiter__()
    await iterator.__anext__()  # headers
    assert await iterator.__anext__() == b"x" * 1000
    assert not spy.all_closed
    await iterator.aclose()
    assert spy.all_closed
    await iterator.aclose()  # idempotent
    with pytest.raises(StopAsyncIteration):
        await iterator.__anext__()


async def test_break_then_aclose_via_contextlib(tmp_path: Path, spy: FileSpy) -> None:
    from contextlib import aclosing

    path = tmp_path / "f.bin"
    path.write_bytes(b"y" * 10_000)
    body = encode_multipart({"f": path}, chunk_size=100)
    async with aclosing(body.__aiter__()) as chunks:
        async for chunk in chunks:
            if chunk.startswith(b"y"):
                break
    assert spy.all_closed


async def test_dropped_iterator_closes_its_file(tmp_path: Path, spy: FileSpy) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"z" * 10_000)
    iterator = encode_multipart({"f": path}, chunk_size=1000).__aiter__()
    await iterator.__anext__()  # headers
    assert await iterator.__anext__() == b"z" * 1000
    assert spy.files
    assert not spy.all_closed
    del iterator
    gc.collect()  # no ResourceWarning (the suite turns warnings into errors)
    assert spy.all_closed


async def test_cancel_mid_read_closes_the_file(tmp_path: Path, spy: FileSpy) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"w" * 10_000)
    spy.hang_on_read = 3
    body = encode_multipart({"f": path}, chunk_size=1000)
    received: list[bytes] = []
    with trio.move_on_after(0.2) as scope:
        async for chunk in body:
            received.append(chunk)
    assert scope.cancelled_caught
    assert len(received) == 3  # headers, then two reads
    assert spy.all_closed


async def test_file_shrinking_after_encode_is_an_error(tmp_path: Path, spy: FileSpy) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"v" * 1000)
    body = encode_multipart({"f": path}, chunk_size=100)
    path.write_bytes(b"v" * 500)
    with pytest.raises(RuntimeError, match="500 bytes short"):
        await collect(body)
    assert spy.all_closed


async def test_file_growing_after_encode_sends_the_measured_size(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"u" * 1000)
    body = encode_multipart({"f": path}, chunk_size=128)
    with path.open("ab") as out:
        out.write(b"more")
    data = await collect(body)
    assert len(data) == body.content_length
    assert parse(body, data)[0].payload == b"u" * 1000


async def test_bytes_above_chunk_size_are_sliced() -> None:
    body = encode_multipart({"f": b"0123456789" * 100, "t": "z" * 500}, chunk_size=64)
    chunks = [chunk async for chunk in body]
    assert max(map(len, chunks)) <= 64
    data = b"".join(chunks)
    assert len(data) == body.content_length
    assert [p.payload for p in parse(body, data)] == [b"0123456789" * 100, b"z" * 500]


# --- over a real socket ---------------------------------------------------------------


async def _read_request(stream: trio.SocketStream) -> tuple[dict[str, str], bytes]:
    buffer = bytearray()
    while b"\r\n\r\n" not in buffer:
        buffer += await stream.receive_some()
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines)}
    body = bytearray(rest)
    while len(body) < int(headers["content-length"]):
        body += await stream.receive_some()
    return headers, bytes(body)


async def test_httpx_sends_the_exact_body(tmp_path: Path) -> None:
    path = tmp_path / "upload.jsonl"
    path.write_bytes(b'{"custom_id": "1"}\n' * 20_000)
    body = encode_multipart(
        {"purpose": "batch", "file": path, "extra": io.BytesIO(b"e" * 1000)}, chunk_size=8192
    )
    expected = await collect(body)
    received: list[tuple[dict[str, str], bytes]] = []

    async def handler(stream: trio.SocketStream) -> None:
        received.append(await _read_request(stream))
        await stream.send_all(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        )
        await stream.aclose()

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
        port = listeners[0].socket.getsockname()[1]
        headers = {"Content-Type": body.content_type, "Content-Length": str(body.content_length)}
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"http://127.0.0.1:{port}/v1/files", content=body, headers=headers
            )
        nursery.cancel_scope.cancel()

    assert response.status_code == 200
    [(got_headers, got_body)] = received
    assert got_headers["content-type"] == body.content_type
    assert got_headers["content-length"] == str(len(expected))
    assert "transfer-encoding" not in got_headers
    assert got_body == expected
    assert [p.name for p in parse(body, got_body)] == ["purpose", "file", "extra"]


class _BodyStream(httpx.AsyncByteStream):
    """Hands httpx the body's own iterator: no async generator of httpx's in between,
    so one abandoned mid-upload leaves nothing for trio to warn about."""

    def __init__(self, body: MultipartBody) -> None:
        self.body = body

    def __aiter__(self) -> Any:
        return self.body.__aiter__()


async def test_upload_abandoned_by_the_server_closes_the_file(tmp_path: Path, spy: FileSpy) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"a" * (8 << 20))
    body = encode_multipart({"file": path})

    async def handler(stream: trio.SocketStream) -> None:
        await stream.receive_some()
        await stream.send_all(
            b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        await stream.aclose()

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
        port = listeners[0].socket.getsockname()[1]
        headers = {"Content-Type": body.content_type, "Content-Length": str(body.content_length)}
        async with httpx.AsyncClient() as client:
            request = client.build_request("POST", f"http://127.0.0.1:{port}/", headers=headers)
            request.stream = _BodyStream(body)
            try:
                response = await client.send(request)
            except httpx.TransportError:
                pass  # the server may close before httpx reads the early answer
            else:
                assert response.status_code == 413
        nursery.cancel_scope.cancel()
    gc.collect()
    assert spy.all_closed
