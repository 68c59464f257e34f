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
    "client loads no resource module. `AreasWithRawResponse` and "
    "`AreasWithStreamingResponse` are the same tree behind ``client.with_raw_response`` "
    "and ``client.with_streaming_response``."
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
        lines.append(
            f"    from .{node.module} import {node.cls}WithRawResponse, "
            f"{node.cls}WithStreamingResponse"
        )
    lines += [
        "",
        '__all__ = ["Areas", "AreasWithRawResponse", "AreasWithStreamingResponse"]',
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
    for kind in ("RawResponse", "StreamingResponse"):
        what = "raw" if kind == "RawResponse" else "streaming"
        lines += [
            "",
            "",
            f"class AreasWith{kind}:",
            doc_literal(
                f"``client.with_{what}_response``: each area's ``with_{what}_response``.",
                "    ",
            ),
            "",
            "    def __init__(self, client: OpenAI) -> None:",
            "        self._client = client",
        ]
        for node in tops:
            attr = node.path[0]
            lines += [
                "",
                "    @property",
                f"    def {attr}(self) -> {node.cls}With{kind}:",
                doc_literal(f"``client.{attr}.with_{what}_response``", "        "),
                f"        return self._client.{attr}.with_{what}_response",
            ]
    return "\n".join(lines) + "\n"


def wrapper_properties(node: Node) -> list[str]:
    """The ``with_raw_response`` / ``with_streaming_response`` attributes of a resource class."""
    lines: list[str] = []
    for kind, what in (("RawResponse", "an `APIResponse`"), ("StreamingResponse", None)):
        doc = (
            f"This resource's calls returning {what} (headers, status, the parsed result)."
            if what
            else "This resource's calls as ``async with ... as response``: an "
            "`AsyncAPIResponse` whose body is read as you ask, released with the block."
        )
        attr = "with_raw_response" if kind == "RawResponse" else "with_streaming_response"
        lines += [
            "",
            "    @cached_property",
            f"    def {attr}(self) -> {node.cls}With{kind}:",
            doc_literal(doc, "        "),
            f"        return {node.cls}With{kind}(self)",
        ]
    return lines


def wrapper_classes(node: Node, child_type: dict[str, str]) -> list[str]:
    """``<Class>WithRawResponse`` and ``<Class>WithStreamingResponse`` of one resource.

    `child_type` maps a sub-resource attribute to its class as the module refers to it
    (``Steps`` or ``_r_beta_threads.Steps``).
    """
    path = ".".join(node.path)
    out: list[str] = []
    for kind, prefix in (("RawResponse", "raw"), ("StreamingResponse", "streamed")):
        attr = "with_raw_response" if kind == "RawResponse" else "with_streaming_response"
        out += [
            "",
            "",
            f"class {node.cls}With{kind}:",
            doc_literal(f"``client.{path}.{attr}``", "    "),
            "",
            f"    def __init__(self, resource: {node.cls}) -> None:",
            "        self._resource = resource",
        ]
        for op in node.ops:
            wrap = f"_to_{prefix}_page" if op.page_shape is not None else f"_to_{prefix}"
            out.append(f"        self.{op.name} = {wrap}(resource.{op.name})")
        for name in sorted(node.children):
            out += [
                "",
                "    @cached_property",
                f"    def {name}(self) -> {child_type[name]}With{kind}:",
                doc_literal(f"``client.{path}.{name}.{attr}``", "        "),
                f"        return self._resource.{name}.{attr}",
            ]
    return out


__all__ = ["render_areas", "wrapper_classes", "wrapper_properties"]
