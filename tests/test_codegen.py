"""The generator: committed output is a fresh run, and tricky schemas come out right."""

# pyright: reportPrivateUsage=false
# (these tests look at the generated protocol: _KEYS, _SET, decoder tables)

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
from spec_path import spec_path

from codegen.emit import HEADER
from codegen.generate import generate, render
from codegen.names import attr_name, class_name, snake
from codegen.spec import Spec, load
from trio_openai._models import UnknownVariant
from trio_openai._types import omit

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "trio_openai"
TYPES = PACKAGE / "types"
RESOURCES = PACKAGE / "resources"
# Written by hand next to the generated resource modules.
HANDWRITTEN_RESOURCES = {"_base.py", "_extras.py", "_polling.py", "_tasks.py", "_uploads.py"}


def test_committed_output_equals_a_fresh_run(tmp_path: Path) -> None:
    files = generate(spec_path(), tmp_path)
    fresh = {
        f"{folder}/{p.relative_to(tmp_path / folder).as_posix()}"
        for folder in ("types", "resources")
        for p in (tmp_path / folder).rglob("*.py")
    }
    assert fresh == set(files)
    committed = {f"types/{p.relative_to(TYPES).as_posix()}" for p in TYPES.rglob("*.py")} | {
        f"resources/{p.name}" for p in RESOURCES.glob("*.py") if p.name not in HANDWRITTEN_RESOURCES
    }
    assert committed == fresh, "run `python -m codegen` to regenerate types/ and resources/"
    for name in sorted(fresh):
        expected = (tmp_path / name).read_text(encoding="utf-8")
        assert (PACKAGE / name).read_text(encoding="utf-8") == expected, name


def test_regeneration_leaves_handwritten_files_alone(tmp_path: Path) -> None:
    (tmp_path / "resources").mkdir()
    mine = tmp_path / "resources" / "_base.py"
    mine.write_text("# written by hand\n")
    stale = tmp_path / "resources" / "gone.py"
    stale.write_text(HEADER + "\n")
    generate(spec_path(), tmp_path)
    assert mine.read_text() == "# written by hand\n"
    assert not stale.exists()


def test_every_generated_file_has_the_header() -> None:
    for path in [*TYPES.rglob("*.py"), *RESOURCES.glob("*.py")]:
        if path.parent == RESOURCES and path.name in HANDWRITTEN_RESOURCES:
            continue
        assert path.read_text(encoding="utf-8").startswith(HEADER + "\n"), path.name


def test_names() -> None:
    assert [attr_name(k) for k in ("from", "global", "type", "object", "extra", "to_dict")] == [
        "from_",
        "global_",
        "type",
        "object",
        "extra_",
        "to_dict_",
    ]
    assert attr_name("1st") == "n1st"
    assert attr_name("self-harm/intent") == "self_harm_intent"
    assert attr_name("_private") == "private_"
    assert class_name("ConversationParam-2") == "ConversationParam2"
    assert class_name("2fa") == "N2fa"
    assert snake("MCPToolCall") == "mcp_tool_call"
    assert snake("ResponseStreamEvent") == "response_stream_event"


# --- a small spec with the awkward cases, generated into a throwaway package -----------

MINI_SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "x-oaiMeta": {"group": "things"},
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "data": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Thing"},
                                        }
                                    },
                                }
                            }
                        }
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "description": 'A thing with """quotes""" and a backslash \\ in its doc.',
                "required": ["from", "kind"],
                "properties": {
                    "from": {"type": "string"},
                    "global": {"type": ["string", "null"]},
                    "1st": {"type": "integer"},
                    "extra": {"type": "boolean"},
                    "kind": {"$ref": "#/components/schemas/Shape"},
                    "tags": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/components/schemas/Circle"},
                    },
                    "inline": {
                        "type": "object",
                        "properties": {
                            "deep": {"type": "object", "properties": {"x": {"type": "number"}}}
                        },
                    },
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
                    "text_or_parts": {
                        "oneOf": [
                            {"type": "string"},
                            {"type": "array", "items": {"$ref": "#/components/schemas/Circle"}},
                        ]
                    },
                },
            },
            "Shape": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Circle"},
                    {"$ref": "#/components/schemas/Square"},
                    {"$ref": "#/components/schemas/BigSquare"},
                ],
                "discriminator": {"propertyName": "type"},
            },
            "Circle": {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {"type": "string", "enum": ["circle"]},
                    "r": {"type": "number"},
                },
            },
            "Square": {
                "type": "object",
                "required": ["type", "side"],
                "properties": {"type": {"const": "square"}, "side": {"type": "number"}},
            },
            "BigSquare": {
                "type": "object",
                "required": ["type", "side", "scale"],
                "properties": {
                    "type": {"const": "square"},
                    "side": {"type": "number"},
                    "scale": {"type": "number"},
                },
            },
            "Pet": {
                "anyOf": [
                    {
                        "type": "object",
                        "required": ["barks"],
                        "properties": {"barks": {"type": "boolean"}},
                        "title": "Dog",
                    },
                    {
                        "type": "object",
                        "required": ["meows"],
                        "properties": {"meows": {"type": "boolean"}},
                        "title": "Cat",
                    },
                ]
            },
            "Mood": {"type": "string", "enum": ["happy", "sad"]},
        }
    },
}


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("mini")
    package = root / "minipkg"
    (package / "types").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "_models.py").write_text("from trio_openai._models import *  # noqa: F403\n")
    (package / "_types.py").write_text("from trio_openai._types import Omit, omit  # noqa: F401\n")
    files = render(Spec(MINI_SPEC))
    assert render(Spec(MINI_SPEC)) == files  # deterministic
    for name, source in files.items():
        (package / "types" / name).write_text(source)
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("minipkg.types")
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.startswith("minipkg")]:
            del sys.modules[name]


def test_mini_keywords_digits_and_reserved_names(mini: Any) -> None:
    sent = {"from": "a", "global": None, "1st": 1, "extra": True, "kind": {"type": "circle"}}
    thing = mini.Thing.from_dict(dict(sent))
    assert thing.from_ == "a"
    assert thing.global_ is None
    assert thing.n1st == 1
    assert thing.extra_ is True
    assert thing.extra == {}
    assert thing.to_dict() == sent
    assert "quotes" in (mini.Thing.__doc__ or "")


def test_mini_nested_inline_objects_maps_and_recursion(mini: Any) -> None:
    sent = {
        "from": "a",
        "kind": {"type": "square", "side": 2},
        "tags": {"x": {"type": "circle", "r": 1}},
        "inline": {"deep": {"x": 1.5}},
        "children": [{"from": "b", "kind": {"type": "circle"}}],
        "text_or_parts": [{"type": "circle"}],
    }
    thing = mini.Thing.from_dict(sent)
    assert type(thing.kind).__name__ == "Square"
    assert type(thing.tags["x"]).__name__ == "Circle"
    assert type(thing.inline).__name__ == "ThingInline"
    assert type(thing.inline.deep).__name__ == "ThingInlineDeep"
    assert type(thing.children[0]).__name__ == "Thing"
    assert type(thing.text_or_parts[0]).__name__ == "Circle"
    assert thing.to_dict() == sent
    assert mini.Thing.from_dict({"text_or_parts": "plain"}).text_or_parts == "plain"


def test_mini_shared_discriminator(mini: Any) -> None:
    assert type(mini.decode_shape({"type": "square", "side": 1})).__name__ == "Square"
    big = mini.decode_shape({"type": "square", "side": 1, "scale": 2})
    assert type(big).__name__ == "BigSquare"
    unknown = mini.decode_shape({"type": "hexagon"})
    assert isinstance(unknown, UnknownVariant)
    assert unknown.to_dict() == {"type": "hexagon"}


def test_mini_union_without_discriminator_uses_required_keys(mini: Any) -> None:
    assert type(mini.decode_pet({"meows": True})).__name__ == "PetCat"
    assert type(mini.decode_pet({"barks": False})).__name__ == "PetDog"
    assert isinstance(mini.decode_pet({"swims": True}), UnknownVariant)


def test_mini_inline_operation_response_and_aliases(mini: Any) -> None:
    from_ops = importlib.import_module("minipkg.types._operations").RESPONSE_TYPES
    assert from_ops == {"listThings": {"application/json": "ListThingsResponse"}}
    page = mini.decoder_for("ListThingsResponse")(
        {"data": [{"from": "x", "kind": {"type": "circle"}}]}
    )
    assert page.data[0].from_ == "x"
    assert page.data[0].global_ is omit
    assert mini.decoder_for("Mood")("happy") == "happy"


def test_generated_names_read_like_hand_written_ones() -> None:
    import re

    import trio_openai.types as types
    import trio_openai.types.params as params

    models = {n for n in types._INDEX if not n.startswith("decode_")}
    numbered = sorted(n for n in models if re.search(r"\d", n) and not n.startswith("C2PA"))
    assert numbered == [], "a numbered name: derive one from the title or the referrer"
    typed_dicts = {n for n in vars(params) if n[:1].isupper()}
    assert sorted(models & typed_dicts) == [], "one name, two classes (model and TypedDict)"


def test_numbered_components_get_a_name_from_their_context() -> None:
    import trio_openai.types as types

    # Error-2 (only used by VideoResource.error) and GrammarSyntax1 take their referrer's
    # name; ConversationParam-2 its title; MessagePhase-2 repeats MessagePhase.
    assert types._INDEX["VideoResourceError"] == "videos"
    assert "CustomGrammarFormatGrammarSyntax" in types._INDEX
    assert "ConversationObject" in types._INDEX
    assert "MessagePhase2" not in types._INDEX and "MessagePhase" in types._INDEX
    # a `...Param` schema with a model twin is decoded as that model
    assert "FunctionToolParam" not in types._INDEX and "FunctionTool" in types._INDEX


def _audit_event_values(resolver: object) -> list[str]:
    spec = load(spec_path())
    return list(spec["components"]["schemas"]["AuditLogEventType"]["enum"])


def test_long_literals_of_the_spec_are_referred_to_by_their_alias() -> None:
    from codegen.ir import Resolver
    from codegen.typenames import name_literals

    resolver = Resolver(Spec(load(spec_path())))
    resolver.build()
    source = (RESOURCES / "admin.py").read_text(encoding="utf-8")
    start = source.index("event_types: ") + len("event_types: ")
    assert source[start : source.index(" | Omit", start)] == (
        "Sequence[_t_audit_logs.AuditLogEventType]"
    )  # not the 145 values written out
    values = "Literal[" + ", ".join(f'"{v}"' for v in _audit_event_values(resolver)) + "]"
    assert name_literals(values, resolver, str) == "AuditLogEventType"
    assert name_literals('Literal["asc", "desc"]', resolver, str) == 'Literal["asc", "desc"]'
