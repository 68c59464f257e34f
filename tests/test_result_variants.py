"""Union results decoded as the variant the request asked for.

``audio.transcriptions.create(response_format="verbose_json")`` answers the verbose
variant; its fields overlap the diarized one's, so only the request can tell them apart.
Every operation whose variants the generator ties to a request parameter is covered, each
value over a socket against the local server: the JSON ones with a body carrying the fields
of every variant (the hardest case for a decoder by structure), the text ones (``text``,
``srt``, ``vtt``) as the str openai-python returns.
"""

from __future__ import annotations

from typing import Any, assert_type

import pytest
from test_generated_steady import OPS, call_arguments, resource_of

import trio_openai
from codegen.operations import OpDef
from trio_openai import types
from trio_openai.resources.audio import Audio
from trio_openai.testing import LocalServer, Reply

VARIANT_OPS = [op for op in OPS if op.variants is not None]
CASES = [
    (op, value)
    for op in VARIANT_OPS
    for value in [*(op.variants.by_value if op.variants else ()), None]  # None: omitted
]
# fields of every variant of both unions at once
AMBIGUOUS: dict[str, Any] = {
    "text": "Hello there.",
    "task": "transcribe",
    "language": "english",
    "duration": 1.5,
    "segments": [],
    "words": [],
}
SUBTITLES = "1\n00:00:00,000 --> 00:00:01,500\nHello there.\n"


def test_the_tied_unions_are_the_audio_ones() -> None:
    assert {op.operation_id for op in VARIANT_OPS} == {"createTranscription", "createTranslation"}


def _call(op: OpDef, value: str | None) -> tuple[list[Any], dict[str, Any]]:
    assert op.variants is not None
    args, kwargs = call_arguments(op)
    kwargs.pop(op.variants.param, None)
    if value is not None:
        kwargs[op.variants.param] = value
    return args, kwargs


@pytest.mark.parametrize(
    ("op", "value"), CASES, ids=[f"{op.operation_id}-{value}" for op, value in CASES]
)
async def test_the_request_picks_the_variant(
    op: OpDef, value: str | None, client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    assert op.variants is not None
    chosen = op.variants.by_value[value if value is not None else op.variants.default or ""]
    path = "/v1" + op.url
    if chosen is None:
        local_server.script("POST", path, Reply.text(SUBTITLES))
    else:
        local_server.script("POST", path, Reply.json(AMBIGUOUS))
    args, kwargs = _call(op, value)
    result = await getattr(resource_of(client, op), op.name)(*args, **kwargs)
    if chosen is None:
        assert result == SUBTITLES
    else:
        assert type(result) is getattr(types, chosen)
        assert result.text == "Hello there."
    request = local_server.requests[-1]
    assert request.headers["accept"] == "application/json"  # as openai-python, any format


async def test_verbose_json_has_words_and_segments(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    word = {"word": "Hello", "start": 0.0, "end": 0.5}
    segment = {
        "id": 0,
        "seek": 0,
        "start": 0.0,
        "end": 1.5,
        "text": "Hello there.",
        "tokens": [1, 2],
        "temperature": 0.0,
        "avg_logprob": -0.1,
        "compression_ratio": 1.0,
        "no_speech_prob": 0.0,
    }
    body = {**AMBIGUOUS, "words": [word], "segments": [segment]}
    local_server.script("POST", "/v1/audio/transcriptions", Reply.json(body))
    audio: Audio = client.audio  # typed through the resource (the overloads by format)
    result = await audio.transcriptions.create(
        file=b"RIFF", model="whisper-1", response_format="verbose_json"
    )
    assert_type(result, types.CreateTranscriptionResponseVerboseJson)
    assert result.words and result.words[0].word == "Hello"
    assert result.segments and result.segments[0].avg_logprob == -0.1
    local_server.script("POST", "/v1/audio/translations", Reply.text(SUBTITLES))
    text = await audio.translations.create(file=b"RIFF", model="whisper-1", response_format="srt")
    assert_type(text, str)
    assert text == SUBTITLES


async def test_a_diarized_transcription_is_the_diarized_variant(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    segment = {
        "type": "transcript.text.segment",
        "id": "seg_1",
        "start": 0.0,
        "end": 1.5,
        "text": "Hello there.",
        "speaker": "A",
    }
    body = {**AMBIGUOUS, "segments": [segment]}
    local_server.script("POST", "/v1/audio/transcriptions", Reply.json(body))
    audio: Audio = client.audio
    result = await audio.transcriptions.create(
        file=b"RIFF", model="gpt-4o-transcribe-diarize", response_format="diarized_json"
    )
    assert_type(result, types.CreateTranscriptionResponseDiarizedJson)
    assert result.segments[0].speaker == "A"
