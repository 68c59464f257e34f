"""The examples that talk to a model also run against a real OpenAI-compatible server.

Each runs as a user would run it, pointed at llama-server (SmolLM2-135M) through the
environment: OPENAI_BASE_URL, OPENAI_API_KEY (any value) and OPENAI_MODEL. A 135M model
says whatever it says, so only the exit status and the presence of output are checked,
never the text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.llama

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
# Examples that need no route llama-server lacks (conversations, files, realtime...).
LLAMA_EXAMPLES = [
    "stream_reply",
    "streaming",
    "text_generation",
    "structured_outputs",
    "multi_turn",
    "request_fields",
    "request_options",
    "unions",
    "errors",
    "timeouts",
    "raw_responses",
    "undocumented",
    "middleware",
]


@pytest.mark.parametrize("name", LLAMA_EXAMPLES)
def test_example_runs_against_llama_server(name: str, llama_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_OPENAI_"))}
    env.update(OPENAI_BASE_URL=llama_url, OPENAI_API_KEY="none", OPENAI_MODEL="smollm2-135m")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES_DIR / f"{name}.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip()
    assert "Traceback" not in result.stderr
