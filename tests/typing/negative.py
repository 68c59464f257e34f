"""Calls a type checker must reject. Each bad line carries both checkers' ignore: an ignore
with nothing to ignore fails the run, so each case is proof that the mistake is reported.

`create` and `retrieve` of streaming operations are overloaded (``stream=True`` returns a
stream), so their mistakes are "no overload matches" (mypy: call-overload); a plain method's
are call-arg / arg-type."""

from __future__ import annotations

import trio_openai
from trio_openai.types import EmbeddingCreateParams
from trio_openai.types.chat import ChatCompletionStreamOptionsParam, completion_create_params


async def overloaded_methods(client: trio_openai.OpenAI) -> None:
    # A misspelled parameter.
    await client.responses.create(model="gpt-5.2", inptu="Hi")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
    # A value of the wrong type.
    await client.responses.create(model="gpt-5.2", input=123)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    # A required argument left out.
    await client.responses.retrieve()  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
    await client.chat.completions.create(model="gpt-5.2")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]


async def helpers(client: trio_openai.OpenAI) -> None:
    """parse and run_tools take create's parameters, typed as there."""

    class Answer:
        text: str

    await client.responses.parse(text_format=Answer, model="gpt-5.2", inptu="Hi")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await client.responses.parse(text_format=Answer, model="gpt-5.2", input=123)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await client.chat.completions.parse(response_format=Answer, model="gpt-5.2", mesages=[])  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await client.responses.run_tools(model="gpt-5.2", input="Hi", tools=[], max_turn=3)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await client.chat.completions.run_tools(model="gpt-5.2", tools=[])  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


async def plain_methods(client: trio_openai.OpenAI) -> None:
    await client.files.retrieve(fil_id="file-1")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await client.files.retrieve(123)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await client.files.retrieve()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await client.embeddings.create(input="Hi")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


async def names(client: trio_openai.OpenAI) -> None:
    # A field that does not exist on the result (its type is then unknown too).
    response = await client.responses.create(model="gpt-5.2", input="Hi")
    print(response.outptu_text)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    # A misspelled field of a parse result (it extends the Response: no fall-through to Any).
    class Haiku:
        text: str

    parsed = await client.responses.parse(model="gpt-5.2", input="Hi", text_format=Haiku)
    print(parsed.outptu_parsed)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    # A resource that does not exist.
    print(client.respones)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]


def unknown_variant(value: trio_openai.UnknownVariant) -> None:
    # Its data is reached through `.type`, `.extra` and `to_dict()`: other attributes are
    # not typed (at run time they still read through to the data, for untyped code).
    print(value.delta)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]


def on_not_found(e: trio_openai.NotFoundError) -> None:
    pass


def errors(e: trio_openai.RateLimitError) -> None:
    # A RateLimitError is not a NotFoundError.
    on_not_found(e)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def request_dicts() -> None:
    # A misspelled key in a dict annotated with openai-python's request type name.
    options: ChatCompletionStreamOptionsParam = {"include_usag": True}  # type: ignore[typeddict-unknown-key]  # pyright: ignore[reportAssignmentType]
    print(options)


async def method_params(
    client: trio_openai.OpenAI, chat: completion_create_params.CompletionCreateParamsNonStreaming
) -> None:
    """openai-python's method parameter TypedDicts: a key the method does not take, a value
    of the wrong type, a required key left out, one method's arguments given to another."""
    misspelled: EmbeddingCreateParams = {"model": "m", "input": "Hi", "dimension": 3}  # type: ignore[typeddict-unknown-key]  # pyright: ignore[reportAssignmentType]
    wrong: EmbeddingCreateParams = {"model": "m", "input": 3.5}  # type: ignore[typeddict-item]  # pyright: ignore[reportAssignmentType]
    missing: EmbeddingCreateParams = {"input": "Hi"}  # type: ignore[typeddict-item]  # pyright: ignore[reportAssignmentType]
    print(misspelled, wrong, missing)
    await client.embeddings.create(**chat)  # type: ignore[misc]  # pyright: ignore[reportCallIssue]
    await client.chat.completions.create(**misspelled)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
