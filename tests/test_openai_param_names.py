"""openai-python's request type names (``...Param``) import from the same modules here,
with openai-python's shape.

For every public ``*Param`` TypedDict or alias of every ``openai.types`` package, either
``trio_openai.types.<same module>.<name>`` is the generated type codegen/param_aliases.py
names, and its keys (a TypedDict) or members (a union: their ``type`` literals, else how
many) are openai-python's, or the name is one of param_aliases.NO_ALIAS, with the reason.
Shapes are compared on keys, not on the value type of each key.
"""

from __future__ import annotations

import ast
import collections.abc
import importlib
import pkgutil
import re
import types as pytypes
import typing
from typing import Any, Literal, Union, get_args, get_origin

import openai.types
import pytest
from typing_extensions import is_typeddict

import trio_openai.types.params as params
from codegen.aliases import OPENAI_NAMES
from codegen.param_aliases import NO_ALIAS, OPENAI_PARAM_NAMES, PARAM_TARGETS, param_aliases

# Where the spec and openai-python 3.63 disagree on a shape, and the alias is still the
# type to use: each entry must still differ (a stale one fails).
_ASYNC = "openai-python 3.63 has an `async` key this version of the spec does not"
_CONFIGURATION_UPDATE = (
    "openai-python 3.63 has a configuration_update input item this version of the spec does not"
)
_INPUT = "the spec's input is wider: a string, or a list of openai-python's items"
DIFFERENCES: dict[tuple[str, str], str] = {
    **{
        (path, name): _ASYNC
        for path, names in {
            "beta": (
                "BetaCustomToolParam",
                "BetaFunctionToolParam",
                "BetaResponseCustomToolCallParam",
                "BetaResponseFunctionToolCallParam",
            ),
            "responses": (
                "CustomToolParam",
                "FunctionToolParam",
                "ResponseCustomToolCallParam",
                "ResponseFunctionToolCallParam",
            ),
        }.items()
        for name in names
    },
    ("beta", "BetaResponseInputItemParam"): _CONFIGURATION_UPDATE,
    ("responses", "ResponseInputItemParam"): _CONFIGURATION_UPDATE,
    ("beta", "BetaResponseInputParam"): _INPUT,
    ("responses", "ResponseInputParam"): _INPUT,
}

Shape = tuple[Any, ...]


def openai_modules() -> dict[str, pytypes.ModuleType]:
    found = {"": openai.types}
    for info in pkgutil.walk_packages(openai.types.__path__, "openai.types."):
        if info.ispkg:
            found[info.name.removeprefix("openai.types.")] = importlib.import_module(info.name)
    return found


def is_request_type(value: object) -> bool:
    """A TypedDict or an alias: not one of openai-python's response models."""
    return not (isinstance(value, type) and hasattr(value, "model_fields"))


# --- shapes ----------------------------------------------------------------------------

_TYPE_LITERAL = re.compile(r"Literal\[\s*['\"]([^'\"]+)['\"]\s*\]")


def typeddict_shape(cls: Any) -> Shape:
    annotations: dict[str, object] = {}
    for base in reversed(cls.__mro__):
        annotations.update(getattr(base, "__annotations__", {}))
    found = _TYPE_LITERAL.search(str(annotations.get("type", "")))
    keys = frozenset(cls.__required_keys__ | cls.__optional_keys__)
    return ("td", keys, found[1] if found else None)


def union_shape(members: list[Shape]) -> Shape:
    """Nested unions flattened, literals merged, ``None`` dropped (openai-python's names
    are not optional where the spec's field is nullable), string literals absorbed by
    ``str``."""
    flat: list[Shape] = []
    for member in members:
        flat.extend(member[1] if member[0] == "union" else [member])
    literals = frozenset[object]().union(*(m[1] for m in flat if m[0] == "lit"))
    rest = [m for m in flat if m[0] != "lit" and m != ("prim", "None")]
    if ("prim", "str") in rest:
        literals = frozenset(v for v in literals if not isinstance(v, str))
    if literals:
        rest.append(("lit", literals))
    if not rest:
        return ("prim", "None")
    return rest[0] if len(rest) == 1 else ("union", tuple(rest))


def openai_shape(t: Any) -> Shape:
    if is_typeddict(t):
        return typeddict_shape(t)
    origin = get_origin(t)
    if origin in (Union, pytypes.UnionType):
        return union_shape([openai_shape(a) for a in get_args(t)])
    if origin is Literal:
        return ("lit", frozenset(get_args(t)))
    if origin is typing.Annotated:
        return openai_shape(get_args(t)[0])
    if origin in (list, tuple, collections.abc.Iterable, collections.abc.Sequence):
        return ("seq", openai_shape(get_args(t)[0]))
    if origin in (dict, collections.abc.Mapping):
        return ("map",)
    if t is None or t is type(None):
        return ("prim", "None")
    if isinstance(t, type):
        return ("prim", t.__name__)
    return ("other", repr(t))


_PRIMITIVES = {"str", "int", "float", "bool", "object", "bytes", "None"}
_SEQUENCES = {"Sequence", "list", "List", "Iterable", "tuple"}


def generated_shape(value: Any) -> Shape:
    """The shape of a generated request type: a TypedDict, or an alias's annotation string
    (names in it are looked up in types/params.py)."""
    if isinstance(value, str):
        return _annotation_shape(ast.parse(value, mode="eval").body)
    if is_typeddict(value):
        return typeddict_shape(value)
    return openai_shape(value)


def _annotation_shape(node: ast.expr) -> Shape:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        # `_chat.ChatCompletionResponseMessage`: a result model the union also accepts
        # (codegen/params.py ACCEPTS_RESULTS), beyond openai-python's request shape
        sides = [n for n in (node.left, node.right) if not isinstance(n, ast.Attribute)]
        return union_shape([_annotation_shape(n) for n in sides])
    if isinstance(node, ast.Constant) and node.value is None:
        return ("prim", "None")
    if isinstance(node, ast.Name):
        if node.id in _PRIMITIVES:
            return ("prim", node.id)
        return generated_shape(getattr(params, node.id))
    if isinstance(node, ast.Subscript):
        head = ast.unparse(node.value).split(".")[-1]
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if head == "Literal":
            return ("lit", frozenset(ast.literal_eval(a) for a in args))
        if head in _SEQUENCES:
            return ("seq", _annotation_shape(args[0]))
        if head in ("Mapping", "dict", "Dict"):
            return ("map",)
    return ("other", ast.unparse(node))


def difference(ours: Shape, theirs: Shape) -> str | None:
    """None when `ours` has the shape of openai-python's `theirs`, else what differs."""
    if ours[0] != theirs[0]:
        return f"{ours[0]} where openai-python has {theirs[0]}"
    if ours[0] == "td":
        if ours[2] and theirs[2] and ours[2] != theirs[2]:
            return f"type {ours[2]!r} where openai-python has {theirs[2]!r}"
        if ours[1] != theirs[1]:
            return _extra_missing("keys", ours[1], theirs[1])
        return None
    if ours[0] == "union":
        ours_types = {m[2] for m in ours[1] if m[0] == "td"}
        theirs_types = {m[2] for m in theirs[1] if m[0] == "td"}
        if ours_types and theirs_types and None not in ours_types | theirs_types:
            if ours_types != theirs_types:
                return _extra_missing("member types", ours_types, theirs_types)
            return None
        if len(ours[1]) != len(theirs[1]):
            return f"{len(ours[1])} members where openai-python has {len(theirs[1])}"
        return None
    if ours[0] == "seq":
        items = difference(ours[1], theirs[1])
        return None if items is None else f"items: {items}"
    if ours[0] == "lit" and ours[1] != theirs[1]:
        return _extra_missing("values", ours[1], theirs[1])
    return (
        None if ours == theirs or ours[0] == "lit" else f"{ours} where openai-python has {theirs}"
    )


def _extra_missing(
    what: str, ours: typing.AbstractSet[Any], theirs: typing.AbstractSet[Any]
) -> str:
    return f"{what}: extra {sorted(map(str, ours - theirs))}, missing {sorted(map(str, theirs - ours))}"


# --- tests -----------------------------------------------------------------------------


def available() -> dict[str, str]:
    """What the generator passes param_aliases: each request type, its annotation if an alias."""
    return {
        n: (v if isinstance(v, str) else "") for n in params.__all__ for v in [getattr(params, n)]
    }


def public_module(path: str) -> str:
    return "trio_openai.types" + (f".{path}" if path else "")


def test_the_list_is_openai_pythons() -> None:
    listed: dict[str, tuple[str, ...]] = {}
    for path, module in openai_modules().items():
        names = tuple(
            sorted(
                n
                for n, v in vars(module).items()
                if n.endswith("Param") and not n.startswith("_") and is_request_type(v)
            )
        )
        if names:
            listed[path] = names
    assert listed == OPENAI_PARAM_NAMES


def test_the_tables_name_listed_names_and_existing_types() -> None:
    for table in (PARAM_TARGETS, NO_ALIAS):
        for path, names in table.items():
            assert set(names) <= set(OPENAI_PARAM_NAMES[path]), (path, set(names))
    for path, names in PARAM_TARGETS.items():
        assert not set(names) & set(NO_ALIAS.get(path, {})), path
        for target in names.values():
            assert hasattr(params, target), f"{path}: {target} is not in types/params.py"


@pytest.mark.parametrize("path", sorted(OPENAI_PARAM_NAMES))
def test_every_param_name_imports_with_openai_pythons_shape(path: str) -> None:
    theirs_module = openai_modules()[path]
    by_rule = param_aliases(available()).get(path, {})
    table = {**by_rule, **OPENAI_NAMES.get(path, {})}  # as the generator merges them
    problems: list[str] = []
    for name in OPENAI_PARAM_NAMES[path]:
        if name in NO_ALIAS.get(path, {}):
            assert name not in table, f"{name} is mapped: drop it from NO_ALIAS"
            continue
        ours_module = importlib.import_module(public_module(path))
        if name not in table:
            problems.append(f"{name}: no alias (map it in PARAM_TARGETS or list it in NO_ALIAS)")
            continue
        ours = getattr(ours_module, name)
        assert ours is getattr(params, table[name]), f"{path}.{name}"
        why = difference(generated_shape(ours), openai_shape(getattr(theirs_module, name)))
        if (path, name) in DIFFERENCES:
            assert why is not None, (
                f"{name} now has openai-python's shape: drop it from DIFFERENCES"
            )
        elif why is not None:
            problems.append(f"{name} -> {table[name]}: {why}")
    assert not problems, "\n".join(problems)
