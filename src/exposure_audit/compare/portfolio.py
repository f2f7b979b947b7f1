"""A portfolio of many audits, summarised from small per-BOM summaries.

`summarise_bom` runs where the BOM was audited (a worker process or a Dask worker) and keeps
only what the portfolio needs: the headline figures, the spend each mineral x stage x country
carries, the suppliers whose declarations would replace world-average shares, and each
scenario's value at risk. `Portfolio` adds them up one BOM at a time, in input order, so the
portfolio never holds any BOM's lines. `api.audit_many` runs the audits; `report/portfolio.py`
renders. No I/O, no rendering here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from exposure_audit.engine.scoring import Scores
from exposure_audit.reference.models import SEVERITY_ORDER, STAGES
from exposure_audit.report.model import AuditResult, mineral_stake

TOP_STAKES = 25
"""Mineral x stage x country rows listed in the portfolio summary."""
TOP_SUPPLIERS = 25


@dataclass(frozen=True)
class Stake:
    """Spend that passes through one country at one stage of one mineral's chain: the spend
    of the lines holding the mineral times the country's share of that stage."""

    mineral: str
    stage: str
    country: str
    spend: float


@dataclass(frozen=True)
class SupplierGap:
    """A supplier's lines that hold a China-touched mineral with no declaration: their spend,
    and the value at risk that rests on world-average shares until the supplier declares."""

    supplier: str
    lines: int
    spend: float
    value_at_risk: float


@dataclass(frozen=True)
class ScenarioFigure:
    name: str
    affected_lines: int
    affected_spend: float
    value_at_risk: float


@dataclass(frozen=True)
class BomSummary:
    """One BOM of the portfolio: its headline figures, or the error that stopped it."""

    file: str
    sha256: str | None = None
    score: int | None = None
    tier: str | None = None
    coverage: float | None = None
    value_at_risk: float | None = None
    spend: float | None = None
    exposure: float | None = None
    top_driver: str | None = None
    rows: int = 0
    mapped_rows: int = 0
    worst_finding: str | None = None
    """The most severe finding's severity (None without findings)."""
    error: str | None = None
    stakes: tuple[Stake, ...] = ()
    suppliers: tuple[SupplierGap, ...] = ()
    scenarios: tuple[ScenarioFigure, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The row of the portfolio table (the aggregates are summed into the portfolio)."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "score": self.score,
            "tier": self.tier,
            "coverage": self.coverage,
            "value_at_risk": self.value_at_risk,
            "spend": self.spend,
            "exposure": self.exposure,
            "top_driver": self.top_driver,
            "worst_finding": self.worst_finding,
            "error": self.error,
        }

    def record(self) -> dict[str, Any]:
        """Everything, as plain data (the `summary` of a JSON Lines record; `from_record`
        reads it back for --resume)."""
        return asdict(self)

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> BomSummary:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["stakes"] = tuple(Stake(**s) for s in data.get("stakes", ()))
        known["suppliers"] = tuple(SupplierGap(**s) for s in data.get("suppliers", ()))
        known["scenarios"] = tuple(ScenarioFigure(**s) for s in data.get("scenarios", ()))
        return cls(**known)

    def exit_code(self, fail_on: str) -> int:
        """1 when a finding is at or above `fail_on` (never for `none`), else 0."""
        if fail_on == "none" or self.worst_finding is None:
            return 0
        return int(SEVERITY_ORDER.get(self.worst_finding, 0) >= SEVERITY_ORDER[fail_on])


def failed_bom(file: str, error: str) -> BomSummary:
    return BomSummary(file=file, error=error)


def summarise_bom(file: str, result: AuditResult) -> BomSummary:
    """The portfolio's share of one audit (runs next to the audit; small to send back)."""
    report = result.report
    lines = result.lines
    scored = lines["scored"].to_numpy(bool)
    spend = lines["spend"].to_numpy(float)
    known = scored & ~np.isnan(spend)
    severities = [f.severity for f in report.findings]
    worst = max(severities, key=lambda s: SEVERITY_ORDER.get(s, 0)) if severities else None
    return BomSummary(
        file=file,
        sha256=report.input.sha256,
        score=report.summary.score,
        tier=report.summary.tier,
        coverage=report.input.coverage,
        value_at_risk=report.summary.value_at_risk,
        spend=float(spend[known].sum()) if known.any() else None,
        exposure=report.summary.exposure,
        top_driver=_top_mineral(report.minerals) or _top_driver(lines, scored),
        rows=report.input.rows,
        mapped_rows=report.input.mapped_rows,
        worst_finding=worst,
        stakes=tuple(_stakes(report.minerals)),
        suppliers=tuple(_supplier_gaps(result)),
        scenarios=tuple(_scenarios(report.extras.get("scenarios") or [])),
    )


def _top_driver(lines: pd.DataFrame, scored: np.ndarray) -> str | None:
    driver = lines.loc[scored, "driver"].dropna()
    if not len(driver):
        return None
    counts = driver.value_counts()
    return str(sorted(counts[counts == counts.max()].index)[0])


def _top_mineral(minerals: list[dict[str, Any]]) -> str | None:
    """The mineral with the most at stake (China touch x spend, as the terminal report ranks)."""
    ranked = sorted(minerals, key=mineral_stake)
    return ranked[0]["mineral"] if ranked and (ranked[0].get("china_touch") or 0) > 0 else None


def _stakes(minerals: Iterable[Mapping[str, Any]]) -> Iterable[Stake]:
    """Each mineral's spend split over the countries of each stage by their shares (named
    countries only: OTHER, UNKNOWN and RECYCLED are not places to act on)."""
    for item in minerals:
        spend = item.get("spend")
        if not spend:
            continue
        for stage, summary in (item.get("stages") or {}).items():
            for country, share in (summary.get("countries") or {}).items():
                if share:
                    yield Stake(str(item["mineral"]), str(stage), str(country), spend * share)


def _supplier_gaps(result: AuditResult) -> Iterable[SupplierGap]:
    """Per supplier: the scored lines holding a mineral with a China touch whose upstream
    stages use world-average shares (no declaration, no BOM country), as `engage-suppliers`
    picks them, with their spend and spend x exposure."""
    scores = result.scores
    if not isinstance(scores, Scores) or scores.profile_minerals.empty:
        return
    pm = scores.profile_minerals
    bases = {k: d.basis for k, d in scores.distributions.items()}
    declared = np.zeros(len(pm), dtype=bool)
    for stage in STAGES:
        codes, keys = pd.factorize(pm[f"dist_{stage}"])
        known = [bases.get(k) in ("declaration", "bom") for k in keys]
        declared |= np.array([*known, False])[codes]
    wanted = (~declared) & (pm["china_touch"].to_numpy(float) > 0)
    if not wanted.any():
        return
    wanted_line = scores.profile_table(pm["profile"].to_numpy()[wanted])[scores.profile]
    lines = result.lines
    spend = np.nan_to_num(lines["spend"].to_numpy(float))
    exposure = np.nan_to_num(lines["exposure"].to_numpy(float))
    suppliers = lines["supplier"].astype(object).fillna("").map(lambda v: str(v).strip())
    frame = pd.DataFrame(
        {"supplier": suppliers.to_numpy()[wanted_line], "spend": spend[wanted_line]}
    )
    frame["at_risk"] = frame["spend"] * exposure[wanted_line]
    grouped = frame.groupby("supplier", sort=True).agg(
        lines=("spend", "size"), spend=("spend", "sum"), at_risk=("at_risk", "sum")
    )
    for name, row in grouped.iterrows():
        yield SupplierGap(str(name), int(row["lines"]), float(row["spend"]), float(row["at_risk"]))


def _scenarios(items: Iterable[Mapping[str, Any]]) -> Iterable[ScenarioFigure]:
    for item in items:
        yield ScenarioFigure(
            name=str(item.get("name")),
            affected_lines=_count(item.get("affected_lines")),
            affected_spend=float(item.get("affected_spend") or 0.0),
            value_at_risk=float(item.get("value_at_risk") or 0.0),
        )


def _count(value: Any) -> int:
    """A scenario's affected lines: listed by row (a list) or counted."""
    if isinstance(value, list | tuple):
        return len(value)
    return int(value or 0)


@dataclass
class Portfolio:
    """The running sum of a portfolio, one BOM at a time (`add`), then `result()`."""

    rows: list[BomSummary] = field(default_factory=list)
    _stakes: dict[tuple[str, str, str], float] = field(default_factory=dict)
    _suppliers: dict[str, list[float]] = field(default_factory=dict)
    _scenarios: dict[str, list[float]] = field(default_factory=dict)

    def add(self, summary: BomSummary) -> None:
        self.rows.append(summary)
        for s in summary.stakes:
            key = (s.mineral, s.stage, s.country)
            self._stakes[key] = self._stakes.get(key, 0.0) + s.spend
        for g in summary.suppliers:
            # A supplier counts once per BOM it appears in, under its name as written.
            totals = self._suppliers.setdefault(g.supplier, [0.0, 0.0, 0.0, 0.0])
            totals[0] += 1
            totals[1] += g.lines
            totals[2] += g.spend
            totals[3] += g.value_at_risk
        for c in summary.scenarios:
            totals = self._scenarios.setdefault(c.name, [0.0, 0.0, 0.0, 0.0])
            totals[0] += 1
            totals[1] += c.affected_lines
            totals[2] += c.affected_spend
            totals[3] += c.value_at_risk

    def result(self) -> PortfolioResult:
        done = [r for r in self.rows if r.error is None]
        by_spend = bool(done) and all(r.spend for r in done)
        weights = (
            [r.spend or 0.0 for r in done] if by_spend else [float(r.mapped_rows) for r in done]
        )
        total = sum(weights)
        exposure = (
            sum(w * (r.exposure or 0.0) for w, r in zip(weights, done, strict=True)) / total
            if total > 0
            else None
        )
        risks = [r.value_at_risk for r in done if r.value_at_risk is not None]
        stakes = sorted(self._stakes.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_STAKES]
        suppliers = sorted(self._suppliers.items(), key=lambda kv: (-kv[1][3], -kv[1][2], kv[0]))
        return PortfolioResult(
            rows=list(self.rows),
            exposure=exposure,
            weighting="spend" if by_spend else "lines",
            value_at_risk=sum(risks) if risks else None,
            errors=[r.error for r in self.rows if r.error is not None],
            stakes=[Stake(m, s, c, v) for (m, s, c), v in stakes],
            suppliers=[
                SupplierGap(name or "(no supplier named)", int(t[1]), t[2], t[3])
                for name, t in suppliers[:TOP_SUPPLIERS]
            ],
            supplier_boms={name or "(no supplier named)": int(t[0]) for name, t in suppliers},
            scenarios=[
                ScenarioFigure(name, int(t[1]), t[2], t[3])
                for name, t in sorted(self._scenarios.items())
            ],
        )


@dataclass
class PortfolioResult:
    """Every BOM's summary (in input order) and the portfolio's answers."""

    rows: list[BomSummary]
    exposure: float | None
    """Combined exposure: each BOM's exposure weighted by its scored spend (by its scored line
    count when some BOM has no costs); `weighting` says which."""
    weighting: str
    value_at_risk: float | None
    errors: list[str] = field(default_factory=list)
    stakes: list[Stake] = field(default_factory=list)
    """The mineral x stage x country rows carrying the most spend, largest first."""
    suppliers: list[SupplierGap] = field(default_factory=list)
    """The suppliers whose declarations would replace the most value at risk now resting on
    world-average shares, largest first."""
    supplier_boms: dict[str, int] = field(default_factory=dict)
    scenarios: list[ScenarioFigure] = field(default_factory=list)
    """Each scenario's figures summed over the BOMs."""

    def exit_code(self, fail_on: str) -> int:
        """2 when a BOM could not be audited, else the highest of the BOMs' (see
        `BomSummary.exit_code`)."""
        if self.errors:
            return 2
        return max([r.exit_code(fail_on) for r in self.rows] or [0])

    def summary_dict(self) -> dict[str, Any]:
        score = None if self.exposure is None else round(100 * self.exposure)
        return {
            "boms": len(self.rows),
            "audited": sum(r.error is None for r in self.rows),
            "failed": sum(r.error is not None for r in self.rows),
            "exposure": self.exposure,
            "score": score,
            "weighting": self.weighting,
            "value_at_risk": self.value_at_risk,
            "rows": [row.as_dict() for row in self.rows],
            "stakes": [asdict(s) for s in self.stakes],
            "suppliers_to_engage": [
                {**asdict(s), "boms": self.supplier_boms.get(s.supplier, 0)} for s in self.suppliers
            ],
            "scenarios": [asdict(s) for s in self.scenarios],
        }


def summarise(rows: Iterable[BomSummary]) -> PortfolioResult:
    """The portfolio of these summaries (in the order given)."""
    portfolio = Portfolio()
    for row in rows:
        portfolio.add(row)
    return portfolio.result()
