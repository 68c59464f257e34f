"""Optional response fields as a user reads them: absent (`omit`) vs null, narrowed away."""

from __future__ import annotations

from typing import Literal, assert_type

import trio_openai
from trio_openai import Omit, omit
from trio_openai.types.responses import ResponseUsage


async def usage(client: trio_openai.OpenAI) -> int:
    response = await client.responses.create(model="gpt-5.2", input="Hi")
    assert_type(response.usage, ResponseUsage | Omit)
    if response.usage is not omit:  # `is omit` narrows, as `is None` does
        assert_type(response.usage, ResponseUsage)
        return response.usage.total_tokens
    assert_type(response.usage, Literal[Omit.OMIT])  # what `omit` is
    return 0


async def by_class(client: trio_openai.OpenAI) -> int:
    response = await client.responses.create(model="gpt-5.2", input="Hi")
    if isinstance(response.usage, Omit):
        return 0
    assert_type(response.usage, ResponseUsage)
    return response.usage.output_tokens


async def truthiness(client: trio_openai.OpenAI) -> int:
    response = await client.responses.create(model="gpt-5.2", input="Hi")
    if response.usage:  # omit is falsy
        return response.usage.input_tokens
    return 0
