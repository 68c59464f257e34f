"""openai-python's ``pydantic_function_tool`` / ``pydantic_responses_function_tool``.

A class becomes a strict function tool param: its name (or ``name``), its docstring (or
``description``) and its strict JSON schema as ``parameters``, in openai-python's key
order (tests/test_openai_compat_helpers.py compares them). The schema comes from `to_strict_json_schema`, which
reads pydantic models when pydantic is installed (never imported here) and attrs classes,
dataclasses and TypedDicts too. One difference in the schema: a field's ``default`` is
dropped, as for every strict schema written here (openai-python keeps the non-null ones),
since the model must send every field anyway.

The result is the plain param dict. `function_tool` is the richer form: a tool built from
a function, whose calls the tool runners parse and run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._types import Omit, omit
from ._schema import to_strict_json_schema

if TYPE_CHECKING:
    from ..types.params import (
        ChatCompletionToolParam,
        FunctionObjectParam,
        FunctionToolParam,
    )

__all__ = ["pydantic_function_tool", "pydantic_responses_function_tool"]


def pydantic_function_tool(
    model: type[object],
    *,
    name: str | None = None,
    description: str | None = None,
) -> ChatCompletionToolParam:
    """A strict chat completions function tool whose arguments are `model`'s fields.

    ``name`` defaults to the class name, ``description`` to its docstring (as written:
    openai-python does not clean it either). Raises `TypeError` for a class with no strict
    schema (free-form ``dict`` fields, ``Any``...).
    """
    function: FunctionObjectParam = {
        "name": name or model.__name__,
        "strict": True,
        "parameters": to_strict_json_schema(model),
    }
    description = model.__doc__ if description is None else description
    if description is not None:
        function["description"] = description
    return {"type": "function", "function": function}


def pydantic_responses_function_tool(
    model: type[object],
    *,
    name: str | None = None,
    description: str | None = None,
    defer_loading: bool | Omit = omit,
) -> FunctionToolParam:
    """The same tool for the Responses API (``{"type": "function", "name": ...}``).

    ``defer_loading=True`` alongside a tool-search tool makes the function discoverable on
    demand instead of listed up front.
    """
    tool: FunctionToolParam = {
        "type": "function",
        "name": name or model.__name__,
        "strict": True,
        "parameters": to_strict_json_schema(model),
    }
    description = model.__doc__ if description is None else description
    if description is not None:
        tool["description"] = description
    if defer_loading is not omit:
        tool["defer_loading"] = defer_loading
    return tool
