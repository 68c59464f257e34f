"""Shared fixtures: real servers started on demand (Steady, llama-server) and clients.

A test that needs Steady or llama-server gets it started here (once per session) unless
STEADY_BASE_URL / LLAMA_BASE_URL point at running ones: a missing server is started, never
skipped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import trio_openai
from trio_openai.testing import LocalServer

ROOT = Path(__file__).resolve().parent.parent

# This machine has 2 noisy cores: generation speed and per-example time say nothing about
# correctness here, so those two checks are off (the properties themselves all run).
settings.register_profile(
    "project", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile("project")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(script: str, env_url: str, url_format: str) -> Iterator[str]:
    url = os.environ.get(env_url)
    if url:
        yield url
        return
    port = free_port()
    proc = subprocess.run(
        [str(ROOT / "scripts" / script), str(port)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{proc.stderr[-4000:]}")
    pid = int(proc.stdout.split()[-1])
    try:
        yield url_format.format(port=port)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


@pytest.fixture(scope="session")
def steady_url() -> Iterator[str]:
    """Base URL of Steady, the mock server generated from the OpenAPI spec (no /v1)."""
    yield from _start("steady-up.sh", "STEADY_BASE_URL", "http://127.0.0.1:{port}")


@pytest.fixture(scope="session")
def llama_url() -> Iterator[str]:
    """Base URL of llama-server with SmolLM2-135M (…/v1)."""
    yield from _start("llama-server-up.sh", "LLAMA_BASE_URL", "http://127.0.0.1:{port}/v1")


@pytest.fixture
async def client(local_server: LocalServer) -> AsyncIterator[trio_openai.OpenAI]:
    """A client of the local server with a recognisable key and fast retries."""
    async with trio_openai.OpenAI(
        api_key="sk-test-SECRET-0123456789", base_url=local_server.base_url
    ) as c:
        yield c
