"""From the spec's operations to method definitions: parameters, body, result, paging.

One `OpDef` per operation. What decides each part:

- body: ``multipart/form-data`` when the operation offers it with a file field (or has no
  JSON form), else the JSON body; its properties become keyword parameters;
- result: the 200/201 content types. JSON gives the type from `Resolver.operation_types`;
  a first content type that is not JSON (audio, zip, mp4, SDP) gives bytes; none gives None;
- stream: a ``text/event-stream`` content type gives a separate ``stream()`` method, which
  sets ``stream: true`` (or ``stream_format: "sse"`` for speech) in the body;
- paging: a GET whose response has a ``data`` array is an `AsyncPaginator`: ``page``
  parameter -> "page", a ``next`` field -> "next", an ``after`` parameter -> "cursor",
  else "single";
- admin: the operation's security is ``AdminApiKeyAuth``.
"""

# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownArgumentType=false
# (this walks the spec: untyped JSON, checked by shape at each step)

from __future__ import annotations

import keyword
from typing import Any

import attrs

from .ir import ClassDef, ListOf, Nullable, Ref, Resolver, TypeRef
from .names import trim_doc
from .naming import BINARY_RESULTS, BYTE_STREAMS, STREAM_EVENTS, locate, split_path
from .params import ParamTyper, has_binary, object_properties, union_ann
from .spec import Operation, Spec

# Names a parameter may not take: the method's own and the per-call options.
_TAKEN = frozenset(
    {
        "self",
        "options",
        "extra_headers",
        "extra_query",
        "extra_body",
        "timeout",
        "max_retries",
        "middleware",
        "idempotency_key",
    }
)


@attrs.define
class ParamDef:
    name: str  # the Python parameter
    key: str  # the name on the wire
    ann: str  # without `| Omit`
    required: bool
    where: str  # "path" | "query" | "header" | "body"
    schema: Any = attrs.field(repr=False)
    doc: str = ""


@attrs.define
class OpDef:
    op: Operation = attrs.field(repr=False)
    operation_id: str
    http_method: str
    url: str  # the spec's path, with its `{params}` (and `?beta=true` where present)
    resource: str
    name: str
    admin: bool
    params: list[ParamDef]
    body_kind: str | None  # "json" | "multipart" | None
    result: str  # "json" | "binary" | "none"
    result_type: TypeRef | None
    accept: str | None  # Accept header of a binary result other than octet-stream
    stream_type: TypeRef | None
    stream_flag: tuple[str, object] | None
    page_shape: str | None
    item_type: TypeRef | None
    doc: str
    byte_stream: bool = False
    json_parts: frozenset[str] = frozenset()  # multipart fields sent as JSON text

    @property
    def stream_name(self) -> str:
        """``create`` streams as ``stream()``, any other ``x`` as ``x_stream()``."""
        return "stream" if self.name == "create" else f"{self.name}_stream"

    @property
    def flag_param(self) -> ParamDef | None:
        """The parameter that turns streaming on (``stream``, or speech's ``stream_format``)."""
        if self.stream_flag is None or self.stream_type is None:
            return None
        return next(p for p in self.params if p.key == self.stream_flag[0])

    @property
    def path_params(self) -> list[ParamDef]:
        return [p for p in self.params if p.where == "path"]

    def signature_params(self) -> list[ParamDef]:
        """Parameters in signature order: path ones, then required, then optional.

        A streaming operation's flag (``stream``) is left out: the plain method never
        streams and the stream method sets it.
        """
        flag = self.stream_flag[0] if self.stream_flag and self.stream_type is not None else None
        rest = [p for p in self.params if p.where != "path" and not (flag and p.key == flag)]
        return [
            *self.path_params,
            *[p for p in rest if p.required],
            *[p for p in rest if not p.required],
        ]


def is_admin(op: Operation) -> bool:
    return any("AdminApiKeyAuth" in (s or {}) for s in op.op.get("security") or ())


def _parameters(spec: Spec, op: Operation) -> list[dict[str, Any]]:
    item = spec.document["paths"][op.path]
    out: list[dict[str, Any]] = []
    for p in [*(item.get("parameters") or ()), *(op.op.get("parameters") or ())]:
        ref = p.get("$ref") if isinstance(p, dict) else None
        if isinstance(ref, str):
            p = spec.document["components"]["parameters"][ref.rsplit("/", 1)[-1]]
        out.append(p)
    return out


def py_name(key: str) -> str:
    name = key.removesuffix("[]").replace("-", "_").replace(".", "_")
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    if not name or name[0].isdigit():
        name = "p_" + name
    if keyword.iskeyword(name) or name in _TAKEN:
        name += "_"
    return name


def choose_body(spec: Spec, op: Operation) -> tuple[str | None, Any, bool]:
    """(kind, schema, required) of the request body the method sends."""
    body = op.op.get("requestBody") or {}
    content = body.get("content") or {}
    multipart = (content.get("multipart/form-data") or {}).get("schema")
    json_schema = (content.get("application/json") or {}).get("schema")
    required = body.get("required") is True
    if multipart is not None and (json_schema is None or has_binary(spec, multipart)):
        return "multipart", multipart, required
    if json_schema is not None:
        return "json", json_schema, required
    return None, None, False


class OperationBuilder:
    def __init__(self, spec: Spec, resolver: Resolver, typer: ParamTyper) -> None:
        self.spec = spec
        self.resolver = resolver
        self.typer = typer

    def build_all(self) -> list[OpDef]:
        return [self.build(op) for op in self.spec.operations()]

    def build(self, op: Operation) -> OpDef:
        admin = is_admin(op)
        resource, name = locate(op.operation_id, op.path, op.method, admin=admin)
        ctx = "".join(w[:1].upper() + w[1:] for w in resource.split(".")[-1].split("_"))
        ctx += "".join(w[:1].upper() + w[1:] for w in name.split("_"))
        params: list[ParamDef] = []
        used: set[str] = set()

        def add(
            key: str, schema: Any, required: bool, where: str, doc: Any, *, files: bool = False
        ) -> None:
            pname = py_name(key)
            while pname in used:
                pname += "_"
            used.add(pname)
            ann = self.typer.ann(
                schema, ctx + "".join(w.title() for w in pname.split("_")), files=files
            )
            params.append(
                ParamDef(
                    pname, key.removesuffix("[]"), ann, required, where, schema, trim_doc(doc, 300)
                )
            )

        spec_params = _parameters(self.spec, op)
        segments, _ = split_path(op.path)
        path_order = [s[1:-1] for s in segments if s.startswith("{")]
        by_name = {p["name"]: p for p in spec_params if p.get("in") == "path"}
        for pname in path_order:
            p = by_name.get(pname, {"schema": {"type": "string"}})
            add(pname, p.get("schema") or {"type": "string"}, True, "path", p.get("description"))
        for p in spec_params:
            if p.get("in") == "query":
                add(
                    p["name"],
                    p.get("schema") or {},
                    p.get("required") is True,
                    "query",
                    p.get("description"),
                )
            elif p.get("in") == "header":
                schema = p.get("schema") or {}
                key = p["name"]
                pname = schema.get("x-stainless-param") or key
                add(pname, schema, p.get("required") is True, "header", p.get("description"))
                params[-1].key = key
        body_kind, body_schema, _ = choose_body(self.spec, op)
        if body_kind is not None:
            props, required = object_properties(self.spec, body_schema)
            for key, ps in props.items():
                doc = ps.get("description") if isinstance(ps, dict) else None
                add(key, ps, key in required, "body", doc, files=body_kind == "multipart")
        result, result_type, accept, stream_type = self._result(op)
        stream_flag = self._stream_flag(params) if stream_type is not None else None
        if stream_type is not None and stream_flag is None:
            stream_type = None  # nothing in the request turns streaming on
        page_shape, item_type = self._paging(op, params, result_type)
        summary = op.op.get("summary") or ""
        description = op.op.get("description") or ""
        doc = trim_doc(description or summary, 500)
        if summary and description and not description.startswith(summary.rstrip(".")):
            doc = trim_doc(summary, 200).rstrip(".") + ". " + doc if doc else summary
        return OpDef(
            op=op,
            operation_id=op.operation_id,
            http_method=op.method.upper(),
            url=op.path,
            resource=resource,
            name=name,
            admin=admin,
            params=params,
            body_kind=body_kind,
            result=result,
            result_type=result_type,
            accept=accept,
            stream_type=stream_type,
            stream_flag=stream_flag,
            page_shape=page_shape,
            item_type=item_type,
            doc=doc,
            byte_stream=op.operation_id in BYTE_STREAMS and result == "binary",
            json_parts=self._json_parts(op) if body_kind == "multipart" else frozenset(),
        )

    @staticmethod
    def _json_parts(op: Operation) -> frozenset[str]:
        content = ((op.op.get("requestBody") or {}).get("content") or {}).get("multipart/form-data")
        encoding = (content or {}).get("encoding") or {}
        return frozenset(
            key
            for key, how in encoding.items()
            if isinstance(how, dict) and "json" in str(how.get("contentType", ""))
        )

    def _result(self, op: Operation) -> tuple[str, TypeRef | None, str | None, TypeRef | None]:
        content_types = [ct for ct, _ in op.success_schemas()]
        responses = op.op.get("responses") or {}
        for code in ("200", "201"):
            if code in responses:
                content_types = list((responses[code].get("content") or {}).keys())
                break
        types = self.resolver.operation_types.get(op.operation_id, {})
        stream_type = types.get("text/event-stream")
        if stream_type is None and op.operation_id in STREAM_EVENTS:
            stream_type = Ref(STREAM_EVENTS[op.operation_id])
        others = [ct for ct in content_types if ct != "text/event-stream"]
        if op.operation_id in BINARY_RESULTS:
            return "binary", None, None, stream_type
        if not others:
            return "none", None, None, stream_type
        if "json" not in others[0]:
            binary = [ct for ct in others if "json" not in ct]
            accept = None if binary == ["application/octet-stream"] else ", ".join(binary)
            return "binary", None, accept, stream_type
        return "json", types.get(others[0]), None, stream_type

    @staticmethod
    def _stream_flag(params: list[ParamDef]) -> tuple[str, object] | None:
        for p in params:
            if p.where in ("body", "query") and p.key == "stream":
                return ("stream", True)
        for p in params:
            if p.where == "body" and p.key == "stream_format" and '"sse"' in p.ann:
                return ("stream_format", "sse")
        return None

    def _paging(
        self, op: Operation, params: list[ParamDef], result_type: TypeRef | None
    ) -> tuple[str | None, TypeRef | None]:
        if op.method != "get" or not isinstance(result_type, Ref):
            return None, None
        cls = self.resolver.defs.get(result_type.name)
        if not isinstance(cls, ClassDef):
            return None, None
        fields = {f.key: f for f in cls.fields}
        data = fields.get("data")
        if data is None:
            return None, None
        t = data.type.inner if isinstance(data.type, Nullable) else data.type
        if not isinstance(t, ListOf):
            return None, None
        query = {p.key for p in params if p.where == "query"}
        if "page" in query:
            shape = "page"
        elif "next" in fields:
            shape = "next"
        elif "after" in query:
            shape = "cursor"
        else:
            shape = "single"
        return shape, t.item


def check_unique(ops: list[OpDef]) -> None:
    """Raise if two operations share one method (a naming-table mistake)."""
    seen: dict[tuple[str, str], str] = {}
    for op in ops:
        key = (op.resource, op.name)
        if key in seen:
            raise ValueError(
                f"{op.operation_id} and {seen[key]} both map to {op.resource}.{op.name}"
            )
        seen[key] = op.operation_id
        if op.stream_type is not None:
            skey = (op.resource, op.stream_name)
            if skey in seen:
                raise ValueError(f"{op.operation_id}: {op.resource}.{op.stream_name} is taken")
            seen[skey] = op.operation_id


__all__ = ["OpDef", "OperationBuilder", "ParamDef", "check_unique", "union_ann"]
