"""Differential test, hand-written edge cases: the arguments where two clients drift apart.

Same harness as test_differential.py (one recording server, openai-python's sync client in a
worker thread, trio_openai in the test, requests compared field by field). The cases:
omitted vs None vs falsy values; nested unions (tools, `text.format` json_schema, input
items with images and files); extra_body / extra_query / extra_headers adding and
overriding; list and deep-object queries; booleans; ids needing escaping; every multipart
operation with bytes, a path, a file object and (name, bytes[, type]) tuples; streaming
requests; admin routes; client options (`with_options`) and per-call options never leaking
into the body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_generated_steady import OPS
from wire_cases import OMIT, OPENAI_NOTICES, Call, FileArg, spec_cases
from wire_run import Differ, open_differ

CHAT: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
RESPONSE: dict[str, Any] = {"model": "gpt-4o-mini", "input": "Hi"}
IMAGE_URL = "https://example.com/cat.png"
PDF_DATA = "data:application/pdf;base64,JVBERi0xLjQK"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}},
    "required": ["name", "tags"],
    "additionalProperties": False,
}
TOOLS: list[dict[str, Any]] = [
    {"type": "function", "name": "get_weather", "description": "Weather", "parameters": SCHEMA, "strict": True},
    {
        "type": "file_search",
        "vector_store_ids": ["vs_1"],
        "max_num_results": 3,
        "filters": {
            "type": "and",
            "filters": [
                {"type": "eq", "key": "lang", "value": "en"},
                {"type": "gte", "key": "year", "value": 2020},
            ],
        },
    },
    {"type": "web_search_preview", "search_context_size": "low"},
    {"type": "code_interpreter", "container": {"type": "auto", "file_ids": ["file-1"]}},
    {
        "type": "mcp",
        "server_label": "deepwiki",
        "server_url": "https://mcp.deepwiki.com/mcp",
        "require_approval": {"never": {"tool_names": ["ask_question"]}},
    },
    {"type": "image_generation", "quality": "low", "size": "1024x1024"},
]
INPUT_ITEMS: list[dict[str, Any]] = [
    {"role": "developer", "content": "Be brief."},
    {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is in these?"},
            {"type": "input_image", "image_url": IMAGE_URL, "detail": "high"},
            {"type": "input_image", "file_id": "file-img", "detail": "auto"},
            {"type": "input_file", "file_id": "file-pdf"},
            {"type": "input_file", "filename": "a.pdf", "file_data": PDF_DATA},
            {"type": "input_file", "file_url": "https://example.com/a.pdf"},
        ],
    },
    {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city":"Paris"}'},
    {"type": "function_call_output", "call_id": "call_1", "output": '{"temp": 21}'},
    {"type": "item_reference", "id": "msg_1"},
]
CHAT_PARTS: list[dict[str, Any]] = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Describe"},
            {"type": "image_url", "image_url": {"url": IMAGE_URL, "detail": "low"}},
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            {"type": "file", "file": {"file_id": "file-1"}},
            {"type": "file", "file": {"filename": "a.pdf", "file_data": PDF_DATA}},
        ],
    },
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "42"},
]
CHAT_TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {"name": "f", "description": "F", "parameters": SCHEMA, "strict": True}}
]
AWKWARD_IDS = {
    "fine-tuned": "ft:gpt-4o-mini:org:suffix:abc123",
    "slash": "a/b",
    "space": "file with space",
    "unicode": "fichier-é-中文",
    "query-chars": "a?b#c",
    "percent": "100%25-done",
    "plus-amp": "a+b&c=d",
    "subdelims": "id@!$'()*,;=",
}
FILE_KINDS = {
    "bytes": FileArg("bytes"),
    "path": FileArg("path"),
    "fileobj": FileArg("fileobj"),
    "tuple": FileArg("tuple", name="notes.txt", content=b"hello\n", content_type="text/plain"),
    "tuple2": FileArg("tuple2", name="clip.wav", content=b"RIFF0000WAVE"),
}


def _edge_cases() -> dict[str, Call]:
    c: dict[str, Call] = {}
    # -- omitted, None and falsy values ------------------------------------------------------
    c["files.list-none-cursor"] = Call("files.list", kwargs={"after": None, "limit": None})
    c["files.list-falsy"] = Call("files.list", kwargs={"limit": 0, "purpose": "", "order": "asc"})
    c["files.list-omit-sentinel"] = Call("files.list", kwargs={"after": OMIT, "limit": 2})
    c["models.list-no-args"] = Call("models.list")
    c["fine_tuning.jobs.list-none"] = Call("fine_tuning.jobs.list", kwargs={"after": None, "metadata": None})
    c["chat-falsy"] = Call(
        "chat.completions.create",
        kwargs={**CHAT, "temperature": 0, "n": 1, "user": "", "store": False, "tools": [], "metadata": {}},
    )
    c["chat-null"] = Call(
        "chat.completions.create",
        kwargs={**CHAT, "max_completion_tokens": None, "stop": None, "temperature": None, "seed": None},
    )
    c["responses-falsy"] = Call(
        "responses.create",
        kwargs={"model": "gpt-4o-mini", "input": "", "temperature": 0, "store": False, "tools": [], "metadata": {}},
    )
    c["responses-null"] = Call(
        "responses.create",
        kwargs={**RESPONSE, "instructions": None, "previous_response_id": None, "max_output_tokens": None},
    )
    c["embeddings-falsy"] = Call(
        "embeddings.create", kwargs={"model": "text-embedding-3-small", "input": [], "dimensions": 0, "user": ""}
    )
    c["conversations.items.list-falsy"] = Call(
        "conversations.items.list", ("conv_1",), {"include": [], "limit": 0}
    )
    # -- nested unions ----------------------------------------------------------------------
    c["responses-tools"] = Call(
        "responses.create", kwargs={**RESPONSE, "tools": TOOLS, "tool_choice": {"type": "function", "name": "get_weather"}}
    )
    c["responses-json-schema"] = Call(
        "responses.create",
        kwargs={
            **RESPONSE,
            "text": {"format": {"type": "json_schema", "name": "person", "schema": SCHEMA, "strict": True}, "verbosity": "low"},
            "reasoning": {"effort": "low", "summary": "auto"},
        },
    )
    c["responses-input-items"] = Call("responses.create", kwargs={"model": "gpt-4o-mini", "input": INPUT_ITEMS})
    c["responses-input-tokens"] = Call(
        "responses.input_tokens.count", kwargs={"model": "gpt-4o-mini", "input": INPUT_ITEMS, "tools": TOOLS}
    )
    c["chat-parts-and-tools"] = Call(
        "chat.completions.create",
        kwargs={
            "model": "gpt-4o-mini",
            "messages": CHAT_PARTS,
            "tools": CHAT_TOOLS,
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "response_format": {"type": "json_schema", "json_schema": {"name": "p", "schema": SCHEMA, "strict": True}},
        },
    )
    c["chat-json-object"] = Call("chat.completions.create", kwargs={**CHAT, "response_format": {"type": "json_object"}})
    c["conversations.items.create"] = Call(
        "conversations.items.create", ("conv_1",), {"items": INPUT_ITEMS[:2], "include": ["message.input_image.image_url"]}
    )
    # -- extra_body / extra_query / extra_headers -------------------------------------------
    c["extra-body-adds"] = Call("responses.create", kwargs={**RESPONSE, "extra_body": {"service_tier": "flex", "x": [1, 2]}})
    c["extra-body-overrides"] = Call("responses.create", kwargs={**RESPONSE, "extra_body": {"model": "gpt-5", "input": "Bye"}})
    c["extra-body-null"] = Call("responses.create", kwargs={**RESPONSE, "extra_body": {"metadata": None}})
    c["extra-body-on-bodiless-post"] = Call("batches.cancel", ("batch_1",), {"extra_body": {"reason": "test"}})
    c["extra-body-multipart"] = Call(
        "files.create", kwargs={"file": FileArg("bytes"), "purpose": "batch", "extra_body": {"note": "x"}}
    )
    c["extra-query-adds"] = Call("files.list", kwargs={"limit": 2, "extra_query": {"foo": "bar", "n": 3}})
    c["extra-query-overrides"] = Call("files.list", kwargs={"limit": 2, "extra_query": {"limit": 5}})
    c["extra-query-on-post"] = Call("responses.create", kwargs={**RESPONSE, "extra_query": {"beta": "true"}})
    c["extra-headers-add"] = Call("models.list", kwargs={"extra_headers": {"X-Trace": "t-1", "OpenAI-Project": "proj_9"}})
    c["extra-headers-override-beta"] = Call(
        "beta.assistants.list", kwargs={"extra_headers": {"OpenAI-Beta": "assistants=v1"}}
    )
    c["extra-headers-override-auth"] = Call("models.list", kwargs={"extra_headers": {"Authorization": "Bearer other"}})
    c["extra-headers-lowercase-auth"] = Call("models.list", kwargs={"extra_headers": {"authorization": "Bearer other"}})
    c["extra-headers-lowercase-beta"] = Call(
        "beta.assistants.list", kwargs={"extra_headers": {"openai-beta": "assistants=v1"}}
    )
    c["extra-headers-retry-count"] = Call("models.list", kwargs={"extra_headers": {"X-Stainless-Retry-Count": "7"}})
    c["extra-headers-omit"] = Call("models.list", kwargs={"extra_headers": {"X-Stainless-Retry-Count": OMIT}})
    # -- list and deep-object queries, booleans ----------------------------------------------
    c["query-lists"] = Call(
        "admin.organization.usage.completions",
        kwargs={"start_time": 1, "project_ids": ["p1", "p2"], "group_by": ["model", "project_id"], "batch": False},
    )
    c["query-deep-object"] = Call(
        "admin.organization.audit_logs.list",
        kwargs={"effective_at": {"gt": 1, "lte": 2}, "event_types": ["project.created"], "actor_ids": ["u1", "u2"]},
    )
    c["query-include-list"] = Call(
        "responses.retrieve", ("resp_1",), {"include": ["file_search_call.results", "message.output_text.logprobs"]}
    )
    c["query-bool-true"] = Call("admin.organization.projects.list", kwargs={"include_archived": True})
    c["query-bool-false"] = Call("admin.organization.projects.list", kwargs={"include_archived": False})
    c["query-bool-obfuscation"] = Call("responses.retrieve", ("resp_1",), {"include_obfuscation": False})
    c["body-bools"] = Call("chat.completions.create", kwargs={**CHAT, "parallel_tool_calls": False, "logprobs": True})
    # -- ids needing escaping -------------------------------------------------------------
    for name, value in AWKWARD_IDS.items():
        c[f"id-{name}-models.retrieve"] = Call("models.retrieve", (value,))
        c[f"id-{name}-messages.retrieve"] = Call(
            "beta.threads.messages.retrieve", (value,), {"thread_id": value}
        )
    c["id-fine-tuned-checkpoint-permissions"] = Call(
        "fine_tuning.checkpoints.permissions.create",
        (AWKWARD_IDS["fine-tuned"],),
        {"project_ids": ["proj_1"]},
    )
    # -- streaming ------------------------------------------------------------------------
    c["stream-chat-usage"] = Call(
        "chat.completions.create",
        kwargs={**CHAT, "stream": True, "stream_options": {"include_usage": True}},
        stream_name="stream",
        stream_flag="stream",
    )
    c["stream-responses-extras"] = Call(
        "responses.create",
        kwargs={**RESPONSE, "stream": True, "extra_body": {"x": 1}, "extra_headers": {"X-Trace": "s"}},
        stream_name="stream",
        stream_flag="stream",
    )
    c["stream-transcription-file"] = Call(
        "audio.transcriptions.create",
        kwargs={"model": "gpt-4o-transcribe", "file": FileArg("tuple2", name="a.wav", content=b"RIFF"), "stream": True},
        stream_name="stream",
        stream_flag="stream",
    )
    # -- admin routes ------------------------------------------------------------------------
    c["admin-users-list"] = Call("admin.organization.users.list", kwargs={"limit": 5, "emails": ["a@example.com"]})
    c["admin-project-user-create"] = Call(
        "admin.organization.projects.users.create", ("proj_1",), {"user_id": "user_1", "role": "member"}
    )
    c["admin-invite"] = Call(
        "admin.organization.invites.create",
        kwargs={"email": "a@example.com", "role": "reader", "projects": [{"id": "proj_1", "role": "member"}]},
    )
    # -- client options and per-call options ------------------------------------------------
    options = {
        "organization": "org-1",
        "project": "proj_1",
        "default_headers": {"X-App": "diff"},
        "default_query": {"tenant": "t1"},
        "timeout": 5.0,
        "max_retries": 1,
    }
    c["with-options-json"] = Call("responses.create", kwargs=RESPONSE, options=options)
    c["with-options-list"] = Call("files.list", kwargs={"limit": 1}, options=options)
    c["with-options-multipart"] = Call(
        "files.create", kwargs={"file": FileArg("bytes"), "purpose": "batch"}, options=options
    )
    c["with-options-stream"] = Call(
        "responses.create", kwargs={**RESPONSE, "stream": True}, stream_name="stream", stream_flag="stream", options=options
    )
    c["per-call-timeout"] = Call("responses.create", kwargs={**RESPONSE, "timeout": 7.0})
    c["with-options-base-url-headers-override"] = Call(
        "models.list", kwargs={"extra_headers": {"X-App": "call"}}, options={"default_headers": {"X-App": "client"}}
    )
    c.update(_multipart_cases())
    return c


def _is_file(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 3 and isinstance(value[1], bytes)


def _multipart_cases() -> dict[str, Call]:
    """Every multipart operation, its files given as each kind of file argument."""
    base = spec_cases()
    out: dict[str, Call] = {}
    for op in OPS:
        if op.body_kind != "multipart":
            continue
        call = base[f"{op.operation_id}-all-params"]
        for kind, file in FILE_KINDS.items():
            kwargs: dict[str, Any] = {}
            for key, value in call.kwargs.items():
                if _is_file(value):
                    value = file
                elif isinstance(value, list) and value and all(_is_file(v) for v in value):
                    value = [file, FileArg(file.kind, name="second.txt", content=b"2")]
                kwargs[key] = value
            out[f"multipart-{op.operation_id}-{kind}"] = Call(call.path, call.args, kwargs)
    return out


CASES = _edge_cases()
pytestmark = [pytest.mark.filterwarnings(notice) for notice in OPENAI_NOTICES]


@pytest.fixture
async def differ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Differ]:
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_CUSTOM_HEADERS", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    async with open_differ(tmp_path) as opened:
        yield opened


@pytest.mark.parametrize("case_id", sorted(CASES))
async def test_edge_case(differ: Differ, case_id: str) -> None:
    await differ.assert_same(CASES[case_id])


async def test_options_never_reach_the_body(differ: Differ) -> None:
    """Client and call options travel as headers and query, never inside the JSON body."""
    outcome = await differ.assert_same(CASES["with-options-json"])
    for request in (*outcome.theirs, *outcome.ours):
        assert set(orjson.loads(request.body)) == {"model", "input"}
        assert "tenant=t1" in request.query
        assert request.header("openai-organization") == "org-1"


def test_every_multipart_operation_is_covered() -> None:
    multipart = {op.operation_id for op in OPS if op.body_kind == "multipart"}
    covered = {key.split("-", 1)[1].rsplit("-", 1)[0] for key in CASES if key.startswith("multipart-")}
    assert covered == multipart
