"""A multi-turn loop sends the model's output back as input: ``response.output`` items and
``choice.message`` go into the next request as they are (sent as the JSON the server
sent), with no conversion to dicts first."""

from __future__ import annotations

from typing import assert_type

import trio_openai
from trio_openai.types.chat import ChatCompletionMessageParam, ChatCompletionResponseMessage
from trio_openai.types.responses import ResponseInputItemParam, ResponseOutputItem


async def responses(client: trio_openai.OpenAI) -> None:
    history: list[ResponseInputItemParam] = [{"role": "user", "content": "Pick a city"}]
    response = await client.responses.create(model="gpt-5.2", input=history)
    assert_type(response.output, list[ResponseOutputItem])
    history += response.output
    history.append({"role": "user", "content": "And its weather?"})
    follow_up = await client.responses.create(model="gpt-5.2", input=history)
    await client.responses.create(
        model="gpt-5.2",
        input=[*history, *follow_up.output, {"role": "user", "content": "Thanks"}],
    )


async def chat(client: trio_openai.OpenAI) -> None:
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Pick a city"}]
    completion = await client.chat.completions.create(model="gpt-5.2", messages=messages)
    reply = completion.choices[0].message
    assert_type(reply, ChatCompletionResponseMessage)
    messages.append(reply)
    messages.append({"role": "user", "content": "And its weather?"})
    await client.chat.completions.create(model="gpt-5.2", messages=messages)
    await client.chat.completions.create(
        model="gpt-5.2", messages=[*messages, reply, {"role": "user", "content": "Thanks"}]
    )
