"""openai-python's top-level helpers behave as there: pydantic tools and the webhook error.

`pydantic_function_tool` / `pydantic_responses_function_tool` build the same param dicts
as openai-python's (compared parsed, as the wire tests compare bodies: the schema's keys
may come in another order), with one documented difference: a field's ``default`` is not
in the schema. `InvalidWebhookSignatureError` is
raised for exactly the failures openai-python raises it for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, Literal

import openai
import orjson
import pydantic
import pytest

import trio_openai
from trio_openai._webhooks import verify_signature
from trio_openai.testing import LocalServer, Reply


class Address(pydantic.BaseModel):
    street: str
    unit: str | None = None


class GetWeather(pydantic.BaseModel):
    """The weather in a city."""

    city: str = pydantic.Field(description="the city")
    days: list[int]
    address: Address
    unit: Literal["C", "F"] = "C"


class NoDoc(pydantic.BaseModel):
    x: int


def without_defaults(node: Any) -> Any:
    """`node` less every ``default`` keyword (openai-python keeps non-null ones)."""
    if isinstance(node, dict):
        return {k: without_defaults(v) for k, v in node.items() if k != "default"}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(node, list):
        return [without_defaults(v) for v in node]  # pyright: ignore[reportUnknownVariableType]
    return node


@pytest.mark.parametrize("model", [GetWeather, Address, NoDoc])
@pytest.mark.parametrize("options", [{}, {"name": "lookup", "description": "Look it up."}])
def test_same_tools_as_openai_python(model: type[pydantic.BaseModel], options: Any) -> None:
    chat = trio_openai.pydantic_function_tool(model, **options)
    theirs_chat = openai.pydantic_function_tool(model, **options)
    # the same JSON, once openai-python's defaults are left out
    assert chat == without_defaults(theirs_chat)
    assert list(chat["function"]) == list(theirs_chat["function"])  # name, strict, ...
    responses = trio_openai.pydantic_responses_function_tool(model, **options)
    theirs_responses = openai.pydantic_responses_function_tool(model, **options)
    assert responses == without_defaults(dict(theirs_responses))
    assert list(responses) == list(theirs_responses)
    assert "default" not in orjson.dumps(chat).decode()


def test_defer_loading_as_in_openai_python() -> None:
    mine = trio_openai.pydantic_responses_function_tool(NoDoc, defer_loading=True)
    theirs = openai.pydantic_responses_function_tool(NoDoc, defer_loading=True)
    assert orjson.dumps(mine) == orjson.dumps(dict(theirs))
    assert mine.get("defer_loading") is True


def test_a_class_with_no_strict_schema_is_a_type_error() -> None:
    class Loose(pydantic.BaseModel):
        data: dict[str, int]

    with pytest.raises(TypeError, match="free-form keys"):
        trio_openai.pydantic_function_tool(Loose)


async def test_the_tool_is_sent_as_built(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/responses", Reply.json({"id": "r", "output": []}))
    tool = trio_openai.pydantic_responses_function_tool(GetWeather)
    await client.responses.create(model="m", input="Weather in Rome?", tools=[tool])
    assert local_server.requests[-1].json()["tools"] == [orjson.loads(orjson.dumps(tool))]


def test_import_loads_no_pydantic() -> None:
    import subprocess
    import sys

    code = (
        "import sys, trio_openai; trio_openai.pydantic_function_tool; "
        "print('pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- InvalidWebhookSignatureError --------------------------------------------------------

SECRET = "whsec_" + base64.b64encode(b"webhook secret key").decode()
BODY = b'{"id": "evt_1", "type": "response.completed", "created_at": 1, "data": {"id": "r"}}'


def headers(*, timestamp: str | None = None, signature: str | None = None) -> dict[str, str]:
    stamp = timestamp if timestamp is not None else str(int(time.time()))
    mac = hmac.new(b"webhook secret key", f"msg_1.{stamp}.".encode() + BODY, hashlib.sha256)
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": stamp,
        "webhook-signature": signature or "v1," + base64.b64encode(mac.digest()).decode(),
    }


def without(name: str) -> dict[str, str]:
    return {k: v for k, v in headers().items() if k != name}


CASES: dict[str, tuple[dict[str, str], str | None]] = {
    "valid": (headers(), SECRET),
    "timestamp not a number": (headers(timestamp="soon"), SECRET),
    "timestamp too old": (headers(timestamp=str(int(time.time()) - 3600)), SECRET),
    "timestamp too new": (headers(timestamp=str(int(time.time()) + 3600)), SECRET),
    "signature does not match": (headers(signature="v1,AAAA"), SECRET),
    "header missing": (without("webhook-signature"), SECRET),
    "no secret": (headers(), None),
}


def outcome(verify: Any, error_class: type[Exception]) -> str:
    try:
        verify()
    except error_class:
        return "InvalidWebhookSignatureError"
    except ValueError:
        return "ValueError"
    return "verified"


@pytest.mark.parametrize("case", list(CASES))
def test_invalid_webhook_signature_error_where_openai_python_raises_it(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_WEBHOOK_SECRET", raising=False)
    hdrs, secret = CASES[case]
    theirs_client = openai.OpenAI(api_key="sk-test", webhook_secret=None)

    def theirs() -> None:
        theirs_client.webhooks.verify_signature(BODY, hdrs, secret=secret)

    def mine() -> None:
        if secret is None:
            trio_openai.OpenAI(api_key="sk-test").webhooks.verify_signature(BODY, hdrs)
        else:
            verify_signature(BODY, hdrs, secret=secret)

    expected = outcome(theirs, openai.InvalidWebhookSignatureError)
    assert outcome(mine, trio_openai.InvalidWebhookSignatureError) == expected
    theirs_client.close()
