"""Python source of trio_openai/resources/: one class per resource, one method per operation.

Methods are thin: they build the path (each parameter quoted by ``_p``), the query, the
body, and make exactly one call to the client (``_request``, ``_stream``,
``_stream_bytes`` or ``_paginate``). Classes of one top-level area share a module
(`naming.module_of`); sub-resources are ``cached_property`` attributes, imported on first
access when their class lives in another module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from .emit import HEADER, doc_literal, quote
from .ir import ClassDef, Raw, Ref, Resolver, TypeRef, UnionDef
from .names import camel, snake
from .naming import (
    CASTS,
    HELPER_HOOKS,
    MIXINS,
    STREAM_HOOKS,
    STREAM_PARSE_HOOKS,
    HelperHook,
    module_of,
)
from .operations import OpDef, ParamDef
from .surface import render_areas, wrapper_classes, wrapper_properties
from .typenames import name_literals

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TYPING = ("Any", "Literal", "overload")
_ABC = ("Mapping", "Sequence")
_WRAPPER_SUFFIXES = ("WithRawResponse", "WithStreamingResponse")
_WRAPPERS = (
    ("to_raw_page_wrapper", "_to_raw_page"),
    ("to_raw_response_wrapper", "_to_raw"),
    ("to_streamed_page_wrapper", "_to_streamed_page"),
    ("to_streamed_response_wrapper", "_to_streamed"),
)


@attrs.define
class Node:
    path: tuple[str, ...]
    module: str
    cls: str = ""
    children: dict[str, Node] = attrs.field(factory=dict)
    ops: list[OpDef] = attrs.field(factory=list)


def build_tree(ops: list[OpDef]) -> dict[tuple[str, ...], Node]:
    nodes: dict[tuple[str, ...], Node] = {}
    for op in ops:
        path = tuple(op.resource.split("."))
        for size in range(1, len(path) + 1):
            sub = path[:size]
            if sub not in nodes:
                nodes[sub] = Node(sub, module_of(sub))
                if size > 1:
                    nodes[path[: size - 1]].children[sub[-1]] = nodes[sub]
        nodes[path].ops.append(op)
    taken: dict[str, set[str]] = {}
    for path in sorted(nodes, key=lambda p: (len(p), p)):
        node = nodes[path]
        used = taken.setdefault(node.module, set())
        name = "".join(camel(part) for part in path)  # the longest: unique in its module
        for size in range(1, len(path) + 1):
            short = "".join(camel(part) for part in path[-size:])
            if short not in used:
                name = short
                break
        used.add(name)
        node.cls = name
    return nodes


class ResourceWriter:
    """Writes one module of trio_openai/resources/."""

    def __init__(
        self, resolver: Resolver, modules: dict[str, str], params: set[str], name: str
    ) -> None:
        self.resolver = resolver
        self.modules = modules  # type name -> module in trio_openai.types
        self.param_names = params
        self.name = name
        self.types_used: set[str] = set()
        self.idents: set[str] = set()
        self.siblings: set[str] = set()
        self.mixins: set[str] = set()
        self.hook_types: set[tuple[str, str]] = set()  # (module, type) stream hooks return
        self.uses_strip = False

    # --- types -----------------------------------------------------------------------

    def _type(self, name: str) -> str:
        module = self.modules[name]
        self.types_used.add(module)
        return f"_t_{module}.{name}"

    def type_ann(self, t: TypeRef | None) -> str:
        if t is None:
            return "Any"
        if isinstance(t, Ref):
            return self._type(t.name)
        if isinstance(t, Raw):
            self._scan(t.ann)
            return t.ann
        return "Any"

    def decoder(self, t: TypeRef | None) -> str | None:
        if not isinstance(t, Ref):
            return None
        if t.name in CASTS:
            return f"_{CASTS[t.name]}"
        target = self.resolver.defs[t.name]
        if isinstance(target, ClassDef):
            return f"{self._type(t.name)}.from_dict"
        if isinstance(target, UnionDef) or self.resolver.needs_conversion(t):
            module = self.modules[t.name]
            self.types_used.add(module)
            return f"_t_{module}.decode_{snake(t.name)}"
        return None

    def _scan(self, ann: str) -> None:
        self.idents.update(_IDENT.findall(ann))

    # --- methods ---------------------------------------------------------------------

    def _signature(
        self,
        op: OpDef,
        name: str,
        ret: str,
        *,
        is_async: bool,
        flag: str | None = None,
        stub: bool = False,
    ) -> Iterator[str]:
        """The ``def`` line to the colon; `flag` is an extra keyword-only parameter (the
        streaming flag of an overload) and `stub` makes the body ``...`` (an overload)."""
        params = op.signature_params()
        path = op.path_params
        yield f"    {'async def' if is_async else 'def'} {name}("
        yield "        self,"
        if path:
            last = path[-1]
            self._scan(last.ann)
            yield f"        {last.name}: {last.ann},"
        keyword_only = [p for p in params if not (path and p is path[-1])]
        if keyword_only or flag:
            yield "        *,"
        for p in keyword_only:
            ann = name_literals(p.ann, self.resolver, self._type)  # named enums, not inlined
            self._scan(ann)
            if p.required:
                yield f"        {p.name}: {ann},"
            else:
                yield f"        {p.name}: {ann} | Omit = omit,"
        if flag:
            yield f"        {flag},"
        yield "        **options: Unpack[CallOptions],"
        end = " ..." if stub else ""
        yield f"    ) -> {ret}:{end}"

    @staticmethod
    def _url(op: OpDef) -> str:
        def param(match: re.Match[str]) -> str:
            key = match.group(1)
            p = next(p for p in op.path_params if p.key == key)
            return f"{{_p('{p.key}', {p.name})}}"

        url = re.sub(r"\{([^}]+)\}", param, op.url.partition("?")[0])
        return f'f"{url}"' if op.path_params else quote(url)

    @staticmethod
    def _mapping(
        params: list[ParamDef],
        flag: tuple[str, str] | None = None,
        json_parts: frozenset[str] = frozenset(),
        part_types: dict[str, str] | None = None,
    ) -> list[str]:
        def value(p: ParamDef) -> str:
            if p.key in json_parts:
                return f"_json_part({p.name})"
            if part_types and p.key in part_types:
                return f"_typed_part({p.name}, {quote(part_types[p.key])})"
            return p.name

        lines = [f"{quote(p.key)}: {value(p)}," for p in params]
        if flag is not None:
            lines.insert(0, f"{quote(flag[0])}: {flag[1]},")
        return lines

    def _call_args(self, op: OpDef, *, flag_expr: str | None = None) -> list[str]:
        """The keyword arguments shared by every entry point (path, query, body, options).

        `flag_expr` is what to send as the streaming flag (``True``, or the ``stream``
        argument itself); without it the flag is not sent.
        """
        args: list[str] = []
        flag_param = op.flag_param
        flag = (flag_param.key, flag_expr) if flag_param and flag_expr else None
        query_flag = flag if flag_param and flag_param.where == "query" else None
        if query_flag is not None:
            flag = None
        query = [p for p in op.params if p.where == "query" and p is not flag_param]
        body = [p for p in op.signature_params() if p.where == "body"]
        headers = [p for p in op.params if p.where == "header"]
        # a query in the spec's path (`/responses?beta=true`) is sent as query parameters
        fixed = [pair.partition("=") for pair in op.url.partition("?")[2].split("&") if pair]
        if query or fixed or query_flag:
            args.append("query={")
            args += [f"    {quote(key)}: {quote(value)}," for key, _, value in fixed]
            args += ["    " + line for line in self._mapping(query, query_flag)]
            args.append("},")
        if op.body_kind == "multipart" and op.json_alternative:  # JSON unless a file is given
            args.append("**_json_unless_file({")
            args += ["    " + line for line in self._mapping(body, flag)]
            args.append("}),")
        elif op.body_kind == "multipart":
            args.append("multipart={")
            args += ["    " + line for line in self._mapping(body, flag, op.json_parts, op.part_types)]
            args.append("},")
        elif op.body_kind == "json":
            self.uses_strip = True
            if body or flag:
                args.append("body=_strip({")
                args += ["    " + line for line in self._mapping(body, flag)]
                args.append("}),")
            else:
                args.append("body={},")
        if headers or op.headers:
            pairs = ", ".join(
                [f"{quote(k)}: {quote(v)}" for k, v in op.headers.items()]
                + [f"{quote(p.key)}: {p.name}" for p in headers]
            )
            args.append(f"options=_with_headers(options, {{{pairs}}}),")
        else:
            args.append("options=options,")
        if op.admin:
            args.append("admin=True,")
        return args

    def method_source(self, op: OpDef) -> Iterator[str]:
        url = self._url(op)
        if op.page_shape is not None:
            item = self.type_ann(op.item_type)
            yield from self._signature(op, op.name, f"AsyncPaginator[{item}]", is_async=False)
            yield doc_literal(op.doc or f"{op.http_method} {op.url}", "        ")
            yield "        return self._client._paginate("
            yield f"            {url},"
            decode = self.decoder(op.item_type)
            if decode is not None:
                yield f"            decode_item={decode},"
            yield f"            shape={quote(op.page_shape)},"
            for arg in self._call_args(op):
                yield "            " + arg
            if op.http_method != "GET":
                yield f"            method={quote(op.http_method)},"
            yield "        )"
            return
        if op.result == "binary":
            ret = "BinaryResponseContent"
        elif op.result == "none":
            ret = "None"
        else:
            ret = self.type_ann(op.result_type)
        if op.variants is not None and None in op.variants.by_value.values():
            ret += " | str"
        if op.flag_param is not None:
            yield from self._streamable_source(op, url, ret)
        else:
            if op.variants is not None:  # one overload per variant the request may ask for
                yield from self._variant_overloads(op)
            yield from self._signature(op, op.name, ret, is_async=True)
            yield doc_literal(op.doc or f"{op.http_method} {op.url}", "        ")
            yield from self._request_call(op, url, None)
        if op.stream_type is not None:
            yield ""
            yield from self._stream_source(op, url)
        if op.byte_stream:
            yield ""
            yield from self._byte_stream_source(op, url)
        for hook in HELPER_HOOKS.get(op.operation_id, ()):
            yield ""
            yield from self._helper_source(op, hook)

    def _request_call(self, op: OpDef, url: str, flag_expr: str | None) -> Iterator[str]:
        yield "        return await self._client._request("
        yield f"            {quote(op.http_method)},"
        yield f"            {url},"
        for arg in self._call_args(op, flag_expr=flag_expr):
            yield "            " + arg
        if op.result == "binary":
            yield "            binary=True,"
            if op.accept:
                yield f'            headers={{"Accept": {quote(op.accept)}}},'
        elif op.result == "json":
            decode = self.decoder(op.result_type)
            if decode is not None and op.variants is not None:
                yield from self._variant_cast(op, decode)
            elif decode is not None:
                yield f"            cast={decode},"
        yield "        )"

    @staticmethod
    def _flag_value(op: OpDef) -> str:
        assert op.stream_flag is not None
        return repr(op.stream_flag[1])

    def _flag_anns(self, op: OpDef) -> tuple[str, str, str]:
        """(off, on, any) annotations of the streaming flag in the three overloads."""
        p = op.flag_param
        assert p is not None
        assert op.stream_flag is not None
        if p.key == "stream":
            nullable = " | None" if "None" in p.ann else ""
            return (
                f"Literal[False]{nullable} | Omit = omit",
                "Literal[True]",
                f"{p.ann} | Omit = omit",
            )
        self.idents.add("Literal")
        on = op.stream_flag[1]
        others = [v for v in re.findall(r'"([^"]+)"', p.ann) if v != on]
        off = "Literal[" + ", ".join(quote(v) for v in others) + "]"
        return f"{off} | Omit = omit", f"Literal[{quote(str(on))}]", f"{p.ann} | Omit = omit"

    def _streamable_source(self, op: OpDef, url: str, ret: str) -> Iterator[str]:
        """openai-python's ``create(..., stream=True)``: three overloads and one body."""
        p = op.flag_param
        assert p is not None
        self.idents.add("Literal")
        event = f"Stream[{self.type_ann(op.stream_type)}]"
        off, on, either = self._flag_anns(op)
        overloads = [(off, ret), (on, event), (either, f"{ret} | {event}")]
        if op.variants is not None:  # the plain result's overloads also type it by variant
            yield from self._variant_overloads(op, flag=f"{p.name}: {off}")
            overloads = overloads[1:]
        for flag_ann, returns in overloads:
            yield "    @overload"
            yield from self._signature(
                op, op.name, returns, is_async=True, flag=f"{p.name}: {flag_ann}", stub=True
            )
        yield from self._signature(
            op, op.name, f"{ret} | {event}", is_async=True, flag=f"{p.name}: {either}"
        )
        on_value = self._flag_value(op)
        doc = (op.doc or f"{op.http_method} {op.url}") + (
            f" With ``{p.name}={on_value}`` the result is a `Stream` of events, sent "
            f"when its block opens: ``async with await client.{op.resource}.{op.name}"
            f"(..., {p.name}={on_value}) as stream``, then ``async for event in stream``."
        )
        yield doc_literal(doc, "        ")
        test = f"{p.name} is True" if on_value == "True" else f"{p.name} == {on_value}"
        yield f"        if {test}:"
        yield "            return self._client._stream("
        yield f"                {quote(op.http_method)},"
        yield f"                {url},"
        for arg in self._call_args(op, flag_expr=p.name):
            yield "                " + arg
        yield f"                decode={self.decoder(op.stream_type) or '_identity'},"
        line = (
            f"async with await client.{op.resource}.{op.name}(..., {p.name}={on_value}) as stream:"
        )
        yield f"                usage={quote(line)},"
        yield "            )"
        yield from self._request_call(op, url, p.name)


    def _variant_overloads(self, op: OpDef, flag: str | None = None) -> Iterator[str]:
        """``@overload``s typing the result by the value of the variant parameter, then
        one for any value (the union)."""
        assert op.variants is not None
        groups: dict[str, list[str]] = {}  # return annotation -> values
        for value, variant in op.variants.by_value.items():
            groups.setdefault(self._type(variant) if variant else "str", []).append(value)
        name = op.variants.param
        for ret, values in groups.items():
            literal = f"Literal[{', '.join(quote(v) for v in values)}]"
            line = f"        {name}: {literal}"
            line += " | Omit = omit," if op.variants.default in values else ","
            yield "    @overload"
            for text in self._signature(op, op.name, ret, is_async=True, flag=flag):
                yield line if text.startswith(f"        {name}: ") else text
            yield "        ..."
            yield ""
        union = self.type_ann(op.result_type) + (" | str" if "str" in groups else "")
        yield "    @overload"
        yield from self._signature(op, op.name, union, is_async=True, flag=flag)
        yield "        ..."
        yield ""

    def _variant_cast(self, op: OpDef, fallback: str) -> Iterator[str]:
        """The decoding of a result whose variant the request picks (`_result_variant`)."""
        assert op.variants is not None
        indent = " " * 12
        yield f"{indent}**_result_variant("
        yield f"{indent}    {op.variants.param},"
        yield f"{indent}    {{"
        for value, variant in op.variants.by_value.items():
            decode = self.decoder(Ref(variant)) if variant else None
            yield f"{indent}        {quote(value)}: {decode},"
        yield f"{indent}    }},"
        yield f"{indent}    {quote(op.variants.default) if op.variants.default else None},"
        yield f"{indent}    {fallback},"
        yield f"{indent}),"

    def _hooked_stream_source(self, op: OpDef) -> Iterator[str]:
        mixin = MIXINS.get(op.resource)
        if mixin is None:
            raise ValueError(f"{op.operation_id} is in STREAM_HOOKS but {op.resource} has no mixin")
        module, returns = STREAM_HOOKS[op.operation_id]
        self.hook_types.add((".." + module.removeprefix("trio_openai."), returns))
        if op.operation_id in STREAM_PARSE_HOOKS:
            yield from self._parse_stream_signatures(op, returns)
        else:
            yield from self._signature(op, op.stream_name, returns, is_async=False)
        doc = (
            f"Like ``{op.name}()``, streamed: ``async with client.{op.resource}."
            f"{op.stream_name}(...) as stream``, then ``async for event in stream`` (see "
            f"`{mixin}._open_stream`). The request is sent when the block opens; the "
            "connection is released when it ends."
        )
        yield doc_literal(doc, "        ")
        body = [p for p in op.signature_params() if p.where == "body"]
        self.uses_strip = True
        yield "        _body = _strip({"
        assert op.stream_flag is not None
        lines = self._mapping(body, (op.stream_flag[0], self._flag_value(op)))
        parse = STREAM_PARSE_HOOKS.get(op.operation_id)
        if parse is not None and all(p.name != parse[0] for p in body):
            lines.append(f"{quote(parse[0])}: {parse[0]},")  # for the hook to take out
        for line in lines:
            yield f"            {line}"
        yield "        })"
        yield "        return self._open_stream(_body, options)"

    def _parse_stream_signatures(self, op: OpDef, plain: str) -> Iterator[str]:
        """`STREAM_PARSE_HOOKS`: an overload with the type to parse into, one without (the
        plain signature), then the implementation's signature taking either."""
        param, module, parsed = STREAM_PARSE_HOOKS[op.operation_id]
        self.hook_types.add((".." + module.removeprefix("trio_openai."), parsed))
        self.hook_types.add(("..lib._tools", "FunctionTool"))
        lines = list(self._signature(op, op.stream_name, plain, is_async=False))
        given = f"        {param}: "
        if not any(line.startswith(given) for line in lines):  # a parameter of its own
            at = lines.index("        *,") + 1
            lines.insert(at, f"{given}Omit = omit,")

        def widened(line: str) -> str:  # `tools` takes FunctionTools, as in parse()
            if line.startswith("        tools: "):
                return line.replace("Sequence[", "Sequence[FunctionTool[Any] | ", 1)
            return line

        yield "    @overload"
        for line in lines:
            if line.startswith(given):
                continue
            line = widened(line)
            if line.startswith("    ) -> "):
                line = f"    ) -> {parsed}[_T]: ..."
            yield line
            if line == "        *,":
                yield f"{given}type[_T],"
        yield ""
        yield "    @overload"
        for line in lines:
            if line == f"{given}Omit = omit,":
                continue  # the plain overload as it was without the helper's parameter
            yield line.replace(":", ": ...") if line.startswith("    ) -> ") else line
        yield ""
        for line in lines:
            if line.startswith(given):  # type[_T] | (what it took) | Omit = omit
                line = f"{given}type[_T] | {line.removeprefix(given)}"
            if line.startswith("    ) -> "):
                line = f"    ) -> {plain} | {parsed}[_T]:"
            yield widened(line)

    def _stream_source(self, op: OpDef, url: str) -> Iterator[str]:
        if op.operation_id in STREAM_HOOKS:
            yield from self._hooked_stream_source(op)
            return
        event = self.type_ann(op.stream_type)
        yield from self._signature(op, op.stream_name, f"Stream[{event}]", is_async=False)
        doc = (
            f"Like ``{op.name}()``, with the answer streamed as server-sent events: "
            f"``async with client.{op.resource}.{op.stream_name}(...) as stream``, then "
            "``async for event in stream``. The request is sent when the block opens; the "
            "connection is released when it ends."
        )
        yield doc_literal(doc, "        ")
        decode = self.decoder(op.stream_type) or "_identity"
        yield "        return self._client._stream("
        yield f"            {quote(op.http_method)},"
        yield f"            {url},"
        for arg in self._call_args(op, flag_expr=self._flag_value(op)):
            yield "            " + arg
        yield f"            decode={decode},"
        line = f"async with client.{op.resource}.{op.stream_name}(...) as stream:"
        yield f"            usage={quote(line)},"
        yield "        )"

    def _helper_source(self, op: OpDef, hook: HelperHook) -> Iterator[str]:
        """A helper of `naming.HELPER_HOOKS`: the operation's body parameters, typed as in
        ``create``, handed to the mixin's hook as the request body."""
        if MIXINS.get(op.resource) is None:
            raise ValueError(f"{op.operation_id} is in HELPER_HOOKS but {op.resource} has no mixin")
        self.hook_types.update(hook.imports)
        retype = dict(hook.retype)
        params = [p for p in op.signature_params() if p.where == "body" and p.key not in hook.drop]
        yield f"    async def {hook.name}("
        yield "        self,"
        yield "        *,"
        for line in hook.first:
            yield f"        {line},"
        for p in params:
            ann = name_literals(p.ann, self.resolver, self._type)
            self._scan(ann)
            if p.key in retype:  # its items widened: `tools` takes FunctionTools
                ann = ann.replace("Sequence[", f"Sequence[{retype[p.key]} | ", 1)
            if p.required or p.key in hook.require:
                yield f"        {p.name}: {ann},"
            else:
                yield f"        {p.name}: {ann} | Omit = omit,"
        for line in hook.last:
            yield f"        {line},"
        yield "        **options: Unpack[CallOptions],"
        yield f"    ) -> {hook.returns}:"
        yield doc_literal(hook.doc, "        ")
        self.uses_strip = True
        yield "        _body = _strip({"
        for line in self._mapping(params):
            yield f"            {line}"
        yield "        })"
        yield f"        return await self.{hook.hook}({hook.call})"

    def _byte_stream_source(self, op: OpDef, url: str) -> Iterator[str]:
        yield from self._signature(op, "stream_content", "ByteStream", is_async=False)
        doc = (
            f"Like ``{op.name}()``, with the body read as it arrives: ``async with "
            f"client.{op.resource}.stream_content(...) as content``, then ``async for chunk "
            "in content`` (or ``await content.write_to_file(path)``)."
        )
        yield doc_literal(doc, "        ")
        yield "        return self._client._stream_bytes("
        yield f"            {quote(op.http_method)},"
        yield f"            {url},"
        for arg in self._call_args(op):
            yield "            " + arg
        yield "        )"

    # --- classes and the module ------------------------------------------------------

    def class_source(self, node: Node) -> Iterator[str]:
        mixin = MIXINS.get(".".join(node.path))
        if mixin is not None:
            self.mixins.add(mixin)
            yield f"class {node.cls}({mixin}, Resource):"
        else:
            yield f"class {node.cls}(Resource):"
        yield doc_literal(f"``client.{'.'.join(node.path)}``", "    ")
        yield ""
        yield f"    _path = {quote('.'.join(node.path))}"
        yield from wrapper_properties(node)
        child_type: dict[str, str] = {}
        for attr, child in sorted(node.children.items()):
            yield ""
            yield "    @cached_property"
            if child.module == self.name:
                child_type[attr] = child.cls
                yield f"    def {attr}(self) -> {child.cls}:"
                yield doc_literal(f"``client.{'.'.join(child.path)}``", "        ")
                yield f"        return {child.cls}(self._client)"
            else:
                self.siblings.add(child.module)
                child_type[attr] = f"_r_{child.module}.{child.cls}"
                yield f"    def {attr}(self) -> _r_{child.module}.{child.cls}:"
                yield doc_literal(f"``client.{'.'.join(child.path)}``", "        ")
                yield f"        from .{child.module} import {child.cls}"
                yield ""
                yield f"        return {child.cls}(self._client)"
        for op in node.ops:
            yield ""
            yield from self.method_source(op)
        yield from wrapper_classes(node, child_type)

    def source(self, nodes: list[Node]) -> str:
        blocks = ["\n".join(self.class_source(n)) for n in nodes]
        body = "\n\n\n".join(blocks)
        paths = {n.path for n in nodes}
        tops = sorted(".".join(n.path) for n in nodes if n.path[:-1] not in paths)
        head = [
            HEADER,
            doc_literal(
                f"Resources of the OpenAI API: {', '.join(f'``client.{t}``' for t in tops)}.", ""
            ),
            "",
            "# pyright: reportPrivateUsage=false",
            "# (resources are the client's own callers: _request, _stream, _paginate)",
            "",
            "from __future__ import annotations",
            "",
        ]
        abc = [n for n in _ABC if n in self.idents]
        if abc:
            head.append(f"from collections.abc import {', '.join(abc)}")
        if "cached_property" in body:
            head.append("from functools import cached_property")
        used = {n for n in _TYPING if n in self.idents or re.search(rf"\b{n}\b", body)}
        if "decode=_identity," in body:
            used.add("Any")
        if "@overload" in body:
            used.add("overload")
        if "Unpack[" in body:
            used.add("Unpack")
        if re.search(r"\b_T\b", body):
            used.add("TypeVar")
        typing = ["TYPE_CHECKING", *sorted(used)]
        head.append(f"from typing import {', '.join(typing)}")
        head.append("")
        names = [n for n in ("CallOptions", "Omit", "omit") if re.search(rf"\b{n}\b", body)]
        if names:
            head.append(f"from .._types import {', '.join(names)}")
        if self.uses_strip and "_strip(" in body:
            head.append("from .._types import strip_omitted as _strip")
        base = ["Resource"]
        if "lazy_types" in body or self.types_used:
            base.append("lazy_types")
        if "_json_part(" in body:
            base.append("json_part as _json_part")
        if "_typed_part(" in body:
            base.append("typed_part as _typed_part")
        if "_json_unless_file(" in body:
            base.append("json_unless_file as _json_unless_file")
        if "_p(" in body:
            base.append("path_param as _p")
        if "_result_variant(" in body:
            base.append("result_variant as _result_variant")
        if "_with_headers(" in body:
            base.append("with_headers as _with_headers")
        for cast in sorted(set(CASTS.values())):
            if re.search(rf"\b_{cast}\b", body):
                base.append(f"{cast} as _{cast}")
        head.append(f"from ._base import {', '.join(base)}")
        if self.mixins:
            head.append(f"from ._extras import {', '.join(sorted(self.mixins))}")
        wrappers = [w for w in _WRAPPERS if f"{w[1]}(" in body]
        if wrappers:
            head.append("from .._response import (")
            head += [f"    {fn} as {alias}," for fn, alias in wrappers]
            head.append(")")
        head.append("")
        head.append("if TYPE_CHECKING:")
        for module, returns in sorted(self.hook_types):
            head.append(f"    from {module} import {returns}")
        if "FileInput" in self.idents:
            head.append("    from .._multipart import FileInput")
        if "BinaryResponseContent" in body:
            head.append("    from .._binary import BinaryResponseContent")
        if "AsyncPaginator[" in body:
            head.append("    from .._pagination import AsyncPaginator")
        streams = [n for n in ("ByteStream", "Stream") if re.search(rf"\b{n}\b", body)]
        if streams:
            head.append(f"    from .._streaming import {', '.join(streams)}")
        for module in sorted(self.types_used):
            head.append(f"    from ..types import {module} as _t_{module}")
        params = sorted(self.idents & self.param_names)
        if params:
            head.append("    from ..types.params import (")
            head += [f"        {n}," for n in params]
            head.append("    )")
        for module in sorted(self.siblings):
            head.append(f"    from . import {module} as _r_{module}")
        if self.types_used:
            head.append("else:")
            for module in sorted(self.types_used):
                head.append(
                    f"    _t_{module} = lazy_types(globals(), {quote('_t_' + module)}, {quote(module)})"
                )
        if "decode=_identity," in body:
            head += ["", "", "def _identity(value: Any) -> Any:", "    return value"]
        if "TypeVar" in used:
            head += ["", '_T = TypeVar("_T")  # the type a structured-output helper parses into']
        names = sorted(f"{n.cls}{suffix}" for n in nodes for suffix in ("", *_WRAPPER_SUFFIXES))
        head += ["", "__all__ = [", *(f"    {quote(n)}," for n in names), "]"]
        return "\n".join(head) + "\n\n\n" + body + "\n"


def render_resources(
    ops: list[OpDef], resolver: Resolver, modules: dict[str, str], params: set[str]
) -> dict[str, str]:
    """{file name in resources/: source}, the registry included."""
    nodes = build_tree(ops)
    by_module: dict[str, list[Node]] = {}
    for path in sorted(nodes):
        by_module.setdefault(nodes[path].module, []).append(nodes[path])
    files: dict[str, str] = {}
    for module in sorted(by_module):
        writer = ResourceWriter(resolver, modules, params, module)
        files[f"{module}.py"] = writer.source(by_module[module])
    tops = sorted(path for path in nodes if len(path) == 1)
    lines = [
        HEADER,
        '"""The top-level attributes of the client: name -> (module, class) in this package."""',
        "",
        "from __future__ import annotations",
        "",
        "RESOURCES: dict[str, tuple[str, str]] = {",
        *(f"    {quote(p[0])}: ({quote(nodes[p].module)}, {quote(nodes[p].cls)})," for p in tops),
        "}",
        "",
        f"OPERATION_COUNT = {len(ops)}",
    ]
    files["_registry.py"] = "\n".join(lines) + "\n"
    files["__init__.py"] = render_areas([nodes[p] for p in tops])
    return files
