"""The formats through the CLI: stdout, --output files by suffix, byte-stable JSON."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import audit_app

from report_helpers import HEADER, HOSTILE_ROWS
from support import write_csv

runner = CliRunner()
TOY = ["--as-of", "2026-03-01"]


# Score against the toy tables, not the bundled ones (fixture in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("toy_reference_only")


@pytest.fixture
def bom(tmp_path):
    return write_csv(tmp_path / "bom.csv", HEADER, *HOSTILE_ROWS)


def test_every_format_to_a_file_in_one_run(bom, tmp_path):
    names = ["r.json", "r.csv", "r.xlsx", "r.md", "r.html", "r.sarif", "r.txt"]
    args = [str(bom), "-q", *TOY]
    for name in names:
        args += ["-o", str(tmp_path / name)]
    result = runner.invoke(audit_app, args)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert json.loads((tmp_path / "r.json").read_text())["schema_version"] == 1
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    assert (tmp_path / "r.md").read_text().startswith("## Exposure audit")
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert "score" in (tmp_path / "r.txt").read_text()
    workbook = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert "Lines" in workbook.sheetnames
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("fmt", ["csv", "markdown", "html", "sarif", "json"])
def test_format_on_stdout(bom, fmt):
    result = runner.invoke(audit_app, [str(bom), "-f", fmt, *TOY])
    assert result.exit_code == 0, result.output
    assert result.stdout and result.stderr == ""


def test_xlsx_on_stdout_when_redirected(bom):
    result = runner.invoke(audit_app, [str(bom), "-f", "xlsx", *TOY])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(io.BytesIO(result.stdout_bytes))
    assert workbook.sheetnames[0] == "Summary"


def test_json_is_byte_identical_across_runs(bom, tmp_path):
    first = runner.invoke(audit_app, [str(bom), "-f", "json", *TOY]).stdout_bytes
    second = runner.invoke(audit_app, [str(bom), "-f", "json", *TOY]).stdout_bytes
    assert first == second
    out1, out2 = tmp_path / "a.json", tmp_path / "b.json"
    runner.invoke(audit_app, [str(bom), "-q", "-o", str(out1), *TOY])
    runner.invoke(audit_app, [str(bom), "-q", "-o", str(out2), *TOY])
    assert out1.read_bytes() == out2.read_bytes() == first


def test_library_json_is_byte_identical(bom):
    from exposure_audit.report import all_formatters

    from support import toy_audit

    render = all_formatters()["json"].render
    assert render(toy_audit(bom)) == render(toy_audit(bom))


def test_no_progress_output_when_not_a_terminal(bom):
    result = runner.invoke(audit_app, [str(bom), "-f", "json", *TOY])
    assert result.stderr == ""


def test_spinner_only_after_its_delay(capsys):
    import time

    from exposure_audit.cli.progress import spinner, wanted

    assert wanted(quiet=True) is False
    with spinner("quick", force=True, delay=5):
        pass  # finished before the timer: nothing started, nothing left running
    with spinner("slow", force=True, delay=0.01):
        time.sleep(0.1)
    assert "Traceback" not in capsys.readouterr().err
