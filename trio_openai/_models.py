"""Base of the generated models: decoding from orjson output, extras, exact round trips.

Every object schema of the spec becomes an attrs class (frozen, slots) deriving from
`BaseModel`, generated into `trio_openai.types`. Each class carries a generated
`_from_dict` classmethod: straight-line code doing one `dict.get` per declared key, with
conversion calls only for the fields that hold other models, lists or maps of them,
or unions. Nothing walks the fields generically at decode time.

Decoding rules (what a server can send and what it becomes):

- A declared key that is absent decodes to `omit`; JSON `null` decodes to `None`. So
  "absent" and "null" stay distinguishable for every field, required ones included.
- Keys the spec does not declare are kept, in order, in `.extra`.
- Required keys that are missing are NOT an error: they decode to `omit`, like optional
  ones. Real OpenAI-compatible servers omit "required" fields (llama-server's Responses
  events have no `sequence_number`, `output_index`, `content_index`). Annotations of
  required fields leave out `| Omit` for ergonomics; test with `is omit` when talking to
  such servers.
- Scalar values are kept as sent, whatever their type: a string where the spec says
  integer, or an enum value the spec does not list yet, stays as it is. Validation is
  the server's job, and keeping the value is what lets `to_dict()` give back the body.
  (Measured: checking the seven scalar types of a text delta event would add ~150 ns to
  its ~1.5 µs decode, and turn a harmless server quirk into a failed stream.)
- `null` is accepted for every field, nullable in the spec or not.
- Unions decode by their discriminator with a dict lookup; a value no variant claims
  becomes an `UnknownVariant` that keeps the data (see `UnionDecoder`).

The one hard failure: a value that must be a JSON object (a model, a member of an
object-only union) or a list/map of them is some other JSON type (a string, a number, a
list where an object belongs, ...). That raises `APIResponseValidationError`, never a bare
KeyError or TypeError. (An empty or falsy value where a list of models belongs, such as
``[]``, ``0`` or ``""``, is kept as it is: checking costs a call, skipping it nothing.)

Cost (this project's 2-core machine): building a ``response.output_text.delta`` event
from orjson output takes ~1.5 µs, ~2.5 µs with ``orjson.loads``; one slot store per field
is most of it, hence the generated decoders set slots directly instead of calling
``__init__``.

`to_dict()` gives back exactly the JSON object that was decoded: declared keys in class
order (absent ones left out, `None` written as null), then the extras; nested models are
converted back. `to_json()` is the same as bytes, through orjson.

Pure module: imports neither trio nor httpx.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, cast, dataclass_transform, final

import attrs
import orjson

from ._errors import APIResponseValidationError
from ._types import omit

# pyright: reportPrivateUsage=false
# (the underscore class attributes are the protocol between this module and the code
# generated from the spec; nothing outside the package uses them)

__all__ = [
    "BaseModel",
    "Decoded",
    "alias_getattr",
    "as_json",
    "UnionDecoder",
    "UnknownVariant",
    "decode_list",
    "decode_map",
    "extra_keys",
    "generated_model",
    "LazyModule",
    "lazy_module",
    "not_an_object",
]

_M = TypeVar("_M", bound="type[BaseModel]")
Decoder = Callable[[Any], Any]


def _no_extra() -> dict[str, Any]:
    return {}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class BaseModel:
    """Base of every generated model.

    Class attributes written by the generator:

    - ``_KEYS``: the JSON keys the class declares (anything else goes to `extra`).
    - ``_REQUIRED``: the keys the spec marks required (used to choose a union variant).
    - ``_RENAMED``: attribute name -> JSON key, for keys that are not valid attribute
      names (``from``, ``self-harm``, ``extra``...).

    `generated_model` adds ``_SET``: the slot setters, in field order (``extra`` first),
    which the generated decoders call directly: cheaper than going through ``__init__``.
    """

    _KEYS: ClassVar[frozenset[str]] = frozenset()
    _REQUIRED: ClassVar[frozenset[str]] = frozenset()
    _RENAMED: ClassVar[Mapping[str, str]] = {}
    _SET: ClassVar[tuple[Callable[[Any, Any], None], ...]] = ()

    extra: dict[str, Any] = attrs.field(factory=_no_extra)
    """Keys the spec does not declare, exactly as received."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the model from a decoded JSON object (e.g. `orjson.loads` output).

        Raises `APIResponseValidationError` if `data`, or a nested value that must be
        an object (or a list of objects), is something else. `data` is not modified.
        """
        if data.__class__ is not dict:
            data = _as_dict(cls.__name__, data)
        decoded: Self = cls._from_dict(data)
        return decoded

    @classmethod
    def from_json(cls, data: bytes | bytearray | memoryview | str) -> Self:
        """Parse JSON text and build the model; bad JSON raises APIResponseValidationError."""
        try:
            decoded = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise APIResponseValidationError(f"invalid JSON for {cls.__name__}: {exc}") from None
        return cls.from_dict(decoded)

    @classmethod
    def _from_dict(cls, d: Any) -> Self:
        # Generated classes override this with straight-line code; the base keeps the
        # whole object as extras.
        if d.__class__ is not dict:
            return not_an_object(cls, d)
        return cls(extra=dict(d))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this model stands for: absent fields left out, extras kept."""
        out: dict[str, Any] = {}
        for attr, key in _dump_plan(type(self)):
            value = getattr(self, attr)
            if value is not omit:
                out[key] = _dump(value)
        for key, value in self.extra.items():
            out[key] = _dump(value)
        return out

    def to_json(self) -> bytes:
        """`to_dict()` serialized by orjson (compact UTF-8 JSON)."""
        return orjson.dumps(self.to_dict())

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        names = _field_names(type(self))
        return all(getattr(self, n) == getattr(other, n) for n in names)

    __hash__: ClassVar[None] = None  # type: ignore[assignment]  # fields hold lists and dicts

    def __repr__(self) -> str:
        parts = [f"{name}={value!r}" for name, value in self._present() if name != "extra"]
        if self.extra:
            parts.append(f"extra={self.extra!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def _present(self) -> Iterator[tuple[str, Any]]:
        for name in _field_names(type(self)):
            value = getattr(self, name)
            if value is not omit:
                yield name, value


@final
@attrs.frozen(kw_only=True, repr=False, eq=False)
class UnknownVariant(BaseModel):
    """A union member the spec does not describe (yet): the whole object, in `extra`.

    Typed code reads it through ``.type`` (the ``type`` key, when it is a string),
    ``.extra`` and ``to_dict()``. At run time other attributes also read through to the
    data, so ``event.delta`` still works on an event type this version of the library has
    never heard of; type checkers do not see that fall-through (it would be ``Any``).
    """

    @property
    def type(self) -> str | None:
        """The object's ``type`` key, the tag unions are told apart by (None if absent)."""
        value = self.extra.get("type")
        return value if isinstance(value, str) else None

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> object:
            try:
                return self.extra[name]
            except KeyError:
                raise AttributeError(name) from None


# --- helpers called by the generated code -------------------------------------------


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(attrs.field,))
def generated_model(cls: _M) -> _M:
    """The class decorator of generated models: attrs (frozen, slots, keyword-only)."""
    made = attrs.frozen(kw_only=True, repr=False, eq=False)(cls)
    made._SET = tuple(getattr(made, a.name).__set__ for a in attrs.fields(made))
    return made


def alias_getattr(
    module: str, depth: int, aliases: Mapping[str, tuple[str, str]]
) -> Callable[[str], Any]:
    """The module ``__getattr__`` of openai-python's type names (codegen/aliases.py).

    `module` is the ``__name__`` of the module, `depth` how far below the types package
    it is; `aliases` maps a name to (the generated module defining the target, the
    target's name). The target's module is imported on first use and the value kept.
    """
    root = module.rsplit(".", depth)[0]

    def __getattr__(name: str) -> Any:
        found = aliases.get(name)
        if found is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{root}.{found[0]}"), found[1])
        setattr(sys.modules[module], name, value)
        return value

    return __getattr__


def lazy_module(namespace: dict[str, Any], alias: str, module: str) -> Any:
    """A stand-in for ``from . import module as alias`` that imports on first use.

    Generated modules refer to each other through these, so importing the module of a
    stream event does not import every module its classes could ever point to. The
    first attribute access imports the real module and puts it in place of the stand-in.
    """
    return LazyModule(namespace, alias, f"{namespace['__package__']}.{module}")


@final
class LazyModule:
    """A stand-in for a module, imported on first attribute access and then swapped in."""

    __slots__ = ("_alias", "_module", "_namespace")

    def __init__(self, namespace: dict[str, Any], alias: str, module: str) -> None:
        self._namespace = namespace
        self._alias = alias
        self._module = module

    def __getattr__(self, name: str) -> Any:
        module = importlib.import_module(self._module)
        self._namespace[self._alias] = module
        return getattr(module, name)

    def __repr__(self) -> str:
        return f"<lazy module {self._module!r}>"


@final
class Decoded(list[Any]):
    """A list whose items are already decoded (a big list page's ``data``, decoded as it
    was parsed: see `_json_slices.loads`), where JSON objects would otherwise be."""

    __slots__ = ()


def not_an_object(cls: type[BaseModel], value: object) -> Any:
    """The slow path of a `_from_dict` that was not handed a dict: null stays None."""
    if value is None:
        return None
    return cls._from_dict(_as_dict(cls.__name__, value))


def decode_list(item: Decoder, value: object) -> Any:
    """Decode a JSON array whose items are models or unions; None stays None."""
    if isinstance(value, list | tuple):
        return [item(v) for v in cast("Iterable[Any]", value)]
    if value is None:
        return None
    raise APIResponseValidationError(f"expected a JSON array, got {_json_type(value)}", body=value)


def decode_map(item: Decoder, value: object) -> Any:
    """Decode a JSON object whose values are models or unions; None stays None."""
    if value is None:
        return None
    return {k: item(v) for k, v in _as_dict("map", value).items()}


def extra_keys(d: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The entries of `d` whose key is not in `known` (the `extra` of a model), in order."""
    # Mostly one key the spec does not declare, on every event of a stream (OpenAI's
    # `obfuscation`): found by a set difference in C, ~25 % cheaper than the loop.
    unknown = d.keys() - known
    if len(unknown) == 1:
        for key in unknown:
            return {key: d[key]}
    return {k: v for k, v in d.items() if k not in known}


# --- unions --------------------------------------------------------------------------

# One variant, as the generator writes it: (module, name, discriminator values). `module`
# is relative to the package of the generated types; `name` is a model class or the
# decode function of a nested union.
VariantSpec = tuple[str, str, tuple[str, ...]]
_Resolved = tuple[Decoder, "type[BaseModel] | None"]


@final
class UnionDecoder:
    """Decodes one union of the spec; the slow path behind a generated ``decode_*``.

    The generated function first tries ``fast[value[prop]]``: a dict from discriminator
    value to the variant's decoder. That table starts empty and is filled here, one
    entry the first time each value is seen, so decoding an event imports only the
    module of that event's class.

    Rules, in order:

    - ``None`` stays ``None``.
    - A union without object members (``str | list[...]``) keeps any value as it is,
      decoding the items of a list when they are models.
    - An object whose discriminator value belongs to exactly one variant decodes as it.
    - A value shared by several variants (the spec has some: ``"message"`` is both an
      input and an output message) picks among them by structure: first the variants
      whose required keys are all present, then the most keys in common.
    - No discriminator key at all: the same structural choice among all variants.
    - Nothing fits (an unknown discriminator value, no key in common):
      `UnknownVariant`, which keeps the whole object.
    - A list goes to the list member, if any; any other non-object is kept as it is
      when the union has scalar members, and raises APIResponseValidationError when the
      union holds only objects.
    """

    __slots__ = (
        "_list_decoder",
        "_list_item",
        "_package",
        "_resolved",
        "_variants",
        "fast",
        "name",
        "prop",
        "scalars",
    )

    def __init__(
        self,
        package: str | None,
        name: str,
        prop: str | None,
        variants: tuple[VariantSpec, ...],
        *,
        scalars: bool = False,
        list_item: str | None = None,
    ) -> None:
        self._package = package or ""
        self.name = name
        self.prop = prop
        self.scalars = scalars
        self.fast: dict[Any, Decoder] = {}
        self._variants = variants
        self._list_item = list_item
        self._list_decoder: Decoder | None = None
        self._resolved: list[_Resolved | None] = [None] * len(variants)

    def __repr__(self) -> str:
        return f"<UnionDecoder {self.name}>"

    def __call__(self, value: Any) -> Any:
        return self.decode(value)

    def decode(self, value: Any) -> Any:
        if value is None:
            return None
        if value.__class__ is not dict:
            if isinstance(value, Mapping):
                return self.decode(dict(cast("Mapping[str, Any]", value)))
            return self._decode_other(value)
        variants = self._variants
        if not variants:  # no object member: keep it as it is
            return value if self.scalars else UnknownVariant(extra=dict(value))
        if self.prop is None:
            return self._by_structure(value, range(len(variants)))
        try:
            tag = value.get(self.prop)
            hits = [i for i, spec in enumerate(variants) if tag in spec[2]]
        except TypeError:  # an unhashable discriminator value
            return UnknownVariant(extra=dict(value))
        if len(hits) == 1:
            decode = self._variant(hits[0])[0]
            self.fast[tag] = decode
            return decode(value)
        if hits:
            return self._by_structure(value, hits)
        if tag is None:  # no discriminator: judge by the keys
            return self._by_structure(value, range(len(variants)))
        untagged = [i for i, spec in enumerate(variants) if not spec[2]]
        if untagged:
            return self._by_structure(value, untagged)
        return UnknownVariant(extra=dict(value))

    def _decode_other(self, value: object) -> Any:
        if self._list_item is not None and isinstance(value, list | tuple):
            items = cast("list[Any]", value)
            if self._list_decoder is None:
                module, _, name = self._list_item.rpartition(".")
                self._list_decoder = _decoder_of(_import(self._package, module, name))
            return decode_list(self._list_decoder, items)
        if self.scalars:
            return value
        raise _not_object_error(self.name, value)

    def _variant(self, index: int) -> _Resolved:
        entry = self._resolved[index]
        if entry is None:
            module, name, _tags = self._variants[index]
            target = _import(self._package, module, name)
            entry = (_decoder_of(target), _model_of(target))
            self._resolved[index] = entry
        return entry

    def _by_structure(self, value: dict[str, Any], indexes: Iterable[int]) -> Any:
        keys = value.keys()
        best = -1
        chosen: _Resolved | None = None
        for index in indexes:
            entry = self._variant(index)
            model = entry[1]
            score = 0  # a nested union decides for itself
            if model is not None:
                # all required keys present first, then the most keys in common
                score = len(model._KEYS.intersection(keys))
                if model._REQUIRED.issubset(keys):
                    score += 1 << 16
            if score > best:
                best, chosen = score, entry
        if chosen is None or (best == 0 and chosen[1] is not None):
            return UnknownVariant(extra=dict(value))
        return chosen[0](value)


def _import(package: str, module: str, name: str) -> object:
    found: object = getattr(importlib.import_module(f"{package}.{module}"), name)
    return found


def _model_of(target: object) -> type[BaseModel] | None:
    if isinstance(target, type) and issubclass(target, BaseModel):
        return target
    return None


def _decoder_of(target: object) -> Decoder:
    if isinstance(target, type) and issubclass(target, BaseModel):
        return target._from_dict
    return cast(Decoder, target)


# --- dumping and per-class plans ------------------------------------------------------

_PLANS: dict[type[BaseModel], tuple[tuple[str, str], ...]] = {}
_NAMES: dict[type[BaseModel], tuple[str, ...]] = {}


def _field_names(cls: type[BaseModel]) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = tuple(a.name for a in attrs.fields(cls))
        _NAMES[cls] = names
    return names


def _dump_plan(cls: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    plan = _PLANS.get(cls)
    if plan is None:
        renamed = cls._RENAMED
        names = _field_names(cls)
        plan = tuple((name, renamed.get(name, name)) for name in names if name != "extra")
        _PLANS[cls] = plan
    return plan


def as_json(value: object) -> Any:
    """The JSON value of a decoded value: models as `to_dict()`, lists and dicts copied."""
    return _dump(value)


def _dump(value: object) -> Any:
    if isinstance(value, BaseModel):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_dump(v) for v in cast("Iterable[object]", value)]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in cast("dict[str, object]", value).items()}
    return value


def _as_dict(name: str, value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return cast("dict[str, Any]", value)
    if isinstance(value, Mapping):
        return dict(cast("Mapping[str, Any]", value))
    raise _not_object_error(name, value)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


def _not_object_error(name: str, value: object) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"{name}: expected a JSON object, got {_json_type(value)}", body=value
    )
