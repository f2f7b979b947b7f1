"""A portfolio summary of many audits: one row per BOM, plus the combined exposure,
spend-weighted across BOMs. `api.audit_many` runs the audits; `report/portfolio.py` renders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exposure_audit.report.model import AuditResult, mineral_stake


@dataclass
class PortfolioRow:
    """One BOM of the portfolio: its headline figures, or the error that stopped it."""

    file: str
    score: int | None = None
    tier: str | None = None
    coverage: float | None = None
    value_at_risk: float | None = None
    spend: float | None = None
    exposure: float | None = None
    top_driver: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "score": self.score,
            "tier": self.tier,
            "coverage": self.coverage,
            "value_at_risk": self.value_at_risk,
            "spend": self.spend,
            "exposure": self.exposure,
            "top_driver": self.top_driver,
            "error": self.error,
        }


@dataclass
class PortfolioResult:
    """Every BOM's result (None where it failed) and the portfolio summary."""

    rows: list[PortfolioRow]
    results: list[AuditResult | None]
    exposure: float | None
    """Combined exposure: each BOM's exposure weighted by its scored spend (by its scored line
    count when some BOM has no costs); `weighting` says which."""
    weighting: str
    value_at_risk: float | None
    errors: list[str] = field(default_factory=list)

    def summary_dict(self) -> dict[str, Any]:
        score = None if self.exposure is None else round(100 * self.exposure)
        return {
            "boms": len(self.rows),
            "audited": sum(r is not None for r in self.results),
            "failed": sum(r is None for r in self.results),
            "exposure": self.exposure,
            "score": score,
            "weighting": self.weighting,
            "value_at_risk": self.value_at_risk,
            "rows": [row.as_dict() for row in self.rows],
        }


def summarise(
    files: Sequence[Path], outcomes: Sequence[tuple[AuditResult | None, str | None]]
) -> PortfolioResult:
    rows: list[PortfolioRow] = []
    results: list[AuditResult | None] = []
    errors: list[str] = []
    for path, (result, error) in zip(files, outcomes, strict=True):
        results.append(result)
        if result is None:
            rows.append(PortfolioRow(file=str(path), error=error))
            errors.append(error or f"{path}: cannot be audited")
            continue
        report = result.report
        lines = result.lines
        scored = lines["scored"].to_numpy(bool)
        spend = lines["spend"].where(lines["scored"])
        driver = lines.loc[scored, "driver"].dropna()
        top = None
        if len(driver):
            counts = driver.value_counts()
            top = str(sorted(counts[counts == counts.max()].index)[0])
        rows.append(
            PortfolioRow(
                file=str(path),
                score=report.summary.score,
                tier=report.summary.tier,
                coverage=report.input.coverage,
                value_at_risk=report.summary.value_at_risk,
                spend=float(spend.sum()) if spend.notna().any() else None,
                exposure=report.summary.exposure,
                top_driver=_top_mineral(report.minerals) or top,
            )
        )
    done = [r for r in rows if r.error is None]
    by_spend = bool(done) and all(r.spend for r in done)
    if by_spend:
        weights = [r.spend or 0.0 for r in done]
        weighting = "spend"
    else:
        weights = [float(res.report.input.mapped_rows) for res in results if res is not None]
        weighting = "lines"
    total = sum(weights)
    exposure = (
        sum(w * (r.exposure or 0.0) for w, r in zip(weights, done, strict=True)) / total
        if total > 0
        else None
    )
    risks = [r.value_at_risk for r in done if r.value_at_risk is not None]
    return PortfolioResult(
        rows=rows,
        results=results,
        exposure=exposure,
        weighting=weighting,
        value_at_risk=sum(risks) if risks else None,
        errors=errors,
    )


def _top_mineral(minerals: list[dict[str, Any]]) -> str | None:
    """The mineral with the most at stake (China touch x spend, as the terminal report ranks)."""
    ranked = sorted(minerals, key=mineral_stake)
    return ranked[0]["mineral"] if ranked and (ranked[0].get("china_touch") or 0) > 0 else None
