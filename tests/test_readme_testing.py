"""The README's "Testing your own code" snippet runs as written, in a fresh pytest run.

It is extracted from README.md and run by pytest in a temporary directory configured as the
README says (`trio_mode = true`), so a change that breaks the snippet or the setup it names
fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_testing_snippet() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Testing your own code", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "the section should hold exactly one python block"
    return blocks[0]


def test_the_readme_testing_snippet_passes_under_pytest(tmp_path: Path) -> None:
    (tmp_path / "test_snippet.py").write_text(_readme_testing_snippet())
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
