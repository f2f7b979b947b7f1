"""Electronics archetypes (materials.yaml, elec block) and how recognised electronics kinds
route to them (components.yaml): every figure is sourced, the block sits at the end of the
list and in the curated build input, and kinds without a sourced composition keep saying why."""

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
ELEC_BLOCK = "# --- elec archetypes (session 5) ---"


ELEC_IDS = archetype_block_ids(ELEC_BLOCK)


def test_the_elec_block_ends_the_list():
    text = (DATA / "materials.yaml").read_text(encoding="utf-8")
    last = [line for line in text.splitlines() if line.startswith("- id: ")][-1]
    assert last.removeprefix("- id: ") == ELEC_IDS[-1]
    assert "ic_packaged" in ELEC_IDS


@pytest.mark.parametrize("archetype", ELEC_IDS)
def test_each_elec_archetype_is_sourced_and_sums_below_one(archetype):
    ref = load_reference()
    material = ref.materials[archetype]
    assert material.source.title and material.source.url and material.source.year
    assert 0 < sum(c.fraction for c in material.composition) < 1.0
    for c in material.composition:
        assert c.mineral in ref.minerals
        if c.low is not None and c.high is not None:
            assert c.low <= c.fraction <= c.high
    # reached through a recognised kind, never by a text pattern of its own
    assert material.patterns == [] and material.aliases == []
    assert any(spec.archetype == archetype for spec in load_kinds().values())


def test_elec_archetypes_are_also_in_the_curated_build_input():
    curated = yaml.safe_load(
        (DATA.parents[1] / "tools" / "curated" / "materials.yaml").read_text(encoding="utf-8")
    )
    extra = curated["extra_materials"]
    assert set(ELEC_IDS) <= set(extra)
    ref = load_reference()
    for archetype in ELEC_IDS:  # the two copies agree figure for figure
        built = [
            (c.mineral, c.fraction, c.low, c.high) for c in ref.materials[archetype].composition
        ]
        written = [
            (c["mineral"], c["fraction"], c.get("low"), c.get("high"))
            for c in extra[archetype]["composition"]
        ]
        assert built == written


def test_packaged_ic_holds_the_published_precious_metal_ranges():
    ic = {c.mineral: c for c in load_reference().materials["ic_packaged"].composition}
    assert set(ic) == {"silver", "gold", "palladium"}
    # Sideris et al. 2025: Ag 652-3876, Au 0-993, Pd 0-74 mg/kg; typical = midpoint
    for mineral, (low, high) in {
        "silver": (652e-6, 3876e-6),
        "gold": (0.0, 993e-6),
        "palladium": (0.0, 74e-6),
    }.items():
        assert (ic[mineral].low, ic[mineral].high) == pytest.approx((low, high))
        assert ic[mineral].fraction == pytest.approx((low + high) / 2)


def _route(cells) -> Match:
    return combine(Match(None, "none", 0.0, ""), recognise(cells), load_kinds())


@pytest.mark.parametrize(
    "cells",
    [
        [("designator", "U1"), ("value", "STM32F405RGT6"), ("footprint", "LQFP-64")],
        [("description", "IC REG LDO 3.3V 1A SOT223")],
        [("designator", "U3"), ("footprint", "Package_SO:SOIC-8_3.9x4.9mm_P1.27mm")],
    ],
)
def test_integrated_circuits_route_to_the_packaged_ic_archetype(cells):
    found = _route(cells)
    assert found.archetype == "ic_packaged", found.reason


@pytest.mark.parametrize(
    ("cells", "why"),
    [
        ([("description", "RES SMD 22 OHM 1% 1/10W 0603")], "thick-film chip resistors"),
        ([("designator", "Q1"), ("footprint", "SOT-23")], "discrete semiconductors"),
        ([("designator", "D2"), ("footprint", "D_SOD-123")], "discrete semiconductors"),
    ],
)
def test_kinds_without_a_sourced_composition_stay_unmapped_and_say_why(cells, why):
    found = _route(cells)
    assert found.archetype is None
    assert why in found.reason
