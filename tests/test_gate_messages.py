"""A tripped --fail-on says why on stderr (stdout may be a report piped elsewhere)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from exposure_audit.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
BOM = ROOT / "examples" / "pm_motor.csv"
AS_OF = ("--as-of", "2026-11-28")


def test_a_tripped_fail_on_names_the_file_the_count_and_the_worst_finding():
    done = CliRunner().invoke(app, ["audit", str(BOM), "-f", "json", "--fail-on", "high", *AS_OF])
    assert done.exit_code == 1
    assert done.stdout.lstrip().startswith("{")  # the report is untouched
    (line,) = [x for x in done.stderr.splitlines() if "--fail-on" in x]
    assert line.startswith(f"audit: --fail-on high: {BOM}: ")
    assert "finding(s) at or above high; worst: " in line


def test_a_fail_on_that_does_not_trip_says_nothing():
    done = CliRunner().invoke(app, ["audit", str(BOM), "-q", "--fail-on", "none", *AS_OF])
    assert done.exit_code == 0
    assert "--fail-on" not in done.stderr


def test_a_tripped_fail_on_over_several_boms_names_them():
    other = ROOT / "examples" / "ev_battery_pack.csv"
    done = CliRunner().invoke(
        app, ["audit", str(BOM), str(other), "-q", "--fail-on", "high", *AS_OF]
    )
    assert done.exit_code == 1
    assert "2 BOM(s) with a finding at or above high" in done.stderr
    assert str(BOM) in done.stderr
