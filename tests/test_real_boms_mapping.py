"""Every line of the published open-hardware BOMs in ../shared/real-boms maps to the archetype a
person would expect, or to none when no sourced archetype fits (bundled reference data).

The BOMs are read from the shared folder, never copied into the project; the tests skip when it
is absent.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import audit_app

from support import shared_path

REAL_BOMS = shared_path() / "real-boms"
runner = CliRunner()

CELL_ARCHETYPES = {
    "li_cell_nmc111",
    "li_cell_nmc532",
    "li_cell_nmc622",
    "li_cell_nmc811",
    "li_cell_nca",
    "li_cell_lfp",
    "li_cell_lmfp",
    "li_cell_lco",
    "li_cell_lmo",
}
NDFEB = {"ndfeb_sintered", "ndfeb_sintered_hc"}
CELL = "li-ion cell"  # any of CELL_ARCHETYPES (chemistry not stated in the BOM)

# row (as the user sees it in the spreadsheet) -> (start of the description, expected archetype)
EXPECTED: dict[str, dict[int, tuple[str, str | None]]] = {
    "battery_pack_3s6p.xlsx": {
        5: ("18650 Li-Ion Cell", CELL),
        6: ("3S BMS", "pcb_generic"),  # a battery-management board is a populated PCB
        7: ("XT60 Connector", None),
        8: ("4-Pin Balance Connector", None),
        9: ("DC Voltage/Current Meter", None),
        10: ("Cell Interconnect / Bus Material", "nickel_200"),  # nickel interconnect: Ni 200/201
        11: ("Main Power Wire", "copper_cathode"),
        12: ("Balance Wires", "copper_cathode"),
        13: ("Fish Paper / Cell Insulation", "plastic_generic"),  # vulcanised fibre
        14: ("Kapton / High-Temperature Insulation Tape", "plastic_generic"),
        15: ("Cell Holder / Spacer", None),
        16: ("Battery Enclosure / Frame", None),
        17: ("Cable Ties / Wire Restraints", "plastic_generic"),  # nylon
    },
    "qdd_actuator.xlsx": {
        3: ("6805 Bearing", "steel_52100"),  # ball bearings: 52100 steel
        4: ("6710 Bearing", "steel_52100"),
        5: ("Makerbase  MKS XRIVE Mini", None),  # a motor controller, but the text never says so
        6: ("N52 12x5x3mm", "ndfeb"),
        7: ("N50 1/2 x 1/8 x 1/16in", "ndfeb"),
        8: ("0.4mm Enameled Magnet Wire", "copper_cathode"),
        9: ("10010 Stator", None),
        10: ("5x12mm Pin", "steel_1045"),  # steel, grade not stated
        11: ("M2.5x12mm Countersunk", "steel_1045"),
        12: ("M2.5xL4xOD3.5", None),
        13: ("M3xL4xOD4.2 Brass Insert", "brass_c36000"),
        14: ("M4xL4xOD5 Brass Insert", "brass_c36000"),
        15: ("M4x25mm Shoulder Bolt", "steel_1045"),
        16: ("M2 Locknut", "steel_1045"),
        17: ("M3x6mm", "steel_1045"),
        18: ("M5 Locknut", "steel_1045"),
        19: ("M2x25mm", "steel_1045"),
        20: ("5x14x5mm Bearing", "steel_52100"),
    },
    "micromanipulator_bom.csv": {
        2: ("Bearing", "steel_52100"),  # G10 precision bearing ball
        3: ("Spring", "plastic_generic"),  # PU stretch cord
        4: ("Magnet", "ndfeb"),  # "Neodym Cylinder Magnet" in the Notes column
        5: ("Tubing", "brass_c36000"),  # "Brass Pipe"; unstated brass grade -> C36000
        6: ("Screw — M2x12mm", "steel_1045"),
        7: ("Screw — M3x4", "steel_1045"),
        8: ("DC Regulator", "pcb_generic"),  # "DC-DC Step Down Module"
        9: ("Diode", None),
        10: ("MCU", "pcb_generic"),  # Raspberry Pi Pico 2: a board
        11: ("Encoder", "pcb_generic"),  # "Magnetic Encoder Module"
        12: ("Driver", "pcb_generic"),  # "Motor Driver Module"
        13: ("Capacitor — 470", None),  # aluminium electrolytic: no sourced archetype
        14: ("Capacitor — 10.0", "mlcc"),  # ceramic 0603
        15: ("Resistor", None),
        16: ("Header — XT60", None),
        17: ("Header — 2.54mm", None),
        18: ("Header — 2mm", None),
        19: ("Motor", None),
        20: ("PCB", "pcb_generic"),
    },
}


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    if not REAL_BOMS.is_dir():
        pytest.skip(f"{REAL_BOMS} is absent")
    out = {}
    for name in EXPECTED:
        result = runner.invoke(
            audit_app, [str(REAL_BOMS / name), "--format", "json", "--as-of", "2026-06-30"]
        )
        assert result.exit_code == 0, (name, result.stderr)
        out[name] = json.loads(result.stdout)
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_audit_exits_0_and_reads_every_line(reports, name):
    report = reports[name]
    assert [line["row"] for line in report["lines"]] == sorted(EXPECTED[name])


CASES = [(name, row) for name, rows in EXPECTED.items() for row in rows]


@pytest.mark.parametrize(("name", "row"), CASES, ids=[f"{n}:{r}" for n, r in CASES])
def test_line_maps_to_expected_archetype(reports, name, row):
    start, expected = EXPECTED[name][row]
    line = next(line for line in reports[name]["lines"] if line["row"] == row)
    assert line["description"].startswith(start), line["description"]
    archetype = line["match"]["archetype"]
    if expected == CELL:
        assert archetype in CELL_ARCHETYPES, line
    elif expected == "ndfeb":
        assert archetype in NDFEB, line
    else:
        assert archetype == expected, line


def test_no_cell_archetype_outside_the_cell_line(reports):
    lines = reports["battery_pack_3s6p.xlsx"]["lines"]
    cells = [line["row"] for line in lines if line["match"]["archetype"] in CELL_ARCHETYPES]
    assert cells == [5]


def test_unmapped_lines_are_listed_with_their_rows(reports):
    report = reports["qdd_actuator.xlsx"]
    unmapped = {u["row"] for u in report["unmapped"]}
    expected = {
        row for row, (_, archetype) in EXPECTED["qdd_actuator.xlsx"].items() if archetype is None
    }
    assert unmapped == expected
