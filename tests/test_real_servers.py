"""The core against real peers: Steady (validates requests against the spec) and llama-server."""

from __future__ import annotations

from typing import Any

import pytest
import trio

import trio_openai


async def test_steady_accepts_our_json_request(steady_url: str) -> None:
    async with trio_openai.OpenAI(api_key="sk-test", base_url=steady_url) as client:
        raw = await client.with_raw_response.post(
            "/chat/completions",
            body={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        )
    assert raw.headers["x-steady-request-valid"] == "true"
    assert raw.parsed["object"] == "chat.completion"


async def test_steady_reports_an_invalid_request_as_bad_request(steady_url: str) -> None:
    async with trio_openai.OpenAI(api_key="sk-test", base_url=steady_url, max_retries=0) as client:
        with pytest.raises(trio_openai.BadRequestError) as info:
            await client.post("/chat/completions", body={"messages": "not a list"})
    assert info.value.status_code == 400


async def test_steady_query_brackets_and_list(steady_url: str) -> None:
    async with trio_openai.OpenAI(api_key="sk-test", base_url=steady_url) as client:
        raw = await client.with_raw_response.get("/files", query={"limit": 2, "order": "asc"})
        assert raw.headers["x-steady-request-valid"] == "true"
        page = await client._paginate("/files", query={"limit": 2}).first_page()
        assert isinstance(page.data, list)


async def test_steady_sse_ends_at_event_done(steady_url: str) -> None:
    async with trio_openai.OpenAI(api_key="sk-test", base_url=steady_url) as client:
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        async with client.stream("POST", "/chat/completions", body=body) as stream:
            events = [e async for e in stream]
        assert events and all(isinstance(e, dict) for e in events)
        assert client.statistics()["busy"] == 0


async def test_steady_multipart_upload(steady_url: str) -> None:
    async with trio_openai.OpenAI(api_key="sk-test", base_url=steady_url) as client:
        raw = await client.with_raw_response.post(
            "/files", files={"file": ("train.jsonl", b'{"a": 1}\n'), "purpose": "fine-tune"}
        )
    assert raw.headers["x-steady-request-valid"] == "true", raw.parsed


async def test_llama_streams_a_chat_completion(llama_url: str) -> None:
    async with trio_openai.OpenAI(api_key="none", base_url=llama_url) as client:
        body = {
            "model": "smollm2-135m",
            "messages": [{"role": "user", "content": "Say hello."}],
            "max_tokens": 16,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        chunks: list[dict[str, Any]] = []
        with trio.fail_after(60):
            async with client.stream("POST", "/chat/completions", body=body) as stream:
                chunks = [c async for c in stream]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text.strip()
    assert chunks[-1]["usage"]["completion_tokens"] > 0


async def test_llama_streams_responses_events(llama_url: str) -> None:
    async with trio_openai.OpenAI(api_key="none", base_url=llama_url) as client:
        body = {
            "model": "smollm2-135m",
            "input": "Say hello.",
            "max_output_tokens": 16,
            "stream": True,
        }
        with trio.fail_after(60):
            async with client.stream("POST", "/responses", body=body) as stream:
                types = [e["type"] async for e in stream]
    assert types[0] == "response.created"
    assert "response.output_text.delta" in types
    assert types[-1] == "response.completed"
