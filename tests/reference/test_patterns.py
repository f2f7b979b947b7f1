"""`pattern_needs`: strings that any match of a material pattern holds (the mapper's prefilter)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exposure_audit.reference import load_reference
from exposure_audit.reference.patterns import pattern_needs


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        (r"\blead acid\b", {("lead acid", True)}),
        (r"\b(nmc|ncm) ?811\b", {(f"{a}{s}811", True) for a in ("nmc", "ncm") for s in ("", " ")}),
        (r"\bn5[0-2]\b", {("n50", True), ("n51", True), ("n52", True)}),
        (r"\bcu (alloy|ni)\b", {("cu alloy", True), ("cu ni", True)}),
        (r"(?<!with )\bwire\b", {("wire", True)}),  # a lookbehind that must fail needs nothing
        (r"^(?!.*\bfree\b).*\bmagnet\b", {("magnet", True)}),
        (r"lithium", {("lithium", False)}),  # no \b: anywhere, even inside a word
        (r"\B(ion|ide)\b", {("ion", False), ("ide", False)}),
        (r"\b-foo", {("-foo", False)}),  # \b before a non-word character starts no word
        (r"\bspot weld\w*", {("spot weld", True)}),
        (r"a(?:bcdef|\w+ghijk)*z", {("a", False)}),  # what may repeat 0 times is not needed
        (r"\b(?<=xyzzy )ab", {("ab", True)}),  # a lookbehind's text need not start a word
        (r"(?i)cobalt", None),  # flags change what the letters mean
        (r"(?a)\bab\b", None),
        (r"\w+", None),
        (r"foo|\d+", None),
    ],
)
def test_pattern_needs(pattern, needs):
    assert pattern_needs(pattern) == needs


def test_lookaheads_each_name_a_need():
    need = pattern_needs(r"^(?=.*\bnca\b)(?=.*\b(pack|packs)\b)")
    assert need in ({("nca", True)}, {("pack", True), ("packs", True)})


TRICKY = [
    r"foo(bar|\w+baz)*qux",
    r"(?<=\bab )cd",
    r"(?<=x)yz",
    r"^-?\d+ ?awg\b",
    r"\bcap(acitor|acitors)?s?\b",
    r"(ab|cd)+ef",
    r"a{2,3}b",
    r"\B(ion|ide)\b",
    r"\bli ?po(ly|lymer)?\b",
    r"(foo)?\bbar",
    r"\b(?=\w*\d)\w+mm\b",
    r"(?!no )\bgood\b",
    r"a.b",
    r"[^x]yz",
    r"(?i:abc)d",
    r"(a|b|c|d|e|f|g|h)(a|b|c|d|e|f|g|h)(a|b|c|d|e|f|g|h)",
    r"(?P<x>ab)(?P=x)",
    r"(a)?(?(1)b|c)d",
    r"(?>abc)d",
    r"ab*+c",
    r"\Aabc",
    r"abc$",
    r"\b(a|b\w*)c",
    r"(?<!\w)ab",
    r"[0-9]{2}v\b",
    r"\b1[.,]5 ?mm\b",
    r"(\bab)+c",
    r"é\w*|\bcafé",
    r"a(?:bcdef|\w+ghijk)*z",
    r"\b(?<=xyzzy )ab",
]


def _holds(text: str, string: str, at_word: bool) -> bool:
    if not at_word:
        return string in text
    return any(
        text.startswith(string, i) and (i == 0 or re.match(r"\W", text[i - 1]) is not None)
        for i in range(len(text))
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.sampled_from(TRICKY).flatmap(lambda p: st.tuples(st.just(p), st.from_regex(p))))
def test_every_text_a_pattern_matches_holds_one_of_its_needs(drawn):
    pattern, text = drawn
    need = pattern_needs(pattern)
    assert need is None or any(_holds(text, s, at_word) for s, at_word in need), need


def test_loaded_reference_carries_the_needs_of_every_pattern():
    reference = load_reference()
    patterns = {p for m in reference.materials.values() for p in m.patterns}
    assert reference.pattern_needs == {p: pattern_needs(p) for p in patterns}
    # Only a pattern whose needs cannot be read is searched in every text.
    assert all(need is not None for need in reference.pattern_needs.values())
