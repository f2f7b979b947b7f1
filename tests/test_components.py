"""Component kinds and their published masses per package (engine/components.py, the masses
table of data/reference/components.yaml, and how the mapping uses it)."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from exposure_audit.bom.recognise import recognise
from exposure_audit.engine import mapping
from exposure_audit.engine.components import PackageMass, load_kinds, package_key
from exposure_audit.engine.mapping import Match, combine, map_contents
from exposure_audit.errors import ReferenceDataError
from exposure_audit.reference import load_reference


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("SOT-23", "SOT23"),
        ("sot23", "SOT23"),
        ("SOT 23", "SOT23"),
        ("LQFP-64", "LQFP64"),
        ("0603", "0603"),
        ("case A", "CASEA"),
        ("M4x12", "M4X12"),
        ("TO-263_7", "TO2637"),
    ],
)
def test_package_keys_ignore_case_and_separators(written, key):
    assert package_key(written) == key


def test_every_bundled_mass_names_its_source_and_year():
    kinds = load_kinds()
    masses = [m for spec in kinds.values() for m in spec.masses.values()]
    assert masses, "the bundled table holds published masses"
    for mass in masses:
        assert 0 < mass.kg < 1000 and math.isfinite(mass.kg)
        assert mass.source.strip() and str(mass.year).strip()
        assert mass.url is None or mass.url.startswith("https://")


def test_ic_masses_follow_the_recognised_package():
    ic = load_kinds()["ic"]
    found = recognise([("designator", "U1"), ("footprint", "Package_QFP:LQFP-64_10x10mm_P0.5mm")])
    assert found.kind == "ic"
    assert found.package is not None
    assert ic.mass_for(found.package).kg == pytest.approx(348.805167e-6)
    # no neighbouring size or outline stands in: a QFN-32 of unknown body is not an HVQFN32
    assert ic.mass_for("QFN-32") is None and ic.mass_for("LQFP-80") is None
    assert ic.mass_for(None) is None


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("{kg: -1, source: s, year: 2024}", "outside 0..1000"),
        ("{kg: .nan, source: s, year: 2024}", "kg must be a number"),
        ("{kg: '2 mg', source: s, year: 2024}", "kg must be a number"),
        ("{kg: 0.001, year: 2024}", "names its source and year"),
        ("{kg: 0.001, source: s}", "names its source and year"),
        ("{kg: 0.001, source: s, year: 2024, grams: 1}", "unknown keys"),
        ("{kg: 0.001, source: s, year: 2024, also: [sot 23]}", "listed twice"),
        ("[1, 2]", "not a mapping"),
    ],
)
def test_malformed_masses_are_refused_with_the_reason(tmp_path, entry, problem):
    table = tmp_path / "components.yaml"
    table.write_text(
        f"schema_version: 1\nkinds:\n  diode:\n    gap: x\n    masses:\n      SOT-23: {entry}\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match=problem):
        load_kinds(table)


def _with_chip_masses(kinds):
    """The bundled kinds with test masses for ceramic chip capacitors (figures for the test
    only: the mechanism, not the data)."""
    ceramic = kinds["capacitor_ceramic"]
    masses = {
        "0603": PackageMass("0603", 5e-6, "test figure", 2026),
        "0805": PackageMass("0805", 1e-5, "test figure", 2026),
    }
    return {**kinds, "capacitor_ceramic": dataclasses.replace(ceramic, masses=masses)}


def test_a_recognised_package_carries_its_mass_into_the_match():
    kinds = _with_chip_masses(load_kinds())
    found = recognise(
        [("designator", "C1"), ("value", "100nF"), ("footprint", "C_0603_1608Metric")]
    )
    match = combine(Match(None, "none", 0.0, ""), found, kinds)
    assert match.archetype == "mlcc"
    assert match.unit_mass is not None and match.unit_mass.kg == 5e-6
    assert "mass if the BOM gives none: 5 mg per 0603 part (test figure, 2026)" in match.reason


def _bom(rows):
    defaults = {
        "mineral": "",
        "cas_number": "",
        "valid": True,
        "line_mass_kg": float("nan"),
        "quantity": 1.0,
        "description": "",
        "designator": "",
        "value": "",
        "footprint": "",
    }
    frame = pd.DataFrame([{**defaults, **row} for row in rows])
    frame["text"] = frame["description"]
    frame["row"] = range(2, 2 + len(frame))
    return frame


def test_the_package_mass_is_used_only_when_the_bom_gives_none(monkeypatch):
    monkeypatch.setattr(mapping, "load_kinds", lambda: _with_chip_masses(load_kinds()))
    bom = _bom(
        [
            {
                "designator": "C1,C2",
                "value": "100nF",
                "footprint": "C_0603_1608Metric",
                "quantity": 4.0,
            },
            {
                "designator": "C3",
                "value": "1uF",
                "footprint": "C_0805_2012Metric",
                "line_mass_kg": 0.002,
            },
            {"designator": "C4", "value": "10uF", "footprint": "C_1206_3216Metric"},
        ]
    )
    result = map_contents(bom, load_reference())
    lines = result.lines
    assert lines["archetype"].tolist() == ["mlcc"] * 3
    assert lines["mass_basis_kg"].iloc[0] == pytest.approx(4 * 5e-6)
    assert lines["mass_basis_kg"].iloc[1] == pytest.approx(0.002)  # the BOM's own mass stands
    assert math.isnan(lines["mass_basis_kg"].iloc[2])  # no 1206 entry, no archetype mass
    assert lines["estimated"].tolist() == [True, False, False]
    issues, counts = result.issues.to_models()
    assert counts.get("estimated-mass") == 1
    (issue,) = [i for i in issues if i.code == "estimated-mass"]
    assert issue.row == 2 and "(5 mg per 0603 part; source in components.yaml)" in issue.message
