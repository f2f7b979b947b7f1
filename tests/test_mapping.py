"""Material mapping: the order of the rules, confidence, suggestions, masses."""

from __future__ import annotations

import pandas as pd
import pytest

from exposure_audit.mapping import Matcher, map_contents

from support import toy_reference


@pytest.fixture(scope="module")
def matcher():
    return Matcher(toy_reference())


@pytest.mark.parametrize(
    ("text", "mineral", "cas", "archetype", "method"),
    [
        ("anything at all", "cobalt", "", "mineral:cobalt", "mineral-column"),
        ("anything", "Kobalt", "", "mineral:cobalt", "mineral-column"),  # an alias
        ("anything", "Cu; Sn", "", "mineral:copper+tin", "mineral-column"),
        ("power transistor", "", "25617-97-4", "gan", "cas"),
        ("chip 25617-97-4 die", "", "", "gan", "cas"),
        ("ndfeb magnet", "", "", "ndfeb", "alias"),
        ("rotor | neodymium magnet", "", "", "ndfeb", "alias"),
        ("n52 12x5x3mm", "", "", "ndfeb", "pattern"),
        ("0.4mm enameled magnet wire", "", "", "copper_wire", "pattern"),
        ("ndfeb magnet wire", "", "", "copper_wire", "pattern"),  # priority 20 beats 10
        ("neodymium free motor ndfeb", "", "", None, "none"),  # vetoed by exclude
        ("sac 305", "", "", "sac305", "fuzzy"),
        ("zzzz qqqq", "", "", None, "none"),
    ],
)
def test_match_order(matcher, text, mineral, cas, archetype, method):
    match = matcher.match(text, mineral, cas)
    assert (match.archetype, match.method) == (archetype, method)


def test_unknown_mineral_cell_falls_back_to_text(matcher):
    match = matcher.match("ndfeb magnet", "unobtainium", "")
    assert match.archetype == "ndfeb" and match.method == "alias"


def test_confidence_by_method(matcher):
    assert matcher.match("x", "cobalt", "").confidence == 1.0
    assert matcher.match("ndfeb magnet", "", "").confidence == 0.95
    assert matcher.match("n42 block", "", "").confidence == 0.9
    assert matcher.match("rotor | n42 block", "", "").confidence == 0.8
    fuzzy = matcher.match("sac 305", "", "")
    assert 0.9 <= fuzzy.confidence < 1.0


def test_suggestions_for_unmapped_text(matcher):
    match = matcher.match("galium nitrid", "", "")
    assert match.archetype is None or match.archetype == "gan"
    assert "gan" in match.suggestions or match.archetype == "gan"


def _bom(rows):
    defaults = {
        "mineral": "",
        "cas_number": "",
        "valid": True,
        "line_mass_kg": float("nan"),
        "quantity": 1.0,
        "description": "",
    }
    frame = pd.DataFrame([{**defaults, **row} for row in rows])
    frame["row"] = range(2, 2 + len(frame))
    return frame


def test_map_contents_expands_minerals_and_estimates_mass():
    bom = _bom(
        [
            {"text": "ndfeb magnet", "line_mass_kg": 0.1},
            {"text": "gan", "quantity": 3.0},
            {"text": "mystery"},
            {"text": "ndfeb magnet", "valid": False},
        ]
    )
    mapping = map_contents(bom, toy_reference())
    contents = mapping.contents
    assert list(contents["line"]) == [0, 0, 1]
    assert list(contents["mineral"]) == ["dysprosium", "neodymium", "gallium"]
    assert contents["mass_kg"].tolist() == pytest.approx([0.01, 0.03, 0.003])
    assert contents["estimated"].tolist() == [False, False, True]
    assert mapping.lines["mapped"].tolist() == [True, True, False, False]
    issues, counts = mapping.issues.to_models()
    assert counts == {"estimated-mass": 1, "unknown-material": 1}
    assert {(i.code, i.row) for i in issues} == {("estimated-mass", 3), ("unknown-material", 4)}


def test_each_distinct_text_is_matched_once(monkeypatch):
    reference = toy_reference()
    calls = []
    original = Matcher.match

    def counting(self, *args):
        calls.append(args)
        return original(self, *args)

    monkeypatch.setattr(Matcher, "match", counting)
    bom = _bom([{"text": "ndfeb magnet"}] * 500 + [{"text": "gan"}] * 500)
    map_contents(bom, reference)
    assert len(calls) == 2
