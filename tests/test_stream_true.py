"""openai-python's ``create(..., stream=True)`` on every operation whose reply can stream.

``async with await client.x.create(..., stream=True) as stream: async for event in stream``
runs unchanged: the awaited call returns a `Stream` whose request is sent when its block
opens, and the connection is released when the block ends.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

import trio_openai
from trio_openai.testing import LocalServer, Reply

DELTA = {
    "type": "response.output_text.delta",
    "item_id": "msg_1",
    "output_index": 0,
    "content_index": 0,
    "delta": "Hi",
    "sequence_number": 1,
    "logprobs": [],
}
CHUNK = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []}
COMPLETION = {"id": "cmpl", "object": "text_completion", "created": 1, "model": "m", "choices": []}
RUN = {
    "id": "run_1",
    "object": "thread.run",
    "created_at": 1,
    "thread_id": "thread_1",
    "assistant_id": "asst_1",
    "status": "queued",
    "model": "m",
    "instructions": "",
    "tools": [],
}
IMAGE_EVENT = {"type": "image_generation.completed", "b64_json": "AAA=", "created_at": 1}
EDIT_EVENT = {"type": "image_edit.completed", "b64_json": "AAA=", "created_at": 1}


def assistant_events(*names: str) -> Reply:
    """Assistants' wire form: the type on the `event:` line, the object as data."""
    raw = [b"event: %s\ndata: %s\n\n" % (name.encode(), orjson.dumps(RUN)) for name in names]
    return Reply.sse([*raw, b"event: done\ndata: [DONE]\n\n"], done=False)


async def collect(stream: trio_openai.Stream[Any]) -> list[Any]:
    async with stream as opened:
        return [event async for event in opened]


async def test_responses_create_and_retrieve(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/responses", Reply.sse([DELTA, DELTA]))
    async with await client.responses.create(model="m", input="hi", stream=True) as stream:
        deltas = [
            event.delta async for event in stream if event.type == "response.output_text.delta"
        ]
    assert deltas == ["Hi", "Hi"]
    sent = local_server.requests[-1]
    assert sent.json() == {"stream": True, "model": "m", "input": "hi"}
    assert sent.headers["accept"] == "text/event-stream"
    assert client.statistics()["busy"] == 0

    local_server.script("GET", "/v1/responses/resp_1", Reply.sse([DELTA]))
    stream = await client.responses.retrieve("resp_1", stream=True, starting_after=3)
    assert [e.type for e in await collect(stream)] == ["response.output_text.delta"]
    assert local_server.requests[-1].query == {"stream": ["true"], "starting_after": ["3"]}


async def test_stream_false_and_omitted_give_the_plain_result(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/completions", Reply.json(COMPLETION), Reply.json(COMPLETION))
    assert (await client.completions.create(model="m", prompt="x")).id == "cmpl"
    assert "stream" not in local_server.requests[-1].json()
    assert (await client.completions.create(model="m", prompt="x", stream=False)).id == "cmpl"
    assert local_server.requests[-1].json()["stream"] is False


async def test_chat_and_legacy_completions(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.sse([CHUNK, CHUNK]))
    stream = await client.chat.completions.create(model="m", messages=[], stream=True)
    assert [c.id for c in await collect(stream)] == ["c", "c"]
    local_server.script("POST", "/v1/completions", Reply.sse([COMPLETION]))
    stream = await client.completions.create(model="m", prompt="x", stream=True)
    assert [c.object for c in await collect(stream)] == ["text_completion"]
    assert local_server.requests[-1].json()["stream"] is True
    assert client.statistics()["busy"] == 0


async def test_assistants_runs(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    names = ("thread.run.created", "thread.run.queued")
    runs = client.beta.threads.runs
    local_server.script("POST", "/v1/threads/thread_1/runs", assistant_events(*names))
    stream = await runs.create("thread_1", assistant_id="asst_1", stream=True)
    events = await collect(stream)
    assert [(e.event, e.data.id) for e in events] == [(n, "run_1") for n in names]
    local_server.script(
        "POST",
        "/v1/threads/thread_1/runs/run_1/submit_tool_outputs",
        assistant_events("thread.run.completed"),
    )
    stream = await runs.submit_tool_outputs(
        "run_1", thread_id="thread_1", tool_outputs=[], stream=True
    )
    assert [e.event for e in await collect(stream)] == ["thread.run.completed"]
    local_server.script("POST", "/v1/threads/runs", assistant_events("thread.run.created"))
    stream = await client.beta.threads.create_and_run(assistant_id="asst_1", stream=True)
    assert [e.data.status for e in await collect(stream)] == ["queued"]
    assert local_server.requests[-1].json() == {"stream": True, "assistant_id": "asst_1"}


async def test_images_generate_and_edit(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/images/generations", Reply.sse([IMAGE_EVENT]))
    stream = await client.images.generate(prompt="a cat", stream=True)
    assert [e.type for e in await collect(stream)] == ["image_generation.completed"]
    local_server.script("POST", "/v1/images/edits", Reply.sse([EDIT_EVENT]))
    stream = await client.images.edit(image=b"png", prompt="a hat", stream=True)
    assert [e.type for e in await collect(stream)] == ["image_edit.completed"]
    body = local_server.requests[-1].body
    assert b'name="stream"\r\n\r\ntrue' in body


async def test_audio_transcriptions_and_speech(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    delta = {"type": "transcript.text.delta", "delta": "he"}
    local_server.script("POST", "/v1/audio/transcriptions", Reply.sse([delta]))
    stream = await client.audio.transcriptions.create(file=b"wav", model="m", stream=True)
    assert [e.delta for e in await collect(stream)] == ["he"]
    speech = {"type": "speech.audio.delta", "audio": "AAA="}
    local_server.script("POST", "/v1/audio/speech", Reply.sse([speech]))
    stream = await client.audio.speech.create(
        model="m", input="hi", voice="alloy", stream_format="sse"
    )
    assert [e.type for e in await collect(stream)] == ["speech.audio.delta"]
    assert local_server.requests[-1].json()["stream_format"] == "sse"
    local_server.script("POST", "/v1/audio/speech", Reply.text(b"ID3", content_type="audio/mpeg"))
    speech = await client.audio.speech.create(model="m", input="hi", voice="alloy")
    assert speech.read() == b"ID3"  # a BinaryResponseContent since the models merge


async def test_nothing_is_sent_before_the_block_and_iterating_outside_it_shows_the_line(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    stream = await client.responses.create(model="m", input="hi", stream=True)
    assert local_server.requests == []
    with pytest.raises(RuntimeError) as info:
        async for _ in stream:
            pass
    assert "async with await client.responses.create(..., stream=True) as stream:" in str(
        info.value
    )
    assert local_server.requests == []
