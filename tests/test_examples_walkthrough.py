"""examples/README.md's walk-through runs as written, and the sample declarations in
examples/declarations/ are what tools/build_sample_declarations.py builds from the official
RMI templates (when ../shared/rmi-templates is there)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import app, audit_app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "examples" / "README.md"
DECLARATIONS = ROOT / "examples" / "declarations"
TEMPLATES = ROOT.parent / "shared" / "rmi-templates"
runner = CliRunner()


def commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```sh\n")[1:]]
    lines = [line.strip() for b in blocks for line in b.splitlines()]
    return [shlex.split(line) for line in lines if line.startswith(("audit ", "exposure-audit "))]


def run(argv: list[str]):
    command, *args = argv
    target = audit_app if command == "audit" else app
    return runner.invoke(target, args, env={"COLUMNS": "100"}, catch_exceptions=False)


def test_the_walkthrough_has_the_commands_it_promises():
    names = [" ".join(c[:2]) for c in commands()]
    assert "exposure-audit declarations" in names
    assert sum("--smelters" in c for c in commands()) >= 2


@pytest.mark.parametrize("argv", commands(), ids=lambda a: " ".join(a)[:60])
def test_each_walkthrough_command_runs(argv, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run(argv)
    assert result.exit_code in (0, 1), result.output  # 1 would be a --fail-on gate
    assert "warning" not in result.stderr, result.stderr


def test_the_declarations_change_what_the_readme_says(monkeypatch):
    monkeypatch.chdir(ROOT)
    base = ["examples/ev_battery_pack.xlsx", "--as-of", "2026-12-07", "-f", "json", "-q"]
    before = json.loads(run(["audit", *base]).stdout)
    after = json.loads(run(["audit", *base, "--smelters", "examples/declarations/"]).stdout)
    stage = {
        (r, m["mineral"]): m["stages"]["processing"]
        for r, report in (("before", before), ("after", after))
        for m in report["minerals"]
    }
    assert stage["before", "cobalt"]["basis"] == "reference"
    assert stage["after", "cobalt"]["basis"] == "declaration"
    assert stage["after", "cobalt"]["china_share"] == pytest.approx(0.25)
    assert stage["after", "tin"]["china_share"] == pytest.approx(0.25)
    assert after["summary"]["score"] < before["summary"]["score"]
    text = README.read_text(encoding="utf-8")
    assert f"from {before['summary']['score']} to {after['summary']['score']}" in text


@pytest.mark.skipif(not TEMPLATES.is_dir(), reason="../shared/rmi-templates is absent")
def test_the_committed_samples_are_what_the_tool_builds(tmp_path):
    script = ROOT / "tools" / "build_sample_declarations.py"
    done = subprocess.run(
        [sys.executable, str(script), "--templates", str(TEMPLATES), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(p.name for p in DECLARATIONS.glob("*.xlsx"))
    for name in built:
        assert (tmp_path / name).read_bytes() == (DECLARATIONS / name).read_bytes(), name


def test_the_samples_carry_no_copy_of_rmis_smelter_list():
    import python_calamine

    for path in DECLARATIONS.glob("*.xlsx"):
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        assert "L" not in book.sheet_names
        rows = book.get_sheet_by_name("Smelter Look-up").to_python()
        assert len(rows) <= 4, path.name  # its header row only
        assert path.stat().st_size < 50_000
