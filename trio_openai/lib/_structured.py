"""Structured Outputs: ask for JSON matching a Python type, get an instance of it back.

    parsed = await parse_responses(client, model="gpt-5.2", input="...", text_format=Event)
    parsed.output_parsed        # an Event, or None when the model refused
    parsed.refusal              # the refusal text, if any

    completion = await parse_chat(client, model=..., messages=[...], response_format=Event)
    completion.choices[0].message.parsed

The type becomes a strict JSON schema (`to_strict_json_schema`: attrs classes,
dataclasses, TypedDicts, pydantic models) sent as ``text.format`` (Responses) or
``response_format`` (chat completions), named after the type in snake case. The reply's
text is decoded and converted back into the type; text that is not JSON, or JSON of the
wrong shape, raises `StructuredOutputError` carrying the raw text. A refusal is reported,
never parsed. A chat choice cut off by the token limit or the content filter raises
`LengthFinishReasonError` / `ContentFilterFinishReasonError` (subclasses of it), as
openai-python's ``chat.completions.parse`` does. Function tools made with `function_tool` may be passed in ``tools`` as they
are.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final

import attrs
import orjson

from .._models import BaseModel, generated_model
from .._response import APIResponse
from .._types import CallOptions, omit
from ..types.chat import (
    ChatCompletionResponseMessage,
    CreateChatCompletionResponse,
    CreateChatCompletionResponseChoice,
)
from ..types.responses import Response
from ._convert import convert
from ._parse_errors import (
    ContentFilterFinishReasonError,
    LengthFinishReasonError,
    StructuredOutputError,
)
from ._schema import ShapeError, to_strict_json_schema

if TYPE_CHECKING:
    from .._client import OpenAI
    from ..types.params import (
        ResponseFormatJsonSchemaJsonSchemaParam,
        ResponseFormatJsonSchemaParam,
        TextResponseFormatJsonSchemaParam,
    )

__all__ = [
    "ContentFilterFinishReasonError",
    "LengthFinishReasonError",
    "ParsedChatCompletion",
    "ParsedChatMessage",
    "ParsedChoice",
    "ParsedResponse",
    "StructuredOutputError",
    "chat_response_format",
    "parse_chat",
    "parse_chat_completion",
    "parse_response",
    "parse_responses",
    "response_output_text",
    "response_text_format",
]

T = TypeVar("T")
_OPTION_NAMES = frozenset(CallOptions.__annotations__)


# --- request building -----------------------------------------------------------------------


def format_name(tp: Any) -> str:
    """The schema name the API wants (``[A-Za-z0-9_-]{1,64}``): the type's name in snake case."""
    name = getattr(tp, "__name__", None) or "output"
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
    return re.sub(r"[^a-z0-9_-]+", "_", snake)[:64] or "output"


def _object_schema(tp: Any) -> dict[str, Any]:
    schema = to_strict_json_schema(tp)
    if schema.get("type") != "object":
        raise TypeError(
            f"{tp!r}: Structured Outputs need an object at the top (a class), "
            f"not {schema.get('type') or 'a union'}"
        )
    return schema


def response_text_format(tp: type[Any]) -> TextResponseFormatJsonSchemaParam:
    """The ``text.format`` of a Responses request asking for JSON of type `tp`."""
    return {
        "type": "json_schema",
        "name": format_name(tp),
        "schema": _object_schema(tp),
        "strict": True,
    }


def chat_response_format(tp: type[Any]) -> ResponseFormatJsonSchemaParam:
    """The ``response_format`` of a chat completion request asking for JSON of type `tp`."""
    schema: ResponseFormatJsonSchemaJsonSchemaParam = {
        "name": format_name(tp),
        "schema": _object_schema(tp),
        "strict": True,
    }
    return {"type": "json_schema", "json_schema": schema}


def split_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], CallOptions]:
    """(request body, call options) from one set of keyword arguments; `omit` values dropped."""
    body: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for key, value in params.items():
        if value is omit:
            continue
        (options if key in _OPTION_NAMES else body)[key] = value
    return body, options  # type: ignore[return-value]


def tool_params(tools: Any, *, chat: bool) -> Any:
    """`tools` with each `FunctionTool` (anything with ``to_*_tool()``) turned into a dict."""
    if not isinstance(tools, list | tuple):
        return tools
    method = "to_chat_tool" if chat else "to_responses_tool"
    items = typing.cast(Sequence[object], tools)
    return [getattr(t, method)() if hasattr(t, method) else t for t in items]


async def post_json(client: OpenAI, path: str, params: Mapping[str, Any], cast: Any) -> Any:
    """POST `params` (body keys and call options mixed) to `path`; the result through `cast`.

    A client from ``with_raw_response`` still gets the decoded result here: these helpers
    return their own result types.
    """
    body, options = split_params(params)
    # The client's own request call, as the generated resources make it.
    result = await client._request("POST", path, body=body, cast=cast, options=options)  # pyright: ignore[reportPrivateUsage]
    if isinstance(result, APIResponse):
        return typing.cast("APIResponse[Any]", result).parsed
    return result


# --- Responses --------------------------------------------------------------------------------


@final
@generated_model
class ParsedResponse(Response, Generic[T]):
    """A `Response` (every field typed as there) and what its output text became.

    ``output_parsed`` is None when the model refused (see ``refusal``) or produced no text
    (only tool calls, say). Neither is part of `to_dict()`, which stays what the server
    sent.
    """

    output_parsed: T | None = None
    refusal: str | None = None

    @property
    def response(self) -> Response:
        """This result as the plain `Response` it extends (kept for code written when the
        parse result wrapped one)."""
        return self

    def to_dict(self) -> dict[str, Any]:
        return _without(super().to_dict(), self, ("output_parsed", "refusal"))


def response_output_text(response: Response) -> str:
    """``response.output_text``, as a function (kept for code written before `Response`
    computed it)."""
    return response.output_text


def _first_refusal(response: Response) -> str | None:
    """The first ``refusal`` part of the output messages, or None."""
    for item in response.output or ():
        if getattr(item, "type", None) != "message":
            continue
        for part in getattr(item, "content", None) or ():
            if getattr(part, "type", None) == "refusal":
                return str(getattr(part, "refusal", "") or "")
    return None


def _decode(tp: type[T], text: str, *, response: object, why: str | None) -> T:
    hint = f" (the output ended early: {why})" if why else ""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise StructuredOutputError(
            f"the output is not valid JSON{hint}: {exc}", raw=text, response=response
        ) from None
    try:
        value: T = convert(tp, data)
    except ShapeError as exc:
        raise StructuredOutputError(
            f"the output does not match {getattr(tp, '__name__', tp)}{hint}: {exc}",
            raw=text,
            response=response,
        ) from None
    return value


def decode_output(tp: type[T], text: str, *, response: object) -> T:
    """`text` (JSON) as a `tp`; `StructuredOutputError` (carrying `response`) when it is not
    JSON of that type. What a parsing stream does with each finished message."""
    return _decode(tp, text, response=response, why=None)


def parse_response(response: Response, text_format: type[T]) -> ParsedResponse[T]:
    """Parse the output text of a `Response` into `text_format` (no request is made).

    Useful for a response from elsewhere: a stream's final response, a background job.
    Raises `StructuredOutputError` when the text is not JSON of that type.
    """
    text, refusal = response.output_text, _first_refusal(response)
    parsed: T | None = None
    if refusal is None and text:
        details = response.incomplete_details
        why = getattr(details, "reason", None) if details else None
        parsed = _decode(text_format, text, response=response, why=why)
    return ParsedResponse(**_fields_of(response), output_parsed=parsed, refusal=refusal)


async def parse_responses(
    client: OpenAI, *, text_format: type[T], **params: Any
) -> ParsedResponse[T]:
    """POST /responses asking for JSON of type `text_format`, and parse the reply into it.

    `params` are the parameters of ``responses.create`` (``model``, ``input``, a ``text``
    without ``format``, ``tools``...) and the call options (``timeout``, ``extra_headers``...).
    Raises `StructuredOutputError` when the output is not JSON of that type, `TypeError`
    when the type has no strict schema, and the client's usual API errors.
    """
    given = params.get("text")
    text: dict[str, Any] = (
        dict(typing.cast("Mapping[str, Any]", given)) if isinstance(given, Mapping) else {}
    )
    if "format" in text:
        raise TypeError("give either text_format or text={'format': ...}, not both")
    params["text"] = {**text, "format": response_text_format(text_format)}
    if "tools" in params:
        params["tools"] = tool_params(params["tools"], chat=False)
    response = await post_json(client, "/responses", params, Response.from_dict)
    return parse_response(response, text_format)


# --- chat completions -------------------------------------------------------------------------


@final
@generated_model
class ParsedChatMessage(ChatCompletionResponseMessage, Generic[T]):
    """An assistant message (every field typed as there) and what its content became.

    ``parsed`` is None when the message has a refusal or no content (tool calls); it is not
    part of `to_dict()`.
    """

    parsed: T | None = None

    @property
    def raw(self) -> ChatCompletionResponseMessage:
        """This message as the plain model it extends (kept for older code)."""
        return self

    def to_dict(self) -> dict[str, Any]:
        return _without(super().to_dict(), self, ("parsed",))


@final
@generated_model
class ParsedChoice(CreateChatCompletionResponseChoice, Generic[T]):
    """A choice whose ``message`` is a `ParsedChatMessage`."""

    message: ParsedChatMessage[T]  # frozen, so narrowing the field's type is sound


@final
@generated_model
class ParsedChatCompletion(CreateChatCompletionResponse, Generic[T]):
    """A chat completion (every field typed as there) with each choice's message parsed."""

    # `list` as in the base (what users index and `len`); narrowing its item type is what
    # openai-python's ParsedChatCompletion does too; the list is built here, never appended to.
    choices: list[ParsedChoice[T]]  # pyright: ignore[reportIncompatibleVariableOverride]

    @property
    def output_parsed(self) -> T | None:
        """The first choice's parsed message (None when it refused or made tool calls)."""
        return self.choices[0].message.parsed if self.choices else None

    @property
    def completion(self) -> CreateChatCompletionResponse:
        """This result as the plain completion it extends (kept for older code)."""
        return self


def _fields_of(model: BaseModel) -> dict[str, Any]:
    """The constructor arguments that rebuild `model` (to build a subclass from it)."""
    return {a.alias: getattr(model, a.name) for a in attrs.fields(type(model))}


def _without(data: dict[str, Any], model: BaseModel, keys: tuple[str, ...]) -> dict[str, Any]:
    """`data` less the keys of the parse results, unless the server sent them (extras)."""
    for key in keys:
        if key not in model.extra:
            data.pop(key, None)
    return data


def parse_chat_completion(
    completion: CreateChatCompletionResponse, response_format: type[T]
) -> ParsedChatCompletion[T]:
    """Parse each choice's content into `response_format` (no request is made).

    A choice whose message has a refusal, or no content (tool calls), gets ``parsed=None``.
    Raises `StructuredOutputError` for content that is not JSON of that type, and its
    subclasses `LengthFinishReasonError` / `ContentFilterFinishReasonError` for a choice
    that the token limit or the content filter stopped (whatever its content), as
    openai-python does.
    """
    choices: list[ParsedChoice[T]] = []
    for choice in completion.choices or ():
        message = choice.message
        content = message.content if isinstance(message.content, str) else None
        refusal = message.refusal if isinstance(message.refusal, str) else None
        # A field the server left out holds `omit`, whatever its declared type says.
        finish = choice.finish_reason if isinstance(choice.finish_reason, str) else None  # pyright: ignore[reportUnnecessaryIsInstance]
        if finish == "length":
            raise LengthFinishReasonError(completion=completion, raw=content or "")
        if finish == "content_filter":
            raise ContentFilterFinishReasonError(completion=completion, raw=content or "")
        parsed: T | None = None
        if refusal is None and content:
            parsed = _decode(response_format, content, response=completion, why=None)
        fields = _fields_of(choice)
        fields["message"] = ParsedChatMessage(**_fields_of(message), parsed=parsed)
        parsed_choice: ParsedChoice[T] = ParsedChoice(**fields)
        choices.append(parsed_choice)
    fields = _fields_of(completion)
    fields["choices"] = choices
    result: ParsedChatCompletion[T] = ParsedChatCompletion(**fields)
    return result


async def parse_chat(
    client: OpenAI, *, response_format: type[T], **params: Any
) -> ParsedChatCompletion[T]:
    """POST /chat/completions asking for JSON of type `response_format`, and parse each choice.

    `params` are the parameters of ``chat.completions.create`` (``model``, ``messages``,
    ``tools``...) and the call options. Raises `StructuredOutputError` when a choice's content
    is not JSON of that type (`LengthFinishReasonError` / `ContentFilterFinishReasonError`
    when the token limit or the content filter stopped it), `TypeError` when the type has
    no strict schema.
    """
    if params.get("stream"):
        raise TypeError("parse_chat does not stream")
    params["response_format"] = chat_response_format(response_format)
    if "tools" in params:
        params["tools"] = tool_params(params["tools"], chat=True)
    completion = await post_json(
        client, "/chat/completions", params, CreateChatCompletionResponse.from_dict
    )
    return parse_chat_completion(completion, response_format)
