"""Errors as a user catches them: each class narrows what it carries."""

from __future__ import annotations

from typing import Literal, assert_type

import httpx

import trio_openai


async def handle(client: trio_openai.OpenAI) -> None:
    try:
        await client.models.list().first_page()
    except trio_openai.RateLimitError as e:
        assert_type(e.status_code, Literal[429])
        assert_type(e.request_id, str | None)
        assert_type(e.response, httpx.Response)
        assert_type(e.message, str)
    except trio_openai.NotFoundError as e:
        assert_type(e.status_code, Literal[404])
    except trio_openai.APIStatusError as e:
        assert_type(e.status_code, int)
        assert_type(e.body, object)
    except trio_openai.APITimeoutError as e:
        assert_type(e.request, httpx.Request | None)
    except trio_openai.APIConnectionError as e:
        assert_type(e.message, str)
    except trio_openai.OpenAIError as e:
        assert_type(e, trio_openai.OpenAIError)
