"""The benchmark harness: `python benchmarks/run.py` (see benchmarks/README.md).

Every figure is a ratio against a baseline measured in the same run, with the two sides
interleaved (baseline, tool, baseline, tool, ...) so that load from other processes on a shared
machine falls on both. Each side runs as a fresh subprocess, so both pay the interpreter's
start-up and their imports: the tool's start-up is part of what a user waits for, and the
baseline pays the same Python start-up plus its own imports (python_calamine or pandas).

Figures:
  1. audit FILE.xlsx --format table (100k lines)  vs  python-calamine parsing the same sheet
  2. audit FILE.csv --format table (1M lines)     vs  pandas.read_csv(engine="pyarrow")
  3. exposure-audit --help                         vs  python -c "import typer"
  4. peak RSS of the 1M-line audit                 vs  2 GiB
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

PY = sys.executable
GIB = 1024**3
CALAMINE = (
    "from python_calamine import CalamineWorkbook\n"
    "CalamineWorkbook.from_path({path!r}).get_sheet_by_index(0).to_python()\n"
)
PANDAS = "import pandas as pd\npd.read_csv({path!r}, engine='pyarrow', skiprows=1)\n"
AUDIT = (
    "import sys\n"
    "from exposure_audit.cli import audit_main\n"
    "sys.argv = ['audit', {path!r}, '--format', 'table', '--quiet']\n"
    "audit_main()\n"
)
HELP = (
    "import sys\n"
    "from exposure_audit.cli.app import main\n"
    "sys.argv = ['exposure-audit', '--help']\n"
    "main()\n"
)


def compile_tool() -> None:
    """Byte-compile the tool as `pip install` does. An editable checkout run with
    PYTHONDONTWRITEBYTECODE=1 (as on some CI machines) would otherwise compile its own modules
    on every run, ~50 ms that no installed copy pays."""
    spec = importlib.util.find_spec("exposure_audit")
    if spec is not None and spec.origin:
        package = str(Path(spec.origin).parent)
        subprocess.run([PY, "-m", "compileall", "-q", package], check=True)


def run_once(code: str) -> tuple[float, int, int]:
    """Run `python -c code` with output to /dev/null: (wall seconds, max RSS bytes, exit code)."""
    env = {**os.environ, "COLUMNS": "100", "PYTHONHASHSEED": "0"}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [PY, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"benchmark command failed ({proc.returncode}):\n{code}\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss * 1024, proc.returncode


def measure(baseline: str, tool: str, repeats: int) -> dict[str, list[float]]:
    """Interleaved runs of both sides; a warm-up run of each first (file cache, .pyc)."""
    run_once(baseline)
    run_once(tool)
    times: dict[str, list[float]] = {"baseline": [], "tool": [], "rss": []}
    for _ in range(repeats):
        times["baseline"].append(run_once(baseline)[0])
        elapsed, rss, _ = run_once(tool)
        times["tool"].append(elapsed)
        times["rss"].append(rss)
    return times


def spread(values: Sequence[float]) -> str:
    return f"min {min(values):.3f} max {max(values):.3f}"


def report_ratio(label: str, times: dict[str, list[float]], target: float) -> bool:
    base = statistics.median(times["baseline"])
    tool = statistics.median(times["tool"])
    ratio = tool / base if base > 0 else float("inf")
    # The ratio of each interleaved pair shows how steady the comparison was.
    pairs = [t / b for t, b in zip(times["tool"], times["baseline"], strict=True) if b > 0]
    ok = ratio <= target
    print(f"{label}: ratio {ratio:.2f} (target <= {target}) {'PASS' if ok else 'FAIL'}")
    print(f"    tool     median {tool:.3f} s ({spread(times['tool'])}, n={len(times['tool'])})")
    print(
        f"    baseline median {base:.3f} s ({spread(times['baseline'])}, "
        f"n={len(times['baseline'])})"
    )
    print(f"    pairwise ratios {', '.join(f'{p:.2f}' for p in pairs)}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time exposure-audit against its baselines.")
    parser.add_argument("--xlsx-lines", type=int, default=100_000)
    parser.add_argument("--csv-lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5, help="repeats of the fast figures")
    parser.add_argument(
        "--slow-repeats", type=int, default=3, help="repeats of the 1M-line csv figure"
    )
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args(argv)

    compile_tool()
    xlsx = generate(args.xlsx_lines, "xlsx", directory=args.data)
    csv = generate(args.csv_lines, "csv", directory=args.data)
    print(
        f"exposure-audit benchmarks (python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores); medians of interleaved subprocess runs"
    )
    results = []

    times = measure(CALAMINE.format(path=str(xlsx)), AUDIT.format(path=str(xlsx)), args.repeats)
    results.append(
        report_ratio(
            f"1. audit {xlsx.name} ({args.xlsx_lines:,} lines) vs python-calamine parse", times, 1.5
        )
    )

    times = measure(PANDAS.format(path=str(csv)), AUDIT.format(path=str(csv)), args.slow_repeats)
    results.append(
        report_ratio(
            f"2. audit {csv.name} ({args.csv_lines:,} lines) vs pandas.read_csv(engine='pyarrow')",
            times,
            2.0,
        )
    )
    peak = max(times["rss"])

    times = measure("import typer", HELP, args.repeats)
    results.append(report_ratio("3. exposure-audit --help vs python -c 'import typer'", times, 1.5))

    ok = peak < 2 * GIB
    results.append(ok)
    print(
        f"4. peak memory of the {args.csv_lines:,}-line audit: {peak / GIB:.2f} GiB "
        f"({peak / 1024**2:,.0f} MiB; target < 2 GiB) {'PASS' if ok else 'FAIL'}"
    )
    print(f"{sum(results)}/4 figures meet their targets")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
