"""`--help` stays fast: measured with `python -X importtime` in a fresh interpreter.

The commands import pandas, numpy and the engine inside their bodies (docs/architecture.md,
layer 10), so asking for help loads Typer and the option declarations only. Here `--help`
imports in about 85 ms (the sum of its self times, on a busy 2-core machine); pandas alone costs
about ten times that.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
# Never on the --help path: the data stack, the workbook library and rich's table renderer.
HEAVY = {"pandas", "numpy", "pyarrow", "openpyxl", "rich.table", "python_calamine", "fastexcel"}
# The top-level help lists the commands only: no models and no YAML either.
TOP_LEVEL_ONLY = {"pydantic", "yaml"}
# Loose on purpose (a shared, busy CI box): it catches a heavy import, not a slow disk.
BUDGET_S = 1.5


def _imports(*args: str) -> dict[str, int]:
    """Module -> self time (µs) of every module `exposure-audit ARGS --help` imports."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "exposure_audit", *args, "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    found: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        found[name.strip()] = int(self_us)
    assert "exposure_audit.cli.app" in found, "importtime output not understood"
    return found


def _loaded(found: dict[str, int], names: set[str]) -> list[str]:
    return sorted(m for m in found if any(m == n or m.startswith(n + ".") for n in names))


def test_top_level_help_imports_no_heavy_module():
    found = _imports()
    heavy = _loaded(found, HEAVY | TOP_LEVEL_ONLY)
    assert not heavy, f"`exposure-audit --help` imports {heavy}"
    total = sum(found.values()) / 1e6
    assert total < BUDGET_S, f"`exposure-audit --help` spent {total:.2f}s importing"


@pytest.mark.parametrize(
    "command",
    ["audit", "validate", "diff", "rules", "minerals", "materials", "declarations", "reference"],
)
def test_command_help_imports_no_data_stack(command):
    heavy = _loaded(_imports(*command.split()), HEAVY)
    assert not heavy, f"`exposure-audit {command} --help` imports {heavy}"
