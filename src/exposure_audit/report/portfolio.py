"""A portfolio (`compare.portfolio.PortfolioResult`) rendered: JSON, Markdown, the terminal."""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from exposure_audit.compare.portfolio import PortfolioResult
from exposure_audit.report.base import fmt_pct as pct
from exposure_audit.report.json import report_dict
from exposure_audit.report.model import SCHEMA_VERSION, clean_json
from exposure_audit.report.terminal import TIER_STYLE, plain


def portfolio_dict(result: PortfolioResult) -> dict[str, Any]:
    """`{"schema_version": 1, "portfolio": {...}, "reports": [each report]}`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "portfolio": clean_json(result.summary_dict()),
        "reports": [report_dict(r) for r in result.results if r is not None],
    }


def render_json(result: PortfolioResult) -> str:
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


def build_table(result: PortfolioResult) -> Table:
    """The portfolio as a rich table for the terminal (BOM text never parsed as markup)."""
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
