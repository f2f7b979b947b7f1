"""An electronics export (KiCad-like CSV: reference, value, footprint, maker, MPN) through the
CLI with the bundled tables: ICs are scored with the minerals their archetype holds, their mass
estimated from the package's published mass when one is bundled, and chip resistors (no sourced
composition) stay unscored with the reason."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import audit_app

from support import write_csv

runner = CliRunner()
HEADER = '"Reference","Value","Footprint","Qty","Manufacturer","MPN"'
ROWS = (
    '"U1","STM32F405RGT6","Package_QFP:LQFP-64_10x10mm_P0.5mm","1","ST","STM32F405RGT6"',
    '"U2","SN65HVD232D","Package_SO:SOIC-8_3.9x4.9mm_P1.27mm","1","TI","SN65HVD232D"',
    '"U3,U4","MCU","Package_SO:TSSOP-20_4.4x6.5mm_P0.65mm","2","NXP","S9S08SL16F1CTJ"',
    '"R1,R2,R3","10k","Resistor_SMD:R_0603_1608Metric","3","Yageo","RC0603FR-0710KL"',
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    bom = write_csv(tmp_path_factory.mktemp("kicad") / "board.csv", HEADER, *ROWS)
    result = runner.invoke(audit_app, [str(bom), "--format", "json", "--as-of", "2026-12-01"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _line(report, row):
    return next(line for line in report["lines"] if line["row"] == row)


def test_ics_are_scored_with_their_archetypes_minerals(report):
    for row in (2, 3, 4):
        line = _line(report, row)
        assert line["match"]["archetype"] == "ic_packaged"
        assert {m["mineral"] for m in line["minerals"]} == {"silver", "gold", "palladium"}


def test_ic_masses_come_from_the_package_when_published(report):
    lqfp64, soic8, tssop20 = (_line(report, row) for row in (2, 3, 4))
    assert lqfp64["estimated"] == ["mass"] and tssop20["estimated"] == ["mass"]
    gold = {m["mineral"]: m["mass_kg"] for m in lqfp64["minerals"]}["gold"]
    assert gold == pytest.approx(348.805167e-6 * 0.0004965)  # one LQFP64 x Au fraction
    silver = {m["mineral"]: m["mass_kg"] for m in tssop20["minerals"]}["silver"]
    assert silver == pytest.approx(2 * 78.450028e-6 * 0.002264)  # two TSSOP20 parts
    # no SOIC-8 mass is bundled: the line is scored but weighs by spend or count, unestimated
    assert soic8["estimated"] == [] and all(m["mass_kg"] is None for m in soic8["minerals"])
    listed = [i for i in report["issues"]["listed"] if i["code"] == "estimated-mass"]
    assert {i["row"] for i in listed} == {2, 4}
    assert any("349 mg per LQFP64 part" in i["message"] for i in listed)


def test_chip_resistors_stay_unscored_with_the_reason(report):
    assert [u["row"] for u in report["unmapped"]] == [5]
    assert _line(report, 5)["minerals"] == []
