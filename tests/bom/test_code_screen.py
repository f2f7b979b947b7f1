"""The part-number screen (bom/code_screen.py) skips only cells recognition reads nothing from."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exposure_audit.bom import code_screen, recognise
from exposure_audit.engine import mapping

# Codes that every kind of rule reads: maker series (with a distributor prefix), JEDEC and
# makers' semiconductor families, footprints, packages, values, cell codes, size codes.
READ = [
    "GRM188R71H104KA93D",
    "81-GRM39X472J50D",
    "595-TPS54331DR",
    "1N4148W",
    "STM32F103C8T6",
    "C_0805_2012Metric",
    "R0603",
    "SOT-23",
    "10k",
    "100nF",
    "X7R",
    "INR21700-40T",
    "608ZZ",
    "M4x12",
    "MGN12H",
    "2020",
    "2212-920KV",
    "EPC2045",
]


def _reads(header: str, text: str) -> bool:
    cell = recognise._read_cell(header, text, False, False)
    return bool(cell.evidence or cell.materials or cell.package)


def test_the_screen_compiles_for_re2():
    assert code_screen.screen_pattern() is not None


@pytest.mark.parametrize("code", READ)
def test_codes_recognition_reads_are_never_skipped(code):
    assert _reads("part_number", code)
    assert not code_screen.unreadable("part_number", np.array([code], dtype=object))[0]


def test_plain_order_codes_are_skipped():
    codes = np.array(["P00228-0000000", "ABC-123", "ITEM0042"], dtype=object)
    assert code_screen.unreadable("part_number", codes).all()
    assert not any(_reads("part_number", c) for c in codes)


def test_prose_designators_and_non_ascii_are_always_read():
    assert not code_screen.unreadable("description", np.array(["ABC-123"], dtype=object))[0]
    assert not code_screen.unreadable("designator", np.array(["R12"], dtype=object))[0]
    assert not code_screen.unreadable("part_number", np.array(["ＡＢ１２"], dtype=object))[0]
    assert not code_screen.unreadable("part_number", np.array(["two words 1"], dtype=object))[0]


@pytest.mark.parametrize(
    ("pattern", "loose"),
    [
        (r"(?<![0-9])(?P<size>0402|0603)(?![0-9])", r"(?:0402|0603)"),
        (r"^[^]a-z](?=x)\d+$", r"^[^]a-z]\d+$"),
        (r"(?<![\w.-])(?:bolt)(?![\w-])", r"(?:bolt)"),
        (r"\(?P<not a group>", r"\(?P<not a group>"),
    ],
)
def test_loosen_drops_lookarounds_and_group_names_only(pattern, loose):
    assert code_screen.loosen(pattern) == loose


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghkmnpruvxz0123456789-._/#+",
        min_size=1,
        max_size=18,
    ),
    st.sampled_from(["part_number", "mpn", "value", "footprint", "manufacturer", "Order code"]),
)
def test_whatever_the_screen_skips_recognition_reads_nothing_from(text, header):
    """The screen's promise, on random code-like cells: skipped means unread."""
    if code_screen.unreadable(header, np.array([text], dtype=object))[0]:
        assert not _reads(header, text), text


def test_every_rule_pattern_is_in_the_screen():
    """A rule added to recognise is screened for without being listed anywhere."""
    screened = {p.pattern for p in code_screen._patterns()}
    for name, value in vars(recognise).items():
        if isinstance(value, re.Pattern) and name not in code_screen._NOT_TOKEN_RULES:
            assert value.pattern in screened, name


def test_mapping_gives_the_same_matches_with_and_without_the_screen(monkeypatch):
    """Lines that differ only in a part number are recognised once, with the same result."""
    rows = []
    for i in range(60):
        rows.append((f"P{i:05d}-{i:07d}", "", "R_0603_1608Metric", "10k"))
        rows.append((f"GRM188R71H{i:03d}KA93D", "", "", ""))
        rows.append((f"X{i}", "Widget", "", ""))
    bom = pd.DataFrame(rows, columns=["part_number", "description", "footprint", "value"])
    matches = [mapping.Match(None, "none", 0.0, "")]
    codes = np.zeros(len(bom), dtype=np.int64)
    kinds = mapping.load_kinds()
    screened_codes, screened = mapping._recognise_unmapped(bom, codes, matches, kinds)
    monkeypatch.setattr(mapping, "unreadable", lambda header, values: np.zeros(len(values), bool))
    plain_codes, plain = mapping._recognise_unmapped(bom, codes, matches, kinds)
    assert [screened[c] for c in screened_codes] == [plain[c] for c in plain_codes]
    assert len(screened) < len(plain)  # the order codes were read once, not 60 times
