"""The formatter interface every report format implements, and what the formats share.

`flatten(result)` is the one flat table (a row per line and mineral, plus a row for each line
without minerals) behind the CSV file, the Lines sheet of the workbook and the Markdown lines
table, so the three never disagree on rows, columns or their order.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from exposure_audit.report.model import STAGE_ASSUMPTION, AuditResult

STAGES = ("mining", "processing", "manufacturing")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The flat table's columns, in order, with what each holds. Extra BOM columns follow as
# `extra:<header>`.
FLAT_COLUMNS: dict[str, str] = {
    "row": "spreadsheet row of the BOM line (1-based)",
    "part_number": "part number as written in the BOM",
    "description": "description as written in the BOM",
    "material": "material as written in the BOM",
    "quantity": "quantity",
    "supplier": "supplier as written in the BOM",
    "supplier_country": "supplier country, ISO alpha-3",
    "archetype": "material archetype the line maps to",
    "match_method": "how the archetype was found",
    "match_confidence": "confidence of the match, 0..1",
    "line_exposure": "the line's exposure (docs/methodology.md): value-weighted bottleneck China "
    "share of its minerals, raised by a Chinese origin, 0..1",
    "line_tier": "the line's tier",
    "line_driver": "the mineral that drives the line's exposure",
    "spend": "the line's spend",
    "mineral": "critical mineral (empty for a line without any)",
    "mass_kg": "contained mass of the mineral, kg",
    "mass_estimated": "true when the mass comes from a typical unit mass",
    "china_touch": "chance the mineral passes through China at mining or processing, stages "
    "taken as independent (upper end of the range), 0..1",
    "aligned_chain": "chance every stage is in an aligned country, 0..1",
    **{f"china_{s}": f"China share of the {s} stage, 0..1" for s in STAGES},
    **{f"aligned_{s}": f"aligned share of the {s} stage, 0..1" for s in STAGES},
    "actions": "the recommended actions that name this line (family: title; ...)",
}
TEXT_COLUMNS = frozenset({"part_number", "description", "material", "supplier"})
SHARE_COLUMNS = frozenset(
    {
        "match_confidence",
        "line_exposure",
        "china_touch",
        "aligned_chain",
        *(f"china_{s}" for s in STAGES),
        *(f"aligned_{s}" for s in STAGES),
    }
)


class Formatter(Protocol):
    """Renders an audit result; `suffixes` are the file suffixes `--output` recognises."""

    name: str
    suffixes: tuple[str, ...]
    binary: bool

    def render(self, result: AuditResult) -> str | bytes: ...


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formula injection: text starting with = + - @ tab or CR gets a
    leading apostrophe, which Excel and LibreOffice show as plain text."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def safe_column(series: pd.Series) -> pd.Series:
    """`safe_cell` over a column, vectorised; non-text values pass through unchanged."""
    if series.empty or pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series
    values = series.astype(object)
    is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if not is_text.any():
        return series
    text = values[is_text].astype(str)
    risky = text.str[:1].isin(FORMULA_STARTS).to_numpy(dtype=bool)
    if not risky.any():
        return values
    out = values.copy()
    index = text.index[risky]
    out.loc[index] = "'" + text.loc[index]
    return out


def _text(series: pd.Series) -> pd.Series:
    """A text column as objects with None for blank."""
    values = series.astype(object)
    return values.where(values.notna() & values.ne(""), None)


def flatten(result: AuditResult) -> pd.DataFrame:
    """One row per line and mineral, plus one row for each line without minerals, in BOM row
    order then mineral id; the columns of `FLAT_COLUMNS` then `extra:<header>`. Values are raw
    (shares as fractions, masses in kg); formats round and neutralise at render time."""
    lines = result.lines
    n = len(lines)
    base = pd.DataFrame(
        {
            "row": lines["row"].to_numpy(dtype=np.int64),
            "part_number": _text(lines["part_number"]).to_numpy(),
            "description": _text(lines["description"]).to_numpy(),
            "material": _text(lines["material"]).to_numpy(),
            "quantity": lines["quantity"].to_numpy(dtype=float),
            "supplier": _text(lines["supplier"]).to_numpy(),
            "supplier_country": _text(lines["supplier_country"]).to_numpy(),
            "archetype": _text(lines["archetype"]).to_numpy(),
            "match_method": _text(lines["method"]).to_numpy(),
            "match_confidence": lines["confidence"].to_numpy(dtype=float),
            "line_exposure": lines["exposure"].to_numpy(dtype=float),
            "line_tier": _text(lines["tier"]).to_numpy(),
            "line_driver": _text(lines["driver"]).to_numpy(),
            "spend": lines["spend"].to_numpy(dtype=float),
            "_line": np.arange(n, dtype=np.int64),
        }
    )
    base["actions"] = _actions_by_row(result, base["row"])
    for header in result.extra_columns:
        base[f"extra:{header}"] = _text(lines[f"extra:{header}"]).to_numpy()
    lm = result.line_minerals
    position = pd.Series(np.arange(n, dtype=np.int64), index=lines.index)
    mineral_columns = [
        "mineral",
        "mass_kg",
        "mass_estimated",
        "china_touch",
        "aligned_chain",
        *(f"china_{s}" for s in STAGES),
        *(f"aligned_{s}" for s in STAGES),
    ]
    if lm.empty:
        per_mineral = pd.DataFrame(
            {c: pd.Series(dtype=object if c == "mineral" else float) for c in mineral_columns}
        )
        per_mineral["_line"] = pd.Series(dtype=np.int64)
    else:
        per_mineral = pd.DataFrame(
            {
                "_line": position.reindex(lm["line"].to_numpy()).to_numpy(dtype=np.int64),
                "mineral": lm["mineral"].astype(object).to_numpy(),
                "mass_kg": lm["mass_kg"].to_numpy(dtype=float),
                "mass_estimated": lm["estimated"].to_numpy(dtype=bool),
                "china_touch": lm["china_touch"].to_numpy(dtype=float),
                "aligned_chain": lm["aligned_chain"].to_numpy(dtype=float),
                **{f"china_{s}": lm[f"china_{s}"].to_numpy(dtype=float) for s in STAGES},
                **{f"aligned_{s}": lm[f"aligned_{s}"].to_numpy(dtype=float) for s in STAGES},
            }
        )
    flat = base.merge(per_mineral, on="_line", how="left", sort=False)
    flat = flat.sort_values(["_line", "mineral"], kind="stable", na_position="first")
    flat["mass_estimated"] = (
        flat["mass_estimated"].astype(object).where(flat["mineral"].notna(), None)
    )
    order = [*FLAT_COLUMNS, *(f"extra:{h}" for h in result.extra_columns)]
    return flat[order].reset_index(drop=True)


def _actions_by_row(result: AuditResult, rows: pd.Series) -> np.ndarray:
    """For each line, the actions that name its row, as "family: title" joined by "; "."""
    named: dict[int, list[str]] = {}
    for action in result.report.extras.get("actions") or []:
        for row in action["rows"]:
            named.setdefault(int(row), []).append(f"{action['family']}: {action['title']}")
    if not named:
        return np.full(len(rows), "", dtype=object)
    return rows.map(lambda r: "; ".join(named.get(int(r), []))).to_numpy(dtype=object)


def lines_by_line(flat: pd.DataFrame) -> pd.DataFrame:
    """The flat table cut back to one row per BOM line (its line-level columns)."""
    line_columns = [
        c
        for c in flat.columns
        if c
        not in (
            "mineral",
            "mass_kg",
            "mass_estimated",
            "china_touch",
            "aligned_chain",
            *(f"china_{s}" for s in STAGES),
            *(f"aligned_{s}" for s in STAGES),
        )
    ]
    return flat.drop_duplicates("row", keep="first")[line_columns]


def provenance(result: AuditResult) -> dict[str, Any]:
    """What every report states about where its numbers come from: reference data version and
    dates, sources, the policy, and the assumptions (the stage-independence one first)."""
    r = result.report
    assumptions = list(r.policy.assumptions) or [STAGE_ASSUMPTION]
    if STAGE_ASSUMPTION not in assumptions:
        assumptions.insert(0, STAGE_ASSUMPTION)
    sources = []
    seen = set()
    for s in r.reference.sources:
        key = (s.get("file"), s.get("title"), s.get("url"), s.get("year"))
        if key not in seen:
            seen.add(key)
            sources.append(
                {
                    "file": s.get("file"),
                    "title": s.get("title"),
                    "url": s.get("url"),
                    "year": s.get("year"),
                    "as_of": s.get("as_of"),
                }
            )
    return {
        "reference_version": r.reference.version,
        "reference_as_of": r.reference.as_of,
        "tables": dict(r.reference.tables),
        "sources": sources,
        "policy_as_of": r.policy.as_of,
        "aligned_groups": list(r.policy.aligned_groups),
        "weighting": r.weighting,
        "assumptions": assumptions,
    }


def tier_table(result: AuditResult) -> list[dict[str, Any]]:
    """Lines and share of the weight by tier: what the "exposure by tier" charts show."""
    lines = result.lines
    scored = (
        lines["scored"].to_numpy(dtype=bool) if "scored" in lines else np.ones(len(lines), bool)
    )
    weight = lines["weight"].to_numpy(dtype=float) if "weight" in lines else np.ones(len(lines))
    weight = np.where(scored & np.isfinite(weight), weight, 0.0)
    total = float(weight.sum())
    tiers = lines["tier"].astype(object).to_numpy()
    counts = result.report.summary.lines_by_tier
    rows = []
    for tier in ("critical", "high", "medium", "low"):
        mask = tiers == tier
        rows.append(
            {
                "tier": tier,
                "lines": int(counts.get(tier, int(mask.sum()))),
                "weight_share": float(weight[mask].sum()) / total if total else 0.0,
            }
        )
    rows.append({"tier": "unscored", "lines": int(counts.get("unscored", 0)), "weight_share": 0.0})
    return rows


def waiver_info(result: AuditResult) -> dict[str, Any] | None:
    return result.report.extras.get("waivers") or None


def baseline_info(result: AuditResult) -> dict[str, Any] | None:
    return result.report.extras.get("baseline") or None


def source_text(source: dict[str, Any]) -> str:
    """A source as one line: title (year) URL."""
    text = str(source.get("title") or "")
    if source.get("year"):
        text += f" ({source['year']})"
    if source.get("url"):
        text += f" {source['url']}"
    return text


SEVERITIES = ("critical", "high", "medium", "low", "info")
TIERS = ("critical", "high", "medium", "low")


def fmt_pct(value: float | None, digits: int = 0) -> str:
    """A fraction as a percentage; "–" when missing."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{100 * value:.{digits}f}%"


def fmt_mass(kg: float | None) -> str:
    """A mass in the unit that reads best: kg, g or mg."""
    if kg is None or (isinstance(kg, float) and not np.isfinite(kg)):
        return "–"
    if kg == 0:
        return "0"
    if kg >= 1:
        return f"{kg:,.3g} kg"
    if kg >= 1e-3:
        return f"{kg * 1e3:.3g} g"
    return f"{kg * 1e6:.3g} mg"


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def currency_affixes(currency: str | None) -> tuple[str, str]:
    """The text before and after an amount in `currency`: the symbol for the few whose symbol
    is unambiguous ("$", ""), else the BOM's code after the number ("", " CHF"). The one place
    every report (text and the workbook's number formats) takes its currency from."""
    symbol = CURRENCY_SYMBOLS.get(currency or "", "")
    return symbol, (f" {currency}" if currency and not symbol else "")


def fmt_money(value: float | None, currency: str | None) -> str:
    """An amount with the BOM's currency (`currency_affixes`); "–" when missing."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    prefix, suffix = currency_affixes(currency)
    if value != 0 and abs(value) < 0.01:
        return f"{prefix}{value:.2g}{suffix}"  # a small amount still shows its size
    return f"{prefix}{value:,.2f}{suffix}"


def excel_money_format(currency: str | None) -> str:
    """The spreadsheet number format of an amount, with the same affixes as `fmt_money`."""
    prefix, suffix = currency_affixes(currency)

    def quoted(text: str) -> str:
        return '"' + text.replace('"', "") + '"' if text else ""

    return f"{quoted(prefix)}#,##0.00{quoted(suffix)}"


def price_text(price: dict[str, Any] | None) -> str:
    """A reference price as people read it: "110 USD/kg NdPr oxide (floor, 2025)"."""
    if price is None:
        return "no published price"
    return (
        f"{price['value']:g} {price['currency']}/{price['unit']} {price['product']} "
        f"({price['kind']}, {price['year']})"
    )


def fmt_rows(rows: list[int], limit: int = 8) -> str:
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (f" … (+{len(rows) - limit})" if len(rows) > limit else "")


def finding_counts(findings: list[Any]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        severity = f.severity if hasattr(f, "severity") else f["severity"]
        counts[severity] = counts.get(severity, 0) + 1
    return {s: n for s, n in counts.items() if n}


def export_control_counts(mineral: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for control in mineral.get("export_controls", []):
        counts[control["status"]] = counts.get(control["status"], 0) + 1
    return counts


def stage_share(stage: dict[str, Any], key: str) -> float | None:
    """A stage's share, or None where the stage has no data."""
    return None if stage.get("basis") == "none" else stage.get(key)
