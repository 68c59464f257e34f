"""Redaction and request matching for cassettes. Pure module: no trio, no httpx.

Redaction runs before anything is stored, and the live request is redacted the same way before
it is compared, so a redacted field (a user id, a key in the body) still matches.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any, Final, final

import attrs

from .._redact import SENSITIVE_HEADERS
from ._cassette_format import RecordedBody, RequestRecord

__all__ = [
    "REDACTED",
    "Matcher",
    "Redactor",
    "closest",
    "describe",
    "differences",
    "json_differences",
]

REDACTED: Final = "REDACTED"
# Headers that change between runs or machines and say nothing about the exchange.
_VOLATILE_HEADERS: Final = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "host",
        "date",
        "accept-encoding",
        "content-encoding",
        "user-agent",
    }
)
_SIMILARITY_PREFIX: Final = 4096  # bytes of each body compared to rank near misses
_CREDENTIAL_QUERY: Final = frozenset({"api-key", "api_key", "key", "token", "access_token", "sig"})


def _field_matches(spec: str, path: tuple[str, ...]) -> bool:
    """`spec` without a dot names a key at any depth; with dots, a path from the root."""
    if "." in spec:
        return ".".join(path) == spec
    return bool(path) and path[-1] == spec


@final
@attrs.frozen(kw_only=True)
class Redactor:
    """What never reaches a cassette.

    Credential headers (Authorization, api-key, cookies, any name with "secret" or "token")
    are always replaced; `headers` adds names (e.g. "OpenAI-Organization"); `fields` names
    JSON fields replaced in request bodies, response bodies and stream events ("user" at any
    depth, or a dotted path from the root such as "metadata.email").
    """

    headers: frozenset[str] = frozenset()
    fields: tuple[str, ...] = ()

    def is_secret_header(self, name: str) -> bool:
        lowered = name.lower()
        return (
            lowered in SENSITIVE_HEADERS
            or lowered in self.headers
            or "secret" in lowered
            or "token" in lowered
        )

    def redact_headers(self, items: Iterable[tuple[str, str]]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in items:
            lowered = name.lower()
            if lowered in _VOLATILE_HEADERS or lowered.startswith("x-stainless-"):
                continue
            shown = REDACTED if self.is_secret_header(lowered) else value
            out[lowered] = f"{out[lowered]}, {shown}" if lowered in out else shown
        return out

    def redact_query(self, pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        return tuple(
            (name, REDACTED if name.lower() in _CREDENTIAL_QUERY else value)
            for name, value in pairs
        )

    def redact_json(self, value: Any, path: tuple[str, ...] = ()) -> Any:
        if not self.fields:
            return value
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
                sub = (*path, str(key))  # pyright: ignore[reportUnknownArgumentType]
                hidden = any(_field_matches(spec, sub) for spec in self.fields)
                out[str(key)] = REDACTED if hidden else self.redact_json(item, sub)  # pyright: ignore[reportUnknownArgumentType]
            return out
        if isinstance(value, list):
            return [self.redact_json(item, path) for item in value]  # pyright: ignore[reportUnknownVariableType]
        return value

    def redact_body(self, body: RecordedBody) -> RecordedBody:
        if body.kind != "json" or not self.fields:
            return body
        return RecordedBody("json", self.redact_json(body.value))


@final
@attrs.frozen(kw_only=True)
class Matcher:
    """Which parts of a request must equal the recorded one.

    `ignore_fields` names JSON body fields left out of the comparison (same syntax as
    `Redactor.fields`); `ignore_query` names query parameters left out.
    """

    method: bool = True
    path: bool = True
    query: bool = True
    body: bool = True
    ignore_fields: tuple[str, ...] = ()
    ignore_query: frozenset[str] = frozenset()


def _strip(value: Any, ignore: Sequence[str], path: tuple[str, ...] = ()) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            sub = (*path, str(key))  # pyright: ignore[reportUnknownArgumentType]
            if not any(_field_matches(spec, sub) for spec in ignore):
                out[str(key)] = _strip(item, ignore, sub)  # pyright: ignore[reportUnknownArgumentType]
        return out
    if isinstance(value, list):
        return [_strip(item, ignore, path) for item in value]  # pyright: ignore[reportUnknownVariableType]
    return value


def _json_diff(recorded: Any, sent: Any, where: str, out: list[str]) -> None:
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in [*recorded, *(k for k in sent if k not in recorded)]:  # pyright: ignore[reportUnknownVariableType]
            sub = f"{where}.{key}"
            if key not in sent:
                out.append(f"{sub}: recorded {_short(recorded[key])}, not sent")
            elif key not in recorded:
                out.append(f"{sub}: sent {_short(sent[key])}, not recorded")
            else:
                _json_diff(recorded[key], sent[key], sub, out)
    elif isinstance(recorded, list) and isinstance(sent, list) and len(recorded) == len(sent):  # pyright: ignore[reportUnknownArgumentType]
        for index, (a, b) in enumerate(zip(recorded, sent, strict=True)):  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
            _json_diff(a, b, f"{where}[{index}]", out)
    elif recorded != sent or type(recorded) is not type(sent):  # pyright: ignore[reportUnknownArgumentType]
        out.append(f"{where}: recorded {_short(recorded)}, sent {_short(sent)}")


def json_differences(recorded: Any, sent: Any) -> list[str]:
    """The differences between two JSON values, one line each (empty: equal)."""
    out: list[str] = []
    _json_diff(recorded, sent, "message", out)
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def differences(recorded: RequestRecord, sent: RequestRecord, matcher: Matcher) -> list[str]:
    """Why `sent` does not match `recorded`, one line per difference (empty: it matches)."""
    out: list[str] = []
    if matcher.method and recorded.method != sent.method:
        out.append(f"method: recorded {recorded.method}, sent {sent.method}")
    if matcher.path and recorded.path != sent.path:
        out.append(f"path: recorded {recorded.path}, sent {sent.path}")
    if matcher.query:
        mine = sorted(p for p in recorded.query if p[0] not in matcher.ignore_query)
        theirs = sorted(p for p in sent.query if p[0] not in matcher.ignore_query)
        if mine != theirs:
            out.append(f"query: recorded {mine}, sent {theirs}")
    if matcher.body:
        a, b = recorded.body, sent.body
        if a.kind == "json" and b.kind == "json":
            ignore = matcher.ignore_fields
            _json_diff(_strip(a.value, ignore), _strip(b.value, ignore), "body", out)
        elif a != b:
            out.append(f"body: recorded {_short(a.to_bytes())}, sent {_short(b.to_bytes())}")
    return out


def closest(
    candidates: Sequence[tuple[int, RequestRecord]], sent: RequestRecord, matcher: Matcher
) -> tuple[int, list[str]] | None:
    """The recorded request nearest to `sent`: same route first, then fewest differences,
    then the most similar body."""
    best: tuple[tuple[int, int, float], int, list[str]] | None = None
    sent_body = sent.body.to_bytes()[:_SIMILARITY_PREFIX]
    for index, recorded in candidates:
        diff = differences(recorded, sent, matcher)
        route = (recorded.method != sent.method) + (recorded.path != sent.path)
        recorded_body = recorded.body.to_bytes()[:_SIMILARITY_PREFIX]
        similarity = difflib.SequenceMatcher(None, recorded_body, sent_body).ratio()
        score = (route, len(diff), -similarity)
        if best is None or score < best[0]:
            best = (score, index, diff)
    return None if best is None else (best[1], best[2])


def describe(record: RequestRecord) -> str:
    query = "&".join(f"{k}={v}" for k, v in record.query)
    return f"{record.method} {record.path}{'?' + query if query else ''}"
