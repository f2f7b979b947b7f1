"""The benchmark generator and harness work (on a tiny file; the real runs are not tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_generator_is_deterministic_and_cached(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    first = generate.generate(200, "csv", directory=tmp_path)
    mtime = first.stat().st_mtime_ns
    assert generate.generate(200, "csv", directory=tmp_path) == first
    assert first.stat().st_mtime_ns == mtime  # reused, not written again
    assert generate.rows(50) == generate.rows(50)
    lines = first.read_text(encoding="utf-8").splitlines()
    assert "Part Number" in lines[1] and len(lines) >= 202
    assert generate.generate(200, "xlsx", directory=tmp_path).stat().st_size > 0


@pytest.mark.slow
def test_harness_prints_every_figure(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            *("--xlsx-lines", "200", "--csv-lines", "200", "--big-times", "2"),
            *("--repeats", "1", "--slow-repeats", "1"),
            *("--portfolio-boms", "2", "--portfolio-lines", "100"),
            *("--only", "xlsx", "csv", "help", "reports", "memory", "portfolio"),
            *("--data", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = run.stdout
    assert run.returncode in (0, 1), run.stderr
    for figure, target in (
        ("xlsx: audit", "target <= 1.5"),
        ("csv: audit", "target <= 2.0"),
        ("help: exposure-audit --help", "target <= 1.5"),
        ("reports: audit -o r.xlsx", "target <= 4.0"),
        ("reports: audit -o r.csv", "target <= 1.5"),
        ("memory: peak RSS", "target < 2 GiB"),
    ):
        line = next((x for x in out.splitlines() if x.startswith(figure)), None)
        assert line is not None, out
        assert target in line and ("PASS" in line or "FAIL" in line), line
    assert "speed-up 2 vs 1 worker" in out and "fixed CPU per BOM" in out, out
    assert "median" in out and "pairwise ratios" in out
