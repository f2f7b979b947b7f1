"""Many BOMs at once: audit each, then a portfolio summary (one row per BOM, plus the combined
exposure, spend-weighted across BOMs).

>>> from exposure_audit.portfolio import audit_many
>>> result = audit_many(["a.xlsx", "boms/"])                 # doctest: +SKIP
>>> [(row.file, row.score) for row in result.rows]            # doctest: +SKIP

Several files are audited in worker processes (at most `os.cpu_count()`), results kept in input
order. A BOM that cannot be read becomes an error row; the others are still audited.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exposure_audit.api import Options, audit
from exposure_audit.errors import ExposureAuditError, UsageError
from exposure_audit.report.model import SCHEMA_VERSION, AuditResult

BOM_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".tsv", ".txt", ".tab"}


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


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; a folder gives its BOM files (by suffix, sorted by name, not recursive).
    Raises `UsageError` for a folder without any BOM file."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in BOM_SUFFIXES
                and not p.name.startswith((".", "~$"))
            )
            if not found:
                raise UsageError(
                    f"{path}: no BOM files in the folder",
                    f"put {', '.join(sorted(BOM_SUFFIXES))} files in it",
                )
            out.extend(found)
        else:
            out.append(path)
    return out


def _audit_one(path: Path, options: Options) -> tuple[AuditResult | None, str | None]:
    try:
        return audit(path, options), None
    except ExposureAuditError as exc:
        return None, str(exc)


def audit_many(
    paths: Sequence[str | Path], options: Options | None = None, workers: int | None = None
) -> PortfolioResult:
    """Audit every BOM in `paths` (files or folders) and summarise the portfolio.

    Uses up to `workers` processes (default: `os.cpu_count()`, never more than the number of
    BOMs); a single BOM or a single core runs in this process.
    """
    options = options or Options()
    files = expand_paths(paths)
    limit = workers if workers is not None else (os.cpu_count() or 1)
    limit = max(1, min(limit, len(files)))
    if limit > 1:
        with ProcessPoolExecutor(max_workers=limit) as pool:
            outcomes = list(pool.map(_audit_one, files, [options] * len(files)))
    else:
        outcomes = [_audit_one(f, options) for f in files]
    return summarise(files, outcomes)


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
    from exposure_audit.report.base import mineral_stake

    ranked = sorted(minerals, key=mineral_stake)
    return ranked[0]["mineral"] if ranked and (ranked[0].get("china_touch") or 0) > 0 else None


def portfolio_dict(result: PortfolioResult) -> dict[str, Any]:
    """`{"schema_version": 1, "portfolio": {...}, "reports": [each report]}`."""
    from exposure_audit.report.json import report_dict
    from exposure_audit.report.model import clean_json

    return {
        "schema_version": SCHEMA_VERSION,
        "portfolio": clean_json(result.summary_dict()),
        "reports": [report_dict(r) for r in result.results if r is not None],
    }


def render_json(result: PortfolioResult) -> str:
    import json

    return json.dumps(portfolio_dict(result), indent=2, ensure_ascii=False) + "\n"


def render_markdown(result: PortfolioResult) -> str:
    def cell(value: object) -> str:
        text = "–" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    summary = result.summary_dict()
    out = ["# exposure-audit portfolio", ""]
    combined = "–" if result.exposure is None else f"{100 * result.exposure:.0f}%"
    out.append(
        f"Combined exposure **{combined}** ({result.weighting}-weighted across "
        f"{summary['audited']} BOM(s); {summary['failed']} failed)."
    )
    out += [
        "",
        "| file | score | tier | coverage | value at risk | top driver |",
        "|---|---:|---|---:|---:|---|",
    ]
    for row in result.rows:
        if row.error:
            out.append(f"| {cell(row.file)} | – | error | – | – | {cell(row.error)} |")
            continue
        coverage = "–" if row.coverage is None else f"{100 * row.coverage:.0f}%"
        var = "–" if row.value_at_risk is None else f"{row.value_at_risk:,.2f}"
        out.append(
            f"| {cell(row.file)} | {row.score} | {row.tier} | {coverage} | {var} | "
            f"{cell(row.top_driver)} |"
        )
    return "\n".join(out) + "\n"


def build_table(result: PortfolioResult):  # noqa: ANN201 - rich imported lazily
    """The portfolio as a rich table for the terminal (BOM text never parsed as markup)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from exposure_audit.report.table import TIER_STYLE, pct, plain

    combined = "–" if result.exposure is None else pct(result.exposure)
    table = Table(
        title=f"Portfolio: {len(result.rows)} BOM(s), combined exposure {combined} "
        f"({result.weighting}-weighted)",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    for name, justify in (
        ("file", "left"),
        ("score", "right"),
        ("tier", "left"),
        ("coverage", "right"),
        ("value at risk", "right"),
        ("top driver", "left"),
    ):
        table.add_column(
            name, justify=justify, overflow="fold", min_width=24 if name == "file" else None
        )
    for row in result.rows:
        if row.error:
            table.add_row(
                plain(row.file), "–", Text("error", style="red"), "–", "–", plain(row.error)
            )
            continue
        table.add_row(
            plain(row.file),
            str(row.score),
            Text(row.tier or "", style=TIER_STYLE.get(row.tier or "", "")),
            pct(row.coverage),
            "–" if row.value_at_risk is None else f"{row.value_at_risk:,.2f}",
            plain(row.top_driver or "–"),
        )
    return table
