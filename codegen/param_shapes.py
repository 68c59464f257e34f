"""Pure helpers of the request types: what a schema's shape is, and annotation strings.

Split from `params` (which names and emits the TypedDicts) so each reads in one sitting.
"""

# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownArgumentType=false
# (this walks the spec: untyped JSON, checked by shape at each step)

from __future__ import annotations

from typing import Any

from .spec import Spec, is_constraint_only, is_null, ref_name, shape_keys


def object_properties(spec: Spec, schema: Any, _depth: int = 0) -> tuple[dict[str, Any], set[str]]:
    """Properties and required keys of an object schema, `allOf` parts merged in order."""
    d = spec.deref(schema)
    if not isinstance(d, dict) or _depth > 20:
        return {}, set()
    props: dict[str, Any] = {}
    required: set[str] = set()
    for part in d.get("allOf") or ():
        p, r = object_properties(spec, part, _depth + 1)
        props.update(p)
        required |= r
    props.update(d.get("properties") or {})
    required |= set(d.get("required") or ())
    return props, required


def shape_key(spec: Spec, schema: Any) -> str:
    """What makes two object schemas the same request type: their fields (as JSON, less
    the prose) and which are required."""
    import json

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("description", "title", "example", "examples")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    props, required = object_properties(spec, schema)
    return json.dumps([strip(props), sorted(required)], sort_keys=True, default=str)


def is_object_schema(spec: Spec, schema: Any) -> bool:
    d = spec.deref(schema)
    if not isinstance(d, dict):
        return False
    if isinstance(d.get("allOf"), list):
        return not any(
            isinstance(spec.deref(p), dict) and has_union(spec.deref(p)) for p in d["allOf"]
        )
    return "properties" in d and not has_union(d)


def has_union(d: dict[str, Any]) -> bool:
    return any(
        isinstance(d.get(k), list) and [m for m in d[k] if not is_constraint_only(m)]
        for k in ("oneOf", "anyOf")
    )


def sole_object(spec: Spec, d: dict[str, Any]) -> dict[str, Any] | None:
    """The inline object of a union that is that object or null (`Prompt`,
    `ChatCompletionStreamOptions`...), else None."""
    if "properties" in d or "allOf" in d:
        return None
    for key in ("oneOf", "anyOf"):
        members = d.get(key)
        if isinstance(members, list):
            members = [m for m in members if not is_constraint_only(m)]
            values = [m for m in members if not is_null(m)]
            if len(values) == 1 and len(values) < len(members) and ref_name(values[0]) is None:
                return values[0] if is_object_schema(spec, values[0]) else None
    return None


def makes_inline_class(schema: Any, _depth: int = 0) -> bool:
    """Whether an inline schema holds an object with properties (which becomes a named
    TypedDict), at any depth short of a `$ref`."""
    if not isinstance(schema, dict) or ref_name(schema) is not None or _depth > 20:
        return False
    if isinstance(schema.get("properties"), dict) and schema["properties"]:
        return True
    children: list[Any] = [schema.get("items"), schema.get("additionalProperties")]
    for key in ("oneOf", "anyOf", "allOf"):
        children += schema.get(key) or []
    return any(makes_inline_class(c, _depth + 1) for c in children)


def has_shape(schema: Any) -> bool:
    """Whether an `allOf` part says something about the value (not only ``nullable``)."""
    if not isinstance(schema, dict):
        return False
    return ref_name(schema) is not None or any(k != "nullable" for k in shape_keys(schema))


def has_binary(spec: Spec, schema: Any, _seen: frozenset[int] = frozenset()) -> bool:
    """Whether a file upload (``format: binary``) appears anywhere in `schema`."""
    d = spec.deref(schema)
    if not isinstance(d, dict) or id(d) in _seen:
        return False
    seen = _seen | {id(d)}
    if d.get("format") == "binary":
        return True
    children: list[Any] = [*(d.get("properties") or {}).values()]
    for key in ("oneOf", "anyOf", "allOf"):
        children += d.get(key) or []
    if isinstance(d.get("items"), dict):
        children.append(d["items"])
    return any(has_binary(spec, c, seen) for c in children)


def union_ann(members: list[str]) -> str:
    """`A | B` without repeats; `str` absorbs string literals, `object` everything."""
    flat: list[str] = []
    for m in members:
        for part in split_union(m):
            if part not in flat:
                flat.append(part)
    if "object" in flat:
        return "object"
    if "str" in flat:
        flat = [m for m in flat if not _string_literal(m)]
    literals = [m for m in flat if m.startswith("Literal[")]
    if len(literals) > 1:  # one Literal[...] holding all values
        values = [v for m in literals for v in _literal_values(m)]
        merged = "Literal[" + ", ".join(dict.fromkeys(values)) + "]"
        flat = [merged if m == literals[0] else m for m in flat if m not in literals[1:]]
    if "None" in flat:  # None last, as people write it
        flat = [m for m in flat if m != "None"] + ["None"]
    return " | ".join(flat)


def split_union(ann: str) -> list[str]:
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(ann):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(ann[start:i].strip())
            start = i + 1
    parts.append(ann[start:].strip())
    return [p for p in parts if p]


def _literal_values(ann: str) -> list[str]:
    inner = ann[len("Literal[") : -1]
    values: list[str] = []
    current, quote_char = "", ""
    for ch in inner:
        if quote_char:
            current += ch
            if ch == quote_char and not current.endswith("\\" + ch):
                quote_char = ""
        elif ch in "\"'":
            quote_char = ch
            current += ch
        elif ch == ",":
            values.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        values.append(current.strip())
    return values


def _string_literal(ann: str) -> bool:
    return ann.startswith("Literal[") and all(v[:1] in "\"'" for v in _literal_values(ann))
