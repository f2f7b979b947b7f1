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
from typing import Any

import numpy as np
import pandas as pd

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
    """Scores at every level; frames for the many, dicts for the few."""

    line_minerals: pd.DataFrame
    lines: pd.DataFrame
    minerals: list[dict[str, Any]]
    summary: dict[str, Any]
    weighting: str
    distributions: dict[str, Distribution] = field(default_factory=dict)


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
    """Score mapped contents.

    `bom` and `lines` are indexed by line; `contents` has one row per line and mineral.
    `overrides` (columns line, mineral, stage, dist) replace the reference distribution of a
    stage for some line-minerals, with `override_distributions` naming what each dist holds.
    """
    reference = context.reference
    distributions: dict[str, Distribution] = dict(override_distributions or {})
    distributions[UNKNOWN] = Distribution({}, "none")
    lm = contents.copy()
    for stage in ALL_STAGES:
        lm[f"dist_{stage}"] = _stage_keys(lm, bom, stage)
    if overrides is not None and not overrides.empty:
        for stage, group in overrides.groupby("stage", sort=True):
            keyed = group.set_index(["line", "mineral"])["dist"]
            index = pd.MultiIndex.from_frame(lm[["line", "mineral"]])
            replaced = keyed.reindex(index).to_numpy()
            column = f"dist_{stage}"
            lm[column] = np.where(pd.isna(replaced), lm[column].to_numpy(), replaced)
    for stage in ALL_STAGES:
        for key in pd.unique(lm[f"dist_{stage}"]):
            if key not in distributions:
                distributions[key] = _distribution_for_key(reference, key)
    stats = _distribution_stats(distributions, context)

    # Per line-mineral: shares by stage, China touch and aligned chain.
    touch_complement = np.ones(len(lm))
    chain = np.ones(len(lm))
    chain_stages = np.zeros(len(lm))
    for stage in ALL_STAGES:
        # Gather each distribution's stats by code: one factorize, no string reindex per row.
        codes, keys = pd.factorize(lm[f"dist_{stage}"])
        positions = stats.index.get_indexer(keys)
        joined = {m: stats[m].to_numpy()[positions][codes] if len(lm) else np.array([])
                  for m in ("china", "feoc", "aligned", "unknown", "has_data")}
        for measure in ("china", "feoc", "aligned", "unknown"):
            lm[f"{measure}_{stage}"] = joined[measure].astype(float)
        has_data = joined["has_data"].astype(bool)
        touch_complement *= 1.0 - joined["china"].astype(float)
        chain = np.where(has_data, chain * joined["aligned"].astype(float), chain)
        chain_stages += has_data
    lm["china_touch"] = 1.0 - touch_complement
    lm["aligned_chain"] = np.where(chain_stages > 0, chain, 0.0)

    line_frame = _line_scores(bom, lines, lm, context)
    weighting, weights = _weights(bom, line_frame, lm, context.weighting)
    line_frame["weight"] = weights
    lm["agg_weight"], mineral_weighting = _aggregation_weights(lm, line_frame)

    scored = line_frame["scored"]
    total_weight = float(weights[scored].sum())
    exposure = float((weights[scored] * line_frame.loc[scored, "exposure"]).sum() / total_weight
                     ) if total_weight > 0 else 0.0
    spend = bom["spend"].where(scored, np.nan)
    value_at_risk = float((spend.fillna(0.0) * line_frame["exposure"].fillna(0.0)).sum())
    tiers = context.reference.policy.tiers
    score_value = round(100 * exposure)
    lines_by_tier = {t: int((line_frame.loc[scored, "tier"] == t).sum())
                     for t in ("critical", "high", "medium", "low")}
    lines_by_tier["unscored"] = int((~scored).sum())
    summary = {
        "score": score_value,
        "tier": tiers.tier(score_value),
        "exposure": exposure,
        "value_at_risk": value_at_risk if spend.notna().any() else None,
        "china_touch": _weighted_mean(lm["china_touch"], lm["agg_weight"]),
        "aligned_chain": _weighted_mean(lm["aligned_chain"], lm["agg_weight"]),
        "lines_by_tier": lines_by_tier,
    }
    minerals = _mineral_scores(lm, bom, line_frame, distributions, context, mineral_weighting)
    return Scores(
        line_minerals=lm,
        lines=line_frame,
        minerals=minerals,
        summary=summary,
        weighting=weighting,
        distributions=distributions,
    )


def _stage_keys(lm: pd.DataFrame, bom: pd.DataFrame, stage: str) -> pd.Series:
    """The distribution key of each line-mineral at a stage, before declarations.

    Keys are built once per distinct mineral or country and gathered by code (no string
    concatenation per line-mineral)."""
    if stage == "manufacturing":
        return pd.Series(_country_keys(bom["supplier_country"], lm["line"], None), index=lm.index,
                         dtype=object)
    codes, minerals = pd.factorize(lm["mineral"])
    reference_key = np.array([f"ref/{m}/{stage}" for m in minerals] + [UNKNOWN],
                             dtype=object)[codes]
    column = f"{stage}_country"
    if column not in bom:
        return pd.Series(reference_key, index=lm.index, dtype=object)
    return pd.Series(_country_keys(bom[column], lm["line"], reference_key), index=lm.index,
                     dtype=object)


def _country_keys(country: pd.Series, lines: pd.Series, fallback: np.ndarray | None) -> np.ndarray:
    """"country/XXX" for each line-mineral whose line names a country, else `fallback`."""
    codes, uniques = pd.factorize(country, use_na_sentinel=True)
    keys = np.array([f"country/{u}" for u in uniques] + [None], dtype=object)
    positions = country.index.get_indexer(lines.to_numpy())
    picked = keys[codes[positions]]
    missing = pd.isna(picked)
    if fallback is None:
        picked[missing] = UNKNOWN
    else:
        picked[missing] = fallback[missing]
    return picked


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


def _line_scores(
    bom: pd.DataFrame, lines: pd.DataFrame, lm: pd.DataFrame, context: ScoringContext
) -> pd.DataFrame:
    """Exposure, driving mineral and tier of each line; unmapped lines are not scored."""
    frame = pd.DataFrame(index=bom.index)
    frame["scored"] = lines["mapped"].astype(bool)
    frame["exposure"] = np.where(frame["scored"], 0.0, np.nan)
    frame["driver"] = None
    if not lm.empty:
        # The driver is the mineral with the highest China touch. Ties (a line made in China
        # touches China for every mineral) go to the mineral whose own chain is the most
        # Chinese upstream, then to the larger contained mass.
        # One lexsort over numpy arrays (last key first), then the first row of each line.
        upstream = np.fmax(lm["china_mining"].to_numpy(float),
                           lm["china_processing"].to_numpy(float))
        mineral_codes, minerals = pd.factorize(lm["mineral"], sort=True)
        line_ids = lm["line"].to_numpy()
        touch = lm["china_touch"].to_numpy(float)
        order = np.lexsort((mineral_codes, -lm["mass_kg"].fillna(-1.0).to_numpy(float),
                            -upstream, -touch, line_ids))
        sorted_lines = line_ids[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = sorted_lines[1:] != sorted_lines[:-1]
        top = order[first]
        top_lines = line_ids[top]
        top_touch = touch[top]
        drivers = np.asarray(minerals, dtype=object)[mineral_codes[top]]
        positions = frame.index.get_indexer(top_lines)
        exposure = frame["exposure"].to_numpy(float).copy()
        exposure[positions] = top_touch
        frame["exposure"] = exposure
        driver = np.full(len(frame), None, dtype=object)
        driver[positions] = np.where(top_touch > 0, drivers, None)
        frame["driver"] = pd.Series(driver, index=frame.index, dtype=object)
        mass = lm.groupby("line")["mass_kg"].sum(min_count=1)
        frame["mineral_mass_kg"] = mass.reindex(frame.index)
    else:
        frame["mineral_mass_kg"] = np.nan
    tiers = context.reference.policy.tiers
    score100 = (100 * frame["exposure"]).round()
    frame["tier"] = np.select(
        [score100 >= tiers.critical, score100 >= tiers.high, score100 >= tiers.medium,
         score100.notna()],
        ["critical", "high", "medium", "low"],
        default=None,
    )
    frame["tier"] = frame["tier"].where(frame["scored"], None)
    return frame


def _weights(
    bom: pd.DataFrame, line_frame: pd.DataFrame, lm: pd.DataFrame, requested: str
) -> tuple[str, pd.Series]:
    """Line weights: spend, contained critical-mineral mass, or one per line.

    `auto` takes spend when every scored line has a cost, else mass when every scored line
    with minerals has a mass, else count.
    """
    scored = line_frame["scored"]
    spend = bom["spend"]
    mass = line_frame["mineral_mass_kg"]
    has_minerals = line_frame.index.isin(lm["line"]) if not lm.empty else np.zeros(len(bom), bool)
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


def _aggregation_weights(lm: pd.DataFrame, line_frame: pd.DataFrame) -> tuple[pd.Series, dict[str, str]]:
    """Weights for per-mineral aggregates: contained mass where every line of that mineral has
    one, else the line weight (spend or count) shared among the line's minerals."""
    if lm.empty:
        return pd.Series(dtype=float), {}
    by_mineral_complete = lm.groupby("mineral")["mass_kg"].apply(lambda s: bool(s.notna().all()))
    line_weight = line_frame["weight"].reindex(lm["line"]).to_numpy()
    per_line = lm.groupby("line")["mineral"].transform("size").to_numpy()
    fallback = line_weight / per_line
    use_mass = by_mineral_complete.reindex(lm["mineral"]).to_numpy(dtype=bool)
    weights = np.where(use_mass, lm["mass_kg"].fillna(0.0).to_numpy(), fallback)
    kinds = {m: ("mass" if ok else "line weight") for m, ok in by_mineral_complete.items()}
    return pd.Series(weights, index=lm.index), kinds


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float | None:
    total = float(weights.sum()) if len(weights) else 0.0
    if total <= 0:
        return None
    return float((values * weights).sum() / total)


def _mineral_scores(
    lm: pd.DataFrame,
    bom: pd.DataFrame,
    line_frame: pd.DataFrame,
    distributions: Mapping[str, Distribution],
    context: ScoringContext,
    mineral_weighting: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Per mineral and stage: shares, HHI, top countries and provenance."""
    reference = context.reference
    if lm.empty:
        return []
    spend = bom["spend"]
    out: list[dict[str, Any]] = []
    mass_sum = lm.groupby("mineral")["mass_kg"].sum(min_count=1)
    for mineral, group in lm.groupby("mineral", sort=True):
        weights = group["agg_weight"]
        total = float(weights.sum())
        line_ids = group["line"].unique()
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
            }
            for c in (reference.minerals[mineral].export_controls
                      if mineral in reference.minerals else [])
            if c.status(context.as_of) != "not_yet"
        ]
        line_spend = spend.reindex(line_ids)
        out.append(
            {
                "mineral": mineral,
                "name": reference.minerals[mineral].name if mineral in reference.minerals else mineral,
                "mass_kg": None if pd.isna(mass_sum[mineral]) else float(mass_sum[mineral]),
                "spend": float(line_spend.sum()) if line_spend.notna().any() else None,
                "lines": len(line_ids),
                "weighting": mineral_weighting.get(mineral, "line weight"),
                "china_touch": _ratio((group["china_touch"] * weights).sum(), total),
                "aligned_chain": _ratio((group["aligned_chain"] * weights).sum(), total),
                "export_controls": controls,
                "stages": stages,
            }
        )
    return out


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
        weights = pd.Series(1.0, index=group.index)
        total = float(len(group))
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
    source, year = (sorted(sources, key=str)[0] if len(sources) == 1 else (None, None))
    return {
        "china_share": _ratio((group[f"china_{stage}"] * weights).sum(), total),
        "feoc_share": _ratio((group[f"feoc_{stage}"] * weights).sum(), total),
        "aligned_share": _ratio((group[f"aligned_{stage}"] * weights).sum(), total),
        "unknown_share": _ratio((group[f"unknown_{stage}"] * weights).sum(), total),
        "recycled_share": countries.get("RECYCLED", 0.0),
        "hhi": sum((100 * s) ** 2 for s in named.values()) if has_data else None,
        "top": [{"country": c, "share": s} for c, s in ranked[:3]],
        "basis": "none" if not has_data else (next(iter(has_data)) if len(has_data) == 1
                                              else "mixed"),
        "source": source if has_data else "no data",
        "year": year,
        "files": sorted(files),
        "countries": dict(sorted(named.items())),
    }
