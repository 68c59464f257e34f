"""The command line, run as users run it: a subprocess, offline, interrupted, killed with
SIGKILL and resumed, in a terminal and in a pipe."""

from __future__ import annotations

import os
import pty
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import trio

import trio_openai
from trio_openai.testing import LocalServer, RecordedRequest, Reply

ENV = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}


def test_responses_and_chat_stream_offline() -> None:
    for command in ("responses", "chat"):
        out = subprocess.run(
            [sys.executable, "-m", "trio_openai", command, "hello", "there"],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,
            check=True,
        )
        assert out.stdout == "You said: hello there\n"
        assert "local echo server" in out.stderr


async def test_against_a_given_base_url(local_server: trio_openai.testing.LocalServer) -> None:
    env = {**ENV, "OPENAI_API_KEY": "sk-cli"}
    argv = [
        sys.executable,
        "-m",
        "trio_openai",
        "chat",
        "hi",
        "--base-url",
        local_server.base_url,
        "--model",
        "m1",
    ]
    result = await trio.run_process(argv, capture_stdout=True, capture_stderr=True, env=env)
    assert result.stdout.decode() == "You said: hi\n"
    assert local_server.requests[-1].json()["model"] == "m1"
    assert local_server.requests[-1].headers["authorization"] == "Bearer sk-cli"


def test_ctrl_c_stops_cleanly() -> None:
    words = " ".join(f"w{i}" for i in range(400))
    proc = subprocess.Popen(
        [sys.executable, "-m", "trio_openai", "responses", words],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.read(12)  # the stream has started
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert "(interrupted)" in err


# --- batch run --------------------------------------------------------------------------------

BATCH = [sys.executable, "-m", "trio_openai", "batch", "run"]


def write_requests(path: Path, count: int, *, failing: tuple[int, ...] = ()) -> Path:
    lines = [
        {"model": "echo-1", "input": f"question {i}", **({"fail": True} if i in failing else {})}
        for i in range(count)
    ]
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def read_results(path: Path) -> list[Any]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def answer_text(line: Any) -> str:
    return str(line["body"]["output"][0]["content"][0]["text"])


async def batch_run(server: LocalServer, *argv: str) -> subprocess.CompletedProcess[bytes]:
    env = {**ENV, "OPENAI_API_KEY": "sk-cli"}
    fast = ["--base-url", server.base_url, "--poll-interval", "0.01"]
    return await trio.run_process(
        [*BATCH, *argv, *fast], capture_stdout=True, capture_stderr=True, env=env, check=False
    )


def created_lines(stderr: bytes) -> list[str]:
    return [line for line in stderr.decode().splitlines() if line.endswith(" created")]


def test_batch_run_offline(tmp_path: Path) -> None:
    source = write_requests(tmp_path / "requests.jsonl", 2)
    out = tmp_path / "results.jsonl"
    result = subprocess.run(
        [*BATCH, str(source), "--out", str(out)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert [answer_text(line) for line in read_results(out)] == [
        "You said: question 0",
        "You said: question 1",
    ]
    assert "local server" in result.stderr and "2 succeeded, 0 failed" in result.stderr
    assert not (tmp_path / "results.jsonl.batch-state.json").exists()  # removed once done


async def test_batch_run_writes_lines_when_stderr_is_not_a_terminal(
    tmp_path: Path, local_server: LocalServer
) -> None:
    local_server.batches.step_time = 0.05
    source = write_requests(tmp_path / "requests.jsonl", 4, failing=(3,))
    out = tmp_path / "results.jsonl"
    argv = [str(source), "--out", str(out), "--max-per-batch", "2", "--progress-interval", "0"]
    result = await batch_run(local_server, *argv)
    assert result.returncode == 1, result.stderr  # one input failed
    lines = read_results(out)
    assert [line["index"] for line in lines] == [0, 1, 2, 3]
    assert answer_text(lines[2]) == "You said: question 2"
    assert lines[3]["error"]["type"] == "BatchRequestFailed"
    assert lines[3]["error"]["code"] == "requested_failure"
    err = result.stderr.decode()
    assert "\r" not in err and "\x1b" not in err  # plain lines, no redrawing, no escapes
    created = created_lines(result.stderr)
    assert [line.partition(":")[0] for line in sorted(created)] == [
        "batch 1 of 2 (inputs 0-1)",
        "batch 2 of 2 (inputs 2-3)",
    ]
    progress = [line for line in err.splitlines() if line.startswith("progress: ")]
    assert len(progress) >= 3
    assert re.fullmatch(
        r"progress: 4/4 answered \(1 failed\), [\d.]+/s, ETA 0:00:00; batches: 2 completed",
        progress[-1],
    )
    assert any(re.search(r"ETA \d+:\d\d:\d\d; batches: .*in_progress", p) for p in progress)
    assert "3 succeeded, 1 failed" in err
    assert local_server.requests[0].headers["authorization"] == "Bearer sk-cli"


async def test_batch_run_killed_and_resumed_from_its_state_file(
    tmp_path: Path, local_server: LocalServer
) -> None:
    batches = local_server.batches
    batches.step_time = 0.2
    source = write_requests(tmp_path / "requests.jsonl", 12)
    out = tmp_path / "results.jsonl"
    state = tmp_path / "results.jsonl.batch-state.json"
    # The first batch asked for is created; the three others hang until the process is
    # killed, so the kill lands with one batch running and three not created.
    gate, all_asked = trio.Event(), trio.Event()
    creations = 0

    async def create(request: RecordedRequest) -> Reply:
        nonlocal creations
        creations += 1
        if creations == 4:
            all_asked.set()
        if creations > 1 and not gate.is_set():
            await gate.wait()
            return Reply.error(503, message="the client is gone")
        reply = batches.respond(request)
        assert reply is not None
        return reply

    def saved_ids() -> list[list[str]]:
        if not state.exists():
            return []
        return [b["batch_ids"] for b in orjson.loads(state.read_bytes())["batches"]]

    local_server.script("POST", "/v1/batches", Reply.handler(create))
    env = {**ENV, "OPENAI_API_KEY": "sk-cli"}
    argv = [*BATCH, str(source), "--out", str(out), "--max-per-batch", "3"]
    argv += ["--base-url", local_server.base_url, "--poll-interval", "0.01"]
    with (tmp_path / "first.err").open("wb") as first_err:
        process = await trio.lowlevel.open_process(argv, stderr=first_err, env=env)
        with trio.fail_after(30):
            await all_asked.wait()
            # Another process writes the file: there is nothing to wait on but the file.
            while not any(saved_ids()):  # noqa: ASYNC110
                await trio.sleep(0.02)
        process.kill()  # SIGKILL: no cleanup, no cancel, no last write
        assert await process.wait() == -signal.SIGKILL
    gate.set()
    assert not out.exists()
    saved = orjson.loads(state.read_bytes())
    assert [(b["position"], b["first_index"], b["last_index"]) for b in saved["batches"]] == [
        (1, 0, 2),
        (2, 3, 5),
        (3, 6, 8),
        (4, 9, 11),
    ]
    (running,) = [b for b in saved["batches"] if b["batch_ids"]]
    (batch_id,) = running["batch_ids"]
    assert batches.batches[batch_id].status not in ("completed", "cancelled")
    where = f"batch {running['position']} of 4 (inputs {running['first_index']}-"
    assert (
        f"{where}{running['last_index']}): {batch_id} created"
        in (tmp_path / "first.err").read_text()
    )

    # A fresh run refuses to overwrite the state; a resume with other options is refused.
    refused = await batch_run(local_server, str(source), "--out", str(out), "--max-per-batch", "3")
    assert refused.returncode == 2 and b"--resume" in refused.stderr
    wrong = await batch_run(local_server, str(source), "--out", str(out), "--resume")
    assert wrong.returncode == 2
    assert b"max_per_batch = 3, this run has 50000" in wrong.stderr

    resumed = await batch_run(
        local_server, str(source), "--out", str(out), "--max-per-batch", "3", "--resume"
    )
    assert resumed.returncode == 0, resumed.stderr
    lines = read_results(out)
    assert [answer_text(line) for line in lines] == [f"You said: question {i}" for i in range(12)]
    assert len(batches.batches) == 4  # the first batch polled, the three others created
    assert f"{where}{running['last_index']}): {batch_id} resumed".encode() in resumed.stderr
    assert len(created_lines(resumed.stderr)) == 3
    assert not state.exists()


async def test_batch_resume_refuses_ids_that_do_not_fit_their_chunks(
    tmp_path: Path, local_server: LocalServer
) -> None:
    local_server.batches.step_time = 0.02
    source = write_requests(tmp_path / "requests.jsonl", 4)
    out = tmp_path / "results.jsonl"
    first = await batch_run(local_server, str(source), "--out", str(out), "--max-per-batch", "2")
    assert first.returncode == 0, first.stderr
    ids = {line.partition(":")[0]: line.split()[-2] for line in created_lines(first.stderr)}
    in_order = [ids["batch 1 of 2 (inputs 0-1)"], ids["batch 2 of 2 (inputs 2-3)"]]
    polls = len(local_server.requests)

    swapped = await batch_run(
        local_server, str(source), "--out", str(out), "--max-per-batch", "2",
        "--resume", in_order[1], in_order[0],
    )  # fmt: skip
    assert swapped.returncode == 2
    # Both batches are checked at once; whichever answers first is named.
    assert re.search(
        rb"error: batch (\S+) does not belong to batch (1 of 2 \(inputs 0-1\)|2 of 2 \(inputs 2-3\))",
        swapped.stderr,
    )
    assert b"in the order the first run wrote them" in swapped.stderr
    assert b"Traceback" not in swapped.stderr
    assert not any(r.path.endswith("/cancel") for r in local_server.requests[polls:])

    again = await batch_run(
        local_server, str(source), "--out", str(out), "--max-per-batch", "2", "--resume", *in_order
    )
    assert again.returncode == 0, again.stderr
    assert len(local_server.batches.batches) == 2  # collected again, nothing created


async def test_batch_run_resubmits_what_an_expired_batch_did_not_run(
    tmp_path: Path, local_server: LocalServer
) -> None:
    batches = local_server.batches
    batches.step_time = 0.02

    def expire_the_first(request: RecordedRequest) -> Reply:
        batches.expire = not batches.batches  # only the first batch expires
        reply = batches.respond(request)
        assert reply is not None
        return reply

    local_server.script("POST", "/v1/batches", Reply.handler(expire_the_first))
    source = write_requests(tmp_path / "requests.jsonl", 6)
    out = tmp_path / "results.jsonl"
    plain = await batch_run(local_server, str(source), "--out", str(out))
    assert plain.returncode == 1
    assert [line["error"] for line in read_results(out)][3]["code"] == "batch_expired"
    assert b"--resume --resubmit-unfinished" in plain.stderr
    state = tmp_path / "results.jsonl.batch-state.json"
    assert state.exists()  # kept, to send the unrun inputs again

    resumed = await batch_run(
        local_server, str(source), "--out", str(out), "--resume", "--resubmit-unfinished"
    )
    assert resumed.returncode == 0, resumed.stderr
    assert [answer_text(line) for line in read_results(out)] == [
        f"You said: question {i}" for i in range(6)
    ]
    assert re.search(rb"batch 1 of 1 \(inputs 0-5\): \S+ created \(resubmission 1", resumed.stderr)
    assert len(batches.batches) == 2 and not state.exists()


def test_batch_run_draws_a_bar_in_a_terminal(tmp_path: Path) -> None:
    source = write_requests(tmp_path / "requests.jsonl", 3)
    out = tmp_path / "results.jsonl"
    leader, follower = pty.openpty()
    env = {**ENV, "COLUMNS": "160", "TERM": "xterm"}
    process = subprocess.Popen([*BATCH, str(source), "--out", str(out)], stderr=follower, env=env)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0
    text = shown.decode(errors="replace")
    assert "\x1b[" in text  # drawn in place by rich
    assert "━" in text and "3/3" in text and "ETA" in text and "/s" in text
    assert "batch 1 of 1 (inputs 0-2)" in text
    assert len(read_results(out)) == 3


def test_batch_run_rejects_a_bad_input_file(tmp_path: Path) -> None:
    source = tmp_path / "requests.jsonl"
    source.write_text('{"input": "ok"}\n[1, 2]\n')
    result = subprocess.run(
        [*BATCH, str(source)], capture_output=True, text=True, env=ENV, timeout=60, check=False
    )
    assert result.returncode == 2 and "requests.jsonl:2" in result.stderr
    source.write_text('{"input": "ok"}\n')
    result = subprocess.run(
        [*BATCH, str(source), "--resume", "batch_1", "-"],
        capture_output=True, text=True, env=ENV, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2 and "2 batch ids for 1 batches" in result.stderr


def recorded_ids(state: Path) -> list[str]:
    """The batch ids a running `batch run` has saved so far (none while it writes the file)."""
    try:
        saved = orjson.loads(state.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return []
    return [i for b in saved["batches"] for i in b["batch_ids"]]


async def test_batch_run_ctrl_c_cancels_the_batches_and_keeps_the_state(
    tmp_path: Path, local_server: LocalServer
) -> None:
    batches = local_server.batches
    batches.step_time = 5.0
    source = write_requests(tmp_path / "requests.jsonl", 4)
    out = tmp_path / "results.jsonl"
    state = tmp_path / "results.jsonl.batch-state.json"
    env = {**ENV, "OPENAI_API_KEY": "sk-cli"}
    argv = [*BATCH, str(source), "--out", str(out), "--max-per-batch", "2"]
    argv += ["--base-url", local_server.base_url, "--poll-interval", "0.01"]
    with (tmp_path / "err").open("wb") as err:
        process = await trio.lowlevel.open_process(argv, stderr=err, env=env)
        with trio.fail_after(30):
            # Another process writes the file: there is nothing to wait on but the file.
            while len(batches.batches) < 2 or len(recorded_ids(state)) < 2:  # noqa: ASYNC110
                await trio.sleep(0.02)
            await trio.sleep(0.2)  # both batches being polled
            process.send_signal(signal.SIGINT)
            assert await process.wait() == 130
    assert "(interrupted" in (tmp_path / "err").read_text()
    assert sorted(batches.cancelled) == sorted(batches.batches)
    assert sorted(recorded_ids(state)) == sorted(batches.batches)


def test_plain_progress_lines_are_spaced_by_the_interval() -> None:
    from trio_openai._cli_progress import PlainLines
    from trio_openai.lib import BatchProgress, BatchState

    class Out:
        def __init__(self) -> None:
            self.lines: list[str] = []

        def write(self, text: str) -> int:
            self.lines += text.splitlines()
            return len(text)

        def flush(self) -> None:
            pass

    now = [0.0]
    out = Out()
    display = PlainLines(out, interval=10.0, clock=lambda: now[0])

    def snapshot(done: int, status: str = "in_progress") -> BatchProgress:
        state = BatchState(batch_id="b", first_index=0, total=100, status=status, completed=done)
        return BatchProgress((state,))

    for second, done in [(0, 0), (2, 10), (4, 20), (12, 50), (13, 50), (14, 60)]:
        now[0] = second
        display(snapshot(done))
    display.event("batch 1 of 1 (inputs 0-99): b expired")
    assert out.lines == [
        "progress: 0/100 answered (0 failed), 0.0/s, ETA unknown; batches: 1 in_progress",
        "progress: 50/100 answered (0 failed), 4.2/s, ETA 0:00:12; batches: 1 in_progress",
        "batch 1 of 1 (inputs 0-99): b expired",
    ]
    now[0] = 15
    display.finish()  # the last change is not lost
    assert out.lines[-1] == (
        "progress: 60/100 answered (0 failed), 4.3/s, ETA 0:00:09; batches: 1 in_progress"
    )
    now[0] = 20
    display(snapshot(100, "completed"))  # the end is always shown
    assert out.lines[-1].startswith("progress: 100/100 answered (0 failed), 5.0/s, ETA 0:00:00")


def test_resume_ids_on_the_command_line() -> None:
    from trio_openai._cli_state import parse_resume_ids

    # One word per position: an id, '-' for a batch never created, 'A,B' for a chain.
    assert parse_resume_ids(["batch_1", "-", "batch_2,batch_9"]) == [
        ["batch_1"],
        [],
        ["batch_2", "batch_9"],
    ]
