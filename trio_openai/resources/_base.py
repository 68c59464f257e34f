"""What the generated resource modules share: the base class and a few small helpers.

Written by hand (the generator writes the modules next to it). Nothing here does I/O of
its own: every request goes through one of the client's entry points.
"""

# pyright: reportPrivateUsage=false
# (the resources are the client's own callers: _request, _stream, _prepare...)

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypedDict, TypeVar, cast
from urllib.parse import quote

from .._models import LazyModule
from .._types import CallOptions, Omit

if TYPE_CHECKING:
    from .._client import OpenAI

__all__ = [
    "Resource",
    "json_part",
    "typed_part",
    "json_unless_file",
    "lazy_types",
    "path_param",
    "result_variant",
    "with_headers",
]

T = TypeVar("T")
_TYPES_PACKAGE: Final = "trio_openai.types"
# RFC 3986 `pchar` beyond the unreserved characters quote() always keeps: sub-delims, ":", "@".
_PATH_SAFE: Final = "!$&'()*+,;=:@"


class Resource:
    """Base of the generated resources: ``Files(client)``. Sub-resources are created on
    first access and kept (``functools.cached_property``)."""

    _path: ClassVar[str] = ""  # where users reach it: "chat.completions" (for error messages)

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


def path_param(name: str, value: object) -> str:
    """`value` quoted for one path segment, as openai-python quotes it.

    RFC 3986 §3.3 path characters stay as they are (``ft:gpt-4o-mini:org:suffix:abc123``
    keeps its colons; ``@ ! $ & ' ( ) * + , ; =`` too); ``/``, ``?``, ``#``, ``%``, spaces and
    non-ASCII are percent-encoded. Raises ValueError naming `name` for an empty value
    (``client.files.retrieve("")`` would otherwise call ``GET /files/``, the list) and for
    ``.`` or ``..``, which a server or proxy would resolve as a step up the path.
    """
    if value is None or value == "" or isinstance(value, Omit):
        raise ValueError(f"Expected a non-empty value for `{name}` but received {value!r}")
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text in (".", ".."):
        raise ValueError(f"`{name}` cannot be {text!r}: it would change the request's path")
    return quote(text, safe=_PATH_SAFE)


def json_part(value: object) -> object:
    """A form field the spec encodes as JSON (``encoding: {contentType: application/json}``):
    a dict or list becomes its JSON text (a str is taken as JSON text already), sent with
    ``Content-Type: application/json`` as openai-python does; omitted values stay omitted."""
    if isinstance(value, Omit) or value is None:
        return value
    from .._encoding import dump_json
    from .._multipart import TypedText

    text = value if isinstance(value, str) else dump_json(value).decode()
    return TypedText(text, "application/json")


def typed_part(value: object, content_type: str) -> object:
    """A text form field sent with the media type the spec gives it (``sdp``:
    ``application/sdp``); omitted values stay omitted."""
    if isinstance(value, Omit) or value is None:
        return value
    from .._multipart import TypedText

    return TypedText(str(value), content_type)


class BodyArguments(TypedDict, total=False):
    """The body keyword of a client entry point: a JSON body or a multipart form."""

    body: object
    multipart: Mapping[str, object]


def json_unless_file(form: Mapping[str, object]) -> BodyArguments:
    """A form sent as JSON when no field holds a file, as a multipart form otherwise.

    For operations whose JSON body takes every field of their multipart one
    (``containers.files.create(container_id, file_id=...)``, ``skills.create``, the
    ``videos`` creations): JSON keeps objects and nulls as they are, where a form can
    only flatten them into bracketed text fields. openai-python sends JSON there too for
    containers and skills.
    """
    from .._multipart import has_file

    if has_file(form):
        return {"multipart": form}
    return {"body": {k: v for k, v in form.items() if not isinstance(v, Omit)}}


class ResultArguments(TypedDict, total=False):
    """How a client entry point decodes the result: a cast, or the body as text."""

    cast: Callable[[Any], object]
    binary: bool
    headers: Mapping[str, str]


def _text(body: bytes) -> str:
    return body.decode()


def result_variant(
    value: object,
    decoders: Mapping[str, Callable[[Any], object] | None],
    default: str | None,
    fallback: Callable[[Any], object],
) -> ResultArguments:
    """Decode the variant of a union result that the request asked for.

    ``audio.transcriptions.create(response_format="verbose_json")`` answers the verbose
    variant, whose fields overlap the diarized one's: only the request tells them apart.
    A None decoder means a text body (``text``, ``srt``, ``vtt``), returned as a str, as
    openai-python returns it (with the same ``Accept: application/json``). A value the
    table does not know is decoded by structure (`fallback`).
    """
    key = default if isinstance(value, Omit) else value
    if not isinstance(key, str) or key not in decoders:
        return {"cast": fallback}
    decode = decoders[key]
    if decode is None:
        return {"binary": True, "cast": _text, "headers": {"Accept": "application/json"}}
    return {"cast": decode}


def with_headers(options: CallOptions, headers: Mapping[str, object]) -> CallOptions:
    """`options` with an operation's headers added: the fixed ones the API requires
    (``OpenAI-Beta: assistants=v2``) and header parameters.

    The caller's extra_headers still win, whatever the case of their names (HTTP header
    names are case-insensitive: ``{"openai-beta": ...}`` replaces ``OpenAI-Beta``, and
    ``{"OpenAI-Beta": omit}`` removes it). Omitted values are left out; a list is sent
    comma-separated (``openai-beta: a,b``).
    """
    extra = options.get("extra_headers") or {}
    overridden = {name.lower() for name in extra}
    given: dict[str, str | Omit] = {}
    for name, value in headers.items():
        if isinstance(value, Omit) or value is None or name.lower() in overridden:
            continue
        if isinstance(value, Sequence) and not isinstance(value, str):
            given[name] = ",".join(str(v) for v in cast("Sequence[object]", value))
        else:
            given[name] = str(value)
    if not given:
        return options
    merged: CallOptions = {**options, "extra_headers": {**given, **extra}}
    return merged


def lazy_types(namespace: dict[str, Any], alias: str, module: str) -> Any:
    """A stand-in for ``from ..types import module as alias``, imported on first use.

    A resource module refers to the models of several areas; each is imported only when
    a call needs it (the first attribute access replaces the stand-in in `namespace`).
    """
    return LazyModule(namespace, alias, f"{_TYPES_PACKAGE}.{module}")
