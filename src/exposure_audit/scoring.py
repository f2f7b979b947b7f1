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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from exposure_audit.mapping import composition_blocks, expand
from exposure_audit.reference import ReferenceSet
from exposure_audit.reference.models import ALL_STAGES, OTHER

UNKNOWN = "unknown"
NO_DATA = "nodata"


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
    on) and joined back by integer code. `line_minerals` expands it per line on demand."""

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

    def mineral_lines(self, mineral: str) -> np.ndarray:
        """Positions of the lines holding `mineral`."""
        return np.flatnonzero(
            self.profile_mask(
                self.profile_minerals.loc[
                    self.profile_minerals["mineral"].to_numpy() == mineral, "profile"
                ].to_numpy()
            )
        )

    def profile_mask(self, profiles: np.ndarray) -> np.ndarray:
        """Per line: whether its profile is one of `profiles` (a lookup table, not np.isin)."""
        table = np.zeros(int(self.profile.max(initial=-1)) + 2, dtype=bool)
        table[np.asarray(profiles, dtype=np.int64)] = True
        return table[self.profile]  # -1 (unscored) reads the last entry, always False


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
    """Score mapped lines.

    `bom` and `lines` (`Mapping.lines`) are indexed by line; `contents` is the per-archetype
    composition (`Mapping.composition`) or the per-line contents (`Mapping.contents`): only its
    archetype, mineral and fraction columns are read. `overrides` (columns line, mineral, stage,
    dist) replace the reference distribution of a stage for some line-minerals, with
    `override_distributions` naming what each dist holds.
    """
    reference = context.reference
    distributions: dict[str, Distribution] = dict(override_distributions or {})
    distributions[UNKNOWN] = Distribution({}, "none")
    composition = (
        contents[["archetype", "mineral", "fraction"]]
        .drop_duplicates(["archetype", "mineral"])
        .sort_values(["archetype", "mineral"], kind="stable", ignore_index=True)
    )
    n = len(bom)
    scored = lines["mapped"].to_numpy(bool)
    basis = lines["mass_basis_kg"].to_numpy(float)
    estimated = lines["estimated"].to_numpy(bool)

    # The profile of each scored line: integer codes combined, then factorized (no strings).
    arch_codes, archetypes = pd.factorize(lines["archetype"].where(scored))
    starts, counts = composition_blocks(composition, archetypes)
    country_columns = {
        "manufacturing": "supplier_country",
        "mining": "mining_country",
        "processing": "processing_country",
    }
    key = arch_codes.astype(np.int64)
    countries: dict[str, np.ndarray] = {}
    country_codes: dict[str, np.ndarray] = {}
    for stage, column in country_columns.items():
        if column in bom:
            codes, uniques = pd.factorize(bom[column], use_na_sentinel=True)
        else:
            codes, uniques = np.full(n, -1, np.int64), pd.Index([])
        countries[stage] = np.append(np.asarray(uniques, dtype=object), None)
        country_codes[stage] = codes
        key = key * (len(uniques) + 1) + (codes + 1)
    # The driver's tie-break on contained mass only sees whether the line's mass is positive.
    key = key * 2 + (basis > 0)
    override_codes, override_entries = _override_codes(overrides, lines.index, n)
    key = key * (len(override_entries) + 1) + override_codes
    key = np.where(scored, key, -1)
    profile, profile_keys = pd.factorize(key, use_na_sentinel=False)
    profile = profile.astype(np.int64)
    if (key < 0).any():
        # The unscored lines share one code: drop it and renumber.
        unscored = int(np.flatnonzero(profile_keys < 0)[0])
        profile = np.where(scored, profile - (profile > unscored), -1)
    n_profiles = int(profile.max(initial=-1)) + 1
    first_line = np.full(n_profiles, 0, np.int64)
    scored_positions = np.flatnonzero(scored)
    first_line[profile[scored_positions][::-1]] = scored_positions[::-1]

    # One row per profile and mineral.
    p_arch = arch_codes[first_line]
    p_items, p_rows = expand(p_arch, starts, counts) if n_profiles else (np.zeros(0, int),) * 2
    pm = pd.DataFrame(
        {
            "profile": p_items.astype(np.int64),
            "archetype": composition["archetype"].to_numpy(dtype=object)[p_rows],
            "mineral": composition["mineral"].to_numpy(dtype=object)[p_rows],
            "fraction": composition["fraction"].to_numpy(float)[p_rows],
        }
    )
    pm_line = first_line[p_items]
    minerals_arr = pm["mineral"].to_numpy(dtype=object)
    for stage in ALL_STAGES:
        country = countries[stage][country_codes[stage][pm_line]]
        if stage == "manufacturing":
            fallback = np.full(len(pm), UNKNOWN, dtype=object)
        else:
            fallback = np.array([f"ref/{m}/{stage}" for m in minerals_arr], dtype=object)
        keys = np.where(
            pd.isna(country), fallback, np.array([f"country/{c}" for c in country], dtype=object)
        )
        pm[f"dist_{stage}"] = keys
    for row, (p_line, mineral) in enumerate(zip(pm_line, minerals_arr, strict=True)):
        for (ov_mineral, stage), dist in override_entries.get(
            int(override_codes[p_line]), {}
        ).items():
            if ov_mineral == mineral:
                pm.at[row, f"dist_{stage}"] = dist
    for stage in ALL_STAGES:
        for dist_key in pd.unique(pm[f"dist_{stage}"]):
            if dist_key not in distributions:
                distributions[dist_key] = _distribution_for_key(reference, dist_key)
    stats = _distribution_stats(distributions, context)

    # Per profile and mineral: shares by stage, China touch and aligned chain.
    touch_complement = np.ones(len(pm))
    chain = np.ones(len(pm))
    chain_stages = np.zeros(len(pm))
    for stage in ALL_STAGES:
        positions = stats.index.get_indexer(pm[f"dist_{stage}"])
        joined = {
            m: stats[m].to_numpy()[positions]
            for m in ("china", "feoc", "aligned", "unknown", "has_data")
        }
        for measure in _MEASURES:
            pm[f"{measure}_{stage}"] = joined[measure].astype(float)
        has_data = joined["has_data"].astype(bool)
        touch_complement *= 1.0 - joined["china"].astype(float)
        chain = np.where(has_data, chain * joined["aligned"].astype(float), chain)
        chain_stages += has_data
    pm["china_touch"] = 1.0 - touch_complement
    pm["aligned_chain"] = np.where(chain_stages > 0, chain, 0.0)

    # Per profile: exposure and driver; per line: gathered by profile code.
    p_exposure, p_driver = _profile_drivers(pm, basis[first_line] > 0, n_profiles)
    tiers = context.reference.policy.tiers
    p_tier = _tiers(p_exposure, tiers)
    has_profile = profile >= 0
    safe = np.where(has_profile, profile, 0)
    line_frame = pd.DataFrame(index=bom.index)
    line_frame["scored"] = scored
    line_frame["exposure"] = np.where(has_profile, p_exposure[safe] if n_profiles else 0.0, np.nan)
    driver = np.full(n, None, dtype=object)
    tier = np.full(n, None, dtype=object)
    if n_profiles:
        driver[has_profile] = p_driver[profile[has_profile]]
        tier[has_profile] = p_tier[profile[has_profile]]
    line_frame["driver"] = pd.Series(driver, index=bom.index, dtype=object)
    # Contained mass of each line: the sum of basis x fraction over its minerals.
    per_line_minerals = np.where(has_profile, counts[arch_codes] if len(counts) else 0, 0)
    mineral_mass = np.full(n, np.nan)
    with_minerals = per_line_minerals > 0
    if with_minerals.any():
        acc = np.zeros(int(with_minerals.sum()))
        arch = arch_codes[with_minerals]
        line_basis = basis[with_minerals]
        fractions = composition["fraction"].to_numpy(float)
        for j in range(int(counts.max())):
            take = j < counts[arch]
            acc[take] += line_basis[take] * fractions[starts[arch[take]] + j]
        mineral_mass[with_minerals] = acc
    line_frame["mineral_mass_kg"] = mineral_mass
    line_frame["tier"] = pd.Series(tier, index=bom.index, dtype=object)

    weighting, weights = _weights(bom, line_frame, with_minerals, context.weighting)
    line_frame["weight"] = weights
    w = weights.to_numpy(float)

    # Sums per profile (np.bincount), so aggregates never go through line x mineral.
    def per_profile(values: np.ndarray) -> np.ndarray:
        return np.bincount(profile[has_profile], weights=values[has_profile], minlength=n_profiles)

    p_count = np.bincount(profile[has_profile], minlength=n_profiles).astype(float)
    p_weight = per_profile(w)
    p_mass = per_profile(np.nan_to_num(basis, nan=0.0))
    p_mass_known = per_profile((~np.isnan(basis)).astype(float))
    spend_values = bom["spend"].to_numpy(float)
    p_spend = per_profile(np.nan_to_num(spend_values, nan=0.0))
    p_spend_known = per_profile((~np.isnan(spend_values)).astype(float))

    prof = pm["profile"].to_numpy()
    n_minerals = counts[p_arch][prof] if len(pm) else np.zeros(0)
    # Per-mineral aggregates weigh by contained mass where every line of the mineral has one,
    # else by the line weight shared among the line's minerals.
    complete = (
        pd.Series(p_mass_known[prof] == p_count[prof])
        .groupby(minerals_arr)
        .transform("all")
        .to_numpy(bool)
        if len(pm)
        else np.zeros(0, bool)
    )
    pm["use_mass"] = complete
    pm["agg_weight"] = np.where(
        complete,
        pm["fraction"].to_numpy() * p_mass[prof],
        p_weight[prof] / np.maximum(n_minerals, 1),
    )
    pm["lines"] = p_count[prof]
    pm["mass_kg"] = pm["fraction"].to_numpy() * p_mass[prof]
    pm["mass_known"] = p_mass_known[prof]
    pm["spend"] = p_spend[prof]
    pm["spend_known"] = p_spend_known[prof]

    total_weight = float(p_weight.sum())
    exposure = float((p_weight * p_exposure).sum() / total_weight) if total_weight > 0 else 0.0
    any_spend = bool(np.any(~np.isnan(spend_values) & scored))
    value_at_risk = float((p_spend * p_exposure).sum())
    score_value = round(100 * exposure)
    lines_by_tier = {
        t: int(p_count[p_tier == t].sum()) for t in ("critical", "high", "medium", "low")
    }
    lines_by_tier["unscored"] = int((~scored).sum())
    summary = {
        "score": score_value,
        "tier": tiers.tier(score_value),
        "exposure": exposure,
        "value_at_risk": value_at_risk if any_spend else None,
        "china_touch": _weighted_mean(pm["china_touch"], pm["agg_weight"]),
        "aligned_chain": _weighted_mean(pm["aligned_chain"], pm["agg_weight"]),
        "lines_by_tier": lines_by_tier,
    }
    kinds = {
        m: ("mass" if ok else "line weight")
        for m, ok in pm.groupby("mineral")["use_mass"].first().items()
    }
    minerals = _mineral_scores(pm, distributions, context, kinds)
    return Scores(
        lines=line_frame,
        minerals=minerals,
        summary=summary,
        weighting=weighting,
        distributions=distributions,
        profile=profile,
        profile_minerals=pm,
        mass_basis=basis,
        estimated=estimated,
    )


def _override_codes(
    overrides: pd.DataFrame | None, index: pd.Index, n: int
) -> tuple[np.ndarray, dict[int, dict[tuple[str, str], str]]]:
    """Per line: a code for its set of declaration overrides (0: none), and what each holds."""
    codes = np.zeros(n, np.int64)
    if overrides is None or overrides.empty:
        return codes, {}
    positions = index.get_indexer(overrides["line"].to_numpy())
    per_line: dict[int, dict[tuple[str, str], str]] = {}
    for pos, mineral, stage, dist in zip(
        positions, overrides["mineral"], overrides["stage"], overrides["dist"], strict=True
    ):
        per_line.setdefault(int(pos), {})[(str(mineral), str(stage))] = str(dist)
    signatures: dict[tuple, int] = {}
    entries: dict[int, dict[tuple[str, str], str]] = {}
    for pos, entry in per_line.items():
        signature = tuple(sorted(entry.items()))
        code = signatures.setdefault(signature, len(signatures) + 1)
        entries[code] = entry
        codes[pos] = code
    return codes, entries


def _profile_drivers(
    pm: pd.DataFrame, positive_mass: np.ndarray, n_profiles: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exposure and driving mineral of each profile.

    The driver is the mineral with the highest China touch. Ties (a line made in China touches
    China for every mineral) go to the mineral whose own chain is the most Chinese upstream,
    then to the larger contained mass (within a line: the larger fraction, when the line has a
    mass), then to the first mineral by name."""
    exposure = np.zeros(n_profiles)
    driver = np.full(n_profiles, None, dtype=object)
    if pm.empty:
        return exposure, driver
    upstream = np.fmax(pm["china_mining"].to_numpy(float), pm["china_processing"].to_numpy(float))
    mineral_codes, minerals = pd.factorize(pm["mineral"], sort=True)
    prof = pm["profile"].to_numpy()
    mass = np.where(positive_mass[prof], pm["fraction"].to_numpy(float), 0.0)
    touch = pm["china_touch"].to_numpy(float)
    order = np.lexsort((mineral_codes, -mass, -upstream, -touch, prof))
    sorted_prof = prof[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_prof[1:] != sorted_prof[:-1]
    top = order[first]
    exposure[prof[top]] = touch[top]
    driver[prof[top]] = np.where(
        touch[top] > 0, np.asarray(minerals, dtype=object)[mineral_codes[top]], None
    )
    return exposure, driver


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
    bom: pd.DataFrame, line_frame: pd.DataFrame, has_minerals: np.ndarray, requested: str
) -> tuple[str, pd.Series]:
    """Line weights: spend, contained critical-mineral mass, or one per line.

    `auto` takes spend when every scored line has a cost, else mass when every scored line
    with minerals has a mass, else count.
    """
    scored = line_frame["scored"]
    spend = bom["spend"]
    mass = line_frame["mineral_mass_kg"]
    if requested == "auto":
        if scored.any() and spend[scored].notna().all() and (spend[scored] > 0).any():
            requested = "spend"
        elif scored.any() and mass[scored & has_minerals].notna().all() and (mass > 0).any():
            requested = "mass"
        else:
            requested = "count"
    if requested == "spend":
        weights = spend.fillna(0.0).clip(lower=0.0)
    elif requested == "mass":
        weights = mass.fillna(0.0)
    else:
        weights = pd.Series(1.0, index=bom.index)
    return requested, weights.where(scored, 0.0).astype(float)


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
    sums (each profile row stands for all its lines)."""
    reference = context.reference
    if pm.empty:
        return []
    out: list[dict[str, Any]] = []
    for mineral, group in pm.groupby("mineral", sort=True):
        weights = group["agg_weight"]
        total = float(weights.sum())
        stages: dict[str, Any] = {}
        for stage in ALL_STAGES:
            stages[stage] = _stage_summary(group, stage, weights, total, distributions)
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
                    float(group["mass_kg"].sum()) if group["mass_known"].gt(0).any() else None
                ),
                "spend": (
                    float(group["spend"].sum()) if group["spend_known"].gt(0).any() else None
                ),
                "lines": int(group["lines"].sum()),
                "weighting": mineral_weighting.get(mineral, "line weight"),
                "china_touch": _ratio((group["china_touch"] * weights).sum(), total),
                "aligned_chain": _ratio((group["aligned_chain"] * weights).sum(), total),
                "export_controls": controls,
                "stages": stages,
            }
        )
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
    group: pd.DataFrame,
    stage: str,
    weights: pd.Series,
    total: float,
    distributions: Mapping[str, Distribution],
) -> dict[str, Any]:
    keys = group[f"dist_{stage}"]
    if total <= 0:
        weights = group["lines"].astype(float)  # one per line-mineral
        total = float(weights.sum())
    by_key = weights.groupby(keys.to_numpy()).sum()
    countries: dict[str, float] = {}
    bases: set[str] = set()
    sources: set[tuple[str | None, str | None]] = set()
    files: set[str] = set()
    for key, weight in by_key.items():
        dist = distributions[str(key)]
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
        "china_share": _ratio((group[f"china_{stage}"] * weights).sum(), total),
        "feoc_share": _ratio((group[f"feoc_{stage}"] * weights).sum(), total),
        "aligned_share": _ratio((group[f"aligned_{stage}"] * weights).sum(), total),
        "unknown_share": _ratio((group[f"unknown_{stage}"] * weights).sum(), total),
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
