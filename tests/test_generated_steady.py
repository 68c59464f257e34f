"""Every operation of the spec, called through its generated method against Steady.

Steady (the mock server the official SDKs test against) validates each request against the
spec and says so in ``x-steady-request-valid``. Each operation is called with all of its
parameters, required and optional, with values made from the schemas (the spec's examples
first, then defaults, enums' first values, formats, nested objects recursively, small bytes
for files), and its result is checked against the declared type: the model class, bytes
for a binary body, the item class of a paginator's first page, typed events of a stream.

The operations Steady cannot serve are listed in EXPECTED_FAILURES with the reason; each
is still run and must still fail (so a fixed one is noticed), and the list may not grow.
"""

# pyright: reportPrivateUsage=false
# (the test reads the generator's own description of each operation)

from __future__ import annotations

import re
from typing import Any

import pytest
from spec_path import spec_path

import trio_openai
from codegen.ir import ClassDef, Ref, Resolver, TypeRef, UnionDef
from codegen.naming import STREAM_EVENTS, STREAM_HOOKS
from codegen.operations import OpDef, OperationBuilder
from codegen.params import ParamTyper, has_shape, object_properties
from codegen.spec import Spec, is_constraint_only, is_null, load, ref_name
from trio_openai import types as generated_types
from trio_openai._binary import BinaryResponseContent
from trio_openai._models import BaseModel, UnknownVariant
from trio_openai.resources._registry import OPERATION_COUNT

SPEC = Spec(load(spec_path()))
RESOLVER = Resolver(SPEC)
RESOLVER.build()
OPS: list[OpDef] = OperationBuilder(SPEC, RESOLVER, ParamTyper(SPEC)).build_all()
BY_ID = {op.operation_id: op for op in OPS}

# operationId -> why Steady cannot serve it (each still runs and must still fail).
EXPECTED_FAILURES: dict[str, str] = {
    # The spec encodes the `session` form field as JSON (requestBody encoding:
    # `session: {contentType: application/json}`), which is what the API reads, and what
    # the method sends; Steady (0.22) validates multipart fields as form values and does
    # not decode a JSON part, so it reports "Expected type object, got string".
    "create-realtime-call": "Steady does not decode multipart fields encoded as JSON",
}
MAX_EXPECTED_FAILURES = 1  # may only go down

# --- values from schemas ------------------------------------------------------------

_PATTERNS = {
    "^tunnel_[a-z0-9]{32}$": "tunnel_" + "a" * 32,
}
_FORMATS: dict[str, Any] = {
    "uri": "https://example.com/a.png",
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "unixtime": 1700000000,
}
_FILE = ("sample.jsonl", b'{"a": 1}\n', "application/octet-stream")


def sample(schema: Any, *, files: bool = False, depth: int = 0) -> Any:
    """A value valid for `schema`; optional properties included down to depth 3."""
    name = ref_name(schema)
    if name is not None:
        schema = SPEC.schema(name)
    if not isinstance(schema, dict):
        return "x"
    example = schema.get("example")
    if example is not None and not isinstance(example, dict | list) and "enum" not in schema:
        return example
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list):
        return next((v for v in schema["enum"] if v is not None), None)
    for key in ("oneOf", "anyOf"):
        members = schema.get(key)
        if isinstance(members, list):
            usable = [m for m in members if not is_constraint_only(m) and not is_null(m)]
            if usable:
                return sample(usable[0], files=files, depth=depth)
    parts = [p for p in schema.get("allOf") or () if has_shape(p)]
    if len(parts) == 1 and "properties" not in schema:
        return sample(parts[0], files=files, depth=depth)
    if parts or "properties" in schema:
        return _sample_object(schema, files, depth)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "array" or "items" in schema:
        count = max(1, int(schema.get("minItems") or 1))
        return [sample(schema.get("items"), files=files, depth=depth + 1) for _ in range(count)]
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return {"key": sample(extra, files=files, depth=depth + 1)}
        return {}
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    return _sample_scalar(schema, kind, files)


def _sample_object(schema: dict[str, Any], files: bool, depth: int) -> dict[str, Any]:
    props, required = object_properties(SPEC, schema)
    out: dict[str, Any] = {}
    for key, prop in props.items():
        if key in required or depth < 3:
            out[key] = sample(prop, files=files, depth=depth + 1)
    return out


def _sample_scalar(schema: dict[str, Any], kind: Any, files: bool) -> Any:
    fmt = schema.get("format")
    if kind == "string":
        if fmt == "binary":
            return _FILE if files else "data"
        if schema.get("pattern") in _PATTERNS:
            return _PATTERNS[schema["pattern"]]
        if fmt in _FORMATS:
            return _FORMATS[fmt]
        size = max(int(schema.get("minLength") or 0), 3)
        return ("abc" * size)[: max(size, 3)]
    if kind in ("integer", "number"):
        if fmt == "unixtime":
            return _FORMATS["unixtime"]
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = max(1, int(low) + (1 if "exclusiveMinimum" in schema else 0))
        high = schema.get("maximum")
        if high is not None and value > high:
            value = int(high)
        return value if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    return "x"


def call_arguments(op: OpDef) -> tuple[list[Any], dict[str, Any]]:
    """(positional, keyword) arguments: every parameter of the method, with a value."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    path = op.path_params
    for p in op.signature_params():
        value = sample(p.schema, files=op.body_kind == "multipart" and p.where == "body")
        if p.where == "path" and (not isinstance(value, str) or not value):
            value = f"{p.key}_123"
        if path and p is path[-1]:
            args.append(value)
        else:
            kwargs[p.name] = value
    return args, kwargs


# --- expected types -------------------------------------------------------------------


def expected_classes(t: TypeRef | None) -> tuple[type, ...]:
    """The classes a decoded value of `t` may be (a union: any of its variants)."""
    if not isinstance(t, Ref):
        return (object,)
    target = RESOLVER.defs[t.name]
    if isinstance(target, ClassDef):
        return (getattr(generated_types, t.name),)
    if isinstance(target, UnionDef):
        return tuple(
            getattr(generated_types, v.target)
            for v in target.variants
            if isinstance(RESOLVER.defs.get(v.target), ClassDef)
        ) or (BaseModel,)
    return (object,)


def resource_of(client: Any, op: OpDef) -> Any:
    node = client
    for part in op.resource.split("."):
        node = getattr(node, part)
    return node


def _valid(headers: Any) -> None:
    assert headers.get("x-steady-request-valid") == "true", dict(headers)


async def exercise(steady_url: str, op: OpDef) -> None:
    """Call `op` (and its stream twins) against Steady and check what comes back."""
    async with trio_openai.OpenAI(
        api_key="sk-test", admin_key="sk-admin", base_url=steady_url, max_retries=0
    ) as client:
        resource = resource_of(client, op)
        args, kwargs = call_arguments(op)
        method = getattr(resource.with_raw_response, op.name)
        if op.page_shape is not None:
            raw_page = await method(*args, **kwargs)
            _valid(raw_page.headers)
            page = raw_page.parsed
            assert page.http_response is raw_page.http_response
            assert isinstance(page.data, list)
            for item in page.data:
                assert isinstance(item, expected_classes(op.item_type)), item
                assert not isinstance(item, UnknownVariant), item
        else:
            response = await method(*args, **kwargs)
            assert isinstance(response, trio_openai.APIResponse)
            _valid(response.headers)
            if op.result == "binary":
                assert isinstance(response.parsed, BinaryResponseContent)
                assert isinstance(response.parsed.content, bytes)
            elif op.result == "json" and op.result_type is not None:
                assert isinstance(response.parsed, expected_classes(op.result_type)), response
                assert not isinstance(response.parsed, UnknownVariant), response.parsed
        # Steady answers with what the spec declares: JSON only for STREAM_EVENTS operations
        if op.stream_type is not None and op.operation_id not in STREAM_EVENTS:
            async with getattr(resource, op.stream_name)(*args, **kwargs) as stream:
                events = [event async for event in stream]
                # a helper of trio_openai.lib (STREAM_HOOKS) or the plain Stream
                http = getattr(stream, "http_response", None) or stream.response
                _valid(http.headers)
            assert events
            if op.operation_id not in STREAM_HOOKS:  # helpers have events of their own
                for event in events:
                    assert isinstance(event, expected_classes(op.stream_type)), event
                    assert not isinstance(event, UnknownVariant), event
        if op.byte_stream:
            async with resource.stream_content(*args, **kwargs) as content:
                _valid(content.response.headers)
                assert await content.read()


@pytest.mark.parametrize("operation_id", sorted(BY_ID))
async def test_operation_against_steady(steady_url: str, operation_id: str) -> None:
    op = BY_ID[operation_id]
    if operation_id in EXPECTED_FAILURES:
        with pytest.raises((AssertionError, trio_openai.APIError)):
            await exercise(steady_url, op)
    else:
        await exercise(steady_url, op)


def test_expected_failures_do_not_grow() -> None:
    assert set(EXPECTED_FAILURES) <= set(BY_ID)
    assert len(EXPECTED_FAILURES) <= MAX_EXPECTED_FAILURES
    assert all(reason.strip() for reason in EXPECTED_FAILURES.values())


def test_every_operation_has_one_method_of_its_own() -> None:
    assert len(OPS) == OPERATION_COUNT == 288
    names = [f"{op.resource}.{op.name}" for op in OPS]
    streams = [f"{op.resource}.{op.stream_name}" for op in OPS if op.stream_type is not None]
    assert len(set(names)) == len(names)
    assert not set(streams) & set(names)
    client = trio_openai.OpenAI(api_key="sk-test")
    for op in OPS:
        assert callable(getattr(resource_of(client, op), op.name)), op.operation_id
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", op.name), op.name
