"""Errors that name the call and the fix: an unknown keyword, ``stream=`` where nothing
streams, a call on a closed client.

Nothing here runs on a successful call: a misspelled keyword of a generated method lands
in its ``**options`` and is caught when the options are read; only then are the calling
frames inspected to name the method (``responses.create()``) and the closest parameter.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, final

from ._errors import OpenAIError
from ._types import CallOptions, RequestOptions

if TYPE_CHECKING:
    from types import FrameType

__all__ = ["ClientClosedError", "check_call_options", "unknown_keyword_error"]

_OPTIONS = frozenset(CallOptions.__annotations__)
_STREAM_FLAGS = frozenset({"stream", "stream_format"})


@final
class ClientClosedError(OpenAIError):
    """A call on a client whose ``async with`` block has ended (or after ``aclose()``).

    Raised at once, before anything is sent, and never retried.
    """

    def __init__(self) -> None:
        super().__init__(
            "This OpenAI client is closed: its `async with` block has ended (or aclose() was "
            "called), so it sends no more requests. Make the call inside the block, or open "
            "a new client."
        )


_ANY_PATH = frozenset({"request", "get", "post", "put", "patch", "delete", "stream"})


def _calling_method(frame: FrameType | None) -> tuple[object, str, str] | None:
    """(object, method name, its path for users) of the nearest caller that is a method of
    a resource (``chat.completions``) or an any-path call of the client (``client``)."""
    from ._any_path import AnyPath

    while frame is not None:
        owner: object = frame.f_locals.get("self")
        name = frame.f_code.co_name
        if name.startswith("_"):  # a mixin's hook behind a generated helper (`_parse`)
            frame = frame.f_back
            continue
        # a generated resource says where users reach it (resources/_base.Resource._path);
        # duck-typed so that this layer does not import the resources
        path = getattr(owner, "_path", None)
        if isinstance(path, str) and path and hasattr(owner, "_client"):
            return owner, name, path
        if isinstance(owner, AnyPath) and name in _ANY_PATH:
            return owner, name, "client"
        frame = frame.f_back
    return None


def _parameters(owner: object, method: str) -> list[str]:
    names: list[str] = []
    for candidate in (method, "create"):
        fn = getattr(type(owner), candidate, None)
        if fn is None:
            continue
        params = inspect.signature(fn).parameters.values()
        names += [
            p.name for p in params if p.kind is p.KEYWORD_ONLY or p.kind is p.POSITIONAL_OR_KEYWORD
        ]
        if not any(p.kind is p.VAR_KEYWORD and p.name != "options" for p in params):
            break  # a helper taking **params forwards them to create(): offer its names too
    return [n for n in dict.fromkeys(names) if n != "self"]


def check_call_options(options: CallOptions) -> None:
    """Raise the did-you-mean TypeError for keywords in `options` that are no call option.

    For hooks that forward a generated helper's ``**options`` elsewhere than the client's
    own request call (which checks them itself).
    """
    if not _OPTIONS.issuperset(options):
        raise unknown_keyword_error(options)


def unknown_keyword_error(options: CallOptions | RequestOptions | None) -> TypeError:
    """The TypeError for the unknown keywords in `options`, naming the method called."""
    unknown = sorted(set(options or {}) - _OPTIONS) if isinstance(options, dict) else []
    found = _calling_method(inspect.currentframe())
    if found is None or not unknown:
        return TypeError(f"unexpected keyword argument(s): {', '.join(unknown)}")
    owner, method, path = found
    call = f"{path}.{method}()"
    if len(unknown) == 1 and unknown[0] in _STREAM_FLAGS and path != "client":
        message = (
            f"{call} got an unexpected keyword argument {unknown[0]!r}: it does not stream. "
            f"To read its body as it arrives use `async with client.{path}"
            f".with_streaming_response.{method}(...) as response:`"
        )
        if method.startswith("list"):
            message += f"; to walk every item, `async for item in client.{path}.{method}(...)`"
        return TypeError(message)
    import difflib

    known = [*_parameters(owner, method), *sorted(_OPTIONS)]
    described: list[str] = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        described.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    if len(described) == 1:
        return TypeError(f"{call} got an unexpected keyword argument {described[0]}")
    return TypeError(f"{call} got unexpected keyword arguments {', '.join(described)}")
