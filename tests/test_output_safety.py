"""Reports are written all or none, stdout errors are exit 2, `| head` is quiet (issue 20,
defects 4 and 7): fault injection in the way SQLite tests itself (/dev/full, interrupts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import audit_app
from exposure_audit.report import formatter

ROOT = Path(__file__).resolve().parents[1]
BOM = ROOT / "examples" / "ev_battery_pack.csv"
runner = CliRunner()


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    import exposure_audit

    env = {**os.environ, "PYTHONPATH": str(Path(exposure_audit.__file__).parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "exposure_audit", "audit", *args],
        text=True,
        env=env,
        timeout=120,
        check=False,
        **kwargs,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_a_full_disk_on_stdout_is_exit_2_with_one_line(fmt):
    with open("/dev/full", "w") as full:
        done = _cli(str(BOM), "-f", fmt, stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "stdout" in lines[0] and "No space left" in lines[0]
    assert "bug" not in done.stderr


def test_a_closed_pipe_is_quiet_and_output_files_are_still_written(tmp_path):
    report = tmp_path / "r.json"
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    done = _cli(
        str(BOM), "-f", "json", "-o", str(report), stdout=reader.stdin, stderr=subprocess.PIPE
    )
    reader.stdin.close()
    reader.stdout.read()
    reader.stdout.close()
    reader.wait()
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr and "bug" not in done.stderr
    assert report.stat().st_size > 1000


def test_an_interrupt_while_writing_the_set_replaces_none(tmp_path, monkeypatch):
    first, second = tmp_path / "a.json", tmp_path / "a.xlsx"
    first.write_text("old json")
    second.write_bytes(b"old xlsx")
    xlsx = formatter("xlsx")

    def interrupted(result):
        raise KeyboardInterrupt

    monkeypatch.setattr(xlsx, "render", interrupted)
    monkeypatch.setattr("exposure_audit.cli.output.written", [], raising=False)
    done = runner.invoke(audit_app, [str(BOM), "-q", "-o", str(first), "-o", str(second)])
    assert done.exit_code == 130
    assert first.read_text() == "old json"  # the first file of the set was not replaced
    assert second.read_bytes() == b"old xlsx"
    assert "no report was written" in done.output
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_interrupt_after_the_set_says_what_was_written(tmp_path, monkeypatch):
    from exposure_audit.cli import output

    monkeypatch.setattr(output, "written", [])
    report = tmp_path / "a.json"
    output.write_set([(report, "{}")])
    assert output.interrupted_message() == f"interrupted after writing {report}"


def test_a_replaced_report_keeps_its_mode(tmp_path):
    report = tmp_path / "a.json"
    report.write_text("old")
    report.chmod(0o640)
    done = runner.invoke(audit_app, [str(BOM), "-q", "-f", "csv", "-o", str(report)])
    assert done.exit_code == 0, done.output
    assert report.read_text().startswith("{")
    assert report.stat().st_mode & 0o777 == 0o640


def test_the_input_is_never_an_output(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(BOM.read_bytes())
    before = bom.read_bytes()
    done = runner.invoke(audit_app, [str(bom), "-q", "-o", str(tmp_path / "." / "bom.csv")])
    assert done.exit_code == 2
    assert bom.read_bytes() == before
