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

from exposure_audit.engine.scoring import Scores, ScoringContext
from exposure_audit.reference.models import STAGES

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
    # A line's exposure, driver and tier are its profile's: everything is worked out per
    # profile, and only the first rows are looked up per line.
    threshold = context.reference.policy.tiers.medium / 100.0
    exposure = scores.profile_exposure
    driver = scores.profile_driver
    exposed = (exposure >= threshold) & pd.notna(driver)
    driver_codes, drivers = pd.factorize(
        np.where(exposed, driver, np.array(None, dtype=object)), sort=True
    )
    out: list[Action] = []
    for code, mineral in enumerate(str(d) for d in drivers):
        members = driver_codes == code
        rows = scores.first_rows(bom, np.append(members, False), limit=MAX_ROWS_LISTED)
        tiers = set(scores.profile_tier[members])
        top = float(exposure[members].max())
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
    made, names, rows = scores.made_in(bom, context.covered, MAX_ROWS_LISTED)
    if made:
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
                title=f"Move manufacturing of {made} line(s) out of covered nations",
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
        codes, keys = pd.factorize(pm[f"dist_{stage}"])
        known = [bases.get(k) in ("declaration", "bom") for k in keys]
        declared |= np.array([*known, False])[codes]
    wanted = (~declared) & (pm["china_touch"].to_numpy(float) > 0)
    if not wanted.any():
        return []
    wanted_profiles = pm["profile"].to_numpy()[wanted]
    # Every mineral numbered (no text taken out per row); `minerals_of` lists those held.
    mineral_codes, mineral_names = pd.factorize(pm["mineral"], sort=True)
    mineral_codes = mineral_codes[wanted]
    wanted_line = scores.profile_table(wanted_profiles)[scores.profile]
    # Suppliers by code; blanks and stray spaces fold together after a strip. Lines that
    # want nothing go to an extra group, left out.
    codes, values = scores.column_codes(bom, "supplier")
    stripped = pd.Index([str(v).strip() for v in values[:-1]] + [""], dtype=object)
    names_code, names = pd.factorize(stripped, sort=True)
    n_groups = len(names)
    group = np.where(wanted_line, names_code[codes], n_groups)
    spend = scores.spend(bom)
    group_spend = np.bincount(group, weights=spend, minlength=n_groups + 1)[:-1]
    group_lines = np.bincount(group, minlength=n_groups + 1)[:-1]
    present = np.flatnonzero(group_lines)
    order = [int(g) for g in present]
    order.sort(key=lambda g: (-group_spend[g], -group_lines[g], str(names[g])))
    top, rest = order[:MAX_SUPPLIERS], order[MAX_SUPPLIERS:]
    # Each line's place: 0.. for the top suppliers, len(top) for the rest, then one more for
    # the lines left out. The profiles in each place: a (place, profile) table.
    places = len(top) + 2
    place = np.full(n_groups + 1, len(top), dtype=np.int64)
    place[top] = np.arange(len(top))
    place[n_groups] = len(top) + 1
    line_place = place[group]
    width = len(scores.profile_lines) + 1
    in_place = np.zeros(places * width, dtype=bool)
    in_place[line_place * width + (scores.profile + 1)] = True
    in_place = in_place.reshape(places, width)[:, 1:]
    tier_codes, tier_names = pd.factorize(scores.profile_tier)

    def rows_of(i: int, expected: int) -> list[int]:
        table = np.arange(places) == i
        return scores.first_rows(bom, table, line_place, expected, MAX_ROWS_LISTED)

    def minerals_of(i: int) -> list[str]:
        held = np.bincount(
            mineral_codes[in_place[i][wanted_profiles]], minlength=len(mineral_names)
        )
        return [str(m) for m in mineral_names[held > 0]]

    def tiers_of(i: int) -> np.ndarray:
        return tier_names[np.bincount(tier_codes[in_place[i]], minlength=len(tier_names)) > 0]

    out: list[Action] = []
    for i, g in enumerate(top):
        minerals = minerals_of(i)
        by_template: dict[str, list[str]] = {}
        for mineral in minerals:
            by_template.setdefault(_template(context, mineral), []).append(mineral)
        asks = "; ".join(f"{t} for {', '.join(ms)}" for t, ms in sorted(by_template.items()))
        rows = rows_of(i, int(group_lines[g]))
        who = str(names[g]) or "the suppliers of lines with no supplier named"
        out.append(
            Action(
                family="engage-suppliers",
                priority=_tier_priority(tiers_of(i)),
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
    if rest:
        rows = rows_of(len(top), int(group_lines[rest].sum()))
        out.append(
            Action(
                family="engage-suppliers",
                priority="low",
                title=f"Ask {len(rest)} more supplier(s) for declarations",
                detail=f"{_rows_text(rows)}: smaller suppliers without declarations (see the JSON)",
                rows=rows,
                minerals=minerals_of(len(top)),
                facts=[RMI_FACT],
            )
        )
    return out


# --- export controls and the EU benchmark ------------------------------------------------------


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
        rows = scores.mineral_rows(bom, m["mineral"], MAX_ROWS_LISTED)
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
        rows = scores.mineral_rows(bom, m["mineral"], MAX_ROWS_LISTED)
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
    without_mass: np.ndarray | None = None
    for (mineral, kind), floor in sorted(prices.items()):
        at = scores.mineral_pm_rows(mineral)
        if kind != "floor" or not len(at):
            continue
        group = {
            c: pm[c].to_numpy(float)[at] for c in ("lines", "mass_known", "mass_kg", "china_touch")
        }
        rows = scores.mineral_rows(bom, mineral, MAX_ROWS_LISTED)
        has_mass = bool((group["mass_known"] > 0).any())
        contained = float(group["mass_kg"].sum())  # over the lines that have a mass
        value = contained * floor.per_kg_contained
        # Lines without a mass are in the profiles where not every line has one.
        short = group["lines"] > group["mass_known"]
        missing: list[int] = []
        if short.any():
            if without_mass is None:
                without_mass = np.where(np.isnan(scores.mass_basis), scores.profile, -1)
            table = scores.profile_table(pm["profile"].to_numpy()[at][short])
            count = int((group["lines"] - group["mass_known"])[short].sum())
            missing = scores.first_rows(bom, table, without_mass, count, MAX_ROWS_LISTED)
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
