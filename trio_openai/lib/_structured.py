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
never parsed. Function tools made with `function_tool` may be passed in ``tools`` as they
are.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final

import attrs
import orjson

from .._errors import OpenAIError
from .._response import APIResponse
from .._types import CallOptions, omit
from ._schema import ShapeError, convert, to_strict_json_schema

if TYPE_CHECKING:
    from .._client import OpenAI
    from ..types import ChatCompletionResponseMessage, CreateChatCompletionResponse, Response
    from ..types.params import (
        ResponseFormatJsonSchemaJsonSchemaParam,
        ResponseFormatJsonSchemaParam,
        TextResponseFormatJsonSchemaParam,
    )

__all__ = [
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


class StructuredOutputError(OpenAIError):
    """The model's output is not JSON of the requested type.

    ``raw`` is the text the model produced; ``response`` the whole decoded result (a
    `Response` or a chat completion) when there is one.
    """

    def __init__(self, message: str, *, raw: str, response: object = None) -> None:
        super().__init__(message)
        self.raw = raw
        self.response = response


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
@attrs.frozen
class ParsedResponse(Generic[T]):
    """A `Response` and what its output text became.

    ``output_parsed`` is None when the model refused (see ``refusal``) or produced no text
    (only tool calls, say). Other attributes (``id``, ``usage``, ``output``...) are read
    from ``response``.
    """

    response: Response
    output_parsed: T | None
    refusal: str | None

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of the output messages, joined."""
        return self.response.output_text

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.response, name)


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
    return ParsedResponse(response, parsed, refusal)


async def parse_responses(
    client: OpenAI, *, text_format: type[T], **params: Any
) -> ParsedResponse[T]:
    """POST /responses asking for JSON of type `text_format`, and parse the reply into it.

    `params` are the parameters of ``responses.create`` (``model``, ``input``, a ``text``
    without ``format``, ``tools``...) and the call options (``timeout``, ``extra_headers``...).
    Raises `StructuredOutputError` when the output is not JSON of that type, `TypeError`
    when the type has no strict schema, and the client's usual API errors.
    """
    from ..types import Response

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
@attrs.frozen
class ParsedChatMessage(Generic[T]):
    """An assistant message and what its content became; other attributes from ``raw``."""

    raw: ChatCompletionResponseMessage
    content: str | None
    refusal: str | None
    parsed: T | None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.raw, name)


@final
@attrs.frozen
class ParsedChoice(Generic[T]):
    index: int
    finish_reason: str | None
    message: ParsedChatMessage[T]


@final
@attrs.frozen
class ParsedChatCompletion(Generic[T]):
    """A chat completion with each choice's message parsed; other attributes (``id``,
    ``usage``, ``model``...) are read from ``completion``."""

    completion: CreateChatCompletionResponse
    choices: list[ParsedChoice[T]]

    @property
    def output_parsed(self) -> T | None:
        """The first choice's parsed message (None when it refused or made tool calls)."""
        return self.choices[0].message.parsed if self.choices else None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.completion, name)


def parse_chat_completion(
    completion: CreateChatCompletionResponse, response_format: type[T]
) -> ParsedChatCompletion[T]:
    """Parse each choice's content into `response_format` (no request is made).

    A choice whose message has a refusal, or no content (tool calls), gets ``parsed=None``.
    Raises `StructuredOutputError` for content that is not JSON of that type.
    """
    choices: list[ParsedChoice[T]] = []
    for position, choice in enumerate(completion.choices or ()):
        message = choice.message
        content = message.content if isinstance(message.content, str) else None
        refusal = message.refusal if isinstance(message.refusal, str) else None
        # A field the server left out holds `omit`, whatever its declared type says.
        finish = choice.finish_reason if isinstance(choice.finish_reason, str) else None  # pyright: ignore[reportUnnecessaryIsInstance]
        parsed: T | None = None
        if refusal is None and content:
            why = finish if finish in ("length", "content_filter") else None
            parsed = _decode(response_format, content, response=completion, why=why)
        index = choice.index if isinstance(choice.index, int) else position  # pyright: ignore[reportUnnecessaryIsInstance]
        choices.append(
            ParsedChoice(index, finish, ParsedChatMessage(message, content, refusal, parsed))
        )
    return ParsedChatCompletion(completion, choices)


async def parse_chat(
    client: OpenAI, *, response_format: type[T], **params: Any
) -> ParsedChatCompletion[T]:
    """POST /chat/completions asking for JSON of type `response_format`, and parse each choice.

    `params` are the parameters of ``chat.completions.create`` (``model``, ``messages``,
    ``tools``...) and the call options. Raises `StructuredOutputError` when a choice's content
    is not JSON of that type, `TypeError` when the type has no strict schema.
    """
    from ..types import CreateChatCompletionResponse

    if params.get("stream"):
        raise TypeError("parse_chat does not stream")
    params["response_format"] = chat_response_format(response_format)
    if "tools" in params:
        params["tools"] = tool_params(params["tools"], chat=True)
    completion = await post_json(
        client, "/chat/completions", params, CreateChatCompletionResponse.from_dict
    )
    return parse_chat_completion(completion, response_format)
