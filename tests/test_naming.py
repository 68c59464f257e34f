"""No public name carries a numbering artefact (`FunctionToolParam2`, `...Variant3Item...`).

The generator numbers a name only as a last resort, when two schemas want the same one and
no rule tells them apart; users cannot guess such names and they change when the spec
reorders. The rules that replace them live in codegen/params.py (`_merge_class`,
`_sole_object`, `_suffix`) and codegen/component_names.py (`PARAM_NAMES`).
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import trio_openai
import trio_openai.resources
import trio_openai.types
from codegen.component_names import PARAM_NAMES, param_name_of
from codegen.generate import default_spec
from codegen.spec import load

# A number that follows a lowercase letter and ends the name or a word of it: `Param2`,
# `Variant3Item`. Digits inside an acronym (`C2PA`) or a word (`Gpt4o`) are names.
ARTEFACT = re.compile(r"(?<=[a-z])\d+(?=$|[A-Z_])")


def _public_names() -> dict[str, str]:
    """{public name: the module that exports it} over trio_openai, types/ and resources/."""
    names: dict[str, str] = dict.fromkeys(trio_openai.__all__, "trio_openai")
    names.update(dict.fromkeys(trio_openai.types._INDEX, "trio_openai.types"))  # pyright: ignore[reportPrivateUsage]
    for package in (trio_openai.types, trio_openai.resources):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            exported = getattr(module, "__all__", None)
            if exported is None:
                exported = [n for n in vars(module) if not n.startswith("_")]
            for name in exported:
                names.setdefault(name, info.name)
    return names


def test_the_artefact_pattern() -> None:
    flagged = ["FunctionToolParam2", "ModerationsCreateInputVariant3ItemTextParam", "Error2"]
    kept = ["C2PAProvenanceResult", "Gpt4oTranscribe", "FunctionToolParam", "Http"]
    assert [n for n in flagged if ARTEFACT.search(n)] == flagged
    assert [n for n in kept if ARTEFACT.search(n)] == []


def test_no_public_name_ends_in_a_numbering_artefact() -> None:
    names = _public_names()
    assert len(names) > 2000  # the walk reached the generated modules
    numbered = sorted(f"{module}.{name}" for name, module in names.items() if ARTEFACT.search(name))
    assert numbered == [], "give these a name by rule (codegen/params.py) or in PARAM_NAMES"


def test_request_types_formerly_numbered_have_readable_names() -> None:
    import trio_openai.types.params as params

    def required(cls: type) -> set[str]:  # the annotations are strings at runtime
        anns = {k: getattr(v, "__forward_arg__", v) for k, v in cls.__annotations__.items()}
        return {k for k, v in anns.items() if str(v).startswith("Required[")}

    # the spec's own `FunctionToolParam` (a namespace's function) beside the model twin
    assert "parameters" in required(params.FunctionToolParam)
    assert "parameters" not in required(params.NamespaceFunctionToolParam)
    # a nullable object component is the object's TypedDict, not an alias of a `...2`
    assert required(params.PromptParam) == {"id"}
    assert set(params.ChatCompletionStreamOptionsParam.__annotations__) == {
        "include_usage",
        "include_obfuscation",
    }
    # the same fields under one name: the caller union has one program member
    assert params.ToolCallCallerParam == "DirectToolCallCallerParam | ProgramToolCallCallerParam"
    # an untagged object member of a union; an array member that alone makes types
    assert "VoiceIdsOrCustomVoiceObjectParam" in params.__all__
    assert "ModerationsCreateInputItemTextParam" in params.__all__


@pytest.mark.parametrize("component", sorted(PARAM_NAMES))
def test_every_param_name_entry_is_a_spec_component_whose_name_is_taken(component: str) -> None:
    schemas = load(default_spec())["components"]["schemas"]
    assert component in schemas
    model = component.removesuffix("Param")
    assert model in schemas, "an entry is only for a spec `XParam` beside a model `X`"
    assert param_name_of(component) == PARAM_NAMES[component]
    assert param_name_of("Beta" + component) == "Beta" + PARAM_NAMES[component]
