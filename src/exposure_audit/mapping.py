"""Canonical BOM x reference -> what each line is made of, per mineral.

Each distinct (text, mineral, CAS) combination is matched once, in this order: the BOM's own
mineral column, a CAS number, an exact alias, a pattern rule, a fuzzy match; the result is joined
back to every line that carries it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from exposure_audit.bom.clean import factorize_columns
from exposure_audit.issues import IssueCode, IssueLog
from exposure_audit.reference import ReferenceSet
from exposure_audit.reference.models import Material
from exposure_audit.text import fold

FUZZY_MATCH = 90.0
"""Similarity (0..100, plain or token-sorted) at or above which a fuzzy match is taken."""
FUZZY_SUGGEST = 60.0
PART_SEPARATOR = " | "
_MINERAL_SPLIT = re.compile(r"\s*(?:[,;/+&|]|\band\b)\s*", re.IGNORECASE)
_CAS = re.compile(r"\b\d{2,7}-\d{2}-\d\b")


@dataclass(frozen=True)
class Match:
    """How one distinct text was matched."""

    archetype: str | None
    method: str
    confidence: float
    reason: str
    suggestions: tuple[str, ...] = ()


@dataclass
class Mapping:
    """Per-line match columns and the per-archetype composition.

    Contents are not expanded per line and mineral up front: a line's contents are its
    archetype's composition times its mass basis, so scoring works per archetype and joins back
    by code. `contents` expands them on demand (tests, declarations)."""

    lines: pd.DataFrame
    """Indexed like the BOM: archetype, method, confidence, mapped (bool), suggestions,
    mass_basis_kg (the line mass, else typical unit mass x quantity) and estimated (bool)."""
    composition: pd.DataFrame
    """One row per archetype and mineral, sorted: archetype, mineral, fraction, typical_mass_kg."""
    issues: IssueLog

    @cached_property
    def contents(self) -> pd.DataFrame:
        """One row per line and mineral: line, archetype, mineral, fraction, mass_kg, estimated."""
        return expand_contents(self.lines, self.composition)


def composition_blocks(
    composition: pd.DataFrame, archetypes: Sequence[object]
) -> tuple[np.ndarray, np.ndarray]:
    """(start, count) of each archetype's rows in the sorted composition table (0 rows when it
    has none)."""
    position = pd.Series(np.arange(len(composition)), index=composition["archetype"].to_numpy())
    by_archetype = position.groupby(level=0)
    wanted = pd.Index(archetypes, dtype=object)
    starts = by_archetype.min().reindex(wanted).fillna(0).to_numpy(np.int64)
    counts = by_archetype.size().reindex(wanted).fillna(0).to_numpy(np.int64)
    return starts, counts


def expand(
    codes: np.ndarray, starts: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Repeat each item i (group codes[i] >= 0) once per row of its group's block.

    Returns (item positions, rows of the group table), items in order, each block in order."""
    items = np.flatnonzero(codes >= 0)
    n = counts[codes[items]]
    total = int(n.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    return np.repeat(items, n), np.repeat(starts[codes[items]], n) + offsets


def expand_contents(lines: pd.DataFrame, composition: pd.DataFrame) -> pd.DataFrame:
    mapped = lines["mapped"].to_numpy(bool)
    codes, archetypes = pd.factorize(lines["archetype"].where(mapped))
    starts, counts = composition_blocks(composition, archetypes)
    items, rows = expand(codes, starts, counts)
    fraction = composition["fraction"].to_numpy(float)[rows]
    basis = lines["mass_basis_kg"].to_numpy(float)[items]
    return pd.DataFrame(
        {
            "line": lines.index.to_numpy()[items],
            "archetype": composition["archetype"].to_numpy(dtype=object)[rows],
            "mineral": composition["mineral"].to_numpy(dtype=object)[rows],
            "fraction": fraction,
            "mass_kg": basis * fraction,
            "estimated": lines["estimated"].to_numpy(bool)[items],
        }
    )


class Matcher:
    """Matching rules compiled from the materials table (built once per reference set)."""

    def __init__(self, reference: ReferenceSet) -> None:
        self.reference = reference
        self.materials = reference.materials
        self.aliases: dict[str, str] = {}
        for material in self.materials.values():
            for alias in (*material.aliases, material.id.replace("_", " ")):
                self.aliases.setdefault(fold(alias), material.id)
        self.cas: dict[str, str] = {
            cas.strip(): m.id for m in self.materials.values() for cas in m.cas
        }
        self.mineral_names = reference.mineral_aliases()
        self._alias_keys = list(self.aliases)
        # For `_pattern`: the rules by priority, highest first (stable, so ties keep the table's
        # order). Each compiles its patterns on first use: a BOM touches a few of them.
        self._ordered = sorted(
            (
                _Rule(m.priority, m.id, tuple(m.patterns), tuple(m.exclude))
                for m in self.materials.values()
                if m.patterns
            ),
            key=lambda rule: -rule.priority,
        )

    @cached_property
    def rules(self) -> list[tuple[int, str, list[re.Pattern[str]], list[re.Pattern[str]]]]:
        """(priority, material id, patterns, excludes) per material with patterns, in table
        order."""
        return [
            (
                m.priority,
                m.id,
                [re.compile(p) for p in m.patterns],
                [re.compile(p) for p in m.exclude],
            )
            for m in self.materials.values()
            if m.patterns
        ]

    def match(self, text: str, mineral: str = "", cas: str = "") -> Match:
        """Match one line's folded text (parts joined by " | "), mineral cell and CAS cell."""
        if mineral.strip():
            ids = self.minerals_named(mineral)
            if ids and all(ids):
                return Match(
                    f"mineral:{'+'.join(ids)}",
                    "mineral-column",
                    1.0,
                    f"mineral column names {', '.join(ids)}",
                )
        for number in _CAS.findall(cas) + _CAS.findall(text):
            if number in self.cas:
                return Match(self.cas[number], "cas", 1.0, f"CAS number {number}")
        parts = [p for p in text.split(PART_SEPARATOR) if p]
        for part in parts:
            if part in self.aliases:
                return Match(self.aliases[part], "alias", 0.95, f"{part!r} is a known name")
        hit = self._pattern(text)
        if hit is not None:
            return hit
        if not parts:
            return Match(None, "none", 0.0, "no text to match")
        return self._fuzzy(parts)

    def minerals_named(self, cell: str) -> list[str | None]:
        """Mineral ids for a mineral cell ("Cobalt", "Cu; Sn", "Nd/Pr"); None where unknown."""
        names = [fold(n) for n in _MINERAL_SPLIT.split(cell) if fold(n)]
        return [self.mineral_names.get(n) for n in names]

    def _pattern(self, text: str) -> Match | None:
        best: tuple[int, int, int, str, str] | None = None
        for rule in self._ordered:
            if best is not None and rule.priority < best[0]:
                break  # a lower priority can no longer win
            if rule.quick is not None and rule.quick.search(text) is None:
                continue
            for pattern in rule.patterns:
                found = pattern.search(text)
                if found is None:
                    continue
                if any(ex.search(text) for ex in rule.excludes):
                    break
                # Higher priority first, then the longer match, then the earlier one.
                key = (
                    rule.priority,
                    found.end() - found.start(),
                    -found.start(),
                    rule.material_id,
                    found.group(0),
                )
                if best is None or key[:3] > best[:3]:
                    best = key
                break
        if best is None:
            return None
        in_first_part = text.find(best[4]) < len(text.split(PART_SEPARATOR)[0])
        return Match(
            best[3],
            "pattern",
            0.9 if in_first_part else 0.8,
            f"pattern of {best[3]} matched {best[4]!r}",
        )

    def _fuzzy(self, parts: Sequence[str]) -> Match:
        from rapidfuzz import fuzz, process

        best_score, best_id, best_part = 0.0, None, ""
        suggestions: dict[str, float] = {}
        for part in parts:
            # Plain similarity catches spacing ("sac 305"), token-sort catches word order.
            found = [
                *process.extract(part, self._alias_keys, scorer=fuzz.ratio, limit=5),
                *process.extract(part, self._alias_keys, scorer=fuzz.token_sort_ratio, limit=5),
            ]
            for alias, score, _ in found:
                material_id = self.aliases[alias]
                suggestions[material_id] = max(suggestions.get(material_id, 0.0), score)
                if score > best_score:
                    best_score, best_id, best_part = score, material_id, part
        ranked = tuple(
            m
            for m, s in sorted(suggestions.items(), key=lambda kv: (-kv[1], kv[0]))
            if s >= FUZZY_SUGGEST
        )[:3]
        if best_id is not None and best_score >= FUZZY_MATCH:
            return Match(
                best_id,
                "fuzzy",
                round(best_score / 100, 2),
                f"{best_part!r} resembles a name of {best_id}",
                ranked,
            )
        return Match(None, "none", 0.0, "no archetype matched", ranked)


class _Rule:
    """One material's patterns, compiled when first needed."""

    def __init__(
        self, priority: int, material_id: str, patterns: tuple[str, ...], excludes: tuple[str, ...]
    ) -> None:
        self.priority = priority
        self.material_id = material_id
        self._patterns = patterns
        self._excludes = excludes

    @cached_property
    def patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(p) for p in self._patterns]

    @cached_property
    def excludes(self) -> list[re.Pattern[str]]:
        return [re.compile(p) for p in self._excludes]

    @cached_property
    def quick(self) -> re.Pattern[str] | None:
        """One alternation of the patterns: a text it misses matches none of them."""
        return _any_of(self._patterns)


def _any_of(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """One regex matching wherever any of `patterns` matches (None when they cannot be joined,
    e.g. inline flags or back-references; the rule is then always tried)."""
    if len(patterns) < 2:
        return None
    joined = "|".join(f"(?:{p})" for p in patterns)
    if re.search(r"\\\d|\(\?P[=<]|\(\?[aiLmsux]", joined):
        return None
    try:
        return re.compile(joined)
    except re.error:
        return None


_MATCHERS: dict[int, Matcher] = {}


def matcher_for(reference: ReferenceSet) -> Matcher:
    """The compiled matcher for a reference set (compiled once per set)."""
    key = id(reference)
    matcher = _MATCHERS.get(key)
    if matcher is None or matcher.reference is not reference:
        matcher = Matcher(reference)
        _MATCHERS.clear()
        _MATCHERS[key] = matcher
    return matcher


def map_contents(bom: pd.DataFrame, reference: ReferenceSet, sheet: str | None = None) -> Mapping:
    """Match every line and expand it into per-mineral contents with masses where known."""
    matcher = matcher_for(reference)
    log = IssueLog(sheet=sheet)
    # Each distinct (text, mineral, CAS) is matched once; the three columns are factorized and
    # their codes combined, so no per-line key string is built.
    codes, (texts, minerals, cas) = factorize_columns(
        [bom["text"], bom["mineral"], bom["cas_number"]]
    )
    matches = [matcher.match(*key) for key in zip(texts, minerals, cas, strict=True)]
    table = pd.DataFrame(
        {
            "archetype": [m.archetype for m in matches],
            "method": [m.method for m in matches],
            "confidence": [m.confidence for m in matches],
            "reason": [m.reason for m in matches],
            "suggestions": [list(m.suggestions) for m in matches],
        }
    )
    lines = table.iloc[codes].reset_index(drop=True)
    lines.index = bom.index
    lines["mapped"] = lines["archetype"].notna() & bom["valid"].to_numpy()
    _report_unknown_minerals(bom, matcher, log)
    unmapped = lines["archetype"].isna() & bom["valid"]
    log.add_cells(
        IssueCode.UNKNOWN_MATERIAL,
        bom.loc[unmapped, "row"],
        bom.loc[unmapped, "description"],
        None,
        "no material archetype matches '{value}'; add a Material column, or --map",
    )

    archetypes = list(table["archetype"].dropna().unique())
    composition = _composition_table(reference, archetypes, matcher)
    composition = composition.sort_values(
        ["archetype", "mineral"], kind="stable", ignore_index=True
    )
    # A line's contents are its archetype's composition x its mass basis: the BOM mass where
    # given, else the typical unit mass x quantity (then the mass is "estimated").
    typical = composition.drop_duplicates("archetype").set_index("archetype")["typical_mass_kg"]
    line_typical = table["archetype"].map(typical).to_numpy(float)[codes] * bom[
        "quantity"
    ].to_numpy(float)
    line_mass = bom["line_mass_kg"].to_numpy(float)
    has_mass = ~np.isnan(line_mass)
    in_contents = table["archetype"].isin(typical.index).to_numpy(bool)[codes] & lines[
        "mapped"
    ].to_numpy(bool)
    lines["mass_basis_kg"] = np.where(has_mass, line_mass, line_typical)
    lines["estimated"] = in_contents & ~has_mass & ~np.isnan(line_typical)

    estimated = lines["estimated"].to_numpy(bool)
    if estimated.any():
        log.add_cells(
            IssueCode.ESTIMATED_MASS,
            bom.loc[estimated, "row"],
            lines.loc[estimated, "archetype"],
            None,
            "no mass given; the typical mass of {value} was used",
        )
    return Mapping(lines=lines, composition=composition, issues=log)


def _composition_table(
    reference: ReferenceSet, archetypes: Sequence[str], matcher: Matcher
) -> pd.DataFrame:
    records: list[tuple[str, str, float, float]] = []
    for archetype in archetypes:
        if archetype.startswith("mineral:"):
            ids = archetype.removeprefix("mineral:").split("+")
            records.extend((archetype, m, 1.0 / len(ids), np.nan) for m in ids)
            continue
        material: Material = reference.materials[archetype]
        typical = material.typical_mass.kg if material.typical_mass else np.nan
        records.extend((archetype, c.mineral, c.fraction, typical) for c in material.composition)
    return pd.DataFrame(records, columns=["archetype", "mineral", "fraction", "typical_mass_kg"])


def _report_unknown_minerals(bom: pd.DataFrame, matcher: Matcher, log: IssueLog) -> None:
    cells = bom["mineral"]
    if not cells.ne("").any():
        return
    uniques = pd.unique(cells[cells.ne("")])
    unknown = {u for u in uniques if not all(matcher.minerals_named(u))}
    bad = cells.isin(unknown)
    log.add_cells(
        IssueCode.UNKNOWN_MINERAL,
        bom.loc[bad, "row"],
        cells[bad],
        None,
        "mineral '{value}' is not in the reference; the material text was used instead",
    )
