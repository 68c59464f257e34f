"""Big JSON bodies parsed a slice at a time: the result of ``orjson.loads``, a lower peak.

``orjson.loads`` builds its own document of the whole input (a copy of the text and a node
per value) before it makes the Python objects, and frees it only at the end. On top of the
body itself that raised the peak resident memory by 2.3x a 20 MB Response and by 4.3x a
1.9 MB page of 10,000 files (measured, `ru_maxrss`), so the peak of a call was 3.4x and
7.8x its body. The bulk of a big body is one array: a list page's ``data``, a Response's
``output``. `loads` parses that array in slices of ~64 KiB, each with its own small
document, and the rest of the object around it; the peak is the body, the Python result
and one slice's document. For a list page, the items can be decoded as each slice is
parsed (``item``): then only one slice's dicts exist at a time, not the page's (3.8x the
JSON for small objects such as files). 64 KiB slices against 256 KiB: a 10,000-file
page's call peaked at 4.4x its body instead of 4.9x, at the same CPU.

Where to cut is found without a JSON scanner of our own (one in Python would cost more
than the parse): a cut goes after a ``}`` followed by ``,`` and ``{``, where items of an
array of objects meet; the array's end is a ``]``. A cut is kept only if the slice parses
as a JSON array by itself: the lexer's state at the cut is then the one after an item of
that array, whatever came before (it is the same left-to-right lexing), so the cut cannot
be inside a string or a nested value. A cut that does not parse (inside an item, or past the
array's end, where the objects of a later array meet the same way) is followed by a few
more tries; then the rest of the array is one slice. The object around the array is
parsed with a marker string in the array's place, and must give that marker back as its
top-level key: so the array was the top-level value of that key (checked first, so that
items are decoded only once they are known to be the page's). Anything else (no such
array, no end found, invalid JSON) falls back to one ``orjson.loads`` of the whole body,
which also gives orjson's error for invalid JSON.

Measured on the big-body benchmark's bodies (CPU, collector paused as `_prepared` does,
best of 9): a 1.9 MB page 6.3 ms either way; a 20 MB Response 20 ms against orjson's 33
(its one large working buffer costs page faults).

Pure module: orjson, and `_models` for the `Decoded` list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, cast

import orjson

from ._models import Decoded

__all__ = ["loads"]

# The array key in the first position a list page or a Response could have it; the
# character before the quote (`{` or `,`, spaces allowed) means the quote is not escaped.
_ARRAY_KEY: Final = re.compile(rb'[{,]\s*"(data|output)"\s*:\s*\[')
_DATA_KEY: Final = re.compile(rb'[{,]\s*"(data)"\s*:\s*\[')  # a list page's items
_ITEMS_MEET: Final = re.compile(rb"\}\s*,\s*\{")
_MARKER: Final = "\x00trio_openai: sliced array"
_MARKER_JSON: Final = orjson.dumps(_MARKER)
SLICE: Final = 1 << 16
_MISSES: Final = 4  # cuts that did not parse before the rest is taken as one slice
_ENDS: Final = 1000  # `]` tried as the array's end, from the body's end


def loads(
    body: bytes, *, slice_size: int = SLICE, item: Callable[[Any], Any] | None = None
) -> Any:
    """``orjson.loads(body)``: the same value, the same errors, a lower peak when big.

    With ``item``, the elements of a top-level ``data`` array (a list page's items) are
    converted by it as each slice is parsed, so that only one slice's dicts exist at a time; that
    array is then a `Decoded` list. Not sliced (small, another shape): plain JSON.
    """
    found = _sliced(body, slice_size, item) if len(body) > 2 * slice_size else None
    return orjson.loads(body) if found is None else found


def _sliced(body: bytes, size: int, item: Callable[[Any], Any] | None) -> dict[str, Any] | None:
    match = (_ARRAY_KEY if item is None else _DATA_KEY).search(body)
    if match is None:
        return None
    view = memoryview(body)  # slices without a copy: `_array` makes the only one
    start = pos = match.end()  # just after the array's `[`
    key = match.group(1).decode()
    # First the object around the array, with the marker in its place, for the last `]`
    # (from the end) where it parses and gives the marker back as the key's value: that
    # proves the array starts at `start` as that top-level value, whichever `]` ends it
    # (the text before `start` is lexed the same either way), so items may be converted
    # as their slices are parsed. Cheap: no slice is parsed for it.
    close = len(body)
    for _ in range(_ENDS):
        close = body.rfind(b"]", start, close)
        if close < 0:
            return None
        around = _around(body, start, close, key)
        if around is not None:
            break
    else:
        return None
    items: list[Any] = Decoded() if item is not None else []
    misses = 0
    while misses < _MISSES:
        cut = _ITEMS_MEET.search(body, pos + size, close)
        if cut is None:
            break
        part = _array(view[pos : cut.start() + 1])  # up to the `}`
        while part is None and misses < _MISSES:
            # Inside an item, or past the array's end (the objects of a later array
            # meet the same way): a few more tries, then the rest is the last slice.
            misses += 1
            cut = _ITEMS_MEET.search(body, cut.end() - 1, close)  # the next place to try
            if cut is None:
                break
            part = _array(view[pos : cut.start() + 1])
        if cut is None or part is None:
            break
        items += part if item is None else [item(value) for value in part]
        pos = cut.end() - 1  # at the next item's `{`
    # The last slice ends at the array's `]`: the last one around which the object parses
    # and before which the last slice parses (the proof).
    for _ in range(_ENDS):
        part = _array(view[pos:close])
        if part is not None:
            items += part if item is None else [item(value) for value in part]
            around[key] = items
            return around
        while True:
            close = body.rfind(b"]", pos, close)
            if close < 0:
                return None
            found = _around(body, start, close, key)
            if found is not None:
                around = found
                break
    return None


def _around(body: bytes, start: int, close: int, key: str) -> dict[str, Any] | None:
    """The object around the array `body[start:close]`, if the marker comes back as `key`."""
    try:
        around: Any = orjson.loads(body[:start] + _MARKER_JSON + body[close:])
    except orjson.JSONDecodeError:
        return None
    if around.__class__ is not dict or around.get(key) != [_MARKER]:
        return None
    return cast("dict[str, Any]", around)


def _array(text: memoryview) -> list[Any] | None:
    try:
        value = orjson.loads(b"".join((b"[", text, b"]")))  # one copy
    except orjson.JSONDecodeError:
        return None
    return value
