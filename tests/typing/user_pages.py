"""Lists as a user pages through them: item by item, or page by page."""

from __future__ import annotations

from typing import assert_type

import trio_openai
from trio_openai import AsyncPaginator, Page
from trio_openai.types.files import OpenAIFile


async def items(client: trio_openai.OpenAI) -> None:
    files = client.files.list(limit=20)
    assert_type(files, AsyncPaginator[OpenAIFile])
    async for f in files:
        assert_type(f, OpenAIFile)
        assert_type(f.id, str)
        assert_type(f.bytes, int)


async def pages(client: trio_openai.OpenAI) -> None:
    page = await client.files.list(limit=20)
    assert_type(page, Page[OpenAIFile])
    assert_type(page.data, list[OpenAIFile])
    assert_type(page.has_next_page(), bool)
    first = await client.files.list().first_page()
    assert_type(first, Page[OpenAIFile])
    async for each in client.files.list().pages():
        assert_type(each, Page[OpenAIFile])


async def through_the_resource_class(client: trio_openai.OpenAI) -> None:
    """What works today without the client's accessors: annotate the resource yourself."""
    from trio_openai.resources.files import Files

    async for f in Files(client).list(purpose="batch"):
        assert_type(f, OpenAIFile)
