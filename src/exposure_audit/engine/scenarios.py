"""What-if scenarios: supply cuts (value at risk, aligned alternatives) and price shocks.

A scenario removes supply: some minerals, from some countries, at some stages. For line i,
mineral k and stage g, the cut share c_ikg is the share of the line's own distribution p_ikg
(the same one `china_touch` uses: reference shares, a country named in the BOM, or a supplier
declaration) held by the cut countries, when the scenario cuts k at g, else 0. Then:

- cut_touch(i, k) = 1 - prod_g (1 - c_ikg): the chance that a unit of mineral k in line i
  passes through a cut node, stages taken as independent exactly as for china_touch;
- q_i = max_k cut_touch(i, k): the share of the line's supply that is cut (its driver is the
  mineral with the largest cut_touch);
- affected lines: q_i > 0; affected_spend = sum of their spend;
- value_at_risk = sum_i spend_i * q_i (lines without a cost are listed, not counted as zero);
- aligned_alternative(k, g) = A_kg / (1 - C_kg) from the reference shares of world output,
  where C_kg is the cut countries' share and A_kg the aligned countries' share outside the cut:
  how much of the world supply left after the cut is aligned (0 when nothing is left). The
  scenario's aligned_alternative[g] averages it over the cut minerals, weighted by
  sum_i spend_i * c_ikg (contained mass, then line count, when there are no costs).

A price shock `MINERAL=+PCT` changes the reference price of a mineral (prices.yaml: a market
average where one is published, else a price floor) by PCT percent: the cost impact of line i
is M_ik * price per kg contained * PCT / 100. Lines without a mass, and minerals without a
published price, are listed as not estimated, never as zero.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from exposure_audit.engine.scoring import Scores, ScoringContext
from exposure_audit.errors import UsageError
from exposure_audit.reference.models import (
    ALL_STAGES,
    STAGES,
    Price,
    Scenario,
    ScenarioCut,
    ScenariosFile,
)
from exposure_audit.text import fold

MAX_ROWS_LISTED = 500
INCLUDE_SUSPENDED = "include-suspended"
FORMULA = (
    "value_at_risk = sum over affected lines of spend x q, where q is the largest, over the "
    "line's cut minerals, chance that the mineral's chain passes through a cut node: "
    "1 - prod over stages (1 - cut countries' share of the stage), stages taken as independent "
    "as for china_touch. aligned_alternative[stage] = aligned countries' share of world output "
    "outside the cut = aligned / (1 - cut share), from the reference shares, averaged over the "
    "cut minerals weighted by spend x cut share."
)


class _Model(BaseModel):
    # Built on first use: most audits run no scenario.
    model_config = ConfigDict(frozen=True, allow_inf_nan=False, defer_build=True)


class ScenarioMineral(_Model):
    mineral: str
    name: str
    lines: int = Field(description="Lines whose supply of this mineral is cut")
    rows: list[int] = Field(description="Their 1-based spreadsheet rows")
    mass_kg: float | None = Field(description="Contained mass in those lines (kg)")
    cut_share: float = Field(description="Largest cut_touch of this mineral over the lines")
    value_at_risk: float | None = Field(
        description="Value at risk of the lines this mineral drives (largest cut_touch)"
    )
    aligned_alternative: dict[str, float] = Field(
        description="Stage -> aligned share of world output outside the cut"
    )


class ScenarioResult(_Model):
    name: str = Field(description="The scenario as asked for, e.g. cut:gallium:CHN:processing")
    title: str
    description: str
    cuts: list[dict[str, list[str]]] = Field(description="minerals, countries, stages removed")
    affected_lines: list[int] = Field(description="1-based spreadsheet rows of the lines cut")
    affected_spend: float | None
    value_at_risk: float | None
    lines_without_spend: list[int] = Field(
        default_factory=list, description="Affected rows without a cost (not in value_at_risk)"
    )
    minerals: list[ScenarioMineral]
    aligned_alternative: dict[str, float]


class PriceInfo(_Model):
    kind: str
    value: float
    currency: str
    unit: str
    product: str
    per_kg_contained: float
    year: str
    source: str
    url: str | None


class PriceShockLine(_Model):
    row: int
    mass_kg: float
    cost_impact: float


class NotEstimated(_Model):
    row: int
    reason: str


class PriceShockResult(_Model):
    mineral: str
    name: str
    change_pct: float
    price: PriceInfo | None
    currency: str | None = Field(description="Currency of cost_impact (the price's)")
    lines: list[PriceShockLine]
    total_cost_impact: float | None
    not_estimated: list[NotEstimated]
    description: str


@dataclass(frozen=True)
class ResolvedCut:
    minerals: frozenset[str] | None
    """None: every mineral."""
    countries: frozenset[str]
    stages: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedScenario:
    name: str
    title: str
    description: str
    cuts: tuple[ResolvedCut, ...]


# --- resolving scenario names ------------------------------------------------------------------


def scenario_names(context: ScoringContext) -> list[str]:
    """The named scenarios available with this reference set (bundled and user layers)."""
    return sorted(context.reference.scenarios)


def resolve_scenarios(specs: Sequence[str], context: ScoringContext) -> list[ResolvedScenario]:
    """Turn `--scenario` values into cuts. Raises `UsageError` listing the valid names."""
    out: list[ResolvedScenario] = []
    for spec in specs:
        out.extend(_resolve_one(spec.strip(), context))
    return out


def _usage(spec: str, what: str, context: ScoringContext) -> UsageError:
    names = ", ".join(scenario_names(context))
    return UsageError(
        f"--scenario {spec!r}: {what}",
        f"use one of: {names} (add :{INCLUDE_SUSPENDED} to china-export-controls), "
        "cut:MINERALS:COUNTRIES[:STAGES] (e.g. cut:gallium:CHN:processing, cut:*:RUS:*), "
        "or a scenarios .yaml file",
    )


def _resolve_one(spec: str, context: ScoringContext) -> list[ResolvedScenario]:
    if not spec:
        raise _usage(spec, "empty scenario name", context)
    if spec.lower().startswith("cut:"):
        return [_inline(spec, context)]
    path = Path(spec)
    if spec.lower().endswith((".yaml", ".yml")) or path.is_file():
        return [_from_model(s, s.id, context, spec) for s in _read_file(spec, path, context)]
    name, _, modifier = spec.partition(":")
    scenario = context.reference.scenarios.get(name)
    if scenario is None:
        raise _usage(spec, "no such scenario", context)
    if modifier and modifier != INCLUDE_SUSPENDED:
        raise _usage(spec, f"unknown modifier {modifier!r}", context)
    if modifier and not scenario.export_controls:
        raise _usage(
            spec, f":{INCLUDE_SUSPENDED} applies to export-control scenarios only", context
        )
    if modifier:
        scenario = scenario.model_copy(update={"include_suspended": True})
    return [_from_model(scenario, spec, context, spec)]


def _read_file(spec: str, path: Path, context: ScoringContext) -> list[Scenario]:
    from exposure_audit.reference.load import _fill_header, _read_yaml

    if not path.is_file():
        raise _usage(spec, "no such file", context)
    problems: list[str] = []
    data = _read_yaml(path, problems, _NullDigest())
    if data is None:
        raise _usage(spec, "; ".join(problems) or "unreadable file", context)
    try:
        parsed = ScenariosFile.model_validate(_fill_header(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _usage(spec, f"{where}: {first['msg']}", context) from None
    if not parsed.scenarios:
        raise _usage(spec, "the file defines no scenarios", context)
    return parsed.scenarios


class _NullDigest:
    def update(self, _: bytes) -> None:
        return None


def _inline(spec: str, context: ScoringContext) -> ResolvedScenario:
    parts = spec.split(":")[1:]
    if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
        raise _usage(spec, "write cut:MINERALS:COUNTRIES[:STAGES]", context)
    minerals = [m.strip() for m in parts[0].split(",") if m.strip()]
    countries = [c.strip().upper() for c in parts[1].split(",") if c.strip()]
    stages = [s.strip().lower() for s in (parts[2] if len(parts) == 3 else "*").split(",")]
    try:
        # validated as untrusted input: a stage name is checked here, not assumed
        cut = ScenarioCut.model_validate(
            {"minerals": minerals, "countries": countries, "stages": stages}
        )
    except ValidationError:
        raise _usage(
            spec,
            f"stages must be mining, processing, manufacturing or * "
            f"(got {parts[2] if len(parts) == 3 else ''!r})",
            context,
        ) from None
    where = stages[0] if len(stages) == 1 else ", ".join(stages)
    scenario = Scenario(
        id="inline",
        name=f"Cut {parts[0]} from {parts[1]} at {where}",
        description=f"Supply of {parts[0]} from {parts[1]} removed at the "
        f"{'every' if stages == ['*'] else ', '.join(stages)} stage"
        f"{'' if len(stages) == 1 else 's'}.",
        cuts=[cut],
    )
    return _from_model(scenario, spec, context, spec)


def _from_model(
    scenario: Scenario, name: str, context: ScoringContext, spec: str
) -> ResolvedScenario:
    reference = context.reference
    aliases = reference.mineral_aliases()
    controlled: frozenset[str] | None = None
    if scenario.export_controls:
        wanted = {"active", "suspended"} if scenario.include_suspended else {"active"}
        controlled = frozenset(
            m.id
            for m in reference.minerals.values()
            if any(c.status(context.as_of) in wanted for c in m.export_controls)
        )
    cuts: list[ResolvedCut] = []
    for cut in scenario.cuts:
        minerals: frozenset[str] | None
        if "*" in cut.minerals:
            minerals = None
        else:
            unknown = [m for m in cut.minerals if fold(m) not in aliases]
            if unknown:
                raise _usage(
                    spec,
                    f"unknown mineral(s) {', '.join(unknown)} (see `exposure-audit minerals`)",
                    context,
                )
            minerals = frozenset(aliases[fold(m)] for m in cut.minerals)
        if controlled is not None:
            minerals = controlled if minerals is None else minerals & controlled
        countries = _countries(cut.countries, context, spec)
        stages = (
            ALL_STAGES if "*" in cut.stages else tuple(s for s in ALL_STAGES if s in cut.stages)
        )
        cuts.append(ResolvedCut(minerals, countries, stages))
    suspended = " Suspended measures count as enforced." if scenario.include_suspended else ""
    description = f"{scenario.description.strip()}{suspended} {FORMULA}"
    return ResolvedScenario(
        name=name, title=scenario.name, description=description, cuts=tuple(cuts)
    )


def _countries(tokens: Iterable[str], context: ScoringContext, spec: str) -> frozenset[str]:
    from exposure_audit.reference.countries import valid_iso3

    reference = context.reference
    out: set[str] = set()
    for token in tokens:
        if token == "CHINA":
            out |= context.china
        elif token == "COVERED":
            out |= context.covered
        elif token in reference.groups:
            out |= reference.group_members(token, context.as_of)
        elif token.lower() in reference.groups:
            out |= reference.group_members(token.lower(), context.as_of)
        elif re.fullmatch(r"[A-Z]{3}", token) and valid_iso3(token):
            out.add(token)
        else:
            raise _usage(
                spec,
                f"{token!r} is not an ISO alpha-3 country code, CHINA, COVERED "
                "or a policy group id",
                context,
            )
    if "CHN" in out:
        # NOTE: Hong Kong and Macao follow the policy (hong_kong_macao_as_china).
        out |= context.china
    return frozenset(out)


# --- running scenarios -------------------------------------------------------------------------


def run_scenarios(
    specs: Sequence[str] | Sequence[ResolvedScenario],
    scores: Scores,
    context: ScoringContext,
    bom: pd.DataFrame,
) -> list[ScenarioResult]:
    """Value at risk, affected lines and aligned alternatives of each scenario.

    `specs` are `--scenario` values (resolved here; `UsageError` when unknown) or scenarios
    already resolved with `resolve_scenarios`.
    """
    resolved: list[ResolvedScenario] = []
    for spec in specs:
        resolved.extend(
            [spec] if isinstance(spec, ResolvedScenario) else resolve_scenarios([spec], context)
        )
    return [_run(s, scores, context, bom) for s in resolved]


def cut_shares(
    scenario: ResolvedScenario, scores: Scores, table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per line-mineral (or per row of `table`, e.g. `scores.profile_minerals`): the cut share
    of each stage and cut_touch (columns cut_<stage>, cut_touch), aligned with the table
    (default `scores.line_minerals`)."""
    lm = scores.line_minerals if table is None else table
    out = pd.DataFrame(index=lm.index)
    complement = np.ones(len(lm))
    if len(lm):
        mineral_codes, uniques = pd.factorize(lm["mineral"])
        minerals = np.asarray(uniques, dtype=object)
    for stage in ALL_STAGES:
        share = np.zeros(len(lm))
        if len(lm):
            # One share per distinct (mineral, distribution) pair, taken to the rows by code.
            key_codes, key_uniques = pd.factorize(lm[f"dist_{stage}"])
            keys = np.asarray(key_uniques, dtype=object)
            pair_codes, pairs = pd.factorize(mineral_codes * len(keys) + key_codes)
            values = np.zeros(len(pairs))
            for i, pair in enumerate(pairs.tolist()):
                mineral, key = minerals[pair // len(keys)], keys[pair % len(keys)]
                countries: set[str] = set()
                for cut in scenario.cuts:
                    if stage in cut.stages and (cut.minerals is None or mineral in cut.minerals):
                        countries |= cut.countries
                if countries:
                    dist = scores.distributions.get(str(key))
                    shares = dist.shares if dist is not None else {}
                    values[i] = min(1.0, sum(shares.get(c, 0.0) for c in countries))
            share = values[pair_codes]
        out[f"cut_{stage}"] = share
        complement *= 1.0 - share
    out["cut_touch"] = 1.0 - complement
    return out


def _run(
    scenario: ResolvedScenario, scores: Scores, context: ScoringContext, bom: pd.DataFrame
) -> ScenarioResult:
    # Everything is computed per profile (all lines of a profile are cut alike), then summed
    # over the profile's lines: the profile table carries their counts, masses and spend.
    pm = scores.profile_minerals
    reference = context.reference
    frame = pm.join(cut_shares(scenario, scores, pm)) if len(pm) else pm.assign(cut_touch=0.0)
    frame = frame[frame["cut_touch"] > 1e-12]
    spend = bom["spend"].to_numpy(float)
    scored = scores.lines["scored"].to_numpy(bool)
    if frame.empty:
        top = pd.DataFrame(
            {"cut_touch": [], "mineral": [], "spend": [], "spend_known": []},
            index=pd.Index([], dtype=np.int64),
        )
    else:
        ordered = frame.sort_values(
            ["profile", "cut_touch", "mineral"], ascending=[True, False, True], kind="stable"
        )
        top = ordered.drop_duplicates("profile").set_index("profile")
    q = top["cut_touch"]
    affected_positions = np.flatnonzero(scores.profile_mask(top.index.to_numpy()))
    line_spend = spend[affected_positions]
    has_spend = ~np.isnan(line_spend)
    affected = scores.rows_at(bom, affected_positions, None)
    any_spend = bool((~np.isnan(spend) & scored).any())
    var_by_profile = top["spend"] * q
    value_at_risk = float(var_by_profile.sum()) if any_spend else None
    affected_spend = float(line_spend[has_spend].sum()) if any_spend else None
    no_spend = scores.rows_at(bom, affected_positions[~has_spend], MAX_ROWS_LISTED)

    weights = _alternative_weights(frame).to_numpy(float)
    minerals: list[ScenarioMineral] = []
    overall: dict[str, list[tuple[float, float]]] = {}
    # Each mineral's rows of the frame, in order: a stable sort by mineral, then a slice each.
    codes, names = pd.factorize(frame["mineral"], sort=True)
    by_mineral = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[by_mineral], np.arange(len(names) + 1))
    column = {
        c: frame[c].to_numpy(float)
        for c in ("lines", "mass_kg", "mass_known", "cut_touch", *(f"cut_{s}" for s in STAGES))
    }
    profiles = frame["profile"].to_numpy()
    top_minerals = top["mineral"].to_numpy(dtype=object)
    var_values = var_by_profile.to_numpy(float)
    for i, mineral in enumerate(str(m) for m in names):
        at = by_mineral[bounds[i] : bounds[i + 1]]
        alternatives: dict[str, float] = {}
        for stage in STAGES:
            cut = column[f"cut_{stage}"][at]
            if cut.max() <= 0:
                continue
            alt = _aligned_alternative(scenario, context, mineral, stage)
            if alt is None:
                continue
            alternatives[stage] = alt
            overall.setdefault(stage, []).append((alt, float((weights[at] * cut).sum())))
        info = reference.minerals.get(mineral)
        holding = scores.profile_table(profiles[at])
        minerals.append(
            ScenarioMineral(
                mineral=mineral,
                name=info.name if info else mineral,
                lines=int(column["lines"][at].sum()),
                rows=scores.first_rows(bom, holding, limit=MAX_ROWS_LISTED),
                mass_kg=(
                    float(column["mass_kg"][at].sum())
                    if (column["mass_known"][at] > 0).any()
                    else None
                ),
                cut_share=float(column["cut_touch"][at].max()),
                value_at_risk=(
                    float(var_values[top_minerals == mineral].sum()) if any_spend else None
                ),
                aligned_alternative=alternatives,
            )
        )
    minerals.sort(key=lambda m: (-(m.value_at_risk or 0.0), -m.lines, m.mineral))
    aligned_alternative = {}
    for stage, pairs in overall.items():
        total = sum(w for _, w in pairs)
        aligned_alternative[stage] = (
            sum(a * w for a, w in pairs) / total
            if total > 0
            else sum(a for a, _ in pairs) / len(pairs)
        )
    return ScenarioResult(
        name=scenario.name,
        title=scenario.title,
        description=scenario.description,
        cuts=[
            {
                "minerals": sorted(c.minerals) if c.minerals is not None else ["*"],
                "countries": sorted(c.countries),
                "stages": list(c.stages),
            }
            for c in scenario.cuts
        ],
        affected_lines=affected,
        affected_spend=affected_spend,
        value_at_risk=value_at_risk,
        lines_without_spend=no_spend,
        minerals=minerals,
        aligned_alternative=dict(sorted(aligned_alternative.items())),
    )


def _alternative_weights(frame: pd.DataFrame) -> pd.Series:
    """Per affected profile-mineral, summed over its lines: the lines' spend, else contained
    mass, else the line count."""
    if frame.empty:
        return pd.Series(dtype=float)
    if frame["spend"].sum() > 0:
        return frame["spend"]
    if frame["mass_kg"].sum() > 0:
        return frame["mass_kg"]
    return frame["lines"]


def _aligned_alternative(
    scenario: ResolvedScenario, context: ScoringContext, mineral: str, stage: str
) -> float | None:
    """Aligned share of world output outside the cut, from the reference shares."""
    entry = context.reference.supply.get((mineral, stage))
    if entry is None:
        return None
    countries: set[str] = set()
    for cut in scenario.cuts:
        if stage in cut.stages and (cut.minerals is None or mineral in cut.minerals):
            countries |= cut.countries
    cut_share = min(1.0, sum(entry.shares.get(c, 0.0) for c in countries))
    aligned = sum(s for c, s in entry.shares.items() if c in context.aligned and c not in countries)
    remaining = 1.0 - cut_share
    return 0.0 if remaining <= 1e-12 else min(1.0, aligned / remaining)


# --- price shocks ------------------------------------------------------------------------------

_SHOCK = re.compile(r"^\s*([^=]+?)\s*=\s*([+-]?\d+(?:\.\d+)?)\s*%?\s*$")


def parse_price_shocks(specs: Sequence[str], context: ScoringContext) -> list[tuple[str, float]]:
    """`MINERAL=+PCT` values -> (mineral id, percent). Raises `UsageError` when malformed."""
    aliases = context.reference.mineral_aliases()
    priced = sorted({m for m, _ in context.reference.prices})
    out = []
    for spec in specs:
        match = _SHOCK.match(spec)
        if not match:
            raise UsageError(
                f"--price-shock {spec!r}: write MINERAL=+PCT",
                "e.g. --price-shock neodymium=+50 or --price-shock Ga=-20%",
            )
        name, pct = match.group(1), float(match.group(2))
        mineral = aliases.get(fold(name))
        if mineral is None:
            raise UsageError(
                f"--price-shock {spec!r}: unknown mineral {name!r}",
                "name a mineral from `exposure-audit minerals`; published prices: "
                + (", ".join(priced) or "none"),
            )
        out.append((mineral, pct))
    return out


def reference_price(context: ScoringContext, mineral: str) -> Price | None:
    """The published market average of a mineral, else its price floor, else None."""
    prices = context.reference.prices
    return prices.get((mineral, "average")) or prices.get((mineral, "floor"))


def run_price_shocks(
    specs: Sequence[str], scores: Scores, context: ScoringContext, bom: pd.DataFrame
) -> list[PriceShockResult]:
    """Cost impact of each `MINERAL=+PCT` on each line holding the mineral."""
    pm = scores.profile_minerals
    row_numbers = bom["row"].to_numpy()
    out = []
    for mineral, pct in parse_price_shocks(specs, context):
        info = context.reference.minerals.get(mineral)
        name = info.name if info else mineral
        price = reference_price(context, mineral)
        # The mineral's fraction in each profile holding it, gathered per line.
        mine = pm[pm["mineral"].to_numpy() == mineral] if len(pm) else pm
        fraction_of = np.zeros(int(scores.profile.max(initial=-1)) + 1)
        fraction_of[mine["profile"].to_numpy(np.int64)] = mine["fraction"].to_numpy(float)
        positions = scores.row_order(bom, scores.mineral_lines(mineral))
        mass = scores.mass_basis[positions] * fraction_of[scores.profile[positions]]
        line_rows = row_numbers[positions]
        known = ~np.isnan(mass)
        lines: list[PriceShockLine] = []
        missing: list[NotEstimated] = []
        total = None
        if price is None:
            missing = [
                NotEstimated(row=int(r), reason="no published price")
                for r in line_rows[:MAX_ROWS_LISTED]
            ]
        else:
            impact = mass[known] * price.per_kg_contained * pct / 100.0
            # Summed one by one in row order, as a list of lines would be.
            total = sum(impact.tolist()) if impact.size else None
            limit = MAX_ROWS_LISTED * 20
            lines = [
                PriceShockLine(row=int(r), mass_kg=float(m), cost_impact=float(c))
                for r, m, c in zip(
                    line_rows[known][:limit], mass[known][:limit], impact[:limit], strict=True
                )
            ]
            missing = [
                NotEstimated(row=int(r), reason="no mass for this line")
                for r in line_rows[~known][:MAX_ROWS_LISTED]
            ]
        if price is None:
            desc = (
                f"{name} {pct:+g}%: no published price in the reference data; "
                "cost impact not estimated"
            )
            price_info = None
        else:
            price_info = PriceInfo(
                kind=price.kind,
                value=price.value,
                currency=price.currency,
                unit=price.unit,
                product=price.product,
                per_kg_contained=price.per_kg_contained,
                year=str(price.year),
                source=price.source.title,
                url=price.source.url,
            )
            desc = (
                f"{name} {pct:+g}% on the reference {price.kind} price of "
                f"{price.value:g} {price.currency}/{price.unit} {price.product} "
                f"({price.year}; {price.per_kg_contained:.4g} {price.currency} per kg "
                f"contained): cost impact = contained mass x price x {pct:g}/100"
            )
        out.append(
            PriceShockResult(
                mineral=mineral,
                name=name,
                change_pct=pct,
                price=price_info,
                currency=price.currency if price else None,
                lines=lines[: MAX_ROWS_LISTED * 20],
                total_cost_impact=total,
                not_estimated=missing[:MAX_ROWS_LISTED],
                description=desc,
            )
        )
    return out


def dump(models: Iterable[BaseModel]) -> list[dict[str, Any]]:
    """Plain JSON-ready dicts (for the report's extras)."""
    return [m.model_dump(mode="json") for m in models]


__all__ = [
    "FORMULA",
    "PriceShockResult",
    "ResolvedScenario",
    "ScenarioResult",
    "cut_shares",
    "dump",
    "parse_price_shocks",
    "reference_price",
    "resolve_scenarios",
    "run_price_shocks",
    "run_scenarios",
    "scenario_names",
]
