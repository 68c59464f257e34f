"""The `cassette` pytest fixture: the marker names the file, stored beside the tests; the
record mode comes from --cassette-mode, else TRIO_OPENAI_CASSETTE_MODE, else replay only.

Each case is a fresh pytest run in a temporary project, as a user would run their suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

INNER_TESTS = """
import pytest

import trio_openai
from trio_openai.testing import Cassette, LocalServer


async def ask(cassette: Cassette, server: LocalServer, word: str) -> str | None:
    async with cassette.client(base_url=server.base_url, api_key="sk-inner-SECRET") as client:
        reply = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": word}]
        )
    return reply.choices[0].message.content


@pytest.mark.cassette("greeting", redact_fields=["user"])
async def test_named(cassette: Cassette, local_server: LocalServer) -> None:
    assert await ask(cassette, local_server, "hi") == "You said: hi"
    assert len(local_server.requests) == (0 if cassette.replaying else 1)


async def test_default_name(cassette: Cassette, local_server: LocalServer) -> None:
    assert await ask(cassette, local_server, "{word}") == "You said: {word}"
    assert len(local_server.requests) == (0 if cassette.replaying else 1)
"""


def _project(tmp_path: Path, word: str = "yo") -> Path:
    (tmp_path / "tests").mkdir(exist_ok=True)
    (tmp_path / "tests" / "test_inner.py").write_text(INNER_TESTS.replace("{word}", word))
    (tmp_path / "pytest.ini").write_text("[pytest]\ntrio_mode = true\nfilterwarnings = error\n")
    return tmp_path


def _pytest(
    project: Path, *args: str, mode_env: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRIO_OPENAI_CASSETTE_MODE"}
    if mode_env is not None:
        env["TRIO_OPENAI_CASSETTE_MODE"] = mode_env
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            *args,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_record_then_replay_beside_the_tests(tmp_path: Path) -> None:
    project = _project(tmp_path)
    recorded = _pytest(project, "--cassette-mode=all")
    assert recorded.returncode == 0, recorded.stdout[-3000:]
    folder = project / "tests" / "cassettes" / "test_inner"
    assert sorted(p.name for p in folder.iterdir()) == ["greeting.json", "test_default_name.json"]
    assert b"SECRET" not in (folder / "greeting.json").read_bytes()

    replayed = _pytest(project)  # no option, no env: replay only
    assert replayed.returncode == 0, replayed.stdout[-3000:]
    assert "2 passed" in replayed.stdout


def test_replay_mode_fails_a_request_the_cassette_lacks_with_the_diff(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert _pytest(project, "--cassette-mode=all").returncode == 0
    _project(tmp_path, word="changed")
    run = _pytest(project)
    assert run.returncode == 1
    assert "CassetteMismatchError" in run.stdout
    assert "body.messages[0].content: recorded 'yo', sent 'changed'" in run.stdout


def test_the_environment_variable_chooses_new_episodes(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert _pytest(project, "--cassette-mode=all").returncode == 0
    _project(tmp_path, word="changed")
    run = _pytest(project, "-k", "default_name", mode_env="new_episodes")
    assert run.returncode == 0, run.stdout[-3000:]
    path = project / "tests" / "cassettes" / "test_inner" / "test_default_name.json"
    exchanges = orjson.loads(path.read_bytes())["exchanges"]
    assert [e["request"]["json"]["messages"][0]["content"] for e in exchanges] == ["yo", "changed"]


def test_a_missing_cassette_in_replay_mode_says_how_to_record(tmp_path: Path) -> None:
    run = _pytest(_project(tmp_path))
    assert run.returncode == 1
    assert "--cassette-mode=new_episodes" in run.stdout


INNER_WS_TEST = """
import trio_openai
from trio_openai.testing import WsCassetteServer, open_ws_server


async def test_realtime(ws_cassette: WsCassetteServer) -> None:
    async with open_ws_server() as upstream:
        ws_cassette.upstream = upstream.base_url  # record from the local WebSocket server
        async with trio_openai.OpenAI(api_key="sk-ws-SECRET", base_url=ws_cassette.base_url) as client:
            async with client.realtime.connect(model="gpt-realtime") as conn:
                created = await conn.recv()
    assert created.type == "session.created"
    assert len(upstream.sessions) == (1 if ws_cassette.mode == "all" else 0)
"""


def test_the_ws_cassette_fixture_records_then_replays(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_ws.py").write_text(INNER_WS_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntrio_mode = true\nfilterwarnings = error\n")
    recorded = _pytest(tmp_path, "--cassette-mode=all")
    assert recorded.returncode == 0, recorded.stdout[-3000:]
    path = tmp_path / "tests" / "cassettes" / "test_ws" / "test_realtime.ws.json"
    assert b"SECRET" not in path.read_bytes()
    replayed = _pytest(tmp_path)
    assert replayed.returncode == 0, replayed.stdout[-3000:]
