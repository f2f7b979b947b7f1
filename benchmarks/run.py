"""The benchmark harness: `python benchmarks/run.py` (see benchmarks/README.md).

Every figure is a ratio against a baseline measured in the same run, with the two sides
interleaved (baseline, tool, baseline, tool, ...) after one warm-up of each, so that load from
other processes on a shared machine falls on both. Each side runs as a fresh subprocess, so
both pay the interpreter's start-up and their imports: the tool's start-up is part of what a
user waits for. Each figure prints the ratio of the medians, min and median of both sides, and
the ratio of every pair.

Figures (`--only` picks some by name):
  xlsx       audit 100k.xlsx --format table   vs  python-calamine parsing the same sheet  <= 1.5
  xlsx-json  audit 100k.xlsx --format json    vs  python-calamine                         <= 2.0
  csv        audit 1M.csv --format table      vs  pandas.read_csv(engine="pyarrow")       <= 2.0
  polars     the same audit                   vs  polars.read_csv (when polars is installed) <= 3.0
  help       exposure-audit --help            vs  python -c "import typer"               <= 1.5
  reports    audit 100k.xlsx -o r.xlsx / -o r.csv  vs  audit 100k.xlsx -o r.json      <= 4 / 1.5
  memory     peak RSS of the audit of a 5M-line csv (1M-line file x5)                    < 2 GiB
  portfolio  N BOMs x 5k lines, --format json: 1 vs 2 workers (>= 1.7x), peak RSS (< 1 GiB),
             fixed CPU per BOM (< 60 ms), and the same on a dask LocalCluster (same bytes)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
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
POLARS = "import polars as pl\npl.read_csv({path!r}, skip_rows=1, infer_schema=False)\n"
AUDIT = (
    "import sys\n"
    "from exposure_audit.cli.app import audit_main\n"
    "sys.argv = ['audit', *{args!r}, '--quiet']\n"
    "audit_main()\n"
)
HELP = (
    "import sys\n"
    "from exposure_audit.cli.app import main\n"
    "sys.argv = ['exposure-audit', '--help']\n"
    "main()\n"
)
FIGURES = ("xlsx", "xlsx-json", "csv", "polars", "help", "reports", "memory", "portfolio")


def compile_tool() -> None:
    """Byte-compile the tool as `pip install` does. An editable checkout run with
    PYTHONDONTWRITEBYTECODE=1 (as on some CI machines) would otherwise compile its own modules
    on every run, ~50 ms that no installed copy pays."""
    spec = importlib.util.find_spec("exposure_audit")
    if spec is not None and spec.origin:
        package = str(Path(spec.origin).parent)
        subprocess.run([PY, "-m", "compileall", "-q", package], check=True)


def audit(*args: object) -> str:
    return AUDIT.format(args=[str(a) for a in args])


def run_once(code: str, stdout: Path | None = None) -> tuple[float, int, float]:
    """Run `python -c code`, stdout to /dev/null (or a file): (wall seconds, max RSS bytes of
    the process and its children, CPU seconds of the process and its children)."""
    env = {**os.environ, "COLUMNS": "100", "PYTHONHASHSEED": "0"}
    out = stdout.open("wb") if stdout else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen([PY, "-c", code], stdout=out, stderr=subprocess.PIPE, env=env)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if stdout:
        out.close()  # type: ignore[union-attr]
    if proc.stderr:
        proc.stderr.close()
    code_ = os.waitstatus_to_exitcode(status)
    if code_ not in (0, 1):
        raise RuntimeError(f"benchmark command failed ({code_}):\n{code}\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


def measure(baseline: str, tool: str, repeats: int) -> dict[str, list[float]]:
    """Interleaved runs of both sides; a warm-up run of each first (file cache, .pyc)."""
    run_once(baseline)
    run_once(tool)
    times: dict[str, list[float]] = {
        "baseline": [],
        "baseline_rss": [],
        "tool": [],
        "rss": [],
        "cpu": [],
    }
    for _ in range(repeats):
        elapsed, rss, _ = run_once(baseline)
        times["baseline"].append(elapsed)
        times["baseline_rss"].append(rss)
        elapsed, rss, cpu = run_once(tool)
        times["tool"].append(elapsed)
        times["rss"].append(rss)
        times["cpu"].append(cpu)
    return times


def report_ratio(label: str, times: dict[str, list[float]], target: float) -> bool:
    base = statistics.median(times["baseline"])
    tool = statistics.median(times["tool"])
    ratio = tool / base if base > 0 else float("inf")
    pairs = [t / b for t, b in zip(times["tool"], times["baseline"], strict=True) if b > 0]
    ok = ratio <= target
    print(f"{label}: ratio {ratio:.2f} (target <= {target}) {'PASS' if ok else 'FAIL'}")
    for side, name in (("tool", "tool    "), ("baseline", "baseline")):
        values = times[side]
        print(
            f"    {name} median {statistics.median(values):.3f} s, min {min(values):.3f} s, "
            f"max {max(values):.3f} s (n={len(values)})"
        )
    print(
        f"    pairwise ratios {', '.join(f'{p:.2f}' for p in pairs)}; "
        f"ratio of the minimums {min(times['tool']) / min(times['baseline']):.2f}"
    )
    return ok


def scale_up(source: Path, times: int, directory: Path) -> Path:
    """The csv's lines `times` over (part numbers suffixed -1, -2, ... so they stay unique)."""
    digest = hashlib.sha256(f"{source.name}:{times}".encode()).hexdigest()[:10]
    path = directory / f"{source.stem}_x{times}_{digest}.csv"
    if path.exists():
        return path
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    title, header, body, total = rows[0], rows[1], rows[2:-1], rows[-1]
    part = header.index("Part Number")
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(title)
        writer.writerow(header)
        for k in range(times):
            for row in body:
                copy = list(row)
                if copy[part]:
                    copy[part] = f"{copy[part]}-{k}"
                writer.writerow(copy)
        writer.writerow(total)
    tmp.replace(path)
    return path


def portfolio(args: argparse.Namespace) -> list[bool]:
    """N BOMs of `--portfolio-lines` lines each (different seeds), as --format json."""
    folder = args.data / f"portfolio_{args.portfolio_boms}x{args.portfolio_lines}"
    folder.mkdir(parents=True, exist_ok=True)
    for seed in range(args.portfolio_boms):
        source = generate(args.portfolio_lines, "csv", seed=1000 + seed, directory=args.data)
        link = folder / f"bom_{seed:05d}.csv"
        if not link.exists():
            link.symlink_to(source)
    one = audit(folder, "--format", "json", "--workers", "1")
    two = audit(folder, "--format", "json", "--workers", "2")
    single = scale_up_portfolio(args)
    print(
        f"portfolio: {args.portfolio_boms} BOMs x {args.portfolio_lines:,} lines, --format json "
        f"(stdout to /dev/null)"
    )
    runs: dict[str, list[tuple[float, int, float]]] = {"one": [], "two": [], "single": []}
    for _ in range(args.portfolio_repeats):
        runs["one"].append(run_once(one))
        runs["two"].append(run_once(two))
        runs["single"].append(run_once(audit(single, "--format", "json")))
    wall1 = statistics.median(r[0] for r in runs["one"])
    wall2 = statistics.median(r[0] for r in runs["two"])
    speedup = wall1 / wall2
    peak = max(r[1] for r in runs["one"] + runs["two"])
    cpu1 = statistics.median(r[2] for r in runs["one"])
    cpu_single = statistics.median(r[2] for r in runs["single"])
    fixed = (cpu1 - cpu_single) / args.portfolio_boms
    results = [speedup >= 1.7, peak < GIB, fixed < 0.060]
    print(
        f"    1 worker  wall {', '.join(f'{r[0]:.1f}' for r in runs['one'])} s, "
        f"CPU {', '.join(f'{r[2]:.1f}' for r in runs['one'])} s"
    )
    print(
        f"    2 workers wall {', '.join(f'{r[0]:.1f}' for r in runs['two'])} s, "
        f"CPU {', '.join(f'{r[2]:.1f}' for r in runs['two'])} s"
    )
    print(f"    speed-up 2 vs 1 worker {speedup:.2f} (target >= 1.7) {_mark(results[0])}")
    print(
        f"    peak RSS (driver and workers) {peak / GIB:.2f} GiB (target < 1 GiB) "
        f"{_mark(results[1])}"
    )
    print(
        f"    one BOM of the same {args.portfolio_boms * args.portfolio_lines:,} lines: CPU "
        f"{', '.join(f'{r[2]:.1f}' for r in runs['single'])} s; fixed CPU per BOM "
        f"(portfolio CPU - that) / BOMs = {1000 * fixed:.0f} ms (target < 60 ms) "
        f"{_mark(results[2])}"
    )
    results.append(_cluster(folder))
    return results


def scale_up_portfolio(args: argparse.Namespace) -> Path:
    """One BOM with as many lines as the whole portfolio (for the fixed cost per BOM)."""
    base = generate(args.portfolio_lines, "csv", seed=1000, directory=args.data)
    return scale_up(base, args.portfolio_boms, args.data)


def _cluster(folder: Path) -> bool:
    """The portfolio on a dask LocalCluster (2 worker processes) via --scheduler: the same
    bytes as with local worker processes."""
    try:
        from distributed import LocalCluster
    except ImportError:
        print("    dask LocalCluster: skipped (distributed is not installed)")
        return True
    with tempfile.TemporaryDirectory() as tmp:
        local, remote = Path(tmp) / "local.json", Path(tmp) / "cluster.json"
        run_once(audit(folder, "--format", "json", "--workers", "2"), stdout=local)
        with LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True
        ) as cluster:
            wall, _, _ = run_once(
                audit(folder, "--format", "json", "--scheduler", cluster.scheduler_address),
                stdout=remote,
            )
        same = local.read_bytes() == remote.read_bytes()
    print(
        f"    dask LocalCluster (2 workers) via --scheduler: {wall:.1f} s, output "
        f"{'identical' if same else 'DIFFERENT'} to the local run {_mark(same)}"
    )
    return same


def _mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def reports(xlsx: Path, repeats: int) -> list[bool]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        json_out = audit(xlsx, "--format", "table", "-o", Path(tmp) / "r.json")
        for suffix, target in ((".xlsx", 4.0), (".csv", 1.5)):
            tool = audit(xlsx, "--format", "table", "-o", Path(tmp) / f"r{suffix}")
            times = measure(json_out, tool, repeats)
            results.append(
                report_ratio(f"reports: audit -o r{suffix} vs audit -o r.json", times, target)
            )
            print(
                f"    peak RSS -o r{suffix} {max(times['rss']) / GIB:.2f} GiB, "
                f"-o r.json {max(times['baseline_rss']) / GIB:.2f} GiB"
            )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time exposure-audit against its baselines.")
    parser.add_argument("--xlsx-lines", type=int, default=100_000)
    parser.add_argument("--csv-lines", type=int, default=1_000_000)
    parser.add_argument("--big-times", type=int, default=5, help="the memory figure's csv x N")
    parser.add_argument("--repeats", type=int, default=5, help="pairs per figure")
    parser.add_argument("--slow-repeats", type=int, default=3, help="pairs of the csv figures")
    parser.add_argument("--portfolio-boms", type=int, default=200)
    parser.add_argument("--portfolio-lines", type=int, default=5_000)
    parser.add_argument("--portfolio-repeats", type=int, default=1)
    parser.add_argument("--only", nargs="*", choices=FIGURES, default=None)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args(argv)
    wanted = set(args.only or FIGURES)

    compile_tool()
    xlsx = generate(args.xlsx_lines, "xlsx", directory=args.data)
    csv_path = generate(args.csv_lines, "csv", directory=args.data)
    print(
        f"exposure-audit benchmarks (python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}); interleaved subprocess runs"
    )
    results: list[bool] = []
    calamine = CALAMINE.format(path=str(xlsx))
    if "xlsx" in wanted:
        times = measure(calamine, audit(xlsx, "--format", "table"), args.repeats)
        results.append(report_ratio(f"xlsx: audit {xlsx.name} vs python-calamine", times, 1.5))
    if "xlsx-json" in wanted:
        times = measure(calamine, audit(xlsx, "--format", "json"), args.repeats)
        results.append(
            report_ratio(f"xlsx-json: audit {xlsx.name} --format json vs calamine", times, 2.0)
        )
    csv_audit = audit(csv_path, "--format", "table")
    if "csv" in wanted:
        times = measure(PANDAS.format(path=str(csv_path)), csv_audit, args.slow_repeats)
        results.append(
            report_ratio(f"csv: audit {csv_path.name} vs pandas read_csv(pyarrow)", times, 2.0)
        )
    if "polars" in wanted:
        if importlib.util.find_spec("polars") is None:
            print("polars: skipped (polars is not installed)")
        else:
            times = measure(POLARS.format(path=str(csv_path)), csv_audit, args.slow_repeats)
            results.append(report_ratio(f"polars: audit {csv_path.name} vs polars", times, 3.0))
    if "help" in wanted:
        times = measure("import typer", HELP, args.repeats)
        results.append(report_ratio("help: exposure-audit --help vs import typer", times, 1.5))
    if "reports" in wanted:
        results += reports(xlsx, args.repeats)
    if "memory" in wanted:
        big = scale_up(csv_path, args.big_times, args.data)
        wall, peak, _ = run_once(audit(big, "--format", "table"))
        ok = peak < 2 * GIB
        results.append(ok)
        lines = args.csv_lines * args.big_times
        print(
            f"memory: peak RSS of the {lines:,}-line audit {peak / GIB:.2f} GiB "
            f"({peak / lines:.0f} B/line; {wall:.1f} s; target < 2 GiB) {_mark(ok)}"
        )
    if "portfolio" in wanted:
        results += portfolio(args)
    print(f"{sum(results)}/{len(results)} figures meet their targets")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
