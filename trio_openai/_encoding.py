"""Request encoding: query strings in bracket format and JSON bodies. Pure module.

Query strings follow openai-python's (``qs`` in "brackets" format): a list sends ``a[]=``
once per item, a dict ``a[key]=``, booleans ``true``/``false``. `None` and `omit` are left
out at every level: a query string has no null, and ``files.list(after=cursor)`` with a
first-page ``cursor = None`` must not send ``after=`` (an empty cursor). An empty string is
still sent (``after=``): the caller wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import orjson

from ._types import Omit

__all__ = ["dump_json", "encode_query", "json_default"]


def json_default(value: Any) -> Any:
    """orjson fallback: models and other objects that know their JSON form."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, Omit):
        raise TypeError("`omit` cannot be sent as a value; leave the field out instead")
    if isinstance(value, (set, frozenset)):
        return sorted(cast("set[Any] | frozenset[Any]", value))
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def dump_json(value: object) -> bytes:
    return orjson.dumps(value, default=json_default)


def _scalar(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _flatten(prefix: str, value: object, out: list[tuple[str, str]]) -> None:
    if value is None or isinstance(value, Omit):
        return
    if isinstance(value, Mapping):
        for key, item in cast("Mapping[object, object]", value).items():
            _flatten(f"{prefix}[{key}]", item, out)
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        for item in cast("Sequence[object]", value):
            _flatten(f"{prefix}[]", item, out)
    else:
        out.append((prefix, _scalar(value)))


def encode_query(*queries: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """Merge query mappings (later ones win per key) into pairs, arrays as ``a[]=``.

    A later mapping's `None` for a key removes that key (nothing is sent for it).
    """
    merged: dict[str, object] = {}
    for query in queries:
        if query:
            merged.update(query)
    out: list[tuple[str, str]] = []
    for key, value in merged.items():
        _flatten(key, value, out)
    return out
