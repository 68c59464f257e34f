"""The command line, run as users run it: a subprocess, offline, and interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import trio

import trio_openai

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


def test_batch_run_offline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    requests = tmp_path / "requests.jsonl"
    requests.write_text('{"model": "echo-1", "input": "one"}\n{"model": "echo-1", "input": "two"}\n')
    out = tmp_path / "results.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "trio_openai", "batch", "run", str(requests), "--out", str(out)],
        capture_output=True, text=True, env=ENV, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    import json

    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["custom_id"] for line in lines] == ["req-0", "req-1"]
    assert all(line["status_code"] == 200 for line in lines)
