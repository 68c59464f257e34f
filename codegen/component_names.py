"""Class names for the spec's components: digit-free, one per model.

Most components keep their own name (``class_name``). Two kinds do not:

- a ``...Param`` schema, the request-side twin of a model: ``...Param`` is the name of
  its TypedDict in types/params.py, so its model drops the suffix; where a model of that
  name exists and has every key of the twin, the twin is decoded as it (`same_as`);
- a component the spec numbers (``Error-2``, ``GrammarSyntax1``): the component it
  repeats when the shape is the same, else its title, else its first referrer's name and
  its own (``VideoResourceError``).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from .names import class_name
from .spec import Spec

# The request components the spec names `XParam` where the TypedDict twin of the model `X`
# (of other fields) already is `XParam`. The twin keeps the name: it is what the common
# calls take (`tools=[FunctionToolParam]`, message content) and what openai-python means by
# `FunctionToolParam`. These take openai-python's names for the spec's own shapes
# (`ResponseInputTextContentParam`, `NamespaceToolParam.ToolFunction`); a `Beta...`
# component takes `Beta` + its counterpart's name.
PARAM_NAMES: dict[str, str] = {
    "BetaOutputTextContentParam": "BetaResponseOutputTextContentParam",
    "FunctionToolParam": "NamespaceFunctionToolParam",
    "InputFileContentParam": "ResponseInputFileContentParam",
    "InputTextContentParam": "ResponseInputTextContentParam",
}


def param_name_of(comp: str) -> str | None:
    """The request type name `PARAM_NAMES` gives component `comp`, else None."""
    if comp in PARAM_NAMES:
        return PARAM_NAMES[comp]
    if comp.startswith("Beta") and comp[4:] in PARAM_NAMES:
        return "Beta" + PARAM_NAMES[comp[4:]]
    return None


# A component name ending in a number: ``Error-2``, ``GrammarSyntax1`` (not ``C2PA...``).
NUMBERED = re.compile(r"^(.*?[A-Za-z])-?\d+$")


def unique_name(name: str, taken: set[str], reserved: Collection[str]) -> str:
    """`name`, or `name` with a number when it is taken (recorded in `taken`)."""
    candidate, n = name, 1
    while candidate in taken or candidate in reserved:
        n += 1
        candidate = f"{name}{n}"
    taken.add(candidate)
    return candidate


class ComponentNamer:
    """Names every component of `spec` into `names`, reserving them in `taken`."""

    def __init__(self, spec: Spec, taken: set[str], reserved: Collection[str]) -> None:
        self.spec = spec
        self.taken = taken
        self.reserved = reserved
        self.names: dict[str, str] = {}
        self.same_as: dict[str, str] = {}  # a twin -> the component it is decoded as
        numbered = [n for n in spec.schemas if NUMBERED.match(n)]
        params = [
            n
            for n in spec.schemas
            if n not in numbered and class_name(n).endswith("Param") and class_name(n) != "Param"
        ]
        by_class: dict[str, str] = {}
        for name in spec.schemas:
            if name not in numbered and name not in params:
                self.names[name] = self._unique(class_name(name))
                by_class.setdefault(class_name(name), name)
        for name in params:
            self.names[name] = self._param_twin_name(name, by_class)
        for name in numbered:
            self.names[name] = self._numbered_name(name)

    def _unique(self, name: str) -> str:
        return unique_name(name, self.taken, self.reserved)

    def _claim(self, name: str) -> bool:
        if name in self.taken or name in self.reserved:
            return False
        self.taken.add(name)
        return True

    def _param_twin_name(self, comp: str, by_class: dict[str, str]) -> str:
        base = class_name(comp).removesuffix("Param")
        other = by_class.get(base)
        if other is None and self._claim(base):
            return base
        keys = self.spec.property_keys(comp)
        if other is not None and (
            self.spec.same_shape(comp, other) or (keys and keys <= self.spec.property_keys(other))
        ):
            self.same_as[comp] = other
            return self.names[other]
        titled = self._from_title(comp, base)
        return titled if titled is not None else self._unique(base + "Request")

    def _numbered_name(self, comp: str) -> str:
        match = NUMBERED.match(comp)
        assert match is not None
        base = match.group(1)
        if base in self.spec.schemas and self.spec.same_shape(comp, base):
            self.same_as[comp] = base
            return self.names[base]
        titled = self._from_title(comp, base)
        if titled is not None:
            return titled
        found = self.spec.referrer(comp)
        if found is not None:
            parent = self.names.get(found[0]) or class_name(found[0])
            own = class_name(base).removesuffix("Param")
            if parent.startswith("Beta"):
                own = own.removeprefix("Beta")
            return self._unique(parent + own)
        return self._unique(class_name(base))

    def _from_title(self, comp: str, base: str) -> str | None:
        title = self.spec.schema(comp).get("title")
        if not isinstance(title, str) or not title:
            return None
        name = class_name(title)
        if base.startswith("Beta") and not name.startswith("Beta"):
            name = "Beta" + name
        return name if self._claim(name) else None
