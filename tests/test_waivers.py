"""Waivers: accepted findings leave the gate but stay in the report; bad files exit 2."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import audit_app
from exposure_audit.engine.waivers import DEFAULT_FILE, Waiver, load_waivers
from exposure_audit.errors import UsageError

from support import toy_audit, write_csv

runner = CliRunner()
TOY = ["--as-of", "2026-03-01"]
HEADER = "Part Number,Description,Material,Qty,Unit Mass (g),Country of Origin,Unit Price"


# Score against the toy tables, not the bundled ones (fixture in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("toy_reference_only")


@pytest.fixture
def bom(tmp_path):
    # Two lines made in China: the covered-nation-supplier finding covers rows 2 and 3.
    return write_csv(
        tmp_path / "bom.csv",
        HEADER,
        "M-1,Rotor magnet,N42SH,10,5,China,$2.00",
        "Q-2,GaN FET,GaN,4,,China,$3.00",
        "H-3,Housing,ABS housing,1,50,Mexico,$1",
    )


def waivers(tmp_path, text, name="waivers.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_waiver_by_id_moves_the_finding_out_of_the_gate(bom, tmp_path):
    plain = toy_audit(bom)
    assert any(f.id == "covered-nation-supplier" for f in plain.findings)
    file = waivers(
        tmp_path, "- id: covered-nation-supplier\n  reason: qualified\n  expires: 2026-12-31\n"
    )
    result = toy_audit(bom, waivers=file)
    assert all(f.id != "covered-nation-supplier" for f in result.findings)
    info = result.report.extras["waivers"]
    [applied] = info["applied"]
    assert applied["reason"] == "qualified" and applied["expires"] == "2026-12-31"
    assert [f["id"] for f in applied["findings"]] == ["covered-nation-supplier"]
    assert applied["findings"][0]["rows"] == [2, 3]
    assert info["expired"] == [] and info["unused"] == []
    assert len(result.findings) == len(plain.findings) - 1


def test_waiver_by_rule_and_mineral(bom, tmp_path):
    file = waivers(
        tmp_path,
        "- rule: processing-china-dominant\n  mineral: gallium\n"
        "  reason: r\n  expires: 2026-12-31\n",
    )
    ids = {f.id for f in toy_audit(bom, waivers=file).findings}
    assert "processing-china-dominant:gallium" not in ids
    assert "processing-china-dominant:neodymium" in ids


def test_part_waiver_takes_only_that_parts_rows(bom, tmp_path):
    file = waivers(
        tmp_path,
        "- rule: covered-nation-supplier\n  part: m-1\n"
        "  reason: magnet dual-sourced\n  expires: 2026-12-31\n",
    )
    result = toy_audit(bom, waivers=file)
    [kept] = [f for f in result.findings if f.id == "covered-nation-supplier"]
    assert kept.rows == [3]
    assert "1 waived line" in kept.message
    [applied] = result.report.extras["waivers"]["applied"]
    assert applied["findings"][0]["rows"] == [2]


def test_expired_and_unused_waivers_are_warnings(bom, tmp_path):
    file = waivers(
        tmp_path,
        "- id: covered-nation-supplier\n  reason: old\n"
        "  expires: 2026-01-31\n"
        "- id: mining-china-dominant:unobtainium\n  reason: stale\n"
        "  expires: 2027-01-01\n",
    )
    result = toy_audit(bom, waivers=file)
    info = result.report.extras["waivers"]
    assert [w["reason"] for w in info["expired"]] == ["old"]
    assert [w["reason"] for w in info["unused"]] == ["stale"]
    assert any(f.id == "covered-nation-supplier" for f in result.findings)
    cli = runner.invoke(audit_app, [str(bom), "--waivers", str(file), "-f", "json", *TOY])
    assert cli.exit_code == 0
    lines = cli.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "waiver expired on 2026-01-31" in lines[0]
    assert "waiver matches no finding" in lines[1] and "mining-china-dominant" in lines[1]
    assert json.loads(cli.stdout)["waivers"]["expired"][0]["reason"] == "old"
    quiet = runner.invoke(audit_app, [str(bom), "--waivers", str(file), "-q", *TOY])
    assert quiet.stderr == ""


def test_waiver_counts_through_its_expiry_day(bom, tmp_path):
    file = waivers(tmp_path, "- id: covered-nation-supplier\n  reason: r\n  expires: 2026-03-01\n")
    assert toy_audit(bom, waivers=file).report.extras["waivers"]["applied"]
    later = toy_audit(bom, waivers=file, as_of=dt.date(2026, 3, 2))
    assert later.report.extras["waivers"]["expired"]


def test_waivers_lower_the_fail_on_gate(bom, tmp_path):
    args = [str(bom), "--fail-on", "high", "-q", *TOY]
    assert runner.invoke(audit_app, args).exit_code == 1
    file = waivers(
        tmp_path,
        "\n".join(
            f"- rule: {rule}\n  reason: accepted\n  expires: 2026-12-31"
            for rule in (
                "product-exposure",
                "covered-nation-supplier",
                "processing-china-dominant",
                "export-control-active",
            )
        )
        + "\n",
    )
    waived = runner.invoke(audit_app, [*args, "--waivers", str(file)])
    assert waived.exit_code == 0, waived.output


def test_default_waiver_file_in_the_current_folder(bom, tmp_path, monkeypatch):
    waivers(
        tmp_path,
        "- id: covered-nation-supplier\n  reason: r\n  expires: 2026-12-31\n",
        name=DEFAULT_FILE,
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(audit_app, ["bom.csv", "-f", "json", *TOY])
    data = json.loads(result.stdout)
    assert data["waivers"]["file"] == DEFAULT_FILE
    assert all(f["id"] != "covered-nation-supplier" for f in data["findings"])


def test_no_waivers_key_without_a_file(bom):
    assert "waivers" not in toy_audit(bom).report.extras


def test_waived_findings_are_suppressed_in_sarif(bom, tmp_path):
    from exposure_audit.report import all_formatters

    file = waivers(
        tmp_path, "- id: covered-nation-supplier\n  reason: qualified\n  expires: 2026-12-31\n"
    )
    sarif = json.loads(all_formatters()["sarif"].render(toy_audit(bom, waivers=file)))
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "covered-nation-supplier"]
    assert result["suppressions"][0]["status"] == "accepted"
    assert "qualified" in result["suppressions"][0]["justification"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: x\n  expires: 2026-12-31\n", "entry 1 (x), field 'reason': required"),
        ("- id: x\n  reason: r\n", "entry 1 (x), field 'expires': required"),
        ("- reason: r\n  expires: 2026-12-31\n", "entry 1, field 'entry': give exactly one"),
        ("- id: x\n  rule: y\n  reason: r\n  expires: 2026-12-31\n", "give exactly one"),
        (
            "- id: x\n  reason: r\n  expires: 2026-12-31\n  owner: me\n",
            "field 'owner': unknown field",
        ),
        (
            "- id: a\n  reason: r\n  expires: 2026-12-31\n- id: b\n  reason: r\n  expires: soon\n",
            "entry 2 (b), field 'expires'",
        ),
        ("- id: x\n  reason: ''\n  expires: 2026-12-31\n", "field 'reason'"),
        ("id: x\n", "unknown key 'id' at the top level"),
        ("just text\n", "expected a list of waivers"),
        ("- [1, 2]\n", "entry 1 is not a mapping"),
        ("- id: x\n  reason: [unclosed\n", "not valid YAML at line"),
    ],
)
def test_malformed_waiver_file_exits_2_naming_file_entry_and_field(bom, tmp_path, text, message):
    file = waivers(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_waivers(file)
    assert str(file) in str(caught.value) and message in str(caught.value)
    cli = runner.invoke(audit_app, [str(bom), "--waivers", str(file), *TOY])
    assert cli.exit_code == 2
    assert cli.stderr.startswith("audit: error: waivers file ")
    assert message in cli.stderr and len(cli.stderr.strip().splitlines()) <= 2
    assert cli.stdout == ""


def test_missing_waiver_file_exits_2(bom, tmp_path):
    cli = runner.invoke(audit_app, [str(bom), "--waivers", str(tmp_path / "nope.yaml"), *TOY])
    assert cli.exit_code == 2 and "no such file" in cli.stderr


def test_waiver_file_forms():
    assert Waiver(id="x", reason="r", expires="2026-01-01").expires == dt.date(2026, 1, 1)
    assert Waiver(rule="x", part=1234, reason="r", expires="2026-01-01").part == "1234"


def test_mapping_form_and_empty_file(tmp_path):
    file = waivers(
        tmp_path, "waivers:\n  - rule: unmapped-lines\n    reason: r\n    expires: 2026-12-31\n"
    )
    assert load_waivers(file).waivers[0].rule == "unmapped-lines"
    assert load_waivers(waivers(tmp_path, "", name="empty.yaml")).waivers == ()
