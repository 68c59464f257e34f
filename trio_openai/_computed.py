"""Properties the official SDKs compute on top of what the server sends.

The spec lists a few "SDK-only convenience" properties (``Response.output_text``). The
server never sends them, so the generator leaves them out of the model's fields (its
`to_dict()` stays exactly the received JSON) and emits a read-only property calling the
function of the same name here instead. `codegen.naming.COMPUTED` is the table of them.

Pure module: imports neither trio nor httpx.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

__all__ = ["output_text"]


def output_text(response: object) -> str:
    """The text of every ``output_text`` part of the output messages, joined ("" if none).

    Works on `Response` and `BetaResponse`, and on items the spec does not know yet
    (`UnknownVariant`, whose attributes read through to its data).
    """
    output = getattr(response, "output", None)
    if not isinstance(output, list):
        return ""
    texts: list[str] = []
    for item in cast("Iterable[object]", output):
        if getattr(item, "type", None) != "message":
            continue
        content = getattr(item, "content", None)
        if not isinstance(content, list):
            continue
        for part in cast("Iterable[object]", content):
            if getattr(part, "type", None) == "output_text":
                text = getattr(part, "text", None)
                if isinstance(text, str):
                    texts.append(text)
    return "".join(texts)
