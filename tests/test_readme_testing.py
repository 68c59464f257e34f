"""The testing snippets users copy run as written, in a fresh pytest run.

The README's "Testing your own code" snippet and the local-server example of
docs/testing.md are extracted and run by pytest in a temporary directory configured as the
docs say (`trio_mode = true`), so a change that breaks a snippet or the setup it names fails
here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def _readme_testing_snippet() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Testing your own code", 1)[1].split("\n## ", 1)[0]
    blocks = _python_blocks(section)
    assert len(blocks) == 1, "the section should hold exactly one python block"
    return blocks[0]


def _docs_local_server_snippet() -> str:
    docs = (ROOT / "docs" / "testing.md").read_text()
    section = docs.split("## The local server fixture", 1)[1].split("\n## ", 1)[0]
    return _python_blocks(section)[0]


@pytest.mark.parametrize(
    "snippet", [_readme_testing_snippet, _docs_local_server_snippet], ids=["readme", "docs"]
)
def test_the_testing_snippet_passes_under_pytest(
    snippet: Callable[[], str], tmp_path: Path
) -> None:
    (tmp_path / "test_snippet.py").write_text(snippet())
    (tmp_path / "pytest.ini").write_text("[pytest]\ntrio_mode = true\nfilterwarnings = error\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "1 passed" in run.stdout
