"""Every script in examples/ runs as a newcomer runs it, and type-checks as their editor shows.

Each one is started the way its docstring says (``python examples/NAME.py``), from another
directory, with no OpenAI, Azure, AWS or Google credentials in the environment: the examples
then start the bundled local server (or scripted ones) themselves, so this is the offline
path every example promises. A script that exits non-zero or prints a traceback fails.

The type check is basedpyright in standard mode (what an editor shows by default), as for
the docs' code blocks (tests/test_docs.py): an example a user copies must not need a cast
that the example itself leaves out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyright_run import pyright_errors

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
_CREDENTIALS = ("OPENAI_", "AZURE_", "AWS_", "GOOGLE_")


def _offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CREDENTIALS)}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 20, EXAMPLES


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs_offline(script: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_offline_env(),
        timeout=120,
        check=False,
    )
    shown = f"stdout:\n{done.stdout[-2000:]}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, shown
    assert "Traceback" not in done.stderr, shown
    assert done.stdout.strip(), shown  # every example shows what it did


def test_examples_type_check(tmp_path: Path) -> None:
    diagnostics, analysed = pyright_errors(
        tmp_path,
        include=[str(ROOT / "examples")],
        exclude=[str(ROOT / "examples" / "chat_ui")],
    )
    errors = [
        f"{Path(d['file']).relative_to(ROOT)}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in diagnostics
    ]
    assert analysed >= len(EXAMPLES)
    assert not errors, "\n".join(errors)
