"""Which code cells (part numbers, order codes) recognition can read nothing from, found for a
whole column at once.

A part-number column is mostly distinct values, so caching `recognise` per cell does not help
there: each value would pay a few dozen Python-level pattern calls. This screen runs one
regular expression, in Arrow's RE2 engine, over all of a column's distinct values. The
expression is a loosened union of every pattern `bom.recognise` defines (lookarounds removed,
so it matches wherever any of them could): a value it does not match cannot match any of them,
and is left out of recognition, which is exactly what reading it would have given. Values the
screen cannot judge (non-ASCII text, where RE2's ASCII classes differ from Python's, or prose)
are always read.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from exposure_audit.bom import recognise

# recognise's helpers that are not rules on a code cell's token: the tokeniser, the
# designator rules (run only on designator columns, which are never screened) and the prose
# clause splitter. Leaving them out only narrows the screen; a rule left out by mistake would
# widen what is skipped, which tests/bom/test_code_screen.py checks against recognise itself.
_NOT_TOKEN_RULES = frozenset(
    {"_SPLIT", "_DISTRIBUTOR", "_DESIGNATOR", "_DESIGNATOR_HEADERS", "_CLAUSE", "_SPEC_TOKEN"}
    # mask_codes' token splitter (it matches any token: it is no rule)
    | {"_CODE_CELL", "_CODE_JOINT"}
    # dielectric_class reads tokens other rules recognised already; _MOLDED_CHIP the tail of
    # a footprint _KICAD_FOOTPRINT matched
    | {"_CLASS_I", "_CLASS_II", "_MURATA_TC", "_SAMSUNG_TC", "_MICROFARADS", "_MOLDED_CHIP"}
)
_PROSE_RULES = frozenset({"_WORD_RULES", "_MATERIAL_RULES"})  # read on prose cells only
_SPLIT_CHARS = " \t\r\n\f\v,;|/()[]{}\"'"


def _patterns() -> list[re.Pattern[str]]:
    found: list[re.Pattern[str]] = []

    def collect(value: object) -> None:
        if isinstance(value, re.Pattern):
            found.append(value)
        elif isinstance(value, tuple | list):
            for item in value:
                collect(item)

    for name, value in vars(recognise).items():
        if name not in _NOT_TOKEN_RULES and name not in _PROSE_RULES:
            collect(value)
    return found


def loosen(pattern: str) -> str:
    """`pattern` without lookarounds and group names: it matches wherever `pattern` does
    (and maybe more), and RE2 can run it."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif c == "[":
            end = _class_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        elif pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            i = _group_end(pattern, i)
        elif pattern.startswith("(?P<", i):
            out.append("(?:")
            i = pattern.index(">", i) + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _class_end(pattern: str, start: int) -> int:
    """Index just past the character class opening at `start`."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":  # a leading ] is a literal
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _group_end(pattern: str, start: int) -> int:
    """Index just past the group opening at `start`."""
    depth, i = 0, start
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _class_end(pattern, i)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


@cache
def screen_pattern() -> str | None:
    """The union RE2 runs, or None when RE2 cannot compile it (then nothing is screened)."""
    union = "|".join(f"(?:{loosen(p.pattern)})" for p in _patterns())
    try:
        pc.match_substring_regex(pa.array(["x"]), union, ignore_case=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return union


def unreadable(header: str, values: np.ndarray) -> np.ndarray:
    """For each text value of a column, whether recognition would read nothing from it (True)
    or it must be read (False). Only code cells are screened: one ASCII token holding a digit,
    in a column that is neither prose nor designators."""
    skip = np.zeros(len(values), dtype=bool)
    union = screen_pattern()
    if (
        union is None
        or not len(values)
        or header in recognise._PROSE_FIELDS
        or header == "designator"
        or recognise._DESIGNATOR_HEADERS.search(header)
    ):
        return skip
    text = pa.array(values, type=pa.large_string(), from_pandas=True)
    token = pc.utf8_trim(text, _SPLIT_CHARS)
    code = pc.and_(
        pc.and_(pc.string_is_ascii(token), pc.match_substring_regex(token, r"[0-9]")),
        pc.invert(pc.match_substring_regex(token, r"[\s,;|/()\[\]{}\"']")),
    )
    # Token rules read the token as it is and without a distributor's "512-" prefix; the
    # size rules read the whole cell.
    unprefixed = pc.replace_substring_regex(token, r"^[0-9]{2,3}-", "")
    maybe = pc.match_substring_regex(text, union, ignore_case=True)
    for variant in (token, unprefixed):
        maybe = pc.or_(maybe, pc.match_substring_regex(variant, union, ignore_case=True))
    skip = pc.and_(code, pc.invert(maybe))
    return np.asarray(skip.fill_null(False), dtype=bool)
