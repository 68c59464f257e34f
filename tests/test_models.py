"""Behaviour of the generated models on the real spec: decoding, unions, round trips."""

# pyright: reportPrivateUsage=false
# (these tests look at the generated protocol: _KEYS, _SET, decoder tables)

from __future__ import annotations

import pickle
import subprocess
import sys
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given, strategies as st

from trio_openai._errors import APIResponseValidationError
from trio_openai._models import BaseModel, UnknownVariant
from trio_openai._types import omit
from trio_openai.types import (
    CreateModerationResponseResultCategories,
    InputMessage,
    OutputMessage,
    Response,
    ResponseCompletedEvent,
    ResponseOutputItemAddedEvent,
    ResponseTextDeltaEvent,
    decode_item,
    decode_response_stream_event,
    decoder_for,
    response_events as events_module,
)

DELTA: dict[str, Any] = {
    "type": "response.output_text.delta",
    "item_id": "msg_1",
    "output_index": 0,
    "content_index": 0,
    "delta": "In",
    "sequence_number": 1,
    "logprobs": [],
}


def copy(data: Any) -> Any:
    return orjson.loads(orjson.dumps(data))


# --- plain models ----------------------------------------------------------------------


def test_decode_and_round_trip() -> None:
    event = ResponseTextDeltaEvent.from_dict(DELTA)
    assert event.delta == "In"
    assert event.sequence_number == 1
    assert event.extra == {}
    assert event.to_dict() == DELTA
    assert orjson.loads(event.to_json()) == DELTA


def test_absent_is_omit_and_null_is_none() -> None:
    event = ResponseTextDeltaEvent.from_dict({"type": "response.output_text.delta", "delta": None})
    assert event.delta is None
    assert event.item_id is omit
    assert event.to_dict() == {"type": "response.output_text.delta", "delta": None}


def test_missing_required_fields_decode_as_absent() -> None:
    # llama-server's Responses events leave out sequence_number, output_index, content_index
    sent: dict[str, Any] = {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "x"}
    event = decode_response_stream_event(copy(sent))
    assert isinstance(event, ResponseTextDeltaEvent)
    assert event.sequence_number is omit
    assert event.output_index is omit
    assert event.to_dict() == sent


def test_extra_fields_round_trip_in_order() -> None:
    sent: dict[str, Any] = {**DELTA, "obfuscation": "abc", "nested": {"a": [1, {"b": None}]}}
    event = ResponseTextDeltaEvent.from_dict(copy(sent))
    assert event.extra == {"obfuscation": "abc", "nested": {"a": [1, {"b": None}]}}
    assert event.to_dict() == sent
    assert list(event.to_dict()) == list(sent)


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param({**DELTA, "obfuscation": "aB3"}, id="obfuscation only"),
        pytest.param({"obfuscation": None, **DELTA}, id="obfuscation first, null"),
        pytest.param({**DELTA, "obfuscation": "aB3", "z": 1}, id="obfuscation and another"),
        pytest.param({"z": [1], **DELTA, "obfuscation": ""}, id="another first"),
        pytest.param({"type": "response.output_text.delta", "obfuscation": "x"}, id="sparse"),
    ],
)
def test_stream_delta_extras_keep_what_was_sent(sent: dict[str, Any]) -> None:
    # Delta events take `obfuscation` (OpenAI's undeclared padding key) by a shortcut;
    # with other undeclared keys the general path: both must give back the same object.
    event = decode_response_stream_event(copy(sent))
    assert isinstance(event, ResponseTextDeltaEvent)
    declared = ResponseTextDeltaEvent._KEYS
    assert event.extra == {k: v for k, v in sent.items() if k not in declared}
    assert list(event.extra) == [k for k in sent if k not in declared]
    assert event.to_dict() == sent
    assert event.delta == sent.get("delta", omit)


def test_scalar_type_mismatch_is_kept() -> None:
    sent: dict[str, Any] = {
        **DELTA,
        "sequence_number": "7",
        "output_index": 1.5,
        "type": "response.output_text.delta",
    }
    event = ResponseTextDeltaEvent.from_dict(copy(sent))
    assert event.sequence_number == "7"
    assert event.to_dict() == sent


def test_unknown_enum_value_is_kept() -> None:
    sent: dict[str, Any] = {
        "id": "resp_1",
        "object": "response",
        "status": "thinking_hard",
        "output": [],
    }
    response = Response.from_dict(copy(sent))
    assert response.status == "thinking_hard"
    assert response.to_dict() == sent


@pytest.mark.parametrize("bad", [[], "text", 3, 1.5, True])
def test_not_an_object_raises_validation_error(bad: Any) -> None:
    with pytest.raises(APIResponseValidationError, match="expected a JSON object"):
        ResponseTextDeltaEvent.from_dict(bad)


def test_nested_object_of_wrong_type_raises_validation_error() -> None:
    with pytest.raises(APIResponseValidationError):
        ResponseCompletedEvent.from_dict({"type": "response.completed", "response": "nope"})
    with pytest.raises(APIResponseValidationError, match="expected a JSON array"):
        Response.from_dict({"output": {"type": "message"}})


def test_null_is_accepted_for_any_field() -> None:
    event = ResponseCompletedEvent.from_dict({"type": "response.completed", "response": None})
    assert event.response is None
    assert event.to_dict() == {"type": "response.completed", "response": None}


def test_from_json() -> None:
    event = ResponseTextDeltaEvent.from_json(orjson.dumps(DELTA))
    assert event.delta == "In"
    with pytest.raises(APIResponseValidationError, match="invalid JSON"):
        ResponseTextDeltaEvent.from_json(b"{not json")


def test_renamed_keys_round_trip() -> None:
    sent: dict[str, Any] = {
        "hate": False,
        "self-harm": True,
        "self-harm/intent": False,
        "sexual/minors": False,
    }
    categories = CreateModerationResponseResultCategories.from_dict(copy(sent))
    assert categories.self_harm is True
    assert categories.self_harm_intent is False
    assert categories.to_dict() == sent


def test_models_are_frozen_slotted_attrs_classes() -> None:
    event = ResponseTextDeltaEvent.from_dict(DELTA)
    assert attrs.has(ResponseTextDeltaEvent)
    assert not hasattr(event, "__dict__")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.delta = "x"  # type: ignore[misc]
    changed = attrs.evolve(event, delta="Out")
    assert changed.delta == "Out"
    assert changed.to_dict() == {**DELTA, "delta": "Out"}


def test_constructor_equality_repr_and_pickle() -> None:
    built = ResponseTextDeltaEvent(
        type="response.output_text.delta",
        item_id="msg_1",
        output_index=0,
        content_index=0,
        delta="In",
        sequence_number=1,
        logprobs=[],
    )
    decoded = ResponseTextDeltaEvent.from_dict(DELTA)
    assert built == decoded
    assert built != attrs.evolve(decoded, delta="x")
    assert "delta='In'" in repr(built)
    assert "extra" not in repr(built)
    assert pickle.loads(pickle.dumps(decoded)) == decoded
    with pytest.raises(TypeError):
        hash(decoded)


def test_setters_follow_field_order() -> None:
    names = [a.name for a in attrs.fields(Response)]
    assert names[0] == "extra"
    assert len(Response._SET) == len(names)


# --- unions ----------------------------------------------------------------------------


def _stream_event_variants() -> list[tuple[str, str]]:
    decoder = events_module._U_RESPONSE_STREAM_EVENT
    return [(tags[0], name) for _module, name, tags in decoder._variants]


def test_response_stream_event_has_all_variants() -> None:
    variants = _stream_event_variants()
    assert len(variants) == 58
    assert len({tag for tag, _ in variants}) == 58


@pytest.mark.parametrize(("tag", "class_name"), _stream_event_variants())
def test_every_stream_event_type_maps_to_its_class(tag: str, class_name: str) -> None:
    event = decode_response_stream_event({"type": tag, "sequence_number": 3})
    assert type(event).__name__ == class_name
    assert event.to_dict() == {"type": tag, "sequence_number": 3}
    # the second time goes through the filled dispatch table
    assert type(decode_response_stream_event({"type": tag})).__name__ == class_name


def test_unknown_discriminator_value_keeps_the_data() -> None:
    sent: dict[str, Any] = {"type": "response.brand_new.delta", "delta": "x", "sequence_number": 9}
    event = decode_response_stream_event(copy(sent))
    assert isinstance(event, UnknownVariant)
    assert event.type == "response.brand_new.delta"
    assert event.delta == "x"
    assert event.to_dict() == sent
    with pytest.raises(AttributeError):
        _ = event.missing


def test_unhashable_discriminator_value_is_unknown() -> None:
    event = decode_response_stream_event({"type": ["not", "hashable"]})
    assert isinstance(event, UnknownVariant)


def test_union_of_objects_rejects_a_non_object() -> None:
    with pytest.raises(APIResponseValidationError):
        decode_response_stream_event("response.created")
    assert decode_response_stream_event(None) is None


def test_shared_discriminator_value_picks_by_structure() -> None:
    # Item has two variants with type "message" (openai-go #483/#514): the output message
    # is told apart by its required id and status.
    output: dict[str, Any] = {
        "type": "message",
        "id": "msg_1",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "hi", "annotations": []}],
    }
    decoded = decode_item(copy(output))
    assert isinstance(decoded, OutputMessage)
    assert decoded.to_dict() == output
    given_input = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "hi"}],
    }
    decoded = decode_item(copy(given_input))
    assert isinstance(decoded, InputMessage)
    assert decoded.to_dict() == given_input


def test_nested_unions_decode_inside_models() -> None:
    sent: dict[str, Any] = {
        "type": "response.output_item.added",
        "output_index": 0,
        "sequence_number": 2,
        "item": {
            "type": "message",
            "id": "m",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        },
    }
    event = decode_response_stream_event(copy(sent))
    assert isinstance(event, ResponseOutputItemAddedEvent)
    assert isinstance(event.item, OutputMessage)
    assert event.to_dict() == sent


def test_union_with_string_and_list_members() -> None:
    decode = decoder_for("EasyInputMessageContent")
    assert decode("hello") == "hello"
    parts = decode([{"type": "input_text", "text": "hi"}])
    assert type(parts[0]).__name__ == "InputTextContent"


def test_decoder_for() -> None:
    assert decoder_for("ResponseStreamEvent") is decode_response_stream_event
    assert decoder_for("Response") == Response.from_dict
    assert decoder_for("ReasoningEffort")("low") == "low"
    with pytest.raises(KeyError):
        decoder_for("NoSuchType")


# --- properties ------------------------------------------------------------------------

# Values JSON (and orjson) can carry: no surrogates, no NaN/inf, 64-bit integers.
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


@given(
    present=st.dictionaries(
        st.sampled_from(sorted(ResponseTextDeltaEvent._KEYS - {"logprobs"})), _json_scalars
    ),
    extra=st.dictionaries(
        _text.filter(lambda k: k not in ResponseTextDeltaEvent._KEYS), _json, max_size=4
    ),
)
def test_any_subset_of_fields_round_trips(present: dict[str, Any], extra: dict[str, Any]) -> None:
    sent: dict[str, Any] = {**present, **extra}
    assert ResponseTextDeltaEvent.from_dict(copy(sent)).to_dict() == sent


_stream_event_keys = st.sampled_from(
    ["type", "delta", "item", "response", "part", "logprobs", "sequence_number", "error"]
)


@given(
    st.sampled_from([tag for tag, _ in _stream_event_variants()]) | _text,
    st.dictionaries(_stream_event_keys | _text, _json, max_size=5),
)
def test_any_object_decodes_as_a_stream_event_without_crashing(
    tag: str, fields: dict[str, Any]
) -> None:
    sent: dict[str, Any] = {"type": tag, **fields}
    try:
        event = decode_response_stream_event(copy(sent))
    except APIResponseValidationError:
        return  # a nested value that must be an object was not one
    assert isinstance(event, BaseModel)
    assert event.to_dict() == sent


# --- import cost -----------------------------------------------------------------------


def test_importing_types_loads_no_generated_module() -> None:
    code = (
        "import sys, trio_openai.types as t\n"
        "loaded = [m for m in sys.modules if m.startswith('trio_openai.types.')]\n"
        "assert loaded == [], loaded\n"
        "from trio_openai.types import ResponseTextDeltaEvent\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('trio_openai.types.'))\n"
        "assert loaded == ['trio_openai.types.response_events'], loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_types_dir_lists_every_name_without_importing_them() -> None:
    import trio_openai.types as types

    names = dir(types)
    assert names == sorted(names)
    assert "decoder_for" in names
    assert set(types._INDEX) <= set(names)
    assert {"Response", "FileObject", "Batch"} <= set(names)  # generated and openai-python's


def test_enum_values_of_a_big_list_share_one_string_each() -> None:
    # A 10,000-file page held 30,000 copies of "file", "processed"...: orjson shares keys,
    # not values. Decoded enum values are the module's one instance; others stay as sent.
    from trio_openai.types.files import OpenAIFile

    def item(n: int, status: object) -> dict[str, Any]:
        return {"id": f"file-{n}", "object": "file", "bytes": n, "created_at": 0,
                "filename": "a.jsonl", "purpose": "batch", "status": status}  # fmt: skip

    body = orjson.dumps([item(1, "processed"), item(2, "processed"), item(3, "not_yet_known")])
    first, second, third = (OpenAIFile.from_dict(d) for d in orjson.loads(body))
    assert first.status == second.status == "processed"
    assert first.status is second.status and first.object is second.object
    assert first.purpose is second.purpose
    assert third.status == "not_yet_known"  # a value newer than the library is kept
    odd = OpenAIFile.from_dict(item(4, ["not", "a", "string"]))
    assert odd.status == ["not", "a", "string"] and odd.to_dict()["status"] == odd.status
