"""The Python examples of the spec's x-oaiMeta, and what a server answers for each operation.

An example's response text is sent as the spec wrote it, with one repair: a trailing comma
before `}` or `]` (a typesetting slip in two dozen examples, the data complete) is removed.
Any other text that is not JSON (`...` placeholders, unquoted keys, a missing brace) is sent
as is, so it fails to decode in every client and lands on the known-wrong list. Streamed
examples are sent as `text/event-stream`. Streamed response texts come in two shapes: real
SSE (`event:` / `data:` lines), or one JSON chunk per blank-line separated block (chat and
legacy completions); the second is framed as `data:` lines, and blocks made only of dots
(the spec's "more chunks here" placeholder) are dropped.

An operation with no usable example response (binary downloads, or an example that shows
none) is answered from its schema: bytes for a binary body, else the smallest JSON object
the schema allows (required fields only), so the example can still run end to end.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from typing import Any, cast

import attrs
import orjson
from spec_path import spec_path

__all__ = ["BINARY_BODY", "Example", "Operation", "examples", "operations", "stream_items"]

BINARY_BODY = b"\x00binary example body\xff"


@attrs.frozen
class Operation:
    operation_id: str
    method: str
    template: str  # the spec's path, without the `?beta=true` its duplicates carry
    content_types: tuple[str, ...]
    schema: dict[str, Any] | None  # the JSON schema of the 200 body, when it is JSON
    default_response: str | None  # the first example response that is JSON

    def matches(self, method: str, path: str) -> bool:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape("/v1" + self.template))
        return method == self.method and re.fullmatch(pattern, path) is not None

    @property
    def binary(self) -> bool:
        if self.schema is not None and self.schema.get("type") == "string":
            return True
        return bool(self.content_types) and self.content_types[0] != "application/json"

    def fallback(self) -> tuple[str, bytes]:
        """(content type, body) for a request with no example response of its own."""
        if self.binary:
            kind = self.content_types[0]
            return ("application/octet-stream" if kind == "application/json" else kind), BINARY_BODY
        # Else the example response of an operation with the same result schema.
        for other in (self, *operations()):
            if other.default_response is not None and other.schema is self.schema is not None:
                return "application/json", other.default_response.encode()
        return "application/json", orjson.dumps(_minimal(self.schema or {}))


@attrs.frozen
class Example:
    operation: Operation
    index: int
    python: str
    response: str | None

    @property
    def name(self) -> str:
        return f"{self.operation.operation_id}[{self.index}]"

    @property
    def streams(self) -> bool:
        """The example asks for an event stream (`stream=True` on a call)."""
        return any(
            isinstance(node, ast.keyword)
            and node.arg == "stream"
            and isinstance(node.value, ast.Constant)
            and node.value.value is True
            for node in ast.walk(ast.parse(self.python))
        )

    def reply(self) -> tuple[str, bytes]:
        """(content type, body) the server sends for this example's own request."""
        if self.streams and self.response:
            return "text/event-stream", _sse_body(self.response)
        if self.response and self.response.strip():
            return "application/json", _repaired(self.response).encode()
        return self.operation.fallback()


def _repaired(text: str) -> str:
    """`text` without trailing commas, if that makes it JSON; else `text` unchanged."""
    if _is_json(text):
        return text
    fixed = re.sub(r",(\s*[}\]])", r"\1", text)
    return fixed if _is_json(fixed) else text


def _is_json(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


@cache
def _spec() -> dict[str, Any]:
    return cast("dict[str, Any]", orjson.loads(spec_path().read_bytes()))


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = _spec()
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _minimal(schema: dict[str, Any]) -> Any:
    schema = _resolve(schema)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            if key == "allOf":
                merged: dict[str, Any] = {}
                for part in schema[key]:
                    merged.update(_minimal(part))
                return merged
            return _minimal(schema[key][0])
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _minimal(props.get(name, {})) for name in schema.get("required", [])}
    return {"array": [], "string": "example", "integer": 0, "number": 0, "boolean": True}.get(kind)


def _ok_response(op: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = op.get("responses", {})
    for status in ("200", "201"):
        if status in responses:
            return _resolve(responses[status])
    return {}


def _examples_of(op: dict[str, Any]) -> list[dict[str, Any]]:
    found: Any = op.get("x-oaiMeta", {}).get("examples")
    if found is None:
        return []
    return cast("list[dict[str, Any]]", found if isinstance(found, list) else [found])


@cache
def operations() -> tuple[Operation, ...]:
    found: list[Operation] = []
    for path, item in _spec()["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            op = cast("dict[str, Any]", op)
            content: dict[str, Any] = _ok_response(op).get("content", {})
            json_schema = content.get("application/json", {}).get("schema")
            responses = [e.get("response") for e in _examples_of(op)]
            repaired = [_repaired(r) for r in responses if isinstance(r, str)]
            default = next((r for r in repaired if _is_json(r)), None)
            found.append(
                Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    template=path.partition("?")[0],
                    content_types=tuple(content),
                    schema=_resolve(json_schema) if json_schema else None,
                    default_response=default,
                )
            )
    # Literal segments before parameters: /responses/compact wins over /responses/{id}.
    return tuple(sorted(found, key=lambda o: o.template.count("{")))


@cache
def examples() -> tuple[Example, ...]:
    by_id = {o.operation_id: o for o in operations()}
    found: list[Example] = []
    for item in _spec()["paths"].values():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            op = cast("dict[str, Any]", op)
            for index, example in enumerate(_examples_of(op)):
                request = example.get("request")
                if isinstance(request, dict) and "python" in request:
                    response = example.get("response")
                    found.append(
                        Example(
                            operation=by_id[op["operationId"]],
                            index=index,
                            python=cast("str", request["python"]),
                            response=response if isinstance(response, str) else None,
                        )
                    )
    return tuple(found)


def _sse_events(text: str) -> list[tuple[str | None, str]]:
    """(event name, data) pairs of a streamed example response, in order."""
    events: list[tuple[str | None, str]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.strip().splitlines()
        if not lines or set(block.strip()) <= {"."}:
            continue
        if any(line.startswith(("data:", "event:")) for line in lines):
            name = None
            data: list[str] = []
            for line in lines:
                field, _, value = line.partition(":")
                if field == "event":
                    name = value.strip()
                elif field == "data":
                    data.append(value.removeprefix(" "))
            events.append((name, "\n".join(data)))
        else:
            events.append((None, "\n".join(lines)))
    return events


def _sse_body(text: str) -> bytes:
    out: list[str] = []
    for name, data in _sse_events(text):
        head = f"event: {name}\n" if name else ""
        out.append(head + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n")
    return "".join(out).encode()


def stream_items(text: str) -> list[Any]:
    """What iterating the stream yields, as JSON: an event's data, or `{event, data}` for
    the Assistants events, whose data (a run, a message) carries no `type` of its own."""
    items: list[Any] = []
    for name, data in _sse_events(text):
        if data.strip() == "[DONE]":
            continue
        value = orjson.loads(data)
        if name is not None and not (isinstance(value, dict) and "type" in value):
            value = {"event": name, "data": value}
        items.append(value)
    return items
