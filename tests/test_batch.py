"""The Batch API bridge over real sockets: the local server's Files and Batches emulation,
run_batch/resume_batch (order, splitting, errors, expiry, resubmission, polling, progress,
cancellation), and the request shapes checked by Steady. The `batch run` command is tested
as a subprocess in test_cli.py."""

from __future__ import annotations

import itertools
from typing import Any, Unpack

import orjson
import pytest
import trio

import trio_openai
from trio_openai.lib import (
    BatchOptions,
    BatchProgress,
    BatchRequestFailed,
    BatchRequestMissing,
    BatchRun,
    resume_batch,
    run_batch,
)
from trio_openai.lib._batch_results import line_result
from trio_openai.testing import LocalServer, Reply
from trio_openai.testing._batches import BatchService


def fast(**options: Unpack[BatchOptions]) -> BatchOptions:
    """`options`, polling fast: the emulation's batches take tens of milliseconds."""
    return {"poll_interval": 0.005, "max_poll_interval": 0.02, **options}


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
    content = await client.files.content(uploaded["id"])
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
    bad = {**good, "custom_id": "req-1", "url": "/v1/embeddings"}
    content = orjson.dumps(good) + b"\n" + orjson.dumps(bad) + b"\n"
    file_id = (await client.post("/files", files={"purpose": "batch", "file": ("in", content)}))[
        "id"
    ]
    body = {"input_file_id": file_id, "endpoint": "/v1/responses", "completion_window": "24h"}
    batch_id = (await client.post("/batches", body=body))["id"]

    results = await resume_batch(client, [batch_id], bodies(2), **fast())
    assert [type(r.error) for r in results] == [BatchRequestMissing, BatchRequestMissing]
    error = results[0].error
    assert isinstance(error, BatchRequestMissing)
    assert error.code == "batch_failed" and error.batch_status == "failed"
    assert "must POST to /v1/responses" in error.message
    batch = await client.get(f"/batches/{batch_id}")
    assert batch["errors"]["data"][0]["line"] == 2


async def test_cancelling_a_finished_batch_is_refused(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    run = BatchRun(client, bodies(1), **fast())
    await run.run()
    with pytest.raises(trio_openai.BadRequestError, match="Cannot cancel"):
        await client.post(f"/batches/{run.batch_ids[0]}/cancel", max_retries=0)


# --- run_batch --------------------------------------------------------------------------------


async def test_results_come_in_input_order(
    client: trio_openai.OpenAI, local_server: LocalServer, batches: BatchService
) -> None:
    results = await run_batch(client, bodies(5), **fast(metadata={"job": "nightly"}))
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
    results = await run_batch(client, requests, **fast(endpoint="/v1/chat/completions"))
    texts = [r.unwrap()["choices"][0]["message"]["content"] for r in results]
    assert texts == ["You said: hi 0", "You said: hi 1", "You said: hi 2"]


async def test_many_requests_are_split_into_concurrent_batches(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    batches.step_time = 0.1
    results = await run_batch(client, bodies(10), **fast(max_per_batch=3))
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
    results = await run_batch(client, bodies(4), **fast(max_bytes_per_batch=line_size * 2 + 1))
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
    results = await run_batch(client, requests, **fast())
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


async def file_lines(client: trio_openai.OpenAI, file_id: str | None) -> list[Any]:
    assert file_id is not None
    content = await client.files.content(file_id)
    return [orjson.loads(line) for line in bytes(content).splitlines()]


async def test_an_expired_batch_gives_missing_for_its_error_file_lines(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    batches.expire = True
    results = await run_batch(client, bodies(12), **fast())
    assert [r.ok for r in results] == [True] * 6 + [False] * 6
    assert [text_of(r.body) for r in results[:6]] == [f"You said: question {i}" for i in range(6)]
    (batch,) = batches.batches.values()
    assert batch.status == "expired"
    # The emulation writes what the API writes: one error line per unrun request, and the
    # files in no particular order.
    errors = await file_lines(client, batch.error_file_id)
    assert sorted(line["custom_id"] for line in errors) == sorted(f"req-{i}" for i in range(6, 12))
    assert all(line["response"] is None for line in errors)
    assert {line["error"]["code"] for line in errors} == {"batch_expired"}
    output = await file_lines(client, batch.output_file_id)
    assert [line["custom_id"] for line in output] != [f"req-{i}" for i in range(6)]
    for result in results[6:]:
        error = result.error
        assert isinstance(error, BatchRequestMissing) and error.resubmittable
        assert error.code == "batch_expired" and error.batch_status == "expired"
        assert error.status_code is None and result.status_code is None
        assert error.message.startswith("This request could not be executed")
        assert error.custom_id == result.custom_id and error.batch_id == result.batch_id


# The line shapes of the API's output and error files, and what each becomes (pure).
LINES: list[tuple[dict[str, Any], str, type | None, str | None]] = [
    ({"response": {"status_code": 200, "body": {"id": "r"}}, "error": None}, "ok", None, None),
    (
        {"response": {"status_code": 400, "body": {"error": {"code": "bad", "message": "m"}}}},
        "ran",
        BatchRequestFailed,
        "bad",
    ),
    (
        {"response": None, "error": {"code": "server_error", "message": "m"}},
        "ran",
        BatchRequestFailed,
        "server_error",
    ),
    (
        {"response": None, "error": {"code": "batch_expired", "message": "m"}},
        "expired",
        BatchRequestMissing,
        "batch_expired",
    ),
    (
        {"response": None, "error": {"code": "batch_cancelled", "message": "m"}},
        "cancelled",
        BatchRequestMissing,
        "batch_cancelled",
    ),
    (
        {"response": None, "error": {"code": "batch_failed", "message": "m"}},
        "failed",
        BatchRequestMissing,
        "batch_failed",
    ),
]


@pytest.mark.parametrize(("line", "status", "kind", "code"), LINES)
def test_each_line_shape_maps_to_one_result(
    line: dict[str, Any], status: str, kind: type | None, code: str | None
) -> None:
    batch = {"id": "batch_1", "status": {"ok": "completed", "ran": "completed"}.get(status, status)}
    result = line_result({"custom_id": "req-7", **line}, 7, batch)
    assert result.index == 7 and result.custom_id == "req-7" and result.batch_id == "batch_1"
    if kind is None:
        assert result.ok and result.body == {"id": "r"} and result.status_code == 200
        return
    error = result.error
    assert type(error) is kind and error is not None
    assert error.code == code and error.message == "m" and error.custom_id == "req-7"
    if isinstance(error, BatchRequestMissing):
        assert error.batch_status == batch["status"]
        assert error.resubmittable == (code in ("batch_expired", "batch_cancelled"))


async def test_unrun_inputs_missing_from_both_files_are_missing_too(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    batches.expire, batches.unfinished_lines = True, False
    results = await run_batch(client, bodies(6), **fast())
    assert [r.ok for r in results] == [True] * 3 + [False] * 3
    for result in results[3:]:
        error = result.error
        assert isinstance(error, BatchRequestMissing)
        assert error.code == "batch_expired" and error.batch_status == "expired"
    (batch,) = batches.batches.values()
    assert batch.error_file_id is None


async def test_a_batch_cancelled_elsewhere_gives_missing_batch_cancelled(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    batches.step_time, batches.progress_steps = 0.1, 4  # 0.3 s between first and last lines
    some_done = trio.Event()

    def watch(progress: BatchProgress) -> None:
        if progress.completed:
            some_done.set()

    async def cancel_in_the_dashboard(run: BatchRun) -> None:
        await some_done.wait()
        await client.post(f"/batches/{run.batch_ids[0]}/cancel")

    run = BatchRun(client, bodies(8), **fast(on_progress=watch))
    async with trio.open_nursery() as nursery:
        nursery.start_soon(cancel_in_the_dashboard, run)
        results = await run.run()
    missing = [r.error for r in results if isinstance(r.error, BatchRequestMissing)]
    assert 0 < len(missing) < 8
    assert all(e.code == "batch_cancelled" and e.batch_status == "cancelled" for e in missing)
    assert all(r.ok for r in results if r.error is None)
    assert run.progress.finished and run.progress.failed == len(missing)


# --- resubmitting what an expired or cancelled batch did not run -------------------------------


async def input_ids(client: trio_openai.OpenAI, batches: BatchService, batch_id: str) -> list[str]:
    lines = await file_lines(client, batches.batches[batch_id].input_file_id)
    return [line["custom_id"] for line in lines]


async def test_resubmitting_answers_every_input_exactly_once(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    batches.expire = True
    seen: list[BatchProgress] = []

    def expire_only_the_first_batches(progress: BatchProgress) -> None:
        seen.append(progress)
        if all(progress.batch_ids):
            batches.expire = False  # the resubmissions run to the end

    results = await run_batch(
        client,
        bodies(10),
        **fast(
            max_per_batch=6, resubmit_unfinished=True, on_progress=expire_only_the_first_batches
        ),
    )
    assert [r.index for r in results] == list(range(10))
    assert [text_of(r.unwrap()) for r in results] == [f"You said: question {i}" for i in range(10)]
    final = seen[-1]
    assert final.completed == 10 and final.failed == 0 and final.finished
    first, second = final.batches
    assert len(first.resubmitted_ids) == len(second.resubmitted_ids) == 1
    assert final.resume_ids == ((first.batch_id, *first.resubmitted_ids), second.batch_ids)
    # The resubmission holds exactly the inputs its expired batch did not run, and every
    # input was answered by exactly one batch (2xx lines over all output files).
    assert await input_ids(client, batches, first.resubmitted_ids[0]) == [
        f"req-{i}" for i in range(3, 6)
    ]
    assert await input_ids(client, batches, second.resubmitted_ids[0]) == ["req-8", "req-9"]
    answered: list[str] = []
    for batch in batches.batches.values():
        if batch.output_file_id:
            answered += [
                line["custom_id"] for line in await file_lines(client, batch.output_file_id)
            ]
    assert sorted(answered) == sorted(f"req-{i}" for i in range(10))
    assert results[4].batch_id == first.resubmitted_ids[0]
    assert results[1].batch_id == first.batch_id


async def test_resubmission_stops_after_max_resubmits(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    batches.expire = True  # every batch expires halfway: 8 -> 4 -> 2 unrun
    results = await run_batch(client, bodies(8), **fast(resubmit_unfinished=True, max_resubmits=2))
    assert len(batches.batches) == 3
    assert [r.ok for r in results] == [True] * 7 + [False]
    error = results[7].error
    assert isinstance(error, BatchRequestMissing) and error.code == "batch_expired"
    # Without the option nothing is sent again.
    batches.batches.clear()
    results = await run_batch(client, bodies(8), **fast())
    assert len(batches.batches) == 1 and sum(r.ok for r in results) == 4


async def test_resume_with_resubmission_after_a_crash(
    client: trio_openai.OpenAI, local_server: LocalServer, batches: BatchService
) -> None:
    batches.expire = True
    saved: list[tuple[tuple[str, ...], ...]] = []

    def persist_then_crash(progress: BatchProgress) -> None:
        saved.append(progress.resume_ids)
        batches.expire = False
        if progress.batches[0].resubmitted_ids:
            raise RuntimeError("the process died")

    with pytest.raises(RuntimeError, match="died"):
        await run_batch(
            client, bodies(6), **fast(on_progress=persist_then_crash, resubmit_unfinished=True)
        )
    (chain,) = saved[-1]
    assert len(chain) == 2
    created = len(paths(local_server, "POST", "/v1/batches"))
    # JSON turns the tuples into lists: resume takes either.
    ids = orjson.loads(orjson.dumps(saved[-1]))
    results = await resume_batch(client, ids, bodies(6), **fast(resubmit_unfinished=True))
    assert [text_of(r.unwrap()) for r in results] == [f"You said: question {i}" for i in range(6)]
    assert len(paths(local_server, "POST", "/v1/batches")) == created
    assert [r.batch_id for r in results] == [chain[0]] * 3 + [chain[1]] * 3


async def test_resume_resubmits_a_run_cancelled_by_ctrl_c(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    batches.step_time, batches.progress_steps = 0.05, 4
    run = BatchRun(client, bodies(8), **fast())
    with trio.move_on_after(0.15):  # the run is cancelled (and its batch) while running
        await run.run()
    (batch_id,) = run.batch_ids
    assert batch_id is not None and batches.cancelled == [batch_id]
    results = await resume_batch(client, [batch_id], bodies(8), **fast(resubmit_unfinished=True))
    assert all(r.ok for r in results)
    assert len(batches.batches) == 2
    resubmitted = {r.batch_id for r in results} - {batch_id}
    assert len(resubmitted) == 1


async def test_resume_refuses_ids_out_of_order(
    client: trio_openai.OpenAI, local_server: LocalServer, batches: BatchService
) -> None:
    run = BatchRun(client, bodies(8), **fast(max_per_batch=4))
    await run.run()
    first, second = run.batch_ids
    polls = len(paths(local_server, "GET", "/v1/batches/"))
    # Both chunks are checked at once: whichever check ends first is reported.
    with pytest.raises(
        ValueError, match=r"does not belong to batch (1 of 2 \(inputs 0-3\)|2 of 2 \(inputs 4-7\))"
    ):
        await resume_batch(client, [second, first], bodies(8), **fast(max_per_batch=4))
    assert len(paths(local_server, "GET", "/v1/batches/")) <= polls + 2  # no polling loop
    with pytest.raises(ValueError, match="req-4, req-5, req-6 not in that chunk"):
        await resume_batch(client, [second, None], bodies(8), **fast(max_per_batch=4))


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
    # Done after 0.2 s: polls at >= 0.15 s (finalizing) and >= 0.3 s (completed); a loaded
    # machine may make the first one late enough to see it completed.
    assert 1 <= len(paths(local_server, "GET", "/v1/batches/")) <= 2
    batch = list(batches.batches.values())[-1]
    gaps = [b - a for a, b in zip([batch.started, *batch.polls], batch.polls, strict=False)]
    assert gaps and all(gap >= 0.15 for gap in gaps)


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
    results = await run_batch(client, requests, **fast(max_per_batch=3, on_progress=seen.append))

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
        await run_batch(client, requests, **fast(max_per_batch=4, on_progress=persist_then_crash))
    ids = saved[-1]
    assert len(ids) == 2 and all(ids)
    assert not batches.cancelled  # a failure leaves the batches running, to be resumed

    created_before = len(paths(local_server, "POST", "/v1/batches"))
    results = await resume_batch(client, ids, requests, **fast(max_per_batch=4))
    assert [text_of(r.body) for r in results] == [f"You said: question {i}" for i in range(7)]
    assert len(paths(local_server, "POST", "/v1/batches")) == created_before
    assert [r.batch_id for r in results] == [ids[0]] * 4 + [ids[1]] * 3


async def test_resume_creates_the_batches_not_yet_created(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    run = BatchRun(client, bodies(2), **fast(max_per_batch=1))
    results = await run.run()
    first_id = run.batch_ids[0]
    assert first_id is not None
    resumed = await resume_batch(client, [first_id, None], bodies(2), **fast(max_per_batch=1))
    assert resumed[0].body == results[0].body
    assert resumed[1].ok and resumed[1].batch_id not in run.batch_ids
    with pytest.raises(ValueError, match="same requests"):
        await resume_batch(client, [first_id], bodies(2), max_per_batch=1)
    with pytest.raises(ValueError, match="holds 1 requests"):
        await resume_batch(client, [first_id], bodies(2), **fast())


async def test_cancelling_the_caller_cancels_the_batches(
    client: trio_openai.OpenAI, local_server: LocalServer, batches: BatchService
) -> None:
    batches.step_time = 10.0
    run = BatchRun(client, bodies(4), **fast(max_per_batch=2))
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
        await run_batch(client, bodies(4), **fast(max_per_batch=2))
    assert not batches.batches


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


async def test_cancelling_a_resumed_run_cancels_its_batches(
    client: trio_openai.OpenAI, batches: BatchService
) -> None:
    batches.step_time = 10.0

    def crash_once_created(progress: BatchProgress) -> None:
        if all(progress.batch_ids):
            raise RuntimeError("the process died")

    run = BatchRun(client, bodies(4), **fast(max_per_batch=2, on_progress=crash_once_created))
    with pytest.raises(RuntimeError, match="died"):
        await run.run()
    assert not batches.cancelled
    with trio.move_on_after(0.1) as scope:
        await resume_batch(client, run.batch_ids, bodies(4), **fast(max_per_batch=2))
    assert scope.cancelled_caught
    assert sorted(batches.cancelled) == sorted(str(i) for i in run.batch_ids)
