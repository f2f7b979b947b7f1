"""Several BOMs at once: the portfolio summary, its JSON, exit codes and input order."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from exposure_audit.api import Options, audit_many, expand_paths
from exposure_audit.cli.app import audit_app

from support import TOY_REFERENCE, write_csv

runner = CliRunner()
HEADER = "Part Number,Description,Material,Qty,Unit Mass (g),Country of Origin,Unit Price"
TOY = Options(reference_dirs=[TOY_REFERENCE], include_bundled=False)


# Score against the toy tables, not the bundled ones (fixture in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("toy_reference_only")


@pytest.fixture
def boms(tmp_path):
    folder = tmp_path / "boms"
    folder.mkdir()
    a = write_csv(
        folder / "a.csv",
        HEADER,
        "P1,Rotor magnet,N42SH,10,5,Japan,$2.00",
        "P4,Housing,ABS housing,1,50,Mexico,$1",
    )
    b = write_csv(folder / "b.csv", HEADER, "P1,Rotor magnet,N42SH,10,5,China,$4.00")
    return folder, a, b


def test_audit_many_keeps_input_order_and_combines_by_spend(boms):
    folder, a, b = boms
    result = audit_many([b, a], TOY, workers=1)
    assert [r.file for r in result.rows] == [str(b), str(a)]
    assert result.weighting == "spend"
    spends = [r.spend for r in result.rows]
    expected = sum(s * r.exposure for s, r in zip(spends, result.rows, strict=True)) / sum(spends)
    assert result.exposure == pytest.approx(expected)
    parallel = audit_many([b, a], TOY, workers=2)
    assert [r.score for r in parallel.rows] == [r.score for r in result.rows]


def test_a_folder_gives_its_boms_sorted(boms):
    folder, a, b = boms
    (folder / "notes.md").write_text("not a BOM")
    assert expand_paths([folder]) == [a, b]


def test_cli_several_boms_json_and_exit_codes(boms, tmp_path):
    folder, a, b = boms
    result = runner.invoke(audit_app, [str(a), str(b), "--format", "json", "--quiet"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 2 and len(data["reports"]) == 2
    assert [r["file"] for r in data["portfolio"]["rows"]] == [str(a), str(b)]
    failing = runner.invoke(audit_app, [str(folder), "--fail-on", "info", "--quiet"])
    assert failing.exit_code == 1
    missing = runner.invoke(audit_app, [str(a), str(tmp_path / "nope.csv"), "--quiet"])
    assert missing.exit_code == 2
    assert "no such file" in missing.output
    out = tmp_path / "portfolio.md"
    written = runner.invoke(audit_app, [str(a), str(b), "-o", str(out), "--quiet"])
    assert written.exit_code == 0 and "| file |" in out.read_text()
