"""The published open-hardware BOMs in ../shared/real-boms read as their authors meant."""

from __future__ import annotations

import pytest

from exposure_audit.bom.read import read_bom


@pytest.fixture
def real(shared_dir):
    folder = shared_dir / "real-boms"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    return folder


def test_battery_pack(real, load_bom):
    path = real / "battery_pack_3s6p.xlsx"
    raw = read_bom(path)
    assert raw.sheet == "BOM"
    assert raw.sheets == ["BOM", "Electrical Summary", "Assembly Notes"]
    assert raw.header_row == 4
    bom = load_bom(path)
    frame = bom.frame
    assert len(frame) == 13
    assert frame["row"].tolist() == list(range(5, 18))
    assert frame["part_number"].tolist() == [str(i) for i in range(1, 14)]
    assert frame["quantity"].iloc[0] == 18
    assert frame["quantity_unit"].iloc[0] == "pcs"
    assert frame["description"].iloc[0] == "18650 Li-Ion Cell — 3.7 V nominal, 2000 mAh"
    assert frame["notes"].iloc[0].startswith("Cell — 3S6P")
    assert bom.skipped_rows == 0
    assert frame["valid"].all()


def test_qdd_actuator_formulas_read_as_cached_values(real, load_bom):
    path = real / "qdd_actuator.xlsx"
    raw = read_bom(path)
    assert raw.header_row == 2
    bom = load_bom(path)
    frame = bom.frame
    assert len(frame) == 18
    assert frame["row"].tolist() == list(range(3, 21))
    assert frame["description"].iloc[0] == "6805 Bearing"
    assert frame["quantity"].tolist()[:4] == [2, 2, 1, 42]
    # 'Total Part Cost' cells are formulas (quantity x cost); their cached values are read.
    assert frame["spend"].tolist()[:4] == pytest.approx([2.58, 4.516, 29.99, 4.998])
    assert frame["spend"].sum() == pytest.approx(72.6308)
    assert bom.columns.fields["extended_cost"] == "Total Part Cost"
    assert bom.columns.fields["unit_cost"] == "Cost Per (Part/Gram)"
    assert frame["valid"].all()


def test_micromanipulator_csv(real, load_bom):
    path = real / "micromanipulator_bom.csv"
    raw = read_bom(path)
    assert raw.header_row == 1 and raw.delimiter == ","
    bom = load_bom(path)
    frame = bom.frame
    assert len(frame) == 19
    assert bom.skipped_rows == 3
    assert frame["row"].tolist() == list(range(2, 21))
    assert bom.cost_is_total
    assert bom.currency == "USD"
    assert frame["spend"].iloc[0] == pytest.approx(42.53)  # 12 bearings for $42.53, not 12 x
    assert frame["spend"].sum() == pytest.approx(281.38)
    assert frame["quantity"].iloc[2] == 70
    assert frame["description"].iloc[0] == 'Bearing — 1.25mm/0.05" Dia.'
    assert frame["valid"].all()
