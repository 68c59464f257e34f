"""Where each operation of the spec lives on the client: a resource path and a method name.

The names follow openai-python (``client.chat.completions.create``,
``client.vector_stores.file_batches.list_files``, ``client.admin.organization.projects
.users.retrieve``...). Most follow from the URL by a few rules; the rest are in
`OVERRIDES`, a hand-maintained table checked against openai-python's api.md.

Rules, for an operation on ``/a/{a_id}/b/{b_id}/...``:

- the resource path is the URL's static segments (``a.b``), after a prefix: admin
  operations (the spec's ``AdminApiKeyAuth``) live under ``admin`` (so ``/organization/x``
  is ``admin.organization.x`` and ``/projects/{id}/roles`` is
  ``admin.organization.projects.roles``); Assistants, Threads and ChatKit under ``beta``;
  the ``?beta=true`` twins of the Responses routes under ``beta`` too;
- a last segment that is a verb (`ACTIONS`: ``cancel``, ``archive``, ``activate``...) is
  the method name and not part of the resource;
- a resource in `SINGLETONS` (``data_retention``, ``spend_limit``...) has no id: GET is
  ``retrieve``, POST ``update``, DELETE ``delete``;
- otherwise a collection (``/a``) has ``list`` (GET) and ``create`` (POST), an item
  (``/a/{a_id}``) has ``retrieve``, ``update`` (POST) and ``delete``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .names import attr_name

# Trailing path segments that name an action on the resource before them.
ACTIONS = frozenset(
    {
        "accept",
        "activate",
        "archive",
        "cancel",
        "compact",
        "complete",
        "deactivate",
        "hangup",
        "pause",
        "refer",
        "reject",
        "remix",
        "resume",
        "run",
        "search",
        "submit_tool_outputs",
        "validate",
    }
)

# Resources that are one object per parent, without an id of their own.
SINGLETONS = frozenset(
    {"data_retention", "hosted_tool_permissions", "model_permissions", "spend_limit"}
)

# First URL segment -> resource path prefix (admin routes are recognised by their security).
PREFIXES = {"assistants": ("beta",), "threads": ("beta",), "chatkit": ("beta",)}
ADMIN_PREFIXES = {"organization": ("admin",), "projects": ("admin", "organization")}

# operationId -> (resource path, method): where the rules above do not give openai-python's
# names. Keep sorted by resource path.
OVERRIDES: dict[str, tuple[str, str]] = {
    # usage and costs are methods of one `usage` resource
    "usage-costs": ("admin.organization.usage", "costs"),
    **{
        f"usage-{kind.replace('_', '-')}": ("admin.organization.usage", kind)
        for kind in (
            "audio_speeches",
            "audio_transcriptions",
            "code_interpreter_sessions",
            "completions",
            "embeddings",
            "file_search_calls",
            "images",
            "moderations",
            "vector_stores",
            "web_search_calls",
        )
    },
    "list-project-rate-limits": ("admin.organization.projects.rate_limits", "list_rate_limits"),
    "update-project-rate-limits": ("admin.organization.projects.rate_limits", "update_rate_limit"),
    "ListThreadItemsMethod": ("beta.chatkit.threads", "list_items"),
    "createThreadAndRun": ("beta.threads", "create_and_run"),
    "beta_Getinputtokencounts": ("beta.responses.input_tokens", "count"),
    "RetrieveContainerFileContent": ("containers.files.content", "retrieve"),
    "cancelEvalRun": ("evals.runs", "cancel"),
    "downloadFile": ("files", "content"),
    "listFineTuningEvents": ("fine_tuning.jobs", "list_events"),
    "createImageEdit": ("images", "edit"),
    "createImage": ("images", "generate"),
    "createImageVariation": ("images", "create_variation"),
    "Getinputtokencounts": ("responses.input_tokens", "count"),
    "GetSkillContent": ("skills.content", "retrieve"),
    "GetSkillVersionContent": ("skills.versions.content", "retrieve"),
    "listFilesInVectorStoreBatch": ("vector_stores.file_batches", "list_files"),
    "retrieveVectorStoreFileContent": ("vector_stores.files", "content"),
    "CreateVideoEdit": ("videos", "edit"),
    "CreateVideoExtend": ("videos", "extend"),
    "RetrieveVideoContent": ("videos", "download_content"),
    "CreateVideoCharacter": ("videos.character", "create"),
    "GetVideoCharacter": ("videos.character", "get"),
}

# operationId -> the URL to call where the spec's path key disagrees with the spec's own
# curl example and with openai-python (found by tests/test_differential.py): the API
# cancels an eval run at `POST /evals/{eval_id}/runs/{run_id}/cancel`.
URLS: dict[str, str] = {"cancelEvalRun": "/evals/{eval_id}/runs/{run_id}/cancel"}

# Operations whose result is the raw body although the spec declares JSON or nothing
# (openai-python returns the bytes for these too).
BINARY_RESULTS = frozenset({"RetrieveContainerFileContent", "downloadFile"})

# Operations whose JSON body takes every field of their form, sent as a form anyway because
# openai-python always sends them so (its `videos.create/edit/extend`): the same bytes on the
# wire for the same arguments. Other such operations send JSON when no file is given.
FORM_ALWAYS = frozenset({"createVideo", "CreateVideoEdit", "CreateVideoExtend"})

# Operations with a byte-stream twin (``stream_content``), as openai-python's
# ``with_streaming_response`` is used for them: audio played while it arrives.
BYTE_STREAMS = frozenset({"createSpeech"})

# Hand-written behaviour on generated resources has one mechanism: a mixin class of
# trio_openai/resources/_extras.py that the resource's class derives from
# (``class Responses(ResponsesExtras, Resource)``): resource path -> mixin class. A mixin
# adds methods that are not operations of the spec (``parse``, ``run_tools``,
# ``create_and_poll``, ``connect``...). Where such a method needs the generated signature
# of an operation, the generator writes the method and the mixin supplies its body through
# a hook: the ``stream()`` of an operation in `STREAM_HOOKS` builds the request body and
# returns ``self._open_stream(body, options)``, which the mixin defines (a helper of
# trio_openai.lib with snapshots, text deltas and the final object, instead of the plain
# `Stream`). `STREAM_HOOKS` gives the module and name of the type that hook returns.
MIXINS: dict[str, str] = {
    "responses": "ResponsesExtras",
    "chat.completions": "ChatCompletionsExtras",
    "vector_stores.files": "VectorStoreFilesExtras",
    "vector_stores.file_batches": "VectorStoreFileBatchesExtras",
    "videos": "VideosExtras",
    "batches": "BatchesExtras",
    "uploads": "UploadsExtras",
    "realtime": "RealtimeExtras",
}
STREAM_HOOKS: dict[str, tuple[str, str]] = {
    "createChatCompletion": ("trio_openai.lib._chat_stream", "ChatCompletionStreamManager"),
    "createResponse": ("trio_openai.lib._responses_stream", "ResponseStreamManager"),
}
# A hooked ``stream()`` that also takes a type to parse into, as openai-python's
# ``chat.completions.stream(response_format=City)`` does: operationId -> (the parameter, the
# module and name of the manager type it returns then, generic in that type). The generator
# writes two overloads (with the type: that manager, `tools` taking FunctionTools too;
# without it: the plain one); the value goes into the body under the parameter's name, for
# the hook to take out. A parameter the operation does not have (``text_format``) is added,
# keyword-only, first.
STREAM_PARSE_HOOKS: dict[str, tuple[str, str, str]] = {
    "createChatCompletion": (
        "response_format",
        "trio_openai.lib._chat_stream",
        "ParsedChatCompletionStreamManager",
    ),
    "createResponse": (
        "text_format",
        "trio_openai.lib._responses_parsed",
        "ParsedResponseStreamManager",
    ),
}


# Helpers that take an operation's own parameters, so a type checker reports a misspelled
# or mistyped argument (``parse(inptu=...)``) as it does for ``create``. The generator writes
# each as a method of the operation's resource: the helper's own keyword parameters
# (`first`), then the operation's body parameters minus `drop` (with `retype` widening a
# parameter's item type: `tools` takes FunctionTools too; `require` makes one required),
# then `last`, then the call options; its body builds the request body and returns
# ``await self.<hook>(<call>)``, a method of the resource's mixin (`MIXINS`).
# `imports` are (module, name) pairs the annotations need (under TYPE_CHECKING).
@dataclass(frozen=True)
class HelperHook:
    name: str
    hook: str
    returns: str
    doc: str
    call: str
    first: tuple[str, ...] = ()
    last: tuple[str, ...] = ()
    drop: frozenset[str] = frozenset()
    retype: tuple[tuple[str, str], ...] = ()
    require: frozenset[str] = frozenset()
    imports: tuple[tuple[str, str], ...] = ()


_RUN_TOOLS_LAST = (
    "max_turns: int = 10",
    "max_concurrency: int = 8",
    "on_turn: OnTurn | None = None",
)
_TOOL_IMPORTS = (("..lib._tools", "FunctionTool"), ("..lib._tools", "OnTurn"))
HELPER_HOOKS: dict[str, tuple[HelperHook, ...]] = {
    "createResponse": (
        HelperHook(
            name="parse",
            hook="_parse",
            returns="ParsedResponse[_T]",
            doc=(
                "Structured output: ``responses.create`` asking for JSON of type "
                "``text_format`` (an attrs class, dataclass, TypedDict or pydantic model, "
                "sent as a strict JSON schema), the reply parsed into it as "
                "``output_parsed``. ``text`` may carry other settings (``verbosity``); its "
                "``format`` is set here."
            ),
            call="text_format, _body, options",
            first=("text_format: type[_T]",),
            drop=frozenset({"stream_options", "background"}),
            retype=(("tools", "FunctionTool[Any]"),),
            imports=(("..lib._structured", "ParsedResponse"), ("..lib._tools", "FunctionTool")),
        ),
        HelperHook(
            name="run_tools",
            hook="_run_tools",
            returns="_t_responses.Response",
            doc=(
                "The model -> tools -> model loop: ``responses.create`` with ``tools`` "
                "(`FunctionTool`s run here, tool dicts sent as they are) until a reply asks "
                "for no call; see `trio_openai.lib.run_tools_responses`."
            ),
            call="_body, options, max_turns, max_concurrency, on_turn",
            last=_RUN_TOOLS_LAST,
            drop=frozenset({"stream_options", "background"}),
            retype=(("tools", "FunctionTool[Any]"),),
            require=frozenset({"tools"}),
            imports=_TOOL_IMPORTS,
        ),
    ),
    "createChatCompletion": (
        HelperHook(
            name="parse",
            hook="_parse",
            returns="ParsedChatCompletion[_T]",
            doc=(
                "Structured output: ``chat.completions.create`` asking for JSON of type "
                "``response_format`` (sent as a strict JSON schema), each choice's message "
                "parsed into it as ``message.parsed``."
            ),
            call="response_format, _body, options",
            first=("response_format: type[_T]",),
            drop=frozenset({"response_format", "stream_options"}),
            retype=(("tools", "FunctionTool[Any]"),),
            imports=(
                ("..lib._structured", "ParsedChatCompletion"),
                ("..lib._tools", "FunctionTool"),
            ),
        ),
        HelperHook(
            name="run_tools",
            hook="_run_tools",
            returns="_t_chat.CreateChatCompletionResponse",
            doc=(
                "The model -> tools -> model loop: ``chat.completions.create`` with "
                "``tools`` until a reply asks for no call (the first choice is followed); "
                "see `trio_openai.lib.run_tools_chat`."
            ),
            call="_body, options, max_turns, max_concurrency, on_turn",
            last=_RUN_TOOLS_LAST,
            drop=frozenset({"stream_options"}),
            retype=(("tools", "FunctionTool[Any]"),),
            require=frozenset({"tools"}),
            imports=_TOOL_IMPORTS,
        ),
    ),
}

# Operations that stream (``stream: true``) although the spec declares no text/event-stream
# reply for them: operationId -> the type of one event (openai-python streams them too).
STREAM_EVENTS: dict[str, str] = {
    "createCompletion": "CreateCompletionResponse",
    "createRun": "AssistantStreamEvent",
    "createThreadAndRun": "AssistantStreamEvent",
    "submitToolOuputsToRun": "AssistantStreamEvent",
    "getResponse": "ResponseStreamEvent",
    "beta_getResponse": "BetaResponseStreamEvent",
}

# Result types decoded through a hand-written function of resources/_base.py instead of
# the model's own from_dict. None today: SDK conveniences are properties (`COMPUTED`).
CASTS: dict[str, str] = {}

# Properties the spec marks "SDK-only convenience" (the server never sends them): JSON
# key -> (return annotation, docstring). They are not fields, so `to_dict()` stays the
# received JSON; the model gets a property calling `trio_openai._computed.<key>`.
COMPUTED: dict[str, tuple[str, str]] = {
    "output_text": (
        "str",
        'The text of every ``output_text`` part of the output messages, joined ("" if '
        "none). Computed, as openai-python does; never part of `to_dict()`.",
    ),
}

# Resource subtrees generated into a module of their own (the rest: one module per
# top-level attribute), so that ``client.beta.threads`` does not load the ChatKit code.
MODULE_SPLITS: dict[tuple[str, ...], str] = {
    ("admin", "organization", "projects"): "admin_projects",
    ("admin", "organization", "usage"): "admin_usage",
    ("beta", "assistants"): "beta_assistants",
    ("beta", "chatkit"): "beta_chatkit",
    ("beta", "responses"): "beta_responses",
    ("beta", "threads"): "beta_threads",
}

_VERB_ON_COLLECTION = {"get": "list", "post": "create", "delete": "delete", "put": "update"}
_VERB_ON_ITEM = {"get": "retrieve", "post": "update", "delete": "delete", "put": "update"}
_VERB_ON_SINGLETON = {"get": "retrieve", "post": "update", "delete": "delete", "put": "update"}
_PARAM = re.compile(r"^\{[^}]+\}$")


def module_of(resource: tuple[str, ...]) -> str:
    """The module (in trio_openai/resources/) that holds the class of `resource`."""
    for size in range(len(resource), 0, -1):
        found = MODULE_SPLITS.get(resource[:size])
        if found is not None:
            return found
    return resource[0]


def split_path(path: str) -> tuple[list[str], bool]:
    """The URL's segments (without the query) and whether it is a ``?beta=true`` twin."""
    url, _, query = path.partition("?")
    return [s for s in url.split("/") if s], "beta=true" in query


def locate(operation_id: str, path: str, method: str, *, admin: bool) -> tuple[str, str]:
    """(resource path, method name) of one operation, e.g. ("vector_stores.files", "list")."""
    found = OVERRIDES.get(operation_id)
    if found is not None:
        return found
    segments, beta = split_path(path)
    prefix: tuple[str, ...] = ()
    if beta:
        prefix = ("beta",)
    elif admin:
        prefix = ADMIN_PREFIXES.get(segments[0], ("admin",))
    else:
        prefix = PREFIXES.get(segments[0], ())
    last = segments[-1]
    statics = [s for s in segments if not _PARAM.match(s)]
    if not _PARAM.match(last) and last in ACTIONS and len(segments) > 1:
        name = last
        statics = statics[:-1]
    elif statics[-1] in SINGLETONS and not _PARAM.match(last):
        name = _VERB_ON_SINGLETON[method]
    elif _PARAM.match(last):
        name = _VERB_ON_ITEM[method]
    else:
        name = _VERB_ON_COLLECTION[method]
    resource = ".".join(attr_name(s) for s in (*prefix, *statics))
    return resource, name
