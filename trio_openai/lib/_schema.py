"""Strict JSON schemas from Python types, and the way back from JSON to those types.

    to_strict_json_schema(CalendarEvent)   # {"type": "object", ..., "additionalProperties": false}
    convert(CalendarEvent, json_value)     # a CalendarEvent, nested classes built too

Structured Outputs and strict function tools accept a subset of JSON Schema: every object
lists all its properties as required and sets ``additionalProperties: false``; optional
values are spelled as a union with null. This module writes that subset from:

- attrs classes, dataclasses, TypedDicts, and pydantic models (only when pydantic is
  already imported: this module never imports it);
- ``str``, ``int``, ``float``, ``bool``, ``None``, ``datetime``/``date``/``time``/``UUID``
  (strings with a ``format``), ``Literal[...]`` and `enum.Enum` subclasses (``enum``),
  ``X | None`` and other unions (``anyOf``), ``list[X]``/``tuple[X, ...]``/``set[X]``
  (arrays), ``Annotated[X, "a description"]``, ``NewType``.

Everything else raises `TypeError` naming the offending type, in particular ``dict`` (strict
mode needs every key declared up front: use a class) and ``Any``. Nested classes go to
``$defs`` and are referred to with ``$ref``; a reference to the root class is ``#``, so
recursive types work. Descriptions come from class docstrings, ``Annotated`` strings and
``metadata={"description": ...}`` on attrs/dataclass fields.

`convert` checks a decoded JSON value against the same type and builds it: it raises
`ShapeError` (a ValueError) with the JSON path of the first mismatch, and never guesses (no
string-to-number coercion, no unknown keys).

Pure module: imports neither trio nor httpx.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import enum
import inspect
import sys
import types
import typing
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping, MutableSequence, Sequence, Set
from typing import (
    Annotated,
    Any,
    Final,
    Literal,
    NotRequired,
    Required,
    TypeGuard,
    Union,
    final,
)

import attrs

from ._strict_schema import make_strict

__all__ = [
    "FieldSpec",
    "ShapeError",
    "class_fields",
    "fields_schema",
    "make_strict",
    "to_strict_json_schema",
]

NONE_TYPE: Final = type(None)
PRIMITIVES: Final[dict[type, str]] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
}
FORMATS: Final[dict[type, str]] = {
    datetime.datetime: "date-time",
    datetime.date: "date",
    datetime.time: "time",
    uuid.UUID: "uuid",
}
ARRAYS: Final[dict[Any, Callable[[list[Any]], Any]]] = {
    list: list,
    Sequence: list,
    MutableSequence: list,
    Iterable: list,
    tuple: tuple,
    set: set,
    Set: set,
    frozenset: frozenset,
}
_SCALARS: Final = (str, int, float, bool)


class ShapeError(ValueError):
    """A JSON value does not have the shape of the type it should become."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


@final
@attrs.frozen
class FieldSpec:
    """One property of an object schema: a class field or a function parameter.

    ``key`` is the JSON property name, also the keyword argument that builds the object.
    ``required`` is false when the Python side has a default (the JSON may leave it out).
    """

    key: str
    type: Any
    description: str | None = None
    required: bool = True


# --- the Python side: what a class declares ---------------------------------------------


def pydantic_model(tp: object) -> bool:
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)


def is_class_like(tp: object) -> TypeGuard[type[Any]]:
    if not isinstance(tp, type):
        return False
    cls = typing.cast("type[Any]", tp)
    return (
        attrs.has(cls)
        or dataclasses.is_dataclass(cls)
        or typing.is_typeddict(cls)
        or pydantic_model(cls)
    )


def _hints(owner: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(owner, include_extras=True)
    except NameError as exc:
        raise TypeError(
            f"cannot resolve the annotations of {owner!r} ({exc}); define the types it "
            "refers to at module level"
        ) from None


def _own_doc(cls: type) -> str | None:
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str) or not doc.strip():
        return None
    if dataclasses.is_dataclass(cls) and doc.startswith(f"{cls.__name__}("):
        return None  # the signature dataclasses writes when there is no docstring
    return _clean_doc(doc)


def _clean_doc(doc: str) -> str:
    return inspect.cleandoc(doc)


_FIELDS_CACHE: weakref.WeakKeyDictionary[type, tuple[FieldSpec, ...]] = weakref.WeakKeyDictionary()


def class_fields(cls: type[Any]) -> tuple[FieldSpec, ...]:
    """The settable fields of an attrs class, dataclass or TypedDict, in declaration order."""
    cached = _FIELDS_CACHE.get(cls)
    if cached is not None:
        return cached
    hints = _hints(cls)
    specs: list[FieldSpec] = []
    if attrs.has(cls):
        for field in attrs.fields(cls):
            if not field.init:
                continue
            tp = hints.get(field.name, field.type)
            if tp is None:
                raise TypeError(f"{cls.__name__}.{field.name} has no type annotation")
            has_default = field.default is not attrs.NOTHING
            specs.append(
                FieldSpec(field.alias or field.name, tp, _meta_doc(field.metadata), not has_default)
            )
    elif dataclasses.is_dataclass(cls):
        for dfield in dataclasses.fields(cls):
            if not dfield.init:
                continue
            has_default = (
                dfield.default is not dataclasses.MISSING
                or dfield.default_factory is not dataclasses.MISSING
            )
            specs.append(
                FieldSpec(
                    dfield.name,
                    hints.get(dfield.name, dfield.type),
                    _meta_doc(dfield.metadata),
                    not has_default,
                )
            )
    elif typing.is_typeddict(cls):
        required_keys: frozenset[str] = getattr(cls, "__required_keys__", frozenset())
        for key, tp in hints.items():
            # Under `from __future__ import annotations` Python 3.11 cannot see
            # (Not)Required when it builds the class: read it from the resolved hint too.
            marker = typing.get_origin(tp)
            required = (key in required_keys or marker is Required) and marker is not NotRequired
            specs.append(FieldSpec(key, _strip_required(tp), None, required))
    else:
        raise TypeError(f"{cls!r} is not an attrs class, a dataclass or a TypedDict")
    result = tuple(specs)
    _FIELDS_CACHE[cls] = result
    return result


def _meta_doc(metadata: Mapping[Any, Any]) -> str | None:
    doc = metadata.get("description")
    return doc if isinstance(doc, str) else None


def _strip_required(tp: Any) -> Any:
    while typing.get_origin(tp) in (Required, NotRequired):
        tp = typing.get_args(tp)[0]
    return tp


def unwrap(tp: Any) -> tuple[Any, str | None]:
    """The type under Annotated/NewType wrappers, and a description found on the way."""
    description: str | None = None
    while True:
        if typing.get_origin(tp) is Annotated:
            args = typing.get_args(tp)
            for meta in args[1:]:
                if isinstance(meta, str) and description is None:
                    description = meta
            tp = args[0]
        elif isinstance(tp, typing.NewType):
            tp = tp.__supertype__
        else:
            return tp, description


def union_args(tp: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return typing.get_args(tp)
    return None


def type_name(tp: Any) -> str:
    if tp is NONE_TYPE:
        return "None"
    return getattr(tp, "__name__", None) or repr(tp)


# --- schemas ------------------------------------------------------------------------------


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def _enum_schema(values: Sequence[object], where: str) -> dict[str, Any]:
    for value in values:
        if not isinstance(value, _SCALARS):
            raise TypeError(f"{where}: enum value {value!r} is not a JSON string, number or bool")
    kinds = {_json_type(v) for v in values}
    schema: dict[str, Any] = {"enum": list(values)}
    if len(kinds) == 1:
        schema = {"type": kinds.pop(), **schema}
    return schema


class _Builder:
    """Writes one schema: the root, and the ``$defs`` of the classes it reaches."""

    def __init__(self, root: object) -> None:
        self.root = root
        self.defs: dict[str, dict[str, Any]] = {}
        self.names: dict[object, str] = {}
        self.owners: dict[str, object] = {}

    def build(self, tp: Any) -> dict[str, Any]:
        inner, description = unwrap(tp)
        if inner is self.root and is_class_like(inner):
            schema = self.class_schema(inner)
        else:
            schema = self.schema(tp)
        if description is not None:
            schema = {**schema, "description": description}
        return self.finish(schema)

    def finish(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.defs:
            schema = {**schema, "$defs": self.defs}
        return make_strict(schema)

    def schema(self, tp: Any) -> dict[str, Any]:
        tp, description = unwrap(tp)
        schema = self._schema(tp)
        if description is not None:
            schema = {**schema, "description": description}
        return schema

    def _schema(self, tp: Any) -> dict[str, Any]:
        if tp is Any or tp is object:
            raise TypeError(f"{type_name(tp)} has no strict JSON schema: name a concrete type")
        if tp is None or tp is NONE_TYPE:
            return {"type": "null"}
        if isinstance(tp, type):
            tp = typing.cast("type[Any]", tp)
            if tp in PRIMITIVES:
                return {"type": PRIMITIVES[tp]}
            if tp in FORMATS:
                return {"type": "string", "format": FORMATS[tp]}
            if issubclass(tp, enum.Enum):
                schema = _enum_schema([m.value for m in tp], tp.__name__)
                doc = _own_doc(tp)
                return {**schema, "description": doc} if doc else schema
            if is_class_like(tp):
                return self.ref(tp)
            if issubclass(tp, Mapping | dict):
                raise _dict_error(tp)
            if tp in ARRAYS:
                raise TypeError(f"{tp.__name__} needs an item type, e.g. {tp.__name__}[str]")
        members = union_args(tp)
        if members is not None:
            return self.union(members)
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is Literal:
            return self.literal(args)
        if origin in ARRAYS:
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                raise TypeError(
                    f"{tp!r}: fixed-length tuples have no strict JSON schema; use "
                    "tuple[X, ...], a list or a class"
                )
            if not args:
                raise TypeError(f"{tp!r} needs an item type")
            return {"type": "array", "items": self.schema(args[0])}
        if isinstance(origin, type) and issubclass(origin, Mapping):
            raise _dict_error(tp)
        if isinstance(origin, type) and is_class_like(origin):
            raise TypeError(f"{tp!r}: generic classes are not supported; use a concrete class")
        raise TypeError(
            f"{tp!r} has no strict JSON schema (supported: str, int, float, bool, None, "
            "datetime, date, time, UUID, Literal, Enum, unions, list/tuple[X, ...]/set, "
            "attrs classes, dataclasses, TypedDicts, pydantic models)"
        )

    def union(self, members: tuple[Any, ...]) -> dict[str, Any]:
        variants: list[dict[str, Any]] = []
        for member in members:
            schema = self.schema(member)
            # Flatten nested anyOf (Optional[A | B]) so there is one level of choice.
            if set(schema) == {"anyOf"}:
                variants.extend(v for v in schema["anyOf"] if v not in variants)
            elif schema not in variants:
                variants.append(schema)
        return variants[0] if len(variants) == 1 else {"anyOf": variants}

    def literal(self, values: tuple[Any, ...]) -> dict[str, Any]:
        present = [v for v in values if v is not None]
        if not present:
            return {"type": "null"}
        schema = _enum_schema(present, f"Literal{list(values)!r}")
        if len(present) < len(values):
            return {"anyOf": [schema, {"type": "null"}]}
        return schema

    def ref(self, cls: type[Any]) -> dict[str, Any]:
        if self.root is cls:
            return {"$ref": "#"}
        name = self.names.get(cls)
        if name is None:
            if pydantic_model(cls):  # pydantic's own references use the class name
                name = cls.__name__
                self._claim(name, cls)
            else:
                name = self._new_name(cls.__name__)
                self.owners[name] = cls
            self.names[cls] = name
            self.defs[name] = {}  # placeholder: recursive references find the name
            self.defs[name] = self.class_schema(cls)
        return {"$ref": f"#/$defs/{name}"}

    def _new_name(self, base: str) -> str:
        name, n = base, 1
        while name in self.owners:
            n += 1
            name = f"{base}_{n}"
        return name

    def _claim(self, name: str, owner: object) -> None:
        """Reserve a $defs name that pydantic chose; another owner of it is a conflict."""
        current = self.owners.setdefault(name, owner)
        if current is not owner and not (pydantic_model(current) and pydantic_model(owner)):
            raise TypeError(f"two different types are named {name!r} in one schema")

    def class_schema(self, cls: type) -> dict[str, Any]:
        if pydantic_model(cls):
            return self.pydantic_schema(cls)
        return self.object_schema(class_fields(cls), description=_own_doc(cls), strict=True)

    def object_schema(
        self, fields: Iterable[FieldSpec], *, description: str | None, strict: bool
    ) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for spec in fields:
            prop = self.schema(spec.type)
            if spec.description is not None:
                prop = {**prop, "description": spec.description}
            properties[spec.key] = prop
            if strict or spec.required:
                required.append(spec.key)
        schema: dict[str, Any] = {"type": "object"}
        if description:
            schema["description"] = description
        schema.update(properties=properties, required=required, additionalProperties=False)
        return schema

    def pydantic_schema(self, model: type[Any]) -> dict[str, Any]:
        raw: dict[str, Any] = model.model_json_schema(ref_template="#/$defs/{model}")
        defs: dict[str, Any] = raw.pop("$defs", {})
        for name, sub in defs.items():
            # pydantic names each model's definition after the model: a name already held
            # by a pydantic model is the same definition, one held by anything else clashes.
            self._claim(name, model)
            self.defs.setdefault(name, sub)
        ref = raw.get("$ref")
        if set(raw) == {"$ref"} and isinstance(ref, str) and ref.startswith("#/$defs/"):
            # A recursive model: pydantic puts it in $defs and refers to it from the root.
            return copy.deepcopy(defs[ref.removeprefix("#/$defs/")])
        return raw


def _dict_error(tp: Any) -> TypeError:
    return TypeError(
        f"{tp!r}: a dict has no strict JSON schema (strict mode needs every key declared); "
        "use an attrs class, a dataclass or a TypedDict"
    )


_SCHEMA_CACHE: weakref.WeakKeyDictionary[type, dict[str, Any]] = weakref.WeakKeyDictionary()


def to_strict_json_schema(tp: Any) -> dict[str, Any]:
    """The strict JSON schema of `tp` (a class, or any supported type); see the module doc.

    Raises `TypeError` for a type strict mode cannot express. The result is a fresh dict
    each call (schemas are cached per type, and copied out).
    """
    cacheable = isinstance(tp, type)
    cached = _SCHEMA_CACHE.get(tp) if cacheable else None
    if cached is None:
        root, _ = unwrap(tp)
        cached = _Builder(root).build(tp)
        if cacheable:
            _SCHEMA_CACHE[tp] = cached
    return copy.deepcopy(cached)


def fields_schema(
    fields: Iterable[FieldSpec], *, description: str | None = None, strict: bool = True
) -> dict[str, Any]:
    """The object schema of `fields` (e.g. a function's parameters), with its own ``$defs``.

    With ``strict=False`` only the fields without a default are listed as required.
    """
    builder = _Builder(None)
    schema = builder.object_schema(fields, description=description, strict=strict)
    if builder.defs:
        schema["$defs"] = builder.defs
    if strict:
        return make_strict(schema)
    return schema
