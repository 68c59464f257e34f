"""The soak of benchmarks/soak.py, shortened for CI: 30 s of mixed traffic under random faults.

It runs in a process of its own (its memory figures are then its own) through the same
command as the full run (``python -m benchmarks.soak --minutes 10``; see
docs/reliability.md for that run's figures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_thirty_seconds_of_faulty_traffic_leak_nothing(tmp_path: Path) -> None:
    report_path = tmp_path / "soak.json"
    command = [sys.executable, "-m", "benchmarks.soak", "--seconds", "30", "--warmup", "10"]
    done = subprocess.run(
        [*command, "--json", str(report_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    report = json.loads(report_path.read_text())
    assert report["passed"] and report["problems"] == [] and report["failures"] == []
    accounted = report["succeeded"] + sum(report["typed_errors"].values())
    assert accounted == report["submitted"] > 500
    assert report["succeeded"] > report["submitted"] // 2
    # The faults happened and were seen as the typed errors they should become.
    assert report["faults_injected"]["reset mid-body"] > 0
    for name in ("APIConnectionError", "APIResponseValidationError", "RateLimitError"):
        assert report["typed_errors"].get(name, 0) > 0, report["typed_errors"]
    assert report["pool_at_end"]["busy"] == report["pool_at_end"]["waiting"] == 0
    assert report["server_connections_after"] == 0
    assert report["tasks_after"] == report["tasks_before"]
    assert report["rss_growth_mib"] < 4
