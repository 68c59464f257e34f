"""openai-python's method parameter modules (``openai.types.chat.completion_create_params``...)
import from the same paths here, and their TypedDicts are the methods' keyword arguments.

Three sides are compared: openai-python 3.63's modules (which exist, their keys, which keys
are required), the generated TypedDicts, and the generated methods' signatures (each key a
keyword parameter with the same annotation, required exactly where the parameter has no
default), so ``await client.x.create(**params)`` passes every key where it belongs.
Over the local server, ``create(**params)`` sends the body the keywords send.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types as pytypes
from typing import Any, get_args

import openai.types
import pytest
from typing_extensions import is_typeddict

import trio_openai
from codegen.openai_method_params import (
    METHOD_PARAMS,
    NESTED_NAMES,
    NOT_GENERATED,
    NOT_GENERATED_PREFIXES,
)
from trio_openai.testing import LocalServer, Reply

# Where the keys differ from openai-python 3.63's, per module: what differs (as
# `difference` writes it) and why. An entry that no longer differs fails: keep it true.
_NEWER = "openai-python 3.63 sends parameters this version of the spec does not have"
_UPLOAD = (
    "the spec requires the uploaded files; openai-python 3.63 lets them be left out (the"
    " server then rejects the request)"
)
KEY_DIFFERENCES: dict[str, tuple[str, str]] = {
    "audio.voice_create_params": (
        "missing ['model', 'prompt', 'script_hint', 'type']; required here only"
        " ['audio_sample', 'consent']",
        "openai-python 3.63 types a second shape (a voice from a prompt) this version of the"
        " spec does not have; the spec's one shape is its audio-sample member",
    ),
    "beta.realtime.session_create_params": (
        "extra ['prompt', 'truncation']; missing ['input_audio_noise_reduction', 'model'];"
        " required here only ['client_secret']",
        "openai-python types the beta Realtime session; the method here (client.realtime"
        ".sessions.create) takes the spec's session of this version",
    ),
    "beta.realtime.transcription_session_create_params": (
        "missing ['client_secret', 'modalities']",
        "openai-python types the beta Realtime transcription session; the method here takes"
        " the spec's",
    ),
    "beta.response_compact_params": ("missing ['image', 'safety_identifier']", _NEWER),
    "beta.response_create_params": (
        "missing ['access_programs', 'background_options', 'image']",
        _NEWER,
    ),
    "conversations.conversation_create_params": ("missing ['safety_identifier']", _NEWER),
    "image_edit_params": (
        "missing ['complexity', 'frame_count', 'frame_duration_ms', 'markup',"
        " 'safety_identifier', 'svg']",
        _NEWER,
    ),
    "image_generate_params": (
        "missing ['complexity', 'frame_count', 'frame_duration_ms', 'safety_identifier', 'svg']",
        _NEWER,
    ),
    "responses.response_compact_params": ("missing ['image', 'safety_identifier']", _NEWER),
    "responses.response_create_params": (
        "missing ['access_programs', 'background_options', 'image']",
        _NEWER,
    ),
    "skill_create_params": ("required here only ['files']", _UPLOAD),
    "skills.version_create_params": ("required here only ['files']", _UPLOAD),
}


def openai_params_modules() -> dict[str, pytypes.ModuleType]:
    found: dict[str, pytypes.ModuleType] = {}
    for info in pkgutil.walk_packages(openai.types.__path__, "openai.types."):
        if info.name.endswith("_params"):
            found[info.name.removeprefix("openai.types.")] = importlib.import_module(info.name)
    return found


def own_annotations(cls: Any) -> dict[str, str]:
    """Each key a class declares itself, with its annotation's text (both sides write
    ``from __future__ import annotations``, so these are strings or ForwardRefs)."""
    found: dict[str, str] = {}
    for key, ann in inspect.get_annotations(cls).items():
        found[key] = getattr(ann, "__forward_arg__", ann if isinstance(ann, str) else repr(ann))
    return found


def required_keys(cls: Any) -> frozenset[str]:
    """What a type checker reads: ``Required[...]``, else the declaring class's totality
    (the runtime ``__required_keys__`` cannot see through string annotations)."""
    if not is_typeddict(cls):  # a union: what every member requires
        return frozenset.intersection(*(required_keys(m) for m in get_args(cls)))
    required: set[str] = set()
    for base in reversed(cls.__mro__):
        if not is_typeddict(base):
            continue
        for key, text in own_annotations(base).items():
            head = text.split("[", 1)[0].rsplit(".", 1)[-1]
            if head == "Required" or (base.__total__ and head != "NotRequired"):
                required.add(key)
            else:
                required.discard(key)
    return frozenset(required)


def all_keys(cls: Any) -> frozenset[str]:
    """The keys of a TypedDict; of a union of them (openai-python's VoiceCreateParams), any
    member's."""
    if not is_typeddict(cls):
        return frozenset[str]().union(*(all_keys(m) for m in get_args(cls)))
    return frozenset(cls.__required_keys__ | cls.__optional_keys__)


def base_class(module: pytypes.ModuleType, name: str) -> Any:
    """The TypedDict holding the keys: ``...Base`` for a method that streams."""
    return getattr(module, name + "Base", None) or getattr(module, name)


def ours(path: str) -> pytypes.ModuleType:
    """``trio_openai.types.<package>.<module>``, reached as users import it."""
    package, _, leaf = path.rpartition(".")
    owner = importlib.import_module("trio_openai.types" + (f".{package}" if package else ""))
    module = getattr(owner, leaf)
    assert isinstance(module, pytypes.ModuleType), path
    return module


def test_every_openai_params_module_is_generated_or_listed_with_a_reason() -> None:
    theirs = set(openai_params_modules())
    by_prefix = {p for p in theirs if p.startswith(tuple(NOT_GENERATED_PREFIXES))}
    assert not set(METHOD_PARAMS) & (set(NOT_GENERATED) | by_prefix)
    assert set(METHOD_PARAMS) | set(NOT_GENERATED) | by_prefix == theirs
    assert len(METHOD_PARAMS) >= 100


def difference(mine: Any, theirs: Any) -> str:
    """What differs between two TypedDicts' keys and required keys ("" when nothing)."""
    shared = all_keys(mine) & all_keys(theirs)
    parts = [
        ("extra", all_keys(mine) - all_keys(theirs)),
        ("missing", all_keys(theirs) - all_keys(mine)),
        ("required here only", (required_keys(mine) - required_keys(theirs)) & shared),
        ("required there only", (required_keys(theirs) - required_keys(mine)) & shared),
    ]
    return "; ".join(f"{what} {sorted(keys)}" for what, keys in parts if keys)


@pytest.mark.parametrize("path", sorted(METHOD_PARAMS))
def test_keys_and_required_keys_are_openai_pythons(path: str) -> None:
    _method, name = METHOD_PARAMS[path]
    theirs = base_class(openai_params_modules()[path], name)
    found = difference(base_class(ours(path), name), theirs)
    assert found == KEY_DIFFERENCES.get(path, ("", ""))[0], path


def method_of(client: trio_openai.OpenAI, method: str) -> Any:
    target: Any = client
    for part in method.split("."):
        target = getattr(target, part)
    return target


@pytest.mark.parametrize("path", sorted(METHOD_PARAMS))
async def test_keys_are_the_methods_keyword_parameters(
    path: str, client: trio_openai.OpenAI
) -> None:
    """Same names, same annotations (without ``| Omit``), required where no default."""
    method, name = METHOD_PARAMS[path]
    signature = inspect.signature(method_of(client, method))
    keyword = {
        p.name: p for p in signature.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    module = ours(path)
    cls = base_class(module, name)
    annotations: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        if is_typeddict(base):
            annotations.update(own_annotations(base))
    streams = hasattr(module, name + "Streaming")
    assert set(annotations) == set(keyword) - ({"stream"} if streams else set())
    for key, text in annotations.items():
        p = keyword[key]
        value = (
            text.removeprefix("Required[").removesuffix("]") if key in required_keys(cls) else text
        )
        assert (key in required_keys(cls)) == (p.default is inspect.Parameter.empty), key
        expected = value if p.default is inspect.Parameter.empty else f"{value} | Omit"
        assert p.annotation == expected, (path, key)
    if streams:
        assert required_keys(getattr(module, name + "Streaming")) >= {"stream"}
        assert "stream" not in required_keys(getattr(module, name + "NonStreaming"))


def test_openai_pythons_package_names_import() -> None:
    """``from openai.types.chat import CompletionCreateParams`` works here too, for each
    generated module whose main name openai-python exports from its package."""
    checked = 0
    for path, (_method, name) in METHOD_PARAMS.items():
        package = path.rpartition(".")[0]
        theirs = importlib.import_module("openai.types" + (f".{package}" if package else ""))
        if hasattr(theirs, name):
            owner = importlib.import_module(
                "trio_openai.types" + (f".{package}" if package else "")
            )
            assert getattr(owner, name) is getattr(ours(path), name), path
            checked += 1
    assert checked >= 90
    chat = importlib.import_module("trio_openai.types.chat")
    with pytest.raises(AttributeError, match="completion_creat_params"):
        _ = chat.completion_creat_params
    package = importlib.import_module("trio_openai.types._bodies.chat")  # imports on first use
    with pytest.raises(AttributeError, match="completion_creat_params"):
        _ = package.completion_creat_params


# --- the wire ---------------------------------------------------------------------------

CHAT_REPLY: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-5.2",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "Hi", "refusal": None},
        }
    ],
}


async def test_create_with_a_params_dict_sends_the_keywords_body(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    from trio_openai.types.chat import completion_create_params

    params: completion_create_params.CompletionCreateParamsNonStreaming = {
        "model": "gpt-5.2",
        "messages": [{"role": "user", "content": "Hello"}],
        "temperature": 0.5,
        "metadata": {"k": "v"},
        "stop": None,
        "stream": False,
    }
    local_server.script(
        "POST", "/v1/chat/completions", Reply.json(CHAT_REPLY), Reply.json(CHAT_REPLY)
    )
    from_dict = await client.chat.completions.create(**params)
    await client.chat.completions.create(
        model="gpt-5.2",
        messages=[{"role": "user", "content": "Hello"}],
        temperature=0.5,
        metadata={"k": "v"},
        stop=None,
        stream=False,
    )
    first, second = local_server.requests
    assert first.json() == second.json() == params
    assert from_dict.choices[0].message.content == "Hi"


async def test_a_streaming_params_dict_streams(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    from trio_openai.types.responses import response_create_params

    params: response_create_params.ResponseCreateParamsStreaming = {
        "model": "gpt-5.2",
        "input": "Hi",
        "stream": True,
    }
    done = {
        "type": "response.output_text.delta",
        "sequence_number": 1,
        "item_id": "m",
        "output_index": 0,
        "content_index": 0,
        "delta": "Hel",
        "logprobs": [],
    }
    local_server.script("POST", "/v1/responses", Reply.sse([done]))
    async with await client.responses.create(**params) as stream:
        deltas = [
            event.delta async for event in stream if event.type == "response.output_text.delta"
        ]
    assert deltas == ["Hel"]
    (request,) = local_server.requests
    assert request.json() == params


async def test_a_path_parameter_stays_positional_and_the_rest_comes_from_the_dict(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    from trio_openai.types.beta.threads import message_create_params

    params: message_create_params.MessageCreateParams = {"role": "user", "content": "Hi"}
    reply = {
        "id": "msg_1",
        "object": "thread.message",
        "created_at": 1,
        "thread_id": "t_1",
        "status": "completed",
        "incomplete_details": None,
        "completed_at": None,
        "incomplete_at": None,
        "role": "user",
        "content": [],
        "assistant_id": None,
        "run_id": None,
        "attachments": None,
        "metadata": None,
    }
    local_server.script("POST", "/v1/threads/t_1/messages", Reply.json(reply))
    await client.beta.threads.messages.create("t_1", **params)
    (request,) = local_server.requests
    assert request.json() == params


# --- openai-python's names of the keys' types ------------------------------------------

_MEMBER = (
    "a member of an inline union, or below one: openai-python names it after the key path"
    " and the member; here the member is its request type in types/params.py, reached"
    " through the union's alias"
)
_IRREGULAR = "the item of a list whose key has no regular plural (context_management, criteria)"
_BETA_REALTIME = "openai-python's beta Realtime session; the method here takes the GA session"
_NEWER_KEY = "a key (or tool choice) openai-python 3.63 has and this version of the spec not"
# the unions (named here) whose members are listed below, and one item listed above
_UNIONS_THEMSELVES = frozenset(
    [
        "beta.assistant_create_params.ToolResourcesFileSearchVectorStoreChunkingStrategy",
        "beta.thread_create_params.ToolResourcesFileSearchVectorStoreChunkingStrategy",
        "eval_create_params.DataSourceConfig",
        "eval_create_params.TestingCriterion",
    ]
)
NESTED_ABSENT: dict[str, str] = {
    **dict.fromkeys(
        [
            "beta.response_compact_params.Image",
            "beta.response_create_params.AccessPrograms",
            "beta.response_create_params.BackgroundOptions",
            "beta.response_create_params.Image",
            "beta.response_create_params.ToolChoiceBetaSpecificProgrammaticToolCallingParam",
            "beta.responses.input_token_count_params.ToolChoiceBetaSpecificProgrammaticToolCallingParam",
            "image_edit_params.Svg",
            "image_edit_params.SvgReasoning",
            "image_generate_params.Svg",
            "image_generate_params.SvgReasoning",
            "responses.input_token_count_params.ToolChoiceSpecificProgrammaticToolCallingParam",
            "responses.response_compact_params.Image",
            "responses.response_create_params.AccessPrograms",
            "responses.response_create_params.BackgroundOptions",
            "responses.response_create_params.Image",
            "responses.response_create_params.ToolChoiceSpecificProgrammaticToolCallingParam",
        ],
        _NEWER_KEY,
    ),
    **dict.fromkeys(
        [
            "beta.realtime.session_create_params.ClientSecretExpiresAfter",
            "beta.realtime.session_create_params.InputAudioNoiseReduction",
            "beta.realtime.session_create_params.TracingTracingConfiguration",
            "beta.realtime.transcription_session_create_params.ClientSecret",
            "beta.realtime.transcription_session_create_params.ClientSecretExpiresAt",
        ],
        _BETA_REALTIME,
    ),
    **dict.fromkeys(
        [
            "beta.response_create_params.ContextManagement",
            "eval_create_params.TestingCriterion",
            "responses.response_create_params.ContextManagement",
        ],
        _IRREGULAR,
    ),
    **{
        f"{path}.{name}": _MEMBER
        for path, names in {
            "audio.speech_create_params": "VoiceID",
            "audio.transcription_create_params": "ChunkingStrategyVadConfig",
            "audio.voice_create_params": "CreateVoiceRequestAudioSample CreateVoiceRequestPrompt",
            "beta.assistant_create_params": "ToolResourcesFileSearchVectorStoreChunkingStrategy",
            "beta.thread_create_and_run_params": (
                "ThreadMessageAttachmentToolFileSearch"
                " ThreadToolResourcesFileSearchVectorStoreChunkingStrategy"
            ),
            "beta.thread_create_params": (
                "MessageAttachmentToolFileSearch ToolResourcesFileSearchVectorStoreChunkingStrategy"
            ),
            "beta.threads.message_create_params": "AttachmentToolFileSearch",
            "beta.threads.run_create_params": "AdditionalMessageAttachmentToolFileSearch",
            "eval_create_params": "DataSourceConfig TestingCriterion",
            "evals.run_create_params": "DataSourceCreateEvalResponsesRunDataSource",
            "video_edit_params": "VideoVideoReferenceInputParam",
            "video_extend_params": "VideoVideoReferenceInputParam",
        }.items()
        for prefix in names.split()
        for name in NESTED_NAMES[path].split()
        if name.startswith(prefix) and f"{path}.{name}" not in _UNIONS_THEMSELVES
    },
}
# Where a name's type has another shape than openai-python's, and why.
NESTED_DIFFERENCES: dict[str, str] = {
    "beta.realtime.session_create_params.ClientSecret": _BETA_REALTIME,
    "beta.realtime.session_create_params.InputAudioTranscription": _BETA_REALTIME,
    "beta.realtime.session_create_params.TurnDetection": _BETA_REALTIME,
    "beta.realtime.transcription_session_create_params.InputAudioTranscription": _BETA_REALTIME,
    "beta.realtime.transcription_session_create_params.TurnDetection": _BETA_REALTIME,
    "beta.response_create_params.PromptCacheOptions": _NEWER_KEY,
    "responses.response_create_params.PromptCacheOptions": _NEWER_KEY,
}


def test_the_nested_names_are_openai_pythons() -> None:
    for path, names in NESTED_NAMES.items():
        _method, name = METHOD_PARAMS[path]
        own = {name, name + "Base", name + "Streaming", name + "NonStreaming"}
        theirs = importlib.import_module("openai.types." + path)
        assert set(names.split()) == set(theirs.__all__) - own, path


def test_nested_names_import_with_openai_pythons_shape() -> None:
    """``completion_create_params.ResponseFormat`` and the like: each of openai-python's
    names is here with its shape (keys of a TypedDict, members of a union), or listed."""
    from test_openai_param_names import (
        difference as shape_difference,
        generated_shape,
        openai_shape,
    )

    absent: set[str] = set()
    compared = 0
    for path, names in NESTED_NAMES.items():
        module, theirs = ours(path), importlib.import_module("openai.types." + path)
        for name in names.split():
            if not hasattr(module, name):
                absent.add(f"{path}.{name}")
                continue
            value = getattr(module, name)
            assert name in module.__all__
            if "FileInput" in value:  # a file: FileInput here, FileTypes there
                continue
            found = shape_difference(generated_shape(value), openai_shape(getattr(theirs, name)))
            assert (found is not None) == (f"{path}.{name}" in NESTED_DIFFERENCES), (
                f"{path}.{name}: {found}"
            )
            compared += 1
    assert absent == set(NESTED_ABSENT)
    assert compared >= 100
