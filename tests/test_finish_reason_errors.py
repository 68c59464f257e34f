"""`chat.completions.parse` raises openai-python's finish-reason errors where it does.

A choice stopped by the token limit or the content filter is not parsed, even when its
cut content happens to decode: openai-python raises `LengthFinishReasonError` /
`ContentFilterFinishReasonError` there, so ported ``except`` clauses expect them. Here they
are also `StructuredOutputError`s, so code written for trio_openai keeps catching them.
Each case is answered by the local server to both clients: openai-python's sync client in
a worker thread, and trio_openai's.
"""

from __future__ import annotations

from typing import Any

import openai
import pydantic
import pytest
import trio

import trio_openai
from trio_openai.lib import StructuredOutputError
from trio_openai.testing import LocalServer, Reply


class City(pydantic.BaseModel):
    name: str
    country: str


VALID = '{"name": "Rome", "country": "Italy"}'
USAGE = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}


def completion_json(*choices: tuple[str | None, str]) -> dict[str, Any]:
    """A chat completion with one choice per (content, finish_reason)."""
    return {
        "id": "chatcmpl-finish",
        "object": "chat.completion",
        "created": 1,
        "model": "test",
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": finish,
                "logprobs": None,
            }
            for i, (content, finish) in enumerate(choices)
        ],
        "usage": USAGE,
    }


CASES: dict[str, tuple[tuple[str | None, str], ...]] = {
    "stop": ((VALID, "stop"),),
    "length, content that decodes": ((VALID, "length"),),
    "length, cut content": (('{"name": "Ro', "length"),),
    "content_filter, no content": ((None, "content_filter"),),
    "content_filter, content that decodes": ((VALID, "content_filter"),),
    "a later choice cut": ((VALID, "stop"), (VALID, "length")),
}


def openai_outcome(base_url: str) -> tuple[str, str | None]:
    """(what openai-python's parse did, the id of the error's completion)."""
    with openai.OpenAI(api_key="sk-test", base_url=base_url, max_retries=0) as client:
        try:
            completion = client.chat.completions.parse(
                model="m", messages=[{"role": "user", "content": "x"}], response_format=City
            )
        except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as exc:
            return type(exc).__name__, exc.completion.id if exc.completion else None
    return f"parsed {completion.choices[0].message.parsed!r}", None


@pytest.mark.parametrize("case", list(CASES))
async def test_parse_raises_where_openai_python_does(
    case: str, client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    reply = completion_json(*CASES[case])
    local_server.script("POST", "/v1/chat/completions", Reply.json(reply), Reply.json(reply))
    theirs = await trio.to_thread.run_sync(openai_outcome, local_server.base_url)
    error: trio_openai.LengthFinishReasonError | trio_openai.ContentFilterFinishReasonError | None
    error = None
    try:
        completion = await client.chat.completions.parse(
            model="m", messages=[{"role": "user", "content": "x"}], response_format=City
        )
    except (trio_openai.LengthFinishReasonError, trio_openai.ContentFilterFinishReasonError) as exc:
        error = exc
        ours = (type(exc).__name__, exc.completion.id if exc.completion else None)
    else:
        ours = (f"parsed {completion.choices[0].message.parsed!r}", None)
    assert ours == theirs
    if error is not None:  # the completion as the server sent it, also as `response`
        assert isinstance(error, StructuredOutputError)
        assert error.completion is not None and error.completion.to_dict() == reply
        assert error.response is error.completion


async def test_length_error_carries_the_cut_text_and_names_the_fix(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST",
        "/v1/chat/completions",
        Reply.json(completion_json(('{"name": "Ro', "length"))),
    )
    with pytest.raises(StructuredOutputError, match="max_completion_tokens") as info:
        await client.chat.completions.parse(model="m", messages=[], response_format=City)
    error = info.value
    assert isinstance(error, trio_openai.LengthFinishReasonError)
    assert error.raw == '{"name": "Ro'
    assert error.response is error.completion
    assert "7 completion tokens" in str(error)


def test_the_classes_are_openai_pythons_names_under_structured_output_error() -> None:
    assert issubclass(trio_openai.LengthFinishReasonError, StructuredOutputError)
    assert issubclass(trio_openai.ContentFilterFinishReasonError, trio_openai.OpenAIError)
    # constructed as openai-python constructs them: completion= only
    error = trio_openai.ContentFilterFinishReasonError()
    assert error.completion is None and error.raw == ""
def chunks_json(content: str, finish: str) -> list[dict[str, Any]]:
    """A streamed chat completion: the content in two deltas, then the finish reason."""
    base = {"id": "chatcmpl-finish", "object": "chat.completion.chunk", "created": 1}
    base["model"] = "test"

    def chunk(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return {**base, "choices": [choice]}

    half = len(content) // 2
    return [
        chunk({"role": "assistant", "content": content[:half]}, None),
        chunk({"content": content[half:]}, None),
        chunk({}, finish),
    ]


def openai_stream_outcome(base_url: str) -> str:
    """What openai-python's `chat.completions.stream(response_format=...)` did."""
    with openai.OpenAI(api_key="sk-test", base_url=base_url, max_retries=0) as client:
        try:
            with client.chat.completions.stream(
                model="m", messages=[{"role": "user", "content": "x"}], response_format=City
            ) as stream:
                for _ in stream:
                    pass
                final = stream.get_final_completion()
        except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as exc:
            return type(exc).__name__
    return f"parsed {final.choices[0].message.parsed!r}"


@pytest.mark.parametrize(
    ("content", "finish"),
    [(VALID, "stop"), (VALID, "length"), ('{"name": "Ro', "length"), (VALID, "content_filter")],
)
async def test_stream_raises_where_openai_python_does(
    content: str, finish: str, client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    events = chunks_json(content, finish)
    local_server.script("POST", "/v1/chat/completions", Reply.sse(events), Reply.sse(events))
    theirs = await trio.to_thread.run_sync(openai_stream_outcome, local_server.base_url)
    error: trio_openai.LengthFinishReasonError | trio_openai.ContentFilterFinishReasonError | None
    error = None
    try:
        async with client.chat.completions.stream(
            model="m", messages=[{"role": "user", "content": "x"}], response_format=City
        ) as stream:
            async for _ in stream:
                pass
            final = await stream.get_final_completion()
    except (trio_openai.LengthFinishReasonError, trio_openai.ContentFilterFinishReasonError) as exc:
        error = exc
        ours = type(exc).__name__
    else:
        ours = f"parsed {final.choices[0].message.parsed!r}"
    assert ours == theirs
    if error is not None:
        assert error.completion is not None
        assert error.completion.choices[0].finish_reason == finish
        assert error.completion.choices[0].message.content == content  # all that arrived


async def test_plain_stream_without_a_format_is_not_parsed_and_does_not_raise(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/chat/completions", Reply.sse(chunks_json("cut te", "length")))
    async with client.chat.completions.stream(model="m", messages=[]) as stream:
        final = await stream.get_final_completion()
    assert final.choices[0].finish_reason == "length"
    assert final.choices[0].message.content == "cut te"
