"""The Responses snapshot (pure): events in, the Response so far out, text joined lazily."""

from __future__ import annotations

from typing import Any

from hypothesis import given, strategies as st

from trio_openai.lib._responses_snapshot import Snapshot

# Two messages of two text parts each, then a function call: where deltas can go.
TEXT_TARGETS = [(0, 0), (0, 1), (1, 0), (1, 1)]


def setup_events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {"id": "r", "status": "in_progress"}},
    ]
    for item in (0, 1):
        events.append(
            {
                "type": "response.output_item.added",
                "output_index": item,
                "item": {"id": f"m{item}", "type": "message", "content": []},
            }
        )
        for part in (0, 1):
            events.append(
                {
                    "type": "response.content_part.added",
                    "output_index": item,
                    "content_index": part,
                    "part": {"type": "output_text", "text": ""},
                }
            )
    events.append(
        {
            "type": "response.output_item.added",
            "output_index": 2,
            "item": {"id": "fc", "type": "function_call", "arguments": ""},
        }
    )
    return events


@given(
    st.lists(
        st.tuples(st.integers(0, len(TEXT_TARGETS)), st.text(max_size=4), st.booleans()),
        max_size=60,
    )
)
def test_interleaved_deltas_join_into_their_fields_whenever_read(
    deltas: list[tuple[int, str, bool]],
) -> None:
    snapshot = Snapshot()
    for event in setup_events():
        snapshot.apply(event)
    texts = {target: "" for target in TEXT_TARGETS}
    arguments = ""
    for target, piece, read in deltas:
        if target == len(TEXT_TARGETS):
            event = {"type": "response.function_call_arguments.delta", "output_index": 2}
            arguments += piece
        else:
            item, part = TEXT_TARGETS[target]
            event = {
                "type": "response.output_text.delta",
                "output_index": item,
                "content_index": part,
                "item_id": f"m{item}",
            }
            texts[item, part] += piece
        snapshot.apply({**event, "delta": piece})
        if read:
            response = snapshot.response
            assert response is not None
            got = {(i, p): response["output"][i]["content"][p]["text"] for i, p in TEXT_TARGETS}
            assert (got, response["output"][2]["arguments"]) == (texts, arguments)
    response = snapshot.response
    assert response is not None
    assert [part["text"] for item in response["output"][:2] for part in item["content"]] == [
        texts[target] for target in TEXT_TARGETS
    ]
    assert response["output"][2]["arguments"] == arguments


def test_a_done_event_after_deltas_keeps_the_servers_text() -> None:
    snapshot = Snapshot()
    for event in setup_events():
        snapshot.apply(event)
    at = {"output_index": 0, "content_index": 0}
    for piece in ("Hel", "lo"):
        snapshot.apply({"type": "response.output_text.delta", **at, "delta": piece})
    snapshot.apply({"type": "response.output_text.done", **at, "text": "Hello!"})
    snapshot.apply({"type": "response.output_text.delta", **at, "delta": "?"})
    response = snapshot.response
    assert response is not None
    assert response["output"][0]["content"][0]["text"] == "Hello!?"


def test_deltas_before_the_response_are_ignored() -> None:
    snapshot = Snapshot()
    snapshot.apply({"type": "response.output_text.delta", "delta": "x"})
    assert snapshot.response is None
