"""Contents x reference x policy -> country shares, China touch, alignment and exposure.

Pure and deterministic. Each line-mineral pair gets, per stage, a *distribution*: a small named
table of country shares (the reference shares, a country named in the BOM, a supplier's
declaration, or nothing known). Scores are computed once per distribution and joined back, so a
million lines cost a handful of vectorised operations.

Formulas (README "Scoring"):
- china_touch(i, k) = 1 - prod_g (1 - p_ikg(CHN)), stages taken as independent;
- aligned_chain(i, k) = prod over stages with data of aligned_share_ikg;
- line exposure e_i = max_k china_touch(i, k); product exposure = sum w_i e_i / sum w_i.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray
from pydantic import BaseModel, ConfigDict

from exposure_audit.engine.mapping import composition_blocks, expand
from exposure_audit.reference import ReferenceSet
from exposure_audit.reference.models import ALL_STAGES, OTHER, Policy

UNKNOWN = "unknown"
NO_DATA = "nodata"
MAX_ROWS = 500
"""The rows a finding, an action or a scenario lists."""
_T = TypeVar("_T")
# None as a 0-d object array: what np.append and np.where are given for "missing" (numpy's
# stubs do not take a bare None there; the result is the same object array).
_NONE = np.array(None, dtype=object)


@dataclass(frozen=True)
class Distribution:
    """Country shares for one stage of one mineral, and where they come from."""

    shares: Mapping[str, float]
    basis: str
    """reference, bom, declaration, or none."""
    source: str | None = None
    year: str | None = None
    files: tuple[str, ...] = ()


@dataclass
class ScoringContext:
    """Everything scoring needs besides the BOM: reference, date, policy choices."""

    reference: ReferenceSet
    as_of: dt.date
    aligned_groups: list[str]
    weighting: str = "auto"
    china: frozenset[str] = frozenset({"CHN"})
    aligned: frozenset[str] = frozenset()
    covered: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        reference: ReferenceSet,
        as_of: dt.date,
        aligned_groups: Sequence[str] | None = None,
        weighting: str | None = None,
    ) -> ScoringContext:
        groups = list(aligned_groups) if aligned_groups else list(reference.policy.aligned_groups)
        return cls(
            reference=reference,
            as_of=as_of,
            aligned_groups=groups,
            weighting=weighting or reference.policy.weighting,
            china=frozenset(reference.china_codes()),
            aligned=frozenset(reference.aligned_countries(as_of, groups)),
            covered=frozenset(reference.covered_countries(as_of)),
        )


@dataclass
class Scores:
    """Scores at every level; frames for the many, dicts for the few.

    Everything per line and mineral is computed once per *profile* (the archetype, the BOM's
    countries, the declarations and whether the line has a mass: all a line's scores depend
    on) and joined back by integer code. `line_minerals` expands it per line on demand; the
    lines behind a finding are found by profile (`first_rows`), never through that expansion."""

    lines: pd.DataFrame
    minerals: list[dict[str, Any]]
    summary: dict[str, Any]
    weighting: str
    distributions: dict[str, Distribution] = field(default_factory=dict)
    profile: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Per line (position): its profile code, -1 when the line is not scored."""
    profile_minerals: pd.DataFrame = field(default_factory=pd.DataFrame)
    """One row per profile and mineral (sorted by profile, then mineral): profile, archetype,
    mineral, fraction, use_mass, dist_<stage>, china_/feoc_/aligned_/unknown_<stage>,
    china_touch, aligned_chain, agg_weight (summed over the profile's lines)."""
    mass_basis: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Per line: the mass that the composition fractions apply to (NaN when unknown)."""
    estimated: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    profile_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Per profile: how many lines have it."""
    profile_exposure: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Per profile: the exposure of its lines; `profile_driver` and `profile_tier` likewise."""
    profile_driver: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    profile_tier: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    profile_chokepoints: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    """Per profile: its chokepoints (CHOKEPOINT_FIELDS tuples)."""
    _cache: dict[Any, tuple[Any, Any]] = field(default_factory=dict, repr=False)
    """Values worked out for a BOM frame (held weakly), by key; scoring leaves its column codes
    here for the later steps."""

    @cached_property
    def line_minerals(self) -> pd.DataFrame:
        """One row per line and mineral (sorted by line, then mineral), expanded on demand."""
        pm = self.profile_minerals
        starts = np.searchsorted(
            pm["profile"].to_numpy(), np.arange(self.profile.max(initial=-1) + 1)
        )
        counts = np.diff(np.append(starts, len(pm)))
        items, rows = expand(self.profile, starts, counts)
        fraction = pm["fraction"].to_numpy(float)[rows]
        mass = self.mass_basis[items] * fraction
        weight = self.lines["weight"].to_numpy(float)[items] / counts[self.profile[items]]
        out = pd.DataFrame(
            {
                "line": self.lines.index.to_numpy()[items],
                "archetype": pm["archetype"].to_numpy(dtype=object)[rows],
                "mineral": pm["mineral"].to_numpy(dtype=object)[rows],
                "fraction": fraction,
                "mass_kg": mass,
                "estimated": self.estimated[items],
            }
        )
        for column in [
            *(f"dist_{stage}" for stage in ALL_STAGES),
            *(f"{m}_{stage}" for stage in ALL_STAGES for m in _MEASURES),
            "china_touch",
            "aligned_chain",
        ]:
            out[column] = pm[column].to_numpy()[rows]
        use_mass = pm["use_mass"].to_numpy(bool)[rows]
        out["agg_weight"] = np.where(use_mass, np.nan_to_num(mass, nan=0.0), weight)
        return out

    @cached_property
    def _rows_by_mineral(self) -> dict[str, np.ndarray]:
        pm = self.profile_minerals
        if pm.empty:
            return {}
        codes, names = pd.factorize(pm["mineral"])
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        return {str(name): order[bounds[i] : bounds[i + 1]] for i, name in enumerate(names)}

    def mineral_pm_rows(self, mineral: str) -> np.ndarray:
        """The positions, ascending, of `mineral`'s rows in `profile_minerals`."""
        return self._rows_by_mineral.get(mineral, np.zeros(0, np.int64))

    def mineral_profiles(self, mineral: str) -> np.ndarray:
        """The profiles holding `mineral`, ascending."""
        return np.asarray(
            self.profile_minerals["profile"].to_numpy()[self.mineral_pm_rows(mineral)]
        )

    def mineral_lines(self, mineral: str) -> np.ndarray:
        """Positions of the lines holding `mineral`."""
        return np.flatnonzero(self.profile_mask(self.mineral_profiles(mineral)))

    def profile_mask(self, profiles: np.ndarray) -> np.ndarray:
        """Per line: whether its profile is one of `profiles` (a lookup table, not np.isin)."""
        return np.asarray(self.profile_table(profiles)[self.profile])

    def profile_table(self, profiles: np.ndarray) -> np.ndarray:
        """Per profile, plus a last False entry that unscored lines (-1) read: whether it is one
        of `profiles`."""
        table = np.zeros(len(self.profile_lines) + 1, dtype=bool)
        table[np.asarray(profiles, dtype=np.int64)] = True
        return table

    def mineral_rows(self, bom: pd.DataFrame, mineral: str, limit: int = MAX_ROWS) -> list[int]:
        """The first `limit` spreadsheet rows (ascending) of the lines holding `mineral`."""

        def rows() -> list[int]:
            table = self.profile_table(self.mineral_profiles(mineral))
            return self.first_rows(bom, table, limit=limit)

        return list(self._kept(bom, ("rows of", mineral, limit), rows))

    def first_rows(
        self,
        bom: pd.DataFrame,
        table: np.ndarray,
        codes: np.ndarray | None = None,
        expected: int | None = None,
        limit: int = MAX_ROWS,
    ) -> list[int]:
        """The first `limit` spreadsheet rows (ascending) of the lines whose code (default: the
        profile; -1 reads the table's last entry) is marked in `table`. `expected`, how many
        lines are marked, lets a scan stop early (known for profiles)."""
        if codes is None:
            codes = self.profile
            expected = int(self.profile_lines[table[:-1]].sum())
        rows, ordered = self._row_numbers(bom)
        if not ordered:
            return _smallest(rows[table[codes]], limit)
        return _ints(rows[first_positions(codes, table, limit, expected)])

    def rows_at(
        self, bom: pd.DataFrame, positions: np.ndarray, limit: int | None = MAX_ROWS
    ) -> list[int]:
        """The first `limit` (None: all) spreadsheet rows, ascending, of the lines at
        `positions` (ascending)."""
        rows, ordered = self._row_numbers(bom)
        if ordered:
            return _ints(rows[positions[:limit]])
        return _smallest(rows[positions], limit)

    def row_order(self, bom: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
        """`positions` (ascending) reordered by spreadsheet row (stable)."""
        rows, ordered = self._row_numbers(bom)
        return positions if ordered else positions[np.argsort(rows[positions], kind="stable")]

    def made_in(
        self, bom: pd.DataFrame, countries: Collection[str], limit: int = MAX_ROWS
    ) -> tuple[int, list[str], list[int]]:
        """Lines whose supplier country is one of `countries`: how many, which of those
        countries (sorted), and their first `limit` rows. Worked out per distinct country, and
        once per frame (findings and actions both ask)."""

        def made_in() -> tuple[int, list[str], list[int]]:
            codes, values = self.column_codes(bom, "supplier_country")
            hit = np.array([v is not None and v in countries for v in values], dtype=bool)
            if not hit.any():
                return 0, [], []
            # Lines per value (the last entry: missing), as some values may be unused.
            per_value = np.roll(np.bincount(codes + 1, minlength=len(values)), -1)
            hit &= per_value > 0
            count = int(per_value[hit].sum())
            names = sorted(str(v) for v in values[hit])
            return count, names, self.first_rows(bom, hit, codes, count, limit) if count else []

        count, names, rows = self._kept(bom, ("made in", frozenset(countries), limit), made_in)
        return count, list(names), list(rows)

    def spend(self, bom: pd.DataFrame) -> np.ndarray:
        """Per line: its spend, 0 where unknown (read-only; kept from scoring)."""
        return self._kept(
            bom, "spend", lambda: _read_only(nan_to_zero(bom["spend"].to_numpy(float)))
        )

    def _row_numbers(self, bom: pd.DataFrame) -> tuple[np.ndarray, bool]:
        """The rows of `bom`'s lines, and whether they ascend (then the first lines of a subset
        hold its smallest rows: no sort, and a prefix of the lines is enough)."""

        def numbers() -> tuple[np.ndarray, bool]:
            rows = bom["row"].to_numpy()
            return rows, bool(np.all(rows[1:] >= rows[:-1]))

        return self._kept(bom, "row numbers", numbers)

    def column_codes(self, bom: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Per line, the code of its value in `bom[column]` (-1: missing), and the distinct
        values (object) followed by None, so `values[codes]` gives the column back with None
        for missing. Kept from scoring for the frame scored."""
        return self._kept(bom, ("codes", column), lambda: factorize_column(bom, column))

    def __getstate__(self) -> dict[str, Any]:
        # The cache holds weak references (not picklable, and to frames of this process).
        return {**self.__dict__, "_cache": {}}

    def _kept(self, bom: pd.DataFrame, key: Any, make: Callable[[], _T]) -> _T:
        """`make()` for `bom`, worked out once. The frame is held weakly: it is not kept alive
        for the scores' sake."""
        held = self._cache.get(key)
        if held is None or held[0]() is not bom:
            held = (weakref.ref(bom), make())
            self._cache[key] = held
        value: _T = held[1]
        return value


def factorize_column(bom: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1: missing) and values (object, then None) of a BOM column; an absent column is
    all missing. A Categorical lends its codes (its values may include some no line uses)."""
    if column not in bom:
        return np.full(len(bom), -1, np.int64), np.array([None], dtype=object)
    series = bom[column]
    uniques: pd.Index | np.ndarray
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), series.cat.categories
    elif series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "empty":
        # A column the BOM lacks is all None: a scan, not a hash of a million objects.
        codes, uniques = np.full(len(series), -1, np.int64), np.zeros(0, dtype=object)
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.append(np.asarray(uniques, dtype=object), _NONE)


def first_positions(
    codes: np.ndarray, table: np.ndarray, limit: int, expected: int | None = None
) -> np.ndarray:
    """Ascending positions of the first `limit` items whose code is marked in `table` (code -1
    reads the last entry). When `expected` (how many are marked) is well above `limit`, only a
    prefix of the items is read, grown until it holds enough."""
    n = len(codes)
    k = n if not expected or expected <= limit else min(n, 2 * limit * n // expected + 4096)
    while True:
        hits = np.flatnonzero(table[codes[:k]])
        if len(hits) >= limit or k >= n:
            return hits[:limit]
        k = min(n, 4 * k)


def _read_only(values: np.ndarray) -> np.ndarray:
    """`values`, marked read-only: an array kept for later callers must not be changed."""
    values.flags.writeable = False
    return values


def _smallest(rows: np.ndarray, limit: int | None) -> list[int]:
    """The `limit` (None: all) smallest of `rows`, ascending: a partial sort, not a full one."""
    if limit is not None and rows.size > limit:
        rows = np.partition(rows, limit - 1)[:limit]
    return _ints(np.sort(rows))


def _ints(values: np.ndarray) -> list[int]:
    found: list[int] = values.tolist()
    return found


_MEASURES = ("china", "feoc", "aligned", "unknown")


def reference_distribution(reference: ReferenceSet, mineral: str, stage: str) -> Distribution:
    entry = reference.supply.get((mineral, stage))
    if entry is None:
        return Distribution({}, "none")
    return Distribution(dict(entry.shares), "reference", entry.source.title, entry.year)


def score(
    bom: pd.DataFrame,
    lines: pd.DataFrame,
    contents: pd.DataFrame,
    context: ScoringContext,
    overrides: pd.DataFrame | None = None,
    override_distributions: Mapping[str, Distribution] | None = None,
) -> Scores:
    """Score mapped lines (method v2, docs/methodology.md).

    `bom` and `lines` (`Contents.lines`) are indexed by line; `contents` is the per-archetype
    composition (`Contents.composition`) or the per-line contents (`Contents.contents`): only its
    archetype, mineral and fraction columns are read. `overrides` (columns line, mineral, stage,
    dist) replace the reference distribution of a stage for some line-minerals, with
    `override_distributions` naming what each dist holds.
    """
    distributions: dict[str, Distribution] = dict(override_distributions or {})
    distributions[UNKNOWN] = Distribution({}, "none")
    composition = _composition(contents)
    scored = lines["mapped"].to_numpy(bool)
    basis = lines["mass_basis_kg"].to_numpy(float)
    arch_codes, archetypes = factorize_column(lines, "archetype")
    arch_codes = np.where(scored, arch_codes, -1)
    starts, counts = composition_blocks(composition, archetypes[:-1])
    column_codes = {c: factorize_column(bom, c) for c in _COUNTRY_COLUMNS.values()}
    override_codes, override_entries = _override_codes(overrides, lines.index, len(bom))
    profile, first_line = _profiles(
        arch_codes, len(archetypes) - 1, column_codes, basis, override_codes, scored
    )
    n_profiles = len(first_line)
    p_arch = arch_codes[first_line]
    columns, pm_mineral, mineral_names = _profile_mineral_rows(
        composition, p_arch, starts, counts, first_line
    )
    _stage_columns(
        columns,
        first_line,
        pm_mineral,
        mineral_names,
        column_codes,
        (override_codes, override_entries),
        distributions,
        context,
    )
    columns["price_kg"] = mineral_prices(context.reference, mineral_names)[pm_mineral]
    policy = context.reference.policy
    lx = line_exposure(columns, n_profiles, policy)
    p_tier = _tiers(lx.exposure, policy.tiers)
    spend_values = bom["spend"].to_numpy(float)
    weighting, w = _weights(
        spend_values,
        ~np.isnan(spend_values),
        ~np.isnan(basis),
        scored,
        context.weighting,
        lambda at: np.append(counts, 0)[arch_codes[at]] > 0,
        lambda held: _contained_mass(
            arch_codes, held, basis, starts, counts, composition["fraction"].to_numpy(float)
        ),
    )
    line_frame = _line_frame(bom.index, scored, profile, lx, p_tier, w)
    sums = _profile_sums(profile, n_profiles, basis, spend_values, w)
    pm, incomplete = _aggregate_columns(columns, sums, counts[p_arch], pm_mineral, mineral_names)
    summary = _summary(sums, lx, p_tier, scored, spend_values, pm, policy)
    weighted_by = {
        str(m): "mass" if incomplete[i] == 0 else "line weight" for i, m in enumerate(mineral_names)
    }
    return Scores(
        lines=line_frame,
        minerals=_mineral_scores(pm, distributions, context, weighted_by),
        summary=summary,
        weighting=weighting,
        distributions=distributions,
        profile=profile,
        profile_minerals=pm,
        mass_basis=basis,
        estimated=lines["estimated"].to_numpy(bool),
        profile_lines=sums["count"].astype(np.int64),
        profile_exposure=lx.exposure,
        profile_driver=lx.driver,
        profile_tier=p_tier,
        profile_chokepoints=lx.chokepoints,
        _cache={
            **{("codes", c): (weakref.ref(bom), v) for c, v in column_codes.items()},
            "spend": (weakref.ref(bom), sums["spend_filled"]),
        },
    )


def _profiles(
    arch_codes: np.ndarray,
    n_archetypes: int,
    column_codes: Mapping[str, tuple[np.ndarray, np.ndarray]],
    basis: np.ndarray,
    override_codes: np.ndarray,
    scored: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The profile of each scored line (-1 when not scored) and the first line of each: integer
    codes of everything a line's scores depend on, combined, then numbered (no strings)."""
    # The key is built in place: no new million-item array per step.
    key = arch_codes.copy()
    size = n_archetypes  # how many keys there can be
    for codes, values in column_codes.values():
        if len(values) > 1:  # else every line is missing it: the key does not change
            key *= len(values)
            key += codes
            key += 1
            size *= len(values)
    # Whether the line has a positive mass (the mass-weighted aggregates read it).
    key *= 2
    key += basis > 0
    size *= 2
    n_overrides = int(override_codes.max(initial=0))
    if n_overrides:
        key *= n_overrides + 1
        key += override_codes
        size *= n_overrides + 1
    return _number_profiles(key, scored, size)


def _profile_mineral_rows(
    composition: pd.DataFrame,
    p_arch: np.ndarray,
    starts: np.ndarray,
    counts: np.ndarray,
    first_line: np.ndarray,
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """One row per profile and mineral: its first columns, each row's mineral code and the
    mineral names (in order of appearance in the composition)."""
    n_profiles = len(first_line)
    p_items, p_rows = expand(p_arch, starts, counts) if n_profiles else (np.zeros(0, int),) * 2
    comp_minerals = composition["mineral"].to_numpy(dtype=object)
    mineral_codes, mineral_names = pd.factorize(comp_minerals)
    columns: dict[str, Any] = {
        "profile": p_items.astype(np.int64),
        "archetype": _text_column(composition["archetype"].to_numpy(dtype=object), p_rows),
        "mineral": _text_column(comp_minerals, p_rows),
        "fraction": composition["fraction"].to_numpy(float)[p_rows],
    }
    return columns, mineral_codes[p_rows], np.asarray(mineral_names, dtype=object)


def _stage_columns(
    columns: dict[str, Any],
    first_line: np.ndarray,
    pm_mineral: np.ndarray,
    mineral_names: np.ndarray,
    column_codes: Mapping[str, tuple[np.ndarray, np.ndarray]],
    override: tuple[np.ndarray, dict[int, dict[tuple[str, str], str]]],
    distributions: dict[str, Distribution],
    context: ScoringContext,
) -> None:
    """Per profile and mineral, each stage's distribution key and shares; the bottleneck
    (`upstream`) and independent-stages (`china_touch`) China shares over mining and
    processing; and the aligned chain (over the stages with data, manufacturing included)."""
    dist_codes = _dist_keys(
        columns["mineral"],
        first_line[columns["profile"]],
        pm_mineral,
        mineral_names,
        column_codes,
        override,
    )
    for stage in ALL_STAGES:
        codes, keys = dist_codes[stage]
        columns[f"dist_{stage}"] = _text_column(keys, codes)
        for dist_key in keys:
            if dist_key not in distributions:
                distributions[dist_key] = _distribution_for_key(context.reference, dist_key)
    stats = _distribution_stats(distributions, context)
    n_pm = len(columns["profile"])
    chain, chain_stages = np.ones(n_pm), np.zeros(n_pm)
    stat_of = {key: i for i, key in enumerate(stats.index)}
    stat_columns = {m: stats[m].to_numpy() for m in (*_MEASURES, "has_data")}
    for stage in ALL_STAGES:
        # Looked up once per distinct key, gathered by code.
        codes, keys = dist_codes[stage]
        positions = np.array([stat_of[k] for k in keys], dtype=np.int64)[codes]
        joined = {m: values[positions] for m, values in stat_columns.items()}
        for measure in _MEASURES:
            columns[f"{measure}_{stage}"] = joined[measure].astype(float)
        has_data = joined["has_data"].astype(bool)
        chain = np.where(has_data, chain * joined["aligned"].astype(float), chain)
        chain_stages += has_data
    # The part's own origin (manufacturing) is a separate figure, not a stage here.
    mining, processing = columns["china_mining"], columns["china_processing"]
    columns["upstream"] = np.fmax(mining, processing)
    columns["bottleneck"] = np.where(processing >= mining, "processing", "mining").astype(object)
    columns["china_touch"] = 1.0 - (1.0 - mining) * (1.0 - processing)
    columns["aligned_chain"] = np.where(chain_stages > 0, chain, 0.0)


def _dist_keys(
    pm_minerals: Any,
    pm_line: np.ndarray,
    pm_mineral: np.ndarray,
    mineral_names: np.ndarray,
    column_codes: Mapping[str, tuple[np.ndarray, np.ndarray]],
    override: tuple[np.ndarray, dict[int, dict[tuple[str, str], str]]],
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per stage: each profile-mineral row's distribution key, factorized (codes, keys in
    order of appearance). Keys are built once per country or mineral, gathered by code."""
    dist_keys: dict[str, np.ndarray] = {}
    for stage in ALL_STAGES:
        codes, values = column_codes[_COUNTRY_COLUMNS[stage]]
        named = np.array([f"country/{c}" for c in values[:-1]] + [None], dtype=object)
        if stage == "manufacturing":
            fallback: Any = UNKNOWN
        else:
            fallback = np.array([f"ref/{m}/{stage}" for m in mineral_names], dtype=object)
            fallback = fallback[pm_mineral]
        line_codes = codes[pm_line]
        dist_keys[stage] = np.where(line_codes >= 0, named[line_codes], fallback)
    override_codes, override_entries = override
    pm_override = override_codes[pm_line]
    minerals = np.asarray(pm_minerals, dtype=object)
    for row in np.flatnonzero(pm_override):
        for (ov_mineral, stage), dist in override_entries[int(pm_override[row])].items():
            if ov_mineral == minerals[row]:
                dist_keys[stage][row] = dist
    return {stage: pd.factorize(dist_keys[stage]) for stage in ALL_STAGES}


def _line_frame(
    index: pd.Index,
    scored: np.ndarray,
    profile: np.ndarray,
    lx: LineExposure,
    p_tier: np.ndarray,
    w: np.ndarray,
) -> pd.DataFrame:
    """Per line: its profile's figures, gathered by profile code (-1 reads the appended "not
    scored" entry). Built in one go (each column inserted on its own costs a copy); object
    columns go in as Series, as bare object arrays would be inferred as text."""
    objects = (
        ("driver", lx.driver),
        ("tier", p_tier),
        ("weighted_by", lx.weighted_by),
        ("chokepoints", lx.chokepoints),
    )
    return pd.DataFrame(
        {
            "scored": scored.copy(),  # a view of the mapping's column otherwise
            "exposure": np.append(lx.exposure, np.nan)[profile],
            "upstream": np.append(lx.upstream, np.nan)[profile],
            "origin": np.append(lx.origin, np.nan)[profile],
            **{
                column: pd.Series(
                    np.append(values, _NONE).take(profile), index=index, dtype=object, copy=False
                )
                for column, values in objects
            },
            "weight": w,
        },
        index=index,
        copy=False,
    )


def _profile_sums(
    profile: np.ndarray, n_profiles: int, basis: np.ndarray, spend: np.ndarray, w: np.ndarray
) -> dict[str, np.ndarray]:
    """Sums per profile (np.bincount; unscored lines fall in bin 0, dropped), so aggregates
    never go through line x mineral: lines, lines with a mass or a cost, weight, mass, spend."""
    shifted = profile + 1
    basis_known = ~np.isnan(basis)
    spend_known = ~np.isnan(spend)

    def per_profile(values: np.ndarray) -> np.ndarray:
        return np.bincount(shifted, weights=values, minlength=n_profiles + 1)[1:]

    # One count per (profile, has a mass, has a cost).
    kinds = np.bincount(
        shifted * 4 + basis_known * 2 + spend_known, minlength=4 * (n_profiles + 1)
    ).reshape(-1, 4)[1:]
    spend_filled = _read_only(nan_to_zero(spend))  # `Scores.spend`, for the actions
    return {
        "count": kinds.sum(axis=1).astype(float),
        "mass_known": kinds[:, 2:].sum(axis=1).astype(float),
        "spend_known": kinds[:, 1::2].sum(axis=1).astype(float),
        "weight": per_profile(w),
        "mass": per_profile(nan_to_zero(basis)),
        "spend": per_profile(spend_filled),
        "spend_filled": spend_filled,
    }


def _aggregate_columns(
    columns: dict[str, Any],
    sums: Mapping[str, np.ndarray],
    p_minerals: np.ndarray,
    pm_mineral: np.ndarray,
    mineral_names: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The profile-mineral frame with its aggregate columns, and per mineral how many of its
    profiles lack a mass on some line. Per-mineral aggregates weigh by contained mass where
    every line of the mineral has one, else by the line weight shared among its minerals."""
    prof, fraction = columns["profile"], columns["fraction"]
    n_minerals = p_minerals[prof] if len(prof) else np.zeros(0)
    count, mass = sums["count"], sums["mass"]
    incomplete = np.bincount(
        pm_mineral, weights=sums["mass_known"][prof] != count[prof], minlength=len(mineral_names)
    )
    complete = (incomplete == 0)[pm_mineral]
    columns["use_mass"] = complete
    columns["agg_weight"] = np.where(
        complete, fraction * mass[prof], sums["weight"][prof] / np.maximum(n_minerals, 1)
    )
    columns["lines"] = count[prof]
    columns["mass_kg"] = fraction * mass[prof]
    columns["mass_known"] = sums["mass_known"][prof]
    columns["spend"] = sums["spend"][prof]
    columns["spend_known"] = sums["spend_known"][prof]
    return pd.DataFrame(columns), incomplete


def _summary(
    sums: Mapping[str, np.ndarray],
    lx: LineExposure,
    p_tier: np.ndarray,
    scored: np.ndarray,
    spend: np.ndarray,
    pm: pd.DataFrame,
    policy: Policy,
) -> dict[str, Any]:
    """The product's figures: weighted means of the line figures, value at risk, coverage."""
    p_weight, p_count = sums["weight"], sums["count"]
    total_weight = float(p_weight.sum())

    def mean(values: np.ndarray) -> float:
        return float((p_weight * values).sum() / total_weight) if total_weight > 0 else 0.0

    exposure = mean(lx.exposure)
    score_value = round(100 * exposure)
    lines_by_tier = {
        t: int(p_count[p_tier == t].sum()) for t in ("critical", "high", "medium", "low")
    }
    lines_by_tier["unscored"] = int((~scored).sum())
    coverage = coverage_status(scored, spend, coverage_floor(policy))
    any_spend = bool(np.any(~np.isnan(spend) & scored))
    return {
        "score": score_value,
        "tier": INSUFFICIENT if coverage.insufficient else policy.tiers.tier(score_value),
        "exposure": exposure,
        "upstream": mean(lx.upstream),
        "origin": mean(lx.origin),
        "coverage": coverage,
        "value_at_risk": float((sums["spend"] * lx.exposure).sum()) if any_spend else None,
        "china_touch": _weighted_mean(pm["china_touch"], pm["agg_weight"]),
        "aligned_chain": _weighted_mean(pm["aligned_chain"], pm["agg_weight"]),
        "lines_by_tier": lines_by_tier,
    }


def _text_column(values: np.ndarray, codes: np.ndarray) -> ExtensionArray:
    """`values[codes]` as a text column: the few distinct values converted, then taken (a
    frame would convert each object of a gathered object array)."""
    return pd.array(values, dtype="str").take(codes)


def _composition(contents: pd.DataFrame) -> pd.DataFrame:
    """The first fraction of each (archetype, mineral) in `contents`, sorted by both: what
    `drop_duplicates` then a stable `sort_values` give, without their overhead on a small
    table. After a stable sort the first row of each pair comes first among its duplicates."""
    archetype = contents["archetype"].to_numpy(dtype=object)
    mineral = contents["mineral"].to_numpy(dtype=object)
    arch_rank = pd.factorize(archetype, sort=True)[0]
    mineral_rank = pd.factorize(mineral, sort=True)[0]
    order = np.lexsort((mineral_rank, arch_rank))
    arch_rank, mineral_rank = arch_rank[order], mineral_rank[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (arch_rank[1:] != arch_rank[:-1]) | (mineral_rank[1:] != mineral_rank[:-1])
    rows = order[first]
    return pd.DataFrame(
        {
            "archetype": archetype[rows],
            "mineral": mineral[rows],
            "fraction": contents["fraction"].to_numpy(float)[rows],
        }
    )


def _number_profiles(
    key: np.ndarray, scored: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per line: its key's number, in order of first appearance among the scored lines (-1
    when not scored); and the first line of each number.

    Keys lie in 0..size-1; when that range is small, a table indexed by key finds each key's
    first line (no hashing), else pd.factorize numbers them."""
    n = len(key)
    if size <= max(n, 1 << 16):
        at = np.where(scored, key, size)  # the unscored lines share one extra slot
        first = np.full(size + 1, n, np.int64)
        first[at[::-1]] = np.arange(n - 1, -1, -1)  # the last write, the first line, wins
        first[size] = n
        present = np.flatnonzero(first < n)
        present = present[np.argsort(first[present], kind="stable")]
        number = np.full(size + 1, -1, np.int64)
        number[present] = np.arange(len(present))
        return number[at], first[present]
    key = np.where(scored, key, -1)
    profile, profile_keys = pd.factorize(key, use_na_sentinel=False)
    profile = profile.astype(np.int64)
    if (key < 0).any():
        # The unscored lines share one code: drop it and renumber.
        unscored = int(np.flatnonzero(profile_keys < 0)[0])
        profile = np.where(scored, profile - (profile > unscored), -1)
    first_line = np.full(int(profile.max(initial=-1)) + 1, 0, np.int64)
    scored_positions = np.flatnonzero(scored)
    first_line[profile[scored_positions][::-1]] = scored_positions[::-1]
    return profile, first_line


_COUNTRY_COLUMNS = {
    "mining": "mining_country",
    "processing": "processing_country",
    "manufacturing": "supplier_country",
}


def _contained_mass(
    arch_codes: np.ndarray,
    with_minerals: np.ndarray,
    basis: np.ndarray,
    starts: np.ndarray,
    counts: np.ndarray,
    fractions: np.ndarray,
) -> np.ndarray:
    """Per line: the sum of basis x fraction over its archetype's minerals, added in the
    composition's order (NaN for lines without minerals)."""
    out = np.full(len(arch_codes), np.nan)
    items = np.flatnonzero(with_minerals)
    if not items.size:
        return out
    # Lines grouped by archetype (a radix sort on small codes): each block is then one
    # archetype, whose fractions are scalars.
    arch = arch_codes[items]
    order = np.argsort(arch.astype(np.uint16) if arch.max() < 65536 else arch, kind="stable")
    items, arch = items[order], arch[order]
    line_basis = basis[items]
    acc = np.zeros(len(items))
    bounds = np.flatnonzero(np.r_[True, arch[1:] != arch[:-1], True])
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        first = starts[arch[a]]
        block, block_basis = acc[a:b], line_basis[a:b]
        for fraction in fractions[first : first + counts[arch[a]]].tolist():
            block += block_basis * fraction
    out[items] = acc
    return out


def _override_codes(
    overrides: pd.DataFrame | None, index: pd.Index, n: int
) -> tuple[np.ndarray, dict[int, dict[tuple[str, str], str]]]:
    """Per line: a code for its set of declaration overrides (0: none), and what each holds."""
    codes = np.zeros(n, np.int64)
    if overrides is None or overrides.empty:
        return codes, {}
    positions = index.get_indexer(pd.Index(overrides["line"]))
    per_line: dict[int, dict[tuple[str, str], str]] = {}
    for pos, mineral, stage, dist in zip(
        positions, overrides["mineral"], overrides["stage"], overrides["dist"], strict=True
    ):
        per_line.setdefault(int(pos), {})[(str(mineral), str(stage))] = str(dist)
    signatures: dict[tuple[tuple[tuple[str, str], str], ...], int] = {}
    entries: dict[int, dict[tuple[str, str], str]] = {}
    for line, entry in per_line.items():
        signature = tuple(sorted(entry.items()))
        code = signatures.setdefault(signature, len(signatures) + 1)
        entries[code] = entry
        codes[line] = code
    return codes, entries


INSUFFICIENT = "insufficient"
"""The product tier below the coverage floor: too little of the BOM is understood to score it."""

COVERAGE_FLOOR = 0.60
"""The default coverage floor (docs/methodology.md, "Coverage floor"): below this share of the
BOM's lines scored, or of its spend where costs are given, the product is `insufficient`. A
policy's `coverage_floor` overrides it; this is the one place the default is defined."""

UPSTREAM_STAGES = ("mining", "processing")
"""The stages of a mineral's own supply chain; manufacturing (the part's origin) is apart."""


def coverage_floor(policy: Policy) -> float:
    """The floor in force: the policy's `coverage_floor`, else COVERAGE_FLOOR."""
    floor = getattr(policy, "coverage_floor", None)
    return COVERAGE_FLOOR if floor is None else float(floor)


class Coverage(BaseModel):
    """How much of the BOM the score stands on (docs/methodology.md, "Coverage floor")."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    lines: int
    scored_lines: int
    line_share: float
    spend_share: float | None
    """Scored spend / all spend given; None when no line has a cost."""
    unscored_spend: float | None
    floor: float
    insufficient: bool
    reason: str | None
    """What is missing and how to fix it, when below the floor."""


def coverage_status(scored: np.ndarray, spend: np.ndarray, floor: float) -> Coverage:
    """Share of lines, and of spend where costs are given, that are scored; below `floor` of
    either the product is `insufficient`. Unscored lines and their spend count in the total."""
    n = len(scored)
    n_scored = int(scored.sum())
    line_share = n_scored / n if n else 0.0
    known = ~np.isnan(spend)
    spend_share: float | None = None
    unscored_spend: float | None = None
    if known.any():
        total = float(np.abs(spend[known]).sum())
        covered = float(np.abs(spend[known & scored]).sum())
        spend_share = covered / total if total > 0 else None
        unscored_spend = total - covered
    short = []
    if line_share < floor or n == 0:
        short.append(f"{100 * line_share:.0f}% of lines ({n_scored} of {n})")
    if spend_share is not None and spend_share < floor:
        short.append(f"{100 * spend_share:.0f}% of spend")
    reason = None
    if short:
        reason = (
            f"coverage below the {100 * floor:.0f}% floor: only {' and '.join(short)} scored; "
            "add a Material column or map the unmapped lines (`exposure-audit materials TEXT` "
            "shows how a text maps), then re-run"
        )
    return Coverage(
        lines=n,
        scored_lines=n_scored,
        line_share=line_share,
        spend_share=spend_share,
        unscored_spend=unscored_spend,
        floor=floor,
        insufficient=bool(short),
        reason=reason,
    )


def mineral_prices(reference: ReferenceSet, minerals: Collection[object]) -> np.ndarray:
    """USD per kg contained of each mineral: the market average where published, else a
    published floor; NaN where prices.yaml has neither (lines holding it weigh by mass)."""
    out = np.full(len(minerals), np.nan)
    for i, mineral in enumerate(minerals):
        price = reference.prices.get((str(mineral), "average")) or reference.prices.get(
            (str(mineral), "floor")
        )
        if price is not None and price.currency == "USD":
            out[i] = price.per_kg_contained
    return out


@dataclass(frozen=True)
class LineExposure:
    """Per profile: method v2's line figures (docs/methodology.md, "Line exposure")."""

    exposure: np.ndarray
    """e = u + w_o * o * (1 - u): upstream raised part of the way to 1 by the origin."""
    upstream: np.ndarray
    """u = sum_k v_k b_k / sum_k v_k, b_k the mineral's bottleneck China share."""
    origin: np.ndarray
    """o: China's share of where the part is made (1 made in China, 0 elsewhere or unknown)."""
    driver: np.ndarray
    """The mineral contributing most to u (v_k b_k); None when nothing does."""
    weighted_by: np.ndarray
    """value (price x contained mass) when every mineral of the line has a price, else mass;
    None for a line holding no critical mineral."""
    chokepoints: np.ndarray
    """Per profile, a tuple of (mineral, mass_share, weight_share, china_share, stage) tuples
    (CHOKEPOINT_FIELDS): hashable, so a column of them factorizes."""


def _by_profile(prof: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(prof, weights=values, minlength=n)[:n] if n else np.zeros(0)


def line_exposure(pm: Mapping[str, Any], n_profiles: int, policy: Policy) -> LineExposure:
    """Method v2 per profile: the contained-value-weighted mean u of its minerals' bottleneck
    China shares, raised by the origin o; the driver is the largest contributor (ties: the
    larger share of the line, then the mineral name, so never at random); chokepoints are
    minor inputs with a dominant China share."""
    n = n_profiles
    prof = np.asarray(pm["profile"], dtype=np.int64)
    fraction = np.nan_to_num(np.asarray(pm["fraction"], dtype=float), nan=0.0)
    price = np.asarray(pm["price_kg"], dtype=float)
    b = np.asarray(pm["upstream"], dtype=float)
    unpriced = _by_profile(prof, np.isnan(price).astype(float), n) > 0
    v = np.where(unpriced[prof], fraction, fraction * np.nan_to_num(price, nan=0.0))
    total = _by_profile(prof, v, n)
    share = np.divide(v, total[prof], out=np.zeros_like(v), where=total[prof] > 0)
    contribution = share * b
    held = total > 0
    u = np.where(held, _by_profile(prof, contribution, n), 0.0)
    origin = np.zeros(n)
    origin[prof] = np.asarray(pm["china_manufacturing"], dtype=float)
    w_o = float(policy.origin_weight)
    exposure = np.clip(np.where(held, u + w_o * origin * (1.0 - u), 0.0), 0.0, 1.0)
    driver = np.full(n, None, dtype=object)
    if len(prof):
        names = np.asarray(pm["mineral"], dtype=object)
        name_rank = pd.factorize(names, sort=True)[0]
        order = np.lexsort((name_rank, -share, -contribution, prof))
        first = np.ones(len(order), dtype=bool)
        first[1:] = prof[order][1:] != prof[order][:-1]
        top = order[first]
        driver[prof[top]] = np.where(contribution[top] > 0, names[top], _NONE)
    weighted_by = np.where(held, np.where(unpriced, "mass", "value"), _NONE).astype(object)
    chokepoints = _chokepoints(pm, prof, share, b, n, policy)
    return LineExposure(exposure, u, origin, driver, weighted_by, chokepoints)


def _chokepoints(
    pm: Mapping[str, Any],
    prof: np.ndarray,
    share: np.ndarray,
    b: np.ndarray,
    n: int,
    policy: Policy,
) -> np.ndarray:
    """Per profile: a tuple of its essential minor inputs, the most Chinese first. An input is
    minor when its mass fraction of the part is below policy.chokepoint_minor_share, and a
    chokepoint when its bottleneck China share is at or above policy.chokepoint_china_share.
    Each is a CHOKEPOINT_FIELDS tuple: `mass_share` of the part, `weight_share` of the line's
    exposure weight (what it adds to u is weight_share x china_share)."""
    fraction = np.nan_to_num(np.asarray(pm["fraction"], dtype=float), nan=0.0)
    found: list[list[tuple[str, float, float, float, str]]] = [[] for _ in range(n)]
    hit = np.flatnonzero(
        (fraction > 0)
        & (fraction < policy.chokepoint_minor_share)
        & (b >= policy.chokepoint_china_share)
    )
    minerals = np.asarray(pm["mineral"], dtype=object)
    stages = np.asarray(pm["bottleneck"], dtype=object)
    for row in hit.tolist():
        found[int(prof[row])].append(
            (
                str(minerals[row]),
                float(fraction[row]),
                float(share[row]),
                float(b[row]),
                str(stages[row]),
            )
        )
    out = np.empty(n, dtype=object)
    for i, items in enumerate(found):  # one by one: numpy would unpack a list of tuples
        out[i] = tuple(sorted(items, key=lambda c: (-c[3], c[0])))
    return out


CHOKEPOINT_FIELDS = ("mineral", "mass_share", "weight_share", "china_share", "stage")
"""What each chokepoint tuple holds, in order."""


def _tiers(exposure: np.ndarray, tiers: Any) -> np.ndarray:
    score100 = np.round(100 * exposure)
    return np.select(
        [score100 >= tiers.critical, score100 >= tiers.high, score100 >= tiers.medium],
        ["critical", "high", "medium"],
        default="low",
    ).astype(object)


def _distribution_for_key(reference: ReferenceSet, key: str) -> Distribution:
    if key.startswith("ref/"):
        _, mineral, stage = key.split("/")
        return reference_distribution(reference, mineral, stage)
    if key.startswith("country/"):
        return Distribution({key.removeprefix("country/"): 1.0}, "bom")
    return Distribution({}, "none")


def _distribution_stats(
    distributions: Mapping[str, Distribution], context: ScoringContext
) -> pd.DataFrame:
    """China, covered-nation and aligned share of each distribution; unknown = not named."""
    rows = []
    for key, dist in distributions.items():
        shares = dist.shares
        named = sum(v for c, v in shares.items() if c not in (OTHER, "UNKNOWN", "RECYCLED"))
        recycled = shares.get("RECYCLED", 0.0)
        rows.append(
            {
                "key": key,
                "china": sum(shares.get(c, 0.0) for c in context.china),
                "feoc": sum(shares.get(c, 0.0) for c in context.covered),
                "aligned": sum(shares.get(c, 0.0) for c in context.aligned),
                "unknown": max(0.0, 1.0 - named - recycled),
                "has_data": bool(shares),
            }
        )
    return pd.DataFrame(rows).set_index("key")


def _weights(
    spend: np.ndarray,
    spend_known: np.ndarray,
    basis_known: np.ndarray,
    scored: np.ndarray,
    requested: str,
    holds_minerals: Callable[[Any], np.ndarray],
    contained_mass: Callable[[np.ndarray], np.ndarray],
) -> tuple[str, np.ndarray]:
    """Line weights: spend, contained critical-mineral mass, or one per line.

    `auto` takes spend when every scored line has a cost, else mass when every scored line
    with minerals has a mass, else count. Whether lines hold minerals (`holds_minerals(at)`,
    for the lines at `at`) and their contained mass (NaN without minerals) are worked out
    only when needed: a line without a mass basis has no contained mass.
    """
    mass: np.ndarray | None = None
    if requested == "auto":
        requested = "count"
        if scored.any() and not (scored & ~spend_known).any() and (scored & (spend > 0)).any():
            requested = "spend"
        elif scored.any() and not holds_minerals(np.flatnonzero(scored & ~basis_known)).any():
            held = holds_minerals(slice(None))
            mass = contained_mass(held)
            if not np.isnan(mass[scored & held]).any() and (mass > 0).any():
                requested = "mass"
    if requested == "spend":
        filled = np.where(spend_known, spend, 0.0)
        weights = np.where(filled >= 0.0, filled, 0.0)
    elif requested == "mass":
        mass = contained_mass(holds_minerals(slice(None))) if mass is None else mass
        weights = np.where(np.isnan(mass), 0.0, mass)
    else:
        return requested, scored.astype(float)
    return requested, np.where(scored, weights, 0.0)


def nan_to_zero(values: np.ndarray) -> np.ndarray:
    """`np.nan_to_num(values, nan=0.0)` in fewer passes when nothing is infinite."""
    out = np.where(np.isnan(values), 0.0, values)
    return np.nan_to_num(values, nan=0.0) if np.isinf(out).any() else out


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float | None:
    total = float(weights.sum()) if len(weights) else 0.0
    if total <= 0:
        return None
    return float((values * weights).sum() / total)


def _mineral_scores(
    pm: pd.DataFrame,
    distributions: Mapping[str, Distribution],
    context: ScoringContext,
    mineral_weighting: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Per mineral and stage: shares, HHI, top countries and provenance, from the per-profile
    sums (each profile row stands for all its lines).

    NOTE: the rows are regrouped by mineral (stably, so each mineral's rows keep their order)
    and every sum runs over one mineral's contiguous slice: the same additions, in the same
    order, as summing each mineral's group on its own."""
    reference = context.reference
    if pm.empty:
        return []
    codes, names = pd.factorize(pm["mineral"], sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    col = {
        c: pm[c].to_numpy(float)[order]
        for c in (
            "agg_weight",
            "lines",
            "mass_kg",
            "mass_known",
            "spend",
            "spend_known",
            "china_touch",
            "aligned_chain",
            *(f"{m}_{stage}" for stage in ALL_STAGES for m in _MEASURES),
        )
    }
    spans = list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))
    totals = [float(col["agg_weight"][a:b].sum()) for a, b in spans]
    # A mineral with no weight counts its stages one per line-mineral.
    stage_weights = np.where(
        np.repeat(np.array(totals) > 0, np.diff(bounds)), col["agg_weight"], col["lines"]
    )
    by_key = _weights_by_key(pm, order, spans, stage_weights)
    out: list[dict[str, Any]] = []
    for i, mineral in enumerate(names):
        a, b = spans[i]
        weights, total = col["agg_weight"][a:b], totals[i]
        stage_total = total if total > 0 else float(stage_weights[a:b].sum())
        stages: dict[str, Any] = {}
        for stage in ALL_STAGES:
            stages[stage] = _stage_summary(
                {m: col[f"{m}_{stage}"][a:b] for m in _MEASURES},
                stage_weights[a:b],
                stage_total,
                by_key.get((stage, i), []),
                distributions,
            )
        controls = [
            {
                "measure": c.measure,
                "since": c.since.isoformat(),
                "status": c.status(context.as_of),
                "until": c.suspended_until.isoformat() if c.suspended_until else None,
                "scope": c.scope,
                "source": c.source.url or c.source.title,
                "note": _lapsed_note(c, context.as_of),
            }
            for c in (
                reference.minerals[mineral].export_controls if mineral in reference.minerals else []
            )
            if c.status(context.as_of) != "not_yet"
        ]
        out.append(
            {
                "mineral": mineral,
                "name": reference.minerals[mineral].name
                if mineral in reference.minerals
                else mineral,
                "mass_kg": (
                    float(col["mass_kg"][a:b].sum()) if (col["mass_known"][a:b] > 0).any() else None
                ),
                "spend": (
                    float(col["spend"][a:b].sum()) if (col["spend_known"][a:b] > 0).any() else None
                ),
                "lines": int(col["lines"][a:b].sum()),
                "weighting": mineral_weighting.get(mineral, "line weight"),
                "china_touch": _ratio((col["china_touch"][a:b] * weights).sum(), total),
                "aligned_chain": _ratio((col["aligned_chain"][a:b] * weights).sum(), total),
                "export_controls": controls,
                "stages": stages,
            }
        )
    return out


def _weights_by_key(
    pm: pd.DataFrame, order: np.ndarray, spans: Sequence[tuple[int, int]], weights: np.ndarray
) -> dict[tuple[str, int], list[tuple[str, float]]]:
    """(stage, mineral number) -> [(distribution key, summed weight)], keys sorted.

    NOTE: the sums are the ones `Series.groupby(keys).sum()` gives on each mineral alone:
    pandas adds a group whose keys come sorted with np.add.reduceat (pairwise), any other with
    a compensated sum per key. The latter are done in one groupby for every such mineral and
    stage (each group keeps its rows and their order, so its sum is the same)."""
    out: dict[tuple[str, int], list[tuple[str, float]]] = {}
    compensated: list[tuple[tuple[str, int], np.ndarray, np.ndarray, np.ndarray]] = []
    for stage in ALL_STAGES:
        codes, uniques = pd.factorize(pm[f"dist_{stage}"], sort=True)
        ranks, keys = codes[order], np.asarray(uniques, dtype=object)
        for i, (a, b) in enumerate(spans):
            r, w = ranks[a:b], weights[a:b]
            if (r[1:] >= r[:-1]).all() and not np.isnan(w).any():
                starts = np.flatnonzero(np.concatenate(([True], r[1:] != r[:-1])))
                sums = np.add.reduceat(w, starts)
                out[(stage, i)] = list(zip(keys[r[starts]].tolist(), sums.tolist(), strict=True))
            else:
                compensated.append(((stage, i), r, w, keys))
    if compensated:
        offsets = np.cumsum([0] + [len(keys) for *_, keys in compensated])[:-1]
        labels = np.concatenate(
            [o + r for o, (_, r, _, _) in zip(offsets, compensated, strict=True)]
        )
        values = np.concatenate([w for _, _, w, _ in compensated])
        group_sums = pd.Series(values).groupby(labels).sum()
        found, totals = group_sums.index.to_numpy(), group_sums.to_numpy()
        for o, (where, _, _, keys) in zip(offsets, compensated, strict=True):
            a, b = np.searchsorted(found, [o, o + len(keys)])
            out[where] = list(zip(keys[found[a:b] - o].tolist(), totals[a:b].tolist(), strict=True))
    return out


def _lapsed_note(control: Any, as_of: dt.date) -> str | None:
    """A measure whose suspension has run out counts as active again; say so, since a later
    extension would not be in the reference data until the tables are updated."""
    until = control.suspended_until
    if until is not None and as_of >= until:
        return f"suspension ended {until.isoformat()}; the reference data records no extension"
    return None


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else 0.0


def _stage_summary(
    shares: Mapping[str, np.ndarray],
    weights: np.ndarray,
    total: float,
    by_key: Sequence[tuple[str, float]],
    distributions: Mapping[str, Distribution],
) -> dict[str, Any]:
    """One mineral's stage: `shares` (china, feoc, aligned, unknown) and `weights` per profile
    row, `by_key` the weight behind each distribution key."""
    countries: dict[str, float] = {}
    bases: set[str] = set()
    sources: set[tuple[str | None, str | None]] = set()
    files: set[str] = set()
    for key, weight in by_key:
        dist = distributions[key]
        bases.add(dist.basis)
        if dist.basis in ("reference", "declaration"):
            sources.add((dist.source, dist.year))
        files.update(dist.files)
        for country, share in dist.shares.items():
            countries[country] = countries.get(country, 0.0) + share * weight / total
    named = {c: s for c, s in countries.items() if c not in (OTHER, "UNKNOWN", "RECYCLED")}
    ranked = sorted(named.items(), key=lambda kv: (-kv[1], kv[0]))
    has_data = bases - {"none"}
    source, year = sorted(sources, key=str)[0] if len(sources) == 1 else (None, None)
    return {
        "china_share": _ratio((shares["china"] * weights).sum(), total),
        "feoc_share": _ratio((shares["feoc"] * weights).sum(), total),
        "aligned_share": _ratio((shares["aligned"] * weights).sum(), total),
        "unknown_share": _ratio((shares["unknown"] * weights).sum(), total),
        "recycled_share": countries.get("RECYCLED", 0.0),
        "hhi": sum((100 * s) ** 2 for s in named.values()) if has_data else None,
        "top": [{"country": c, "share": s} for c, s in ranked[:3]],
        "basis": "none"
        if not has_data
        else (next(iter(has_data)) if len(has_data) == 1 else "mixed"),
        "source": source if has_data else "no data",
        "year": year,
        "files": sorted(files),
        "countries": dict(sorted(named.items())),
    }
