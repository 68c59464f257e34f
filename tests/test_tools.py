"""Function tools from typed functions, and the tool loops over real sockets (local server)."""

from __future__ import annotations

import dataclasses
import enum
from typing import Annotated, Any, Literal

import attrs
import orjson
import pytest
import trio

import trio_openai
from trio_openai.lib._structured import response_output_text
from trio_openai.lib._tools import (
    FunctionTool,
    MaxTurnsExceeded,
    ToolArgumentsError,
    ToolTurn,
    function_tool,
    run_tools_chat,
    run_tools_responses,
    tool_output_text,
)
from trio_openai.testing import LocalServer, RecordedRequest, Reply
from trio_openai.types import CreateChatCompletionResponse, Response


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


@attrs.frozen
class Location:
    city: str
    country: str | None


@attrs.frozen
class Weather:
    temperature: float
    unit: Unit


async def get_weather(location: Location, unit: Unit = Unit.C, days: int = 1) -> Weather:
    """Get the current weather.

    Uses a made-up service.

    Args:
        location: Where to look.
        unit: The temperature scale,
            celsius unless asked.
        days (int): How many days.

    Returns:
        The weather.
    """
    return Weather(21.5, unit)


def add(a: int, b: Annotated[int, "the second number"]) -> int:
    """Add two numbers.

    :param a: the first number
    """
    return a + b


# --- function_tool ------------------------------------------------------------------------------


def test_tool_from_an_async_function() -> None:
    tool = function_tool(get_weather)
    assert isinstance(tool, FunctionTool)
    assert tool.name == "get_weather"
    assert tool.description == "Get the current weather.\n\nUses a made-up service."
    params = tool.parameters
    assert params["type"] == "object"
    assert params["required"] == ["location", "unit", "days"]  # strict: all of them
    assert params["additionalProperties"] is False
    assert params["properties"]["location"]["description"] == "Where to look."
    assert params["properties"]["location"]["required"] == ["city", "country"]
    assert params["properties"]["unit"] == {
        "type": "string",
        "enum": ["celsius", "fahrenheit"],
        "description": "The temperature scale, celsius unless asked.",
    }
    assert params["properties"]["days"] == {"type": "integer", "description": "How many days."}
    assert tool.to_responses_tool() == {
        "type": "function",
        "name": "get_weather",
        "description": tool.description,
        "parameters": params,
        "strict": True,
    }
    assert tool.to_chat_tool() == {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": tool.description,
            "parameters": params,
            "strict": True,
        },
    }


def test_tool_from_a_sync_function_with_sphinx_and_annotated_docs() -> None:
    tool = function_tool(add)
    assert tool.description == "Add two numbers."
    assert tool.parameters["properties"] == {
        "a": {"type": "integer", "description": "the first number"},
        "b": {"type": "integer", "description": "the second number"},
    }
    assert tool(2, 3) == 5  # still callable as the function


def test_decorator_forms_and_overrides() -> None:
    @function_tool(name="lookup", description="Look it up.", strict=False)
    def find(query: str, limit: int = 10) -> list[str]:
        """Ignored docstring."""
        return [query] * limit

    assert find.name == "lookup"
    assert find.description == "Look it up."
    assert find.strict is False
    assert find.parameters["required"] == ["query"]  # not strict: defaults are optional
    assert find.to_responses_tool()["strict"] is False

    @function_tool
    def nothing() -> None:
        pass

    assert nothing.description is None
    assert "description" not in nothing.to_responses_tool()
    assert nothing.parameters == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


def test_bad_functions_are_refused() -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    def star(*args: int) -> None:
        pass

    def kwargs(**options: int) -> None:
        pass

    def with_dict(data: dict[str, int]) -> None:
        pass

    def positional(x: int, /) -> None:
        pass

    with pytest.raises(TypeError, match="no type annotation"):
        function_tool(untyped)
    with pytest.raises(TypeError, match=r"\*args"):
        function_tool(star)
    with pytest.raises(TypeError, match=r"\*\*kwargs"):
        function_tool(kwargs)
    with pytest.raises(TypeError, match="dict has no strict JSON schema"):
        function_tool(with_dict)
    with pytest.raises(TypeError, match="positional-only"):
        function_tool(positional)
    with pytest.raises(ValueError, match="tool name"):
        function_tool(add, name="has spaces")


async def test_call_parses_arguments_and_awaits() -> None:
    tool = function_tool(get_weather)
    result = await tool.call(
        '{"location": {"city": "Paris", "country": null}, "unit": "fahrenheit", "days": 2}'
    )
    assert result == Weather(21.5, Unit.F)
    assert await function_tool(add).call(b'{"a": 1, "b": 2}') == 3


async def test_call_uses_python_defaults_when_not_strict() -> None:
    @function_tool(strict=False)
    def scale(x: int, factor: int = 10) -> int:
        return x * factor

    assert await scale.call('{"x": 2}') == 20


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"a": 1}', "missing key 'b'"),
        ('{"a": 1, "b": 2, "c": 3}', r"unexpected key\(s\) 'c'"),
        ('{"a": "1", "b": 2}', r"arguments\.a: expected integer"),
    ],
)
async def test_bad_arguments_raise_a_typed_error(arguments: str, message: str) -> None:
    with pytest.raises(ToolArgumentsError, match=message) as info:
        await function_tool(add).call(arguments)
    assert isinstance(info.value, trio_openai.OpenAIError)
    assert info.value.raw == arguments


@dataclasses.dataclass
class Box:
    size: int


def test_tool_output_text() -> None:
    assert tool_output_text("plain") == "plain"
    assert orjson.loads(tool_output_text(Weather(1.0, Unit.C))) == {
        "temperature": 1.0,
        "unit": "celsius",
    }
    assert orjson.loads(tool_output_text([Box(1), {"k": (1, 2)}])) == [{"size": 1}, {"k": [1, 2]}]
    assert tool_output_text(None) == "null"
    assert tool_output_text(3) == "3"
    with pytest.raises(TypeError, match="no JSON form"):
        tool_output_text(object())


# --- the Responses loop ---------------------------------------------------------------------------


def response_json(rid: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": rid,
        "object": "response",
        "created_at": 1,
        "status": "completed",
        "model": "test",
        "output": output,
    }


def call_item(call_id: str, name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    args = arguments if isinstance(arguments, str) else orjson.dumps(arguments).decode()
    return {
        "type": "function_call",
        "id": f"fc_{call_id}",
        "call_id": call_id,
        "name": name,
        "arguments": args,
        "status": "completed",
    }


def final_message(text: str) -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": []}
    return {
        "type": "message",
        "id": "msg_9",
        "role": "assistant",
        "status": "completed",
        "content": [part],
    }


def two_turns(*calls: dict[str, Any]) -> Reply:
    """First request: `calls`; any later one: a final message."""

    def handle(request: RecordedRequest) -> Reply:
        given = request.json()["input"]
        if isinstance(given, list) and any(i.get("type") == "function_call_output" for i in given):
            return Reply.json(response_json("resp_2", [final_message("All done.")]))
        return Reply.json(response_json("resp_1", list(calls)))

    return Reply.handler(handle)


async def test_responses_loop_sends_outputs_back(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST",
        "/v1/responses",
        two_turns(
            call_item("c1", "add", {"a": 1, "b": 2}),
            call_item(
                "c2",
                "get_weather",
                {"location": {"city": "Oslo", "country": "NO"}, "unit": "celsius", "days": 1},
            ),
        ),
    )
    turns: list[ToolTurn] = []
    response = await run_tools_responses(
        client,
        model="m",
        input="Add and check the weather.",
        instructions="Be brief.",
        tools=[function_tool(add), function_tool(get_weather), {"type": "web_search"}],
        on_turn=turns.append,
    )
    assert isinstance(response, Response)
    assert response_output_text(response) == "All done."
    first, second = (r.json() for r in local_server.requests)
    assert [t.get("name", t["type"]) for t in first["tools"]] == [
        "add",
        "get_weather",
        "web_search",
    ]
    assert first["input"] == "Add and check the weather."
    assert "previous_response_id" not in first
    assert second["previous_response_id"] == "resp_1"
    assert second["instructions"] == "Be brief."  # not carried by previous_response_id
    assert second["tools"] == first["tools"]
    assert second["input"] == [
        {"type": "function_call_output", "call_id": "c1", "output": "3"},
        {
            "type": "function_call_output",
            "call_id": "c2",
            "output": '{"temperature":21.5,"unit":"celsius"}',
        },
    ]
    assert len(turns) == 1
    assert turns[0].turn == 1
    assert turns[0].response.id == "resp_1"
    assert [(r.call_id, r.name, r.output, r.error) for r in turns[0].results] == [
        ("c1", "add", "3", None),
        ("c2", "get_weather", '{"temperature":21.5,"unit":"celsius"}', None),
    ]


async def test_run_tools_returns_what_create_returns(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    """The same decoded `Response` as ``responses.create``: ``output_text`` included."""
    local_server.script(
        "POST", "/v1/responses", two_turns(call_item("c1", "add", {"a": 1, "b": 2}))
    )
    ran = await client.responses.run_tools(model="m", input="Add.", tools=[function_tool(add)])
    created = await client.responses.create(
        model="m", input=[{"type": "function_call_output", "call_id": "c1", "output": "3"}]
    )
    assert isinstance(ran, Response)
    assert ran.output_text == created.output_text == "All done."
    assert ran.to_dict() == created.to_dict()


async def test_tools_of_one_turn_run_concurrently(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    # Each tool waits for the other one's event: this finishes only if they run together.
    ping_seen, pong_seen = trio.Event(), trio.Event()

    @function_tool
    async def ping() -> str:
        ping_seen.set()
        await pong_seen.wait()
        return "ping"

    @function_tool
    async def pong() -> str:
        pong_seen.set()
        await ping_seen.wait()
        return "pong"

    local_server.script(
        "POST", "/v1/responses", two_turns(call_item("a", "ping", {}), call_item("b", "pong", {}))
    )
    with trio.fail_after(10):
        await run_tools_responses(client, model="m", input="x", tools=[ping, pong])
    outputs = [item["output"] for item in local_server.requests[-1].json()["input"]]
    assert outputs == ["ping", "pong"]  # in call order, whatever the finishing order


async def test_max_concurrency_bounds_the_calls_in_flight(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    in_flight = peak = 0

    @function_tool
    async def slow(n: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await trio.sleep(0.02)
        in_flight -= 1
        return n

    calls = [call_item(f"c{n}", "slow", {"n": n}) for n in range(6)]
    local_server.script("POST", "/v1/responses", two_turns(*calls))
    await run_tools_responses(client, model="m", input="x", tools=[slow], max_concurrency=2)
    assert peak == 2
    assert [i["output"] for i in local_server.requests[-1].json()["input"]] == [
        str(n) for n in range(6)
    ]


async def test_a_failing_tool_becomes_its_output(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    @function_tool
    def explode(reason: str) -> str:
        raise ValueError(reason)

    local_server.script(
        "POST",
        "/v1/responses",
        two_turns(
            call_item("c1", "explode", {"reason": "boom"}),
            call_item("c2", "missing", {}),
            call_item("c3", "add", '{"a": "x"}'),
            call_item("c4", "add", {"a": 1, "b": 1}),
        ),
    )
    turns: list[ToolTurn] = []

    async def record(turn: ToolTurn) -> None:  # an async callback works too
        turns.append(turn)

    await run_tools_responses(
        client, model="m", input="x", tools=[explode, function_tool(add)], on_turn=record
    )
    outputs = [item["output"] for item in local_server.requests[-1].json()["input"]]
    assert outputs[0] == "error: ValueError: boom"
    assert outputs[1] == "error: LookupError: no tool named 'missing'"
    assert outputs[2].startswith("error: ToolArgumentsError: bad arguments for add: arguments")
    assert outputs[3] == "2"
    errors = [r.error for r in turns[0].results]
    assert isinstance(errors[0], ValueError)
    assert isinstance(errors[2], ToolArgumentsError)
    assert errors[3] is None


async def test_max_turns_exceeded(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    local_server.script(
        "POST",
        "/v1/responses",
        Reply.json(response_json("resp_loop", [call_item("c", "add", {"a": 1, "b": 1})])),
    )
    with pytest.raises(MaxTurnsExceeded) as info:
        await run_tools_responses(
            client, model="m", input="x", tools=[function_tool(add)], max_turns=3
        )
    assert isinstance(info.value, trio_openai.OpenAIError)
    assert info.value.max_turns == 3
    assert isinstance(info.value.response, Response)
    assert info.value.response.id == "resp_loop"
    assert len(local_server.requests) == 3
    with pytest.raises(ValueError, match="max_turns"):
        await run_tools_responses(client, model="m", input="x", tools=[], max_turns=0)


async def test_stateless_loop_resends_the_conversation(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script(
        "POST", "/v1/responses", two_turns(call_item("c1", "add", {"a": 2, "b": 2}))
    )
    await run_tools_responses(
        client, model="m", input="Add.", store=False, tools=[function_tool(add)]
    )
    second = local_server.requests[-1].json()
    assert "previous_response_id" not in second
    assert second["store"] is False
    assert second["input"] == [
        {"role": "user", "content": "Add."},
        call_item("c1", "add", {"a": 2, "b": 2}),
        {"type": "function_call_output", "call_id": "c1", "output": "4"},
    ]


async def test_no_calls_returns_the_first_response(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    # the local server's echo model never calls tools
    response = await run_tools_responses(
        client, model="echo-1", input="hi", tools=[function_tool(add)]
    )
    assert response_output_text(response) == "You said: hi"
    assert len(local_server.requests) == 1


async def test_cancellation_stops_the_tools_and_is_not_wrapped(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    started = trio.Event()
    finished = False

    @function_tool
    async def forever() -> str:
        nonlocal finished
        started.set()
        await trio.sleep_forever()
        finished = True
        return ""

    local_server.script(
        "POST",
        "/v1/responses",
        two_turns(call_item("a", "forever", {}), call_item("b", "forever", {})),
    )
    with trio.move_on_after(0.2) as scope:
        await run_tools_responses(client, model="m", input="x", tools=[forever])
    assert scope.cancelled_caught
    assert started.is_set() and not finished
    assert len(local_server.requests) == 1


class Halt(BaseException):
    pass


async def test_a_base_exception_in_a_tool_propagates_unwrapped(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    @function_tool
    async def halt() -> str:
        raise Halt

    local_server.script(
        "POST",
        "/v1/responses",
        two_turns(call_item("a", "halt", {}), call_item("b", "add", {"a": 1, "b": 1})),
    )
    with pytest.raises(Halt):
        await run_tools_responses(client, model="m", input="x", tools=[halt, function_tool(add)])


# --- the chat completions loop ------------------------------------------------------------------


def chat_json(message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
    choice = {"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "test",
        "choices": [choice],
    }


def chat_call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    function = {"name": name, "arguments": orjson.dumps(arguments).decode()}
    return {"id": call_id, "type": "function", "function": function}


async def test_chat_loop_appends_assistant_and_tool_messages(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    calls = [chat_call("call_1", "add", {"a": 20, "b": 22}), chat_call("call_2", "nope", {})]

    def handle(request: RecordedRequest) -> Reply:
        if len(request.json()["messages"]) == 1:
            message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": calls}
            return Reply.json(chat_json(message, "tool_calls"))
        message = {"role": "assistant", "content": "42", "refusal": None}
        return Reply.json(chat_json(message, "stop"))

    local_server.script("POST", "/v1/chat/completions", Reply.handler(handle))
    messages = [{"role": "user", "content": "What is 20 + 22?"}]
    completion = await run_tools_chat(
        client, model="m", messages=messages, tools=[function_tool(add)], temperature=0
    )
    assert isinstance(completion, CreateChatCompletionResponse)
    assert completion.choices[0].message.content == "42"
    assert len(messages) == 1  # the caller's list is left alone
    first, second = (r.json() for r in local_server.requests)
    assert first["tools"] == [function_tool(add).to_chat_tool()]
    assert first["temperature"] == 0
    assert second["messages"] == [
        {"role": "user", "content": "What is 20 + 22?"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "call_1", "content": "42"},
        {
            "role": "tool",
            "tool_call_id": "call_2",
            "content": "error: LookupError: no tool named 'nope'",
        },
    ]


async def test_chat_loop_max_turns(client: trio_openai.OpenAI, local_server: LocalServer) -> None:
    message = {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [chat_call("c", "add", {"a": 1, "b": 1})],
    }
    local_server.script(
        "POST", "/v1/chat/completions", Reply.json(chat_json(message, "tool_calls"))
    )
    with pytest.raises(MaxTurnsExceeded):
        await run_tools_chat(
            client, model="m", messages=[], tools=[function_tool(add)], max_turns=2
        )
    assert len(local_server.requests) == 2


async def test_tools_compose_with_a_literal_parameter() -> None:
    @function_tool
    def pick(color: Literal["red", "green"]) -> str:
        return color

    assert pick.parameters["properties"]["color"] == {"type": "string", "enum": ["red", "green"]}
    assert await pick.call('{"color": "green"}') == "green"
    with pytest.raises(ToolArgumentsError):
        await pick.call('{"color": "blue"}')


async def test_pydantic_parameters_and_results() -> None:
    import pydantic

    class Query(pydantic.BaseModel):
        text: str
        limit: int = 5

    class Hit(pydantic.BaseModel):
        title: str

    async def search(query: Query) -> list[Hit]:
        return [Hit(title=query.text)] * query.limit

    # string annotations naming locals cannot be resolved: give the objects themselves
    search.__annotations__["query"] = Query

    tool = function_tool(search)
    assert tool.parameters["properties"]["query"] == {"$ref": "#/$defs/Query"}
    assert tool.parameters["$defs"]["Query"]["required"] == ["text", "limit"]
    hits = await tool.call('{"query": {"text": "trio", "limit": 2}}')
    assert hits == [Hit(title="trio")] * 2
    assert orjson.loads(tool_output_text(hits)) == [{"title": "trio"}, {"title": "trio"}]
