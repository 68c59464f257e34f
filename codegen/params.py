"""Request-side types: annotations for method parameters and TypedDicts for request objects.

Responses decode into attrs models (`ir`); requests are what the user writes, so their
nested objects are TypedDicts (``{"type": "message", "role": "user", ...}`` type-checks
against ``EasyInputMessageParam``) and their unions are type aliases. Every object schema
reachable from a request body or a query parameter gets one TypedDict in
``trio_openai/types/params.py``, named after its component (``ReasoningParam``) or, when
inline, after where it was found (``CreateFileRequestExpiresAfterParam``). That module is
only imported by type checkers: the resources refer to it under ``TYPE_CHECKING``.

Simplifications, each keeping annotations short without rejecting valid input:
``str`` absorbs string literals (model names are ``str | Literal[...]`` in the spec),
``object`` absorbs everything, and arrays are ``Sequence[...]``.
"""

# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownArgumentType=false
# (this walks the spec: untyped JSON, checked by shape at each step)

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from .component_names import NUMBERED, param_name_of
from .ir import literal
from .names import camel, class_name, trim_doc
from .param_shapes import (
    has_binary,
    has_shape,
    has_union,
    is_object_schema,
    makes_inline_class,
    object_properties,
    shape_key,
    sole_object,
    split_union,
    union_ann,
)
from .spec import Spec, is_constraint_only, is_null, ref_name

_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
PARAMS_MODULE = "params"

# Request unions that also take the result models users send back: a multi-turn loop
# writes ``input=[*history, *response.output]`` and ``messages=[..., choice.message]``.
# At run time a model is sent as its ``to_dict()`` (the JSON the server sent), which the
# API takes as an input item; these members say so to the type checker.
# alias in params.py -> the model (union) names it also accepts
ACCEPTS_RESULTS: dict[str, tuple[str, ...]] = {
    "InputItemParam": ("OutputItem", "ItemField"),
    "BetaInputItemParam": ("BetaOutputItem", "BetaItemField"),
    "ChatCompletionRequestMessageParam": ("ChatCompletionResponseMessage",),
}


@attrs.define
class ParamField:
    key: str
    ann: str
    required: bool


@attrs.define
class ParamClass:
    name: str
    doc: str
    fields: list[ParamField]


@attrs.define
class ParamAlias:
    name: str
    doc: str
    ann: str


def _fields(c: ParamClass) -> list[tuple[str, str, bool]]:
    return sorted((f.key, f.ann, f.required) for f in c.fields)



class ParamTyper:
    """Annotations of request values; collects the TypedDicts and aliases they name."""

    def __init__(self, spec: Spec, model_names: Mapping[str, str] | None = None) -> None:
        self.spec = spec
        # The models' names of the components (`component_names`): a component the spec
        # numbers (`ImageRefParam-2`) takes its model's readable name, not `...2Param`.
        self._model_names = model_names or {}
        self.classes: dict[str, ParamClass] = {}
        self.aliases: dict[str, ParamAlias] = {}
        self._component_names: dict[str, str] = {}
        self._component_anns: dict[str, str] = {}
        self._taken: set[str] = set()
        self._inline: dict[int, str] = {}
        self._result_modules: set[str] = set()  # model modules `accept_results` names

    def accept_results(self, modules: Mapping[str, str]) -> None:
        """Widen the unions of `ACCEPTS_RESULTS` by their result models (`modules`: model
        name -> its module in types/)."""
        for name, models in ACCEPTS_RESULTS.items():
            alias = self.aliases.get(name)
            found = [m for m in models if m in modules]
            if alias is None or not found:
                continue
            self._result_modules.update(modules[m] for m in found)
            alias.ann = " | ".join([alias.ann, *(f"_{modules[m]}.{m}" for m in found)])

    def _unique(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self._taken:
            n += 1
            candidate = f"{name}{n}"
        self._taken.add(candidate)
        return candidate

    def _merge_class(self, name: str, base: str) -> str:
        """`base` when the class just made as `name` has `base`'s fields (keys, annotations,
        required): the spec repeats a few objects that differ only in prose and length
        limits (`ProgramToolCallCaller` / `ProgramToolCallCallerParam`, the two realtime
        `client_secrets.create` bodies' `expires_after`), and one shape is one name."""
        other = self.classes.get(base)
        if name == base or other is None or _fields(other) != _fields(self.classes[name]):
            return name
        if self._mentioned(name):  # recursive: something already points at it
            return name
        del self.classes[name]
        self._taken.discard(name)
        return base

    def _merge_alias(self, name: str, base: str) -> str:
        """As `_merge_class`, for a union alias whose members came out the same."""
        other = self.aliases.get(base)
        if name == base or other is None or other.ann != self.aliases[name].ann:
            return name
        if self._mentioned(name):
            return name
        del self.aliases[name]
        self._taken.discard(name)
        return base

    def _mentioned(self, name: str) -> bool:
        word = re.compile(rf"\b{re.escape(name)}\b")
        anns = [f.ann for c in self.classes.values() for f in c.fields]
        anns += [a.ann for a in self.aliases.values() if a.name != name]
        return any(word.search(ann) for ann in anns)

    def _twin_of(self, comp: str, base: str, schema: Any) -> str | None:
        """The TypedDict already named `base` when it was made from a component of the same
        schema (less the prose), so the spec's repeats such as `ImageRefParam` /
        `ImageRefParam-2` give one public name. Pairs of other fields are told apart by
        `PARAM_NAMES`; pairs that differ only in limits are merged by `_merge_class`."""
        if base not in self._taken:
            return None
        for other, name in self._component_names.items():
            same = name == base and other != comp
            if same and shape_key(self.spec, self.spec.schema(other)) == shape_key(self.spec, schema):
                return name
        return None

    @staticmethod
    def _param_name(base: str) -> str:
        return base if base.endswith("Param") else base + "Param"

    # --- entry points ----------------------------------------------------------------

    def ann(self, schema: Any, ctx: str, *, files: bool = False) -> str:
        """The annotation of a value of `schema`; `ctx` names inline objects."""
        if not isinstance(schema, dict) or not schema:
            return "object"
        comp = ref_name(schema)
        if comp is not None:
            t = self._component(comp, files)
            return union_ann([t, "None"]) if schema.get("nullable") is True else t
        memo = self._inline.get(id(schema))
        if memo is not None and not files:
            return memo
        nullable = schema.get("nullable") is True
        types = schema.get("type")
        if isinstance(types, list):
            nullable = nullable or "null" in types
            types = [t for t in types if t != "null"]
            types = types[0] if len(types) == 1 else (types or None)
        if isinstance(schema.get("enum"), list) and None in schema["enum"]:
            nullable = True
        t = self._shape(schema, types, ctx, files)
        if nullable:
            t = union_ann([t, "None"])
        if not files:
            self._inline[id(schema)] = t
        return t

    # --- components ------------------------------------------------------------------

    def _component(self, comp: str, files: bool) -> str:
        schema = self.spec.schema(comp)
        if files and not is_object_schema(self.spec, schema) and has_binary(self.spec, schema):
            return self.ann(schema, class_name(comp), files=True)  # a file upload: inline
        known = self._component_anns.get(comp)
        if known is not None:
            return known
        if comp in self._component_names:  # recursive: the name is already reserved
            return self._component_names[comp]
        numbered = NUMBERED.match(comp)
        readable = self._model_names.get(comp) if numbered else None
        base = self._param_name(param_name_of(comp) or readable or class_name(comp))
        if is_object_schema(self.spec, schema):
            stem = self._param_name(class_name(numbered[1])) if numbered else base
            twin = self._twin_of(comp, stem, schema) or self._twin_of(comp, base, schema)
            if twin is not None:  # `ImageRefParam` and `ImageRefParam-2`: one type
                self._component_anns[comp] = twin
                return twin
            name = self._unique(base)
            self._component_names[comp] = name
            name = self._merge_class(self._class(schema, name), base)
            self._component_names[comp] = self._component_anns[comp] = name
            return name
        member = sole_object(self.spec, schema)
        if member is not None:  # `anyOf: [{object}, null]`: the object's TypedDict, `| None` at use
            name = self._unique(base)
            self._component_names[comp] = name
            self._class(member, name)
            t = self._component_anns[comp] = union_ann([name, "None"])
            return t
        if has_union(schema):
            name = self._unique(base)
            self._component_names[comp] = name
            t = self.ann(schema, base.removesuffix("Param"), files=False)
            if split_union(t) == [name]:  # a union of itself only
                t = "object"
            self.aliases[name] = ParamAlias(name, trim_doc(schema.get("description"), 200), t)
            name = self._merge_alias(name, base)
            self._component_names[comp] = self._component_anns[comp] = name
            return name
        t = self.ann(schema, class_name(comp))
        self._component_anns[comp] = t
        return t

    # --- shapes ----------------------------------------------------------------------

    def _shape(self, s: dict[str, Any], types: Any, ctx: str, files: bool) -> str:
        for key in ("oneOf", "anyOf"):
            members = s.get(key)
            if isinstance(members, list):
                members = [m for m in members if not is_constraint_only(m)]
                if members:
                    values = [m for m in members if not is_null(m)]
                    anns = ["None"] if len(values) < len(members) else []
                    for i, m in enumerate(values):
                        suffix = self._suffix(m, i, values)
                        anns.append(self.ann(m, ctx + suffix, files=files))
                    return union_ann(anns)
        if isinstance(s.get("allOf"), list):
            parts = [p for p in s["allOf"] if has_shape(p)]
            if len(parts) == 1 and "properties" not in s:
                t = self.ann(parts[0], ctx, files=files)
                if any(isinstance(p, dict) and p.get("nullable") is True for p in s["allOf"]):
                    t = union_ann([t, "None"])
                return t
            if is_object_schema(self.spec, s):
                return self._inline_class(s, ctx)
            return "object"
        if "const" in s:
            return literal([s["const"]])
        if isinstance(s.get("enum"), list):
            values = [v for v in s["enum"] if v is not None]
            return literal(values) if values else "None"
        if types == "array" or (types is None and "items" in s):
            item = self.ann(s.get("items"), ctx + "Item", files=files)
            return f"Sequence[{item}]"
        if types == "object" or "properties" in s or "additionalProperties" in s:
            if isinstance(s.get("properties"), dict) and s["properties"]:
                return self._inline_class(s, ctx)
            extra = s.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return f"Mapping[str, {self.ann(extra, ctx + 'Value', files=files)}]"
            return "Mapping[str, object]"
        if types == "string" and s.get("format") == "binary":
            return "FileInput" if files else "str"
        if isinstance(types, str):
            return _SCALARS.get(types, "object")
        if isinstance(types, list):
            return union_ann([_SCALARS.get(t, "object") for t in types])
        return "object"

    def _inline_class(self, schema: dict[str, Any], ctx: str) -> str:
        base = self._param_name(ctx)
        return self._merge_class(self._class(schema, self._unique(base)), base)

    def _suffix(self, member: Any, index: int, members: list[Any]) -> str:
        """What tells an inline member of a union apart in the names of the request types
        made from it: its tag (``type``/``role``/``object``), else its title; where it is the
        only member that makes a request type at all, ``Object`` for an object (the union's
        own alias holds the bare name) and nothing for an array of them. A number is the
        last resort, and tests/test_naming.py fails on it."""
        if len(members) == 1:
            return ""
        if isinstance(member, dict) and ref_name(member) is None:
            props = member.get("properties") or {}
            for key in ("type", "role", "object"):
                tag = (props.get(key) or {}) if isinstance(props, dict) else {}
                if isinstance(tag, dict):
                    values = tag.get("enum") or ([tag["const"]] if "const" in tag else [])
                    if len(values) == 1 and isinstance(values[0], str):
                        return camel(values[0])
            if member.get("title"):
                return camel(str(member["title"]))
            naming = [m for m in members if makes_inline_class(m)]
            if naming == [member]:
                return "Object" if "properties" in member else ""
        return f"Variant{index + 1}"

    def _class(self, schema: dict[str, Any], name: str) -> str:
        cls = ParamClass(name, trim_doc(schema.get("description") or schema.get("title"), 200), [])
        self.classes[name] = cls
        props, required = object_properties(self.spec, schema)
        ctx = name.removesuffix("Param")
        for key, ps in props.items():
            t = self.ann(ps, ctx + camel(key))
            cls.fields.append(ParamField(key, t, key in required))
        return name

    # --- source ----------------------------------------------------------------------

    def source(self, header: str) -> str:
        lines = [
            header,
            '"""Request parameter types: TypedDicts of the request objects, aliases of their unions.',
            "",
            "Only annotations: the API methods take plain dicts and lists, and the result models a",
            "multi-turn loop sends back (``response.output`` items, ``choice.message``). Import this",
            "module in type-checked code (``from trio_openai.types.params import ReasoningParam``).",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            "from collections.abc import Mapping, Sequence",
            "from typing import TYPE_CHECKING, Literal, Required, TypeAlias, TypedDict",
            "",
            "if TYPE_CHECKING:",
            "    from .._multipart import FileInput",
            "",
            "__all__ = [",
            *(f'    "{n}",' for n in sorted([*self.classes, *self.aliases])),
            "]",
        ]
        blocks = [list(self._alias_source(self.aliases[n])) for n in sorted(self.aliases)]
        blocks += [list(self._class_source(self.classes[n])) for n in sorted(self.classes)]
        body = "\n\n\n".join("\n".join(b) for b in blocks)
        if self._result_modules:
            at = lines.index("    from .._multipart import FileInput") + 1
            lines[at:at] = [f"    from . import {m} as _{m}" for m in sorted(self._result_modules)]
        if "FileInput" not in body and self._result_modules:
            lines.remove("    from .._multipart import FileInput")
        elif "FileInput" not in body:  # no request object of the spec holds a file (today)
            lines = [line for line in lines if "FileInput" not in line and line != "if TYPE_CHECKING:"]
            lines[lines.index("from typing import TYPE_CHECKING, Literal, Required, TypeAlias, TypedDict")] = (
                "from typing import Literal, Required, TypeAlias, TypedDict"
            )
        return "\n".join(lines) + "\n\n\n" + body + "\n"

    @staticmethod
    def _alias_source(a: ParamAlias) -> Iterator[str]:
        from .emit import doc_literal, quote

        yield f"{a.name}: TypeAlias = {quote(a.ann)}"
        if a.doc:
            yield doc_literal(a.doc, "")

    @staticmethod
    def _class_source(c: ParamClass) -> Iterator[str]:
        from .emit import doc_literal, quote

        def field_ann(f: ParamField) -> str:
            return f"Required[{f.ann}]" if f.required else f.ann

        if all(f.key.isidentifier() and not keyword.iskeyword(f.key) for f in c.fields):
            yield f"class {c.name}(TypedDict, total=False):"
            if c.doc:
                yield doc_literal(c.doc, "    ")
                if c.fields:
                    yield ""
            for f in c.fields:
                yield f"    {f.key}: {field_ann(f)}"
            if not c.fields and not c.doc:
                yield "    pass"
            return
        # keys that are not identifiers (`from`, `self-harm`...): the functional form
        yield f"{c.name} = TypedDict("
        yield f"    {quote(c.name)},"
        yield "    {"
        for f in c.fields:  # Required[...] outside the string, so that it counts at runtime
            ann = f"Required[{quote(f.ann)}]" if f.required else quote(f.ann)
            yield f"        {quote(f.key)}: {ann},"
        yield "    },"
        yield "    total=False,"
        yield ")"
        if c.doc:
            yield doc_literal(c.doc, "")
