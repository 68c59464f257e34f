"""Small shared types: the `omit` sentinel, timeouts, per-call options.

Pure module: imports neither trio nor httpx.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, TypedDict, cast, final

import attrs

if TYPE_CHECKING:
    import httpx

__all__ = [
    "NOT_GIVEN",
    "CallOptions",
    "Middleware",
    "Omit",
    "RequestOptions",
    "Timeout",
    "json_object",
    "omit",
]


class Omit(enum.Enum):
    """The type of `omit`: a parameter that was not given at all.

    Distinct from `None`, which sends JSON `null` where the API allows it. A one-member enum
    so that type checkers narrow on it: after `if response.usage is not omit:` (or
    `if response.usage:`, since `omit` is falsy) the field is typed without `Omit`.
    """

    OMIT = "omit"

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "omit"


omit: Final = Omit.OMIT
NOT_GIVEN: Final = omit  # the name openai-python users know

Headers: TypeAlias = Mapping[str, "str | Omit"]
Query: TypeAlias = Mapping[str, object]
Body: TypeAlias = object

CallNext: TypeAlias = "Callable[[httpx.Request], Awaitable[httpx.Response]]"
Middleware: TypeAlias = "Callable[[httpx.Request, CallNext], Awaitable[httpx.Response]]"


@final
@attrs.frozen(kw_only=True)
class Timeout:
    """Time limits of one attempt, in seconds; None means no limit.

    - ``request``: the whole attempt of a plain request (send and read the body); for a
      stream, the attempt until the response headers arrive.
    - ``connect``: acquiring a pooled connection or opening a new one.
    - ``first_event``: for streams, from sending the request (each attempt) to the first
      event, the wait for the response headers included.
    - ``idle``: for streams, the longest gap between two events.

    The caller's own cancel scope stays the overall deadline: these limits only ever
    shorten it. Each expiry raises `APITimeoutError`.
    """

    request: float | None = 600.0
    connect: float | None = 5.0
    first_event: float | None = None
    idle: float | None = None

    @classmethod
    def coerce(cls, value: float | Timeout | None) -> Timeout:
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(request=None, connect=None)
        return cls(request=float(value), connect=min(float(value), 5.0))


DEFAULT_TIMEOUT: Final = Timeout()
DEFAULT_MAX_RETRIES: Final = 2


@final
@attrs.frozen(kw_only=True)
class RequestOptions:
    """Per-call options every method takes (all optional)."""

    extra_headers: Headers | None = None
    extra_query: Query | None = None
    extra_body: Mapping[str, object] | None = None
    timeout: float | Timeout | Omit | None = omit
    max_retries: int | Omit = omit
    middleware: tuple[Middleware, ...] = ()
    idempotency_key: str | None = None


class CallOptions(TypedDict, total=False):
    """The keyword arguments every API method accepts besides its own parameters."""

    extra_headers: Headers | None
    extra_query: Query | None
    extra_body: Mapping[str, object] | None
    timeout: float | Timeout | Omit | None
    max_retries: int | Omit
    middleware: Sequence[Middleware]
    idempotency_key: str | None


def make_options(options: CallOptions | RequestOptions | None) -> RequestOptions:
    """RequestOptions from call keywords; a clear TypeError names an unknown keyword."""
    if options is None:
        return _NO_OPTIONS
    if isinstance(options, RequestOptions):
        return options
    if not options:
        return _NO_OPTIONS
    unknown = set(options) - _OPTION_NAMES
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    middleware = options.get("middleware")
    # Declared a tuple, given a list as often: store a tuple either way.
    if middleware is not None and not isinstance(middleware, tuple):
        options = {**options, "middleware": tuple(middleware)}
    return RequestOptions(**options)  # pyright: ignore[reportArgumentType] - a tuple now


_NO_OPTIONS: Final = RequestOptions()
_OPTION_NAMES: Final = frozenset(CallOptions.__annotations__)


def strip_omitted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `mapping` without the entries whose value is `omit`."""
    return {k: v for k, v in mapping.items() if v is not omit}


def json_object(value: object) -> dict[str, Any] | None:
    """`value` when it is a decoded JSON object, typed as one (its keys are strings); else None.

    One place for the narrowing every reader of a JSON answer needs: ``isinstance(x, dict)``
    alone leaves the key and value types unknown to a type checker.
    """
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None
