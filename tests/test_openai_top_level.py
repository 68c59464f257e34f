"""Every public top-level name of openai-python ports by changing the import, or is listed.

A name of ``openai`` (the installed openai-python, ``dir(openai)``) either exists on
``trio_openai`` as the same kind of thing (a class where openai-python's is a class, a
function where it is one), or sits in `ABSENT` with the reason. Exceptions keep
openai-python's hierarchy among the exported names: every subclass relation there holds
here, and one that holds only here is in `EXTRA_RELATIONS` with its reason. An entry of
`ABSENT` for a name that now exists here, or that openai-python no longer has, fails: the
table stays the list of real differences.
"""

# pyright: reportPrivateUsage=false

from __future__ import annotations

import builtins
import email
import email.policy
import functools
import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import openai
import openai._utils
import openai.lib._old_api
import pytest

import trio_openai
from trio_openai.testing import LocalServer, RecordedRequest, Reply

MODULE_CLIENT = "no module-level client: a global client nobody closes (docs/migration.md)"
ASSISTANT_HANDLERS = (
    "callback classes for Assistants streams: a stream here is an `async for` over typed "
    "events (client.beta.threads.runs.stream)"
)
V0_NAMES = "openai-python's v0 API names, kept there only to raise APIRemovedInV1 when used"
COMPUTER = "openai-python's local computer-use harness (openai.lib.computer): not an API"
BEDROCK = (
    "Bedrock is an auth provider here: OpenAI(base_url=auth.base_url, auth="
    "trio_openai.auth.BedrockAuth(...)) (docs/bedrock-vertex.md)"
)
HTTPX2 = (
    "clients of openai-python's httpx2 fork; trio_openai runs httpx over its own transport: "
    "DefaultAsyncHttpxClient / DefaultHttpClient"
)

ABSENT: dict[str, str] = {
    **dict.fromkeys(
        (
            # configuration of the module-level client
            "admin_api_key",
            "api_key",
            "api_type",
            "api_version",
            "azure_ad_token",
            "azure_ad_token_provider",
            "azure_endpoint",
            "base_url",
            "bedrock_token_provider",
            "default_headers",
            "default_query",
            "http_client",
            "max_retries",
            "organization",
            "project",
            "timeout",
            "webhook_secret",
            # its resources
            "admin",
            "audio",
            "batches",
            "beta",
            "chat",
            "completions",
            "containers",
            "content_provenance_checks",
            "conversations",
            "decisions",
            "embeddings",
            "evals",
            "files",
            "fine_tuning",
            "images",
            "live",
            "models",
            "moderations",
            "realtime",
            "responses",
            "safety",
            "skills",
            "uploads",
            "vector_stores",
            "videos",
            "webhooks",
        ),
        MODULE_CLIENT,
    ),
    **dict.fromkeys(("AssistantEventHandler", "AsyncAssistantEventHandler"), ASSISTANT_HANDLERS),
    **dict.fromkeys(
        (
            "Audio",
            "ChatCompletion",
            "Completion",
            "Customer",
            "Deployment",
            "Edit",
            "Embedding",
            "Engine",
            "ErrorObject",
            "File",
            "FineTune",
            "FineTuningJob",
            "Image",
            "Model",
            "Moderation",
        ),
        V0_NAMES,
    ),
    **dict.fromkeys(
        ("ComputerDriver", "ComputerToolset", "AsyncComputerDriver", "AsyncComputerToolset"),
        COMPUTER,
    ),
    **dict.fromkeys(("BedrockOpenAI", "AsyncBedrockOpenAI", "providers"), BEDROCK),
    **dict.fromkeys(("DefaultHttpx2Client", "DefaultAsyncHttpx2Client"), HTTPX2),
    "DefaultHttpxClient": "sync only: there is no sync client (docs/migration.md)",
    "DefaultAioHttpClient": "asyncio only (aiohttp); trio_openai runs under Trio",
    "DEFAULT_CONNECTION_LIMITS": (
        "an httpx.Limits for httpx's own pool, which is not used: the pool's limits are "
        "DefaultHttpClient's arguments (max_connections=1000, max_keepalive_connections=100)"
    ),
    "ProxiesTypes": "an httpx type for http_client arguments; a proxy is DefaultHttpClient(proxy=)",
    "Transport": "httpx's BaseTransport, for http_client arguments; the transport is not pluggable",
    "BaseModel": (
        "openai-python's pydantic base of its results; results here are frozen attrs classes "
        "(docs/migration.md, 'Deliberate differences')"
    ),
    "NoneType": "type(None), a typing helper of openai-python's, not API",
    "annotations": "`from __future__ import annotations` in openai/__init__.py, not API",
    "override": "typing_extensions.override imported by openai/__init__.py, not API",
    "version": "the module holding VERSION: here trio_openai.VERSION and trio_openai.__version__",
    "OAuthError": (
        "a refused token exchange raises trio_openai.auth.WorkloadIdentityError (its "
        "error_code is the OAuth error), not an AuthenticationError (docs/workload-identity.md)"
    ),
    "WebSocketConnectionClosedError": (
        "openai-python raises it for messages still queued when a connection closes for good; "
        "a session here ends with its `async with`, and a dropped connection raises "
        "WebSocketInterruptedError naming the responses lost"
    ),
}

# Subclass relations that hold here and not in openai-python, each widening what an
# `except` clause catches and never narrowing it.
EXTRA_RELATIONS: dict[tuple[str, str], str] = {
    ("InvalidWebhookSignatureError", "OpenAIError"): (
        "every error the library raises on purpose is an OpenAIError; it stays a ValueError"
    ),
}


FILE = {
    "id": "file-1",
    "object": "file",
    "bytes": 3,
    "created_at": 1,
    "filename": "data.jsonl",
    "purpose": "batch",
    "status": "processed",
}
EMBEDDINGS: dict[str, Any] = {
    "object": "list",
    "data": [],
    "model": "m",
    "usage": {"prompt_tokens": 1, "total_tokens": 1},
}


def parts(request: RecordedRequest) -> dict[str, tuple[str | None, str, bytes]]:
    """name -> (filename, content type, bytes) of each part of a multipart request."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.message_from_bytes(head + request.body, policy=email.policy.HTTP)
    out: dict[str, tuple[str | None, str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = cast("bytes", part.get_payload(decode=True))
        out[str(name)] = (part.get_filename(), part.get_content_type(), payload)
    return out


@functools.cache
def openai_names() -> frozenset[str]:
    """The public names right after ``import openai``, in a fresh interpreter: in this one,
    a submodule another test imported (``openai.pagination``) would be an attribute too."""
    code = "import openai; print(' '.join(n for n in dir(openai) if not n.startswith('_')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return frozenset(out.stdout.split())


def ours(name: str) -> Any:
    return getattr(trio_openai, name)


def present(name: str) -> bool:
    """A public name of trio_openai: in its ``__all__``, or a subpackage (``types``)."""
    if name in trio_openai.__all__:
        return True
    return importlib.util.find_spec(f"trio_openai.{name}") is not None and hasattr(
        trio_openai, name
    )


def test_every_name_exists_or_is_listed() -> None:
    missing = sorted(n for n in openai_names() - ABSENT.keys() if not present(n))
    assert missing == [], "export these from trio_openai, or list them in ABSENT with a reason"


def test_no_stale_exclusion() -> None:
    now_present = sorted(n for n in ABSENT if present(n))
    assert now_present == [], "these exist now: drop them from ABSENT"
    gone = sorted(ABSENT.keys() - openai_names())
    assert gone == [], "openai-python no longer has these: drop them from ABSENT"


def test_the_reasons_hold() -> None:
    """The categories of ABSENT are what they claim to be in openai-python.

    ``type()``, not ``isinstance``: a proxy's ``__class__`` would build openai-python's
    module-level client, which the ported examples' reference runs must find unset.
    """
    module_client = {n for n, reason in ABSENT.items() if reason == MODULE_CLIENT}
    settings = {n for n in openai.__annotations__ if not n.startswith("_")}
    proxies = {
        n for n in openai_names() if type(getattr(openai, n)).__module__ == "openai._module_client"
    }
    assert module_client == settings | proxies
    removed = {
        n
        for n in openai_names()
        if issubclass(type(getattr(openai, n)), openai.lib._old_api.APIRemovedInV1Proxy)
    }
    assert {n for n, reason in ABSENT.items() if reason == V0_NAMES} == removed
    assert openai._client is None


@pytest.mark.parametrize("name", sorted(openai_names() - ABSENT.keys()))
def test_same_kind_of_thing(name: str) -> None:
    theirs, mine = getattr(openai, name), ours(name)
    if inspect.isclass(theirs):
        assert inspect.isclass(mine), f"openai.{name} is a class"
    elif inspect.ismodule(theirs):
        assert inspect.ismodule(mine), f"openai.{name} is a module"
    elif callable(theirs):
        assert callable(mine) and not inspect.isclass(mine), f"openai.{name} is a function"
    else:
        assert not callable(mine) or isinstance(mine, type(theirs)), name


def _exception_names() -> list[str]:
    shared = sorted(openai_names() - ABSENT.keys())
    return [
        n
        for n in shared
        if inspect.isclass(getattr(openai, n)) and issubclass(getattr(openai, n), BaseException)
    ]


def test_exceptions_keep_openai_pythons_hierarchy() -> None:
    names = _exception_names()
    assert "LengthFinishReasonError" in names and "APIStatusError" in names
    for sub in names:
        assert issubclass(ours(sub), BaseException), sub
        for base in names:
            theirs = issubclass(getattr(openai, sub), getattr(openai, base))
            mine = issubclass(ours(sub), ours(base))
            if theirs:
                assert mine, f"openai.{sub} is an openai.{base}; trio_openai.{sub} must be too"
            elif mine:
                assert (sub, base) in EXTRA_RELATIONS, f"only here: {sub} is a {base}"
        # built-in bases (InvalidWebhookSignatureError is a ValueError) hold too
        builtin = {c for c in getattr(openai, sub).__mro__ if c.__module__ == "builtins"} - {object}
        assert builtin <= set(ours(sub).__mro__), sub
    for sub, base in EXTRA_RELATIONS:  # each still holds here only
        assert sub in names and base in names, (sub, base)
        assert issubclass(ours(sub), ours(base)), (sub, base)
        assert not issubclass(getattr(openai, sub), getattr(openai, base)), (sub, base)
    assert builtins.ValueError in ours("InvalidWebhookSignatureError").__mro__


def test_aliases_are_the_trio_classes() -> None:
    assert trio_openai.AsyncOpenAI is trio_openai.OpenAI
    assert trio_openai.Client is trio_openai.AsyncClient is trio_openai.OpenAI
    assert trio_openai.AsyncAzureOpenAI is trio_openai.AzureOpenAI
    assert trio_openai.AsyncStream is trio_openai.Stream
    assert trio_openai.NotGiven is trio_openai.Omit
    assert trio_openai.not_given is trio_openai.omit is trio_openai.NOT_GIVEN
    assert trio_openai.__version__ == trio_openai.VERSION


def test_defaults_are_the_clients_and_match_openai_python() -> None:
    client = trio_openai.OpenAI(api_key="sk-test")
    assert trio_openai.DEFAULT_MAX_RETRIES == client.max_retries == openai.DEFAULT_MAX_RETRIES
    # the client's own default object, as a trio_openai.Timeout (its timeout= type)
    assert client.timeout == trio_openai.DEFAULT_TIMEOUT
    assert isinstance(trio_openai.DEFAULT_TIMEOUT, trio_openai.Timeout)
    theirs = openai.DEFAULT_TIMEOUT
    assert (trio_openai.DEFAULT_TIMEOUT.request, trio_openai.DEFAULT_TIMEOUT.connect) == (
        theirs.read,
        theirs.connect,
    )


async def test_file_from_path_uploads_what_openai_pythons_does(
    client: trio_openai.OpenAI, local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"a": 1}\n' * 100)
    theirs = cast("tuple[str, bytes]", openai.file_from_path(str(path)))
    mine = trio_openai.file_from_path(str(path))
    assert isinstance(mine[1], Path)  # not read yet: the upload reads it while sending
    local_server.script("POST", "/v1/files", Reply.json(FILE), Reply.json(FILE))
    await client.files.create(file=mine, purpose="batch")
    await client.files.create(file=theirs, purpose="batch")  # (name, bytes), as given there
    sent_mine, sent_theirs = (parts(r)["file"] for r in local_server.requests)
    assert sent_mine == sent_theirs
    assert sent_mine[0] == "data.jsonl" and sent_mine[2] == path.read_bytes()


async def test_not_given_is_left_out_of_the_request(
    client: trio_openai.OpenAI, local_server: LocalServer
) -> None:
    local_server.script("POST", "/v1/embeddings", Reply.json(EMBEDDINGS))
    await client.embeddings.create(
        model="m", input="x", dimensions=trio_openai.not_given, user=trio_openai.omit
    )
    assert local_server.requests[-1].json() == {"model": "m", "input": "x"}
    # openai-python leaves both of its sentinels out alike
    assert not openai._utils.is_given(openai.not_given)
    assert not openai._utils.is_given(openai.omit)
