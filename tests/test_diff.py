"""`exposure-audit diff` and `audit --baseline`: what changed, and the gate on it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from exposure_audit import api
from exposure_audit.cli.app import app, audit_app
from exposure_audit.compare.diff import compare
from exposure_audit.errors import UsageError
from exposure_audit.report.json import load_report, report_dict

from support import toy_audit, toy_options, write_csv

runner = CliRunner()
TOY = ["--as-of", "2026-03-01"]
HEADER = "Part Number,Description,Material,Qty,Unit Mass (g),Country of Origin,Unit Price,Supplier"
MAGNET_JP = "M-100,Rotor magnet,N42SH,10,5,Japan,$2.00,Shin-Etsu"
MAGNET_CN = "M-100,Rotor magnet,N42SH,10,5,China,$2.00,Ningbo Magnets"
REST = (
    "W-300,Stator winding,magnet wire,3,20,Mexico,$1.00,Wire Co",
    "H-600,Housing,ABS housing,1,50,Mexico,$1.00,Plastics Inc",
)


# Score against the toy tables, not the bundled ones (fixture in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("toy_reference_only")


@pytest.fixture
def boms(tmp_path):
    japan = write_csv(tmp_path / "japan.csv", HEADER, MAGNET_JP, *REST)
    china = write_csv(tmp_path / "china.csv", HEADER, MAGNET_CN, *REST)
    return japan, china


def diff_cli(*args):
    return runner.invoke(app, ["diff", *map(str, args), *TOY])


# --------------------------------------------------------------------------- the done-when


def test_magnet_supplier_moving_to_china_fails_and_names_the_part(boms):
    japan, china = boms
    result = diff_cli(japan, china)
    assert result.exit_code == 1, result.output
    assert "M-100" in result.stdout
    assert "WORSE" in result.stdout
    assert "covered-nation-supplier" in result.stdout
    assert "JPN → CHN" in " ".join(result.stdout.split())  # the cell may wrap


def test_magnet_supplier_moving_back_to_japan_passes_and_shows_the_improvement(boms):
    japan, china = boms
    result = diff_cli(china, japan)
    assert result.exit_code == 0, result.output
    assert "BETTER" in result.stdout
    assert "Resolved findings (1)" in result.stdout and "covered-nation-supplier" in result.stdout
    assert "CHN → JPN" in " ".join(result.stdout.split()) and "M-100" in result.stdout


def test_the_move_in_json(boms):
    japan, china = boms
    data = json.loads(diff_cli(japan, china, "--format", "json").stdout)
    assert data["status"] == "worse" and data["gate"]["failed"]
    [line] = data["lines"]["items"]
    assert line["change"] == "changed" and line["part_number"] == "M-100"
    assert line["changes"]["supplier_country"] == {"old": "JPN", "new": "CHN"}
    assert line["changes"]["supplier"] == {"old": "Shin-Etsu", "new": "Ningbo Magnets"}
    # The origin raises the line (0.925 -> 0.925 + 0.25 x 0.075) but no mineral's upstream
    # China touch: the part's origin is its own figure (method v2).
    assert line["exposure"]["change"] == pytest.approx(0.01875)
    assert "neodymium" not in line["minerals"]
    assert [f["id"] for f in data["findings"]["new"]] == ["covered-nation-supplier"]
    assert data["findings"]["new"][0]["parts"] == ["M-100"]
    assert any("M-100" in r for r in data["gate"]["reasons"])
    back = json.loads(diff_cli(china, japan, "--format", "json").stdout)
    assert back["status"] == "better" and not back["gate"]["failed"]
    assert [f["id"] for f in back["findings"]["resolved"]] == ["covered-nation-supplier"]


def test_the_move_in_markdown(boms):
    japan, china = boms
    text = diff_cli(japan, china, "--format", "markdown").stdout
    assert text.startswith("## Exposure diff:")
    assert "❌ **worse**" in text and "M-100" in text and "| change | row | part |" in text


# --------------------------------------------------------------------------- matching


def test_added_removed_and_changed_lines(tmp_path):
    old = write_csv(tmp_path / "old.csv", HEADER, MAGNET_JP, *REST)
    new = write_csv(
        tmp_path / "new.csv",
        HEADER,
        "G-700,GaN FET,GaN,4,,Japan,$3.00,Sumitomo",  # added, shifts every row
        "M-100,Rotor magnet,N42SH,12,5,Japan,$2.00,Shin-Etsu",  # quantity
        REST[0],
    )  # H-600 removed
    d = api.diff(old, new, toy_options())
    by_part = {i["part_number"]: i for i in d.lines}
    assert by_part["G-700"]["change"] == "added" and by_part["G-700"]["new_row"] == 2
    assert by_part["H-600"]["change"] == "removed"
    assert by_part["M-100"]["changes"] == {"quantity": {"old": 10.0, "new": 12.0}}
    assert (by_part["M-100"]["old_row"], by_part["M-100"]["new_row"]) == (2, 3)
    assert "W-300" not in by_part  # moved a row, nothing else: not a change
    assert d.counts() == {"added": 1, "removed": 1, "changed": 1}


def test_lines_without_part_numbers_match_by_description_and_material(tmp_path):
    header = "Description,Material,Qty,Unit Mass (g),Country of Origin"
    old = write_csv(
        tmp_path / "old.csv",
        header,
        "Rotor magnet,N42SH,10,5,Japan",
        "Housing,ABS housing,1,50,Mexico",
    )
    new = write_csv(
        tmp_path / "new.csv",
        header,
        "Housing,ABS housing,1,50,Mexico",
        "ROTOR  magnet,n42sh,10,5,Malaysia",
    )
    d = api.diff(old, new, toy_options())
    [item] = d.lines
    assert item["change"] == "changed"
    assert item["changes"] == {"supplier_country": {"old": "JPN", "new": "MYS"}}


def test_material_change_is_reported_with_its_archetype(tmp_path):
    old = write_csv(tmp_path / "old.csv", HEADER, "P-1,Conductor,copper wire,1,10,USA,$1,A")
    new = write_csv(tmp_path / "new.csv", HEADER, "P-1,Conductor,N42SH,1,10,USA,$1,A")
    [item] = api.diff(old, new, toy_options()).lines
    assert item["changes"]["material"] == {"old": "copper wire", "new": "N42SH"}
    assert item["changes"]["archetype"] == {"old": "copper_wire", "new": "ndfeb"}
    assert item["exposure"]["change"] > 0


def test_identical_inputs_show_nothing_and_pass(boms):
    japan, _ = boms
    d = api.diff(japan, japan, toy_options())
    assert d.lines == [] and not d.new_findings and not d.resolved_findings
    assert d.status == "same-exposure" and d.exit_code == 0


# --------------------------------------------------------------------------- the gate


def test_fail_on_increase_threshold(tmp_path):
    old = write_csv(tmp_path / "old.csv", HEADER, MAGNET_JP, *REST)
    new = write_csv(
        tmp_path / "new.csv",
        HEADER,
        MAGNET_JP,
        REST[0],
        "H-600,Housing,ABS housing,1,50,Mexico,$9.00,Plastics Inc",
    )
    d = api.diff(new, old, toy_options(), fail_on="none")
    rise = d.score_change
    assert rise > 0  # cheaper unexposed housing: the spend-weighted score rises
    assert d.exit_code == 1 and "the score rose by" in d.reasons[0]
    assert api.diff(new, old, toy_options(), fail_on="none", fail_on_increase=rise).exit_code == 0
    assert (
        api.diff(new, old, toy_options(), fail_on="none", fail_on_increase=rise - 1).exit_code == 1
    )
    cli = diff_cli(new, old, "--fail-on-increase", rise, "--fail-on", "none")
    assert cli.exit_code == 0, cli.output


def test_fail_on_none_ignores_new_findings_but_not_a_rise(boms):
    japan, china = boms
    # Made in China: the magnet line rises 0.925 -> 0.944, the score 83 -> 85.
    assert diff_cli(japan, china, "--fail-on", "none").exit_code == 1  # the rise
    allowed = ("--fail-on-increase", "2")
    assert diff_cli(japan, china, "--fail-on", "none", *allowed).exit_code == 0
    assert diff_cli(japan, china, "--fail-on", "critical", *allowed).exit_code == 0
    assert diff_cli(japan, china, "--fail-on", "medium", *allowed).exit_code == 1


def test_a_finding_that_covers_a_new_part_counts_as_new(tmp_path):
    gan = "Q-200,GaN FET,GaN,4,,China,$3.00,Innoscience"
    old = write_csv(tmp_path / "old.csv", HEADER, MAGNET_JP, gan)
    new = write_csv(tmp_path / "new.csv", HEADER, MAGNET_CN, gan)
    d = api.diff(old, new, toy_options())
    assert not d.new_findings  # covered-nation-supplier exists on both sides ...
    [changed] = d.changed_findings
    assert changed["id"] == "covered-nation-supplier" and changed["added_parts"] == ["M-100"]
    assert d.exit_code == 1  # ... but now also covers M-100
    assert any("now also covers part M-100" in r for r in d.reasons)


# --------------------------------------------------------------------------- reports in


def test_two_json_reports_diff_like_the_boms(boms, tmp_path):
    japan, china = boms
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for bom, out in ((japan, a), (china, b)):
        assert runner.invoke(audit_app, [str(bom), "-q", "-o", str(out), *TOY]).exit_code == 0
    from_reports = json.loads(diff_cli(a, b, "-f", "json").stdout)
    from_boms = json.loads(diff_cli(japan, china, "-f", "json").stdout)
    assert from_reports["lines"] == from_boms["lines"]
    assert from_reports["findings"] == from_boms["findings"]
    assert from_reports["old"]["kind"] == "report" and from_boms["old"]["kind"] == "bom"
    mixed = diff_cli(a, china)
    assert mixed.exit_code == 1 and "M-100" in mixed.stdout


def test_json_report_detected_by_content(boms, tmp_path):
    japan, china = boms
    report = tmp_path / "main-report.txt"
    report.write_text(json.dumps(report_dict(toy_audit(japan))))
    assert diff_cli(report, china).exit_code == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        (
            '{"schema_version": 1, "summary": {"score": 1}, "lines": [], "findings": []}',
            "schema_version 1, this version of exposure-audit reads 2",
        ),
        ('{"hello": "world"}', "not an exposure-audit JSON report"),
        ('{"schema_version": 2, "lines": []}', "not a complete exposure-audit report"),
    ],
)
def test_bad_reports_exit_2(boms, tmp_path, content, message):
    _, china = boms
    path = tmp_path / "old.json"
    if content is not None:
        path.write_text(content)
    result = diff_cli(path, china)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and result.stderr.startswith("exposure-audit: error: ")
    assert result.stdout == ""
    baseline = runner.invoke(audit_app, [str(china), "--baseline", str(path), *TOY])
    assert baseline.exit_code == 2 and message in baseline.stderr
    assert baseline.stdout == ""


def test_load_report_never_returns_empty(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("")
    with pytest.raises(UsageError, match="not valid JSON"):
        load_report(path)


# --------------------------------------------------------------------------- audit --baseline


@pytest.fixture
def main_report(boms, tmp_path):
    japan, _ = boms
    path = tmp_path / "main.json"
    runner.invoke(audit_app, [str(japan), "-q", "-o", str(path), *TOY])
    return path


def test_audit_baseline_adds_the_baseline_key_and_gates(boms, main_report):
    _, china = boms
    result = runner.invoke(
        audit_app, [str(china), "--baseline", str(main_report), "-f", "json", *TOY]
    )
    assert result.exit_code == 1, result.output
    baseline = json.loads(result.stdout)["baseline"]
    assert baseline["path"] == str(main_report)
    assert baseline["score"]["change"] == 2  # 83 -> 85: the Chinese origin of M-100
    assert [f["id"] for f in baseline["findings"]["new"]] == ["covered-nation-supplier"]
    assert baseline["lines"]["items"][0]["part_number"] == "M-100"
    assert baseline["gate"]["failed"]


def test_audit_baseline_combines_with_fail_on(boms, main_report):
    japan, china = boms
    same = runner.invoke(audit_app, [str(japan), "--baseline", str(main_report), "-q", *TOY])
    assert same.exit_code == 0  # nothing changed, --fail-on none: both gates pass
    assert "Change since baseline" in same.stdout
    findings_gate = runner.invoke(
        audit_app, [str(japan), "--baseline", str(main_report), "--fail-on", "high", "-q", *TOY]
    )
    assert findings_gate.exit_code == 1  # the --fail-on gate alone trips
    worse = runner.invoke(
        audit_app, [str(china), "--baseline", str(main_report), "--fail-on", "none", "-q", *TOY]
    )
    assert worse.exit_code == 1  # the baseline gate: a new high finding (as in `diff`)
    worse = runner.invoke(
        audit_app, [str(china), "--baseline", str(main_report), "--fail-on", "critical", "-q", *TOY]
    )
    assert worse.exit_code == 1  # critical product finding: --fail-on trips
    data = json.loads(
        runner.invoke(
            audit_app,
            [
                str(china),
                "--baseline",
                str(main_report),
                "--fail-on",
                "critical",
                "-f",
                "json",
                *TOY,
            ],
        ).stdout
    )
    # The new finding is high, not critical: only the score's rise trips the baseline gate.
    assert data["baseline"]["gate"]["reasons"] == ["the score rose by 2 point(s), from 83 to 85"]


def test_audit_baseline_gates_a_score_rise(tmp_path):
    cheap = write_csv(tmp_path / "cheap.csv", HEADER, MAGNET_JP, *REST)
    dear = write_csv(
        tmp_path / "dear.csv",
        HEADER,
        MAGNET_JP,
        REST[0],
        "H-600,Housing,ABS housing,1,50,Mexico,$9.00,Plastics Inc",
    )
    base = tmp_path / "base.json"
    runner.invoke(audit_app, [str(dear), "-q", "-o", str(base), *TOY])
    risen = runner.invoke(audit_app, [str(cheap), "--baseline", str(base), "-q", *TOY])
    assert risen.exit_code == 1, risen.output
    rise = json.loads(
        runner.invoke(audit_app, [str(cheap), "--baseline", str(base), "-f", "json", *TOY]).stdout
    )["baseline"]["score"]
    allowed = runner.invoke(
        audit_app,
        [
            str(cheap),
            "--baseline",
            str(base),
            "-q",
            "--fail-on-increase",
            str(rise["change"]),
            *TOY,
        ],
    )
    assert allowed.exit_code == 0


def test_baseline_in_every_report(boms, main_report, tmp_path):
    _, china = boms
    out = [tmp_path / n for n in ("r.md", "r.html", "r.xlsx")]
    args = [str(china), "--baseline", str(main_report), "-q", *TOY]
    for path in out:
        args += ["-o", str(path)]
    assert runner.invoke(audit_app, args).exit_code == 1
    assert "Change since baseline" in out[0].read_text()
    assert "Change since baseline" in out[1].read_text()
    import openpyxl

    items = {
        r[0]: r[1] for r in openpyxl.load_workbook(out[2])["Summary"].iter_rows(values_only=True)
    }
    assert items["New findings"] == 1


# --------------------------------------------------------------------------- API and help


def test_api_diff_is_reexported_and_takes_results():
    assert api.diff.__module__ == "exposure_audit.api"
    assert api.DiffResult.__name__ == "DiffResult"


def test_compare_notes_different_reference_data(boms):
    japan, _ = boms
    old = report_dict(toy_audit(japan))
    new = json.loads(json.dumps(old))
    new["reference"]["version"] = "2027-01-01+00000000"
    d = compare(old, new)
    assert d.notes and "reference data differ" in d.notes[0]


def test_diff_help_ends_with_examples():
    result = runner.invoke(app, ["diff", "--help"])
    assert result.exit_code == 0
    assert "Examples" in result.stdout and "exposure-audit diff" in result.stdout
    assert "--fail-on-increase" in result.stdout


def test_diff_json_is_byte_stable(boms):
    japan, china = boms
    assert (
        diff_cli(japan, china, "-f", "json").stdout == diff_cli(japan, china, "-f", "json").stdout
    )


def test_ci_doc_jobs_are_valid_yaml_and_use_real_options():
    import re
    from pathlib import Path

    import yaml

    text = (Path(__file__).resolve().parents[1] / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 3
    for block in blocks:
        yaml.safe_load(block)
    helps = {
        command: runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).stdout
        for command in ("audit", "diff")
    }
    # every option on a command line (and its continuation lines) of exposure-audit
    commands = re.findall(r"exposure-audit (audit|diff) ((?:[^\n]*\\\n)*[^\n]*)", text)
    assert commands
    for command, line in commands:
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]+|-[a-z])\b", line):
            assert option in helps[command], (command, option)
