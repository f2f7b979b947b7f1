"""Canonical BOM x reference -> what each line is made of, per mineral.

Each distinct (text, mineral, CAS) combination is matched once, in this order: the BOM's own
mineral column, a CAS number, an exact alias, a pattern rule, a fuzzy match; the result is joined
back to every line that carries it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from exposure_audit.bom.code_screen import unreadable
from exposure_audit.bom.recognise import PURPOSE_WORDS, Recognition, mask_codes, recognise
from exposure_audit.engine.components import KindSpec, PackageMass, kinds_for, load_kinds
from exposure_audit.issues import IssueCode, IssueLog
from exposure_audit.reference import ReferenceSet
from exposure_audit.reference.models import Material
from exposure_audit.reference.patterns import Need, pattern_needs
from exposure_audit.reference.queries import (
    ID_SHAPE,
    close_names,
    material_detail,
    material_summary,
    not_found,
)
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
    unit_mass: PackageMass | None = None
    """The published mass of one part of the recognised kind in its package (components.yaml
    `masses`), used when the BOM gives no mass."""
    kind: str | None = None
    """The recognised component kind the match came from (None: the text alone decided)."""


@dataclass
class Contents:
    """Per-line match columns and the per-archetype composition.

    Contents are not expanded per line and mineral up front: a line's contents are its
    archetype's composition times its mass basis, so scoring works per archetype and joins back
    by code. `contents` expands them on demand (tests, declarations)."""

    lines: pd.DataFrame
    """Indexed like the BOM: archetype (a Categorical, NaN when unmatched), method, confidence,
    mapped (bool), suggestions, mass_basis_kg (the line mass, else typical unit mass x quantity)
    and estimated (bool)."""
    composition: pd.DataFrame
    """One row per archetype and mineral, sorted: archetype, mineral, fraction, typical_mass_kg."""
    issues: IssueLog

    @cached_property
    def contents(self) -> pd.DataFrame:
        """One row per line and mineral: line, archetype, mineral, fraction, mass_kg, estimated."""
        return expand_contents(self.lines, self.composition)


def composition_blocks(
    composition: pd.DataFrame, archetypes: Iterable[object]
) -> tuple[np.ndarray, np.ndarray]:
    """(start, count) of each archetype's rows in the sorted composition table (0 rows when it
    has none)."""
    # A few hundred rows: plain dicts beat a pandas groupby here.
    first: dict[object, int] = {}
    size: dict[object, int] = {}
    for i, archetype in enumerate(composition["archetype"].tolist()):
        first.setdefault(archetype, i)
        size[archetype] = size.get(archetype, 0) + 1
    starts = np.array([first.get(a, 0) for a in archetypes], dtype=np.int64)
    counts = np.array([size.get(a, 0) for a in archetypes], dtype=np.int64)
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
        # For `_pattern`: every pattern, the rules by priority, highest first (stable, so ties
        # keep the table's order), each rule's patterns in order. Pattern i is bit i of the
        # prefilter's masks; it is compiled on first use, as a BOM touches only some of them.
        rules = sorted(
            (m for m in self.materials.values() if m.patterns), key=lambda m: -m.priority
        )
        self._rule_of = [rule for rule in rules for _ in rule.patterns]
        self._sources = [p for rule in rules for p in rule.patterns]
        self._compiled: list[re.Pattern[str] | None] = [None] * len(self._sources)
        self._compiled_excludes: dict[str, list[re.Pattern[str]]] = {}
        # Worked out when the reference was loaded, unless the set was built some other way.
        needs = [
            reference.pattern_needs[p] if p in reference.pattern_needs else pattern_needs(p)
            for p in self._sources
        ]
        self._prefilter = _Prefilter(needs)

    def match(
        self, text: str, mineral: str = "", cas: str = "", masked: str | None = None
    ) -> Match:
        """Match one line's folded text (parts joined by " | "), mineral cell and CAS cell.
        `masked`: the text with part numbers' letter codes blanked (`masked_text`), which the
        patterns read; the text itself when None."""
        return self.match_all([(text, mineral, cas)], None if masked is None else [masked])[0]

    def match_all(
        self, keys: Iterable[tuple[str, str, str]], masked: Sequence[str] | None = None
    ) -> list[Match]:
        """`match` for many (text, mineral, CAS) at once: the fuzzy matches are scored together.
        `masked`: per key, the text the patterns read (see `match`)."""
        matches: list[Match | None] = []
        fuzzy: dict[int, list[str]] = {}
        for i, (text, mineral, cas) in enumerate(keys):
            found = self._exact(text, mineral, cas, text if masked is None else masked[i])
            if found is None:
                parts = [p for p in text.split(PART_SEPARATOR) if p]
                if parts:
                    fuzzy[len(matches)] = parts
                else:
                    found = Match(None, "none", 0.0, "no text to match")
            matches.append(found)
        if fuzzy:
            for index, found in zip(fuzzy, self._fuzzy(list(fuzzy.values())), strict=True):
                matches[index] = found
        return matches  # type: ignore[return-value]  # every None was filled by _fuzzy

    def minerals_named(self, cell: str) -> list[str | None]:
        """Mineral ids for a mineral cell ("Cobalt", "Cu; Sn", "Nd/Pr"); None where unknown."""
        names = [fold(n) for n in _MINERAL_SPLIT.split(cell) if fold(n)]
        return [self.mineral_names.get(n) for n in names]

    def _exact(self, text: str, mineral: str, cas: str, masked: str) -> Match | None:
        """The mineral column, a CAS number, an exact alias or a pattern, in that order. An
        alias names the whole part, so it is read from the text as given; the patterns read
        `masked`, where no short letter code inside a part number is left to match."""
        if mineral.strip():
            ids = self.minerals_named(mineral)
            known = [i for i in ids if i]
            if ids and len(known) == len(ids):
                return Match(
                    f"mineral:{'+'.join(known)}",
                    "mineral-column",
                    1.0,
                    f"mineral column names {', '.join(known)}",
                )
        # Only a cell holding a dash can hold a CAS number (folded BOM text never does).
        numbers = _CAS.findall(cas) if "-" in cas else []
        if "-" in text:
            numbers += _CAS.findall(text)
        for number in numbers:
            if number in self.cas:
                return Match(self.cas[number], "cas", 1.0, f"CAS number {number}")
        for part in text.split(PART_SEPARATOR):
            if part and part in self.aliases:
                return Match(self.aliases[part], "alias", 0.95, f"{part!r} is a known name")
        return self._pattern(masked)

    def _pattern(self, text: str) -> Match | None:
        best: tuple[int, int, int, str, str] | None = None
        decided = None  # the rule whose first matching pattern was seen (hit or vetoed)
        candidates = self._prefilter.candidates(text)
        while candidates:
            # Lowest bit first: rules by priority, each rule's patterns in order.
            bit = candidates & -candidates
            candidates ^= bit
            index = bit.bit_length() - 1
            rule = self._rule_of[index]
            if best is not None and rule.priority < best[0]:
                break  # a lower priority can no longer win
            if rule is decided:
                continue
            found = self._regex(index).search(text)
            if found is None:
                continue
            if _past_purpose(text, found.start()):
                continue  # "... for the control board": what the part goes into
            decided = rule
            if any(ex.search(text) for ex in self._excludes(rule)):
                continue
            # Higher priority first, then the longer match, then the earlier one.
            key = (
                rule.priority,
                found.end() - found.start(),
                -found.start(),
                rule.id,
                found.group(0),
            )
            if best is None or key[:3] > best[:3]:
                best = key
        if best is None:
            return None
        in_first_part = text.find(best[4]) < len(text.split(PART_SEPARATOR)[0])
        return Match(
            best[3],
            "pattern",
            0.9 if in_first_part else 0.8,
            f"pattern of {best[3]} matched {best[4]!r}",
        )

    def compile_all(self, until: Callable[[], bool] = lambda: False) -> None:
        """Compile the patterns now rather than on first use (work for an idle moment), and
        stop as soon as `until()` says the moment is over."""
        import rapidfuzz.fuzz  # noqa: F401 - loaded for `_fuzzy`

        for index, rule in enumerate(self._rule_of):
            if until():
                return
            self._regex(index)
            self._excludes(rule)

    def _regex(self, index: int) -> re.Pattern[str]:
        compiled = self._compiled[index]
        if compiled is None:
            compiled = self._compiled[index] = re.compile(self._sources[index])
        return compiled

    def _excludes(self, rule: Material) -> list[re.Pattern[str]]:
        excludes = self._compiled_excludes.get(rule.id)
        if excludes is None:
            excludes = self._compiled_excludes[rule.id] = [re.compile(p) for p in rule.exclude]
        return excludes

    def _fuzzy(self, texts: Sequence[Sequence[str]]) -> list[Match]:
        """Fuzzy matches for texts (each given as its parts) that nothing else matched."""
        from rapidfuzz import fuzz, process

        queries = list(dict.fromkeys(part for parts in texts for part in parts))
        row = {query: i for i, query in enumerate(queries)}
        # Plain similarity catches spacing ("sac 305"), token-sort catches word order. Each
        # part's five best aliases per scorer, ties in table order, as `process.extract` ranks.
        top: list[list[tuple[str, float]]] = [[] for _ in queries]
        limit = min(5, len(self._alias_keys))
        for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
            if not limit:
                break
            scores = process.cdist(queries, self._alias_keys, scorer=scorer, dtype=np.float64)
            # Each row's aliases scoring at least its limit-th best, by row, score, then position;
            # the first `limit` of each row are kept.
            floor = -np.partition(-scores, limit - 1, axis=1)[:, [limit - 1]]
            rows, columns = np.nonzero(scores >= floor)
            order = np.lexsort((columns, -scores[rows, columns], rows))
            rows, columns = rows[order], columns[order]
            kept = np.arange(len(rows)) - np.searchsorted(rows, rows) < limit
            for r, c, score in zip(
                rows[kept].tolist(),
                columns[kept].tolist(),
                scores[rows[kept], columns[kept]].tolist(),
                strict=True,
            ):
                top[r].append((self._alias_keys[c], score))
        return [self._fuzzy_one(parts, [top[row[p]] for p in parts]) for parts in texts]

    def _fuzzy_one(self, parts: Sequence[str], found: Sequence[list[tuple[str, float]]]) -> Match:
        best_score, best_id, best_part = 0.0, None, ""
        suggestions: dict[str, float] = {}
        for part, aliases in zip(parts, found, strict=True):
            for alias, score in aliases:
                material_id = self.aliases[alias]
                if score < FUZZY_MATCH and not _shares_word(part, alias):
                    continue  # "wood base" is no brass: a suggestion shares a word or is a typo
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


_WORD3 = re.compile(r"[a-z]{3,}")


def _shares_word(part: str, alias: str) -> bool:
    """Whether a text and an alias share a word of three letters or more, or one's word is a
    misspelling of the other's ("stainles" ~ "stainless"): a suggestion must be about the
    same thing, not merely made of similar letters."""
    from rapidfuzz import fuzz

    words = set(_WORD3.findall(alias))
    for word in _WORD3.findall(part):
        if word in words or any(len(word) >= 5 and fuzz.ratio(word, w) >= 85 for w in words):
            return True
    return False


# --- which patterns can match a text ------------------------------------------------------------
#
# Searching every text with every pattern costs a regex search per pair. Instead each pattern's
# needs (`reference/patterns.py`: strings any match holds, e.g. "lead acid" at the start of a
# word for r"\blead acid\b") are indexed by word, and a text is searched only with the patterns
# whose strings it holds.

_WORD = re.compile(r"\w+")


class _Prefilter:
    """The patterns' needs indexed by word: `candidates(text)` is a bit mask of the patterns
    that may match `text` (a superset: never leaves out one that matches)."""

    def __init__(self, needs: Sequence[Need | None]) -> None:
        self.always = 0
        self.words: dict[str, int] = {}  # a word of the text is the key
        self.prefixes: dict[str, int] = {}  # a word of the text starts with the key
        self.substrings: dict[str, int] = {}  # the text holds the key anywhere
        for index, need in enumerate(needs):
            if need is None:
                self.always |= 1 << index
                continue
            for string, at_word in need:
                head = _WORD.match(string) if at_word else None
                if head is None:
                    table, key = self.substrings, string
                elif head.end() == len(string):
                    table, key = self.prefixes, string
                else:  # "lead acid": the word starting there is "lead"
                    table, key = self.words, head.group()
                table[key] = table.get(key, 0) | 1 << index
        self._lengths = sorted({len(key) for key in self.prefixes})
        self._by_word: dict[str, int] = {}

    def candidates(self, text: str) -> int:
        mask = self.always
        for word in _WORD.findall(text):
            found = self._by_word.get(word)
            if found is None:
                found = self.words.get(word, 0)
                for length in self._lengths:
                    if length > len(word):
                        break
                    found |= self.prefixes.get(word[:length], 0)
                self._by_word[word] = found
            mask |= found
        for string, bits in self.substrings.items():
            if string in text:
                mask |= bits
        return mask


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


def map_contents(
    bom: pd.DataFrame,
    reference: ReferenceSet,
    sheet: str | None = None,
    parts: Mapping[str, str] | None = None,
) -> Contents:
    """Match every line and expand it into per-mineral contents with masses where known.
    `parts`: a team's mapping file's part entries (part number or description -> archetype,
    keys as `mapfile.part_key` folds them), which decide the lines they name."""
    matcher = matcher_for(reference)
    log = IssueLog(sheet=sheet)
    # Each distinct (text, mineral, CAS) is matched once and its result taken to its lines by
    # code, so no per-line key string or Python object is built.
    codes, (texts, minerals, cas) = _distinct_rows([bom["text"], bom["mineral"], bom["cas_number"]])
    matches = matcher.match_all(
        zip(texts, minerals, cas, strict=True), _masked_texts(bom, codes, texts)
    )
    kinds = kinds_for(load_kinds(), frozenset(reference.materials))
    distinct = codes  # NOTE: recognition renumbers codes; `minerals` is per distinct row
    codes, matches = recognise_lines(bom, codes, matches, kinds)
    if parts:
        codes, matches = _team_parts(bom, codes, matches, parts)
    table = pd.DataFrame(
        {
            "archetype": [m.archetype for m in matches],
            "method": [m.method for m in matches],
            "confidence": [m.confidence for m in matches],
            "suggestions": [list(m.suggestions) for m in matches],
            "reason": [m.reason for m in matches],
        }
    )
    valid = bom["valid"].to_numpy(bool)
    mapped = table["archetype"].notna().to_numpy(bool)[codes] & valid
    rows = bom["row"].to_numpy()
    _report_unknown_minerals(bom, matcher, minerals, distinct, log)
    unmapped = valid & ~mapped
    log.add_cells(
        IssueCode.UNKNOWN_MATERIAL,
        rows[unmapped],
        bom["description"][unmapped],
        None,
        "no material archetype matches '{value}'; add a Material column, or --map",
    )

    archetypes = list(dict.fromkeys(m.archetype for m in matches if m.archetype is not None))
    composition = _composition_table(reference, archetypes, matcher)
    composition = composition.sort_values(
        ["archetype", "mineral"], kind="stable", ignore_index=True
    )
    # A line's contents are its archetype's composition x its mass basis: the BOM mass where
    # given, else the published mass of one part in the recognised package, else the
    # archetype's typical unit mass, x quantity (then the mass is "estimated"). An archetype
    # without composition rows has no typical mass here.
    typical = dict(zip(composition["archetype"], composition["typical_mass_kg"], strict=True))
    quantity = bom["quantity"].to_numpy(float)
    per_package = np.array([m.unit_mass.kg if m.unit_mass else np.nan for m in matches])[codes]
    line_typical = (
        np.where(
            np.isnan(per_package),
            np.array([typical.get(m.archetype, np.nan) for m in matches])[codes],
            per_package,
        )
        * quantity
    )
    line_mass = bom["line_mass_kg"].to_numpy(float)
    has_mass = ~np.isnan(line_mass)
    estimated = mapped & ~has_mass & ~np.isnan(line_typical)
    by_package = estimated & ~np.isnan(per_package)
    lines = pd.DataFrame(
        {
            "archetype": _archetype_per_line(matches, codes),
            **{name: _take(table[name], codes) for name in table.columns[1:]},
            "mapped": mapped,
            "mass_basis_kg": np.where(has_mass, line_mass, line_typical),
            "estimated": estimated,
        },
        index=bom.index,
        copy=False,  # every column is a new array already
    )
    if by_package.any():
        described = pd.Series([m.unit_mass.brief() if m.unit_mass else "" for m in matches])
        log.add_cells(
            IssueCode.ESTIMATED_MASS,
            rows[by_package],
            described.take(codes[by_package]),
            None,
            "no mass given; the published mass of one part ({value}; source in components.yaml)"
            " x quantity was used",
        )
    if (estimated & ~by_package).any():
        rest = estimated & ~by_package
        log.add_cells(
            IssueCode.ESTIMATED_MASS,
            rows[rest],
            table["archetype"].take(codes[rest]),
            None,
            "no mass given; the typical mass of {value} was used",
        )
    return Contents(lines=lines, composition=composition, issues=log)


def masked_text(material: str, description: str, notes: str) -> str:
    """The folded mapping text (material | description | notes, as `clean_bom` builds it) with
    the letter codes inside part numbers of the description and notes blanked
    (`recognise.mask_codes`): "Connector AB-GAN-3" holds no "gan" for a pattern to read. The
    material cell names a material outright and is left whole."""
    parts = [material] + [mask_codes(t) for t in (description, notes)]
    folded = (fold(p) for text in parts for p in text.split(" — "))
    return PART_SEPARATOR.join(f for f in folded if f)


_PURPOSE = re.compile(rf"(?<!\S)(?:{PURPOSE_WORDS})(?:\s|$)")


def _past_purpose(text: str, at: int) -> bool:
    """Whether position `at` of a folded text lies past a purpose word of its part ("with",
    "for", "if", "used"...: `recognise.PURPOSE_WORDS`), where the text names what the part goes
    with or into rather than the part. A material pattern matched there is not the part's."""
    start = text.rfind(PART_SEPARATOR, 0, at)
    start = 0 if start < 0 else start + len(PART_SEPARATOR)
    purpose = _PURPOSE.search(text, start, at)
    return purpose is not None


def _masked_texts(bom: pd.DataFrame, codes: np.ndarray, texts: np.ndarray) -> list[str]:
    """`masked_text` per distinct text (from its first line); the text itself where masking
    changes no cell (the usual case: nothing is folded again)."""
    first = np.full(len(texts), 0, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    cells = [
        bom[c].take(first).tolist() if c in bom.columns and len(bom) else [""] * len(texts)
        for c in ("material", "description", "notes")
    ]
    out = [str(t) for t in texts]
    for code, (material, description, notes) in enumerate(zip(*cells, strict=True)):
        description, notes = _cell(description), _cell(notes)
        if mask_codes(description) != description or mask_codes(notes) != notes:
            out[code] = masked_text(_cell(material), description, notes)
    return out


def _team_parts(
    bom: pd.DataFrame, codes: np.ndarray, matches: list[Match], parts: Mapping[str, str]
) -> tuple[np.ndarray, list[Match]]:
    """Lines whose part number or description a mapping file names take its archetype."""
    from exposure_audit.bom.mapfile import part_key

    wanted = {part_key(k): (k, v) for k, v in parts.items()}
    codes = codes.copy()
    out = list(matches)
    made: dict[str, int] = {}
    for column in ("part_number", "description"):
        if column not in bom.columns:
            continue
        line_codes, uniques = _factorize(bom[column])
        hits = {i: wanted[part_key(u)] for i, u in enumerate(uniques) if part_key(u) in wanted}
        for code, (key, archetype) in hits.items():
            if key not in made:
                reason = f"the mapping file maps {key!r} to {archetype}"
                out.append(Match(archetype, "mapping", 1.0, reason))
                made[key] = len(out) - 1
            lines = (line_codes == code) & ~np.isin(codes, list(made.values()))
            codes[lines] = made[key]
    return codes, out


# --- component recognition (bom/recognise.py) -----------------------------------------------

_FIRM = frozenset({"mineral-column", "cas", "alias"})
"""Matches that name the material itself: recognition never overrides them."""
_PROSE = ("description", "material", "notes")
_CELL_COLUMNS = (
    "description",
    "material",
    "notes",
    "part_number",
    "designator",
    "value",
    "footprint",
    "manufacturer",
    "mpn",
    "supplier_part",
)


_PLACED_COLUMNS = ("designator", "footprint", "value")


def combine(match: Match, found: Recognition, kinds: dict[str, KindSpec]) -> Match:
    """One line's match from the material text and what its cells were recognised as.

    A material named outright (mineral column, CAS, alias) stands. Otherwise a recognised kind
    decides: a material pattern is kept only when it refines the kind (a magnet grade, a cell
    chemistry), so a pattern hit inside a connector's part number or on a nut's "N35" is not
    taken. A recognised kind without a sourced archetype leaves the line unmapped, saying why."""
    if match.method in _FIRM or found.kind is None:
        return match
    said = f"recognised as {found.reason}"
    spec = kinds.get(found.kind)
    if spec is None:  # a kind the loaded tables have no archetype for: the text decides
        if match.archetype is not None:
            return match
        why = "the loaded reference tables have no archetype for this kind"
        return Match(None, "recognised", 0.0, f"{said}; {why}", match.suggestions)
    unit_mass = spec.mass_for(found.package)
    weighed = f"; mass if the BOM gives none: {unit_mass.describe()}" if unit_mass else ""
    if match.method == "pattern" and spec.refined_by(match.archetype):
        reason = f"{match.reason}; {said}{weighed}"
        return Match(match.archetype, "pattern", match.confidence, reason, (), unit_mass, spec.kind)
    archetype = spec.archetype_for(found.material)
    if archetype is not None:
        confidence = round(min(0.9, 0.4 + 0.5 * found.confidence), 2)
        reason = f"{said} -> {archetype}{weighed}"
        return Match(archetype, "component", confidence, reason, (), unit_mass, spec.kind)
    why = spec.gap or "no archetype for this kind"
    return Match(None, "recognised", 0.0, f"{said}; {why}", match.suggestions)


def recognise_lines(
    bom: pd.DataFrame, codes: np.ndarray, matches: list[Match], kinds: dict[str, KindSpec]
) -> tuple[np.ndarray, list[Match]]:
    """Recognition first from each distinct text's prose cells, then, for lines still
    unmapped and for lines with a designator, footprint or value (an EDA export's placed
    parts), from all of the line's cells (designator, value, footprint, maker, MPN and the
    BOM's other columns), recognised once per distinct combination."""
    if not len(bom) or not matches:
        return codes, matches
    prose = [c for c in _PROSE if c in bom.columns]
    first = np.full(len(matches), -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    combined = list(matches)
    todo = [
        c for c, line in enumerate(first.tolist()) if line >= 0 and matches[c].method not in _FIRM
    ]
    # Each column's text on the first line of each code, gathered once (not a cell at a time).
    texts = [bom[c].take(first[todo]).tolist() for c in prose]
    for k, code in enumerate(todo):
        cells = [(c, _cell(column[k])) for c, column in zip(prose, texts, strict=True)]
        combined[code] = combine(matches[code], recognise(cells), kinds)
    codes, combined = _recognise_unmapped(bom, codes, combined, kinds, matches)
    return _weigh_recognised(bom, codes, combined, kinds)


def _recognise_unmapped(
    bom: pd.DataFrame,
    codes: np.ndarray,
    matches: list[Match],
    kinds: dict[str, KindSpec],
    texts: list[Match] | None = None,
) -> tuple[np.ndarray, list[Match]]:
    """`texts`: each code's match from its text alone, which the whole line's recognition
    is combined with (`matches` holds the prose pass's result; None: `matches` itself)."""
    texts = matches if texts is None else texts
    open_codes = np.array([m.archetype is None for m in matches], dtype=bool)
    firm = np.array([m.method in _FIRM for m in matches], dtype=bool)
    # An EDA export's footprint, designator and value say what was placed, whatever its
    # description says ("Battery" on a JST connector footprint): such lines are read whole
    # even when their prose was matched.
    placed = np.zeros(len(bom), dtype=bool)
    for column in _PLACED_COLUMNS:
        if column in bom.columns:
            placed |= bom[column].astype(object).fillna("").to_numpy(dtype=object) != ""
    return _by_cells(
        bom,
        codes,
        matches,
        open_codes,
        lambda base, found: combine(base, found, kinds),
        also=placed & ~firm[codes],
        bases=texts,
    )


def _weigh_recognised(
    bom: pd.DataFrame, codes: np.ndarray, matches: list[Match], kinds: dict[str, KindSpec]
) -> tuple[np.ndarray, list[Match]]:
    """A line recognised from its prose alone (a value or MPN naming an IC) may state its
    package only in another cell (the footprint). For such lines of a kind with published
    masses, the package is read from all of the line's cells; only the mass is taken from that
    reading, and only when it recognises the same kind: the archetype stays as decided."""

    def weigh(base: Match, found: Recognition) -> Match:
        spec = kinds[base.kind] if base.kind else None
        mass = spec.mass_for(found.package) if spec and found.kind == base.kind else None
        if mass is None:
            return base
        reason = f"{base.reason}; mass if the BOM gives none: {mass.describe()}"
        return replace(base, reason=reason, unit_mass=mass)

    wanted = np.array(
        [
            m.kind is not None
            and m.unit_mass is None
            and m.kind in kinds
            and bool(kinds[m.kind].masses)
            for m in matches
        ],
        dtype=bool,
    )
    return _by_cells(bom, codes, matches, wanted, weigh)


def _by_cells(
    bom: pd.DataFrame,
    codes: np.ndarray,
    matches: list[Match],
    selected: np.ndarray,
    decide: Callable[[Match, Recognition], Match],
    also: np.ndarray | None = None,
    bases: list[Match] | None = None,
) -> tuple[np.ndarray, list[Match]]:
    """Recognise the lines whose match is `selected` (and the lines `also` marks) from all
    of their cells (designator, value, footprint, maker, MPN and the BOM's other columns),
    once per distinct combination, and let `decide` turn each line's match (its match in
    `bases` where given, by code) and that recognition into its new match."""
    wanted = selected[codes] if also is None else selected[codes] | also
    lines = np.flatnonzero(wanted)
    columns = [c for c in _CELL_COLUMNS if c in bom.columns]
    columns += [c for c in bom.columns if str(c).startswith("extra:")]
    if not len(lines) or not columns:
        return codes, matches
    sub = bom.iloc[lines]
    names = [str(c).removeprefix("extra:") for c in columns]
    group, values = _distinct_rows(
        [
            _screened(n, sub[c].astype(object).fillna(""))
            for n, c in zip(names, columns, strict=True)
        ]
    )
    first = np.full(len(values[0]), -1, dtype=np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]
    out = list(matches)
    recoded = np.full(len(values[0]), -1, dtype=np.int64)  # each combination's new match
    for g in range(len(values[0])):
        cells = [(n, _cell(v[g])) for n, v in zip(names, values, strict=True)]
        code = codes[lines[first[g]]]
        base = matches[code]
        found = decide((bases or matches)[code], recognise(cells))
        if found == base:
            continue
        out.append(found)
        recoded[g] = len(out) - 1
    per_line = recoded[group]
    changed = per_line >= 0
    codes = codes.copy()
    codes[lines[changed]] = per_line[changed]
    return codes, out


def _screened(header: str, column: pd.Series) -> pd.Series:
    """The column with its code cells that recognition reads nothing from blanked, so that
    lines differing only in a part number are recognised once (`bom.code_screen`)."""
    codes, uniques = pd.factorize(column)
    text = np.array([u if isinstance(u, str) else "" for u in uniques], dtype=object)
    skip = unreadable(header, text)
    if not skip.any():
        return column
    text[skip] = ""
    return pd.Series(text[codes], index=column.index)


def _cell(value: object) -> str:
    return value if isinstance(value, str) else ""


def _distinct_rows(columns: Sequence[pd.Series]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Codes 0..k-1 of the distinct rows of some text columns, and each column's values for
    those rows (object arrays)."""
    factorized = [_factorize(column) for column in columns]
    # `key` numbers each line's combination of codes; members[i][k] is column i's code in
    # combination k (0 throughout for a column holding one value).
    key = np.zeros(len(columns[0]), dtype=np.intp)
    members = [np.zeros(1, dtype=np.intp) for _ in columns]
    first = True
    for i, (codes, uniques) in enumerate(factorized):
        n = len(uniques)
        if n < 2:
            continue
        if first:  # the first column holding several values: its codes are the key
            first = False
            key = codes
            members = [np.zeros(n, dtype=np.intp) for _ in columns]
            members[i] = np.arange(n)
        else:
            key, combined = pd.factorize(np.asarray(key, np.int64) * n + codes)
            members = [m[combined // n] for m in members]
            members[i] = combined % n
    # A categorical may hold categories no line uses: number the keys in use 0..k-1.
    used = np.bincount(key, minlength=len(members[0])) > 0
    if not used.all():
        key = np.cumsum(used)[key] - 1
    return key, [uniques[m[used]] for m, (_, uniques) in zip(members, factorized, strict=True)]


def _archetype_per_line(matches: Sequence[Match], codes: np.ndarray) -> pd.Categorical:
    """Each line's archetype as a Categorical (NaN: unmatched): codes, not a million strings.
    The categories are sorted, so the column sorts as the text would."""
    archetypes = sorted({m.archetype for m in matches if m.archetype is not None})
    number = {archetype: i for i, archetype in enumerate(archetypes)}
    per_match = np.array(
        [-1 if m.archetype is None else number[m.archetype] for m in matches], dtype=np.int32
    )
    return pd.Categorical.from_codes(
        per_match[codes], pd.Index(archetypes, dtype=object), validate=False
    )


def _take(column: pd.Series, codes: np.ndarray) -> np.ndarray | ExtensionArray:
    """The column's value for each code (numpy columns gather faster as numpy arrays). Text
    comes back categorical: a line holds a small code into the distinct matches' texts rather
    than its own copy of the text (a reason string per line was ~60 MB per million lines)."""
    if column.dtype == object or isinstance(column.dtype, np.dtype):
        # lists (suggestions): each line points at its match's list
        return np.asarray(column.to_numpy()[codes])
    table_codes, uniques = pd.factorize(column, use_na_sentinel=True)
    taken: ExtensionArray = pd.Categorical.from_codes(
        table_codes[codes], pd.Index(uniques), validate=False
    )
    return taken


def _factorize(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code per line, value per code) of a text column; a categorical lends its codes."""
    if isinstance(column.dtype, pd.CategoricalDtype) and not column.hasnans:
        return column.cat.codes.to_numpy(), column.cat.categories.to_numpy(object)
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    return codes, np.asarray(uniques, dtype=object)


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


def _report_unknown_minerals(
    bom: pd.DataFrame, matcher: Matcher, minerals: np.ndarray, codes: np.ndarray, log: IssueLog
) -> None:
    """Flag mineral cells naming no mineral (`minerals`: the cell of each distinct row)."""
    named = {m: m == "" or all(matcher.minerals_named(m)) for m in set(minerals)}
    if all(named.values()):
        return
    bad = ~np.array([named[m] for m in minerals], dtype=bool)[codes]
    log.add_cells(
        IssueCode.UNKNOWN_MINERAL,
        bom["row"][bad],
        bom["mineral"][bad],
        None,
        "mineral '{value}' is not in the reference; the material text was used instead",
    )


# --- explaining one text (`exposure-audit materials TEXT`) ---------------------------------


def explain_material(reference: ReferenceSet, query: str) -> dict[str, Any]:
    """What a BOM text maps to and why, or an archetype's details when `query` is its id.

    Returns `{"query", "folded", "kind": "archetype"|"match", ...}`: for an archetype id,
    `archetype` holds `material_detail`; for text, `match` holds the decision an audit takes
    for a line with this description (method, archetype, confidence, reason, the pattern that
    matched and suggestions), `text_match` the text rules' own answer (mineral/CAS/alias/
    pattern/fuzzy), `recognition` the component rules' (kind, material, package and each
    piece of evidence: cell, rule, token, weight), `path` the steps in words, and
    `archetype` the chosen archetype's summary (or None).
    """
    # Fold like the BOM reader does: parts separated by "|" or " — " stay separate parts (the
    # audit joins a line's material, description and notes the same way).
    raw_parts = re.split(r"\||\s—\s", query)
    folded = PART_SEPARATOR.join(p for p in (fold(p) for p in raw_parts) if p)
    if query.strip() in reference.materials:
        return {
            "query": query,
            "folded": folded,
            "kind": "archetype",
            "archetype": material_detail(reference, query.strip()),
        }
    masked = PART_SEPARATOR.join(p for p in (fold(mask_codes(p)) for p in raw_parts) if p)
    text_match = matcher_for(reference).match(folded, masked=masked)
    recognition = recognise([("description", query)])
    kinds = kinds_for(load_kinds(), frozenset(reference.materials))
    found = text_match
    if text_match.method not in _FIRM:
        found = combine(text_match, recognition, kinds)
    if found.archetype is None and ID_SHAPE.fullmatch(query.strip()):
        # Looks like an archetype id with a typo: say which ids are close.
        raise not_found(
            "material archetype",
            query.strip(),
            close_names(query.strip(), reference.materials),
            "materials",
        )
    pattern = (
        _matching_pattern(reference, found.archetype, masked)
        if (found.method == "pattern")
        else None
    )
    archetype = (
        reference.materials.get(found.archetype)
        if found.archetype and not found.archetype.startswith("mineral:")
        else None
    )
    return {
        "query": query,
        "folded": folded,
        "kind": "match",
        "match": _match_dict(found) | {"pattern": pattern},
        "text_match": _match_dict(text_match),
        "recognition": {
            "kind": recognition.kind,
            "material": recognition.material,
            "package": recognition.package,
            "confidence": recognition.confidence,
            "evidence": [
                {
                    "kind": e.kind,
                    "rule": e.rule,
                    "cell": e.cell,
                    "token": e.token,
                    "weight": e.weight,
                }
                for e in recognition.evidence
            ],
        },
        "path": _decision_path(text_match, recognition, found),
        "archetype": material_summary(archetype) if archetype else None,
    }


def _match_dict(match: Match) -> dict[str, Any]:
    return {
        "archetype": match.archetype,
        "method": match.method,
        "confidence": match.confidence,
        "reason": match.reason,
        "suggestions": list(match.suggestions),
    }


def _decision_path(text: Match, recognition: Recognition, final: Match) -> list[str]:
    """The steps an audit takes for this text, in words."""
    steps = [
        "text rules (mineral column, CAS, alias, pattern, fuzzy): "
        + (f"{text.archetype} by {text.method} ({text.reason})" if text.archetype else text.reason)
    ]
    if text.method in _FIRM:
        steps.append("a material named outright stands: component rules not consulted")
    else:
        steps.append(f"component rules: {recognition.reason}")
    if final.archetype is not None:
        steps.append(
            f"decision: {final.archetype} by {final.method}, confidence {final.confidence:.2f}"
        )
    else:
        steps.append(f"decision: unmapped ({final.reason})")
    return steps


def _matching_pattern(reference: ReferenceSet, archetype: str | None, text: str) -> str | None:
    if archetype is None or archetype not in reference.materials:
        return None
    for pattern in reference.materials[archetype].patterns:
        if re.search(pattern, text):
            return pattern
    return None
