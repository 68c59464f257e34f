"""Run the benchmark: ``python -m benchmarks [--rounds N] [--quick]`` (or ``benchmarks/run.py``).

One server process (benchmarks.server) serves pre-rendered answers; every (client,
workload) pair runs in a fresh worker process (benchmarks.worker), so that imports, pools
and peak RSS never leak from one measurement into another. Rounds are interleaved: round
1 runs every client once per workload, then round 2 does the same in a rotated client
order, and so on. The tables show medians over rounds.

Without --quick the results are also written into docs/performance.md (between its
``<!-- begin ... -->`` markers); the full per-round data goes to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks import report
from benchmarks.worker import CLIENTS, FULL_SIZES, QUICK_SIZES, WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
DOCS = ROOT / "docs" / "performance.md"

MAIN = list(report.MAIN_CLIENTS)
# Extra clients run alongside the main ones (see docs/performance.md, "Experiments").
EXPERIMENTS: dict[str, list[str]] = {
    "chat": ["trio_openai_dicts", "trio_openai_proto"],
    "responses": ["trio_openai_proto"],
    "concurrent": ["trio_openai_proto"],
    "fanout": ["trio_openai_proto", "httpx_4pools", "httpx2_raw"],
    "ttfe": ["trio_openai_proto"],
}
ALL_WORKLOADS = (*WORKLOADS[:-1], "import", WORKLOADS[-1])

# What a program has to import to build each client, and the first client (timed in a
# fresh interpreter). The floor is issue 11's: `import trio, httpx`, nothing constructed.
IMPORTS = {
    "trio_openai": "import trio_openai; trio_openai.OpenAI(api_key='bench')",
    "httpx_raw": "import trio, httpx",
    "openai_asyncio": "import openai; openai.AsyncOpenAI(api_key='bench')",
    "openai_trio": "import trio, openai; openai.AsyncOpenAI(api_key='bench')",
}
BARE_IMPORT = "import trio_openai"
PACKAGES = ("trio", "httpx", "httpcore", "h11", "orjson", "attrs", "openai", "httpx2", "pydantic")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def clean_env() -> dict[str, str]:
    """The environment of the child processes, without OPENAI_* settings that would leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    return env


def prerender_targets(sizes: dict[str, int]) -> list[str]:
    n, bulk = sizes["stream_events"], sizes["bulk_batch"]
    targets = ["/v1/chat/completions?bench=json"]
    for count in (n, 200, sizes["concurrent_events"], 5):
        for batch in (1, bulk):
            targets.append(f"/v1/chat/completions?n={count}&batch={batch}")
        targets.append(f"/v1/responses?n={count}&batch=1")
    return targets


class Server:
    """The benchmark server in its own process, started and stopped by this runner."""

    def __init__(self, sizes: dict[str, int], log_path: Path) -> None:
        args = [sys.executable, "-m", "benchmarks.server"]
        for target in prerender_targets(sizes):
            args += ["--prerender", target]
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=self._log, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the benchmark server did not start (see {log_path})")
        self.port = int(line.split()[1])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def run_worker(
    client: str, workload: str, port: int, quick: bool, extra: list[str] | None = None
) -> dict[str, Any]:
    args = [sys.executable, "-m", "benchmarks.worker", client, workload, "--port", str(port)]
    args += extra or []
    if quick:
        args.append("--quick")
    try:
        done = subprocess.run(
            args, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=240
        )
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 240 s"}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[7:])
            if "error" in result:
                result["stderr_tail"] = done.stderr[-3000:]
            return result
    return {"error": f"worker exited {done.returncode}: {done.stderr[-500:]}"}


def time_import(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean_env(), capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"{statement!r} failed: {done.stderr[-500:]}")
    return float(done.stdout.strip()) * 1e3


def import_result(client: str, samples: int) -> dict[str, Any]:
    statement = IMPORTS[client]
    try:
        times = [time_import(statement) for _ in range(samples)]
        result: dict[str, Any] = {"value": statistics.median(times), "unit": "ms", "samples": times}
        if client == "trio_openai":
            bare = [time_import(BARE_IMPORT) for _ in range(samples)]
            result["bare_ms"] = statistics.median(bare)
    except RuntimeError as exc:
        return {"error": str(exc)}
    return result


def machine_notes(started: float) -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": started,
        "packages": versions,
    }


def _loadavg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rounds", type=int, default=None, help="default: 3 (1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for iterating")
    parser.add_argument("--clients", default=",".join(MAIN), help="comma-separated main clients")
    parser.add_argument("--workloads", default=",".join(ALL_WORKLOADS))
    parser.add_argument(
        "--no-experiments", action="store_true", help="skip the extra clients (pools, dicts...)"
    )
    parser.add_argument("--import-samples", type=int, default=3, help="per client and round")
    parser.add_argument(
        "--from-json",
        type=Path,
        help="do not measure: render the tables (and docs) from a saved results file",
    )
    parser.add_argument(
        "--docs",
        choices=("auto", "yes", "no"),
        default="auto",
        help="write docs/performance.md (auto: only without --quick)",
    )
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = dict(QUICK_SIZES if args.quick else FULL_SIZES)
    clients = [c for c in args.clients.split(",") if c]
    workloads = [w for w in args.workloads.split(",") if w]
    for name in clients:
        if name not in CLIENTS:
            raise SystemExit(f"unknown client {name!r}; known: {', '.join(sorted(CLIENTS))}")
    for name in workloads:
        if name not in ALL_WORKLOADS:
            raise SystemExit(f"unknown workload {name!r}; known: {', '.join(ALL_WORKLOADS)}")
    if args.from_json is not None:
        return render(json.loads(args.from_json.read_text()), args)
    command = "python -m benchmarks" + "".join(
        " " + shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    started = time.monotonic()
    notes = machine_notes(_loadavg())
    if notes["loadavg_at_start"] > 0.5:
        log(
            f"warning: load average {notes['loadavg_at_start']:.1f} before starting: other work"
            " shares the CPUs, so wall-clock rates will be low and noisy (see the CPU table)"
        )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)

    def roster(workload: str) -> list[str]:
        names = [c for c in clients if not (c == "httpx_lines" and workload in report.SAME_AS_RAW)]
        if workload not in report.STREAM_WORKLOADS:
            names = [c for c in names if c not in report.STREAM_ONLY]
        if workload == "import":
            names = [c for c in names if c in IMPORTS]
        if not args.no_experiments:
            names += [c for c in EXPERIMENTS.get(workload, ()) if c not in names]
        return names

    if "import" in workloads:  # compile bytecode once so that no sample pays for it
        for client in roster("import"):
            time_import(IMPORTS[client])

    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    server = Server(sizes, RESULTS_DIR / "server.log")
    try:
        for round_no in range(args.rounds):
            log(f"round {round_no + 1}/{args.rounds}")
            for workload in workloads:
                names = roster(workload)
                shift = round_no % len(names)
                for client in names[shift:] + names[:shift]:
                    began = time.monotonic()
                    if workload == "import":
                        result = import_result(client, args.import_samples)
                    else:
                        result = run_worker(client, workload, server.port, args.quick)
                    results.setdefault(workload, {}).setdefault(client, []).append(result)
                    shown = result.get("error") or f"{result['value']:,.1f} {result['unit']}"
                    if "cpu_us" in result:
                        shown += f" ({result['cpu_us']:,.1f} µs CPU each)"
                    log(
                        f"  {workload:<11} {client:<21} {shown}"
                        f"  [{time.monotonic() - began:.1f} s, load {_loadavg():.1f}]"
                    )
    finally:
        server.stop()
    elapsed = time.monotonic() - started
    notes["loadavg_at_end"] = _loadavg()
    notes["seconds"] = round(elapsed)
    record = {
        "command": command,
        "rounds": args.rounds,
        "clients": clients,
        "sizes": sizes,
        "notes": notes,
        "results": results,
    }
    stem = "quick" if args.quick else "latest"
    (RESULTS_DIR / f"{stem}.json").write_text(json.dumps(record, indent=1))
    render(record, args)
    log(f"done in {elapsed:.0f} s")
    return 0


def render(record: dict[str, Any], args: argparse.Namespace) -> int:
    """Print the tables; write them to benchmarks/results/ and (maybe) docs/performance.md."""
    results, sizes, clients = record["results"], record["sizes"], record["clients"]
    command, notes = record["command"], record["notes"]
    quick = sizes["stream_events"] != FULL_SIZES["stream_events"]
    table = report.results_table(results, sizes, clients)
    cpu_table = report.results_table(results, sizes, clients, report.CPU_ROWS)
    experiments = list(dict.fromkeys(c for names in EXPERIMENTS.values() for c in names))
    experiment_table = report.experiments_table(results, sizes, experiments)
    targets = report.targets_table(results)
    print("\n\n".join((table, cpu_table, experiment_table, targets)))

    stem = "quick" if quick else "latest"
    (RESULTS_DIR / f"{stem}.md").write_text(
        "\n\n".join((table, cpu_table, experiment_table, targets)) + "\n"
    )
    if args.docs == "yes" or (args.docs == "auto" and not quick):
        report.update_docs(
            DOCS,
            {
                "latest-results": latest_section(
                    command, record["rounds"], notes, results, table, cpu_table, experiment_table
                ),
                "targets": targets,
            },
            skeleton=DOCS_SKELETON,
        )
        log(f"wrote {DOCS.relative_to(ROOT)}")
    return 0


def latest_section(
    command: str,
    rounds: int,
    notes: dict[str, Any],
    results: dict[str, Any],
    table: str,
    cpu_table: str,
    experiment_table: str,
) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in notes["packages"].items())
    bare = report.median_of(results, "import", "trio_openai", "bare_ms")
    first = {
        c: report.median_of(results, "construct", c, "first_ms")
        for c in ("trio_openai", "httpx_raw", "openai_asyncio")
    }
    decoders = {
        run.get("notes", {}).get("decoders")
        for run in results.get("chat", {}).get("trio_openai", [])
    }
    lines = [
        f"Command: `{command}` — {rounds} rounds, medians over rounds; "
        f"{notes['date']}, {notes['seconds']} s in all.",
        "",
        f"Machine: {notes['cores']} cores ({notes['cpu']}), Python {notes['python']}, "
        f"{notes['platform']}; load average {notes['loadavg_at_start']:.2f} at the start, "
        f"{notes['loadavg_at_end']:.2f} at the end (other work shares the machine). "
        f"Versions: {versions}.",
        "",
        "↑ higher is better, ↓ lower is better. Each ratio is trio_openai's value over the "
        "other client's, taken per round (the two ran minutes apart at most), then the median "
        "over rounds. trio_openai decodes every event and every result into typed models "
        f"(decoders: {', '.join(sorted(d for d in decoders if d)) or 'n/a'}); raw httpx does "
        "no JSON at all; openai-python builds its pydantic models.",
        "",
        table,
        "",
        "The same workloads in client CPU time per event or request (the worker's "
        "`time.process_time()`; other load on the machine inflates this far less than the "
        "wall clock):",
        "",
        cpu_table,
        "",
        "Also measured: bare `import trio_openai` (lazy, nothing else loaded) "
        f"{_ms(bare)}; the *first* construction: trio_openai {_ms(first['trio_openai'])}, "
        f"httpx.AsyncClient {_ms(first['httpx_raw'])}, AsyncOpenAI "
        f"{_ms(first['openai_asyncio'])}.",
        "",
        "Experiments (same run, same rounds):",
        "",
        experiment_table,
    ]
    failures = [
        f"- {client} / {workload}: {runs[0]['error']}"
        for workload, by_client in results.items()
        for client, runs in by_client.items()
        if runs and "error" in runs[0]
    ]
    if failures:
        lines += ["", "Failures:", "", *failures]
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


DOCS_SKELETON = """# Performance

## Latest results

<!-- begin latest-results -->
<!-- end latest-results -->

## Targets

<!-- begin targets -->
<!-- end targets -->
"""


if __name__ == "__main__":
    sys.exit(main())
