"""The Batch API bridge over real sockets: the local server's Files and Batches emulation,
run_batch/resume_batch (order, splitting, errors, expiry, polling, progress, cancellation),
the `batch run` command, and the request shapes checked by Steady."""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import trio

import trio_openai
from trio_openai._cli_batch import add_batch_parser, run_batch_command
from trio_openai.lib import (
    BatchProgress,
    BatchRequestFailed,
    BatchRequestMissing,
    BatchRun,
    resume_batch,
    run_batch,
)
from trio_openai.testing import LocalServer, Reply
from trio_openai.testing._batches import BatchService

FAST = {"poll_interval": 0.005, "max_poll_interval": 0.02}


@pytest.fixture
def batches(local_server: LocalServer) -> BatchService:
    service = local_server.batches
    service.step_time = 0.02
    return service


def bodies(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"model": "echo-1", "input": f"question {i}", **extra} for i in range(count)]


def text_of(body: Any) -> str:
    return str(body["output"][0]["content"][0]["text"])


def paths(server: LocalServer, method: str, prefix: str) -> list[str]:
    return [r.path for r in server.requests if r.method == method and r.path.startswith(prefix)]


# --- the local server's Files and Batches APIs -------------------------------------------------


async def test_files_upload_read_list_delete(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    form = {"purpose": "batch", "file": ("in.jsonl", b'{"a": 1}\n', "application/jsonl")}
    uploaded = await client.post("/files", files=form)
    assert uploaded["object"] == "file" and uploaded["purpose"] == "batch"
    assert uploaded["filename"] == "in.jsonl" and uploaded["bytes"] == 9
    assert await client.get(f"/files/{uploaded['id']}") == uploaded
    content = await client._request("GET", f"/files/{uploaded['id']}/content", binary=True)
    assert content.content == b'{"a": 1}\n'
    assert [f["id"] for f in (await client.get("/files"))["data"]] == [uploaded["id"]]
    deleted = await client.delete(f"/files/{uploaded['id']}")
    assert deleted == {"id": uploaded["id"], "object": "file", "deleted": True}
    with pytest.raises(trio_openai.NotFoundError):
        await client.get(f"/files/{uploaded['id']}")
    with pytest.raises(trio_openai.BadRequestError):
        await client.post("/files", files={"purpose": "nonsense", "file": ("x", b"")})


async def test_batch_creation_is_validated(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    with pytest.raises(trio_openai.BadRequestError, match="No file with purpose"):
        await client.post(
            "/batches",
            body={
                "input_file_id": "file-x",
                "endpoint": "/v1/responses",
                "completion_window": "24h",
            },
        )
    form = {"purpose": "user_data", "file": ("in.jsonl", b"{}\n")}
    file_id = (await client.post("/files", files=form))["id"]
    for body in (
        {"input_file_id": file_id, "endpoint": "/v1/responses", "completion_window": "24h"},
        {"input_file_id": file_id, "endpoint": "/v2/nothing", "completion_window": "24h"},
    ):
        with pytest.raises(trio_openai.BadRequestError):
            await client.post("/batches", body=body)


async def test_an_invalid_input_file_fails_the_batch_and_every_input(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    good = {"custom_id": "req-0", "method": "POST", "url": "/v1/responses", "body": {"input": "x"}}
    content = orjson.dumps(good) + b"\nnot json\n"
    file_id = (await client.post("/files", files={"purpose": "batch", "file": ("in", content)}))[
        "id"
    ]
    body = {"input_file_id": file_id, "endpoint": "/v1/responses", "completion_window": "24h"}
    batch_id = (await client.post("/batches", body=body))["id"]

    results = await resume_batch(client, [batch_id], bodies(2), **FAST)
    assert [type(r.error) for r in results] == [BatchRequestMissing, BatchRequestMissing]
    error = results[0].error
    assert isinstance(error, BatchRequestMissing)
    assert error.code == "batch_failed" and error.batch_status == "failed"
    assert "not valid JSON" in error.message
    batch = await client.get(f"/batches/{batch_id}")
    assert batch["errors"]["data"][0]["line"] == 2


async def test_cancelling_a_finished_batch_is_refused(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    run = BatchRun(client, bodies(1), **FAST)
    await run.run()
    with pytest.raises(trio_openai.BadRequestError, match="Cannot cancel"):
        await client.post(f"/batches/{run.batch_ids[0]}/cancel", max_retries=0)


# --- run_batch --------------------------------------------------------------------------------


async def test_results_come_in_input_order(
    client: trio_openai.OpenAI, local_server: LocalServer, batches: BatchService
) -> None:
    results = await run_batch(client, bodies(5), metadata={"job": "nightly"}, **FAST)
    assert [r.index for r in results] == list(range(5))
    assert [r.custom_id for r in results] == [f"req-{i}" for i in range(5)]
    assert all(r.ok and r.status_code == 200 for r in results)
    assert [text_of(r.unwrap()) for r in results] == [f"You said: question {i}" for i in range(5)]

    (batch,) = batches.batches.values()
    assert batch.metadata == {"job": "nightly"} and batch.endpoint == "/v1/responses"
    upload = batches.files[batch.input_file_id]
    assert upload.purpose == "batch"
    lines = [orjson.loads(line) for line in upload.content.splitlines()]
    assert lines[3] == {
        "custom_id": "req-3",
        "method": "POST",
        "url": "/v1/responses",
        "body": {"model": "echo-1", "input": "question 3"},
    }
    assert paths(local_server, "GET", "/v1/files/") == [f"/v1/files/{batch.output_file_id}/content"]


async def test_chat_completions_endpoint(client: trio_openai.OpenAI, batches: BatchService) -> None:
    requests = [
        {"model": "echo-1", "messages": [{"role": "user", "content": f"hi {i}"}]} for i in range(3)
    ]
    results = await run_batch(client, requests, endpoint="/v1/chat/completions", **FAST)
    texts = [r.unwrap()["choices"][0]["message"]["content"] for r in results]
    assert texts == ["You said: hi 0", "You said: hi 1", "You said: hi 2"]


async def test_many_requests_are_split_into_concurrent_batches(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    batches.step_time = 0.1
    results = await run_batch(client, bodies(10), max_per_batch=3, **FAST)
    assert [text_of(r.body) for r in results] == [f"You said: question {i}" for i in range(10)]
    runs = list(batches.batches.values())
    assert sorted(len(b.lines) for b in runs) == [1, 3, 3, 3]
    assert len({r.batch_id for r in results}) == 4
    # Every batch was created before the first one finished: they ran at the same time.
    assert max(b.started for b in runs) < min(b.finished or 0 for b in runs)


async def test_split_by_bytes_and_a_request_too_big(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    line_size = (
        len(
            orjson.dumps(
                {
                    "custom_id": "req-0",
                    "method": "POST",
                    "url": "/v1/responses",
                    "body": bodies(1)[0],
                }
            )
        )
        + 1
    )
    results = await run_batch(client, bodies(4), max_bytes_per_batch=line_size * 2 + 1, **FAST)
    assert all(r.ok for r in results)
    assert [len(b.lines) for b in batches.batches.values()] == [2, 2]
    with pytest.raises(ValueError, match="request 0 alone"):
        await run_batch(client, [{"input": "x" * 100}], max_bytes_per_batch=50)


async def test_errors_are_per_request(client: trio_openai.OpenAI, batches: BatchService) -> None:
    def runner(url: str, body: dict[str, Any]) -> tuple[int, Any]:
        if body["input"] == "boom":
            raise RuntimeError("boom")
        return 200, {"echo": body["input"]}

    batches.runner = runner
    requests = [{"input": "a"}, {"input": "b", "fail": True}, {"input": "boom"}, {"input": "d"}]
    results = await run_batch(client, requests, **FAST)
    assert [r.status_code for r in results] == [200, 400, 500, 200]
    assert results[0].body == {"echo": "a"} and results[3].body == {"echo": "d"}
    failed = results[1].error
    assert isinstance(failed, BatchRequestFailed)
    assert failed.code == "requested_failure" and failed.status_code == 400
    assert failed.custom_id == "req-1" and failed.request_id
    assert results[1].body["error"]["message"] == "This line asked to fail."
    with pytest.raises(BatchRequestFailed, match="runner raised"):
        results[2].unwrap()
    (batch,) = batches.batches.values()
    assert batch.output_file_id and batch.error_file_id


async def test_an_expired_batch_gives_typed_errors_for_the_missing_inputs(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    batches.expire = True
    results = await run_batch(client, bodies(6), **FAST)
    assert [r.ok for r in results] == [True] * 3 + [False] * 3
    for result in results[3:]:
        error = result.error
        assert isinstance(error, BatchRequestMissing)
        assert error.code == "batch_expired" and error.batch_status == "expired"
        assert error.custom_id == result.custom_id and error.batch_id == result.batch_id
    (batch,) = batches.batches.values()
    assert batch.status == "expired" and batch.error_file_id is None


async def test_poll_after_header_is_honoured(
    client: trio_openai.OpenAI, local_server: LocalServer, batches: BatchService
) -> None:
    # The batch takes 4 steps of 0.05 s; without the header the client polls every few ms.
    batches.step_time = 0.05
    await run_batch(client, bodies(2), poll_interval=0.002, max_poll_interval=0.005)
    assert len(paths(local_server, "GET", "/v1/batches/")) >= 4

    local_server.reset()
    batches.poll_after_ms = 150
    await run_batch(client, bodies(2), poll_interval=0.002, max_poll_interval=0.005)
    assert len(paths(local_server, "GET", "/v1/batches/")) == 2  # finalizing, completed
    batch = list(batches.batches.values())[-1]
    assert batch.polls[0] - batch.started >= 0.15
    assert batch.polls[1] - batch.polls[0] >= 0.15


async def test_polling_backs_off_while_nothing_moves(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    batches.step_time = 0.4  # validating for 0.4 s: nothing moves
    await run_batch(client, bodies(1), poll_interval=0.01, max_poll_interval=0.05)
    (batch,) = batches.batches.values()
    gaps = [b - a for a, b in zip([batch.started, *batch.polls], batch.polls, strict=False)]
    # Waits of 0.01 after the creation, then 0.01, 0.015, 0.0225, 0.03375, 0.05 (the cap):
    # lower bounds only, since each gap also holds a request's round trip.
    for gap, wait in zip(gaps, [0.01, 0.01, 0.015, 0.0225, 0.03375, 0.05, 0.05], strict=False):
        assert gap >= wait


async def test_progress_reports_ids_and_counts(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    seen: list[BatchProgress] = []
    requests = bodies(5)
    requests[4]["fail"] = True
    results = await run_batch(client, requests, max_per_batch=3, on_progress=seen.append, **FAST)

    first = seen[0]
    assert first.total == 5 and len(first.batches) == 2
    assert [s.total for s in first.batches] == [3, 2]
    assert [s.first_index for s in first.batches] == [0, 3]
    assert None in first.batch_ids and not first.finished
    last = seen[-1]
    assert last.finished and last.completed == 4 and last.failed == 1
    assert last.batch_ids == tuple(dict.fromkeys(r.batch_id for r in results))
    done = [p.completed + p.failed for p in seen]
    assert done == sorted(done)
    statuses = {s.status for p in seen for s in p.batches}
    assert {"pending", "validating", "completed"} <= statuses
    assert all(a != b for a, b in itertools.pairwise(seen))  # changes only


async def test_resume_from_batch_ids_after_a_crash(
    client: trio_openai.OpenAI, local_server: LocalServer, batches: BatchService
) -> None:
    saved: list[tuple[str | None, ...]] = []

    def persist_then_crash(progress: BatchProgress) -> None:
        saved.append(progress.batch_ids)
        if all(progress.batch_ids):
            raise RuntimeError("the process died")

    requests = bodies(7)
    with pytest.raises(RuntimeError, match="died"):
        await run_batch(client, requests, max_per_batch=4, on_progress=persist_then_crash, **FAST)
    ids = saved[-1]
    assert len(ids) == 2 and all(ids)
    assert not batches.cancelled  # a failure leaves the batches running, to be resumed

    created_before = len(paths(local_server, "POST", "/v1/batches"))
    results = await resume_batch(client, ids, requests, max_per_batch=4, **FAST)
    assert [text_of(r.body) for r in results] == [f"You said: question {i}" for i in range(7)]
    assert len(paths(local_server, "POST", "/v1/batches")) == created_before
    assert [r.batch_id for r in results] == [ids[0]] * 4 + [ids[1]] * 3


async def test_resume_creates_the_batches_not_yet_created(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    run = BatchRun(client, bodies(2), max_per_batch=1, **FAST)
    results = await run.run()
    first_id = run.batch_ids[0]
    assert first_id is not None
    resumed = await resume_batch(client, [first_id, None], bodies(2), max_per_batch=1, **FAST)
    assert resumed[0].body == results[0].body
    assert resumed[1].ok and resumed[1].batch_id not in run.batch_ids
    with pytest.raises(ValueError, match="same requests"):
        await resume_batch(client, [first_id], bodies(2), max_per_batch=1)
    with pytest.raises(ValueError, match="holds 1 requests"):
        await resume_batch(client, [first_id], bodies(2), **FAST)


async def test_cancelling_the_caller_cancels_the_batches(
    client: trio_openai.OpenAI, local_server: LocalServer, batches: BatchService
) -> None:
    batches.step_time = 10.0
    run = BatchRun(client, bodies(4), max_per_batch=2, **FAST)
    raised: BaseException | None = None
    with trio.CancelScope() as scope:
        async with trio.open_nursery() as nursery:

            async def runner() -> None:
                nonlocal raised
                try:
                    await run.run()
                except BaseException as exc:
                    raised = exc
                    raise

            nursery.start_soon(runner)
            await run.created.wait()
            await trio.sleep(0.02)
            scope.cancel()
    assert scope.cancelled_caught
    assert isinstance(raised, trio.Cancelled)  # one Cancelled, not a group
    ids = run.batch_ids
    assert sorted(batches.cancelled) == sorted(ids)
    assert sorted(paths(local_server, "POST", "/v1/batches/")) == sorted(
        f"/v1/batches/{i}/cancel" for i in ids
    )
    for batch_id in ids:
        assert batches.batches[str(batch_id)].status == "cancelling"


async def test_a_failed_upload_is_raised_as_is(
    client: trio_openai.OpenAI, local_server: LocalServer, batches: BatchService
) -> None:
    local_server.script("POST", "/v1/files", Reply.error(400, message="bad file"))
    with pytest.raises(trio_openai.BadRequestError, match="bad file"):
        await run_batch(client, bodies(4), max_per_batch=2, **FAST)
    assert not batches.batches


# --- the `batch run` command ------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_batch_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["batch", "run", *argv])


class Capture:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


async def test_command_against_a_server(
    tmp_path: Path,
    local_server: LocalServer,
    batches: BatchService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli")
    source = tmp_path / "requests.jsonl"
    requests = [*bodies(3), {"input": "no", "fail": True}]
    source.write_bytes(b"\n".join(orjson.dumps(r) for r in requests) + b"\n\n")
    out = tmp_path / "results.jsonl"
    options = ["--max-per-batch", "2", "--poll-interval", "0.005"]
    args = parse([str(source), "--out", str(out), "--base-url", local_server.base_url, *options])
    err = Capture()
    assert await run_batch_command(args, stderr=err) == 1
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [line["index"] for line in lines] == [0, 1, 2, 3]
    assert text_of(lines[2]["body"]) == "You said: question 2"
    assert lines[3]["error"]["type"] == "BatchRequestFailed"
    assert lines[3]["error"]["code"] == "requested_failure"
    assert "\r[" in err.text and "4/4 (1 failed)" in err.text
    assert err.text.count("created") == 2 and "3 succeeded, 1 failed" in err.text
    assert local_server.requests[0].headers["authorization"] == "Bearer sk-cli"


async def test_command_rejects_a_bad_input_file(tmp_path: Path) -> None:
    source = tmp_path / "requests.jsonl"
    source.write_text('{"input": "ok"}\n[1, 2]\n')
    err = Capture()
    assert await run_batch_command(parse([str(source)]), stderr=err) == 2
    assert "requests.jsonl:2" in err.text

    source.write_text('{"input": "ok"}\n')
    err = Capture()
    assert (
        await run_batch_command(parse([str(source), "--resume", "batch_1", "-"]), stderr=err) == 2
    )
    assert "2 batch ids for 1 batches" in err.text


def test_command_runs_offline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    source = tmp_path / "requests.jsonl"
    source.write_text('{"model": "echo-1", "input": "one"}\n{"model": "echo-1", "input": "two"}\n')
    done = subprocess.run(
        [sys.executable, "-m", "trio_openai._cli_batch", "run", str(source)],
        capture_output=True,
        env=env,
        timeout=60,
        check=True,
    )
    lines = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [text_of(line["body"]) for line in lines] == ["You said: one", "You said: two"]
    assert b"local server" in done.stderr and b"2 succeeded, 0 failed" in done.stderr


# --- Steady: the request shapes of the routes the bridge uses ---------------------------------


async def test_steady_accepts_the_batch_and_file_requests(steady_url: str) -> None:
    line = {"custom_id": "req-0", "method": "POST", "url": "/v1/responses", "body": {"input": "hi"}}
    async with trio_openai.OpenAI(api_key="sk-test", base_url=steady_url, max_retries=0) as client:
        raw = client.with_raw_response
        form = {
            "purpose": "batch",
            "file": ("batch-0-0.jsonl", orjson.dumps(line) + b"\n", "application/jsonl"),
        }
        body = {
            "input_file_id": "file-abc123",
            "endpoint": "/v1/responses",
            "completion_window": "24h",
            "metadata": {"job": "nightly"},
        }
        with trio.fail_after(30):
            answers = [
                await raw.post("/files", files=form),
                await raw.post("/batches", body=body),
                await raw.get("/batches/batch_abc123"),
                await raw.post("/batches/batch_abc123/cancel"),
                await raw.files.content("file-abc123"),
            ]
    assert [a.headers.get("x-steady-request-valid") for a in answers] == ["true"] * 5
    assert answers[0].parsed["object"] == "file"
    assert answers[1].parsed["object"] == "batch"
