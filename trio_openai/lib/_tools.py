"""Function tools from typed Python functions, and the model -> tools -> model loop.

    @function_tool
    async def get_weather(city: str, unit: Literal["C", "F"]) -> Weather:
        '''The current weather in a city.'''

    response = await run_tools_responses(
        client, model="gpt-5.2", input="Weather in Paris?", tools=[get_weather]
    )
    print(response.output_text)

`function_tool` reads the signature (every parameter annotated; see `_schema` for the types
it understands) and the docstring (the summary becomes the tool's description; a Google
``Args:`` section or ``:param x:`` lines describe the parameters, as does
``Annotated[X, "text"]``). With ``strict=True`` (the default) every parameter is required
in the schema, so the model always sends all of them, defaults included.

The runners send the tools, run the calls the model asks for, send their outputs back and
repeat until the model answers without calls. The calls of one turn run concurrently in a
nursery, at most ``max_concurrency`` at a time. A tool that raises does not end the loop:
its output becomes ``"error: <ExceptionType>: <message>"`` so the model can react.
Cancellation and other BaseExceptions do end it, as they should.

A tool's return value is sent as it is when it is a string, else as JSON (attrs classes,
dataclasses, pydantic models and generated models included). A synchronous function runs
inline, in the Trio thread, blocking the other calls while it runs; give a slow or blocking
one an async wrapper around `trio.to_thread.run_sync`.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, TypeAlias, TypeVar, cast, final, overload

import attrs
import orjson
import trio

from .._errors import OpenAIError
from ._convert import convert_fields
from ._schema import FieldSpec, ShapeError, fields_schema
from ._structured import StructuredOutputError, post_json, tool_params

if TYPE_CHECKING:
    from .._client import OpenAI
    from ..types import CreateChatCompletionResponse, Response

__all__ = [
    "FunctionTool",
    "MaxTurnsExceeded",
    "ToolArgumentsError",
    "ToolResult",
    "ToolTurn",
    "function_tool",
    "run_tools_chat",
    "run_tools_responses",
    "tool_output_text",
]

R = TypeVar("R")
_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SECTION: Final = re.compile(
    r"^(Args|Arguments|Parameters|Params|Returns|Return|Raises|Yields|Examples?|Notes?):\s*$"
)


class ToolArgumentsError(StructuredOutputError):
    """The arguments the model sent are not JSON matching the tool's parameters."""


class MaxTurnsExceeded(OpenAIError):
    """The model still asked for tools after ``max_turns`` requests.

    ``response`` is the last response (with the calls that were not run).
    """

    def __init__(self, max_turns: int, response: object) -> None:
        super().__init__(f"the model still asked for tools after {max_turns} turns")
        self.max_turns = max_turns
        self.response = response


# --- docstrings ---------------------------------------------------------------------------------


def _split_doc(doc: str) -> tuple[str | None, dict[str, str]]:
    """(description, parameter descriptions) of a cleaned docstring."""
    described: dict[str, str] = {}
    kept: list[str] = []
    section: str | None = None
    current: str | None = None
    for line in doc.splitlines():
        stripped = line.strip()
        heading = _SECTION.match(stripped)
        param = re.match(r"^:param\s+(?:\S+\s+)?(\w+):\s*(.*)$", stripped)
        if heading:
            section, current = heading.group(1), None
        elif param:
            section, current = "Args", str(param.group(1))
            described[current] = param.group(2).strip()
        elif stripped.startswith(":"):  # :returns:, :raises ...:
            section, current = "Returns", None
        elif section in ("Args", "Arguments", "Parameters", "Params"):
            entry = re.match(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$", stripped)
            if entry and not line.startswith(" " * 8):
                current = str(entry.group(1)).lstrip("*")
                described[current] = entry.group(2).strip()
            elif current and stripped:
                described[current] = f"{described[current]} {stripped}".strip()
        elif section is None:
            kept.append(line)
    description = "\n".join(kept).strip() or None
    return description, described


# --- function tools --------------------------------------------------------------------------


@final
@attrs.frozen(eq=False)
class FunctionTool(Generic[R]):
    """A Python function the model may call, with its JSON schema. Make one with
    `function_tool`. The tool itself stays callable like the function."""

    fn: Callable[..., R | Awaitable[R]]
    name: str
    description: str | None
    parameters: dict[str, Any]
    strict: bool
    fields: tuple[FieldSpec, ...] = attrs.field(repr=False)

    def __call__(self, *args: Any, **kwargs: Any) -> R | Awaitable[R]:
        return self.fn(*args, **kwargs)

    def to_responses_tool(self) -> dict[str, Any]:
        """The entry of ``tools`` for /v1/responses."""
        tool: dict[str, Any] = {"type": "function", "name": self.name}
        if self.description:
            tool["description"] = self.description
        tool["parameters"] = self.parameters
        tool["strict"] = self.strict
        return tool

    def to_chat_tool(self) -> dict[str, Any]:
        """The entry of ``tools`` for /v1/chat/completions."""
        function = self.to_responses_tool()
        del function["type"]
        return {"type": "function", "function": function}

    def parse_arguments(self, arguments_json: str | bytes) -> dict[str, Any]:
        """The keyword arguments from the model's JSON; raises `ToolArgumentsError`."""
        raw = arguments_json if isinstance(arguments_json, str) else arguments_json.decode()
        try:
            data: Any = orjson.loads(raw) if raw.strip() else dict[str, Any]()
        except orjson.JSONDecodeError as exc:
            raise ToolArgumentsError(
                f"arguments of {self.name} are not valid JSON: {exc}", raw=raw
            ) from None
        try:
            return convert_fields(self.fields, data, "arguments")
        except ShapeError as exc:
            raise ToolArgumentsError(f"bad arguments for {self.name}: {exc}", raw=raw) from None

    async def call(self, arguments_json: str | bytes) -> R:
        """Parse the arguments and call the function (awaiting it when it is async).

        Raises `ToolArgumentsError` for bad arguments, and whatever the function raises.
        A synchronous function runs inline, in the Trio thread.
        """
        result = self.fn(**self.parse_arguments(arguments_json))
        if inspect.isawaitable(result):
            return await result
        return result


def _resolve_annotation(fn: Callable[..., Any], tool: str, name: str, annotation: Any) -> Any:
    """A parameter's annotation, evaluated when it is a string (``from __future__ import
    annotations``). Only parameters are evaluated: the return type may name anything."""
    if not isinstance(annotation, str):
        return annotation
    target = inspect.unwrap(getattr(fn, "func", fn))  # a functools.partial: its function
    target = getattr(target, "__func__", target)  # a bound method: its function
    namespace = dict(getattr(target, "__globals__", {}))
    try:
        return eval(annotation, namespace)
    except NameError as exc:
        raise TypeError(
            f"{tool}: cannot resolve the annotation {annotation!r} of {name!r} ({exc}); "
            "define the types it names at module level"
        ) from None


def _make_tool(
    fn: Callable[..., Any], name: str | None, description: str | None, strict: bool
) -> FunctionTool[Any]:
    tool_name = name or getattr(fn, "__name__", None) or ""
    if not _NAME.fullmatch(tool_name):
        raise ValueError(f"tool name {tool_name!r} must match [A-Za-z0-9_-]{{1,64}}")
    signature = inspect.signature(fn)
    summary, param_docs = _split_doc(inspect.getdoc(fn) or "")
    specs: list[FieldSpec] = []
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"{tool_name}: *args and **kwargs cannot be tool parameters")
        if param.kind is param.POSITIONAL_ONLY:
            raise TypeError(f"{tool_name}: positional-only parameter {param.name!r}")
        if param.annotation is param.empty:
            raise TypeError(f"{tool_name}: parameter {param.name!r} has no type annotation")
        specs.append(
            FieldSpec(
                param.name,
                _resolve_annotation(fn, tool_name, param.name, param.annotation),
                param_docs.get(param.name),
                param.default is param.empty,
            )
        )
    parameters = fields_schema(specs, strict=strict)
    return FunctionTool(
        fn=fn,
        name=tool_name,
        description=description if description is not None else summary,
        parameters=parameters,
        strict=strict,
        fields=tuple(specs),
    )


@overload
def function_tool(
    fn: Callable[..., Awaitable[R]],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = True,
) -> FunctionTool[R]: ...
@overload
def function_tool(
    fn: Callable[..., R],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = True,
) -> FunctionTool[R]: ...
@overload
def function_tool(
    fn: None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = True,
) -> Callable[[Callable[..., Any]], FunctionTool[Any]]: ...
def function_tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = True,
) -> FunctionTool[Any] | Callable[[Callable[..., Any]], FunctionTool[Any]]:
    """A `FunctionTool` from a typed function, sync or async; also a decorator, bare or
    with arguments (``@function_tool(name="lookup")``).

    ``name`` defaults to the function's name, ``description`` to its docstring's summary.
    Raises `TypeError` for a parameter without annotation, a type with no strict schema
    (a dict, Any...), or ``*args``/``**kwargs``.
    """
    if fn is None:

        def decorate(f: Callable[..., Any]) -> FunctionTool[Any]:
            return _make_tool(f, name, description, strict)

        return decorate
    return _make_tool(fn, name, description, strict)


def _jsonable(value: object) -> object:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):  # generated models
        return to_dict()
    if attrs.has(type(value)):
        return attrs.asdict(value, recurse=False)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return cast(Any, value).model_dump(mode="json")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(cast("Iterable[object]", value))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def tool_output_text(value: object) -> str:
    """What a tool's return value becomes in the conversation: a string as it is, else JSON."""
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, default=_jsonable).decode()
    except orjson.JSONEncodeError as exc:
        raise TypeError(f"a tool's result has no JSON form: {exc}") from None


# --- the runners ---------------------------------------------------------------------------


@final
@attrs.frozen
class ToolResult:
    """One call the model asked for, and what it produced (``error`` when it raised)."""

    call_id: str
    name: str
    arguments: str
    output: str
    error: Exception | None = None


@final
@attrs.frozen
class ToolTurn:
    """One round of the loop: the model's reply (``response``: a `Response` or a chat
    completion) and the results of the calls it asked for. ``turn`` counts from 1."""

    turn: int
    response: Response | CreateChatCompletionResponse
    results: tuple[ToolResult, ...]


OnTurn: TypeAlias = Callable[[ToolTurn], "Awaitable[None] | None"]
_Call = tuple[str, str, str]  # call id, tool name, arguments


async def _run_calls(
    calls: Sequence[_Call], tools: Mapping[str, FunctionTool[Any]], max_concurrency: int
) -> tuple[ToolResult, ...]:
    limiter = trio.CapacityLimiter(max_concurrency)
    results: list[ToolResult | None] = [None] * len(calls)

    async def run_one(index: int, call_id: str, name: str, arguments: str) -> None:
        async with limiter:
            tool = tools.get(name)
            error: Exception | None = None
            try:
                if tool is None:
                    raise LookupError(f"no tool named {name!r}")
                output = tool_output_text(await tool.call(arguments))
            except Exception as exc:  # becomes the call's output, for the model to see
                error = exc
                output = f"error: {type(exc).__name__}: {exc}"
            results[index] = ToolResult(call_id, name, arguments, output, error)

    try:
        async with trio.open_nursery() as nursery:
            for index, (call_id, name, arguments) in enumerate(calls):
                nursery.start_soon(run_one, index, call_id, name, arguments)
    except BaseExceptionGroup as group:
        # Only BaseExceptions get here (KeyboardInterrupt, Cancelled): never a group.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    return tuple(r for r in results if r is not None)


def _tool_table(tools: Sequence[Any]) -> dict[str, FunctionTool[Any]]:
    table: dict[str, FunctionTool[Any]] = {}
    for tool in tools:
        if isinstance(tool, FunctionTool):
            if tool.name in table:
                raise ValueError(f"two tools are named {tool.name!r}")
            table[tool.name] = tool
    return table


def _check_limits(max_turns: int, max_concurrency: int) -> None:
    if max_turns < 1:
        raise ValueError("max_turns must be >= 1")
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be >= 1")


async def _report(on_turn: OnTurn | None, turn: ToolTurn) -> None:
    if on_turn is not None:
        result = on_turn(turn)
        if inspect.isawaitable(result):
            await result


async def run_tools_responses(
    client: OpenAI,
    *,
    tools: Sequence[FunctionTool[Any] | Mapping[str, Any]],
    max_turns: int = 10,
    max_concurrency: int = 8,
    on_turn: OnTurn | None = None,
    **params: Any,
) -> Response:
    """Run the tool loop on /v1/responses and return the final `Response`.

    `params` are those of ``responses.create`` (``model``, ``input``, ``instructions``...)
    and call options. `tools` may mix `FunctionTool`s with tool dicts (hosted tools),
    which are sent as they are. Each later request carries the call outputs as
    ``function_call_output`` items with ``previous_response_id``; with ``store=False``
    (nothing kept server-side) it resends the whole conversation instead, and with
    ``conversation`` it relies on the conversation. A request counts as a turn: when the
    reply to request number ``max_turns`` still asks for calls, `MaxTurnsExceeded` is
    raised. ``on_turn`` (sync or async) sees each turn's reply and call results.
    """
    from ..types import FunctionToolCall, Response as ResponseModel  # as responses.create

    _check_limits(max_turns, max_concurrency)
    table = _tool_table(tools)
    params["tools"] = tool_params(list(tools), chat=False)
    stateless = params.get("store") is False
    history: list[Any] = []
    if stateless:
        first = params.get("input")
        history = (
            [{"role": "user", "content": first}] if isinstance(first, str) else list(first or ())
        )
    for turn in range(1, max_turns + 1):
        response: Response = await post_json(client, "/responses", params, ResponseModel.from_dict)
        calls = [
            (str(item.call_id), str(item.name), str(item.arguments))
            for item in response.output or ()
            if isinstance(item, FunctionToolCall)
        ]
        if not calls:
            return response
        if turn == max_turns:
            raise MaxTurnsExceeded(max_turns, response)
        results = await _run_calls(calls, table, max_concurrency)
        await _report(on_turn, ToolTurn(turn, response, results))
        outputs = [
            {"type": "function_call_output", "call_id": r.call_id, "output": r.output}
            for r in results
        ]
        if stateless:
            history += [item.to_dict() for item in response.output]
            history += outputs
            params["input"] = list(history)
        else:
            params["input"] = outputs
            if "conversation" not in params:
                params["previous_response_id"] = response.id
    raise AssertionError("unreachable")  # the loop returns or raises


async def run_tools_chat(
    client: OpenAI,
    *,
    tools: Sequence[FunctionTool[Any] | Mapping[str, Any]],
    messages: Sequence[Mapping[str, Any]],
    max_turns: int = 10,
    max_concurrency: int = 8,
    on_turn: OnTurn | None = None,
    **params: Any,
) -> CreateChatCompletionResponse:
    """Run the tool loop on /v1/chat/completions and return the final chat completion.

    Each turn appends the assistant message with its ``tool_calls`` and one ``role: tool``
    message per call to a copy of `messages` (the caller's list is not changed). Only the
    first choice is followed. Limits, errors and ``on_turn`` as in `run_tools_responses`.
    """
    from ..types import CreateChatCompletionResponse

    _check_limits(max_turns, max_concurrency)
    table = _tool_table(tools)
    params["tools"] = tool_params(list(tools), chat=True)
    history: list[Any] = list(messages)
    for turn in range(1, max_turns + 1):
        params["messages"] = history
        completion: CreateChatCompletionResponse = await post_json(
            client, "/chat/completions", params, CreateChatCompletionResponse.from_dict
        )
        message = completion.choices[0].message if completion.choices else None
        tool_calls = cast(
            "list[Any]", getattr(message, "tool_calls", None) or [] if message else []
        )
        if message is None or not tool_calls:
            return completion
        if turn == max_turns:
            raise MaxTurnsExceeded(max_turns, completion)
        calls: list[_Call] = []
        for call in tool_calls:
            function = getattr(call, "function", None)
            if function is None:  # a custom tool call: no FunctionTool can answer it
                calls.append((str(call.id), f"<{getattr(call, 'type', '?')} call>", ""))
            else:
                calls.append((str(call.id), str(function.name), str(function.arguments)))
        results = await _run_calls(calls, table, max_concurrency)
        await _report(on_turn, ToolTurn(turn, completion, results))
        content = message.content if isinstance(message.content, str) else None
        assistant: dict[str, Any] = {"role": "assistant", "content": content}
        assistant["tool_calls"] = [call.to_dict() for call in tool_calls]
        history = [
            *history,
            assistant,
            *({"role": "tool", "tool_call_id": r.call_id, "content": r.output} for r in results),
        ]
    raise AssertionError("unreachable")
