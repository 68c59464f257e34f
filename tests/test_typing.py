"""The typing tests in tests/typing stay enforced: scripts/test runs pyright and mypy on them,
and these checks keep the two settings and markers that make a vanished error fail the run."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPING = ROOT / "tests" / "typing"


def _config() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]


def test_unused_ignores_are_errors_for_both_checkers() -> None:
    tool = _config()
    pyright = tool["basedpyright"]
    assert isinstance(pyright, dict)
    assert pyright["typeCheckingMode"] == "strict"
    assert pyright["reportUnnecessaryTypeIgnoreComment"] == "error"
    assert "tests/typing" in pyright["include"]
    # pyright must not honour mypy's markers in the user programs, or one would hide the other.
    envs = {env["root"]: env for env in pyright["executionEnvironments"]}
    assert envs["tests/typing"]["enableTypeIgnoreComments"] is False
    mypy = tool["mypy"]
    assert isinstance(mypy, dict)
    assert mypy["strict"] is True
    assert mypy["warn_unused_ignores"] is True
    assert "tests/typing" in mypy["files"]


def test_each_negative_case_is_checked_by_both() -> None:
    """A bad line marked for one checker only would pass unnoticed by the other."""
    cases = 0
    for number, line in enumerate((TYPING / "negative.py").read_text().splitlines(), 1):
        mypy_marker = re.search(r"# type: ignore\[[a-z-]+\]", line)
        pyright_marker = re.search(r"# pyright: ignore\[report[\w, ]+\]", line)
        assert bool(mypy_marker) == bool(pyright_marker), f"negative.py:{number}: {line.strip()}"
        cases += bool(mypy_marker)
    assert cases >= 10


def test_user_programs_carry_no_ignores() -> None:
    """The positive programs must type-check as written: an ignore there hides a regression."""
    for path in TYPING.glob("*.py"):
        if path.name == "negative.py":
            continue
        text = path.read_text()
        assert "type: ignore" not in text and "pyright: ignore" not in text, path.name
