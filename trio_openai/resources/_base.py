"""What the generated resource modules share: the base class and a few small helpers.

Written by hand (the generator writes the modules next to it). Nothing here does I/O of
its own: every request goes through one of the client's entry points.
"""

# pyright: reportPrivateUsage=false
# (the resources are the client's own callers: _request, _stream, _prepare...)

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar, cast
from urllib.parse import quote

from .._models import LazyModule
from .._types import CallOptions, Omit

if TYPE_CHECKING:
    from .._client import OpenAI

__all__ = [
    "Resource",
    "json_part",
    "lazy_types",
    "path_param",
    "with_headers",
]

T = TypeVar("T")
_TYPES_PACKAGE: Final = "trio_openai.types"


class Resource:
    """Base of the generated resources: ``Files(client)``. Sub-resources are created on
    first access and kept (``functools.cached_property``)."""

    _path: ClassVar[str] = ""  # where users reach it: "chat.completions" (for error messages)

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


def path_param(name: str, value: object) -> str:
    """`value` quoted for one path segment; an empty value raises ValueError naming `name`.

    As openai-python: ``client.files.retrieve("")`` would otherwise call ``GET /files/``,
    which is a different operation (the list).
    """
    if value is None or value == "" or isinstance(value, Omit):
        raise ValueError(f"Expected a non-empty value for `{name}` but received {value!r}")
    return quote(str(value), safe="")


def json_part(value: object) -> object:
    """A form field the spec encodes as JSON (``encoding: {contentType: application/json}``):
    a dict or list becomes its JSON text; omitted values and strings stay as they are."""
    if isinstance(value, Omit) or value is None or isinstance(value, str):
        return value
    from .._encoding import dump_json

    return dump_json(value).decode()


def with_headers(options: CallOptions, headers: Mapping[str, object]) -> CallOptions:
    """`options` with header parameters added (the caller's extra_headers still win).

    Omitted values are left out; a list is sent comma-separated (``openai-beta: a,b``).
    """
    given: dict[str, str] = {}
    for name, value in headers.items():
        if isinstance(value, Omit) or value is None:
            continue
        if isinstance(value, Sequence) and not isinstance(value, str):
            given[name] = ",".join(str(v) for v in cast("Sequence[object]", value))
        else:
            given[name] = str(value)
    if not given:
        return options
    extra = options.get("extra_headers") or {}
    merged: CallOptions = {**options, "extra_headers": {**given, **extra}}
    return merged


def lazy_types(namespace: dict[str, Any], alias: str, module: str) -> Any:
    """A stand-in for ``from ..types import module as alias``, imported on first use.

    A resource module refers to the models of several areas; each is imported only when
    a call needs it (the first attribute access replaces the stand-in in `namespace`).
    """
    return LazyModule(namespace, alias, f"{_TYPES_PACKAGE}.{module}")
