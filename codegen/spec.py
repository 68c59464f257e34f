"""Loading and walking the OpenAPI document."""

# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownArgumentType=false
# (this walks the spec: untyped JSON, checked by shape at each step)

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import orjson

SCHEMA_PREFIX = "#/components/schemas/"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")

# Keys that describe a schema without changing its shape.
_ANNOTATION_KEYS = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "maxProperties",
        "propertyNames",
        "uniqueItems",
        "$recursiveAnchor",
    }
)


def load(path: str | Path) -> dict[str, Any]:
    """The spec as a dict; YAML if the file name says so, JSON otherwise."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix in (".yaml", ".yml"):
        import yaml  # only needed for the YAML copy

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        loaded: dict[str, Any] = yaml.load(data, Loader=loader)
        return loaded
    result: dict[str, Any] = orjson.loads(data)
    return result


def ref_name(schema: Any) -> str | None:
    """The component name a `$ref` points to, or None."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            return ref[len(SCHEMA_PREFIX) :]
    return None


def is_null(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and schema.get("type") == "null"
        and len([k for k in schema if k not in _ANNOTATION_KEYS]) == 1
    )


def is_constraint_only(schema: Any) -> bool:
    """A `oneOf`/`anyOf` member that only says which keys are required (no shape)."""
    if not isinstance(schema, dict):
        return False
    shape = [k for k in schema if k not in _ANNOTATION_KEYS]
    return bool(shape) and all(k in ("required", "not") for k in shape)


def shape_keys(schema: dict[str, Any]) -> list[str]:
    return [k for k in schema if k not in _ANNOTATION_KEYS and not k.startswith("x-")]


@attrs.frozen
class Operation:
    path: str
    method: str
    op: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.op.get("operationId") or f"{self.method} {self.path}")

    @property
    def group(self) -> str:
        """The API area: x-oaiMeta.group, else the first tag."""
        meta = self.op.get("x-oaiMeta") or {}
        group = meta.get("group")
        if not group:
            tags = self.op.get("tags") or ["misc"]
            group = tags[0]
        if "beta=true" in self.path:
            return "beta"
        return str(group)

    def success_schemas(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(content type, schema) of the 200/201 response."""
        responses = self.op.get("responses") or {}
        for code in ("200", "201"):
            response = responses.get(code)
            if response:
                for content_type, body in (response.get("content") or {}).items():
                    schema = body.get("schema")
                    if isinstance(schema, dict):
                        yield content_type, schema
                return

    def examples(self) -> list[dict[str, Any]]:
        meta = self.op.get("x-oaiMeta") or {}
        found = meta.get("examples")
        if isinstance(found, dict):
            return [found]
        if isinstance(found, list):
            return [e for e in found if isinstance(e, dict)]
        return []


class Spec:
    """The document plus the lookups the generator needs."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})

    def schema(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.schemas[name]
        return found

    def deref(self, schema: Any) -> Any:
        """Follow `$ref`s until a schema with a shape of its own."""
        seen: set[str] = set()
        while (name := ref_name(schema)) is not None and name not in seen:
            seen.add(name)
            schema = self.schemas[name]
        return schema

    def operations(self) -> Iterator[Operation]:
        for path, item in self.document.get("paths", {}).items():
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    yield Operation(path, method, op)

    def refs_in(self, node: Any) -> list[str]:
        """Component names referenced anywhere in `node` (not following them), in order."""
        out: list[str] = []
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                name = ref_name(item)
                if name is not None:
                    out.append(name)
                for key, value in reversed(list(item.items())):
                    if key not in ("x-oaiMeta", "example", "examples"):
                        stack.append(value)
            elif isinstance(item, list):
                stack.extend(reversed(item))
        return out

    def referrer(self, target: str) -> tuple[str, str] | None:
        """The first component (in spec order) that refers to `target`, with the property
        key the reference sits under ("" when it is not under a property)."""
        for name, schema in self.schemas.items():
            if name == target:
                continue
            found = _ref_key(schema, target, "")
            if found is not None:
                return name, found
        return None

    def property_keys(self, name: str) -> set[str]:
        """The property keys of an object component, its ``allOf`` parts included."""
        schema = self.deref(self.schemas[name])
        keys = set((schema.get("properties") or {}).keys())
        for part in schema.get("allOf") or ():
            keys |= set((self.deref(part).get("properties") or {}).keys())
        return keys

    def same_shape(self, a: str, b: str) -> bool:
        """Whether two components describe the same values (annotations ignored)."""
        return _strip_annotations(self.schemas[a]) == _strip_annotations(self.schemas[b])

    def closure(self, roots: list[str]) -> list[str]:
        """Every component reachable from `roots`, roots first, in discovery order."""
        seen: dict[str, None] = {}
        queue = list(roots)
        while queue:
            name = queue.pop(0)
            if name in seen or name not in self.schemas:
                continue
            seen[name] = None
            queue.extend(n for n in self.refs_in(self.schemas[name]) if n not in seen)
        return list(seen)


def _ref_key(node: Any, target: str, key: str) -> str | None:
    if isinstance(node, dict):
        if ref_name(node) == target:
            return key
        props = node.get("properties")
        for k, value in node.items():
            if k in ("x-oaiMeta", "example", "examples"):
                continue
            if k == "properties" and isinstance(props, dict):
                for prop, sub in props.items():
                    found = _ref_key(sub, target, str(prop))
                    if found is not None:
                        return found
                continue
            found = _ref_key(value, target, key)
            if found is not None:
                return found
    elif isinstance(node, list):
        for item in node:
            found = _ref_key(item, target, key)
            if found is not None:
                return found
    return None


def _strip_annotations(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _strip_annotations(v)
            for k, v in node.items()
            if k not in _ANNOTATION_KEYS and not k.startswith("x-")
        }
    if isinstance(node, list):
        return [_strip_annotations(v) for v in node]
    return node
