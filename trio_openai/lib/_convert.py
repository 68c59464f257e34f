"""From decoded JSON back to the Python types `_schema.py` writes schemas for.

`convert(CalendarEvent, json_value)` checks the value against the type and builds it,
nested classes included; it raises `ShapeError` (a ValueError) with the JSON path of the
first mismatch, and never guesses (no string-to-number coercion, no unknown keys).

Pure module: imports neither trio nor httpx.
"""

from __future__ import annotations

import enum
import re
import typing
import uuid
from collections.abc import Iterable
from typing import Any, Final, Literal

from ._schema import (
    ARRAYS,
    FORMATS,
    NONE_TYPE,
    PRIMITIVES,
    FieldSpec,
    ShapeError,
    class_fields,
    is_class_like,
    pydantic_model,
    type_name,
    union_args,
    unwrap,
)

__all__ = ["convert", "convert_fields"]


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def convert(tp: Any, value: Any, path: str = "$") -> Any:
    """`value` (decoded JSON) as an instance of `tp`; raises `ShapeError` on a mismatch."""
    tp, _ = unwrap(tp)
    if tp is Any or tp is object:
        return value
    if tp is None or tp is NONE_TYPE:
        if value is None:
            return None
        raise ShapeError(path, f"expected null, got {_show(value)}")
    if isinstance(tp, type):
        return _convert_class(tp, value, path)
    members = union_args(tp)
    if members is not None:
        return _convert_union(members, value, path)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Literal:
        for option in args:
            if option == value and type(option) is type(value):
                return value
        raise ShapeError(path, f"expected one of {list(args)!r}, got {_show(value)}")
    if origin in ARRAYS:
        if not isinstance(value, list):
            raise ShapeError(path, f"expected an array, got {_show(value)}")
        item_type = args[0] if args else Any
        values = typing.cast("list[Any]", value)
        items = [convert(item_type, v, f"{path}[{i}]") for i, v in enumerate(values)]
        return ARRAYS[origin](items)
    raise TypeError(f"cannot convert JSON to {tp!r}")


def _convert_class(tp: type[Any], value: Any, path: str) -> Any:
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ShapeError(path, f"expected a number, got {_show(value)}")
    if tp in PRIMITIVES:
        if isinstance(value, tp) and (tp is bool or not isinstance(value, bool)):
            return value
        raise ShapeError(path, f"expected {PRIMITIVES[tp]}, got {_show(value)}")
    if tp in FORMATS:
        if not isinstance(value, str):
            raise ShapeError(path, f"expected a {FORMATS[tp]} string, got {_show(value)}")
        try:
            parse = uuid.UUID if tp is uuid.UUID else tp.fromisoformat
            return parse(value)
        except ValueError as exc:
            raise ShapeError(path, str(exc)) from None
    if issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = [m.value for m in tp]
            raise ShapeError(path, f"expected one of {allowed!r}, got {_show(value)}") from None
    if pydantic_model(tp):
        try:
            return typing.cast("Any", tp).model_validate(value, strict=False)
        except ValueError as exc:  # pydantic.ValidationError is a ValueError
            raise ShapeError(path, f"{tp.__name__}: {exc}") from None
    if is_class_like(tp):
        kwargs = convert_fields(class_fields(tp), value, path)
        if typing.is_typeddict(tp):
            return kwargs
        try:
            return tp(**kwargs)
        except (TypeError, ValueError) as exc:  # a validator or converter refused a value
            raise ShapeError(
                path, f"{tp.__name__}(...) raised {type(exc).__name__}: {exc}"
            ) from None
    raise TypeError(f"cannot convert JSON to {tp!r}")


def _convert_union(members: tuple[Any, ...], value: Any, path: str) -> Any:
    if value is None and NONE_TYPE in members:
        return None
    problems: list[str] = []
    for member in members:
        if member is NONE_TYPE:
            continue
        try:
            return convert(member, value, path)
        except ShapeError as exc:
            problems.append(str(exc).removeprefix(f"{path}: "))
    names = " | ".join(type_name(m) for m in members)
    raise ShapeError(path, f"matches no member of {names}: {'; '.join(problems)}")


def convert_fields(fields: Iterable[FieldSpec], value: Any, path: str = "$") -> dict[str, Any]:
    """The keyword arguments for `fields` from a JSON object; unknown keys are refused.

    A missing key is refused when the field is required, and left out (so the Python default
    applies) when it is not.
    """
    if not isinstance(value, dict):
        raise ShapeError(path, f"expected an object, got {_show(value)}")
    data = typing.cast("dict[str, Any]", value)
    out: dict[str, Any] = {}
    known: set[str] = set()
    for spec in fields:
        known.add(spec.key)
        if spec.key in data:
            out[spec.key] = convert(spec.type, data[spec.key], _join(path, spec.key))
        elif spec.required:
            raise ShapeError(path, f"missing key {spec.key!r}")
    unknown = [k for k in data if k not in known]
    if unknown:
        raise ShapeError(path, f"unexpected key(s) {', '.join(map(repr, unknown))}")
    return out


_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENTIFIER.fullmatch(key) else f"{path}[{key!r}]"
