"""The audit result and the JSON report contract (DESIGN section 7, `schema_version: 1`).

The few structured parts are pydantic models; the per-line parts stay DataFrames in
`AuditResult` and are turned into JSON records only when a format needs them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from exposure_audit.engine.findings import Finding
from exposure_audit.engine.scoring import CHOKEPOINT_FIELDS, Coverage
from exposure_audit.issues import Issue

SCHEMA_VERSION = 2
STAGE_ASSUMPTION = (
    "Method v2 (docs/methodology.md): a mineral's upstream exposure is China's share at its "
    "bottleneck stage, max(mining, processing); china_touch = 1 - prod(1 - share) over those "
    "two stages, as if independent, is the upper end of the range. A line's exposure is the "
    "contained-value-weighted mean of its minerals' bottleneck shares (mass-weighted where a "
    "price is missing), raised by its origin: e = u + w_o * o * (1 - u). Shares are by country "
    "of production, not by company ownership."
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)


class ToolInfo(_Model):
    name: str = "exposure-audit"
    version: str


class ReferenceInfo(_Model):
    version: str
    as_of: str = Field(description="Newest as_of date of the tables used")
    tables: dict[str, str] = Field(description="Table file -> its as_of date")
    layers: list[str] = Field(description="'bundled' then user --reference folders")
    sources: list[dict[str, Any]] = Field(default_factory=list)


class PolicyInfo(_Model):
    aligned_groups: list[str]
    aligned_countries: list[str]
    covered_countries: list[str]
    china_codes: list[str]
    as_of: str
    weighting: str
    tiers: dict[str, float]
    assumptions: list[str]
    rules: list[dict[str, Any]] = Field(
        default_factory=list, description="The finding rules: id, severity, threshold"
    )


class InputInfo(_Model):
    path: str
    sha256: str
    format: str
    sheet: str | None
    header_row: int
    rows: int
    skipped_rows: int
    mapped_rows: int
    coverage: float
    columns: dict[str, str] = Field(description="Canonical field -> the user's header")


class Summary(_Model):
    score: int
    tier: str = Field(
        description="critical|high|medium|low, or insufficient below the coverage floor"
    )
    exposure: float
    upstream: float = Field(
        description="Weighted mean of the lines' upstream exposure u (origin left out)"
    )
    origin: float = Field(description="Weighted share of the scored lines made in China")
    coverage: Coverage
    value_at_risk: float | None
    china_touch: float | None
    aligned_chain: float | None
    lines_by_tier: dict[str, int]


class Unmapped(_Model):
    row: int
    part_number: str | None
    description: str | None
    suggestions: list[str] = Field(
        description="Closest archetypes (rapidfuzz, sharing a word with the text), best first"
    )
    reason: str = Field("", description="Why no archetype was taken (rule and cell)")
    next_step: str = Field("", description="What to do: the --mapping entry or column to add")


class IssueSummary(_Model):
    counts: dict[str, int]
    listed: list[Issue]


class AuditReport(_Model):
    """The JSON report without its `lines`, which `AuditResult` renders from columns."""

    schema_version: int = SCHEMA_VERSION
    tool: ToolInfo
    reference: ReferenceInfo
    policy: PolicyInfo
    input: InputInfo
    weighting: str
    currency: str | None
    summary: Summary
    minerals: list[dict[str, Any]]
    unmapped: list[Unmapped]
    findings: list[Finding]
    issues: IssueSummary
    extras: dict[str, Any] = Field(default_factory=dict, description="Later capabilities' keys")


class AuditResult:
    """Everything one audit produced: the report model plus per-line frames."""

    report: AuditReport
    lines: pd.DataFrame
    """One row per BOM line read: row, part_number, description, material, match columns,
    exposure, driver, tier, supplier_country, spend, weight, extra columns."""
    extra_columns: list[str]

    def __init__(
        self,
        report: AuditReport,
        lines: pd.DataFrame,
        line_minerals: Any,
        extra_columns: list[str] | None = None,
    ) -> None:
        self.report = report
        self.lines = lines
        # A frame, or the `Scores` that expands it on first use (most formats never ask).
        self._line_minerals = line_minerals
        self.scores = None if isinstance(line_minerals, pd.DataFrame) else line_minerals
        """The engine's `Scores` behind the rows when kept (None for a frame given whole)."""
        self.extra_columns = list(extra_columns or [])

    @property
    def line_minerals(self) -> pd.DataFrame:
        """One row per line and mineral: line, mineral, mass_kg, china_touch, shares by stage."""
        if not isinstance(self._line_minerals, pd.DataFrame):
            self._line_minerals = self._line_minerals.line_minerals
        return self._line_minerals

    @property
    def summary(self) -> Summary:
        return self.report.summary

    @property
    def findings(self) -> list[Finding]:
        return self.report.findings

    def line_records(self) -> list[dict[str, Any]]:
        """The `lines` array of the JSON contract, built column-wise."""
        lines = self.lines
        lm = self.line_minerals
        per_line: dict[int, list[dict[str, Any]]] = {}
        if not lm.empty:
            mass = lm["mass_kg"].to_numpy(dtype=float)
            touch = lm["china_touch"].to_numpy(dtype=float)
            for line, mineral, m, t in zip(
                lm["line"].to_numpy(), lm["mineral"].to_numpy(), mass, touch, strict=True
            ):
                per_line.setdefault(int(line), []).append(
                    {"mineral": mineral, "mass_kg": _num(m), "china_touch": _num(t)}
                )
        estimated = set(lm.loc[lm["estimated"], "line"].tolist()) if not lm.empty else set()
        columns = {
            name: lines[name].tolist()
            for name in (
                "row",
                "part_number",
                "description",
                "material",
                "method",
                "archetype",
                "confidence",
                "reason",
                "mass_basis_kg",
                "exposure",
                "upstream",
                "origin",
                "driver",
                "chokepoints",
                "weighted_by",
                "tier",
                "supplier_country",
                "supplier",
                "quantity",
            )
        }
        extras = {h: lines[f"extra:{h}"].tolist() for h in self.extra_columns}
        records = []
        for i, line in enumerate(lines.index):
            record: dict[str, Any] = {
                "row": int(columns["row"][i]),
                "part_number": columns["part_number"][i] or None,
                "description": columns["description"][i] or None,
                "material": columns["material"][i] or None,
                "match": {
                    "method": columns["method"][i],
                    "archetype": columns["archetype"][i],
                    "confidence": _num(columns["confidence"][i]),
                    "reason": columns["reason"][i],
                    "mass_kg": _num(columns["mass_basis_kg"][i]),
                },
                "minerals": per_line.get(int(line), []),
                "exposure": _num(columns["exposure"][i]),
                "upstream": _num(columns["upstream"][i]),
                "origin": _num(columns["origin"][i]),
                "driver": columns["driver"][i],
                "chokepoints": chokepoint_records(columns["chokepoints"][i]),
                "weighted_by": columns["weighted_by"][i],
                "tier": columns["tier"][i],
                "supplier_country": columns["supplier_country"][i],
                "supplier": columns["supplier"][i] or None,
                "quantity": _num(columns["quantity"][i]),
                "estimated": ["mass"] if line in estimated else [],
            }
            if extras:
                record["extra"] = {h: extras[h][i] for h in self.extra_columns}
            records.append(record)
        return records


def chokepoint_records(value: Any) -> list[dict[str, Any]]:
    """A line's chokepoints (the engine's tuples) as the JSON contract's records."""
    return [dict(zip(CHOKEPOINT_FIELDS, item, strict=True)) for item in value or ()]


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def clean_json(value: Any) -> Any:
    """Numpy scalars to Python, NaN to None, floats rounded to 9 significant digits."""
    kind = type(value)  # the common exact types first: a report's minerals hold thousands
    if kind is float:
        return _rounded(value)
    if kind is dict:
        return {k: clean_json(v) for k, v in value.items()}
    if kind is str or kind is int or value is None:
        return value
    if isinstance(value, dict):
        return {k: clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    return _rounded(value) if isinstance(value, float) else value


def _rounded(value: float) -> float | None:
    return float(f"{value:.9g}") if math.isfinite(value) else None


def mineral_stake(mineral: dict[str, Any]) -> tuple[float, float, float, str]:
    """Sort key ranking minerals by what is at stake: China touch x the spend on the lines
    holding them (x contained mass when the BOM has no costs), so a trace of gold on a Chinese
    board does not outrank the graphite in the cells; ties go to the larger contained mass."""
    mass = mineral["mass_kg"] or 0.0
    weight = mineral["spend"] if mineral["spend"] is not None else mass
    return (-mineral["china_touch"] * weight, -mineral["china_touch"], -mass, mineral["mineral"])
