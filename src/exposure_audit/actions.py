"""Concrete actions tied to the findings, in four families, each naming its rows and facts.

- `re-source`: lines whose exposure reaches the policy's medium tier, grouped by the mineral
  that drives them, with the aligned producers of that mineral per stage (country and share of
  world output from supply.yaml); lines made in a covered nation.
- `engage-suppliers`: lines holding a mineral with a China touch and no supplier declaration,
  grouped by supplier, with the RMI template that covers each mineral (CMRT, EMRT or AMRT).
- `export-controls`: minerals under a Chinese export-control measure active (or suspended, with
  the date the suspension ends) on the audit date; stages where one non-EU country holds more
  than the EU CRMA 65% benchmark.
- `pricing`: minerals with a published price floor (prices.yaml): the value of the contained
  mass at the floor, compared with the published market average where there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from exposure_audit.reference.models import STAGES
from exposure_audit.scoring import Scores, ScoringContext

FAMILIES = ("re-source", "engage-suppliers", "export-controls", "pricing")
PRIORITIES = {"high": 0, "medium": 1, "low": 2}
MAX_ROWS_LISTED = 500
MAX_SUPPLIERS = 25
TOP_PRODUCERS = 3

CMRT = frozenset({"tin", "tantalum", "tungsten", "gold"})
EMRT = frozenset({"cobalt", "copper", "graphite", "lithium", "mica", "nickel"})
RMI_FACT = {
    "fact": "RMI templates: CMRT 6.5 covers tantalum, tin, gold and tungsten; EMRT 2.1 covers "
    "cobalt, copper, natural graphite, lithium, mica and nickel; AMRT 1.3 covers "
    "aluminum, PGMs, rare earth elements, manganese, silver, zinc and up to 10 other "
    "minerals",
    "source": "Responsible Minerals Initiative reporting templates (CMRT 6.5, EMRT 2.1, AMRT "
    "1.3), as compiled in the reference facts (formats-and-methods.md)",
    "url": "https://www.responsiblemineralsinitiative.org/reporting-templates/cmrt/",
    "year": "2025",
}
CRMA_FACT = {
    "fact": "EU Critical Raw Materials Act benchmark: no more than 65% of the Union's annual "
    "consumption of each strategic raw material from a single third country",
    "source": "Regulation (EU) 2024/1252 (Critical Raw Materials Act), as compiled in the "
    "reference facts (policy_groups.md section 6)",
    "url": "https://nicola-bernard.de/en/critical-raw-materials-act-crma-has-entered-into-force/",
    "year": "2024",
}


class Action(BaseModel):
    """One thing to do, with the rows it concerns and the facts behind it."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    family: str = Field(description="re-source, engage-suppliers, export-controls or pricing")
    priority: str = Field(description="high, medium or low")
    title: str
    detail: str
    rows: list[int] = Field(description="1-based spreadsheet rows")
    minerals: list[str]
    facts: list[dict[str, Any]] = Field(description="fact, source, url, year")


def plan_actions(
    scores: Scores,
    context: ScoringContext,
    bom: pd.DataFrame,
    findings: Iterable[Any] = (),
) -> list[Action]:
    """Every action the audit supports, sorted by priority, family, then title."""
    del findings  # NOTE: actions are derived from the same scores the findings use
    actions = [
        *_resource(scores, context, bom),
        *_engage(scores, context, bom),
        *_export_controls(scores, context, bom),
        *_benchmark(scores, context, bom),
        *_pricing(scores, context, bom),
    ]
    return sorted(
        actions, key=lambda a: (PRIORITIES.get(a.priority, 9), FAMILIES.index(a.family), a.title)
    )


# --- helpers -----------------------------------------------------------------------------------


def _rows(bom: pd.DataFrame, positions: np.ndarray) -> list[int]:
    """The first rows (sorted) of the lines at `positions`: a partial sort, not a full one."""
    rows = bom["row"].to_numpy()[np.asarray(positions, dtype=np.int64)]
    if rows.size > MAX_ROWS_LISTED:
        rows = np.partition(rows, MAX_ROWS_LISTED - 1)[:MAX_ROWS_LISTED]
    return [int(r) for r in np.sort(rows)]


def _rows_text(rows: list[int], limit: int = 8) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return f"row{'s' if len(rows) > 1 else ''} {shown}{' …' if len(rows) > limit else ''}"


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%" if 0 < value < 0.01 else f"{100 * value:.0f}%"


def _name(context: ScoringContext, mineral: str) -> str:
    info = context.reference.minerals.get(mineral)
    return info.name if info else mineral


def _supply_fact(context: ScoringContext, mineral: str, stage: str) -> dict[str, Any] | None:
    entry = context.reference.supply.get((mineral, stage))
    if entry is None:
        return None
    return {
        "fact": f"{_name(context, mineral)} {stage}: country shares of world output "
        f"({entry.basis}, {entry.year})",
        "source": entry.source.title,
        "url": entry.source.url,
        "year": str(entry.source.year),
    }


def _tier_priority(tiers: Iterable[Any]) -> str:
    tiers = set(tiers)
    if tiers & {"critical", "high"}:
        return "high"
    if "medium" in tiers:
        return "medium"
    return "low"


def _aligned_producers(
    context: ScoringContext, mineral: str, stage: str
) -> list[tuple[str, float]]:
    entry = context.reference.supply.get((mineral, stage))
    if entry is None:
        return []
    ranked = [
        (c, s)
        for c, s in entry.shares.items()
        if c in context.aligned and c not in context.china and s > 0
    ]
    return sorted(ranked, key=lambda cs: (-cs[1], cs[0]))[:TOP_PRODUCERS]


# --- re-source ---------------------------------------------------------------------------------


def _resource(scores: Scores, context: ScoringContext, bom: pd.DataFrame) -> list[Action]:
    lines = scores.lines
    threshold = context.reference.policy.tiers.medium / 100.0
    exposure = lines["exposure"].to_numpy(float)
    driver = lines["driver"].to_numpy(dtype=object)
    exposed = lines["scored"].to_numpy(bool) & (exposure >= threshold) & pd.notna(driver)
    out: list[Action] = []
    positions = np.flatnonzero(exposed)
    codes, drivers = pd.factorize(driver[exposed], sort=True)
    tier_codes, tier_names = pd.factorize(lines["tier"].to_numpy(dtype=object)[exposed])
    row_numbers = bom["row"].to_numpy()[positions]
    # One lexsort by (driver, row); each driver's lines are then a slice, rows in order.
    order = np.lexsort((row_numbers, codes))
    bounds = np.searchsorted(codes[order], np.arange(len(drivers) + 1))
    for code, mineral in enumerate(drivers):
        mineral = str(mineral)
        members = order[bounds[code] : bounds[code + 1]]
        rows = [int(r) for r in row_numbers[members[:MAX_ROWS_LISTED]]]
        tiers = np.asarray(tier_names, dtype=object)[np.unique(tier_codes[members])]
        top = float(exposure[positions[members]].max())
        parts, facts = [], []
        for stage in STAGES:
            entry = context.reference.supply.get((mineral, stage))
            if entry is None:
                parts.append(f"{stage}: no reference shares")
                continue
            china = sum(entry.shares.get(c, 0.0) for c in context.china)
            producers = _aligned_producers(context, mineral, stage)
            named = (
                ", ".join(f"{c} {_pct(s)}" for c, s in producers)
                if producers
                else "no aligned producer in the reference shares"
            )
            parts.append(f"{stage} (China {_pct(china)}): towards {named}")
            fact = _supply_fact(context, mineral, stage)
            if fact:
                facts.append(fact)
        name = _name(context, mineral)
        out.append(
            Action(
                family="re-source",
                priority=_tier_priority(tiers),
                title=f"Re-source {name} in {len(rows)} line(s) towards aligned producers",
                detail=(
                    f"{_rows_text(rows)} (exposure up to {_pct(top)}, "
                    f"driven by {name}); " + "; ".join(parts)
                ),
                rows=rows,
                minerals=[mineral],
                facts=facts,
            )
        )
    country = bom["supplier_country"]
    made = np.flatnonzero(country.isin(sorted(context.covered)).to_numpy(dtype=bool))
    if len(made):
        rows = _rows(bom, made)
        names = sorted({str(c) for c in pd.unique(country.iloc[made])})
        groups = [
            g for g in (context.reference.policy.covered_group,) if g in context.reference.groups
        ]
        facts = [
            {
                "fact": f"covered nations on {context.as_of.isoformat()}: "
                f"{', '.join(sorted(context.covered))}",
                "source": context.reference.groups[g].name,
                "url": (
                    context.reference.groups[g].sources[0].url
                    if context.reference.groups[g].sources
                    else None
                ),
                "year": str(context.reference.groups[g].as_of.year),
            }
            for g in groups
        ]
        out.append(
            Action(
                family="re-source",
                priority="high",
                title=f"Move manufacturing of {len(made)} line(s) out of covered nations",
                detail=(
                    f"{_rows_text(rows)} are made in {', '.join(names)}; qualify a second source "
                    "in an aligned country for these parts"
                ),
                rows=rows,
                minerals=[],
                facts=facts,
            )
        )
    return out


# --- engage suppliers --------------------------------------------------------------------------


def _template(context: ScoringContext, mineral: str) -> str:
    if mineral in CMRT:
        return "CMRT"
    if mineral in EMRT:
        return "EMRT"
    return "AMRT"


def _engage(scores: Scores, context: ScoringContext, bom: pd.DataFrame) -> list[Action]:
    pm = scores.profile_minerals
    if pm.empty:
        return []
    # Per profile: the minerals with a China touch and no declaration (nor BOM country) at an
    # upstream stage; a line wants them when its profile does.
    bases = {k: d.basis for k, d in scores.distributions.items()}
    declared = np.zeros(len(pm), dtype=bool)
    for stage in STAGES:
        basis = pm[f"dist_{stage}"].map(bases).to_numpy()
        declared |= np.isin(basis, ["declaration", "bom"])
    wanted = pm[(~declared) & (pm["china_touch"].to_numpy(float) > 0)]
    if wanted.empty:
        return []
    wanted_minerals = wanted.groupby("profile")["mineral"].agg(list).to_dict()
    profile = scores.profile
    positions = np.flatnonzero(scores.profile_mask(np.fromiter(wanted_minerals, np.int64)))
    # Suppliers factorized once; blanks and stray spaces fold together after a strip.
    codes, uniques = pd.factorize(bom["supplier"], use_na_sentinel=True)
    stripped = pd.Index([str(u).strip() for u in uniques] + [""], dtype=object)
    names_code, names = pd.factorize(stripped, sort=True)
    supplier = names_code[codes[positions]]
    spend = np.nan_to_num(bom["spend"].to_numpy(float)[positions], nan=0.0)
    n_groups = len(names)
    group_spend = np.bincount(supplier, weights=spend, minlength=n_groups)
    group_lines = np.bincount(supplier, minlength=n_groups)
    present = np.flatnonzero(group_lines)
    order = sorted(present, key=lambda g: (-group_spend[g], -group_lines[g], str(names[g])))
    # Rows of each group, sorted: one lexsort, then a slice per group.
    row_numbers = bom["row"].to_numpy()[positions]
    by_group = np.lexsort((row_numbers, supplier))
    bounds = np.searchsorted(supplier[by_group], np.arange(n_groups + 1))
    # The profiles present in each group, from the distinct (group, profile) integer pairs.
    n_profiles = int(profile.max(initial=-1)) + 1
    pairs = np.unique(supplier.astype(np.int64) * n_profiles + profile[positions])
    profiles_of: dict[int, list[int]] = {}
    for g, p in zip((pairs // n_profiles).tolist(), (pairs % n_profiles).tolist(), strict=True):
        profiles_of.setdefault(g, []).append(p)
    # A profile's lines share one tier: read it at the profile's first line.
    seen, first = np.unique(profile, return_index=True)
    line_tiers = scores.lines["tier"].to_numpy(dtype=object)
    tier_of = dict(zip(seen.tolist(), line_tiers[first], strict=True))

    def group_minerals(groups: Iterable[int]) -> list[str]:
        return sorted({m for g in groups for p in profiles_of[g] for m in wanted_minerals[p]})

    out: list[Action] = []
    for g in order[:MAX_SUPPLIERS]:
        name = str(names[g])
        minerals = group_minerals([g])
        by_template: dict[str, list[str]] = {}
        for mineral in minerals:
            by_template.setdefault(_template(context, mineral), []).append(mineral)
        asks = "; ".join(f"{t} for {', '.join(ms)}" for t, ms in sorted(by_template.items()))
        rows = [int(r) for r in row_numbers[by_group[bounds[g] : bounds[g + 1]]][:MAX_ROWS_LISTED]]
        who = name or "the suppliers of lines with no supplier named"
        out.append(
            Action(
                family="engage-suppliers",
                priority=_tier_priority(tier_of[p] for p in profiles_of[g]),
                title=f"Ask {who} for {'/'.join(sorted(by_template))} declarations",
                detail=(
                    f"{_rows_text(rows)}: no smelter or mine declaration, so the scores use "
                    f"world shares; request {asks} and audit again with --smelters"
                ),
                rows=rows,
                minerals=minerals,
                facts=[RMI_FACT],
            )
        )
    rest = order[MAX_SUPPLIERS:]
    if rest:
        rows = _rows(bom, positions[np.isin(supplier, rest)])
        out.append(
            Action(
                family="engage-suppliers",
                priority="low",
                title=f"Ask {len(rest)} more supplier(s) for declarations",
                detail=f"{_rows_text(rows)}: smaller suppliers without declarations (see the JSON)",
                rows=rows,
                minerals=group_minerals(rest),
                facts=[RMI_FACT],
            )
        )
    return out


# --- export controls and the EU benchmark ------------------------------------------------------


def _mineral_lines(scores: Scores, mineral: str) -> np.ndarray:
    return scores.mineral_lines(mineral)


def _export_controls(scores: Scores, context: ScoringContext, bom: pd.DataFrame) -> list[Action]:
    out: list[Action] = []
    for m in scores.minerals:
        info = context.reference.minerals.get(m["mineral"])
        if info is None:
            continue
        measures = [(c, c.status(context.as_of)) for c in info.export_controls]
        active = [c for c, s in measures if s == "active"]
        suspended = [c for c, s in measures if s == "suspended"]
        if not active and not suspended:
            continue
        rows = _rows(bom, _mineral_lines(scores, m["mineral"]))
        parts = []
        if active:
            first = min(c.since for c in active)
            parts.append(f"{len(active)} active measure(s), the first since {first.isoformat()}")
        if suspended:
            ends = (
                min(c.suspended_until for c in suspended if c.suspended_until)
                if any(c.suspended_until for c in suspended)
                else None
            )
            parts.append(
                f"{len(suspended)} suspended measure(s)"
                + (f" whose suspension ends on {ends.isoformat()}" if ends else "")
            )
        advice = (
            "secure export licences or qualify non-Chinese material for these lines"
            if active
            else "plan for the measures' return before the suspension ends"
        )
        facts = [
            {
                "fact": f"{c.measure}: {c.scope} (since {c.since.isoformat()}"
                + (
                    f", suspended until {c.suspended_until.isoformat()}"
                    if s == "suspended" and c.suspended_until
                    else ""
                )
                + ")",
                "source": c.source.title,
                "url": c.source.url,
                "year": str(c.source.year),
            }
            for c, s in measures
            if s in ("active", "suspended")
        ]
        out.append(
            Action(
                family="export-controls",
                priority="high" if active else "medium",
                title=f"{m['name']} is under Chinese export controls "
                f"({'active' if active else 'suspended'})",
                detail=f"{_rows_text(rows)}: {'; '.join(parts)}; {advice}",
                rows=rows,
                minerals=[m["mineral"]],
                facts=facts,
            )
        )
    return out


def _benchmark(scores: Scores, context: ScoringContext, bom: pd.DataFrame) -> list[Action]:
    threshold = context.reference.policy.eu_single_country_benchmark
    eu = context.reference.eu_members(context.as_of)
    out: list[Action] = []
    for m in scores.minerals:
        breaches, facts = [], []
        for stage in STAGES:
            st = m["stages"][stage]
            over = sorted(
                ((c, s) for c, s in st["countries"].items() if s > threshold and c not in eu),
                key=lambda cs: -cs[1],
            )
            if not over:
                continue
            country, share = over[0]
            producers = _aligned_producers(context, m["mineral"], stage)
            alt = (
                ", ".join(f"{c} {_pct(s)}" for c, s in producers)
                if producers
                else "no aligned producer in the reference shares"
            )
            breaches.append(f"{stage}: {country} holds {_pct(share)} (aligned: {alt})")
            fact = _supply_fact(context, m["mineral"], stage)
            if fact:
                facts.append(fact)
        if not breaches:
            continue
        rows = _rows(bom, _mineral_lines(scores, m["mineral"]))
        out.append(
            Action(
                family="export-controls",
                priority="medium",
                title=f"{m['name']}: one country above the EU CRMA {_pct(threshold)} benchmark",
                detail=f"{_rows_text(rows)}: "
                + "; ".join(breaches)
                + "; diversify so no single third country exceeds the benchmark",
                rows=rows,
                minerals=[m["mineral"]],
                facts=[*facts, CRMA_FACT],
            )
        )
    return out


# --- pricing -----------------------------------------------------------------------------------


def _pricing(scores: Scores, context: ScoringContext, bom: pd.DataFrame) -> list[Action]:
    pm = scores.profile_minerals
    prices = context.reference.prices
    out: list[Action] = []
    for (mineral, kind), floor in sorted(prices.items()):
        if kind != "floor" or pm.empty:
            continue
        group = pm[pm["mineral"].to_numpy() == mineral]
        if group.empty:
            continue
        positions = scores.mineral_lines(mineral)
        rows = _rows(bom, positions)
        has_mass = bool((group["mass_known"] > 0).any())
        contained = float(group["mass_kg"].sum())  # over the lines that have a mass
        value = contained * floor.per_kg_contained
        missing = _rows(bom, positions[np.isnan(scores.mass_basis[positions])])
        name = _name(context, mineral)
        text = (
            f"{_rows_text(rows)}: aligned {floor.product} has a floor of {floor.value:g} "
            f"{floor.currency}/{floor.unit} ({floor.year}), "
            f"{floor.per_kg_contained:.4g} {floor.currency} per kg of {name.lower()}; "
        )
        if has_mass:
            text += (
                f"the {contained * 1e3:.4g} g of {name.lower()} in these "
                f"lines is worth {value:.4g} {floor.currency} at the floor"
            )
        else:
            text += "no line has a mass, so the value at the floor is not estimated"
        average = prices.get((mineral, "average"))
        if average is not None and has_mass:
            delta = (floor.per_kg_contained - average.per_kg_contained) * contained
            text += (
                f"; against the {average.year} average of {average.value:g} "
                f"{average.currency}/{average.unit} the floor changes cost by "
                f"{delta:+.4g} {floor.currency}"
            )
        else:
            text += "; no published market average is bundled to compare it with"
        if missing:
            text += f"; not estimated (no mass): {_rows_text(missing)}"
        facts = [
            {
                "fact": f"{floor.product} price floor {floor.value:g} {floor.currency}/"
                f"{floor.unit}",
                "source": floor.source.title,
                "url": floor.source.url,
                "year": str(floor.source.year),
            }
        ]
        if average is not None:
            facts.append(
                {
                    "fact": f"{name} average price {average.value:g} {average.currency}/"
                    f"{average.unit} {average.product}",
                    "source": average.source.title,
                    "url": average.source.url,
                    "year": str(average.source.year),
                }
            )
        exposed = float(group["china_touch"].max()) > 0  # over the profiles holding it
        out.append(
            Action(
                family="pricing",
                priority="medium" if exposed else "low",
                title=f"{name}: a price floor sets the cost of aligned supply",
                detail=text,
                rows=rows,
                minerals=[mineral],
                facts=facts,
            )
        )
    return out


def dump(actions: Iterable[Action]) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json") for a in actions]


__all__ = ["FAMILIES", "Action", "dump", "plan_actions"]
