"""Big JSON bodies parsed a slice at a time: the result of ``orjson.loads``, a lower peak.

``orjson.loads`` builds its own document of the whole input (a copy of the text and a node
per value) before it makes the Python objects, and frees it only at the end. On top of the
body itself that raised the peak resident memory by 2.3x a 20 MB Response and by 4.3x a
1.9 MB page of 10,000 files (measured, `ru_maxrss`), so the peak of a call was 3.4x and
7.8x its body. The bulk of a big body is one array: a list page's ``data``, a Response's
``output``. `loads` parses that array in slices of ~256 KiB, each with its own small
document, and the rest of the object around it; the peak is the body, the Python result
and one slice's document.

Where to cut is found without a JSON scanner of our own (one in Python would cost more
than the parse): a cut goes after a ``}`` followed by ``,`` and ``{``, where items of an
array of objects meet; the array's end is a ``]``. A cut is kept only if the slice parses
as a JSON array by itself: the lexer's state at the cut is then the one after an item of
that array, whatever came before (it is the same left-to-right lexing), so the cut cannot
be inside a string or a nested value. A cut that does not parse (inside an item, or past the
array's end, where the objects of a later array meet the same way) is followed by a few
more tries; then the rest of the array is one slice. The object around the array is
parsed with a marker string in the array's place, and must give that marker back as its
top-level key: so the array was the top-level value of that key. Anything else (no such
array, no end found, invalid JSON) falls back to one ``orjson.loads`` of the whole body,
which also gives orjson's error for invalid JSON.

Measured on the big-body benchmark's bodies (CPU, collector paused as `_prepared` does,
best of 9): a 1.9 MB page 6.3 ms either way; a 20 MB Response 20 ms against orjson's 33
(its one large working buffer costs page faults).

Pure module: orjson only.
"""

from __future__ import annotations

import re
from typing import Any, Final, cast

import orjson

__all__ = ["loads"]

# The array key in the first position a list page or a Response could have it; the
# character before the quote (`{` or `,`, spaces allowed) means the quote is not escaped.
_ARRAY_KEY: Final = re.compile(rb'[{,]\s*"(data|output)"\s*:\s*\[')
_ITEMS_MEET: Final = re.compile(rb"\}\s*,\s*\{")
_MARKER: Final = "\x00trio_openai: sliced array"
_MARKER_JSON: Final = orjson.dumps(_MARKER)
SLICE: Final = 1 << 18
_MISSES: Final = 4  # cuts that did not parse before the rest is taken as one slice
_ENDS: Final = 1000  # `]` tried as the array's end, from the body's end


def loads(body: bytes, *, slice_size: int = SLICE) -> Any:
    """``orjson.loads(body)``: the same value, the same errors, a lower peak when big."""
    found = _sliced(body, slice_size) if len(body) > 2 * slice_size else None
    return orjson.loads(body) if found is None else found


def _sliced(body: bytes, size: int) -> dict[str, Any] | None:
    match = _ARRAY_KEY.search(body)
    if match is None:
        return None
    view = memoryview(body)  # slices without a copy: `_array` makes the only one
    start = pos = match.end()  # just after the array's `[`
    items: list[Any] = []
    misses = 0
    while misses < _MISSES:
        cut = _ITEMS_MEET.search(body, pos + size)
        if cut is None:
            break
        part = _array(view[pos : cut.start() + 1])  # up to the `}`
        while part is None and misses < _MISSES:
            # Inside an item, or past the array's end (the objects of a later array
            # meet the same way): a few more tries, then the rest is the last slice.
            misses += 1
            cut = _ITEMS_MEET.search(body, cut.end() - 1)  # the next place items might meet
            if cut is None:
                break
            part = _array(view[pos : cut.start() + 1])
        if cut is None or part is None:
            break
        items += part
        pos = cut.end() - 1  # at the next item's `{`
    # The last slice ends at the array's `]`, the first from the end around which the
    # rest parses with the marker in the array's place (cheap: no slice in it), and
    # before which the last slice parses (the proof).
    key = match.group(1).decode()
    close = len(body)
    for _ in range(_ENDS):
        close = body.rfind(b"]", pos, close)
        if close < 0:
            return None
        try:
            around = orjson.loads(body[:start] + _MARKER_JSON + body[close:])
        except orjson.JSONDecodeError:
            continue
        if around.__class__ is not dict or around.get(key) != [_MARKER]:
            continue
        part = _array(view[pos:close])
        if part is not None:
            items += part
            around[key] = items
            return cast("dict[str, Any]", around)
    return None


def _array(text: memoryview) -> list[Any] | None:
    try:
        value = orjson.loads(b"".join((b"[", text, b"]")))  # one copy
    except orjson.JSONDecodeError:
        return None
    return value
