"""From JSON schemas to an intermediate form: classes, unions and aliases.

A field's type is a small tree (`TypeRef`): `Raw` values need no conversion (strings,
numbers, literals, `Any`), `Ref` names a generated class, union or alias, and `ListOf`,
`MapOf`, `Nullable`, `Either` combine them. The emitter turns a tree into an annotation
and, when something inside is a model, into a conversion call.
"""

# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownArgumentType=false
# (this walks the spec: untyped JSON, checked by shape at each step)

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

import attrs

from .component_names import ComponentNamer, unique_name
from .names import attr_name, camel, class_name, singular, trim_doc
from .naming import COMPUTED
from .spec import Spec, is_constraint_only, is_null, ref_name


@attrs.frozen
class Raw:
    ann: str  # kept as decoded: scalars, literals, Any, plain dicts


@attrs.frozen
class Ref:
    name: str  # a ClassDef, UnionDef or AliasDef


@attrs.frozen
class ListOf:
    item: TypeRef


@attrs.frozen
class MapOf:
    value: TypeRef


@attrs.frozen
class Nullable:
    inner: TypeRef


@attrs.frozen
class Either:
    members: tuple[TypeRef, ...]  # a union that needs no decoding


TypeRef: TypeAlias = Raw | Ref | ListOf | MapOf | Nullable | Either

ANY = Raw("Any")
_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}


@attrs.define
class FieldDef:
    attr: str
    key: str
    type: TypeRef
    required: bool
    doc: str
    tags: tuple[str, ...]  # the literal values, when the field is a string enum/const


@attrs.define
class ClassDef:
    name: str
    doc: str
    home: str
    fields: list[FieldDef]
    computed: list[str] = attrs.field(factory=list)  # SDK-only keys, see naming.COMPUTED


@attrs.define
class VariantDef:
    target: str  # ClassDef (or nested UnionDef) name
    tags: tuple[str, ...]


@attrs.define
class UnionDef:
    name: str
    doc: str
    home: str
    prop: str | None
    variants: list[VariantDef]
    members: list[TypeRef]  # for the annotation
    scalars: bool  # non-object values are kept as they are
    list_item: TypeRef | None  # how to decode a list value, if a member is a list


@attrs.define
class AliasDef:
    name: str
    doc: str
    home: str
    type: TypeRef


Def: TypeAlias = ClassDef | UnionDef | AliasDef


def literal(values: Iterable[Any]) -> str:
    reprs = []
    for value in values:
        text = repr(value) if not isinstance(value, str) else _str_literal(value)
        if text not in reprs:
            reprs.append(text)
    return f"Literal[{', '.join(reprs)}]"


def _str_literal(value: str) -> str:
    text = repr(value)
    if text.startswith("'") and '"' not in value:
        text = '"' + text[1:-1] + '"'
    return text


def nullable(t: TypeRef) -> TypeRef:
    if isinstance(t, Nullable) or t == Raw("None") or t == ANY:
        return t
    return Nullable(t)


class Resolver:
    """Builds every definition of the spec, memoized, in the spec's own order."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.defs: dict[str, Def] = {}
        self.taken: set[str] = set()
        self.component_types: dict[str, TypeRef] = {}
        self.operation_types: dict[str, dict[str, TypeRef]] = {}
        self._building: set[str] = set()
        self._inline: dict[int, TypeRef] = {}
        self.literal_names: dict[str, str] | None = None  # typenames.name_literals' table
        naming = ComponentNamer(spec, self.taken, _RESERVED_CLASS_NAMES)
        self.component_names: dict[str, str] = naming.names
        self.same_as: dict[str, str] = naming.same_as  # a twin -> the component it repeats

    def unique(self, name: str) -> str:
        return unique_name(name, self.taken, _RESERVED_CLASS_NAMES)

    def build(self) -> None:
        for name in self.spec.schemas:
            self.component(name)
        for op in self.spec.operations():
            found: dict[str, TypeRef] = {}
            for content_type, schema in op.success_schemas():
                if "json" not in content_type and "event-stream" not in content_type:
                    continue
                if ref_name(schema) is not None:
                    found[content_type] = self.resolve(schema, "", "")
                else:
                    ctx = class_name(op.operation_id) + "Response"
                    found[content_type] = self.resolve(schema, ctx, f"op:{op.group}")
            if found:
                self.operation_types[op.operation_id] = found

    # --- components --------------------------------------------------------------------

    def component(self, comp: str) -> TypeRef:
        known = self.component_types.get(comp)
        if known is not None:
            return known
        twin = self.same_as.get(comp)
        if twin is not None:
            t = self.component(twin)
            self.component_types[comp] = t
            return t
        pyname = self.component_names[comp]
        if comp in self._building:  # a recursive reference
            return Ref(pyname)
        self._building.add(comp)
        schema = self.spec.schema(comp)
        t = self.resolve(schema, pyname, comp, named=True)
        base = t.inner if isinstance(t, Nullable) else t
        if not (isinstance(base, Ref) and base.name == pyname):
            doc = trim_doc(schema.get("description") or schema.get("title"))
            self.defs[pyname] = AliasDef(pyname, doc, comp, t)
            t = Ref(pyname)
        self.component_types[comp] = t
        self._building.discard(comp)
        return t

    # --- schemas -----------------------------------------------------------------------

    def resolve(self, s: Any, ctx: str, home: str, *, named: bool = False) -> TypeRef:
        if not isinstance(s, dict) or not s:
            return ANY
        comp = ref_name(s)
        if comp is not None:
            t = self.component(comp)
            return nullable(t) if s.get("nullable") is True else t
        memo = None if named else self._inline.get(id(s))
        if memo is not None:
            return memo
        is_nullable = s.get("nullable") is True
        types = s.get("type")
        if isinstance(types, list):
            is_nullable = is_nullable or "null" in types
            types = [t for t in types if t != "null"]
            types = types[0] if len(types) == 1 else (types or None)
        if isinstance(s.get("enum"), list) and None in s["enum"]:
            is_nullable = True
        t = self._shape(s, types, ctx, home, named)
        if is_nullable:
            t = nullable(t)
        if not named:
            self._inline[id(s)] = t
        return t

    def _shape(self, s: dict[str, Any], types: Any, ctx: str, home: str, named: bool) -> TypeRef:
        for key in ("oneOf", "anyOf"):
            members = s.get(key)
            if isinstance(members, list):
                members = [m for m in members if not is_constraint_only(m)]
                if members:
                    return self._union(s, members, ctx, home, named)
        if isinstance(s.get("allOf"), list):
            return self._all_of(s, ctx, home, named)
        if "const" in s:
            return Raw(literal([s["const"]]))
        if isinstance(s.get("enum"), list):
            values = [v for v in s["enum"] if v is not None]
            return Raw(literal(values)) if values else Raw("None")
        if types == "array" or (types is None and "items" in s):
            item_ctx = singular(ctx)
            if item_ctx in self.taken:  # `ToolCalls` -> `ToolCall` may be a schema already
                item_ctx = ctx + "Item"
            return ListOf(self.resolve(s.get("items"), item_ctx, home))
        if types == "object" or "properties" in s or "additionalProperties" in s:
            return self._object(s, ctx, home, named)
        if isinstance(types, str):
            return Raw(_SCALARS.get(types, "Any"))
        if isinstance(types, list):
            return Either(tuple(Raw(_SCALARS.get(t, "Any")) for t in types))
        return ANY

    def _object(self, s: dict[str, Any], ctx: str, home: str, named: bool) -> TypeRef:
        props = s.get("properties")
        if not isinstance(props, dict):
            extra = s.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return MapOf(self.resolve(extra, ctx + "Value", home))
            return Raw("dict[str, Any]")
        name = ctx if named else self.unique(ctx)
        cls = ClassDef(name, trim_doc(s.get("description") or s.get("title")), home, [])
        self.defs[name] = cls
        required = set(s.get("required") or ())
        used: set[str] = set()
        for key, ps in props.items():
            if _sdk_only(ps):
                if key not in COMPUTED:
                    raise ValueError(f"{name}.{key} is SDK-only: add it to naming.COMPUTED")
                cls.computed.append(key)
                continue
            attr = attr_name(key)
            while attr in used:
                attr += "_"
            used.add(attr)
            t = self.resolve(ps, name + camel(key), home)
            doc = trim_doc(ps.get("description") if isinstance(ps, dict) else None, 300)
            cls.fields.append(FieldDef(attr, key, t, key in required, doc, self.tags_of(ps)))
        return Ref(name)

    def _all_of(self, s: dict[str, Any], ctx: str, home: str, named: bool) -> TypeRef:
        props: dict[str, Any] = {}
        required: list[str] = []
        union_part: dict[str, Any] | None = None
        description = s.get("description")

        def merge(part: Any, depth: int = 0) -> None:
            nonlocal union_part, description
            d = self.spec.deref(part)
            if not isinstance(d, dict) or depth > 20:
                return
            for sub in d.get("allOf") or ():
                merge(sub, depth + 1)
            if any(isinstance(d.get(k), list) and d[k] for k in ("oneOf", "anyOf")):
                union_part = union_part or part
            props.update(d.get("properties") or {})
            required.extend(d.get("required") or ())
            description = description or d.get("description")

        for part in s["allOf"]:
            merge(part)
        props.update(s.get("properties") or {})
        required.extend(s.get("required") or ())
        if union_part is not None:
            return self.resolve(union_part, ctx, home, named=named)
        merged: dict[str, Any] = {"type": "object", "properties": props, "required": required}
        merged["description"] = description or s.get("title")
        return self._object(merged, ctx, home, named)

    def tags_of(self, schema: Any) -> tuple[str, ...]:
        d = self.spec.deref(schema)
        if not isinstance(d, dict):
            return ()
        if isinstance(d.get("const"), str):
            return (d["const"],)
        values = d.get("enum")
        if isinstance(values, list):
            return tuple(v for v in values if isinstance(v, str))
        return ()

    # --- unions ------------------------------------------------------------------------

    def _union(
        self, s: dict[str, Any], members: list[Any], ctx: str, home: str, named: bool
    ) -> TypeRef:
        is_nullable = any(is_null(m) for m in members)
        members = [m for m in members if not is_null(m)]
        if not members:
            return Raw("None")
        if len(members) == 1:
            t = self.resolve(members[0], ctx, home, named=named)
            return nullable(t) if is_nullable else t
        resolved = [
            self.resolve(m, ctx + self._variant_suffix(m, i), home) for i, m in enumerate(members)
        ]
        if not any(self.needs_conversion(t) for t in resolved):
            t = either(resolved)
            return nullable(t) if is_nullable else t
        name = ctx if named else self.unique(ctx)
        union = UnionDef(
            name, trim_doc(s.get("description")), home, None, [], resolved, False, None
        )
        self.defs[name] = union
        self._fill_union(union, s, resolved)
        return nullable(Ref(name)) if is_nullable else Ref(name)

    def _variant_suffix(self, member: Any, index: int) -> str:
        if isinstance(member, dict) and ref_name(member) is None:
            for key in ("type", "event", "role", "object"):
                tags = self.tags_of((member.get("properties") or {}).get(key))
                if len(tags) == 1:
                    return camel(tags[0])
            if member.get("title"):
                return camel(str(member["title"]))
            if member.get("type") == "array" or "items" in member:
                return ""  # the items are named `singular(ctx)`; the list needs no name
            props = member.get("properties")
            if isinstance(props, dict) and props:
                keys = member.get("required") or list(props)
                return "".join(camel(str(k)) for k in keys[:2])
        return f"Variant{index + 1}"

    def _fill_union(self, union: UnionDef, s: dict[str, Any], resolved: list[TypeRef]) -> None:
        models: list[str] = []
        for t in resolved:
            self._collect(union, t, models, set())
        seen: dict[str, None] = dict.fromkeys(models)
        models = list(seen)
        found = s.get("discriminator")
        disc: dict[str, Any] = found if isinstance(found, dict) else {}
        prop = disc.get("propertyName") or self._infer_prop(models)
        by_mapping: dict[str, list[str]] = {}
        for value, ref in (disc.get("mapping") or {}).items():
            target = self.component_types.get(ref.rsplit("/", 1)[-1])
            if isinstance(target, Ref):
                by_mapping.setdefault(target.name, []).append(value)
        union.prop = prop
        for model in models:
            tags: tuple[str, ...] = ()
            if model in by_mapping:
                tags = tuple(by_mapping[model])
            elif prop is not None:
                tags = self._model_tags(model, prop)
            union.variants.append(VariantDef(model, tags))

    def _collect(self, union: UnionDef, t: TypeRef, models: list[str], seen: set[str]) -> None:
        if isinstance(t, Nullable):
            self._collect(union, t.inner, models, seen)
        elif isinstance(t, Ref):
            target = self.defs.get(t.name)
            if target is None or isinstance(target, ClassDef):  # None: still being built
                models.append(t.name)
            elif isinstance(target, UnionDef) and t.name not in seen:
                seen.add(t.name)
                for v in target.variants:
                    models.append(v.target)
                union.scalars = union.scalars or target.scalars
                union.list_item = union.list_item or target.list_item
            elif isinstance(target, AliasDef) and t.name not in seen:
                seen.add(t.name)
                self._collect(union, target.type, models, seen)
        elif isinstance(t, ListOf):
            if self.needs_conversion(t.item) and union.list_item is None:
                union.list_item = t.item
            else:
                union.scalars = True
        elif isinstance(t, Either):
            for m in t.members:
                self._collect(union, m, models, seen)
        else:  # Raw or MapOf: kept as they are
            union.scalars = True

    def _model_tags(self, model: str, prop: str) -> tuple[str, ...]:
        target = self.defs.get(model)
        if isinstance(target, ClassDef):
            for f in target.fields:
                if f.key == prop:
                    return f.tags
        return ()

    def _infer_prop(self, models: list[str]) -> str | None:
        classes = [self.defs.get(m) for m in models]
        if not classes or not all(isinstance(c, ClassDef) for c in classes):
            return None
        common: set[str] | None = None
        for c in classes:
            assert isinstance(c, ClassDef)
            keys = {f.key for f in c.fields if f.tags}
            common = keys if common is None else common & keys
        if not common:
            return None
        for preferred in ("type", "event", "object", "role"):
            if preferred in common:
                return preferred
        return sorted(common)[0]

    def needs_conversion(self, t: TypeRef, _seen: frozenset[str] = frozenset()) -> bool:
        if isinstance(t, Ref):
            target = self.defs.get(t.name)
            if isinstance(target, AliasDef):
                return t.name not in _seen and self.needs_conversion(target.type, _seen | {t.name})
            return True  # a class, a union, or a component still being built
        if isinstance(t, ListOf):
            return self.needs_conversion(t.item, _seen)
        if isinstance(t, MapOf):
            return self.needs_conversion(t.value, _seen)
        if isinstance(t, Nullable):
            return self.needs_conversion(t.inner, _seen)
        return False


def _sdk_only(schema: Any) -> bool:
    """Whether a property is one the spec says only the SDKs compute (never sent)."""
    if not isinstance(schema, dict):
        return False
    parts = [schema, *(schema.get("anyOf") or ()), *(schema.get("oneOf") or ())]
    return any(isinstance(p, dict) and "SDK-only" in str(p.get("description") or "") for p in parts)


def either(members: list[TypeRef]) -> TypeRef:
    flat: list[TypeRef] = []
    for m in members:
        for x in m.members if isinstance(m, Either) else (m,):
            if x not in flat:
                flat.append(x)
    return flat[0] if len(flat) == 1 else Either(tuple(flat))


# Names the generated modules use for themselves; a schema may not take them.
_RESERVED_CLASS_NAMES = frozenset({"BaseModel", "UnknownVariant", "UnionDecoder", "Any", "Literal"})
