"""Background Responses streams survive cuts and stalls, and leaving one cancels it on the server.

Over real sockets to the local server's background routes (`server.background`): a stream
cut (RST) or silent at event k resumes with ``GET /responses/{id}?stream=true&starting_after``
and the user iterates exactly the events of an uncut stream, for every k.
"""

from __future__ import annotations

from typing import Any, Final, Literal, cast

import pytest
import trio

import trio_openai
from trio_openai import StreamInterruptedError, StreamStalledError, Timeout
from trio_openai.lib._responses_stream import ResponseStreamManager
from trio_openai.testing import LocalServer, Reply
from trio_openai.types import CreateChatCompletionResponse, Response

TEXT: Final = "one two three four five"
BODY: Final = {"model": "echo-1", "input": TEXT, "background": True}
EVENTS: Final = 15  # in the echo model's stream of TEXT


async def uncut_events(client: trio_openai.OpenAI) -> list[dict[str, Any]]:
    """The events of an uncut background stream, ids removed (they differ per response)."""
    async with ResponseStreamManager(client, BODY) as stream:
        events = [event.to_dict() async for event in stream]
    return [_without_ids(e) for e in events]


def _without_ids(event: dict[str, Any]) -> dict[str, Any]:
    response: object = event.get("response")
    if isinstance(response, dict):
        fields = cast("dict[str, object]", response)
        event = {**event, "response": {k: v for k, v in fields.items() if k != "id"}}
    return event


async def test_background_route_streams_after_starting_after(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    reference = await uncut_events(client)
    response_id = next(iter(local_server.background.events))
    async with await client.responses.retrieve(
        response_id, stream=True, starting_after=5
    ) as stream:
        numbers = [event.sequence_number async for event in stream]
    assert numbers == list(range(6, len(reference)))


@pytest.mark.parametrize("cut", range(1, EVENTS))
@pytest.mark.parametrize("fault", ["reset", "stall"])
async def test_cut_or_stalled_at_any_event_yields_the_uncut_sequence(
    local_server: LocalServer, fault: Literal["reset", "stall"], cut: int
) -> None:
    async with trio_openai.OpenAI(
        api_key="sk-test",
        base_url=local_server.base_url,
        timeout=Timeout(request=5, idle=0.2),
    ) as client:
        local_server.background.faults.append((fault, cut))
        async with ResponseStreamManager(client, BODY) as stream:
            got = [event.to_dict() async for event in stream]
            final = await stream.get_final_response()
    assert stream.response_id is not None
    uncut = local_server.background.events[stream.response_id]
    assert len(uncut) == EVENTS
    assert got == uncut
    assert stream.resumes == 1
    assert final.output_text == "You said: " + TEXT
    (resume,) = [r for r in local_server.requests if r.method == "GET"]
    assert resume.query["starting_after"] == [str(cut - 1)]
    assert local_server.background.cancels == []


async def test_cut_before_the_first_event_cannot_resume(local_server: LocalServer) -> None:
    async with trio_openai.OpenAI(api_key="sk-test", base_url=local_server.base_url) as client:
        local_server.background.faults.append(("reset", 0))
        with pytest.raises(StreamInterruptedError) as info:
            async with ResponseStreamManager(client, BODY) as stream:
                async for _ in stream:
                    pass
    assert (info.value.partial, info.value.events_received) == (None, 0)
    assert [r.method for r in local_server.requests] == ["POST"]  # never re-sent


async def test_repeated_cuts_resume_until_the_bound(local_server: LocalServer) -> None:
    async with trio_openai.OpenAI(api_key="sk-test", base_url=local_server.base_url) as client:
        reference = await uncut_events(client)
        # Each connection delivers two events, then breaks: 3 resumes are not enough.
        local_server.background.faults.extend([("reset", 2) for _ in range(10)])
        with pytest.raises(StreamInterruptedError) as info:
            async with ResponseStreamManager(client, BODY, max_resumes=3) as stream:
                async for _ in stream:
                    pass
        error = info.value
        assert isinstance(error, trio_openai.APIConnectionError)
        assert error.resumes == 3
        assert error.events_received == 8
        partial = error.partial
        assert isinstance(partial, Response)
        assert partial.status == "in_progress"
        assert len(reference) > 8


async def test_not_resumable_stream_carries_the_partial_response(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    async with client.stream(
        "POST", "/responses", body={"model": "echo-1", "input": TEXT, "stream": True}
    ) as plain:
        events = [e async for e in plain]
    local_server.script(
        "POST", "/v1/responses", Reply.sse(events, done=False, event_names=True, reset_after=7)
    )  # not background: GET /responses/{id} is a 404, so no resume
    with pytest.raises(StreamInterruptedError) as info:
        async with ResponseStreamManager(client, {"model": "echo-1", "input": TEXT}) as stream:
            async for _ in stream:
                pass
    error = info.value
    assert error.events_received == 7
    partial = error.partial
    assert isinstance(partial, Response)
    deltas = [
        str(cast("dict[str, object]", e)["delta"])
        for e in events[:7]
        if cast("dict[str, object]", e)["type"] == "response.output_text.delta"
    ]
    assert deltas
    assert partial.output_text == "".join(deltas)


async def test_stall_without_resume_is_a_timeout_with_the_partial(
    local_server: LocalServer,
) -> None:
    async with trio_openai.OpenAI(
        api_key="sk-test", base_url=local_server.base_url, timeout=Timeout(idle=0.1)
    ) as client:
        local_server.background.faults.append(("stall", 3))
        with pytest.raises(StreamStalledError) as info:
            async with ResponseStreamManager(client, BODY, resume=False) as stream:
                async for _ in stream:
                    pass
    assert isinstance(info.value, trio_openai.APITimeoutError)
    assert info.value.events_received == 3
    assert info.value.partial is not None


# -- cancellation that reaches the server -------------------------------------------------------


async def test_break_sends_one_cancel(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.background.pace = 0.05
    async with ResponseStreamManager(client, BODY) as stream:
        async for event in stream:
            if event.type == "response.output_text.delta":
                break
    assert local_server.background.cancels == [stream.response_id]


async def test_cancelled_block_sends_one_cancel_within_its_bound(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.background.pace = 0.05
    with trio.move_on_after(0.3) as scope:
        async with ResponseStreamManager(client, BODY) as stream:
            async for _ in stream:
                pass
    assert scope.cancelled_caught
    assert local_server.background.cancels == list(local_server.background.events)
    cancels = [r for r in local_server.requests if r.path.endswith("/cancel")]
    assert len(cancels) == 1


async def test_slow_cancel_never_delays_the_caller_past_the_bound(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.background.pace = 0.05
    local_server.background.cancel_delay = 10.0
    start = trio.current_time()
    with trio.move_on_after(0.2):
        async with ResponseStreamManager(client, BODY, cancel_timeout=0.3) as stream:
            async for _ in stream:
                pass
    elapsed = trio.current_time() - start
    assert 0.45 <= elapsed < 1.5
    assert local_server.background.events  # the stream was opened
    assert local_server.background.cancels == []  # the server never finished it


async def test_completed_or_opted_out_streams_send_no_cancel(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    async with ResponseStreamManager(client, BODY) as stream:
        await stream.until_done()
    async with ResponseStreamManager(client, BODY, cancel_on_exit=False) as stream:
        await stream.__anext__()
    async with ResponseStreamManager(client, BODY) as stream:
        await stream.__anext__()
        stream.cancel_on_exit = False
    async with ResponseStreamManager(client, {"model": "echo-1", "input": "x"}) as stream:
        await stream.__anext__()  # not background: closing the connection stops it
    assert local_server.background.cancels == []
    assert not any(r.path.endswith("/cancel") for r in local_server.requests)


async def test_failed_cancel_is_logged_not_raised(
    client: trio_openai.OpenAI, local_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with ResponseStreamManager(client, BODY) as stream:
        await stream.__anext__()
        local_server.script("POST", f"/v1/responses/{stream.response_id}/cancel", Reply.error(400))
    assert "Cancelling background response" in caplog.text


async def test_cut_chat_stream_carries_the_partial_completion(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    messages: list[Any] = [{"role": "user", "content": TEXT}]
    async with client.stream(
        "POST",
        "/chat/completions",
        body={"model": "echo-1", "messages": messages, "stream": True},
    ) as plain:
        chunks = [c async for c in plain]
    assert len(chunks) > 4
    local_server.script("POST", "/v1/chat/completions", Reply.sse(chunks, reset_after=4))
    with pytest.raises(StreamInterruptedError) as info:
        async with client.chat.completions.stream(model="echo-1", messages=messages) as stream:
            async for _ in stream:
                pass
    error = info.value
    assert error.events_received == 4
    partial = error.partial
    assert isinstance(partial, CreateChatCompletionResponse)
    pieces = [
        str(cast("dict[str, Any]", c)["choices"][0]["delta"].get("content") or "")
        for c in chunks[:4]
    ]
    assert partial.choices[0].message.content == "".join(pieces)
