"""The strict subset of JSON Schema, for schemas written elsewhere (pydantic, by hand).

Structured Outputs and strict function tools refuse a schema outside it; `make_strict`
brings one in, in place, or raises `TypeError` naming the JSON path that cannot be.
Split from `_schema.py`, which writes strict schemas from Python types itself.

Pure module: imports neither trio nor httpx.
"""

from __future__ import annotations

import copy
import typing
from typing import Any

__all__ = ["make_strict"]


def make_strict(schema: dict[str, Any]) -> dict[str, Any]:
    """Bring a JSON schema into the strict subset, in place, and return it.

    Objects list every property as required and get ``additionalProperties: false``; an
    object with free-form keys raises `TypeError`. ``oneOf`` becomes ``anyOf``, a
    single-entry ``allOf`` is merged, ``const`` becomes a one-value ``enum``, defaults are
    dropped, and a ``$ref`` with sibling keywords (a description) is inlined, since the API
    refuses those.
    """
    strict: dict[str, Any] = _strict(schema, "#", schema, ())
    return strict


def _strict(node: Any, path: str, root: dict[str, Any], inlining: tuple[str, ...]) -> Any:
    if not isinstance(node, dict):
        raise TypeError(f"{path}: expected a schema object, got {node!r}")
    schema = typing.cast("dict[str, Any]", node)
    for key in ("$defs", "definitions"):
        defs = schema.get(key)
        if isinstance(defs, dict):
            for name, sub in typing.cast("dict[str, Any]", defs).items():
                _strict(sub, f"{path}/{key}/{name}", root, inlining)
    kind = schema.get("type")
    if kind == "object" or (isinstance(kind, list) and "object" in kind):
        if schema.get("additionalProperties", False) is not False:
            raise TypeError(
                f"{path}: an object with free-form keys (a dict, or extra='allow') has no "
                "strict JSON schema; declare every key in a class"
            )
        properties: dict[str, Any] = schema.setdefault("properties", {})
        schema["required"] = list(properties)
        schema["additionalProperties"] = False
        for name, sub in properties.items():
            _strict(sub, f"{path}/properties/{name}", root, inlining)
    items = schema.get("items")
    if isinstance(items, dict):
        _strict(items, f"{path}/items", root, inlining)
    if "prefixItems" in schema:
        raise TypeError(f"{path}: fixed-length tuples have no strict JSON schema")
    if "oneOf" in schema:
        schema["anyOf"] = [*schema.get("anyOf", []), *schema.pop("oneOf")]
        schema.pop("discriminator", None)
    for key in ("anyOf", "allOf"):
        for i, sub in enumerate(schema.get(key, ())):
            _strict(sub, f"{path}/{key}/{i}", root, inlining)
    all_of: object = schema.get("allOf")
    if (
        isinstance(all_of, list) and len(all_of := typing.cast("list[Any]", all_of)) == 1
    ):  # pydantic's way to describe a $ref
        del schema["allOf"]
        schema.update({**all_of[0], **schema})
    if "const" in schema:
        schema["enum"] = [schema.pop("const")]
    schema.pop("default", None)
    ref = schema.get("$ref")
    if isinstance(ref, str) and len(schema) > 1:
        target = _resolve(root, ref)
        del schema["$ref"]
        if target is not None and ref not in inlining:
            merged = {k: v for k, v in copy.deepcopy(target).items() if k != "$defs"}
            merged.update(schema)
            schema.clear()
            schema.update(merged)
            _strict(schema, path, root, (*inlining, ref))
        else:  # a self-reference can't be inlined: keep the bare $ref
            schema.clear()
            schema["$ref"] = ref
    return schema


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any] | None:
    if ref == "#":
        return None
    if not ref.startswith("#/"):
        raise TypeError(f"unsupported $ref {ref!r} (only local references)")
    node: Any = root
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            raise TypeError(f"$ref {ref!r} does not resolve")
        node = typing.cast("dict[str, Any]", node)[part]
    return typing.cast("dict[str, Any]", node)
