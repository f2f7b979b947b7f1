"""Supplier declarations in the audit: declared smelters replace the reference processing
shares for the lines they cover (issue 5)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exposure_audit.api import Options, audit
from exposure_audit.cli.app import audit_app

from declarations_helpers import make_fake_template
from support import write_csv

AS_OF = dt.date(2026, 11, 28)
HEADER = "Part Number,Description,Material,Qty,Unit Mass (g),Supplier,Country of Origin,Unit Price"


@pytest.fixture
def bom(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "bom.csv",
        HEADER,
        "S1,Solder paste,SAC305,1,100,ACME METALS CO LTD,Japan,5",
        "S2,Solder bar,SAC305,1,100,Other Solder Inc.,Japan,5",
        "C1,Tantalum capacitor 47uF,,10,0.3,KEMET,Mexico,1",
    )


def cmrt(path: Path, company: str, rows: list[dict]) -> Path:
    return make_fake_template(path, company=company, rows=rows)


def tin(name: str, country: str, cid: str, recycled: str = "No") -> dict:
    return {"A": cid, "B": "Tin", "D": name, "E": country, "F": cid, "P": recycled}


def line_minerals(result, part: str):
    line = result.lines.index[result.lines["part_number"] == part][0]
    lm = result.line_minerals
    return lm[lm["line"] == line].set_index("mineral")


def test_one_of_two_declared_tin_smelters_in_china_gives_half(bom, tmp_path):
    decl = cmrt(
        tmp_path / "acme.xlsx",
        "Acme Metals Co., Ltd.",
        [tin("Yunnan Tin", "CHINA", "CID000001"), tin("PT Timah", "INDONESIA", "CID000002")],
    )
    result = audit(bom, Options(as_of=AS_OF, smelters=[decl]))
    acme = line_minerals(result, "S1").loc["tin"]
    other = line_minerals(result, "S2").loc["tin"]
    assert acme["china_processing"] == pytest.approx(0.5)
    assert acme["dist_processing"].startswith("decl/")
    # The other supplier's line keeps the reference shares (USGS/EU: China ~50 %, not exactly).
    assert other["dist_processing"] == "ref/tin/processing"
    tin_summary = next(m for m in result.report.minerals if m["mineral"] == "tin")
    assert tin_summary["stages"]["processing"]["basis"] == "mixed"
    declarations = result.report.extras["declarations"]
    assert declarations["applied"][0]["rows"] == [2]
    assert declarations["applied"][0]["shares"] == {"CHN": 0.5, "IDN": 0.5}


def test_without_a_supplier_match_every_line_with_the_metal_is_covered(bom, tmp_path):
    decl = cmrt(
        tmp_path / "x.xlsx",
        "Unrelated Smelting AG",
        [
            tin("A", "BOLIVIA", "CID000011"),
            tin("B", "RWANDA", "CID000012"),
            tin("C", "CHINA", "CID000013"),
            tin("D", "CHINA", "CID000014"),
        ],
    )
    result = audit(bom, Options(as_of=AS_OF, smelters=[decl]))
    for part in ("S1", "S2"):
        assert line_minerals(result, part).loc["tin", "china_processing"] == pytest.approx(0.5)
    tin_summary = next(m for m in result.report.minerals if m["mineral"] == "tin")
    processing = tin_summary["stages"]["processing"]
    assert processing["basis"] == "declaration"
    assert processing["countries"] == {"BOL": 0.25, "CHN": 0.5, "RWA": 0.25}
    assert processing["files"] == [str(decl)]
    ids = {f.id for f in result.findings}
    assert "declared-covered-smelter:tin:processing" in ids


def test_tantalum_follows_the_declaration_exactly(bom, tmp_path):
    decl = cmrt(
        tmp_path / "kemet.xlsx",
        "KEMET Corporation",
        [
            {"A": "CID000021", "B": "Tantalum", "D": "Rwanda Ta", "E": "RWANDA", "F": "CID000021"},
            {"A": "CID000022", "B": "Tantalum", "D": "Ningxia Ta", "E": "CHINA", "F": "CID000022"},
        ],
    )
    result = audit(bom, Options(as_of=AS_OF, smelters=[decl]))
    ta = line_minerals(result, "C1").loc["tantalum"]
    assert ta["china_processing"] == pytest.approx(0.5)
    tantalum = next(m for m in result.report.minerals if m["mineral"] == "tantalum")
    # The reference has no processing figure for tantalum; the declaration supplies one.
    assert tantalum["stages"]["processing"]["countries"] == {"CHN": 0.5, "RWA": 0.5}


def test_recycled_feedstock_is_its_own_origin_not_a_country(bom, tmp_path):
    decl = cmrt(
        tmp_path / "r.xlsx",
        "Acme Metals",
        [
            tin("Recycler", "UNITED STATES OF AMERICA", "CID000031", recycled="Yes"),
            tin("Primary", "INDONESIA", "CID000032"),
        ],
    )
    result = audit(bom, Options(as_of=AS_OF, smelters=[decl]))
    processing = next(m for m in result.report.minerals if m["mineral"] == "tin")["stages"][
        "processing"
    ]
    acme = line_minerals(result, "S1").loc["tin"]
    assert acme["china_processing"] == 0.0
    assert acme["unknown_processing"] == pytest.approx(0.0)
    assert processing["recycled_share"] > 0


def test_cli_takes_a_folder_and_reports_bad_files_without_stopping(bom, tmp_path):
    folder = tmp_path / "cmrts"
    folder.mkdir()
    cmrt(folder / "acme.xlsx", "Acme Metals", [tin("Yunnan Tin", "CHINA", "CID000001")])
    (folder / "junk.xlsx").write_bytes(b"not a workbook")
    result = CliRunner().invoke(
        audit_app, [str(bom), "--smelters", str(folder), "-f", "json", "--as-of", "2026-11-28"]
    )
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(result.stdout)
    assert len(report["declarations"]["problems"]) == 1
    assert "junk.xlsx" in report["declarations"]["problems"][0]["path"]
    acme = next(line for line in report["lines"] if line["part_number"] == "S1")
    tin_line = next(m for m in acme["minerals"] if m["mineral"] == "tin")
    assert tin_line["china_touch"] >= 1.0 - 1e-9  # processing 100 % China by declaration
