"""What two recorded requests must agree on, and a readable list of where they do not.

Compared: the method, the raw path, the query (each `name=value` as encoded, and the parsed
multiset; the order of parameters is not compared: openai-python puts required ones first,
trio_openai follows the spec, and neither order means anything to the API),
the media type of the body, the body itself (JSON parsed, then dumped with sorted keys so
`1` and `1.0` still differ; a multipart form part by part: field name, file name,
per-part content type and bytes), and every header except `IGNORED_HEADERS`. The few
differences kept on purpose (`DELIBERATE`, docs/wire-parity.md) are recognised precisely:
only the exact pair of values each one allows passes.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import orjson
from wire_recorder import Recorded

__all__ = ["DELIBERATE", "IGNORED_HEADERS", "differences", "multipart_parts", "view"]

# Headers that describe the client rather than the request; the API reads none of them.
IGNORED_HEADERS: dict[str, str] = {
    "user-agent": "names the package and its version (OpenAI/Python 3.63 vs trio_openai/0.1)",
    "x-stainless-lang": "client environment telemetry",
    "x-stainless-package-version": "client environment telemetry (the package's own version)",
    "x-stainless-os": "client environment telemetry",
    "x-stainless-arch": "client environment telemetry",
    "x-stainless-runtime": "client environment telemetry",
    "x-stainless-runtime-version": "client environment telemetry",
    "x-stainless-async": (
        "says which client made the call: openai-python's sync client sends `false`, "
        "an async client `async:trio`"
    ),
    "x-stainless-read-timeout": (
        "openai-python's per-read timeout; trio_openai sends its per-attempt limit as "
        "`x-stainless-timeout` (both telemetry, the API enforces neither)"
    ),
    "x-stainless-timeout": "see x-stainless-read-timeout",
    "content-length": "follows from the body, which is compared parsed (JSON spacing, boundary)",
    "accept-encoding": "transport: httpx offers gzip/deflate/br/zstd as installed",
    "connection": "transport: keep-alive is the HTTP/1.1 default either way",
}

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?')
_DISPOSITION_PARAM = re.compile(r';\s*([\w*]+)="((?:[^"\\]|\\.)*)"')


def _media_type(content_type: str | None) -> str | None:
    return None if content_type is None else content_type.split(";")[0].strip().lower()


def multipart_parts(content_type: str, body: bytes) -> list[dict[str, Any]]:
    """The parts of a multipart/form-data body, in order: name, filename, type and data."""
    found = _BOUNDARY.search(content_type)
    if found is None:
        return [{"unparsable": body[:200]}]
    delimiter = b"--" + found.group(1).encode()
    parts: list[dict[str, Any]] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        params = dict(_DISPOSITION_PARAM.findall(headers.get("content-disposition", "")))
        parts.append(
            {
                "name": params.get("name"),
                "filename": params.get("filename"),
                "content_type": headers.get("content-type"),
                "data": data.removesuffix(b"\r\n"),
            }
        )
    return parts


def _body(request: Recorded) -> Any:
    media = _media_type(request.header("content-type"))
    if not request.body:
        return None
    if media == "application/json":
        try:
            return orjson.loads(orjson.dumps(orjson.loads(request.body), option=orjson.OPT_SORT_KEYS))
        except orjson.JSONDecodeError:
            return {"invalid json": request.body[:200]}
    if media == "multipart/form-data":
        parts = multipart_parts(request.header("content-type") or "", request.body)
        return sorted(parts, key=lambda p: (str(p.get("name")), str(p.get("filename"))))
    return request.body


def view(request: Recorded) -> dict[str, Any]:
    """The comparable fields of `request`."""
    headers: dict[str, str] = {}
    for name, value in request.headers:
        if name not in IGNORED_HEADERS and name != "content-type":
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return {
        "method": request.method,
        "path": request.path,
        "query (raw)": sorted(request.query.split("&")) if request.query else [],
        "query": sorted(parse_qsl(request.query, keep_blank_values=True)),
        "content-type": _media_type(request.header("content-type")),
        "body": _body(request),
        "headers": headers,
    }


# The deliberate differences (docs/wire-parity.md gives the reasons and the spec's words).
DELIBERATE = {
    "realtime-beta-header": (
        "openai-python's `client.beta` namespace sends `OpenAI-Beta: assistants=v2` on every "
        "call under it, Realtime sessions included; the spec's curl examples of "
        "/realtime/sessions and /realtime/transcription_sessions carry no beta header, and "
        "trio_openai sends it only where they do"
    ),
    "accept": (
        "Accept names the media type trio_openai will read: text/event-stream for a stream, "
        "the spec's declared type for a binary body, application/json (what an error body "
        "is) for an operation without a body; openai-python sends application/json, "
        "application/binary and */*"
    ),
    "embeddings-encoding": (
        "openai-python asks for base64 embeddings when encoding_format is omitted and "
        "decodes them; trio_openai leaves it to the spec's default (float)"
    ),
}


def _deliberate_accept(theirs: Recorded, ours: Recorded) -> bool:
    left, right = theirs.header("accept"), ours.header("accept")
    if right == "text/event-stream":  # openai-python: its default, or speech's binary type
        return left in ("application/json", "application/octet-stream")
    if left == "application/binary":
        return right not in (None, "application/json")
    return left == "*/*" and right == "application/json"


def _without_default_encoding(theirs: dict[str, Any], ours: dict[str, Any], path: str) -> Any:
    body = theirs["body"]
    if (
        path == "/v1/embeddings"
        and isinstance(body, dict)
        and body.get("encoding_format") == "base64"
        and isinstance(ours["body"], dict)
        and "encoding_format" not in ours["body"]
    ):
        return {k: v for k, v in body.items() if k != "encoding_format"}
    return body


def _strict(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=repr)


def differences(theirs: Recorded, ours: Recorded) -> list[str]:
    """One line per field where openai-python (`theirs`) and trio_openai (`ours`) differ."""
    a, b = view(theirs), view(ours)
    a["body"] = _without_default_encoding(a, b, theirs.path)
    lines: list[str] = []
    for key in ("method", "path", "query (raw)", "query", "content-type", "body"):
        if _strict(a[key]) != _strict(b[key]):
            lines.append(f"{key}: openai-python {a[key]!r} != trio_openai {b[key]!r}")
    for name in sorted({*a["headers"], *b["headers"]}):
        left, right = a["headers"].get(name), b["headers"].get(name)
        if name == "accept" and _deliberate_accept(theirs, ours):
            continue
        if (
            name == "openai-beta"
            and theirs.path.startswith("/v1/realtime/")
            and (left, right) == ("assistants=v2", None)
        ):
            continue  # DELIBERATE["realtime-beta-header"]
        if left != right:
            lines.append(f"header {name}: openai-python {left!r} != trio_openai {right!r}")
    return lines
