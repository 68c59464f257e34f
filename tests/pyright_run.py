"""Run basedpyright as an editor would over files a test wrote or names, and return its errors.

Shared by the docs' blocks (tests/test_docs.py) and the examples (tests/test_examples.py):
standard mode, the test's Python as the environment, one JSON report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

STANDARD: dict[str, Any] = {
    "typeCheckingMode": "standard",
    "pythonVersion": "3.11",
    "reportUnusedCoroutine": "error",
}


def pyright_errors(folder: Path, **settings: Any) -> tuple[list[dict[str, Any]], int]:
    """The error diagnostics of basedpyright over `folder` (its pyrightconfig.json is written
    from STANDARD and `settings`), and how many files it analysed."""
    config = folder / "pyrightconfig.json"
    config.write_text(json.dumps({**STANDARD, **settings}))
    basedpyright = Path(sys.executable).parent / "basedpyright"
    done = subprocess.run(
        [str(basedpyright), "-p", str(config), "--pythonpath", sys.executable, "--outputjson"],
        capture_output=True,
        text=True,
        cwd=folder,
        check=False,
    )
    report = json.loads(done.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    return errors, report["summary"]["filesAnalyzed"]
