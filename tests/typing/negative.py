"""Calls a type checker must reject. Each bad line carries both checkers' ignore: an ignore
with nothing to ignore fails the run, so each case is proof that the mistake is reported."""

from __future__ import annotations

import trio_openai
from trio_openai.resources.chat import Completions
from trio_openai.resources.responses import Responses


async def through_the_client(client: trio_openai.OpenAI) -> None:
    # A misspelled parameter.
    await client.responses.create(model="gpt-5.2", inptu="Hi")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    # A value of the wrong type.
    await client.responses.create(model="gpt-5.2", input=123)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    # A required argument left out.
    await client.responses.retrieve()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await client.chat.completions.create(model="gpt-5.2")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    # A field that does not exist on the result.
    response = await client.responses.create(model="gpt-5.2", input="Hi")
    print(response.outptu_text)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    # A resource that does not exist.
    print(client.respones)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]


async def through_the_resource_class(client: trio_openai.OpenAI) -> None:
    responses = Responses(client)
    await responses.create(model="gpt-5.2", inptu="Hi")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await responses.create(model="gpt-5.2", input=123)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await responses.retrieve()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await Completions(client).create(model="gpt-5.2")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


def on_not_found(e: trio_openai.NotFoundError) -> None:
    pass


def errors(e: trio_openai.RateLimitError) -> None:
    # A RateLimitError is not a NotFoundError.
    on_not_found(e)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
