"""The resource half of the generator: the naming table, request types, generated methods.

The surface these tests pin: every one of the spec's 288 operations has a method of its own
on the client, named as openai-python names it; every name an annotation of the generated
code uses exists; the request types and the modules come out the same on every run.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from spec_path import spec_path

import trio_openai
from codegen.ir import Resolver
from codegen.naming import OVERRIDES, locate, module_of
from codegen.operations import OperationBuilder, check_unique
from codegen.params import ParamTyper, union_ann
from codegen.resources import build_tree, render_resources
from codegen.spec import Spec, load

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "trio_openai" / "resources"
TYPES = ROOT / "trio_openai" / "types"


@pytest.fixture(scope="module")
def built() -> tuple[Spec, Resolver, ParamTyper, list[Any]]:
    spec = Spec(load(spec_path()))
    resolver = Resolver(spec)
    resolver.build()
    typer = ParamTyper(spec)
    return spec, resolver, typer, OperationBuilder(spec, resolver, typer).build_all()


# --- naming ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation_id", "path", "method", "admin", "expected"),
    [
        ("x", "/files", "get", False, ("files", "list")),
        ("x", "/files", "post", False, ("files", "create")),
        ("x", "/files/{file_id}", "get", False, ("files", "retrieve")),
        ("x", "/files/{file_id}", "post", False, ("files", "update")),
        ("x", "/files/{file_id}", "delete", False, ("files", "delete")),
        ("x", "/batches/{batch_id}/cancel", "post", False, ("batches", "cancel")),
        (
            "x",
            "/chat/completions/{id}/messages",
            "get",
            False,
            ("chat.completions.messages", "list"),
        ),
        ("x", "/threads/{thread_id}/runs", "post", False, ("beta.threads.runs", "create")),
        ("x", "/responses/{id}?beta=true", "get", False, ("beta.responses", "retrieve")),
        ("x", "/organization/users/{id}", "get", True, ("admin.organization.users", "retrieve")),
        ("x", "/projects/{id}/roles", "get", True, ("admin.organization.projects.roles", "list")),
        (
            "x",
            "/organization/spend_limit",
            "post",
            True,
            ("admin.organization.spend_limit", "update"),
        ),
        (
            "x",
            "/organization/certificates/activate",
            "post",
            True,
            ("admin.organization.certificates", "activate"),
        ),
        ("createImage", "/images/generations", "post", False, ("images", "generate")),
        ("usage-costs", "/organization/costs", "get", True, ("admin.organization.usage", "costs")),
    ],
)
def test_naming_rules_and_overrides(
    operation_id: str, path: str, method: str, admin: bool, expected: tuple[str, str]
) -> None:
    assert locate(operation_id, path, method, admin=admin) == expected


def test_every_override_names_an_operation_of_the_spec(built: Any) -> None:
    _, _, _, ops = built
    ids = {op.operation_id for op in ops}
    assert set(OVERRIDES) <= ids, set(OVERRIDES) - ids


def test_module_splits() -> None:
    assert module_of(("files",)) == "files"
    assert module_of(("admin", "organization", "projects", "users", "roles")) == "admin_projects"
    assert module_of(("beta", "threads", "runs")) == "beta_threads"
    assert module_of(("beta",)) == "beta"


def test_openai_python_names(built: Any) -> None:
    """A sample of openai-python's api.md, spelled the same here."""
    _, _, _, ops = built
    names = {f"{op.resource}.{op.name}" for op in ops}
    for expected in [
        "responses.create",
        "responses.retrieve",
        "responses.delete",
        "responses.cancel",
        "responses.compact",
        "responses.input_items.list",
        "responses.input_tokens.count",
        "chat.completions.create",
        "chat.completions.list",
        "chat.completions.update",
        "chat.completions.messages.list",
        "conversations.items.create",
        "conversations.items.retrieve",
        "files.content",
        "vector_stores.file_batches.list_files",
        "vector_stores.files.content",
        "vector_stores.search",
        "containers.files.content.retrieve",
        "fine_tuning.jobs.list_events",
        "fine_tuning.jobs.checkpoints.list",
        "fine_tuning.checkpoints.permissions.delete",
        "fine_tuning.alpha.graders.validate",
        "images.create_variation",
        "audio.speech.create",
        "beta.threads.create_and_run",
        "beta.threads.runs.submit_tool_outputs",
        "beta.threads.runs.steps.retrieve",
        "beta.chatkit.threads.list_items",
        "evals.runs.cancel",
        "evals.runs.output_items.list",
        "uploads.parts.create",
        "videos.download_content",
        "videos.character.get",
        "skills.versions.content.retrieve",
        "realtime.calls.accept",
        "realtime.client_secrets.create",
        "admin.organization.projects.users.retrieve",
        "admin.organization.projects.rate_limits.update_rate_limit",
        "admin.organization.projects.service_accounts.api_keys.create",
        "admin.organization.usage.completions",
        "admin.organization.audit_logs.list",
        "beta.responses.input_tokens.count",
    ]:
        assert expected in names, expected


# --- the whole surface -----------------------------------------------------------------


def test_every_operation_is_reachable_once(built: Any) -> None:
    _, _, _, ops = built
    check_unique(ops)
    nodes = build_tree(ops)
    client = trio_openai.OpenAI(api_key="sk-test")
    for op in ops:
        target: Any = client
        for part in op.resource.split("."):
            target = getattr(target, part)
        assert callable(getattr(target, op.name)), op.operation_id
        if op.stream_type is not None:
            assert callable(getattr(target, op.stream_name)), op.operation_id
    counts = {
        "operations": len(ops),
        "resources": len(nodes),
        "methods": len(ops)
        + sum(op.stream_type is not None for op in ops)
        + sum(op.byte_stream for op in ops),
        "streams": sum(op.stream_type is not None for op in ops),
        "byte streams": sum(op.byte_stream for op in ops),
        "paginators": sum(op.page_shape is not None for op in ops),
        "binary": sum(op.result == "binary" for op in ops),
        "admin": sum(op.admin for op in ops),
        "multipart": sum(op.body_kind == "multipart" for op in ops),
    }
    print(counts, Counter(op.page_shape for op in ops if op.page_shape))
    assert counts["operations"] == 288


def test_the_registry_lists_the_top_level_areas() -> None:
    from trio_openai.resources._registry import RESOURCES

    assert {"responses", "chat", "files", "beta", "admin", "realtime"} <= set(RESOURCES)
    for module, cls in RESOURCES.values():
        assert (RESOURCES_DIR := RESOURCES_PATH / f"{module}.py").exists(), RESOURCES_DIR
        assert re.search(rf"^class {cls}\((\w+, )?Resource\):", RESOURCES_DIR.read_text(), re.M)


RESOURCES_PATH = RESOURCES


# --- request types ---------------------------------------------------------------------


def test_union_annotations() -> None:
    assert union_ann(["str", 'Literal["a", "b"]']) == "str"
    assert union_ann(['Literal["a"]', 'Literal["b"]', "int"]) == 'Literal["a", "b"] | int'
    assert union_ann(["None", "int", "int"]) == "int | None"
    assert union_ann(["object", "int"]) == "object"
    assert union_ann(["Literal[1]", "str"]) == "Literal[1] | str"


MINI: dict[str, Any] = {
    "openapi": "3.1.0",
    "paths": {
        "/things/{thing_id}": {
            "post": {
                "operationId": "updateThing",
                "parameters": [
                    {
                        "name": "thing_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "tags[]",
                        "in": "query",
                        "schema": {"type": "array", "items": {"type": "string"}},
                    },
                ],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Update"}}
                    }
                },
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"type": "object"}}}}
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Update": {
                "type": "object",
                "required": ["node"],
                "properties": {
                    "node": {"$ref": "#/components/schemas/Node"},
                    "mode": {"allOf": [{"$ref": "#/components/schemas/Mode"}, {"nullable": True}]},
                    "timeout": {"type": "integer"},
                },
            },
            "Node": {
                "type": "object",
                "required": ["from"],
                "properties": {
                    "from": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                },
            },
            "Mode": {"oneOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "integer"}]},
        }
    },
}


def test_request_types_of_a_small_spec() -> None:
    spec = Spec(MINI)
    resolver = Resolver(spec)
    resolver.build()
    typer = ParamTyper(spec)
    (op,) = OperationBuilder(spec, resolver, typer).build_all()
    params = {p.name: (p.key, p.ann, p.required, p.where) for p in op.params}
    assert params == {
        "thing_id": ("thing_id", "str", True, "path"),
        "tags": ("tags", "Sequence[str]", False, "query"),
        "node": ("node", "NodeParam", True, "body"),
        "mode": ("mode", "ModeParam | None", False, "body"),
        "timeout_": ("timeout", "int", False, "body"),  # not to clash with the call option
    }
    source = typer.source("# header")
    assert """ModeParam: TypeAlias = 'Literal["a", "b"] | int'""" in source
    assert '"from": Required["str"],' in source  # a keyword: the functional TypedDict form
    assert '"children": "Sequence[NodeParam]",' in source  # recursion by name
    namespace: dict[str, Any] = {}
    exec(compile(source, "params.py", "exec"), namespace)
    assert namespace["NodeParam"].__required_keys__ == frozenset({"from"})
    files = render_resources([op], resolver, {}, {*typer.classes, *typer.aliases})
    assert set(files) == {"things.py", "_registry.py", "__init__.py"}
    tree = ast.parse(files["things.py"])
    assert [n.name for n in tree.body if isinstance(n, ast.ClassDef)] == [
        "Things",
        "ThingsWithRawResponse",
        "ThingsWithStreamingResponse",
    ]
    assert "f\"/things/{_p('thing_id', thing_id)}\"" in files["things.py"]
    assert '"timeout": timeout_,' in files["things.py"]


def test_generation_is_deterministic(built: Any) -> None:
    spec, resolver, typer, _ = built
    first = typer.source("# h")
    again = ParamTyper(spec)
    OperationBuilder(spec, resolver, again).build_all()
    assert again.source("# h") == first


# --- every name an annotation uses exists ----------------------------------------------


def _type_checking_namespace(path: Path, package: str) -> dict[str, Any]:
    """The module's globals as a type checker sees them (its TYPE_CHECKING imports run)."""
    source = path.read_text(encoding="utf-8").replace("if TYPE_CHECKING:", "if True:", 1)
    namespace: dict[str, Any] = {"__name__": f"{package}.{path.stem}_check", "__package__": package}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace


def _annotation_nodes(tree: ast.Module) -> list[ast.expr]:
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            args = [*node.args.args, *node.args.kwonlyargs, *filter(None, [node.args.kwarg])]
            found += [a.annotation for a in args if a.annotation is not None]
            if node.returns is not None:
                found.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
    return found


def _check_names(expr: ast.expr, namespace: dict[str, Any], where: str) -> None:
    """Every name in an annotation exists (strings are forward references, except in
    ``Literal[...]``, where they are values)."""
    if isinstance(expr, ast.Constant):
        if isinstance(expr.value, str):
            _check_names(ast.parse(expr.value, mode="eval").body, namespace, where)
    elif isinstance(expr, ast.Subscript):
        _check_names(expr.value, namespace, where)
        if not (isinstance(expr.value, ast.Name) and expr.value.id == "Literal"):
            _check_names(expr.slice, namespace, where)
    elif isinstance(expr, ast.Tuple | ast.List):
        for element in expr.elts:
            _check_names(element, namespace, where)
    elif isinstance(expr, ast.BinOp):
        _check_names(expr.left, namespace, where)
        _check_names(expr.right, namespace, where)
    elif isinstance(expr, ast.Attribute):
        assert isinstance(expr.value, ast.Name), ast.dump(expr)
        owner = namespace.get(expr.value.id)
        assert owner is not None, f"{where}: {expr.value.id}"
        assert hasattr(owner, expr.attr), f"{where}: {expr.value.id}.{expr.attr}"
    elif isinstance(expr, ast.Name):
        assert expr.id in namespace or hasattr(builtins, expr.id), f"{where}: {expr.id}"
    else:
        raise AssertionError(f"{where}: unexpected annotation {ast.dump(expr)}")


@pytest.mark.parametrize(
    "path",
    sorted(p for p in RESOURCES.glob("*.py") if not p.name.startswith("__")),
    ids=lambda p: p.name,
)
def test_resource_annotations_name_existing_things(path: Path) -> None:
    namespace = _type_checking_namespace(path, "trio_openai.resources")
    for expr in _annotation_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        _check_names(expr, namespace, path.name)


def test_param_types_name_existing_things() -> None:
    path = TYPES / "params.py"
    namespace = _type_checking_namespace(path, "trio_openai.types")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for expr in _annotation_nodes(tree):
        _check_names(expr, namespace, path.name)
    for node in tree.body:  # aliases and functional TypedDicts hold their types as strings
        if isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Constant):
            _check_names(node.value, namespace, path.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            fields = node.value.args[1]
            assert isinstance(fields, ast.Dict)
            for value in fields.values:
                assert value is not None
                _check_names(value, namespace, path.name)
    module = importlib.import_module("trio_openai.types.params")
    assert set(module.__all__) <= set(vars(module))
