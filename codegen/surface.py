"""Python source of the typed seam between the client and the generated resources.

``trio_openai/resources/__init__.py`` holds `Areas`, a base class of `OpenAI` with one
``functools.cached_property`` per top-level area (``client.responses``, ``client.files``...).
Each property imports its module on first access, so ``import trio_openai`` and
``OpenAI()`` load no resource module, yet every attribute has its exact static type (the
alternative, ``__getattr__ -> Any``, left user code untyped below ``client.``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .emit import HEADER, doc_literal

if TYPE_CHECKING:
    from .resources import Node

_DOC = (
    "The API areas of the client (``client.responses``, ``client.files``...) as typed "
    "attributes.\n\n`Areas` is a base class of `OpenAI`: each attribute imports its module "
    "on first access and is kept on the client, so importing trio_openai or building a "
    "client loads no resource module."
)


def render_areas(tops: list[Node]) -> str:
    """The source of resources/__init__.py for the top-level resource nodes `tops`."""
    lines = [
        HEADER,
        doc_literal(_DOC, ""),
        "",
        "from __future__ import annotations",
        "",
        "from functools import cached_property",
        "from typing import TYPE_CHECKING, cast",
        "",
        "if TYPE_CHECKING:",
        "    from .._client import OpenAI",
    ]
    for node in tops:
        lines.append(f"    from .{node.module} import {node.cls}")
    lines += [
        "",
        '__all__ = ["Areas"]',
        "",
        "",
        "class Areas:",
        doc_literal("The top-level API areas of `OpenAI`, loaded on first use.", "    "),
    ]
    for node in tops:
        attr = node.path[0]
        lines += [
            "",
            "    @cached_property",
            f"    def {attr}(self) -> {node.cls}:",
            doc_literal(f"``client.{attr}``", "        "),
            f"        from .{node.module} import {node.cls}",
            "",
            f'        return {node.cls}(cast("OpenAI", self))',
        ]
    return "\n".join(lines) + "\n"


__all__ = ["render_areas"]
