"""Run the whole generation: spec -> trio_openai/types/*.py and trio_openai/resources/*.py."""

from __future__ import annotations

import os
from pathlib import Path

from .bodies import render_bodies
from .emit import HEADER, ModuleWriter, doc_literal, quote
from .ir import AliasDef, Def, Ref, Resolver, UnionDef
from .layout import assign_modules
from .names import snake
from .operations import OperationBuilder, check_unique
from .params import PARAMS_MODULE, ParamTyper
from .resources import render_resources
from .spec import Spec, load
from .typenames import Alias, alias_module_files, alias_table, index_source

_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = _ROOT.parent / "shared" / "openapi" / "openapi.json"
_MACHINE_SPEC = Path("/work/shared/openapi/openapi.json")


def default_spec() -> Path:
    """$OPENAPI_SPEC, else ../shared beside the repository, else the machine's shared copy
    (for clones made elsewhere, as CI's)."""
    env = os.environ.get("OPENAPI_SPEC")
    if env:
        return Path(env)
    for candidate in (DEFAULT_SPEC, _MACHINE_SPEC):
        if candidate.exists():
            return candidate
    return DEFAULT_SPEC


def generate(spec_path: str | Path, out_dir: str | Path) -> dict[str, str]:
    """Write out_dir/types and out_dir/resources; returns {"types/x.py": source, ...}.

    Files of ours (they start with the generated-file header) that a run no longer
    produces are deleted; hand-written ones next to them are left alone.
    """
    types, resources = render_all(Spec(load(spec_path)))
    written: dict[str, str] = {}
    for folder, files in (("types", types), ("resources", resources)):
        directory = Path(out_dir) / folder
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.rglob("*.py"):
            name = old.relative_to(directory).as_posix()
            if name not in files and old.read_text(encoding="utf-8").startswith(HEADER):
                old.unlink()
        for name, source in files.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != source:
                path.write_text(source, encoding="utf-8")
            written[f"{folder}/{name}"] = source
    return written


def render(spec: Spec) -> dict[str, str]:
    """{file name in types/: source} for the whole spec."""
    return render_all(spec)[0]


def render_all(spec: Spec) -> tuple[dict[str, str], dict[str, str]]:
    """({file in types/: source}, {file in resources/: source})."""
    resolver = Resolver(spec)
    resolver.build()
    modules = assign_modules(spec, resolver)
    typer = ParamTyper(spec, model_names=resolver.component_names)
    ops = OperationBuilder(spec, resolver, typer).build_all()
    check_unique(ops)
    by_module: dict[str, list[Def]] = {}
    for name, d in resolver.defs.items():
        by_module.setdefault(modules[name], []).append(d)
    typer.accept_results(modules)
    targets = {**modules, **dict.fromkeys([*typer.classes, *typer.aliases], PARAMS_MODULE)}
    params = {**dict.fromkeys(typer.classes, ""), **{n: a.ann for n, a in typer.aliases.items()}}
    param_names = {*typer.classes, *typer.aliases}
    bodies, body_aliases = render_bodies(ops, resolver, modules, typer)
    aliases = alias_table(targets, params, body_aliases)
    files: dict[str, str] = {}
    for module in sorted(by_module):
        writer = ModuleWriter(resolver, modules, module)
        files[f"{module}.py"] = writer.source(by_module[module], aliases.get(module))
    files.update(alias_module_files(aliases, {*by_module, PARAMS_MODULE}, HEADER))
    files["__init__.py"] = _index(resolver, modules, aliases.get("", []))
    files["_operations.py"] = _operations(resolver)
    files[f"{PARAMS_MODULE}.py"] = typer.source(HEADER)
    files.update(bodies)
    return files, render_resources(ops, resolver, modules, param_names)


def _decoders(resolver: Resolver) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, d in resolver.defs.items():
        if isinstance(d, UnionDef) or (
            isinstance(d, AliasDef) and resolver.needs_conversion(Ref(name))
        ):
            out[name] = f"decode_{snake(name)}"
    return out


def _index(resolver: Resolver, modules: dict[str, str], root_aliases: list[Alias]) -> str:
    decoders = _decoders(resolver)
    names: dict[str, str] = dict(modules)
    for name, fn in decoders.items():
        if fn in names:
            raise ValueError(f"decoder name {fn} collides with a type name")
        names[fn] = modules[name]
    for alias, _module, target in root_aliases:
        if alias in names and alias != target:
            raise ValueError(f"openai-python's {alias} collides with a generated name")
    return index_source(HEADER, names, decoders, root_aliases)


def _operations(resolver: Resolver) -> str:
    lines = [
        HEADER,
        doc_literal("The type of each operation's successful response, by content type.", ""),
        "",
        "from __future__ import annotations",
        "",
        "# operationId -> {content type: type name in trio_openai.types}",
        "RESPONSE_TYPES: dict[str, dict[str, str]] = {",
    ]
    for op_id in sorted(resolver.operation_types):
        entries: list[str] = []
        for content_type, t in sorted(resolver.operation_types[op_id].items()):
            if isinstance(t, Ref):
                entries.append(f"{quote(content_type)}: {quote(t.name)}")
        if entries:
            lines.append(f"    {quote(op_id)}: {{{', '.join(entries)}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"
