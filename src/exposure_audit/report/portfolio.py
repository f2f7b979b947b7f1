"""A portfolio rendered: the JSON document, JSON Lines and Parquet (one record / row group per
BOM, written as each BOM completes), Markdown and the terminal table.

The per-BOM pieces (`render_payload`) are made where the BOM was audited, so a worker does the
rendering and the process writing the files only copies bytes. The JSON document is

    {"schema_version": 1, "reports": [every report, in input order], "portfolio": {...}}

laid out as `json.dumps(..., indent=2, ensure_ascii=False)` would, with the summary last because
it is known only when every BOM is done; `PortfolioJson` writes it piece by piece.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from exposure_audit.compare.portfolio import BomSummary, PortfolioResult
from exposure_audit.report.base import FLAT_COLUMNS, flatten, fmt_pct
from exposure_audit.report.json import render_chunks, report_dict
from exposure_audit.report.model import SCHEMA_VERSION, AuditResult, clean_json

PAYLOADS = ("json", "jsonl", "parquet")
"""What a worker can render for a BOM: its report nested in the JSON document, its JSON Lines
record, its Parquet rows."""

_FLOAT = pa.float64()
_TEXT = pa.string()
_NUMBERS = {
    "quantity",
    "match_confidence",
    "line_exposure",
    "spend",
    "mass_kg",
    "china_touch",
    "aligned_chain",
    *(c for c in FLAT_COLUMNS if c.startswith(("china_", "aligned_"))),
}


def _flat_type(name: str) -> pa.DataType:
    if name == "row":
        return pa.int64()
    if name == "mass_estimated":
        return pa.bool_()
    return _FLOAT if name in _NUMBERS else _TEXT


PARQUET_SCHEMA = pa.schema(
    [("bom", _TEXT), ("sha256", _TEXT), *((name, _flat_type(name)) for name in FLAT_COLUMNS)]
)
"""One row per BOM line and mineral (the CSV report's columns, without the BOM's extra
columns, which differ from BOM to BOM), with the BOM's path and content hash."""


def render_payload(kind: str, summary: BomSummary, result: AuditResult) -> Any:
    if kind == "json":
        return nested_report(result)
    if kind == "jsonl":
        return jsonl_record(summary, result)
    if kind == "parquet":
        return parquet_rows(summary, result)
    raise ValueError(f"unknown portfolio payload {kind!r}")


def nested_report(result: AuditResult) -> str:
    """The JSON report as it sits in the document's `reports` array (indented two levels)."""
    return "".join(render_chunks(result)).rstrip("\n").replace("\n", "\n    ")


def jsonl_record(summary: BomSummary, result: AuditResult) -> bytes:
    """One JSON Lines record: `{"summary": {...}, "report": {...}}` on one line (the summary
    first, so --resume reads it without the report)."""
    record = {"summary": clean_json(summary.record()), "report": report_dict(result)}
    return _compact(record).encode("utf-8") + b"\n"


def _compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def read_jsonl_summary(line: bytes) -> BomSummary | None:
    """The summary at the head of a JSON Lines record, or None when the line is not one."""
    head = b'{"summary":'
    if not line.startswith(head):
        return None
    try:
        data, _ = json.JSONDecoder().raw_decode(line[len(head) :].decode("utf-8"))
        return BomSummary.from_record(data)
    except (ValueError, TypeError, KeyError):
        return None


def parquet_rows(summary: BomSummary, result: AuditResult) -> pa.Table:
    """The BOM's flat table (a row per line and mineral) in `PARQUET_SCHEMA`."""
    flat = flatten(result)
    n = len(flat)
    columns: dict[str, Any] = {
        "bom": pa.array([summary.file] * n, _TEXT),
        "sha256": pa.array([summary.sha256] * n, _TEXT),
    }
    for field in PARQUET_SCHEMA:
        if field.name in columns:
            continue
        values = flat[field.name]
        if field.type == _FLOAT:
            columns[field.name] = pa.array(_rounded(values.to_numpy(float)), _FLOAT)
            continue
        if field.type == _TEXT:
            values = values.astype(object).where(values.notna(), None)
            values = values.map(lambda v: v if v is None or isinstance(v, str) else str(v))
        columns[field.name] = pa.array(values.tolist(), field.type, from_pandas=True)
    return pa.table(columns, schema=PARQUET_SCHEMA)


def _rounded(values: np.ndarray) -> np.ndarray:
    """Each value to nine significant digits, as the JSON and CSV reports write it (the last
    bits of a sum depend on the order a set of countries is walked, which varies by process);
    each distinct value rounded once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([float(f"{v:.9g}") for v in uniques.tolist()] + [np.nan])
    return table[codes]


# --------------------------------------------------------------------------- the JSON document


class PortfolioJson:
    """The JSON document in pieces: `head()`, `report(text)` for each BOM, `tail(result)`."""

    def __init__(self) -> None:
        self._count = 0

    @staticmethod
    def head() -> str:
        return '{\n  "schema_version": ' + str(SCHEMA_VERSION) + ',\n  "reports": ['

    def report(self, text: str) -> str:
        self._count += 1
        return ("\n    " if self._count == 1 else ",\n    ") + text

    def tail(self, result: PortfolioResult) -> str:
        close = "\n  ]" if self._count else "]"
        body = json.dumps(clean_json(result.summary_dict()), indent=2, ensure_ascii=False)
        return close + ',\n  "portfolio": ' + body.replace("\n", "\n  ") + "\n}\n"


def portfolio_dict(result: PortfolioResult, reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The document as data (for small portfolios and tests): what `PortfolioJson` writes."""
    return {
        "schema_version": SCHEMA_VERSION,
        "reports": reports,
        "portfolio": clean_json(result.summary_dict()),
    }


# --------------------------------------------------------------------------- Markdown


def _cell(value: object) -> str:
    text = "–" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _money(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


def render_markdown(result: PortfolioResult) -> str:
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
            out.append(f"| {_cell(row.file)} | – | error | – | – | {_cell(row.error)} |")
            continue
        coverage = "–" if row.coverage is None else f"{100 * row.coverage:.0f}%"
        out.append(
            f"| {_cell(row.file)} | {row.score} | {row.tier} | {coverage} | "
            f"{_money(row.value_at_risk)} | {_cell(row.top_driver)} |"
        )
    out += list(_markdown_answers(result))
    return "\n".join(out) + "\n"


def _markdown_answers(result: PortfolioResult) -> Iterator[str]:
    if result.stakes:
        yield from [
            "",
            "## Where the portfolio's spend runs",
            "",
            "Spend of the lines holding each mineral x the country's share of the stage "
            "(reference or declared shares).",
            "",
            "| mineral | stage | country | spend |",
            "|---|---|---|---:|",
        ]
        for s in result.stakes:
            yield f"| {s.mineral} | {s.stage} | {s.country} | {_money(s.spend)} |"
    if result.suppliers:
        yield from [
            "",
            "## Declarations that would cut the most uncertainty",
            "",
            "Suppliers whose lines hold a China-touched mineral scored on world-average shares "
            "(no CMRT/EMRT/AMRT declaration); value at risk = spend x exposure of those lines.",
            "",
            "| supplier | BOMs | lines | spend | value at risk |",
            "|---|---:|---:|---:|---:|",
        ]
        for g in result.suppliers:
            boms = result.supplier_boms.get(g.supplier, 0)
            yield (
                f"| {_cell(g.supplier)} | {boms} | {g.lines} | {_money(g.spend)} | "
                f"{_money(g.value_at_risk)} |"
            )
    if result.scenarios:
        yield from [
            "",
            "## Scenarios over the portfolio",
            "",
            "| scenario | affected lines | affected spend | value at risk |",
            "|---|---:|---:|---:|",
        ]
        for c in result.scenarios:
            yield (
                f"| {_cell(c.name)} | {c.affected_lines} | {_money(c.affected_spend)} | "
                f"{_money(c.value_at_risk)} |"
            )


# --------------------------------------------------------------------------- terminal


def build_table(result: PortfolioResult) -> Any:
    """The portfolio as a rich table for the terminal (BOM text never parsed as markup)."""
    from rich import box
    from rich.console import JustifyMethod
    from rich.table import Table
    from rich.text import Text

    from exposure_audit.report.terminal import TIER_STYLE, plain

    combined = "–" if result.exposure is None else fmt_pct(result.exposure)
    table = Table(
        title=f"Portfolio: {len(result.rows)} BOM(s), combined exposure {combined} "
        f"({result.weighting}-weighted)",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("file", "left"),
        ("score", "right"),
        ("tier", "left"),
        ("coverage", "right"),
        ("value at risk", "right"),
        ("top driver", "left"),
    )
    for name, justify in columns:
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
            fmt_pct(row.coverage),
            _money(row.value_at_risk),
            plain(row.top_driver or "–"),
        )
    return table
