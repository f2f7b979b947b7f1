"""Finding rules: scores x policy -> findings with stable ids, severities and the rows behind them.

Rule ids are a public contract (`--fail-on`, waivers, SARIF rule ids); thresholds and severities
come from the policy's `rules` list, so a user's `--policy` file can tune or disable them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from exposure_audit.engine.scoring import INSUFFICIENT, Scores, ScoringContext
from exposure_audit.reference.models import SEVERITY_ORDER, Rule

MAX_ROWS_LISTED = 500


class Finding(BaseModel):
    """A rule hit: something about the supply chain a user should act on."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable id: rule, then mineral and stage where they apply")
    rule: str
    severity: str
    mineral: str | None = None
    stage: str | None = None
    rows: list[int] = Field(default_factory=list, description="1-based spreadsheet rows")
    message: str


# One rule's check: the rule as configured, the scores, the BOM frame and the context.
Check = Callable[[Rule, Scores, pd.DataFrame, ScoringContext], list[Finding]]


def evaluate(scores: Scores, bom: pd.DataFrame, context: ScoringContext) -> list[Finding]:
    """Run every enabled rule; findings come sorted by severity (highest first), then id."""
    rules = {r.id: r for r in context.reference.policy.rules if r.enabled}
    found: list[Finding] = []
    for rule_id, check in _CHECKS.items():
        rule = rules.get(rule_id)
        if rule is not None:
            found.extend(check(rule, scores, bom, context))
    return sort_findings(found)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-SEVERITY_ORDER.get(f.severity, 0), f.id))


def _mineral_finding(
    rule: Rule,
    scores: Scores,
    bom: pd.DataFrame,
    mineral: dict[str, Any],
    stage: str | None,
    stage_in_id: bool = False,
    message: str = "",
) -> Finding:
    """A finding about one mineral (and stage), with the rows of every line holding it."""
    suffix = f":{stage}" if stage_in_id else ""
    return Finding(
        id=f"{rule.id}:{mineral['mineral']}{suffix}",
        rule=rule.id,
        severity=rule.severity,
        mineral=mineral["mineral"],
        stage=stage,
        rows=scores.mineral_rows(bom, mineral["mineral"], MAX_ROWS_LISTED),
        message=message,
    )


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _product_exposure(
    rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext
) -> list[Finding]:
    summary = scores.summary
    if not scores.lines["scored"].any() or summary["tier"] == INSUFFICIENT:
        return []  # below the coverage floor the score stands for too little: coverage-floor
    return [
        Finding(
            id=rule.id,
            rule=rule.id,
            severity=summary["tier"],
            message=(
                f"product exposure score {summary['score']} ({summary['tier']}): the "
                f"{scores.weighting}-weighted mean line exposure is {_pct(summary['exposure'])} "
                f"(upstream {_pct(summary['upstream'])}; made in China "
                f"{_pct(summary['origin'])})"
            ),
        )
    ]


def _coverage_floor(
    rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext
) -> list[Finding]:
    coverage = scores.summary["coverage"]
    if not coverage.insufficient:
        return []
    return [
        Finding(
            id=rule.id,
            rule=rule.id,
            severity=rule.severity,
            message=f"insufficient: {coverage.reason}",
        )
    ]


def _line_exposure(
    rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext
) -> list[Finding]:
    threshold = rule.threshold if rule.threshold is not None else 0.8
    # A line's exposure and driver are its profile's.
    hit = scores.profile_exposure >= threshold
    count = int(scores.profile_lines[hit].sum())
    if count == 0:
        return []
    drivers = sorted({d for d in scores.profile_driver[hit] if d})
    table = np.append(hit, False)
    return [
        Finding(
            id=rule.id,
            rule=rule.id,
            severity=rule.severity,
            rows=scores.first_rows(bom, table, limit=MAX_ROWS_LISTED),
            message=(
                f"{count} line(s) have an exposure of {_pct(threshold)} or more "
                f"(driven by {', '.join(drivers) or 'n/a'})"
            ),
        )
    ]


def _chokepoint(
    rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext
) -> list[Finding]:
    """One finding per mineral that is a chokepoint (a minor input with a dominant China share)
    on some line: the lines, and the range of its share of the part."""
    per_mineral: dict[str, list[tuple[int, float, float, str]]] = {}
    for p, items in enumerate(scores.profile_chokepoints.tolist()):
        for mineral, mass_share, _, china, stage in items or ():
            per_mineral.setdefault(mineral, []).append((p, mass_share, china, stage))
    out = []
    names = {m["mineral"]: m["name"] for m in scores.minerals}
    for mineral, hits in sorted(per_mineral.items()):
        profiles = np.array([h[0] for h in hits], dtype=np.int64)
        count = int(scores.profile_lines[profiles].sum())
        low, high = min(h[1] for h in hits), max(h[1] for h in hits)
        china = max(h[2] for h in hits)
        stage = next(h[3] for h in hits if h[2] == china)
        share = _pct_fine(low) if low == high else f"{_pct_fine(low)}-{_pct_fine(high)}"
        out.append(
            Finding(
                id=f"{rule.id}:{mineral}",
                rule=rule.id,
                severity=rule.severity,
                mineral=mineral,
                stage=stage,
                rows=scores.first_rows(bom, scores.profile_table(profiles), limit=MAX_ROWS_LISTED),
                message=(
                    f"{names.get(mineral, mineral)} is a chokepoint in {count} line(s): "
                    f"{share} of the part by mass, but {_pct(china)} China at {stage}; "
                    "without it the part cannot be made to specification"
                ),
            )
        )
    return out


def _pct_fine(value: float) -> str:
    return f"{100 * value:.2g}%"


def _stage_china(stage: str) -> Check:
    def check(rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext) -> list[Finding]:
        threshold = rule.threshold if rule.threshold is not None else 0.65
        out = []
        for m in scores.minerals:
            st = m["stages"][stage]
            if st["basis"] != "none" and st["china_share"] >= threshold:
                out.append(
                    _mineral_finding(
                        rule,
                        scores,
                        bom,
                        m,
                        stage,
                        message=(
                            f"{m['name']} {stage} is {_pct(st['china_share'])} in China "
                            f"(threshold {_pct(threshold)}; {st['source']}, {st['year']})"
                        ),
                    )
                )
        return out

    return check


def _eu_benchmark(
    rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext
) -> list[Finding]:
    threshold = (
        rule.threshold
        if rule.threshold is not None
        else ctx.reference.policy.eu_single_country_benchmark
    )
    eu = ctx.reference.eu_members(ctx.as_of)
    out = []
    for m in scores.minerals:
        for stage in ("mining", "processing"):
            st = m["stages"][stage]
            over = [(c, s) for c, s in st["countries"].items() if s > threshold and c not in eu]
            for country, share in over:
                out.append(
                    _mineral_finding(
                        rule,
                        scores,
                        bom,
                        m,
                        stage,
                        stage_in_id=True,
                        message=(
                            f"{m['name']} {stage}: {country} holds {_pct(share)}, above the EU "
                            f"CRMA benchmark of {_pct(threshold)} from one third country"
                        ),
                    )
                )
    return out


def _export_controls(status: str) -> Check:
    def check(rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext) -> list[Finding]:
        out = []
        for m in scores.minerals:
            measures = sorted(
                (c for c in m["export_controls"] if c["status"] == status),
                key=lambda c: (c["since"], c["measure"]),
            )
            if not measures:
                continue
            first = measures[0]
            if status == "suspended":
                ends = min(c["until"] for c in measures if c["until"])
                detail = f"suspended until {ends}: {first['measure']}"
            else:
                detail = f"the first since {first['since']}: {first['measure']}"
            more = f" and {len(measures) - 1} more" if len(measures) > 1 else ""
            lapsed = [c for c in measures if c.get("note")]
            if lapsed:
                more += (
                    f" ({len(lapsed)} back in force: suspension ended "
                    f"{min(c['until'] for c in lapsed)}, no extension recorded)"
                )
            out.append(
                _mineral_finding(
                    rule,
                    scores,
                    bom,
                    m,
                    None,
                    message=(
                        f"{m['name']} is under {len(measures)} {status} Chinese export-control "
                        f"measure(s), {detail}{more}"
                    ),
                )
            )
        return out

    return check


def _covered_supplier(
    rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext
) -> list[Finding]:
    count, names, rows = scores.made_in(bom, ctx.covered, MAX_ROWS_LISTED)
    if count == 0:
        return []
    return [
        Finding(
            id=rule.id,
            rule=rule.id,
            severity=rule.severity,
            stage="manufacturing",
            rows=rows,
            message=f"{count} line(s) are made in a covered nation ({', '.join(names)})",
        )
    ]


def _declared_covered(
    rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext
) -> list[Finding]:
    out = []
    for m in scores.minerals:
        for stage in ("mining", "processing"):
            st = m["stages"][stage]
            if st["basis"] in ("declaration", "mixed") and st["files"]:
                covered = {c: s for c, s in st["countries"].items() if c in ctx.covered and s > 0}
                if covered:
                    out.append(
                        _mineral_finding(
                            rule,
                            scores,
                            bom,
                            m,
                            stage,
                            stage_in_id=True,
                            message=(
                                f"suppliers declare {m['name']} {stage} in covered nations "
                                f"({', '.join(f'{c} {_pct(s)}' for c, s in covered.items())})"
                            ),
                        )
                    )
    return out


def _no_aligned(
    rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext
) -> list[Finding]:
    out = []
    for m in scores.minerals:
        for stage in ("mining", "processing"):
            st = m["stages"][stage]
            if st["basis"] != "none" and st["aligned_share"] == 0:
                out.append(
                    _mineral_finding(
                        rule,
                        scores,
                        bom,
                        m,
                        stage,
                        stage_in_id=True,
                        message=f"no aligned country supplies {m['name']} at the {stage} stage",
                    )
                )
    return out


def _unmapped(rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext) -> list[Finding]:
    hit = np.flatnonzero(~scores.lines["scored"].to_numpy(bool) & bom["valid"].to_numpy(bool))
    if len(hit) == 0:
        return []
    return [
        Finding(
            id=rule.id,
            rule=rule.id,
            severity=rule.severity,
            rows=scores.rows_at(bom, hit, MAX_ROWS_LISTED),
            message=(
                f"{len(hit)} line(s) match no material archetype and are not scored; "
                "add a Material column or extend materials.yaml"
            ),
        )
    ]


def _estimated(rule: Rule, scores: Scores, bom: pd.DataFrame, ctx: ScoringContext) -> list[Finding]:
    hit = np.flatnonzero(scores.estimated & (scores.profile >= 0))
    if len(hit) == 0:
        return []
    return [
        Finding(
            id=rule.id,
            rule=rule.id,
            severity=rule.severity,
            rows=scores.rows_at(bom, hit, MAX_ROWS_LISTED),
            message=(
                f"{len(hit)} line(s) use a typical unit mass from the reference, not a BOM mass"
            ),
        )
    ]


_CHECKS: dict[str, Check] = {
    "product-exposure": _product_exposure,
    "coverage-floor": _coverage_floor,
    "line-exposure": _line_exposure,
    "chokepoint": _chokepoint,
    "processing-china-dominant": _stage_china("processing"),
    "mining-china-dominant": _stage_china("mining"),
    "eu-crma-benchmark": _eu_benchmark,
    "export-control-active": _export_controls("active"),
    "export-control-suspended": _export_controls("suspended"),
    "covered-nation-supplier": _covered_supplier,
    "declared-covered-smelter": _declared_covered,
    "no-aligned-source": _no_aligned,
    "unmapped-lines": _unmapped,
    "estimated-mass": _estimated,
}
RULE_IDS: tuple[str, ...] = tuple(_CHECKS)
