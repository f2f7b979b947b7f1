"""Mechanical archetypes (materials.yaml, mech block) and how recognised mechanical kinds route
to them (components.yaml): every figure is sourced, fractions are sensible for the alloy or
part, and the wording that separates two parts ("pure nickel" and "nickel-plated") is honoured."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from exposure_audit.bom.recognise import recognise
from exposure_audit.engine.components import load_kinds
from exposure_audit.engine.mapping import Match, combine
from exposure_audit.reference import load_reference

from support import archetype_block_ids

DATA = Path(__file__).resolve().parents[2] / "data" / "reference"
MECH_BLOCK = "# --- mech archetypes (session 5) ---"


MECH_IDS = archetype_block_ids(MECH_BLOCK)


def test_the_mech_block_sits_after_steel_1045():
    text = (DATA / "materials.yaml").read_text(encoding="utf-8")
    before = text.split(MECH_BLOCK, 1)[0]
    last = [line for line in before.splitlines() if line.startswith("- id: ")][-1]
    assert last == "- id: steel_1045"
    assert "nickel_200" in MECH_IDS


@pytest.mark.parametrize("archetype", MECH_IDS)
def test_each_mech_archetype_is_sourced_and_sums_below_one(archetype):
    ref = load_reference()
    minerals = set(ref.minerals)
    material = ref.materials[archetype]
    assert material.source.title and material.source.url and material.source.year
    assert sum(c.fraction for c in material.composition) <= 1.0
    for c in material.composition:
        assert c.mineral in minerals
        if c.low is not None and c.high is not None:
            assert c.low <= c.fraction <= c.high


def test_mech_archetypes_are_also_in_the_curated_build_input():
    """tools/build_reference.py regenerates materials.yaml: an archetype only in the generated
    file would be lost on the next build."""
    curated = yaml.safe_load(
        (DATA.parents[1] / "tools" / "curated" / "materials.yaml").read_text(encoding="utf-8")
    )
    assert set(MECH_IDS) <= set(curated["extra_materials"])


def test_nickel_200_is_commercially_pure_nickel():
    nickel = {c.mineral: c for c in load_reference().materials["nickel_200"].composition}
    assert set(nickel) == {"nickel"}
    assert nickel["nickel"].low == pytest.approx(0.99)  # Table 1: Ni (plus Co) 99.0 min
    assert 0.99 <= nickel["nickel"].fraction <= 1.0


def _route(text: str, pattern: str | None = None) -> Match:
    base = (
        Match(pattern, "pattern", 0.9, f"pattern of {pattern}")
        if pattern
        else Match(None, "none", 0.0, "")
    )
    return combine(base, recognise([("description", text)]), load_kinds())


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        ("Pure nickel strip 0.15x8mm", "nickel_200", "nickel_200"),
        ("Nickel strip 0.2 mm for 18650", "nickel_200", "nickel_200"),
        ("copper busbar 3 mm", None, "copper_cathode"),
        ("aluminium bus bar", None, "aluminium_unalloyed"),
        # plated steel names steel, which the busbar kind does not map: its nickel share is unknown
        ("nickel-plated steel strip 0.15mm", None, None),
        ("bus bar", None, None),
    ],
)
def test_busbar_routing(text, pattern, expected):
    found = _route(text, pattern)
    assert found.archetype == expected, found.reason
    if expected is None:
        assert "plating share is not published" in found.reason


def test_a_grade_token_on_a_nut_is_not_a_magnet():
    found = _route("N35 nut")
    assert found.archetype == "steel_1045"
    assert _route("N52 12x5x3mm", "ndfeb_sintered").archetype == "ndfeb_sintered"


# --- published masses per size (components.yaml `masses:` of the mechanical kinds) ---------


def _masses(kind: str) -> dict:
    table = yaml.safe_load((DATA / "components.yaml").read_text(encoding="utf-8"))
    return table["kinds"][kind]["masses"]


@pytest.mark.parametrize("kind", ["bearing", "fastener", "battery_cell"])
def test_each_mechanical_mass_names_its_source(kind):
    for size, entry in _masses(kind).items():
        assert 0 < entry["kg"] < 1, size
        assert entry["source"] and entry["url"] and entry["year"], size


def test_socket_head_screw_masses_grow_with_length_and_diameter():
    by_size: dict[float, dict[float, float]] = {}
    for key, entry in _masses("fastener").items():
        d, length = key.removesuffix(" SHCS").removeprefix("M").split("x")
        by_size.setdefault(float(d), {})[float(length)] = entry["kg"]
    for d, row in by_size.items():
        masses = [row[length] for length in sorted(row)]
        assert masses == sorted(masses), d
    for length in (10, 12, 16, 20):
        column = [by_size[d][length] for d in sorted(by_size) if length in by_size[d]]
        assert column == sorted(column), length
    assert by_size[3][8] == pytest.approx(0.0008)  # 0.8 kg per 1000 pieces


def test_every_mass_key_is_one_recognition_can_report():
    """A key recognition never produces would never be used: each key, written as a BOM line,
    is recognised as its kind with that key as its size."""
    lines = {"bearing": "{} bearing", "fastener": "{}", "battery_cell": "{} Li-ion cell"}
    for kind, line in lines.items():
        for key in _masses(kind):
            found = recognise([("description", line.format(key))])
            assert (found.kind, found.package) == (kind, key), key


def test_a_21700_cell_outweighs_an_18650():
    cells = _masses("battery_cell")
    assert cells["21700"]["kg"] > cells["18650"]["kg"]
