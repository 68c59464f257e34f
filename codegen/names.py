"""Identifiers: Python-safe class, attribute and module names from spec strings."""

from __future__ import annotations

import keyword
import re

# Attribute names a generated model may not use: BaseModel's own members.
RESERVED_ATTRS = frozenset(
    {"extra", "from_dict", "from_json", "to_dict", "to_json", "mro", "self", "cls"}
)

_WORD = re.compile(r"[A-Za-z0-9]+")
_CAMEL_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def camel(text: str) -> str:
    """`output_text.delta` -> `OutputTextDelta`; keeps inner capitals (`toolCall`)."""
    words = _WORD.findall(text)
    return "".join(w[0].upper() + w[1:] for w in words)


def class_name(text: str) -> str:
    """A class name from a schema name: invalid characters dropped, never a digit first."""
    name = "".join(camel(part) if not part[:1].isupper() else part for part in _WORD.findall(text))
    if not name:
        name = "Unnamed"
    if name[0].isdigit():
        name = "N" + name
    return name


def snake(name: str) -> str:
    """`ResponseStreamEvent` -> `response_stream_event`."""
    words = [w for part in _WORD.findall(name) for w in _CAMEL_SPLIT.split(part)]
    return "_".join(w.lower() for w in words if w)


def attr_name(key: str) -> str:
    """A Python attribute name for a JSON key (`from` -> `from_`, `self-harm` -> `self_harm`)."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", key)
    name = name.lstrip("_")
    if not name:
        name = "field"
    if name[0].isdigit():
        name = "n" + name
    if keyword.iskeyword(name) or name in RESERVED_ATTRS or key.startswith("_"):
        name += "_"
    return name


def singular(name: str) -> str:
    """A rough singular of a CamelCase name's last word (`Choices` -> `Choice`)."""
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if name.endswith("sses") or name.endswith("xes"):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss") and not name.endswith("us"):
        return name[:-1]
    return name + "Item"


def module_name(area: str) -> str:
    name = re.sub(r"[^0-9a-z_]", "_", area.lower()).strip("_")
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = "m_" + name
    return name


def trim_doc(text: str | None, limit: int = 600) -> str:
    """The first paragraph of a spec description, cut at `limit` characters."""
    if not text:
        return ""
    text = text.strip().replace("\r", "")
    para = text.split("\n\n", 1)[0]
    para = " ".join(line.strip() for line in para.splitlines())
    if len(para) > limit:
        cut = para[:limit].rsplit(" ", 1)[0]
        para = cut + " ..."
    return para
