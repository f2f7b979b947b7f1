"""Lines marked not to be placed (DNP, DNF, "do not mount", "not fitted", Place = NO).

Electronics BOMs list every symbol of the schematic, including parts left off the board: a
spare footprint, an option, a test point. Such a line is no part bought or built in, so it is
left out of the audit and counted (issue `not-placed`). Two signs are read:

- a placement column: a negative one ("DNP", "DNF", "Do not place") marks a line by any
  cell that says yes ("x", "yes", "1", "DNP"); a positive one ("Place", "Populate", "Fitted",
  "Mount", "Bestücken") by a cell that says no ("NO", "n", "0", "false", "nein", "DNP");
- a text cell (value, description, notes/comment) that says so in words: "DNP", "do not
  place", "do not mount", "not fitted", "nicht bestücken", "ne pas monter", ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Protocol

import numpy as np

from exposure_audit.bom.columns import ColumnMap, header_key
from exposure_audit.text import fold

__all__ = ["NEGATIVE_HEADERS", "not_placed", "says_not_placed"]


class TextCodes(Protocol):
    """A column as codes into distinct texts (`clean._Text`)."""

    codes: np.ndarray

    @property
    def values(self) -> Iterable[str]: ...


NEGATIVE_HEADERS = frozenset(
    header_key(h)
    for h in ("dnp", "dnf", "dni", "do not place", "do not populate", "do not fit", "not fitted")
    + ("no fit", "nf")
)
"""Placement headers whose "yes" means the part is left off."""

_YES = frozenset({"x", "y", "yes", "1", "true", "ja", "oui", "si", "sim", "dnp", "dnf", "dni"})
_NO = frozenset({"n", "no", "0", "false", "nein", "non", "nao", "-", "dnp", "dnf", "dni", "nf"})
_NOT_PLACED = re.compile(
    r"^(?:dnp|dnf|dni|nf|n f|nm|no pop|no stuff|no fit|nicht bestuckt|nicht bestucken)$"
    r"|\b(?:dnp|dnf|dni)\b"
    r"|\bdo not (?:place|populate|fit|mount|assemble|stuff|install|solder)\b"
    r"|\bnot (?:fitted|placed|populated|mounted|assembled|stuffed|installed)\b"
    r"|\bnicht (?:bestuckt|bestucken|bestuckung|montieren|montiert)\b"
    r"|\bne pas (?:monter|placer|equiper)\b|\bnon (?:monte|montare|montato)\b"
    r"|\bno (?:montar|montado|colocar|instalar)\b|\bnao montar\b"
)


def says_not_placed(text: str) -> bool:
    """Whether a text cell says its line is not placed.

    >>> [says_not_placed(t) for t in ("DNP", "100nF DNP", "Do not mount", "DNPX", "Stepper")]
    [True, True, True, False, False]
    """
    return bool(text) and _NOT_PLACED.search(fold(text)) is not None


def _flag_cell(text: str, negative: bool) -> bool:
    key = fold(text)
    if not key:
        return False
    if negative:
        return key in _YES or says_not_placed(text)
    return key in _NO or says_not_placed(text)


def not_placed(
    columns: ColumnMap, text_of: Callable[[str], TextCodes], n: int
) -> tuple[np.ndarray, list[str]]:
    """Which of the `n` records are marked not placed, and the headers that said so.

    `text_of(header)` gives a column's text codes over every record. Each distinct cell is
    judged once.
    """
    marked = np.zeros(n, dtype=bool)
    said: list[str] = []
    placement = columns.header("placement")
    if placement is not None:
        negative = header_key(_base(placement)) in NEGATIVE_HEADERS
        hit = _per_line(text_of(placement), lambda t: _flag_cell(t, negative))
        if hit.any():
            marked |= hit
            said.append(placement)
    headers = [columns.header("value"), *columns.text.get("description", [])]
    headers += columns.text.get("notes", [])
    for header in dict.fromkeys(h for h in headers if h):
        hit = _per_line(text_of(header), says_not_placed)
        if hit.any():
            marked |= hit
            said.append(header)
    return marked, said


def _per_line(text: TextCodes, judge: Callable[[str], bool]) -> np.ndarray:
    verdicts = np.fromiter((judge(str(v)) for v in text.values), dtype=bool)
    return verdicts[text.codes] if len(verdicts) else np.zeros(len(text.codes), dtype=bool)


def _base(header: str) -> str:
    """A header without its bracketed hint: "Place (YES/NO)" -> "Place"."""
    return re.sub(r"[\(\[\{].*?[\)\]\}]", " ", header).strip() or header
