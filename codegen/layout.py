"""Which generated module holds which definition.

Each component schema gets an API area, in this order of evidence:

1. the areas of the operations that reach it (request, parameters, responses, followed
   transitively), the first in `AREA_ORDER` winning, so a schema shared by Responses and
   Conversations lives with Responses;
2. else the x-oaiMeta event groups that list it (stream, realtime and webhook events) and
   the webhooks section, followed transitively;
3. else its name prefix, else `shared`.

Areas that would hold too much are split by `SPLITS` (name patterns, first match wins) so
importing the module of a stream event does not build hundreds of unrelated classes.
Inline definitions live with the component they were found in.
"""

# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownArgumentType=false
# (this walks the spec: untyped JSON, checked by shape at each step)

from __future__ import annotations

import re
from collections import Counter

from .ir import Def, Resolver
from .names import module_name
from .spec import Spec

# Group names (x-oaiMeta.group or tag) -> area.
GROUP_AREAS = {
    "administration": "admin",
    "audit-logs": "admin",
    "realtime-calls": "realtime",
    "fine-tuning": "fine_tuning",
    "content_provenance_checks": "content_provenance",
    "vector_stores": "vector_stores",
}

AREA_ORDER = (
    "responses",
    "conversations",
    "chat",
    "completions",
    "embeddings",
    "audio",
    "images",
    "realtime",
    "files",
    "uploads",
    "batch",
    "vector_stores",
    "containers",
    "models",
    "moderations",
    "fine_tuning",
    "graders",
    "evals",
    "assistants",
    "threads",
    "chatkit",
    "videos",
    "skills",
    "beta",
    "admin",
    "usage",
)

# x-oaiMeta event groups -> area.
EVENT_GROUP_AREAS = (
    ("realtime-beta", "realtime_beta"),
    ("realtime", "realtime"),
    ("responses", "responses"),
    ("webhook", "webhooks"),
    ("images", "images"),
    ("chat", "chat"),
    ("assistants", "assistants"),
)

NAME_PREFIX_AREAS = (
    ("Realtime", "realtime"),
    ("Beta", "beta"),
    ("Webhook", "webhooks"),
    ("Run", "assistants"),
    ("Message", "assistants"),
    ("Thread", "assistants"),
    ("Assistant", "assistants"),
    ("Chat", "chat"),
    ("Response", "responses"),
)

# (area, pattern on the component name, module): splits of the big areas.
SPLITS: tuple[tuple[str, str, str], ...] = (
    (
        "responses",
        r"^Responses(Server|Client)Event|^ResponseWs|^ResponsesWebSocket",
        "responses_websocket",
    ),
    (
        "beta",
        r"^BetaResponses(Server|Client)Event|^BetaResponseWs|^BetaResponsesWebSocket",
        "beta_websocket",
    ),
    ("responses", r"^Response\w*Event$|^ResponseStreamEvent$", "response_events"),
    ("responses", r"^Responses\w*Event|^ResponseWs", "response_events"),
    (
        "responses",
        r"Tool(Param)?$|ToolCall|ToolChoice|^MCP|Shell|ApplyPatch|Computer|"
        r"^(Click|DoubleClick|Drag|KeyPress|Move|Screenshot|Scroll|Type|Wait)",
        "response_tools",
    ),
    (
        "responses",
        r"Item|Message|Content|Annotation|Program|Compaction|Reasoning|Citation|"
        r"FilePath|LogProb",
        "response_items",
    ),
    ("beta", r"Event$", "beta_events"),
    (
        "beta",
        r"Tool(Param)?$|ToolCall|ToolChoice|^BetaMCP|Shell|ApplyPatch|Computer|"
        r"^Beta(Click|DoubleClick|Drag|KeyPress|Move|Screenshot|Scroll|Type|Wait)",
        "beta_tools",
    ),
    (
        "beta",
        r"Item|Message|Content|Annotation|Program|Compaction|Reasoning|Citation|"
        r"FilePath|LogProb|Agent",
        "beta_items",
    ),
    (
        "realtime",
        r"^RealtimeServerEvent|^RealtimeClientEvent|^RealtimeTranslation",
        "realtime_events",
    ),
    ("admin", r"^(Usage|Costs)", "usage"),
    ("admin", r"^AuditLog", "audit_logs"),
    ("admin", r"^Project", "projects"),
)


# Areas whose name is a package of openai-python's type names (``types.beta.threads``,
# ``types.fine_tuning.jobs``, ``types.evals.runs``): their models go to another module.
RENAMED_MODULES = {
    "beta": "beta_responses",
    "evals": "evals_runs",
    "fine_tuning": "fine_tuning_jobs",
}


def area_of_group(group: str) -> str:
    if group in GROUP_AREAS:
        return GROUP_AREAS[group]
    if group.startswith("usage"):
        return "usage"
    return module_name(group)


def component_areas(spec: Spec) -> dict[str, str]:
    """component name -> area (before splitting)."""
    reach: dict[str, set[str]] = {}
    for op in spec.operations():
        area = area_of_group(op.group)
        for name in spec.closure(spec.refs_in(op.op)):
            reach.setdefault(name, set()).add(area)
    rank = {area: i for i, area in enumerate(AREA_ORDER)}
    out: dict[str, str] = {}
    for name, areas in reach.items():
        out[name] = min(areas, key=lambda a: (rank.get(a, len(rank)), a))

    def claim(roots: list[str], area: str) -> None:
        for name in spec.closure(roots):
            out.setdefault(name, area)

    meta = spec.document.get("x-oaiMeta") or {}
    for group in meta.get("groups") or ():
        gid = str(group.get("id", ""))
        area = next((a for prefix, a in EVENT_GROUP_AREAS if gid.startswith(prefix)), None)
        if area is None:
            continue
        keys = [s["key"] for s in group.get("sections") or () if s.get("type") == "object"]
        claim([k for k in keys if k in spec.schemas], area)
    claim(spec.refs_in(spec.document.get("webhooks") or {}), "webhooks")
    for name in spec.schemas:
        if name not in out:
            area = next((a for p, a in NAME_PREFIX_AREAS if name.startswith(p)), "shared")
            claim([name], area)
    return out


def module_of_component(name: str, area: str) -> str:
    for split_area, pattern, module in SPLITS:
        if split_area == area and re.search(pattern, name):
            return module
    return area


def assign_modules(spec: Spec, resolver: Resolver) -> dict[str, str]:
    """definition name -> module name (relative to trio_openai.types)."""
    areas = component_areas(spec)
    by_component = {
        comp: module_of_component(comp, areas.get(comp, "shared")) for comp in spec.schemas
    }
    out: dict[str, str] = {}
    for name, d in resolver.defs.items():
        module = _module_for(d, by_component)
        out[name] = RENAMED_MODULES.get(module, module)
    return out


def _module_for(d: Def, by_component: dict[str, str]) -> str:
    if d.home.startswith("op:"):
        return module_name(area_of_group(d.home[3:]))
    return by_component.get(d.home, "shared")


def summary(modules: dict[str, str]) -> Counter[str]:
    return Counter(modules.values())
