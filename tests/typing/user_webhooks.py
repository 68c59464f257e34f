"""A webhook endpoint as a user writes it: verify, unwrap, narrow by `event.type`."""

from __future__ import annotations

from typing import Literal, assert_type

import trio_openai
from trio_openai.types.webhooks import WebhookBatchCompleted, WebhookResponseCompleted


def endpoint(client: trio_openai.OpenAI, body: bytes, headers: dict[str, str]) -> str:
    try:
        event = client.webhooks.unwrap(body, headers)
    except trio_openai.WebhookVerificationError:
        return "rejected"
    if event.type == "response.completed":
        assert_type(event, WebhookResponseCompleted)
        assert_type(event.data.id, str)
        return event.data.id
    if event.type == "batch.completed":
        assert_type(event, WebhookBatchCompleted)
        assert_type(event.type, Literal["batch.completed"])
    assert_type(event.id, str)
    return event.id


def standalone(secret: str, body: bytes, headers: dict[str, str]) -> None:
    webhooks = trio_openai.Webhooks(secret)
    event = webhooks.unwrap(body, headers)
    assert_type(event.created_at, int)
    webhooks.verify_signature(body, headers)
