"""Dated rule packs (`data/reference/rules/*.yaml`) and the ownership table (`ownership.yaml`).

A rule pack states what one law asks of a BOM line: its phases (each with the date it takes
effect), thresholds, covered countries and materials, and the source of every figure (a key
into the pack's `sources`). `kind` picks the evaluator in `engine/rules.py`. Packs are strict
(`extra="forbid"`), and every `source:` key must name one of the pack's sources.

User layers: `--reference DIR` may hold `DIR/rules/*.yaml` (a pack with a bundled id replaces
it) and `DIR/ownership.yaml` (replaces the bundled table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from exposure_audit.errors import ReferenceDataError
from exposure_audit.reference.models import ISO3, Source

Severity = Literal["critical", "high", "medium", "low", "info"]
Stage = Literal["mining", "processing", "manufacturing"]
RuleId = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Screening(_Strict):
    """The tool's own screening choices (not law), stated in the pack."""

    likely_threshold: Fraction | None = None
    match_ratio: Fraction | None = None
    note: str | None = None
    match_note: str | None = None


class CountryList(_Strict):
    codes: list[ISO3] = Field(min_length=1)
    source: str


class Phase(_Strict):
    """A dated step of a rule: in force from `effective` (None: long in force) to `until`."""

    id: str
    effective: dt.date | None
    until: dt.date | None = None
    wording: str
    severity: Severity = "medium"
    source: str

    def in_force(self, as_of: dt.date) -> bool:
        started = self.effective is None or self.effective <= as_of
        return started and (self.until is None or as_of <= self.until)


class _PackBase(_Strict):
    schema_version: Literal[1] = 1
    id: RuleId
    title: str
    jurisdiction: str
    compiled: dt.date
    applies_to: str
    checks: str
    cannot_know: list[str] = Field(min_length=1)
    not_confirmed: list[str] = Field(default_factory=list)
    screening: Screening | None = None
    sources: dict[str, Source] = Field(min_length=1)

    def source_keys(self) -> Iterator[str]:
        """Every `source` key the pack's entries use (checked against `sources`)."""
        yield from _source_keys(self.model_dump(exclude={"sources"}))

    @model_validator(mode="after")
    def _sources_exist(self) -> _PackBase:
        missing = sorted({k for k in self.source_keys() if k not in self.sources})
        if missing:
            raise ValueError(f"source key(s) not in `sources`: {', '.join(missing)}")
        return self

    def change_dates(self) -> set[dt.date]:
        """Dates on which what the pack asks changes (a phase starts or ends)."""
        return set()

    def likely(self, default: float) -> float:
        if self.screening and self.screening.likely_threshold is not None:
            return self.screening.likely_threshold
        return default


def _source_keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "source" and isinstance(item, str):
                yield item
            elif key == "sources" and isinstance(item, list):
                yield from (s for s in item if isinstance(s, str))
            else:
                yield from _source_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _source_keys(item)


def _phase_dates(phases: Iterable[Phase]) -> set[dt.date]:
    dates: set[dt.date] = set()
    for phase in phases:
        if phase.effective is not None:
            dates.add(phase.effective)
        if phase.until is not None:
            dates.add(phase.until + dt.timedelta(days=1))
    return dates


# --- DFARS 252.225-7052 ------------------------------------------------------------------------


class CotsTest(_Strict):
    basis: str = Field(description="'covered' (the covered material) or a mineral id")
    min_fraction: Fraction
    wording: str


class DfarsPhase(Phase):
    stages: list[Stage] = Field(min_length=1)
    cots: CotsTest


class DfarsMaterial(_Strict):
    id: RuleId
    name: str
    archetypes: list[str] = Field(min_length=1)
    covered_fraction: str = Field(description="'part' (the whole part) or a mineral id")
    upstream_minerals: list[str] = Field(min_length=1)


class DfarsPack(_PackBase):
    kind: Literal["dfars"]
    covered_countries: CountryList
    materials: list[DfarsMaterial] = Field(min_length=1)
    phases: list[DfarsPhase] = Field(min_length=1)

    def change_dates(self) -> set[dt.date]:
        return _phase_dates(self.phases)


# --- FEOC / prohibited foreign entity ----------------------------------------------------------


class ControlTest(_Strict):
    id: RuleId
    name: str
    effective: dt.date
    until: dt.date | None = None
    single_owner_min: Fraction
    aggregate_min: Fraction
    wording: str
    effective_note: str | None = None
    source: str
    sources: list[str] = Field(default_factory=list)

    def in_force(self, as_of: dt.date) -> bool:
        return self.effective <= as_of and (self.until is None or as_of <= self.until)


class MacrCategory(_Strict):
    id: RuleId
    name: str
    source: str
    thresholds: dict[int, Fraction] = Field(min_length=1)
    after_last: Fraction | None = None

    def threshold(self, year: int) -> float | None:
        """The minimum ratio for a year; None before the first year or where not confirmed."""
        if year in self.thresholds:
            return self.thresholds[year]
        last = max(self.thresholds)
        if year > last and self.after_last is not None:
            return self.after_last
        return None


class Macr(_Strict):
    source: str
    formula: str
    categories: list[MacrCategory] = Field(min_length=1)


class FeocPack(_PackBase):
    kind: Literal["feoc"]
    covered_countries: CountryList
    control_tests: list[ControlTest] = Field(min_length=1)
    macr: Macr

    def change_dates(self) -> set[dt.date]:
        dates = {t.effective for t in self.control_tests}
        dates |= {t.until + dt.timedelta(days=1) for t in self.control_tests if t.until}
        for category in self.macr.categories:
            dates |= {dt.date(year, 1, 1) for year in category.thresholds}
        return dates


# --- EU CRMA Art. 24 ---------------------------------------------------------------------------


class Benchmark(_Strict):
    single_country_max: Fraction
    wording: str
    source: str
    sources: list[str] = Field(default_factory=list)


class CrmaPack(_PackBase):
    kind: Literal["crma"]
    phases: list[Phase] = Field(min_length=1)
    benchmark: Benchmark
    lists: list[str] = Field(min_length=1)
    stages: list[Stage] = Field(min_length=1)

    def change_dates(self) -> set[dt.date]:
        return _phase_dates(self.phases)


# --- EU Batteries Regulation -------------------------------------------------------------------


class Passport(_Strict):
    effective: dt.date
    categories: list[str]
    industrial_min_kwh: float = Field(gt=0)
    excluded_categories: list[str]
    severity: Severity
    source: str
    fields_source: str
    crm_min_fraction: Fraction
    crm_source: str


class DueDiligence(_Strict):
    effective: dt.date
    originally: dt.date | None = None
    minerals: list[str] = Field(min_length=1)
    turnover_min_eur: float | None = None
    turnover_source: str | None = None
    severity: Severity
    source: str
    sources: list[str] = Field(default_factory=list)


class BatteryPack(_PackBase):
    kind: Literal["eu-battery"]
    passport: Passport
    due_diligence: DueDiligence
    battery_archetype_prefixes: list[str] = Field(min_length=1)

    def change_dates(self) -> set[dt.date]:
        return {self.passport.effective, self.due_diligence.effective}

    @model_validator(mode="after")
    def _turnover_source(self) -> BatteryPack:
        key = self.due_diligence.turnover_source
        if key is not None and key not in self.sources:
            raise ValueError(f"turnover_source {key!r} not in `sources`")
        for key in (self.passport.fields_source, self.passport.crm_source):
            if key not in self.sources:
                raise ValueError(f"source key {key!r} not in `sources`")
        return self


# --- Conflict minerals (3TG) -------------------------------------------------------------------


class CnThreshold(_Strict):
    cn: str = Field(pattern=r"^\d{4,10}$")
    description: str
    kg: float = Field(gt=0)
    ex: bool = False


class EuThresholds(_Strict):
    source: str
    codes: list[CnThreshold] = Field(min_length=1)


class ConflictPack(_PackBase):
    kind: Literal["conflict-minerals"]
    phases: list[Phase] = Field(min_length=1)
    minerals: list[str] = Field(min_length=1)
    covered_countries: CountryList
    eu_thresholds: EuThresholds

    def change_dates(self) -> set[dt.date]:
        return _phase_dates(self.phases)


# --- UFLPA -------------------------------------------------------------------------------------


class Sector(_Strict):
    id: RuleId
    name: str
    since: dt.date
    minerals: list[str]
    archetypes: list[str]
    stages: list[Stage] = Field(min_length=1)
    min_fraction: Fraction = 0.5
    source: str


class ListedEntity(_Strict):
    name: str = Field(min_length=2)
    aliases: list[str] = Field(default_factory=list)
    added: dt.date | None = None
    listed_by: dt.date | None = None
    sector: str
    source: str

    def listed(self, as_of: dt.date) -> bool:
        since = self.added or self.listed_by
        return since is None or since <= as_of

    @model_validator(mode="after")
    def _dated(self) -> ListedEntity:
        if self.added is None and self.listed_by is None:
            raise ValueError(f"{self.name}: give `added` or `listed_by`")
        return self


class EntityList(_Strict):
    note: str
    entities: list[ListedEntity] = Field(min_length=1)


class UflpaPack(_PackBase):
    kind: Literal["uflpa"]
    phases: list[Phase] = Field(min_length=1)
    sectors: list[Sector] = Field(min_length=1)
    not_screened_sectors: list[str] = Field(default_factory=list)
    entity_list: EntityList

    def change_dates(self) -> set[dt.date]:
        dates = _phase_dates(self.phases) | {s.since for s in self.sectors}
        return dates | {e.added for e in self.entity_list.entities if e.added}


RulePack = Annotated[
    DfarsPack | FeocPack | CrmaPack | BatteryPack | ConflictPack | UflpaPack,
    Field(discriminator="kind"),
]
_PACK: TypeAdapter[RulePack] = TypeAdapter(RulePack)


# --- ownership.yaml ----------------------------------------------------------------------------


class Corroboration(_Strict):
    title: str
    url: str | None = None
    year: int | str
    publisher: str | None = None
    value: Fraction
    basis: str


class CountryControl(_Strict):
    """The share of one country's output of a mineral at a stage that Chinese-headquartered
    companies control."""

    mineral: str
    stage: Literal["mining", "processing"]
    country: ISO3
    chinese_controlled: Fraction
    bound: Literal["point", "lower", "upper"] = "point"
    year: str
    basis: str
    source: Source
    corroborated_by: Corroboration | None = None


class WorldAlso(_Strict):
    basis: str
    china_located: Fraction
    china_controlled: Fraction


class WorldControl(_Strict):
    """A published world share of output controlled by Chinese companies."""

    mineral: str
    stage: Literal["mining", "processing"]
    china_located: Fraction
    china_controlled: Fraction
    year: str
    basis: str
    source: Source
    also: WorldAlso | None = None


class OwnershipFile(_Strict):
    schema_version: Literal[1] = 1
    as_of: dt.date
    source: Source | None = None
    license: str | None = None
    note: str | None = None
    countries: list[CountryControl] = Field(default_factory=list)
    world: list[WorldControl] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> OwnershipFile:
        keys = [(c.mineral, c.stage, c.country) for c in self.countries]
        if len(keys) != len(set(keys)):
            raise ValueError("countries: one entry per mineral, stage and country")
        return self

    def country_factors(self, mineral: str, stage: str) -> dict[str, CountryControl]:
        return {c.country: c for c in self.countries if c.mineral == mineral and c.stage == stage}

    def world_entry(self, mineral: str, stage: str) -> WorldControl | None:
        return next((w for w in self.world if w.mineral == mineral and w.stage == stage), None)


class RuleBook(BaseModel):
    """Every rule pack and the ownership table, as loaded."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    packs: dict[str, RulePack]
    ownership: OwnershipFile
    files: list[str] = Field(default_factory=list)

    def select(self, names: Sequence[str]) -> list[RulePack]:
        """The packs named (ids or unambiguous prefixes; `all` for every pack), in id order.

        Raises `UsageError` naming the unknown ones."""
        from exposure_audit.errors import UsageError

        wanted = [n.strip().lower() for name in names for n in name.split(",") if n.strip()]
        if not wanted or "all" in wanted:
            return [self.packs[k] for k in sorted(self.packs)]
        chosen: dict[str, RulePack] = {}
        unknown: list[str] = []
        for name in wanted:
            hits = [k for k in self.packs if k == name or k.startswith(name)]
            if len(hits) != 1 and name not in self.packs:
                unknown.append(name)
                continue
            key = name if name in self.packs else hits[0]
            chosen[key] = self.packs[key]
        if unknown:
            raise UsageError(
                f"--rules {', '.join(unknown)}: no such rule pack",
                f"use all or one of: {', '.join(sorted(self.packs))} (see `exposure-audit rules`)",
            )
        return [chosen[k] for k in sorted(chosen)]

    def change_dates(self, packs: Iterable[RulePack] | None = None) -> list[dt.date]:
        dates: set[dt.date] = set()
        for pack in self.packs.values() if packs is None else packs:
            dates |= pack.change_dates()
        return sorted(dates)


# --- loading -----------------------------------------------------------------------------------


def _read(path: Path, problems: list[str]) -> Any:
    from exposure_audit.reference.load import _unique_key_loader

    try:
        import yaml

        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_unique_key_loader())  # noqa: S506 - safe loader
    except OSError as exc:
        problems.append(f"{path}: cannot read ({exc.strerror or exc})")
    except Exception as exc:  # yaml.YAMLError: its message names line and column
        problems.append(f"{path}: not valid YAML: {' '.join(str(exc).split())}")
    return None


def _errors(path: Path, exc: ValidationError) -> list[str]:
    out = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"])
        out.append(f"{path}: {where or '(file)'}: {error['msg']}")
    return out


def _pack(path: Path, problems: list[str]) -> RulePack | None:
    data = _read(path, problems)
    if data is None:
        return None
    try:
        return _PACK.validate_python(data)
    except ValidationError as exc:
        problems.extend(_errors(path, exc))
        return None


def _ownership(path: Path, problems: list[str]) -> OwnershipFile | None:
    data = _read(path, problems)
    if data is None:
        return None
    try:
        return OwnershipFile.model_validate(data)
    except ValidationError as exc:
        problems.extend(_errors(path, exc))
        return None


def _layers(directories: Sequence[str | Path]) -> list[Path]:
    from exposure_audit.reference.load import bundled_directory

    return [bundled_directory(), *(Path(d) for d in directories)]


def _stamp(layers: Sequence[Path]) -> tuple[float, ...]:
    stamps: list[float] = []
    for layer in layers:
        for path in sorted(layer.glob("rules/*.yaml")) + [layer / "ownership.yaml"]:
            try:
                stamps.append(path.stat().st_mtime)
            except OSError:
                stamps.append(-1.0)
    return tuple(stamps)


def load_rules(directories: Sequence[str | Path] = ()) -> RuleBook:
    """The bundled rule packs and ownership table, then each user layer over them.

    Raises `ReferenceDataError` listing every problem found."""
    layers = _layers(directories)
    return _load(tuple(str(p) for p in layers), _stamp(layers))


@lru_cache(maxsize=4)
def _load(layers: tuple[str, ...], stamp: tuple[float, ...]) -> RuleBook:
    problems: list[str] = []
    packs: dict[str, RulePack] = {}
    ownership: OwnershipFile | None = None
    files: list[str] = []
    for layer in map(Path, layers):
        for path in sorted(layer.glob("rules/*.yaml")):
            files.append(str(path))
            pack = _pack(path, problems)
            if pack is not None:
                packs[pack.id] = pack
        if (layer / "ownership.yaml").is_file():
            files.append(str(layer / "ownership.yaml"))
            ownership = _ownership(layer / "ownership.yaml", problems) or ownership
    if ownership is None and not problems:
        problems.append(f"{layers[0]}: ownership.yaml is missing")
    if problems or ownership is None:
        raise ReferenceDataError(
            f"invalid rule tables: {problems[0]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            "fix the rule files listed (`exposure-audit reference check DIR`)",
            problems,
        )
    return RuleBook(packs=packs, ownership=ownership, files=files)
