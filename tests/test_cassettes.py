"""Cassettes: record real exchanges through a client, replay them offline in trio time.

Recording runs over real sockets (llama-server, the local server); replay must need no server
at all, so replaying clients point at a port nothing listens on.
"""

from __future__ import annotations

import contextlib
import gzip
import time
from pathlib import Path

import orjson
import pytest
import trio
import trio.testing

import trio_openai
from trio_openai.testing import (
    CassetteMismatchError,
    LocalServer,
    RecordedRequest,
    Reply,
    open_cassette,
    open_cassette_server,
)
from trio_openai.types.params import ChatCompletionRequestMessageParam

NOWHERE = "http://127.0.0.1:9/v1"  # the discard port: a request that got through would fail
MESSAGES: list[ChatCompletionRequestMessageParam] = [
    {"role": "user", "content": "Count from one to five."}
]


def said(word: str) -> list[ChatCompletionRequestMessageParam]:
    return [{"role": "user", "content": word}]


async def _stream_chunks(client: trio_openai.OpenAI) -> list[dict[str, object]]:
    chunks: list[dict[str, object]] = []
    async with await client.chat.completions.create(
        model="smollm2-135m", messages=MESSAGES, stream=True, max_tokens=24, temperature=0
    ) as stream:
        async for chunk in stream:
            chunks.append(chunk.to_dict())
    return chunks


@pytest.mark.llama
async def test_llama_stream_replays_identically_without_the_server(
    llama_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "llama.json"
    async with (
        open_cassette(path, mode="all") as cassette,
        cassette.client(base_url=llama_url, api_key="sk-llama-SECRET") as client,
    ):
        recorded = await _stream_chunks(client)
    assert len(recorded) > 3
    entry = orjson.loads(path.read_bytes())["exchanges"][0]
    ats = [event["at"] for event in entry["response"]["events"]]
    assert ats == sorted(ats)
    assert entry["response"]["events"][-1]["text"] == "data: [DONE]\n\n"
    assert "choices" in entry["response"]["events"][0]["data"]  # stored as JSON, readable

    async with (
        open_cassette(path, mode="none") as cassette,
        cassette.client(base_url=NOWHERE) as client,
    ):
        replayed = await _stream_chunks(client)
        assert cassette.unused == []
    assert replayed == recorded
    assert b"SECRET" not in path.read_bytes()


async def _record_paced_stream(server: LocalServer, path: Path, pace: float) -> None:
    events = [
        {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
         "choices": [{"index": 0, "delta": {"content": f"t{i}"}, "finish_reason": None}]}
        for i in range(10)
    ]  # fmt: skip
    server.script("POST", "/v1/chat/completions", Reply.sse(events, pace=pace))
    async with (
        open_cassette(path, mode="all") as cassette,
        cassette.client(base_url=server.base_url, api_key="sk-x") as client,
        await client.chat.completions.create(model="m", messages=MESSAGES, stream=True) as stream,
    ):
        async for _ in stream:
            pass


async def _replay_arrivals(path: Path, limits: trio_openai.Timeout) -> list[float]:
    arrivals: list[float] = []
    async with (
        open_cassette(path, mode="none") as cassette,
        cassette.client(base_url=NOWHERE, timeout=limits, max_retries=0) as client,
    ):
        start = trio.current_time()
        async with await client.chat.completions.create(
            model="m", messages=MESSAGES, stream=True
        ) as stream:
            try:
                async for _ in stream:
                    arrivals.append(trio.current_time() - start)
            finally:
                arrivals.append(trio.current_time() - start)  # when the stream ended or failed
    return arrivals


async def test_a_30_second_stream_replays_in_virtual_time(
    autojump_clock: trio.testing.MockClock, local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "slow.json"
    await _record_paced_stream(local_server, path, pace=3.0)
    wall = time.monotonic()
    arrivals = await _replay_arrivals(path, trio_openai.Timeout(idle=5))
    assert time.monotonic() - wall < 1.0  # 30 virtual seconds, no real waiting
    assert arrivals[:10] == pytest.approx([3.0 * i for i in range(10)], abs=1e-6)
    assert arrivals[-1] == pytest.approx(30.0, abs=1e-6)  # the [DONE] after one more gap


async def test_an_idle_timeout_fires_at_the_recorded_gap(
    autojump_clock: trio.testing.MockClock, local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "gappy.json"
    await _record_paced_stream(local_server, path, pace=6.0)
    with pytest.raises(trio_openai.APITimeoutError, match="between events"):
        await _replay_arrivals(path, trio_openai.Timeout(idle=5))
    arrivals = await _replay_arrivals(path, trio_openai.Timeout(idle=7))
    assert arrivals[-1] == pytest.approx(60.0, abs=1e-6)


async def test_the_idle_timeout_fires_five_virtual_seconds_into_the_gap(
    autojump_clock: trio.testing.MockClock, local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "gappy.json"
    await _record_paced_stream(local_server, path, pace=6.0)
    async with (
        open_cassette(path, mode="none") as cassette,
        cassette.client(
            base_url=NOWHERE, timeout=trio_openai.Timeout(idle=5), max_retries=0
        ) as client,
    ):
        start = trio.current_time()
        seen: list[float] = []
        with pytest.raises(trio_openai.APITimeoutError):
            async with await client.chat.completions.create(
                model="m", messages=MESSAGES, stream=True
            ) as stream:
                async for _ in stream:
                    seen.append(trio.current_time() - start)
        assert seen == [pytest.approx(0.0, abs=1e-6)]
        assert trio.current_time() - start == pytest.approx(5.0, abs=1e-6)


async def _record_echoes(server: LocalServer, path: Path, words: list[str]) -> None:
    async with (
        open_cassette(path, mode="all") as cassette,
        cassette.client(base_url=server.base_url, api_key="sk-x") as client,
    ):
        for word in words:
            await client.chat.completions.create(model="m", messages=said(word))


async def test_a_mismatched_request_fails_with_the_closest_recording_and_the_diff(
    local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "echo.json"
    await _record_echoes(local_server, path, ["apple", "banana"])
    with pytest.raises(CassetteMismatchError) as caught:
        async with (
            open_cassette(path, mode="none") as cassette,
            cassette.client(base_url=NOWHERE) as client,
        ):
            await client.chat.completions.create(model="m", messages=said("bananas"))
    message = str(caught.value)
    assert "matches POST /v1/chat/completions" in message
    assert "Closest recorded request: #1 POST /v1/chat/completions" in message
    assert "body.messages[0].content: recorded 'banana', sent 'bananas'" in message


async def test_a_swallowed_mismatch_still_fails_when_the_cassette_closes(
    local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "echo.json"
    await _record_echoes(local_server, path, ["apple"])
    with pytest.raises(CassetteMismatchError, match="path: recorded /v1/chat/completions"):
        async with (
            open_cassette(path, mode="none") as cassette,
            cassette.client(base_url=NOWHERE) as client,
        ):
            with contextlib.suppress(CassetteMismatchError):  # code that swallows errors
                await client.models.list().first_page()


async def test_ignored_fields_are_left_out_of_matching(
    local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "echo.json"
    await _record_echoes(local_server, path, ["apple"])
    async with open_cassette(path, mode="none", ignore_fields=["content"]) as cassette:
        client = cassette.client(base_url=NOWHERE)
        reply = await client.chat.completions.create(model="m", messages=said("pear"))
    assert reply.choices[0].message.content == "You said: apple"


async def test_concurrent_requests_match_whatever_their_arrival_order(
    local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "echo.json"
    words = ["one", "two", "three", "four"]
    await _record_echoes(local_server, path, words)
    answers: dict[str, str | None] = {}
    async with (
        open_cassette(path, mode="none") as cassette,
        cassette.client(base_url=NOWHERE) as client,
    ):

        async def ask(word: str, delay: float) -> None:
            await trio.sleep(delay)
            reply = await client.chat.completions.create(model="m", messages=said(word))
            answers[word] = reply.choices[0].message.content

        async with trio.open_nursery() as nursery:
            for index, word in enumerate(reversed(words)):
                nursery.start_soon(ask, word, index * 0.001)
    assert answers == {word: f"You said: {word}" for word in words}


async def test_no_credential_reaches_the_cassette(
    local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "secrets.json"
    local_server.script(
        "POST",
        "/v1/chat/completions",
        Reply.json(
            {"id": "c", "object": "chat.completion", "created": 0, "model": "m",
             "choices": [], "user": "SECRET-user-echo"},
            headers={"set-cookie": "session=SECRET-cookie", "openai-organization": "SECRET-org"},
        ),
    )  # fmt: skip
    redacted = ["openai-organization", "openai-project"]
    async with (
        open_cassette(
            path, mode="all", redact_fields=["user"], redact_headers=redacted
        ) as cassette,
        trio_openai.OpenAI(
            base_url=local_server.base_url,
            api_key="sk-SECRET-key",
            organization="SECRET-org",
            project="SECRET-project",
            middleware=[cassette],
        ) as client,
    ):
        await client.chat.completions.create(
            model="m",
            messages=MESSAGES,
            user="SECRET-user",
            extra_headers={"api-key": "SECRET-azure", "cookie": "a=SECRET-cookie"},
            extra_query={"api-key": "SECRET-query"},
        )
    written = path.read_bytes()
    assert local_server.requests[0].headers["authorization"] == "Bearer sk-SECRET-key"
    assert b"SECRET" not in written
    assert written.count(b"REDACTED") >= 8
    # The redacted recording still matches the request it came from.
    async with (
        open_cassette(
            path, mode="none", redact_fields=["user"], redact_headers=redacted
        ) as cassette,
        cassette.client(base_url=NOWHERE, api_key="sk-other") as client,
    ):
        await client.chat.completions.create(
            model="m", messages=MESSAGES, user="someone-else", extra_query={"api-key": "another"}
        )


async def test_binary_bodies_replay_byte_for_byte(
    local_server: LocalServer, tmp_path: Path
) -> None:
    audio = bytes(range(256)) * 4
    local_server.script("POST", "/v1/audio/speech", Reply.text(audio, content_type="audio/mpeg"))
    path = tmp_path / "speech.json"

    async def speak(client: trio_openai.OpenAI) -> bytes:
        content = await client.audio.speech.create(model="tts-1", voice="alloy", input="Hi")
        return content.read()

    async with (
        open_cassette(path, mode="all") as cassette,
        cassette.client(base_url=local_server.base_url, api_key="sk-x") as client,
    ):
        assert await speak(client) == audio
    assert b'"base64"' in path.read_bytes()
    async with (
        open_cassette(path, mode="none") as cassette,
        cassette.client(base_url=NOWHERE) as client,
    ):
        assert await speak(client) == audio


async def test_new_episodes_replays_what_it_has_and_records_the_rest(
    local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "echo.json"
    await _record_echoes(local_server, path, ["apple"])
    local_server.reset()
    async with (
        open_cassette(path, mode="new_episodes") as cassette,
        cassette.client(base_url=local_server.base_url, api_key="sk-x") as client,
    ):
        for word in ["apple", "cherry"]:
            await client.chat.completions.create(model="m", messages=said(word))
    assert [r.json()["messages"][0]["content"] for r in local_server.requests] == ["cherry"]
    stored = orjson.loads(path.read_bytes())["exchanges"]
    assert [e["request"]["json"]["messages"][0]["content"] for e in stored] == ["apple", "cherry"]


async def test_replay_mode_without_a_cassette_says_how_to_record(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="--cassette-mode=new_episodes"):
        async with open_cassette(tmp_path / "missing.json", mode="none"):
            pass


async def test_a_cassette_server_replays_over_a_socket_to_a_client_built_elsewhere(
    autojump_clock: trio.testing.MockClock, local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "slow.json"
    await _record_paced_stream(local_server, path, pace=3.0)
    arrivals: list[float] = []
    # The code under test makes its own client (no middleware), e.g. from OPENAI_BASE_URL.
    async with (
        open_cassette(path, mode="none") as cassette,
        open_cassette_server(cassette) as server,
        trio_openai.OpenAI(
            base_url=server.base_url, api_key="sk-x", timeout=trio_openai.Timeout(idle=5)
        ) as client,
    ):
        start = trio.current_time()
        async with await client.chat.completions.create(
            model="m", messages=MESSAGES, stream=True
        ) as stream:
            async for _ in stream:
                arrivals.append(trio.current_time() - start)
    assert arrivals == pytest.approx([3.0 * i for i in range(10)], abs=1e-6)
    assert server.requests == 1


async def test_a_cassette_server_answers_a_mismatch_with_the_diff(
    local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "echo.json"
    await _record_echoes(local_server, path, ["apple"])
    with pytest.raises(CassetteMismatchError):
        async with (
            open_cassette(path, mode="none") as cassette,
            open_cassette_server(cassette) as server,
            trio_openai.OpenAI(base_url=server.base_url, api_key="sk-x") as client,
        ):
            with pytest.raises(trio_openai.BadRequestError, match="recorded 'apple', sent 'pie'"):
                await client.chat.completions.create(model="m", messages=said("pie"))


async def test_a_cassette_server_records_from_its_upstream(
    local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "proxied.json"
    async with (
        open_cassette(path, mode="new_episodes") as cassette,
        open_cassette_server(cassette, upstream=local_server.base_url) as server,
        trio_openai.OpenAI(base_url=server.base_url, api_key="sk-SECRET") as client,
    ):
        first = await client.chat.completions.create(model="m", messages=said("plum"))
    assert first.choices[0].message.content == "You said: plum"
    assert len(local_server.requests) == 1
    assert b"SECRET" not in path.read_bytes()
    async with (
        open_cassette(path, mode="none") as cassette,
        open_cassette_server(cassette) as server,
        trio_openai.OpenAI(base_url=server.base_url, api_key="sk-x") as client,
    ):
        again = await client.chat.completions.create(model="m", messages=said("plum"))
    assert again.choices[0].message.content == "You said: plum"
    assert len(local_server.requests) == 1


async def test_a_multipart_upload_matches_despite_its_random_boundary(
    local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "upload.json"

    async def upload(client: trio_openai.OpenAI, data: bytes) -> str:
        uploaded = await client.files.create(file=("notes.txt", data), purpose="assistants")
        return uploaded.id

    async with (
        open_cassette(path, mode="all") as cassette,
        cassette.client(base_url=local_server.base_url, api_key="sk-x") as client,
    ):
        recorded_id = await upload(client, b"hello cassette")
    assert b"BOUNDARY" in path.read_bytes()
    async with (
        open_cassette(path, mode="none") as cassette,
        cassette.client(base_url=NOWHERE) as client,
    ):
        assert await upload(client, b"hello cassette") == recorded_id
        with pytest.raises(CassetteMismatchError, match="body: recorded"):
            await upload(client, b"other bytes")
        cassette.mismatches.clear()  # expected here; not a failure of the block


async def test_a_gzip_body_is_stored_decoded_and_replays(
    local_server: LocalServer, tmp_path: Path
) -> None:
    model = {"id": "m-1", "object": "model", "created": 0, "owned_by": "me"}
    local_server.script(
        "GET",
        "/v1/models/m-1",
        Reply.text(
            gzip.compress(orjson.dumps(model)),
            content_type="application/json",
            headers={"content-encoding": "gzip"},
        ),
    )
    path = tmp_path / "gzip.json"
    async with (
        open_cassette(path, mode="all") as cassette,
        cassette.client(base_url=local_server.base_url, api_key="sk-x") as client,
    ):
        assert (await client.models.retrieve("m-1")).owned_by == "me"
    stored = orjson.loads(path.read_bytes())["exchanges"][0]["response"]
    assert stored["json"] == model
    assert "content-encoding" not in stored["headers"]
    async with (
        open_cassette(path, mode="none") as cassette,
        cassette.client(base_url=NOWHERE) as client,
    ):
        assert (await client.models.retrieve("m-1")).owned_by == "me"


async def test_a_first_event_timeout_sees_the_recorded_wait_for_headers(
    autojump_clock: trio.testing.MockClock, local_server: LocalServer, tmp_path: Path
) -> None:
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
             "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]}  # fmt: skip

    async def busy_server(_: RecordedRequest) -> Reply:
        await trio.sleep(8.0)  # a queue before the model starts
        return Reply.sse([chunk])

    local_server.script("POST", "/v1/chat/completions", Reply.handler(busy_server))
    path = tmp_path / "queued.json"
    await _record_paced_stream_from(local_server, path)
    with pytest.raises(trio_openai.APITimeoutError):
        await _replay_arrivals(path, trio_openai.Timeout(first_event=5))
    arrivals = await _replay_arrivals(path, trio_openai.Timeout(first_event=9))
    assert arrivals[0] == pytest.approx(8.0, abs=1e-6)


async def _record_paced_stream_from(server: LocalServer, path: Path) -> None:
    async with (
        open_cassette(path, mode="all") as cassette,
        cassette.client(base_url=server.base_url, api_key="sk-x") as client,
        await client.chat.completions.create(model="m", messages=MESSAGES, stream=True) as stream,
    ):
        async for _ in stream:
            pass


async def test_a_stream_left_early_is_recorded_up_to_where_it_was_read(
    autojump_clock: trio.testing.MockClock, local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "partial.json"
    events = [{"n": i} for i in range(10)]
    local_server.script("POST", "/v1/chat/completions", Reply.sse(events, pace=1.0))

    async def read_three(client: trio_openai.OpenAI) -> None:
        with trio.move_on_after(2.5):  # cancelled while waiting for the fourth event
            async with await client.chat.completions.create(
                model="m", messages=MESSAGES, stream=True
            ) as stream:
                async for _ in stream:
                    pass

    async with (
        open_cassette(path, mode="all") as cassette,
        cassette.client(base_url=local_server.base_url, api_key="sk-x") as client,
    ):
        await read_three(client)
    stored = orjson.loads(path.read_bytes())["exchanges"][0]["response"]["events"]
    assert [e["data"] for e in stored] == [{"n": 0}, {"n": 1}, {"n": 2}]
    async with (
        open_cassette(path, mode="none") as cassette,
        cassette.client(base_url=NOWHERE) as client,
    ):
        await read_three(client)  # replays the same and is cancelled the same way
