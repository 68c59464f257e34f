"""Strict JSON schemas from Python types, JSON back to those types, and Structured Outputs
over real sockets (the local server) and against llama-server."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import uuid
from typing import Annotated, Any, Literal, NotRequired, Optional, TypedDict

import attrs
import pytest
import trio

import trio_openai
from trio_openai.lib._convert import convert
from trio_openai.lib._schema import ShapeError, to_strict_json_schema
from trio_openai.lib._structured import (
    ParsedChatCompletion,
    ParsedResponse,
    StructuredOutputError,
    chat_response_format,
    format_name,
    parse_chat,
    parse_chat_completion,
    parse_response,
    parse_responses,
    response_text_format,
)
from trio_openai.lib._tools import function_tool
from trio_openai.testing import LocalServer, Reply
from trio_openai.types import ChatCompletionResponseMessage, CreateChatCompletionResponse, Response

# --- types under test (module level, so their annotations resolve) ------------------------


class Priority(enum.Enum):
    """How urgent it is."""

    LOW = "low"
    HIGH = "high"


class Level(enum.IntEnum):
    ONE = 1
    TWO = 2


@attrs.frozen
class Person:
    """Someone taking part."""

    name: str
    email: str | None


@attrs.frozen
class CalendarEvent:
    name: Annotated[str, "what the event is called"]
    date: str
    participants: list[Person]
    priority: Priority
    kind: Literal["meeting", "call"]
    host: Annotated[Person, "who invites"]
    # typing.Optional on purpose: both spellings of an optional value must work
    notes: Optional[str] = attrs.field(default=None, metadata={"description": "free text"})  # noqa: UP045


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0


class Extra(TypedDict):
    note: str
    score: NotRequired[int]


@attrs.frozen
class Everything:
    flag: bool
    count: int
    ratio: float
    point: Point
    extra: Extra
    tags: tuple[str, ...]
    unique: set[int]
    level: Level
    maybe: Literal["a", None]
    either: Point | Person
    when: datetime.datetime
    day: datetime.date
    ident: uuid.UUID


@attrs.frozen
class Node:
    value: int
    children: list[Node]
    parent: Node | None


@attrs.frozen
class Answer:
    city: str
    confident: bool


@attrs.define
class Positive:
    value: int = attrs.field()

    @value.validator
    def _check(self, attribute: Any, value: int) -> None:
        if value <= 0:
            raise ValueError("must be positive")


# --- schemas -------------------------------------------------------------------------------


def _objects(schema: Any) -> list[dict[str, Any]]:
    """Every object schema inside `schema`."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            found.append(schema)
        for value in schema.values():
            found += _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _objects(value)
    return found


def _refs_have_no_siblings(schema: Any) -> bool:
    if isinstance(schema, dict):
        if "$ref" in schema and len(schema) > 1:
            return False
        return all(_refs_have_no_siblings(v) for v in schema.values())
    if isinstance(schema, list):
        return all(_refs_have_no_siblings(v) for v in schema)
    return True


def test_nested_attrs_schema_is_strict_with_defs() -> None:
    schema = to_strict_json_schema(CalendarEvent)
    assert schema["type"] == "object"
    assert schema["required"] == [
        "name",
        "date",
        "participants",
        "priority",
        "kind",
        "host",
        "notes",
    ]  # a field with a default is still required: strict mode has no optional keys
    props = schema["properties"]
    assert props["name"] == {"type": "string", "description": "what the event is called"}
    assert props["participants"] == {"type": "array", "items": {"$ref": "#/$defs/Person"}}
    assert props["priority"] == {
        "type": "string",
        "enum": ["low", "high"],
        "description": "How urgent it is.",
    }
    assert props["kind"] == {"type": "string", "enum": ["meeting", "call"]}
    assert props["notes"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "description": "free text",
    }
    # a described class-typed field is inlined: the API refuses $ref with siblings
    assert props["host"]["description"] == "who invites"
    assert props["host"]["properties"] == schema["$defs"]["Person"]["properties"]
    assert schema["$defs"]["Person"] == {
        "type": "object",
        "description": "Someone taking part.",
        "properties": {
            "name": {"type": "string"},
            "email": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["name", "email"],
        "additionalProperties": False,
    }
    for obj in _objects(schema):
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])
    assert _refs_have_no_siblings(schema)


def test_many_types() -> None:
    schema = to_strict_json_schema(Everything)
    props = schema["properties"]
    assert props["flag"] == {"type": "boolean"}
    assert props["count"] == {"type": "integer"}
    assert props["ratio"] == {"type": "number"}
    assert props["point"] == {"$ref": "#/$defs/Point"}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["unique"] == {"type": "array", "items": {"type": "integer"}}
    assert props["level"] == {"type": "integer", "enum": [1, 2]}
    assert props["maybe"] == {"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "null"}]}
    assert props["either"] == {"anyOf": [{"$ref": "#/$defs/Point"}, {"$ref": "#/$defs/Person"}]}
    assert props["when"] == {"type": "string", "format": "date-time"}
    assert props["day"] == {"type": "string", "format": "date"}
    assert props["ident"] == {"type": "string", "format": "uuid"}
    # the dataclass's generated "Point(x: float, y: float = 0.0)" doc is not a description
    assert "description" not in schema["$defs"]["Point"]
    assert schema["$defs"]["Point"]["required"] == ["x", "y"]
    assert schema["$defs"]["Extra"]["required"] == ["note", "score"]


def test_recursive_type_refers_to_the_root() -> None:
    schema = to_strict_json_schema(Node)
    assert schema["properties"]["children"] == {"type": "array", "items": {"$ref": "#"}}
    assert schema["properties"]["parent"] == {"anyOf": [{"$ref": "#"}, {"type": "null"}]}
    assert "$defs" not in schema


def test_same_class_name_twice_gets_two_defs() -> None:
    first = attrs.make_class("Item", {"a": attrs.field(type=int)})
    second = attrs.make_class("Item", {"b": attrs.field(type=str)})
    outer = attrs.make_class(
        "Outer", {"one": attrs.field(type=first), "two": attrs.field(type=second)}
    )
    schema = to_strict_json_schema(outer)
    assert schema["properties"] == {
        "one": {"$ref": "#/$defs/Item"},
        "two": {"$ref": "#/$defs/Item_2"},
    }
    assert list(schema["$defs"]["Item_2"]["properties"]) == ["b"]


def test_schemas_are_fresh_copies() -> None:
    to_strict_json_schema(Person)["properties"].clear()
    assert "name" in to_strict_json_schema(Person)["properties"]


@attrs.frozen
class WithDict:
    data: dict[str, int]


@attrs.frozen
class WithNestedDict:
    rows: list[dict[str, int]]


@attrs.frozen
class WithAny:
    value: Any


@attrs.frozen
class WithPair:
    pair: tuple[int, str]


@attrs.frozen
class WithBareList:
    items: list  # type: ignore[type-arg]


@attrs.frozen
class WithObject:
    thing: object


@pytest.mark.parametrize(
    ("tp", "message"),
    [
        (WithDict, "dict has no strict JSON schema"),
        (WithNestedDict, "dict has no strict JSON schema"),
        (dict[str, str], "dict has no strict JSON schema"),
        (WithAny, "Any has no strict JSON schema"),
        (WithObject, "object has no strict JSON schema"),
        (WithPair, "fixed-length tuples"),
        (WithBareList, "needs an item type"),
        (complex, "has no strict JSON schema"),
        (bytes, "has no strict JSON schema"),
    ],
)
def test_unsupported_types_raise_type_error(tp: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        to_strict_json_schema(tp)


def test_format_helpers() -> None:
    assert format_name(CalendarEvent) == "calendar_event"
    assert format_name(attrs.make_class("HTTPResponse2", {})) == "http_response2"
    fmt = response_text_format(Answer)
    assert fmt == {
        "type": "json_schema",
        "name": "answer",
        "schema": to_strict_json_schema(Answer),
        "strict": True,
    }
    assert chat_response_format(Answer) == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": fmt["schema"], "strict": True},
    }
    with pytest.raises(TypeError, match="object at the top"):
        response_text_format(list[Answer])


# --- JSON back to Python ---------------------------------------------------------------------


def test_convert_builds_nested_instances() -> None:
    data = {
        "name": "Standup",
        "date": "2026-01-05",
        "participants": [{"name": "Ann", "email": None}],
        "priority": "high",
        "kind": "call",
        "host": {"name": "Bo", "email": "bo@example.com"},
        "notes": None,
    }
    event = convert(CalendarEvent, data)
    assert event == CalendarEvent(
        name="Standup",
        date="2026-01-05",
        participants=[Person("Ann", None)],
        priority=Priority.HIGH,
        kind="call",
        host=Person("Bo", "bo@example.com"),
        notes=None,
    )


def test_convert_many_types() -> None:
    data = {
        "flag": True,
        "count": 3,
        "ratio": 2,  # an integer is a fine number
        "point": {"x": 1.5, "y": 2},
        "extra": {"note": "n"},
        "tags": ["a", "b"],
        "unique": [1, 2, 2],
        "level": 2,
        "maybe": None,
        "either": {"name": "Ann", "email": None},
        "when": "2026-01-05T10:00:00Z",
        "day": "2026-01-05",
        "ident": "12345678-1234-5678-1234-567812345678",
    }
    value = convert(Everything, data)
    assert value.ratio == 2.0 and isinstance(value.ratio, float)
    assert value.point == Point(1.5, 2.0)
    assert value.extra == {"note": "n"}
    assert value.tags == ("a", "b")
    assert value.unique == {1, 2}
    assert value.level is Level.TWO
    assert value.either == Person("Ann", None)
    assert value.when == datetime.datetime(2026, 1, 5, 10, tzinfo=datetime.UTC)
    assert value.day == datetime.date(2026, 1, 5)
    assert value.ident == uuid.UUID("12345678-1234-5678-1234-567812345678")


def test_convert_recursive() -> None:
    tree = convert(
        Node,
        {"value": 1, "children": [{"value": 2, "children": [], "parent": None}], "parent": None},
    )
    assert tree.children[0] == Node(2, [], None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"city": "Paris"}, r"\$: missing key 'confident'"),
        ({"city": "Paris", "confident": True, "x": 1}, r"unexpected key\(s\) 'x'"),
        ({"city": 3, "confident": True}, r"\$\.city: expected string, got 3"),
        ({"city": "Paris", "confident": 1}, r"\$\.confident: expected boolean, got 1"),
        (["Paris", True], r"\$: expected an object"),
    ],
)
def test_convert_refuses_wrong_shapes(data: Any, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        convert(Answer, data)


def test_convert_paths_and_scalars() -> None:
    with pytest.raises(ShapeError, match=r"\$\.participants\[1\]\.name: expected string"):
        convert(
            CalendarEvent,
            {
                "name": "x",
                "date": "d",
                "participants": [{"name": "a", "email": None}, {"name": None, "email": None}],
                "priority": "low",
                "kind": "call",
                "host": {"name": "h", "email": None},
                "notes": None,
            },
        )
    with pytest.raises(ShapeError, match="expected integer, got True"):
        convert(int, True)
    with pytest.raises(ShapeError, match=r"expected one of \['low', 'high'\]"):
        convert(Priority, "urgent")
    with pytest.raises(ShapeError, match="expected one of"):
        convert(Literal["a", "b"], "c")
    with pytest.raises(ShapeError, match="matches no member"):
        convert(Point | Person, {"z": 1})
    with pytest.raises(ShapeError, match="must be positive"):
        convert(Positive, {"value": -1})


# --- Structured Outputs over the local server ----------------------------------------------


def response_json(output: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "status": "completed",
        "model": "test",
        "output": output,
        **fields,
    }


def message(*parts: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": list(parts),
    }


def text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": []}


async def test_parse_responses_sends_a_strict_format_and_builds_the_type(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    answer = '{"city": "Paris", "confident": true}'
    local_server.script(
        "POST", "/v1/responses", Reply.json(response_json([message(text_part(answer))]))
    )
    parsed = await parse_responses(
        client,
        model="gpt-test",
        input="Capital of France?",
        text={"verbosity": "low"},
        text_format=Answer,
        extra_headers={"X-Trace": "1"},
        max_output_tokens=trio_openai.omit,
    )
    assert isinstance(parsed, ParsedResponse)
    assert parsed.output_parsed == Answer(city="Paris", confident=True)
    assert parsed.refusal is None
    assert parsed.output_text == answer
    assert isinstance(parsed.response, Response)
    assert parsed.id == "resp_1"  # other attributes come from the response
    sent = local_server.requests[-1]
    assert sent.headers["x-trace"] == "1"
    body = sent.json()
    assert body == {
        "model": "gpt-test",
        "input": "Capital of France?",
        "text": {"verbosity": "low", "format": response_text_format(Answer)},
    }
    assert body["text"]["format"]["name"] == "answer"
    assert body["text"]["format"]["strict"] is True


async def test_parse_responses_surfaces_a_refusal(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    refusal = {"type": "refusal", "refusal": "I can't help with that."}
    local_server.script("POST", "/v1/responses", Reply.json(response_json([message(refusal)])))
    parsed = await parse_responses(client, model="m", input="x", text_format=Answer)
    assert parsed.output_parsed is None
    assert parsed.refusal == "I can't help with that."


async def test_parse_responses_invalid_json_is_a_typed_error(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST",
        "/v1/responses",
        Reply.json(
            response_json(
                [message(text_part('{"city": "Par'))],
                status="incomplete",
                incomplete_details={"reason": "max_output_tokens"},
            )
        ),
    )
    with pytest.raises(StructuredOutputError, match=r"not valid JSON.*max_output_tokens") as info:
        await parse_responses(client, model="m", input="x", text_format=Answer)
    assert isinstance(info.value, trio_openai.OpenAIError)
    assert info.value.raw == '{"city": "Par'
    assert isinstance(info.value.response, Response)


async def test_parse_responses_shape_mismatch_is_a_typed_error(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    text = '{"city": "Paris", "confident": "yes"}'
    local_server.script(
        "POST", "/v1/responses", Reply.json(response_json([message(text_part(text))]))
    )
    with pytest.raises(
        StructuredOutputError, match=r"does not match Answer.*\$\.confident"
    ) as info:
        await parse_responses(client, model="m", input="x", text_format=Answer)
    assert info.value.raw == text


async def test_parse_responses_without_text_output(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    call = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
    local_server.script("POST", "/v1/responses", Reply.json(response_json([call])))

    @function_tool
    def f() -> str:
        """Does nothing."""
        return ""

    parsed = await parse_responses(client, model="m", input="x", text_format=Answer, tools=[f])
    assert parsed.output_parsed is None and parsed.refusal is None
    assert local_server.requests[-1].json()["tools"] == [f.to_responses_tool()]


async def test_parse_responses_refuses_conflicting_formats(client: trio_openai.OpenAI) -> None:
    with pytest.raises(TypeError, match="not both"):
        await parse_responses(
            client, model="m", input="x", text={"format": {"type": "text"}}, text_format=Answer
        )


async def test_parse_responses_against_the_echo_route_reports_non_json(
    client: trio_openai.OpenAI,
) -> None:
    # the local server's echo model answers "You said: ...": not JSON
    with pytest.raises(StructuredOutputError) as info:
        await parse_responses(client, model="echo-1", input="hello", text_format=Answer)
    assert info.value.raw == "You said: hello"


def test_parse_response_without_a_request() -> None:
    response = Response.from_dict(
        response_json([message(text_part('{"city": "X", "confident": false}'))])
    )
    assert parse_response(response, Answer).output_parsed == Answer("X", False)


def test_parse_results_are_the_models_they_extend_and_dump_what_was_sent() -> None:
    sent = response_json([message(text_part('{"city": "X", "confident": false}'))])
    sent["unlisted"] = 1  # an extra survives too
    parsed = parse_response(Response.from_dict(sent), Answer)
    assert isinstance(parsed, Response)
    assert parsed.to_dict() == Response.from_dict(sent).to_dict() == sent
    assert parsed.extra == {"unlisted": 1}
    assert "output_parsed" in repr(parsed)

    reply = chat_json(
        {"role": "assistant", "content": '{"city": "Y", "confident": true}', "refusal": None}
    )
    completion = parse_chat_completion(CreateChatCompletionResponse.from_dict(reply), Answer)
    assert isinstance(completion, CreateChatCompletionResponse)
    assert isinstance(completion.choices[0].message, ChatCompletionResponseMessage)
    assert completion.choices[0].message.parsed == Answer("Y", True)
    assert completion.to_dict() == reply  # no `parsed` key in the messages


def chat_json(*messages: dict[str, Any], finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "test",
        "choices": [
            {"index": i, "message": m, "finish_reason": finish_reason, "logprobs": None}
            for i, m in enumerate(messages)
        ],
    }


async def test_parse_chat_parses_each_choice(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST",
        "/v1/chat/completions",
        Reply.json(
            chat_json(
                {
                    "role": "assistant",
                    "content": '{"city": "Rome", "confident": true}',
                    "refusal": None,
                },
                {"role": "assistant", "content": None, "refusal": "No."},
            )
        ),
    )
    completion = await parse_chat(
        client,
        model="m",
        messages=[{"role": "user", "content": "Capital of Italy?"}],
        n=2,
        response_format=Answer,
    )
    assert isinstance(completion, ParsedChatCompletion)
    first, second = completion.choices
    assert first.message.parsed == Answer("Rome", True)
    assert first.message.refusal is None
    assert first.message.role == "assistant"  # from the generated message
    assert second.message.parsed is None
    assert second.message.refusal == "No."
    assert completion.output_parsed == Answer("Rome", True)
    assert completion.id == "chatcmpl-1"
    body = local_server.requests[-1].json()
    assert body["response_format"] == chat_response_format(Answer)
    assert body["n"] == 2


async def test_parse_chat_invalid_json_names_the_finish_reason(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST",
        "/v1/chat/completions",
        Reply.json(
            chat_json(
                {"role": "assistant", "content": '{"city', "refusal": None}, finish_reason="length"
            )
        ),
    )
    with pytest.raises(StructuredOutputError, match="length") as info:
        await parse_chat(client, model="m", messages=[], response_format=Answer)
    assert info.value.raw == '{"city'


# --- pydantic (optional dependency; installed for the tests) -----------------------------------


async def test_pydantic_models(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    import pydantic

    class Address(pydantic.BaseModel):
        street: str
        unit: str | None = None

    class Customer(pydantic.BaseModel):
        """A customer."""

        name: str = pydantic.Field(description="full name")
        address: Address = pydantic.Field(description="where to ship")
        tier: Literal["gold", "silver"] = "silver"

    schema = to_strict_json_schema(Customer)
    assert schema["description"] == "A customer."
    assert schema["required"] == ["name", "address", "tier"]
    assert schema["properties"]["address"]["description"] == "where to ship"
    assert _refs_have_no_siblings(schema)
    for obj in _objects(schema):
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])
    assert "default" not in str(schema)

    # (a class body here would hold string annotations naming locals: make_class instead)
    order = attrs.make_class("Order", {"customer": attrs.field(type=Customer)})
    order_schema = to_strict_json_schema(order)
    assert order_schema["properties"]["customer"] == {"$ref": "#/$defs/Customer"}
    assert set(order_schema["$defs"]) == {"Customer", "Address"}

    text = '{"name": "Ann", "address": {"street": "Main", "unit": null}, "tier": "gold"}'
    local_server.script(
        "POST", "/v1/responses", Reply.json(response_json([message(text_part(text))]))
    )
    parsed = await parse_responses(client, model="m", input="x", text_format=Customer)
    assert parsed.output_parsed == Customer(name="Ann", address=Address(street="Main"), tier="gold")

    bad = '{"name": "Ann", "address": {"street": 1, "unit": null}, "tier": "gold"}'
    local_server.script(
        "POST", "/v1/responses", Reply.json(response_json([message(text_part(bad))]))
    )
    with pytest.raises(StructuredOutputError, match="street"):
        await parse_responses(client, model="m", input="x", text_format=Customer)

    class Loose(pydantic.BaseModel):
        data: dict[str, int]

    with pytest.raises(TypeError, match="free-form keys"):
        to_strict_json_schema(Loose)


# --- a real model: llama-server --------------------------------------------------------------


async def test_llama_parse_chat_builds_the_attrs_class(llama_url: str) -> None:
    # A 135M model: assert the types, never the content.
    async with trio_openai.OpenAI(api_key="none", base_url=llama_url) as client:
        with trio.fail_after(120):
            completion = await parse_chat(
                client,
                model="smollm2-135m",
                messages=[
                    {"role": "user", "content": "What is the capital of France? Answer in JSON."}
                ],
                max_tokens=60,
                temperature=0,
                response_format=Answer,
            )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, Answer)
    assert isinstance(parsed.city, str)
    assert isinstance(parsed.confident, bool)


def test_typeddict_helpers_round_trip() -> None:
    assert convert(Extra, {"note": "a", "score": 2}) == {"note": "a", "score": 2}
    with pytest.raises(ShapeError, match="missing key 'note'"):
        convert(Extra, {"score": 2})
