"""Pydantic models for the YAML reference tables (DESIGN section 5).

Each YAML file is one concern. Models are strict (`extra="forbid"`): an unknown key in a
reference file is a typo, not data. Cross-file checks (every material's minerals exist, ...)
live in `load.py`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

STAGES: tuple[str, ...] = ("mining", "processing")
"""Stages with reference shares. `manufacturing` comes from the BOM itself."""

ALL_STAGES: tuple[str, ...] = ("mining", "processing", "manufacturing")

OTHER = "OTHER"
"""Country key for the remainder of world output that a source does not split by country."""

ISO3 = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
PartialDate = Annotated[
    str, Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", description="YYYY, YYYY-MM or YYYY-MM-DD")
]


def partial_date_end(value: str) -> dt.date:
    """The last day a partial date can mean: `2026-02` -> 2026-02-28.

    A membership dated only to the month counts from the end of that month, so an audit as of
    a day inside the month never counts a member that may not have joined yet.
    """
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        year, month = parts
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return dt.date(parts[0], 12, 31)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)


class Source(_Strict):
    """Where a figure comes from."""

    title: str = Field(min_length=3)
    url: str | None = Field(default=None, description="Page actually read")
    year: int | str = Field(description="Publication or data year, e.g. 2026 or '2016-2020'")
    publisher: str | None = None


class FileHeader(_Strict):
    schema_version: Literal[1] = 1
    as_of: dt.date
    source: Source | None = None
    license: str | None = None
    note: str | None = None


# --- minerals.yaml -----------------------------------------------------------------------------

ListId = Literal["us_2022", "us_2025", "eu_crm_2023", "eu_srm_2023", "eu_crm_2024", "eu_srm_2024"]


class ExportControl(_Strict):
    """One Chinese export-control measure touching a mineral."""

    measure: str = Field(description="Announcement name and number")
    announced: dt.date | None = None
    since: dt.date = Field(description="Date the measure took effect")
    scope: str = Field(description="What the measure covers for this mineral")
    suspended_from: dt.date | None = None
    suspended_until: dt.date | None = Field(
        default=None, description="End of a suspension; the measure applies again after it"
    )
    ended: dt.date | None = None
    covers: Literal["material", "technology"] = Field(
        default="material",
        description="What needs a licence: the material itself, or only the technology to "
        "make it (China's catalogue of technologies restricted from export); a technology "
        "measure is shown for information and never counts as an export control on the "
        "material",
    )
    source: Source

    def status(self, as_of: dt.date) -> str:
        """`active`, `suspended`, `ended` or `not_yet` on a date; `technology` for a measure
        in force that restricts only the export of know-how."""
        if as_of < self.since:
            return "not_yet"
        if self.ended and as_of >= self.ended:
            return "ended"
        if self.covers == "technology":
            return "technology"
        if (
            self.suspended_from
            and self.suspended_from <= as_of
            and (self.suspended_until is None or as_of < self.suspended_until)
        ):
            return "suspended"
        return "active"


class Mineral(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    symbol: str | None = None
    aliases: list[str] = Field(default_factory=list)
    family: str
    lists: list[ListId] = Field(default_factory=list)
    critical: bool = Field(default=True, description="On the 2025 U.S. critical minerals list")
    export_controls: list[ExportControl] = Field(default_factory=list)
    note: str | None = None


class MineralsFile(FileHeader):
    minerals: list[Mineral]


# --- supply.yaml -------------------------------------------------------------------------------


class SupplyEntry(_Strict):
    """Country shares of world output for one mineral and stage, from one source."""

    mineral: str
    stage: Literal["mining", "processing"]
    year: str = Field(description="Data year, e.g. '2025' or '2016-2020'")
    basis: str = Field(description="What is measured: product and unit")
    confidence: Literal["high", "medium", "low"] = "high"
    source: Source
    shares: dict[str, float] = Field(description="ISO alpha-3 (or OTHER) -> fraction of world")
    note: str | None = None

    @field_validator("shares")
    @classmethod
    def _shares_valid(cls, shares: dict[str, float]) -> dict[str, float]:
        problems = []
        outside = [f"{c}: {v}" for c, v in shares.items() if not (0.0 <= v <= 1.0)]
        if outside:
            problems.append(f"shares must lie in 0..1 ({', '.join(outside)})")
        bad = [c for c in shares if c != OTHER and not re.fullmatch(r"[A-Z]{3}", c)]
        if bad:
            problems.append(f"share keys must be ISO alpha-3 codes or OTHER: {', '.join(bad)}")
        total = sum(shares.values())
        if total > 1.0 + 1e-6:
            problems.append(f"shares sum to {total:.4f}, more than 1")
        if problems:
            raise ValueError("; ".join(problems))
        return shares


class SupplyFile(FileHeader):
    supply: list[SupplyEntry]


# --- materials.yaml ----------------------------------------------------------------------------


class Component(_Strict):
    mineral: str
    fraction: float = Field(gt=0.0, le=1.0, description="kg of the mineral per kg of the part")
    low: float | None = Field(default=None, ge=0.0, le=1.0)
    high: float | None = Field(default=None, ge=0.0, le=1.0)
    basis: Literal["stoichiometry", "published", "estimate"] = "published"
    source: Source | None = Field(default=None, description="Defaults to the material's source")


class TypicalMass(_Strict):
    kg: float = Field(gt=0.0, description="Typical mass of one unit, in kg")
    per: str = Field(default="piece", description="What one unit is")
    source: Source


class Material(_Strict):
    """A material or component archetype a BOM line can map to."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    category: str
    aliases: list[str] = Field(
        default_factory=list, description="Exact phrases (case and punctuation folded)"
    )
    patterns: list[str] = Field(
        default_factory=list, description="Regular expressions tried on the folded text"
    )
    exclude: list[str] = Field(
        default_factory=list, description="Regular expressions that veto this archetype"
    )
    cas: list[str] = Field(default_factory=list)
    priority: int = Field(default=0, description="Higher wins when several patterns hit")
    composition: list[Component] = Field(default_factory=list)
    typical_mass: TypicalMass | None = None
    source: Source
    note: str | None = None

    @field_validator("patterns", "exclude")
    @classmethod
    def _regex_compiles(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern {value!r} does not compile: {exc}") from None
        return values

    @model_validator(mode="after")
    def _composition_sums(self) -> Material:
        total = sum(c.fraction for c in self.composition)
        if total > 1.0 + 1e-6:
            raise ValueError(f"mass fractions sum to {total:.4f}, more than 1")
        return self


class MaterialsFile(FileHeader):
    materials: list[Material]


# --- countries.yaml ----------------------------------------------------------------------------


class EuMember(_Strict):
    iso3: ISO3
    joined: dt.date
    left: dt.date | None = None


class CountriesFile(FileHeader):
    aliases: dict[str, ISO3 | Literal["EU"]] = Field(
        default_factory=dict, description="Spelling -> ISO alpha-3, beyond what pycountry knows"
    )
    china_regions: list[ISO3] = Field(
        default_factory=lambda: ["HKG", "MAC"],
        description="Codes a policy may count as China (Hong Kong, Macao)",
    )
    eu_members: list[EuMember] = Field(default_factory=list)
    eu_source: Source | None = None


# --- groups.yaml -------------------------------------------------------------------------------


class GroupMember(_Strict):
    iso3: str = Field(pattern=r"^([A-Z]{3}|EU)$")
    status: str
    date: PartialDate | None = None
    name: str | None = None
    source_url: str | None = None
    note: str | None = None

    @field_validator("date")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                partial_date_end(value)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a calendar date ({exc})") from None
        return value


class Group(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    kind: str
    as_of: dt.date
    complete: bool = Field(description="Whether the roster is known to be complete")
    counting_statuses: list[str] | None = Field(
        default=None, description="Member statuses that count as membership (default: all)"
    )
    members: list[GroupMember] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    note: str | None = None


class GroupsFile(FileHeader):
    groups: list[Group]


# --- policy.yaml -------------------------------------------------------------------------------

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITY_ORDER: dict[str, int] = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class Tiers(_Strict):
    critical: float = 80
    high: float = 60
    medium: float = 40

    @model_validator(mode="after")
    def _ordered(self) -> Tiers:
        if not (self.critical >= self.high >= self.medium >= 0):
            raise ValueError("tiers must satisfy critical >= high >= medium >= 0")
        return self

    def tier(self, score: float) -> str:
        if score >= self.critical:
            return "critical"
        if score >= self.high:
            return "high"
        if score >= self.medium:
            return "medium"
        return "low"


class Rule(_Strict):
    """A finding rule; `id` is stable and public."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    severity: Severity
    enabled: bool = True
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    description: str


class Policy(_Strict):
    aligned_groups: list[str] = Field(
        description="Groups whose members count as aligned (the United States always does)"
    )
    include_united_states: bool = True
    covered_group: str = Field(description="Group of covered nations (FEOC)")
    hong_kong_macao_as_china: bool = True
    tiers: Tiers = Tiers()
    weighting: Literal["auto", "spend", "mass", "count"] = "auto"
    eu_single_country_benchmark: float = Field(default=0.65, ge=0.0, le=1.0)
    origin_weight: float = Field(
        default=0.25,
        ge=0.0,
        le=1.0,
        description="w_o: how far a China origin raises a line toward 1 "
        "(e = u + w_o * o * (1 - u); docs/methodology.md). A tool choice, not a sourced figure",
    )
    chokepoint_china_share: float = Field(
        default=0.65, ge=0.0, le=1.0, description="Bottleneck China share making a chokepoint"
    )
    chokepoint_minor_share: float = Field(
        default=0.10,
        gt=0.0,
        le=1.0,
        description="Below this mass fraction of the part, an input is minor",
    )
    coverage_floor: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Below this share of lines (and of spend, where costs are given) scored, "
        "the product tier is `insufficient`; unset: the engine's COVERAGE_FLOOR (0.60)",
    )
    rules: list[Rule] = Field(default_factory=list)


class PolicyFile(FileHeader):
    policy: Policy


# --- prices.yaml (optional) --------------------------------------------------------------------


class Price(_Strict):
    """A published price for one mineral: a market average or a price floor, with its source."""

    mineral: str
    kind: Literal["average", "floor"] = Field(description="Market average, or a guaranteed floor")
    value: float = Field(gt=0.0, description="Price per `unit` of `product`")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    unit: Literal["kg"] = "kg"
    product: str = Field(description="What the price is for, e.g. 'NdPr oxide', 'gallium metal'")
    contained_fraction: float = Field(
        default=1.0,
        gt=0.0,
        le=1.0,
        description="kg of the mineral per kg of `product` (1 for the metal; stoichiometry for "
        "an oxide), so that price per kg contained = value / contained_fraction",
    )
    year: int | str = Field(description="Year the price applies to or was set")
    source: Source
    note: str | None = None

    @property
    def per_kg_contained(self) -> float:
        return self.value / self.contained_fraction


class PricesFile(FileHeader):
    prices: list[Price] = Field(default_factory=list)


# --- scenarios.yaml (optional) -----------------------------------------------------------------

ScenarioStage = Literal["mining", "processing", "manufacturing", "*"]


class ScenarioCut(_Strict):
    """Supply removed: these minerals, from these countries, at these stages."""

    minerals: list[str] = Field(
        default_factory=lambda: ["*"], description="Mineral ids or names; '*' for every mineral"
    )
    countries: list[str] = Field(
        description="ISO alpha-3 codes, CHINA (the policy's China codes), COVERED (covered "
        "nations) or a policy group id. CHN also removes Hong Kong and Macao when the policy "
        "counts them as China."
    )
    stages: list[ScenarioStage] = Field(default_factory=lambda: list[ScenarioStage](["*"]))


class Scenario(_Strict):
    """A named supply-cut scenario."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: str
    description: str
    export_controls: bool = Field(
        default=False,
        description="Restrict each cut to the minerals under a Chinese export-control measure "
        "active on the audit date (also suspended ones with `include_suspended`)",
    )
    include_suspended: bool = False
    cuts: list[ScenarioCut] = Field(min_length=1)
    source: Source | None = None


class ScenariosFile(FileHeader):
    scenarios: list[Scenario] = Field(default_factory=list)
