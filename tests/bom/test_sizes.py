"""Size keys of mechanical parts and cells (bom/sizes.py), as recognition reports them: one
size gives one key however the BOM spells it, and a key never claims a size the text lacks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exposure_audit.bom import sizes
from exposure_audit.bom.recognise import recognise


@pytest.mark.parametrize(
    ("text", "kind", "size"),
    [
        ("608ZZ bearing", "bearing", "608"),
        ("608-2RS", "bearing", "608"),
        ("F688ZZ flanged bearing", "bearing", "F688"),
        ("6805-2RS Bearing", "bearing", "6805"),
        ("LM8UU linear bearing", "bearing", "LM8UU"),
        ("M3x8 SHCS", "fastener", "M3x8 SHCS"),
        ("M3 x 8 socket head cap screw", "fastener", "M3x8 SHCS"),
        ("DIN 912 M4x12 12.9", "fastener", "M4x12 SHCS"),
        ("M5x10 button head screw", "fastener", "M5x10"),  # another head: no SHCS key
        ("M3 nylock nut", "fastener", "M3"),
        ("INR21700-40T", "battery_cell", "21700"),
        ("Samsung 18650 cell", "battery_cell", "18650"),
        ("NEMA 17 stepper motor 48mm", "stepper_motor", "NEMA17"),
        ("17HS4401 stepper", "stepper_motor", "NEMA17"),
        ("MGN12H carriage", "linear_rail", "MGN12H"),
        ("10k 0603 resistor", "resistor_chip", "0603"),  # electronics keep their package
    ],
)
def test_size_keys(text, kind, size):
    found = recognise([("description", text)])
    assert (found.kind, found.package) == (kind, size)


def test_a_size_code_in_another_kind_of_line_is_not_its_package():
    """A bearing code on a line that is a stepper motor is not the motor's size."""
    found = recognise([("description", "NEMA 17 stepper motor with 608ZZ bearing")])
    assert found.kind == "stepper_motor"
    assert found.package == "NEMA17"


@given(st.sampled_from(["", "Z", "ZZ", "2RS", "-2RS", "RS", "2Z", "-ZZ"]))
def test_shields_and_seals_do_not_change_the_bearing_key(suffix):
    assert sizes.bearing("608" + suffix) == "608"
    assert sizes.bearing("MR105" + suffix) == "MR105"


def test_sizes_are_read_across_a_lines_cells():
    """The size and the head may sit in different cells; a length read from a later cell
    outranks a bare thread size from an earlier one."""
    found = recognise([("description", "Socket head cap screw"), ("part_number", "M3x8")])
    assert (found.kind, found.package) == ("fastener", "M3x8 SHCS")
    found = recognise([("description", "M3 screw, black oxide"), ("notes", "M3x10")])
    assert found.package == "M3x10"
    found = recognise([("description", "Ball bearing"), ("mpn", "625-2RS")])
    assert (found.kind, found.package) == ("bearing", "625")
