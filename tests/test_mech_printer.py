"""A hand-kept printer-like mechanical BOM through the CLI (bundled reference data): each line
maps to the archetype its kind and wording call for, parts without a sourced composition stay
unmapped, and a recognised size without a BOM mass gets the published mass, marked estimated."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import audit_app

runner = CliRunner()

# A made-up printer BOM in the style of hand-kept sheets: prose descriptions, size codes, no
# masses or materials column.
PRINTER = """\
Item,Description,Qty
1,NEMA 17 stepper motor 42x48mm,4
2,608ZZ bearing,6
3,M3x8 SHCS,40
4,M3 nylock nut,20
5,GT2 pulley 20T 5mm bore,2
6,5mm to 8mm flexible coupler,1
7,T8 lead screw 300mm with brass nut,1
8,PTFE tube 2x4mm,1
9,Pure nickel strip 0.15x8mm,1
10,Nickel-plated steel strip 0.15x8mm,1
11,4010 fan 24V,1
12,INR21700-40T cell,2
13,N35 nut,4
14,Spur gear 20T,1
"""

EXPECTED = {
    "NEMA 17 stepper motor 42x48mm": None,  # no published per-kg composition
    "608ZZ bearing": "steel_52100",
    "M3x8 SHCS": "steel_1045",
    "M3 nylock nut": "steel_1045",
    "GT2 pulley 20T 5mm bore": "al_6061",
    "5mm to 8mm flexible coupler": "al_6061",
    "T8 lead screw 300mm with brass nut": "ss_304",
    "PTFE tube 2x4mm": "ptfe",
    "Pure nickel strip 0.15x8mm": "nickel_200",
    "Nickel-plated steel strip 0.15x8mm": None,  # plating share not published
    "4010 fan 24V": None,
    "INR21700-40T cell": "li_cell_nmc622",  # INR: nickel-manganese-cobalt cathode
    "N35 nut": "steel_1045",  # a nut, not an NdFeB magnet
    "Spur gear 20T": None,  # gears are steel, brass or plastic: not stated
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("printer") / "printer_bom.csv"
    path.write_text(PRINTER, encoding="utf-8")
    result = runner.invoke(audit_app, [str(path), "--format", "json", "--as-of", "2026-12-07"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_each_printer_line_maps_to_its_archetype(report):
    got = {line["description"]: line["match"]["archetype"] for line in report["lines"]}
    assert got == EXPECTED


def test_unmapped_printer_lines_are_listed(report):
    unmapped = {u["description"] for u in report["unmapped"]}
    assert unmapped == {text for text, archetype in EXPECTED.items() if archetype is None}


def test_a_size_without_a_bom_mass_gets_the_published_mass(report):
    """608 bearing, M3x8 socket head and 21700 cell carry a published unit mass; the nylock
    nut (no mass table for nuts) is weighted without one."""
    issues = [i for i in report["issues"]["listed"] if i["code"] == "estimated-mass"]
    said = " ".join(str(i.get("value", "")) + " " + i["message"] for i in issues)
    assert "608" in said and "M3x8 SHCS" in said and "21700" in said
    estimated = {line["description"]: line["estimated"] for line in report["lines"]}
    assert estimated["608ZZ bearing"] and estimated["M3x8 SHCS"]
    assert not estimated["M3 nylock nut"]
