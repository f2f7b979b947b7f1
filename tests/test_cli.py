"""The CLI through Typer's runner: exit codes, streams, outputs, and the entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import app, audit_app
from exposure_audit.report.json import report_dict

from support import toy_audit, write_csv

runner = CliRunner()
TOY = ["--as-of", "2026-03-01"]
HEADER = "Part Number,Description,Material,Qty,Unit Mass (g),Country of Origin,Unit Price"


# Score against the toy tables, not the bundled ones (fixture in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("toy_reference_only")


@pytest.fixture
def bom(tmp_path):
    return write_csv(
        tmp_path / "bom.csv",
        HEADER,
        "P1,Rotor magnet,N42SH,10,5,Japan,$2.00",
        "P4,Housing,ABS housing,1,50,Mexico,$1",
    )


@pytest.fixture
def clean_bom(tmp_path):
    return write_csv(tmp_path / "clean.csv", HEADER, "P4,Housing,ABS housing,1,50,Mexico,$1")


def test_table_on_stdout_exit_0(bom):
    result = runner.invoke(audit_app, [str(bom), *TOY])
    assert result.exit_code == 0, result.output
    assert "score 95/100" in result.stdout
    assert "CRITICAL" in result.stdout
    assert result.stderr == ""


def test_json_on_stdout_equals_the_library_result(bom):
    result = runner.invoke(audit_app, [str(bom), "--format", "json", *TOY])
    assert result.exit_code == 0
    import datetime as dt

    from exposure_audit.api import Options, audit

    # load_reference is patched to the toy tables, so plain options give the same set.
    expected = report_dict(audit(bom, Options(as_of=dt.date(2026, 3, 1))))
    assert json.loads(result.stdout) == json.loads(json.dumps(expected))


@pytest.mark.parametrize(("fail_on", "code"), [("none", 0), ("critical", 1), ("high", 1)])
def test_fail_on_gates_the_exit_code(bom, fail_on, code):
    result = runner.invoke(audit_app, [str(bom), "--fail-on", fail_on, *TOY])
    assert result.exit_code == code


def test_clean_bom_passes_fail_on_medium(clean_bom):
    result = runner.invoke(audit_app, [str(clean_bom), "--fail-on", "medium", *TOY])
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.xlsx"], "missing.xlsx: no such file"),
        (["{bom}", "--map", "nonsense"], "--map 'nonsense' is not FIELD=HEADER"),
        (["{bom}", "--map", "colour=Description"], "unknown field 'colour'"),
        (["{bom}", "--as-of", "yesterday"], "--as-of 'yesterday' is not a date"),
        (["{bom}", "--aligned", "nope"], "--aligned nope: no such policy group"),
        (["{bom}", "--output", "{bom}.exe"], "unknown suffix .exe"),
        (["{bom}", "--output", "{bom_json}"], "is the input BOM"),
        (["{bom}", "--output", "/no/such/folder/r.json"], "does not exist"),
        (["{bom}", "--sheet", "BOM"], "--sheet 'BOM' given"),
    ],
)
def test_user_errors_exit_2_with_one_line(bom, tmp_path, args, message):
    bom_json = bom.with_suffix(".json")
    bom_json.write_text("{}")
    args = [a.format(bom=bom, bom_json=bom_json) for a in args]
    if args[-1] == str(bom_json):
        args[0] = str(bom_json)
    result = runner.invoke(audit_app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("audit: error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_strict_turns_row_errors_into_exit_2(tmp_path):
    path = write_csv(tmp_path / "bad.csv", HEADER, "P1,Rotor magnet,N42SH,ten,5,Japan,$2.00")
    assert runner.invoke(audit_app, [str(path), *TOY]).exit_code == 0
    strict = runner.invoke(audit_app, [str(path), "--strict", *TOY])
    assert strict.exit_code == 2
    assert "row 2" in strict.stderr and "'ten' is not a number" in strict.stderr


def test_broken_reference_exits_2_listing_every_problem(bom, tmp_path):
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "supply.yaml").write_text(
        "schema_version: 1\nsupply:\n"
        "  - {mineral: unobtainium, stage: mining, year: '2025', basis: x,"
        " source: {title: mine, year: 2025}, shares: {CHN: 1.5, XX: 0.1}}\n"
    )
    result = runner.invoke(audit_app, [str(bom), "--reference", str(tmp_path / "ref"), *TOY])
    assert result.exit_code == 2
    assert "problems in the reference data" in result.stderr or "shares" in result.stderr


def test_output_files_written_atomically_and_input_untouched(bom, tmp_path):
    before = bom.read_bytes()
    out = tmp_path / "r.json"
    result = runner.invoke(audit_app, [str(bom), "-o", str(out), "-q", *TOY])
    assert result.exit_code == 0
    assert json.loads(out.read_text())["schema_version"] == 1
    assert bom.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_failed_run_writes_no_report(tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(audit_app, [str(tmp_path / "missing.csv"), "-o", str(out)])
    assert result.exit_code == 2
    assert not out.exists()


def test_json_is_byte_identical_across_runs(bom):
    first = runner.invoke(audit_app, [str(bom), "-f", "json", *TOY]).stdout
    second = runner.invoke(audit_app, [str(bom), "-f", "json", *TOY]).stdout
    assert first == second


def test_internal_error_exits_3(bom, monkeypatch):
    import exposure_audit.api as api

    def boom(*args, **kwargs):
        raise ZeroDivisionError("injected")

    monkeypatch.setattr(api, "score", boom)
    result = runner.invoke(audit_app, [str(bom), *TOY])
    assert result.exit_code == 3
    assert "internal error" in result.stderr and "bug" in result.stderr


@pytest.mark.parametrize(
    "command", [[], ["audit"], ["validate"], ["template"], ["reference", "check"]]
)
def test_help_for_every_command(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_audit_help_ends_with_examples():
    result = runner.invoke(audit_app, ["--help"])
    assert "Examples" in result.stdout and "audit bom.xlsx" in result.stdout


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("exposure-audit ")
    assert "reference data" in result.stdout


def test_validate_shows_columns_and_problems(tmp_path):
    path = write_csv(tmp_path / "v.csv", HEADER, "P1,Rotor magnet,N42SH,ten,5,Atlantis,$2.00")
    result = runner.invoke(app, ["validate", str(path), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["columns"]["quantity"] == "Qty"
    assert data["header_row"] == 1
    codes = {i["code"] for i in data["issues"]}
    assert {"invalid-number", "unknown-country"} <= codes
    assert runner.invoke(app, ["validate", str(path), "--strict"]).exit_code == 2


def test_template_writes_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "t.xlsx"
    assert runner.invoke(app, ["template", str(target)]).exit_code == 0
    import openpyxl

    from exposure_audit.bom.columns import match_columns
    from exposure_audit.bom.read import read_bom

    filled = tmp_path / "filled.xlsx"
    workbook = openpyxl.load_workbook(target)
    workbook["BOM"].append(["P1", "NdFeB magnet", "", 2])
    workbook.save(filled)
    raw = read_bom(filled)
    assert raw.sheet == "BOM"
    columns = match_columns(raw.headers)
    assert {
        "part_number",
        "description",
        "quantity",
        "unit_mass",
        "supplier_country",
        "unit_cost",
        "extended_cost",
        "mining_country",
        "processing_country",
    } <= set(columns.fields)
    again = runner.invoke(app, ["template", str(target)])
    assert again.exit_code == 2 and "exists" in again.stderr


def test_python_dash_m_entry_point(bom):
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "exposure_audit", "--version"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("exposure-audit")


def test_terminal_text_is_never_markup(tmp_path):
    path = write_csv(
        tmp_path / "m.csv", "Part Number,Description,Qty", "[bold red]x[/],\x1b[31mred,1"
    )
    result = runner.invoke(audit_app, [str(path), *TOY])
    assert "[bold red]x[/]" in result.stdout
    assert "\x1b[31m" not in result.stdout


def test_library_and_cli_agree_on_the_score(bom):
    assert toy_audit(bom).summary.score == 95  # 20 of 21 spend at 100 %


def test_report_files_get_the_usual_permissions(bom, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = tmp_path / "r.json"
        assert runner.invoke(audit_app, [str(bom), "-o", str(out), "-q", *TOY]).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_the_cli_app_loads_no_pandas_or_numpy():
    """`--help` stays fast: building every command imports neither pandas nor numpy."""
    code = (
        "import sys, exposure_audit.cli.app; print(sorted({'numpy', 'pandas'} & set(sys.modules)))"  # noqa: E501
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
