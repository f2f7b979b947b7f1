"""Material mapping: the order of the rules, confidence, suggestions, masses."""

from __future__ import annotations

import re
from functools import cache

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exposure_audit.engine.mapping import Matcher, _past_purpose, map_contents
from exposure_audit.reference import ReferenceSet, load_reference

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


def test_patterns_compiled_ahead_match_as_compiled_on_first_use():
    texts = ["n52 12x5x3mm", "0.4mm enameled magnet wire", "neodymium free motor ndfeb", "sac 305"]
    ahead = Matcher(toy_reference())
    ahead.compile_all()
    assert all(p is not None for p in ahead._compiled)
    assert ahead.match_all([(t, "", "") for t in texts]) == Matcher(toy_reference()).match_all(
        [(t, "", "") for t in texts]
    )


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
    original = Matcher.match_all

    def counting(self, keys, masked=None):
        keys = list(keys)
        calls.append(keys)
        return original(self, keys, masked)

    monkeypatch.setattr(Matcher, "match_all", counting)
    bom = _bom([{"text": "ndfeb magnet"}] * 500 + [{"text": "gan"}] * 500)
    map_contents(bom, reference)
    assert sorted(calls[0]) == [("gan", "", ""), ("ndfeb magnet", "", "")] and len(calls) == 1


def test_categorical_columns_map_like_text_columns():
    rows = [
        {"text": "ndfeb magnet", "mineral": "cobalt"},
        {"text": "ndfeb magnet"},
        {"text": "gan", "cas_number": "25617-97-4", "quantity": 2.0},
        {"text": "mystery", "mineral": "unobtainium"},
        {"text": "n42 block", "valid": False},
        {"text": "ndfeb magnet", "mineral": "cobalt"},
    ]
    plain = map_contents(_bom(rows), toy_reference())
    bom = _bom(rows)
    for column in ("text", "mineral", "cas_number", "description"):
        # Unused categories must not add archetypes to the composition.
        bom[column] = bom[column].astype("category").cat.add_categories(["sac 305 unused"])
    categorical = map_contents(bom, toy_reference())
    pd.testing.assert_frame_equal(categorical.lines, plain.lines)
    pd.testing.assert_frame_equal(categorical.composition, plain.composition)
    assert categorical.issues.to_models() == plain.issues.to_models()
    # The archetype is a Categorical: a missing one reads as NaN, like a text column's.
    assert plain.lines["archetype"].astype(object).fillna("").tolist()[:4] == [
        "mineral:cobalt",
        "ndfeb",
        "gan",
        "",
    ]


def test_empty_bom_maps_to_nothing():
    mapping = map_contents(_bom([{"text": "x"}]).iloc[:0], toy_reference())
    assert mapping.lines.empty and mapping.composition.empty
    assert mapping.issues.to_models() == ([], {})


# --- the pattern prefilter against a plain search of every pattern (bundled reference) ----------


@cache
def _bundled() -> tuple[ReferenceSet, Matcher]:
    reference = load_reference()
    return reference, Matcher(reference)


@cache
def _rules() -> list[tuple[int, str, list[re.Pattern[str]], list[re.Pattern[str]]]]:
    """The bundled pattern rules by priority, highest first, compiled."""
    reference, _ = _bundled()
    rules = sorted(
        (m for m in reference.materials.values() if m.patterns), key=lambda m: -m.priority
    )
    return [
        (m.priority, m.id, [re.compile(p) for p in m.patterns], [re.compile(p) for p in m.exclude])
        for m in rules
    ]


def _search_every_pattern(text: str) -> tuple[str, str] | None:
    """The pattern rule as specified, without the prefilter: (archetype, reason) or None."""
    best = None
    for priority, material_id, patterns, excludes in _rules():
        if best is not None and priority < best[0]:
            break
        for pattern in patterns:
            found = pattern.search(text)
            if found is None or _past_purpose(text, found.start()):
                continue  # past "for"/"with"/"if": what the part goes with, not the part
            if not any(ex.search(text) for ex in excludes):
                key = (priority, found.end() - found.start(), -found.start())
                if best is None or key > best[:3]:
                    best = (*key, material_id, found.group(0))
            break
    return None if best is None else (best[3], f"pattern of {best[3]} matched {best[4]!r}")


def _needed_strings() -> list[str]:
    reference, _ = _bundled()
    needs = reference.pattern_needs.values()
    return sorted({s for need in needs if need for s, _ in need})


def _corpus() -> list[str]:
    """Texts around every string a pattern needs: alone, inside words, and next to others."""
    strings = _needed_strings()
    texts = []
    for i, s in enumerate(strings):
        other = strings[(i * 7 + 3) % len(strings)]
        texts += [s, f"x{s}", f"{s}s", f"{other} {s} | {other}", s[1:]]
    return texts


def test_prefilter_keeps_every_pattern_a_text_matches():
    _, matcher = _bundled()
    patterns = [re.compile(p) for p in matcher._sources]
    for text in _corpus():
        candidates = matcher._prefilter.candidates(text)
        for index, pattern in enumerate(patterns):
            if not candidates >> index & 1:
                assert pattern.search(text) is None, (pattern.pattern, text)


def test_pattern_match_equals_searching_every_pattern():
    _, matcher = _bundled()
    for text in _corpus():
        found = matcher._pattern(text)
        assert (found and (found.archetype, found.reason)) == _search_every_pattern(text), text


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(st.data())
def test_prefilter_keeps_a_pattern_for_texts_it_matches(data):
    # Texts drawn from each pattern itself, so this does not lean on what the prefilter read.
    _, matcher = _bundled()
    index = data.draw(st.integers(0, len(matcher._sources) - 1))
    text = data.draw(st.from_regex(matcher._sources[index]))
    assert matcher._prefilter.candidates(text) >> index & 1, (matcher._sources[index], text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["magnet", "cell", "pack", "free", "with", "|", "x", "n52"])
        | st.deferred(lambda: st.sampled_from(_needed_strings())),
        min_size=1,
        max_size=6,
    )
)
def test_pattern_match_equals_searching_every_pattern_for_any_mix(words):
    _, matcher = _bundled()
    text = " ".join(words)
    found = matcher._pattern(text)
    assert (found and (found.archetype, found.reason)) == _search_every_pattern(text), text


def test_fuzzy_ranks_like_process_extract():
    from rapidfuzz import fuzz, process

    _, matcher = _bundled()
    aliases = matcher._alias_keys
    parts = [a[:-1] for a in aliases[::7]] + [a[1:] + " x" for a in aliases[3::11]] + ["sac 305"]
    found = matcher._fuzzy([[p] for p in parts])
    for part, match in zip(parts, found, strict=True):
        # What `Matcher` did before scoring all parts at once: five best per scorer.
        expected = [
            (alias, score)
            for scorer in (fuzz.ratio, fuzz.token_sort_ratio)
            for alias, score, _ in process.extract(part, aliases, scorer=scorer, limit=5)
        ]
        assert match == matcher._fuzzy_one([part], [expected]), part


@pytest.mark.parametrize(
    ("text", "archetype"),
    [
        ("needed only if your control board has no drivers | thermal cement", None),
        ("for power button | jst ph 2.0mm 200mm 4pin", None),
        ("spacer for pcb", None),
        ("control board", "pcb_generic"),
        ("germanium window for thermal sensor", "ge_optics"),  # the part itself comes first
    ],
)
def test_a_pattern_past_a_purpose_word_names_what_the_part_goes_with(text, archetype):
    _, matcher = _bundled()
    found = matcher._pattern(text)
    assert (found.archetype if found else None) == archetype
