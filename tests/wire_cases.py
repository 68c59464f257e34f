"""Calls made the same way through openai-python and trio_openai, and the cases of the spec.

A `Call` names the method on each client (the same dotted path, except where the names
differ: `PY_NAMES`) and the arguments both get. Files are described by `FileArg` and made
into a fresh value per client, so neither reads a file object the other has drained.

Cases from the spec: for every operation, its x-oaiMeta Python examples (the call found
with `ast`, its arguments evaluated as literals; `open(...)`, variables and expressions
the example computes become files and placeholder strings), one call with every
parameter filled from the schemas (`call_arguments` of the Steady test), and for each
streaming operation that call streamed.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import openai
from test_generated_steady import OPS, SPEC, call_arguments

from codegen.operations import OpDef

__all__ = [
    "OMIT",
    "OPENAI_NOTICES",
    "PY_NAMES",
    "Call",
    "FileArg",
    "OmitArg",
    "resolve",
    "spec_cases",
    "spec_document",
]

# trio_openai's dotted method path -> openai-python's, where they differ (checked by the
# suite: both must reach the same route).
PY_NAMES: dict[str, str] = {
    "realtime.sessions.create": "beta.realtime.sessions.create",
    "realtime.transcription_sessions.create": "beta.realtime.transcription_sessions.create",
    "videos.character.create": "videos.create_character",
    "videos.character.get": "videos.get_character",
}


# The deprecation notices openai-python raises on calls to APIs being retired (Assistants,
# Evals, Sora, DALL-E 2 variations...); the request is what the suite compares, and
# pytest would otherwise turn them into errors inside openai-python's call.
OPENAI_NOTICES = (
    "ignore:The Assistants API is deprecated:DeprecationWarning",
    "ignore:The Evals API is deprecated:DeprecationWarning",
    "ignore:The Sora API:DeprecationWarning",
    "ignore:deprecated$:DeprecationWarning",
)


@attrs.frozen
class FileArg:
    """A file argument, made per client as `kind`: bytes, a path, an open file or a tuple."""

    kind: str  # "bytes" | "path" | "fileobj" | "tuple" | "tuple2"
    name: str = "data.jsonl"
    content: bytes = b'{"prompt": "hi"}\n'
    content_type: str = "application/jsonl"

    def make(self, folder: Path, opened: list[Any]) -> Any:
        if self.kind == "bytes":
            return self.content
        if self.kind == "tuple":
            return (self.name, self.content, self.content_type)
        if self.kind == "tuple2":
            return (self.name, self.content)
        path = folder / self.name
        path.write_bytes(self.content)
        if self.kind == "path":
            return path
        handle = path.open("rb")
        opened.append(handle)
        return handle


@attrs.frozen
class OmitArg:
    """Each client's own "leave this out" sentinel: `openai.Omit()` or `trio_openai.omit`."""


OMIT = OmitArg()


@attrs.frozen
class Call:
    """One method call, made identically on both clients.

    `stream=True` calls openai-python's method with the operation's stream flag in
    `kwargs`, and trio_openai's stream method (`stream_name`) without it.
    """

    path: str  # trio_openai's dotted path from the client
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)
    stream_name: str | None = None  # trio_openai's stream method; the flag is in kwargs
    stream_flag: str | None = None
    options: Mapping[str, Any] = attrs.field(factory=dict)  # client.with_options(...)
    py_path: str | None = None

    @property
    def openai_path(self) -> str:
        return self.py_path or PY_NAMES.get(self.path, self.path)


def resolve(root: Any, dotted: str) -> Any:
    node = root
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


# --- the spec's Python examples ------------------------------------------------------------


def _evaluate(node: ast.expr, names: Mapping[str, Any]) -> Any:
    """A literal value for `node`; files for `open(...)`; placeholders for computed values."""
    if isinstance(node, ast.Dict):
        return {
            _evaluate(k, names): _evaluate(v, names) for k, v in zip(node.keys, node.values, strict=True) if k is not None
        }
    if isinstance(node, ast.List | ast.Tuple):
        values = [_evaluate(v, names) for v in node.elts]
        return values if isinstance(node, ast.List) else tuple(values)
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        return f"{node.id}_placeholder"
    if isinstance(node, ast.Call):
        func = ast.unparse(node.func)
        if func == "open" and node.args and isinstance(node.args[0], ast.Constant):
            return FileArg("fileobj", name=Path(str(node.args[0].value)).name)
        if func in ("Path", "pathlib.Path") and node.args and isinstance(node.args[0], ast.Constant):
            return FileArg("path", name=Path(str(node.args[0].value)).name)
        return f"{func.rpartition('.')[2]}_placeholder"
    try:
        return ast.literal_eval(node)
    except ValueError:
        return "computed_placeholder"


def _assignments(tree: ast.Module) -> dict[str, Any]:
    """Values of the example's simple variables: `x = literal` and `with open(..) as x`."""
    names: dict[str, Any] = {}
    for statement in ast.walk(tree):
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name) and not _is_client_call(statement.value):
                names[target.id] = _evaluate(statement.value, names)
        elif isinstance(statement, ast.With):
            for item in statement.items:
                if isinstance(item.optional_vars, ast.Name):
                    names[item.optional_vars.id] = _evaluate(item.context_expr, names)
    return names


def _call_path(node: ast.Call) -> str | None:
    func, parts = node.func, []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name) and func.id in ("client", "openai") and parts:
        # `client.x.with_streaming_response.create(...)` sends what `client.x.create` does.
        wrappers = ("with_streaming_response", "with_raw_response")
        return ".".join(p for p in reversed(parts) if p not in wrappers)
    return None


def _is_client_call(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Call) and _call_path(n) for n in ast.walk(node))


def example_calls(source: str, py_path: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The arguments of each call of `py_path` in an example's source."""
    tree = ast.parse(source)
    names = _assignments(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_path(node) == py_path:
            args = tuple(_evaluate(a, names) for a in node.args)
            kwargs = {k.arg: _evaluate(k.value, names) for k in node.keywords if k.arg}
            found.append((args, kwargs))
    return found


def python_examples(op: OpDef) -> list[str]:
    examples = (op.op.op.get("x-oaiMeta") or {}).get("examples") or []
    if isinstance(examples, dict):
        examples = [examples]
    sources = []
    for example in examples:
        request = example.get("request")
        if isinstance(request, dict) and isinstance(request.get("python"), str):
            sources.append(request["python"])
    return sources


# operationId -> arguments of its all-params call that the schema sampler gets wrong for
# openai-python: `video` may be a reference object only in the JSON variant of the body.
ALL_PARAMS_OVERRIDES: dict[str, dict[str, Any]] = {
    "CreateVideoExtend": {"video": FileArg("tuple", name="clip.mp4", content_type="video/mp4")},
}

# operationId -> parameters of the spec that openai-python's method does not take (filled
# by `spec_cases`; those parameters are left out of the all-params call).
OPENAI_LACKS: dict[str, list[str]] = {}

_OPENAI = openai.OpenAI(api_key="sk-unused", base_url="http://127.0.0.1:9/v1")


def _openai_parameters(py_path: str) -> set[str]:
    return set(inspect.signature(resolve(_OPENAI, py_path)).parameters)


def _path_arguments(op: OpDef, given: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Several examples pass every path id positionally, in URL order
    (`client.evals.runs.retrieve("eval_1", "run_1")`); both clients take the last one
    positionally and the others by name."""
    path = op.path_params
    if len(given) <= 1 or len(given) != len(path):
        return given
    for param, value in zip(path[:-1], given[:-1], strict=True):
        kwargs[param.name] = value
    return given[-1:]


def spec_cases() -> dict[str, Call]:
    """Every case of the spec, by id."""
    cases: dict[str, Call] = {}
    for op in OPS:
        trio_path = f"{op.resource}.{op.name}"
        py_path = PY_NAMES.get(trio_path, trio_path)
        flag = op.stream_flag if op.stream_type is not None else None
        stream_name = op.stream_name if flag else None
        for number, source in enumerate(python_examples(op)):
            for index, (given, kwargs) in enumerate(example_calls(source, py_path)):
                args = _path_arguments(op, given, kwargs)
                streamed = flag is not None and kwargs.get(flag[0]) == flag[1]
                case_id = f"{op.operation_id}-example{number}" + (f"-{index}" if index else "")
                cases[case_id] = Call(
                    trio_path,
                    args,
                    kwargs,
                    stream_name=stream_name if streamed else None,
                    stream_flag=flag[0] if streamed and flag else None,
                )
        args, kwargs = call_arguments(op)
        kwargs = {**kwargs, **ALL_PARAMS_OVERRIDES.get(op.operation_id, {})}
        known = _openai_parameters(py_path)
        dropped = sorted(k for k in kwargs if k not in known)
        if dropped:
            OPENAI_LACKS[op.operation_id] = dropped
        kwargs = {k: v for k, v in kwargs.items() if k in known}
        cases[f"{op.operation_id}-all-params"] = Call(trio_path, tuple(args), kwargs)
        if flag is not None:
            cases[f"{op.operation_id}-streamed"] = Call(
                trio_path,
                tuple(args),
                {**kwargs, flag[0]: flag[1]},
                stream_name=stream_name,
                stream_flag=flag[0],
            )
    return cases


def spec_document() -> dict[str, Any]:
    document: dict[str, Any] = SPEC.document
    return document
