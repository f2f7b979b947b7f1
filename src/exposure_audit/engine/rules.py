"""Rule packs x scored BOM -> rule findings per line, at an as-of date.

Each pack (`reference/rules.py`, `data/reference/rules/*.yaml`) is evaluated by the function
its `kind` names. A finding has a stable id (`rule:<pack>:<subject>[:<phase>]`), the rows of
the lines behind it, what would clear it and the source of the rule; `to_findings` gives the
plain `Finding`s that `--fail-on`, waivers and SARIF read.

Stage countries come from the scoring's distributions: declared smelters and mines and the
BOM's own country columns ("declared") first, the bundled world shares otherwise ("reference":
reported as "likely unless traced" when the covered share reaches the pack's threshold).
Everything is worked out once per scoring profile (lines alike in archetype, countries and
declarations) and joined back to lines; the optional BOM columns (COTS, defence contract,
battery category and kWh, HS/CN code, recycled share, owner) are read per line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from exposure_audit.engine.findings import Finding, sort_findings
from exposure_audit.engine.scoring import Distribution, Scores, ScoringContext
from exposure_audit.reference import ReferenceSet
from exposure_audit.reference.models import OTHER
from exposure_audit.reference.rules import (
    BatteryPack,
    ConflictPack,
    CrmaPack,
    DfarsMaterial,
    DfarsPack,
    DfarsPhase,
    FeocPack,
    ListedEntity,
    OwnershipFile,
    RulePack,
    UflpaPack,
)
from exposure_audit.text import fold

MAX_LINES = 500
"""Line details listed per finding (the rows list is capped likewise)."""

_SEVERITY = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
_YES = frozenset({"y", "yes", "true", "1", "x", "cots", "ja", "oui", "si"})
_NO = frozenset({"n", "no", "false", "0", "nein", "non"})
_CATEGORIES = {
    "ev": "ev",
    "electric vehicle": "ev",
    "electric vehicle battery": "ev",
    "traction": "ev",
    "automotive traction": "ev",
    "lmt": "lmt",
    "light means of transport": "lmt",
    "e bike": "lmt",
    "ebike": "lmt",
    "e scooter": "lmt",
    "industrial": "industrial",
    "stationary": "industrial",
    "ess": "industrial",
    "energy storage": "industrial",
    "sli": "sli",
    "starter": "sli",
    "starting lighting ignition": "sli",
    "portable": "portable",
}


# --- models ------------------------------------------------------------------------------------


class StageHit(BaseModel):
    """One stage of one line: the share of the rule's countries in it, and where it is from."""

    model_config = ConfigDict(frozen=True)

    stage: str
    mineral: str | None = None
    share: float
    basis: str = Field(description="declared (BOM columns or declarations), reference, or none")
    countries: list[str] = Field(default_factory=list)


class LineDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    row: int
    part_number: str | None = None
    status: str = Field(description="declared, likely, unknown, in-scope, ...")
    hits: list[StageHit] = Field(default_factory=list)
    note: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class RuleFinding(BaseModel):
    """A rule hit with everything a reviewer needs to act on it."""

    model_config = ConfigDict(frozen=True)

    id: str
    rule: str
    pack: str
    severity: str
    mineral: str | None = None
    stage: str | None = None
    phase: str | None = None
    effective: str | None = None
    rows: list[int] = Field(default_factory=list)
    lines: int = 0
    message: str
    clear: str = Field(description="What would clear the finding")
    basis: str = Field(description="declared, likely unless traced, location proxy, ...")
    source: dict[str, Any] = Field(default_factory=dict)
    details: list[LineDetail] = Field(default_factory=list)


@dataclass
class PackResult:
    pack: RulePack
    findings: list[RuleFinding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    in_force: bool = True


@dataclass(frozen=True)
class Owner:
    """One holder of a supplier (`--owners`): name, ISO alpha-3 country (None: unknown) and
    share 0..1."""

    name: str
    country: str | None
    share: float


def _simple_key(name: str) -> str:
    return " ".join(fold(name).split())


@dataclass
class RuleInputs:
    """The scored BOM as the rules read it."""

    bom: pd.DataFrame
    archetypes: np.ndarray
    """Per line: its archetype id, None when unmapped."""
    composition: pd.DataFrame
    """archetype, mineral, fraction."""
    scores: Scores
    context: ScoringContext
    owners: Mapping[str, list[Owner]] = field(default_factory=dict)
    """Folded supplier name -> its owners (from `--owners`)."""
    entities: Sequence[ListedEntity] = ()
    """The bundled (partial) UFLPA entity list: specified foreign entities for the FEOC test."""
    name_key: Callable[[str], str] = _simple_key
    """Folds a company name for matching (the api passes the declarations' own folding, so
    `--owners`, BOM suppliers and the entity list match as supplier declarations do)."""
    _fractions: dict[str, dict[str, float]] | None = None

    @property
    def reference(self) -> Any:
        return self.context.reference

    def fractions(self) -> dict[str, dict[str, float]]:
        """archetype -> mineral -> mass fraction."""
        if self._fractions is None:
            table: dict[str, dict[str, float]] = {}
            comp = self.composition
            for arch, mineral, frac in zip(
                comp["archetype"].astype(str),
                comp["mineral"].astype(str),
                comp["fraction"],
                strict=True,
            ):
                table.setdefault(arch, {})[mineral] = float(frac)
            self._fractions = table
        return self._fractions

    def lines_where(self, mask: np.ndarray) -> np.ndarray:
        """Positions of scored, valid lines where `mask` holds."""
        ok = (self.scores.profile >= 0) & self.bom["valid"].to_numpy(bool)
        return np.flatnonzero(ok & mask)

    def archetype_lines(self, archetypes: Collection[str]) -> np.ndarray:
        return self.lines_where(pd.Series(self.archetypes).isin(list(archetypes)).to_numpy())

    def mineral_lines(self, minerals: Collection[str], min_fraction: float = 0.0) -> np.ndarray:
        """Lines whose archetype holds any of `minerals` above `min_fraction` of its mass."""
        fractions = self.fractions()
        keep = {
            a
            for a, table in fractions.items()
            if any(table.get(m, 0.0) > min_fraction for m in minerals)
        }
        return self.archetype_lines(keep)

    def rows(self, positions: np.ndarray) -> list[int]:
        return [int(r) for r in self.bom["row"].to_numpy()[positions][:MAX_LINES]]

    def text(self, column: str, positions: np.ndarray) -> list[str]:
        if column not in self.bom.columns:
            return [""] * len(positions)
        values = self.bom[column].to_numpy(dtype=object)[positions]
        return ["" if v is None or v != v else str(v).strip() for v in values]


# --- distributions per profile -----------------------------------------------------------------


def _basis(dist: Distribution) -> str:
    if dist.basis in ("bom", "declaration"):
        return "declared"
    return "reference" if dist.basis == "reference" and dist.shares else "none"


def _hit(
    dist: Distribution, stage: str, mineral: str | None, countries: Collection[str]
) -> StageHit:
    named = sorted(c for c, s in dist.shares.items() if c in countries and s > 0)
    share = float(sum(dist.shares.get(c, 0.0) for c in countries))
    return StageHit(stage=stage, mineral=mineral, share=share, basis=_basis(dist), countries=named)


@dataclass(frozen=True)
class Verdict:
    status: str
    """declared (a named stage in the rule's countries), likely (a reference share at or over
    the threshold), unknown (a stage with no data), or clear."""
    hits: tuple[StageHit, ...]


def _status(hits: Sequence[StageHit], likely: float) -> str:
    if any(h.basis == "declared" and h.share > 0 for h in hits):
        return "declared"
    if any(h.basis == "reference" and h.share >= likely and h.share > 0 for h in hits):
        return "likely"
    if any(h.basis == "none" for h in hits):
        return "unknown"
    return "clear"


def profile_hits(
    inp: RuleInputs,
    profile: int,
    minerals: Collection[str] | None,
    stages: Sequence[str],
    countries: Collection[str],
) -> list[StageHit]:
    """The stage hits of one profile: manufacturing once, mining and processing per mineral of
    its composition that is in `minerals` (None: every mineral)."""
    scores = inp.scores
    pm = scores.profile_minerals
    start, end = np.searchsorted(pm["profile"].to_numpy(), [profile, profile + 1])
    hits: list[StageHit] = []
    for stage in stages:
        keys = pm[f"dist_{stage}"].to_numpy(dtype=object)[start:end]
        names = pm["mineral"].to_numpy(dtype=object)[start:end]
        if stage == "manufacturing":
            if len(keys):
                hits.append(_hit(scores.distributions[str(keys[0])], stage, None, countries))
            continue
        for key, mineral in zip(keys, names, strict=True):
            if minerals is None or mineral in minerals:
                hits.append(_hit(scores.distributions[str(key)], stage, str(mineral), countries))
    return hits


def verdicts(
    inp: RuleInputs,
    positions: np.ndarray,
    minerals: Collection[str] | None,
    stages: Sequence[str],
    countries: Collection[str],
    likely: float,
) -> list[Verdict]:
    """Per line at `positions`: its verdict, worked out once per profile."""
    profiles = inp.scores.profile[positions]
    cache: dict[int, Verdict] = {}
    out: list[Verdict] = []
    for profile in profiles.tolist():
        found = cache.get(profile)
        if found is None:
            hits = profile_hits(inp, profile, minerals, stages, countries)
            found = cache[profile] = Verdict(_status(hits, likely), tuple(hits))
        out.append(found)
    return out


# --- per-line optional columns -----------------------------------------------------------------


def yes_no(values: Iterable[str]) -> list[bool | None]:
    """Yes/no cells: True, False, or None for blank or unreadable."""
    out: list[bool | None] = []
    for value in values:
        folded = value.strip().lower()
        out.append(True if folded in _YES else False if folded in _NO else None)
    return out


def numbers(values: Iterable[str]) -> np.ndarray:
    """Numbers from text cells (decimal comma, %, thousands space); NaN where unreadable."""
    cleaned = [
        v.replace("\u00a0", "").replace(" ", "").replace(",", ".").rstrip("%") for v in values
    ]
    return pd.to_numeric(pd.Series(cleaned, dtype=object), errors="coerce").to_numpy(float)


def fractions_of(values: Sequence[str]) -> np.ndarray:
    """Shares: '25%', '25' and '0.25' all read as 0.25."""
    parsed = numbers(values)
    percent = np.array(["%" in v or False for v in values], dtype=bool)
    return np.where(percent | (parsed > 1), parsed / 100, parsed)


def category(value: str) -> str | None:
    folded = " ".join(value.lower().replace("-", " ").replace("_", " ").split())
    return _CATEGORIES.get(folded)


# --- helpers -----------------------------------------------------------------------------------


def _source(pack: RulePack, key: str) -> dict[str, Any]:
    source = pack.sources[key]
    return {"key": key, **source.model_dump(mode="json", exclude_none=True)}


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _stage_text(hit: StageHit) -> str:
    what = f"{hit.stage}" + (f" of {hit.mineral}" if hit.mineral else "")
    where = ", ".join(hit.countries) or "none"
    if hit.basis == "declared":
        return f"{what} declared in {where}"
    return f"{what}: {_pct(hit.share)} of world output in {where} (likely unless traced)"


def _summary(verdicts_: Sequence[Verdict], likely: float) -> str:
    """The distinct stage statements behind a set of verdicts, declared ones first."""
    texts: dict[str, int] = {}
    for verdict in verdicts_:
        for hit in verdict.hits:
            if (hit.basis == "declared" and hit.share > 0) or (
                hit.basis == "reference" and hit.share >= likely and hit.share > 0
            ):
                text = _stage_text(hit)
                texts[text] = texts.get(text, 0) + 1
    ranked = sorted(texts, key=lambda t: ("likely" in t, -texts[t], t))
    shown = ranked[:4]
    more = f"; and {len(ranked) - 4} more" if len(ranked) > 4 else ""
    return "; ".join(shown) + more


def _details(
    inp: RuleInputs,
    positions: np.ndarray,
    statuses: Sequence[str],
    hits: Sequence[Sequence[StageHit]],
) -> list[LineDetail]:
    rows = inp.bom["row"].to_numpy()[positions]
    parts = inp.text("part_number", positions)
    return [
        LineDetail(
            row=int(rows[i]), part_number=parts[i] or None, status=statuses[i], hits=list(hits[i])
        )
        for i in range(min(len(positions), MAX_LINES))
    ]


def _finding(pack: RulePack, subject: str, **fields: Any) -> RuleFinding:
    return RuleFinding(
        id=f"rule:{pack.id}:{subject}", rule=f"rule:{pack.id}", pack=pack.id, **fields
    )


# --- DFARS 252.225-7052 ------------------------------------------------------------------------


def _covered_fraction(
    inp: RuleInputs, material: DfarsMaterial, basis: str, archetype: str
) -> float:
    """The share of the part's weight the COTS test counts."""
    what = material.covered_fraction if basis == "covered" else basis
    if what == "part":
        return 1.0
    return inp.fractions().get(archetype, {}).get(what, 0.0)


def _dfars_excluded(
    inp: RuleInputs, material: DfarsMaterial, phase: DfarsPhase, positions: np.ndarray
) -> list[str | None]:
    """Per line: why the clause does not apply to it (None: it applies)."""
    defence = yes_no(inp.text("defence_contract", positions))
    cots = yes_no(inp.text("cots", positions))
    out: list[str | None] = []
    for i, pos in enumerate(positions.tolist()):
        if defence[i] is False:
            out.append("not delivered under a DoD contract (BOM)")
            continue
        share = _covered_fraction(inp, material, phase.cots.basis, str(inp.archetypes[pos]))
        if cots[i] and share < phase.cots.min_fraction:
            out.append(f"COTS with {_pct(share)} {phase.cots.basis} by weight")
            continue
        out.append(None)
    return out


def _dfars_material(
    pack: DfarsPack, material: DfarsMaterial, phase: DfarsPhase, inp: RuleInputs
) -> RuleFinding | None:
    positions = inp.archetype_lines(material.archetypes)
    if len(positions) == 0:
        return None
    likely = pack.likely(0.5)
    covered = set(pack.covered_countries.codes)
    found = verdicts(inp, positions, material.upstream_minerals, phase.stages, covered, likely)
    excluded = _dfars_excluded(inp, material, phase, positions)
    keep = [
        i for i, v in enumerate(found) if v.status in ("declared", "likely") and excluded[i] is None
    ]
    if not keep:
        return None
    at = positions[keep]
    chosen = [found[i] for i in keep]
    declared = any(v.status == "declared" for v in chosen)
    defence_known = any(v is not None for v in yes_no(inp.text("defence_contract", at)))
    caveat = "" if defence_known else " (if delivered under a DoD contract)"
    countries = ", ".join(pack.covered_countries.codes)
    return _finding(
        pack,
        f"{material.id}:{phase.id}",
        severity=phase.severity if declared else "medium",
        phase=phase.id,
        effective=phase.effective.isoformat() if phase.effective else None,
        rows=inp.rows(at),
        lines=len(at),
        message=(
            f"{len(at)} {material.name} line(s){caveat}: {_summary(chosen, likely)}; from "
            f"{phase.effective}, {phase.wording}"
        ),
        clear=(
            f"declarations (supplier CMRT/EMRT/AMRT, or the BOM's mining, processing and "
            f"supplier country columns) showing every restricted stage ({', '.join(phase.stages)}) "
            f"outside {countries}; or a COTS item under the {_pct(phase.cots.min_fraction)} "
            "threshold; or a waiver (non-availability, use outside the U.S.)"
        ),
        basis="declared" if declared else "likely unless traced",
        source=_source(pack, phase.source),
        details=_details(inp, at, [v.status for v in chosen], [v.hits for v in chosen]),
    )


def _dfars(pack: RulePack, inp: RuleInputs, as_of: dt.date) -> PackResult:
    assert isinstance(pack, DfarsPack)
    result = PackResult(pack)
    phase = next((p for p in pack.phases if p.in_force(as_of)), None)
    if phase is None:
        result.in_force = False
        result.notes.append(
            f"not evaluated on {as_of}: the modelled phases start {pack.phases[0].effective}"
        )
        return result
    result.data["phase"] = phase.id
    for material in pack.materials:
        finding = _dfars_material(pack, material, phase, inp)
        if finding is not None:
            result.findings.append(finding)
    return result


# --- conflict minerals (3TG) -------------------------------------------------------------------


def _conflict_mineral(pack: ConflictPack, mineral: str, inp: RuleInputs) -> list[RuleFinding]:
    positions = inp.mineral_lines([mineral])
    if len(positions) == 0:
        return []
    covered = set(pack.covered_countries.codes)
    found = verdicts(inp, positions, [mineral], ("mining", "processing"), covered, 1.01)
    phase = pack.phases[0]
    declared = [i for i, v in enumerate(found) if v.status == "declared"]
    untraced = [i for i, v in enumerate(found) if not any(h.basis == "declared" for h in v.hits)]
    out: list[RuleFinding] = []
    if declared:
        at = positions[declared]
        chosen = [found[i] for i in declared]
        out.append(
            _finding(
                pack,
                f"{mineral}:covered-country",
                severity="high",
                mineral=mineral,
                phase=phase.id,
                rows=inp.rows(at),
                lines=len(at),
                message=(
                    f"{len(at)} line(s) holding {mineral}: {_summary(chosen, 1.01)} (the DRC or an "
                    "adjoining country); due diligence and a conflict minerals report are needed"
                ),
                clear=(
                    "due diligence on the declared smelters (RMAP-conformant status checked "
                    "against the RMI list) showing the ore did not finance armed groups; or "
                    "declarations naming smelters outside the covered countries"
                ),
                basis="declared",
                source=_source(pack, pack.covered_countries.source),
                details=_details(inp, at, ["declared"] * len(at), [v.hits for v in chosen]),
            )
        )
    if untraced:
        at = positions[untraced]
        share = max(
            (h.share for i in untraced for h in found[i].hits if h.stage == "mining"), default=0.0
        )
        out.append(
            _finding(
                pack,
                f"{mineral}:rcoi",
                severity="low",
                mineral=mineral,
                phase=phase.id,
                rows=inp.rows(at),
                lines=len(at),
                message=(
                    f"{len(at)} line(s) holding {mineral} with no smelter declaration: a "
                    f"reasonable country-of-origin inquiry is needed ({_pct(share)} of world "
                    "mine output is in the DRC and adjoining countries)"
                ),
                clear="a supplier CMRT (--smelters) naming the smelters for these lines",
                basis="untraced",
                source=_source(pack, phase.source),
            )
        )
    return out


def _cn_codes(inp: RuleInputs) -> tuple[np.ndarray, list[str]]:
    positions = np.flatnonzero(inp.bom["valid"].to_numpy(bool))
    codes = ["".join(ch for ch in v if ch.isdigit()) for v in inp.text("hs_code", positions)]
    return positions, codes


def _eu_thresholds(pack: ConflictPack, inp: RuleInputs) -> list[RuleFinding]:
    positions, codes = _cn_codes(inp)
    mass = inp.bom["line_mass_kg"].to_numpy(float)[positions]
    out: list[RuleFinding] = []
    for entry in pack.eu_thresholds.codes:
        hit = np.array([bool(c) and c.startswith(entry.cn) for c in codes], dtype=bool)
        if not hit.any():
            continue
        at = positions[hit]
        total = float(np.nansum(mass[hit]))
        unknown = int(np.isnan(mass[hit]).sum())
        if total < entry.kg:
            continue
        out.append(
            _finding(
                pack,
                f"eu-cn-{entry.cn}",
                severity="medium",
                rows=inp.rows(at),
                lines=len(at),
                message=(
                    f"CN {entry.cn} ({entry.description}): {total:,.0f} kg in this BOM, at or "
                    f"over the EU importer threshold of {entry.kg:,.0f} kg a year"
                    + (f" ({unknown} line(s) without a mass)" if unknown else "")
                ),
                clear="imports below the threshold over the calendar year, or the importer's "
                "supply-chain due diligence under Regulation (EU) 2017/821",
                basis="BOM mass per CN code",
                source=_source(pack, pack.eu_thresholds.source),
            )
        )
    return out


def _conflict(pack: RulePack, inp: RuleInputs, as_of: dt.date) -> PackResult:
    assert isinstance(pack, ConflictPack)
    result = PackResult(pack)
    for mineral in pack.minerals:
        result.findings.extend(_conflict_mineral(pack, mineral, inp))
    result.findings.extend(_eu_thresholds(pack, inp))
    return result


# --- UFLPA -------------------------------------------------------------------------------------


def entity_matches(
    pack: UflpaPack, names: Iterable[str], as_of: dt.date, key: Callable[[str], str] = _simple_key
) -> dict[str, str]:
    """Folded name -> the listed entity it matches (exactly or by similarity ratio)."""
    from difflib import SequenceMatcher

    ratio = pack.screening.match_ratio if pack.screening and pack.screening.match_ratio else 0.9
    listed: dict[str, str] = {}
    for entity in pack.entity_list.entities:
        if entity.listed(as_of):
            for name in (entity.name, *entity.aliases):
                listed[key(name)] = entity.name
    out: dict[str, str] = {}
    for name in set(names):
        if not name:
            continue
        if name in listed:
            out[name] = listed[name]
            continue
        best = max(listed, key=lambda k: SequenceMatcher(None, name, k).ratio(), default=None)
        if best is not None and SequenceMatcher(None, name, best).ratio() >= ratio:
            out[name] = listed[best]
    return out


def _uflpa_entities(pack: UflpaPack, inp: RuleInputs, as_of: dt.date) -> RuleFinding | None:
    positions = np.flatnonzero(inp.bom["valid"].to_numpy(bool))
    key = inp.name_key
    suppliers = [key(s) for s in inp.text("supplier", positions)]
    owners = [key(s) for s in inp.text("owner", positions)]
    table_owners = {k: [key(o.name) for o in v] for k, v in inp.owners.items()}
    names = set(suppliers) | set(owners) | {n for v in table_owners.values() for n in v}
    matches = entity_matches(pack, names, as_of, key)
    if not matches:
        return None
    hit = [
        i
        for i in range(len(positions))
        if suppliers[i] in matches
        or owners[i] in matches
        or any(o in matches for o in table_owners.get(suppliers[i], []))
    ]
    if not hit:
        return None
    at = positions[hit]
    entities = sorted({matches[n] for n in matches})
    return _finding(
        pack,
        "entity-list",
        severity="critical",
        rows=inp.rows(at),
        lines=len(at),
        message=(
            f"{len(at)} line(s) from or owned by an entity on the UFLPA Entity List: "
            f"{', '.join(entities)} (names matched after folding; confirm the match)"
        ),
        clear="a supplier not on the list (and not owned by a listed entity), or CBP's "
        "determination that the goods are not from the listed entity",
        basis="name match",
        source=_source(pack, pack.entity_list.entities[0].source),
    )


def _uflpa_sector(
    pack: UflpaPack, sector: Any, inp: RuleInputs, as_of: dt.date
) -> RuleFinding | None:
    by_arch = inp.archetype_lines(sector.archetypes)
    by_mineral = (
        inp.mineral_lines(sector.minerals, sector.min_fraction) if sector.minerals else by_arch
    )
    positions = np.union1d(by_arch, by_mineral)
    if len(positions) == 0:
        return None
    likely = pack.likely(0.25)
    china = set(inp.context.china)
    found = verdicts(inp, positions, sector.minerals, sector.stages, china, likely)
    keep = [i for i, v in enumerate(found) if v.status in ("declared", "likely")]
    if not keep:
        return None
    at = positions[keep]
    chosen = [found[i] for i in keep]
    declared = any(v.status == "declared" for v in chosen)
    return _finding(
        pack,
        sector.id,
        severity="medium",
        phase=pack.phases[0].id,
        effective=sector.since.isoformat(),
        rows=inp.rows(at),
        lines=len(at),
        message=(
            f"{len(at)} {sector.name} line(s), a UFLPA high-priority sector since {sector.since}: "
            f"{_summary(chosen, likely)}; traceability evidence is needed"
        ),
        clear="supply-chain tracing to the raw material showing no Xinjiang input and no listed "
        "entity (or declarations naming non-Chinese processing and manufacture)",
        basis="declared" if declared else "likely unless traced",
        source=_source(pack, sector.source),
        details=_details(inp, at, [v.status for v in chosen], [v.hits for v in chosen]),
    )


def _uflpa(pack: RulePack, inp: RuleInputs, as_of: dt.date) -> PackResult:
    assert isinstance(pack, UflpaPack)
    result = PackResult(pack)
    if not pack.phases[0].in_force(as_of):
        result.in_force = False
        return result
    for sector in pack.sectors:
        if sector.since <= as_of:
            finding = _uflpa_sector(pack, sector, inp, as_of)
            if finding is not None:
                result.findings.append(finding)
    entity = _uflpa_entities(pack, inp, as_of)
    if entity is not None:
        result.findings.append(entity)
    result.data["not_screened_sectors"] = pack.not_screened_sectors
    return result


# --- FEOC / prohibited foreign entity ----------------------------------------------------------


def owner_test(
    owners: Sequence[Owner],
    covered: Collection[str],
    listed: Collection[str],
    single: float,
    aggregate: float,
    key: Callable[[str], str] = _simple_key,
) -> tuple[bool, float, float]:
    """(fails, largest covered owner share, covered owners' total) for one supplier."""
    shares = [o.share for o in owners if o.country in covered or key(o.name) in listed]
    largest = max(shares, default=0.0)
    total = float(sum(shares))
    return largest >= single or total >= aggregate, largest, total


def _feoc_suppliers(
    pack: FeocPack, inp: RuleInputs, test: Any, listed: Collection[str]
) -> dict[str, tuple[float, float]]:
    covered = set(pack.covered_countries.codes)
    failing: dict[str, tuple[float, float]] = {}
    for supplier, owners in inp.owners.items():
        fails, largest, total = owner_test(
            owners, covered, listed, test.single_owner_min, test.aggregate_min, inp.name_key
        )
        if fails:
            failing[supplier] = (largest, total)
    return failing


def _feoc_lines(
    pack: FeocPack, inp: RuleInputs, failing: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """(lines of failing suppliers, lines caught by the location proxy)."""
    positions = np.flatnonzero(inp.bom["valid"].to_numpy(bool))
    suppliers = [inp.name_key(s) for s in inp.text("supplier", positions)]
    countries = inp.text("supplier_country", positions)
    covered = set(pack.covered_countries.codes)
    owned = np.array([s in failing for s in suppliers], dtype=bool)
    proxy = np.array(
        [s not in inp.owners and c in covered for s, c in zip(suppliers, countries, strict=True)],
        dtype=bool,
    )
    return positions[owned], positions[proxy]


def _macr(
    pack: FeocPack, inp: RuleInputs, pfe: np.ndarray, as_of: dt.date
) -> tuple[dict[str, Any], RuleFinding | None]:
    spend = inp.bom["spend"].to_numpy(float)
    known = ~np.isnan(spend) & inp.bom["valid"].to_numpy(bool)
    total = float(spend[known].sum())
    data: dict[str, Any] = {"year": as_of.year, "total_cost": total, "formula": pack.macr.formula}
    if total <= 0:
        data["note"] = "no line costs in the BOM: the ratio cannot be computed"
        return data, None
    flagged = np.zeros(len(spend), dtype=bool)
    flagged[pfe] = True
    pfe_cost = float(spend[known & flagged].sum())
    ratio = (total - pfe_cost) / total
    data.update(pfe_cost=pfe_cost, ratio=ratio, categories=[])
    failed = []
    for category_ in pack.macr.categories:
        threshold = category_.threshold(as_of.year)
        data["categories"].append(
            {
                "id": category_.id,
                "name": category_.name,
                "threshold": threshold,
                "passes": None if threshold is None else ratio >= threshold,
            }
        )
        if threshold is not None and ratio < threshold:
            failed.append(f"{category_.name} (needs {_pct(threshold)})")
    if not failed:
        return data, None
    at = np.flatnonzero(known & flagged)
    finding = _finding(
        pack,
        f"macr:{as_of.year}",
        severity="medium",
        rows=inp.rows(at),
        lines=len(at),
        message=(
            f"material-assistance cost ratio {_pct(ratio)} of the BOM's cost is below the "
            f"{as_of.year} threshold for: {'; '.join(failed)}"
        ),
        clear="less cost from prohibited foreign entities (or owners showing these suppliers "
        "are not prohibited foreign entities), to reach the category's threshold",
        basis="owners table and location proxy",
        source=_source(pack, pack.macr.source),
    )
    return data, finding


def _feoc_test(
    pack: FeocPack, test: Any, inp: RuleInputs, listed: Collection[str]
) -> tuple[list[RuleFinding], np.ndarray]:
    failing = _feoc_suppliers(pack, inp, test, listed)
    owned, proxy = _feoc_lines(pack, inp, failing)
    out: list[RuleFinding] = []
    if len(owned):
        worst = max(failing.values(), key=lambda v: v[0])
        out.append(
            _finding(
                pack,
                f"{test.id}:owners",
                severity="high",
                rows=inp.rows(owned),
                lines=len(owned),
                message=(
                    f"{len(failing)} supplier(s) fail the {test.name} test ({test.wording}); "
                    "largest "
                    f"covered-nation owner {_pct(worst[0])}, together {_pct(worst[1])}"
                ),
                clear="ownership below the thresholds (an updated --owners table), or a supplier "
                "that is not a prohibited foreign entity",
                basis="owners table",
                source=_source(pack, test.source),
            )
        )
    if len(proxy):
        out.append(
            _finding(
                pack,
                f"{test.id}:location",
                severity="medium",
                rows=inp.rows(proxy),
                lines=len(proxy),
                message=(
                    f"{len(proxy)} line(s) from suppliers in a covered nation with no ownership "
                    "data: "
                    "location proxy for a specified foreign entity"
                ),
                clear="the supplier's ownership in --owners (supplier, owner, country, percent)",
                basis="location proxy",
                source=_source(pack, pack.covered_countries.source),
            )
        )
    return out, np.union1d(owned, proxy)


def _feoc(pack: RulePack, inp: RuleInputs, as_of: dt.date) -> PackResult:
    assert isinstance(pack, FeocPack)
    result = PackResult(pack)
    tests = [t for t in pack.control_tests if t.in_force(as_of)]
    if not tests:
        result.in_force = False
        return result
    listed = _listed_names(inp, as_of)
    for test in tests:
        findings, pfe = _feoc_test(pack, test, inp, listed)
        result.findings.extend(findings)
        if test.id == "obbba":
            data, macr = _macr(pack, inp, pfe, as_of)
            result.data["macr"] = data
            if macr is not None:
                result.findings.append(macr)
    result.data["owners_table"] = bool(inp.owners)
    return result


def _listed_names(inp: RuleInputs, as_of: dt.date) -> set[str]:
    names: set[str] = set()
    for entity in inp.entities:
        if entity.listed(as_of):
            names |= {inp.name_key(n) for n in (entity.name, *entity.aliases)}
    return names


# --- EU CRMA Art. 24 ---------------------------------------------------------------------------


def _crma_stage(pack: CrmaPack, stage: dict[str, Any], eu: Collection[str]) -> dict[str, Any]:
    third = {c: s for c, s in (stage.get("countries") or {}).items() if c not in eu and c != OTHER}
    top = max(third.items(), key=lambda kv: (kv[1], kv[0]), default=None)
    limit = pack.benchmark.single_country_max
    return {
        "top_third_country": top[0] if top else None,
        "share": top[1] if top else None,
        "benchmark": limit,
        "above_benchmark": bool(top and top[1] > limit),
        "basis": stage.get("basis"),
        "source": stage.get("source"),
        "year": stage.get("year"),
        "hhi": stage.get("hhi"),
    }


def _crma_mineral(
    pack: CrmaPack, entry: dict[str, Any], inp: RuleInputs, eu: Collection[str], spend: np.ndarray
) -> dict[str, Any]:
    mineral = entry["mineral"]
    positions = inp.scores.mineral_lines(mineral)
    total = float(spend.sum())
    return {
        "mineral": mineral,
        "name": entry["name"],
        "stages": {s: _crma_stage(pack, entry["stages"][s], eu) for s in pack.stages},
        "recycling": _recycling(inp, positions),
        "export_controls": [
            c for c in entry.get("export_controls", []) if c.get("status") == "active"
        ],
        "vulnerability": {
            "lines": len(positions),
            "spend_share": float(spend[positions].sum()) / total if total > 0 else None,
            "mass_kg": entry.get("mass_kg"),
        },
    }


def _recycling(inp: RuleInputs, positions: np.ndarray) -> dict[str, Any]:
    if "recycled_share" not in inp.bom.columns:
        return {
            "share": None,
            "note": "no recycled-share column in the BOM; no recycling data bundled",
        }
    shares = fractions_of(inp.text("recycled_share", positions))
    known = ~np.isnan(shares)
    if not known.any():
        return {"share": None, "note": "recycled share not given for these lines"}
    return {"share": float(np.mean(shares[known])), "lines_with_share": int(known.sum())}


def _crma(pack: RulePack, inp: RuleInputs, as_of: dt.date) -> PackResult:
    assert isinstance(pack, CrmaPack)
    result = PackResult(pack)
    phase = pack.phases[0]
    reference = inp.reference
    eu = reference.eu_members(as_of)
    spend = inp.scores.spend(inp.bom)
    assessment = []
    for entry in inp.scores.minerals:
        mineral = reference.minerals.get(entry["mineral"])
        if mineral is None or not set(pack.lists) & set(mineral.lists):
            continue
        item = _crma_mineral(pack, entry, inp, eu, spend)
        assessment.append(item)
        if not phase.in_force(as_of):
            continue
        for stage, info in item["stages"].items():
            if info["above_benchmark"]:
                result.findings.append(_crma_finding(pack, phase, entry, stage, info, inp))
    result.in_force = phase.in_force(as_of)
    result.data["assessment"] = assessment
    return result


def _crma_finding(
    pack: CrmaPack,
    phase: Any,
    entry: dict[str, Any],
    stage: str,
    info: dict[str, Any],
    inp: RuleInputs,
) -> RuleFinding:
    mineral = entry["mineral"]
    rows = inp.scores.mineral_rows(inp.bom, mineral, MAX_LINES)
    return _finding(
        pack,
        f"{mineral}:{stage}",
        severity=phase.severity,
        mineral=mineral,
        stage=stage,
        phase=phase.id,
        effective=phase.effective.isoformat() if phase.effective else None,
        rows=rows,
        lines=int(entry.get("lines") or len(rows)),
        message=(
            f"{entry['name']} {stage}: {_pct(info['share'])} from {info['top_third_country']}, "
            "over "
            f"the CRMA benchmark of {_pct(info['benchmark'])} from a single third country "
            f"({info['basis']} shares)"
        ),
        clear="sourcing that keeps any single third country at or below 65% at this stage "
        "(declarations or BOM countries showing it), recorded in the Art. 24 assessment",
        basis=str(info["basis"]),
        source=_source(pack, pack.benchmark.source),
    )


# --- EU Batteries Regulation -------------------------------------------------------------------


def _battery_lines(
    pack: BatteryPack, inp: RuleInputs
) -> tuple[np.ndarray, list[str | None], np.ndarray]:
    """(battery lines, their category, their kWh)."""
    valid = np.flatnonzero(inp.bom["valid"].to_numpy(bool))
    cats = [category(v) if v else None for v in inp.text("battery_category", valid)]
    arch = [str(a) if a is not None else "" for a in inp.archetypes[valid]]
    is_battery = np.array(
        [
            c is not None or a.startswith(tuple(pack.battery_archetype_prefixes))
            for c, a in zip(cats, arch, strict=True)
        ],
        dtype=bool,
    )
    at = valid[is_battery]
    kwh = numbers(inp.text("battery_kwh", at))
    return at, [cats[i] for i in np.flatnonzero(is_battery)], kwh


def passport_scope(pack: BatteryPack, cat: str | None, kwh: float) -> str:
    """in (passport needed), out, or unknown (category and kWh not given)."""
    rule = pack.passport
    if cat in rule.excluded_categories:
        return "out"
    if cat in rule.categories:
        return "in"
    if cat == "industrial":
        return "in" if kwh > rule.industrial_min_kwh else "out" if kwh == kwh else "unknown"
    if kwh == kwh:  # no category: over the threshold it is EV, LMT or industrial (or SLI)
        return "in" if kwh > rule.industrial_min_kwh else "unknown"
    return "unknown"


def _passport_fields(pack: BatteryPack, inp: RuleInputs, pos: int) -> dict[str, Any]:
    arch = str(inp.archetypes[pos] or "")
    reference = inp.reference
    mass = float(inp.scores.mass_basis[pos])
    table = inp.fractions().get(arch, {})
    crm = sorted(
        m
        for m, f in table.items()
        if f > pack.passport.crm_min_fraction
        and m in reference.minerals
        and "eu_crm_2024" in reference.minerals[m].lists
    )
    recycled = fractions_of(inp.text("recycled_share", np.array([pos])))[0]
    return {
        "batteryChemistry": arch.split("_")[-1].upper() if arch else None,
        "batteryMaterials": [
            {"name": m, "mass_kg": (f * mass if mass == mass else None)}
            for m, f in sorted(table.items())
        ],
        "criticalRawMaterials": crm,
        "recycledContent": None if recycled != recycled else float(recycled),
    }


def _passport(
    pack: BatteryPack, inp: RuleInputs, lines: tuple[np.ndarray, list[str | None], np.ndarray]
) -> list[RuleFinding]:
    at, cats, kwh = lines
    scope = [passport_scope(pack, c, float(k)) for c, k in zip(cats, kwh, strict=True)]
    rule = pack.passport
    out: list[RuleFinding] = []
    inside = at[[s == "in" for s in scope]] if at.size else at
    if len(inside):
        fields = [
            {"row": int(inp.bom["row"].iloc[p]), **_passport_fields(pack, inp, int(p))}
            for p in inside[:MAX_LINES]
        ]
        out.append(
            _finding(
                pack,
                "passport",
                severity=rule.severity,
                effective=rule.effective.isoformat(),
                rows=inp.rows(inside),
                lines=len(inside),
                message=(
                    f"{len(inside)} battery line(s) need a battery passport from {rule.effective} "
                    f"(EV, LMT, or industrial over {rule.industrial_min_kwh:g} kWh)"
                ),
                clear="a battery passport per battery (DIN DKE SPEC 99100 data attributes); the "
                "audit fills chemistry, materials, critical raw materials and recycled share",
                basis="BOM battery category and kWh",
                source=_source(pack, rule.source),
                details=[
                    LineDetail(
                        row=f["row"],
                        status="in-scope",
                        data={k: v for k, v in f.items() if k != "row"},
                    )
                    for f in fields
                ],
            )
        )
    unknown = at[[s == "unknown" for s in scope]] if at.size else at
    if len(unknown):
        out.append(
            _finding(
                pack,
                "passport-scope",
                severity="low",
                effective=rule.effective.isoformat(),
                rows=inp.rows(unknown),
                lines=len(unknown),
                message=(
                    f"{len(unknown)} battery line(s) with no battery category or kWh: passport "
                    "scope unknown"
                ),
                clear="battery category (EV, LMT, industrial, SLI, portable) and kWh columns",
                basis="not enough data",
                source=_source(pack, rule.source),
            )
        )
    return out


def _due_diligence(pack: BatteryPack, inp: RuleInputs, at: np.ndarray) -> list[RuleFinding]:
    rule = pack.due_diligence
    fractions = inp.fractions()
    arch = [str(a) for a in inp.archetypes[at]]
    out: list[RuleFinding] = []
    for mineral in rule.minerals:
        hit = at[[fractions.get(a, {}).get(mineral, 0.0) > 0 for a in arch]] if at.size else at
        if not len(hit):
            continue
        note = (
            " (natural graphite only; the BOM cannot tell natural from synthetic)"
            if mineral == "graphite"
            else ""
        )
        out.append(
            _finding(
                pack,
                f"due-diligence:{mineral}",
                severity=rule.severity,
                mineral=mineral,
                effective=rule.effective.isoformat(),
                rows=inp.rows(hit),
                lines=len(hit),
                message=(
                    f"{len(hit)} battery line(s) hold {mineral}{note}: battery due-diligence "
                    "obligations "
                    f"apply from {rule.effective}"
                ),
                clear="a battery due-diligence policy verified by a notified body, or an operator "
                "under the turnover threshold",
                basis="BOM composition",
                source=_source(pack, rule.source),
            )
        )
    return out


def _battery(pack: RulePack, inp: RuleInputs, as_of: dt.date) -> PackResult:
    assert isinstance(pack, BatteryPack)
    result = PackResult(pack)
    lines = _battery_lines(pack, inp)
    result.data["battery_lines"] = len(lines[0])
    if as_of >= pack.passport.effective:
        result.findings.extend(_passport(pack, inp, lines))
    if as_of >= pack.due_diligence.effective:
        result.findings.extend(_due_diligence(pack, inp, lines[0]))
    result.in_force = as_of >= min(pack.passport.effective, pack.due_diligence.effective)
    return result


# --- the engine --------------------------------------------------------------------------------

Evaluator = Callable[[RulePack, RuleInputs, dt.date], PackResult]
EVALUATORS: dict[str, Evaluator] = {
    "dfars": _dfars,
    "feoc": _feoc,
    "crma": _crma,
    "eu-battery": _battery,
    "conflict-minerals": _conflict,
    "uflpa": _uflpa,
}


def evaluate(packs: Sequence[RulePack], inp: RuleInputs, as_of: dt.date) -> list[PackResult]:
    """Every pack on `as_of`, in the order given."""
    return [EVALUATORS[pack.kind](pack, inp, as_of) for pack in packs]


def all_findings(results: Iterable[PackResult]) -> list[RuleFinding]:
    found = [f for r in results for f in r.findings]
    return sorted(found, key=lambda f: (-_SEVERITY.get(f.severity, 0), f.id))


def to_findings(findings: Iterable[RuleFinding]) -> list[Finding]:
    """The plain findings `--fail-on`, waivers and SARIF read; the message ends with what
    would clear it."""
    return sort_findings(
        Finding(
            id=f.id,
            rule=f.rule,
            severity=f.severity,
            mineral=f.mineral,
            stage=f.stage,
            rows=f.rows,
            message=f"{f.message}. Clears with: {f.clear}",
        )
        for f in findings
    )


def change_dates(packs: Iterable[RulePack]) -> list[dt.date]:
    dates: set[dt.date] = set()
    for pack in packs:
        dates |= pack.change_dates()
    return sorted(dates)


def _ids(results: Iterable[PackResult]) -> dict[str, RuleFinding]:
    return {f.id: f for r in results for f in r.findings}


def changes(
    packs: Sequence[RulePack], inp: RuleInputs, as_of: dt.date, now: Sequence[PackResult]
) -> dict[str, Any]:
    """What changed on `as_of` (against the day before) and what the next dated change brings."""
    current = _ids(now)
    before = _ids(evaluate(packs, inp, as_of - dt.timedelta(days=1)))
    out: dict[str, Any] = {
        "on": as_of.isoformat(),
        "new": sorted(set(current) - set(before)),
        "ended": sorted(set(before) - set(current)),
    }
    upcoming = [d for d in change_dates(packs) if d > as_of]
    if upcoming:
        when = upcoming[0]
        later = _ids(evaluate(packs, inp, when))
        out["next"] = {
            "date": when.isoformat(),
            "new": [
                {
                    "id": k,
                    "severity": later[k].severity,
                    "lines": later[k].lines,
                    "rows": later[k].rows[:50],
                }
                for k in sorted(set(later) - set(current))
            ],
            "ended": sorted(set(current) - set(later)),
        }
    return out


def dump(
    packs: Sequence[RulePack],
    results: Sequence[PackResult],
    as_of: dt.date,
    change: Mapping[str, Any],
) -> dict[str, Any]:
    """The `rules` section of the report."""
    return {
        "as_of": as_of.isoformat(),
        "screening_note": "Screening, not legal advice: each rule says what it cannot know.",
        "packs": [
            {
                "id": r.pack.id,
                "title": r.pack.title,
                "in_force": r.in_force,
                "notes": r.notes,
                **({"data": r.data} if r.data else {}),
                "cannot_know": r.pack.cannot_know,
            }
            for r in results
        ],
        "findings": [
            f.model_dump(mode="json", exclude_defaults=True) for f in all_findings(results)
        ],
        "changes": dict(change),
    }


# --- one audit's rule run ----------------------------------------------------------------------


@dataclass
class RuleRun:
    """The rule packs chosen for an audit, the ownership table and `--owners`, loaded before
    scoring (the control view changes the reference the audit scores on)."""

    packs: list[RulePack]
    ownership: OwnershipFile
    owners: dict[str, list[Owner]]
    entities: list[ListedEntity]
    reference: ReferenceSet
    """The reference to score on: the control view of the shares with `control_view`."""
    location_reference: ReferenceSet
    control_view: bool = False
    name_key: Callable[[str], str] = _simple_key

    @classmethod
    def prepare(
        cls,
        names: Sequence[str],
        reference: ReferenceSet,
        reference_dirs: Sequence[Any] = (),
        owners: Mapping[str, list[Owner]] | None = None,
        control_view: bool = False,
        name_key: Callable[[str], str] = _simple_key,
    ) -> RuleRun:
        """`owners`: folded supplier name -> owners (`declarations.owners.read_owners`).
        Raises `UsageError` for an unknown pack, `ReferenceDataError` for invalid rule files."""
        from exposure_audit.engine.ownership import control_reference
        from exposure_audit.reference.rules import load_rules

        book = load_rules(reference_dirs)
        packs = book.select(names) if names else []
        entities = [
            e
            for p in book.packs.values()
            if isinstance(p, UflpaPack)
            for e in p.entity_list.entities
        ]
        scored_on = control_reference(reference, book.ownership) if control_view else reference
        return cls(
            packs,
            book.ownership,
            dict(owners or {}),
            entities,
            scored_on,
            reference,
            control_view,
            name_key,
        )

    def inputs(
        self, bom: pd.DataFrame, contents: Any, scores: Scores, context: ScoringContext
    ) -> RuleInputs:
        lines = contents.lines
        archetypes: np.ndarray = lines["archetype"].astype(object).to_numpy(dtype=object)
        mapped = lines["mapped"].to_numpy(bool)
        archetypes = np.where(mapped, archetypes, np.array(None, dtype=object))
        return RuleInputs(
            bom=bom,
            archetypes=archetypes,
            composition=contents.composition,
            scores=scores,
            context=context,
            owners=self.owners,
            entities=self.entities,
            name_key=self.name_key,
        )

    def apply(
        self, findings: list[Finding], inp: RuleInputs, as_of: dt.date
    ) -> tuple[list[Finding], dict[str, Any]]:
        """The audit's findings with the rule findings added, and the report sections."""
        from exposure_audit.engine.ownership import ownership_view

        extras: dict[str, Any] = {}
        if self.packs:
            results = evaluate(self.packs, inp, as_of)
            change = changes(self.packs, inp, as_of, results)
            extras["rules"] = dump(self.packs, results, as_of, change)
            findings = sort_findings([*findings, *to_findings(all_findings(results))])
        minerals = {m["mineral"] for m in inp.scores.minerals}
        view = ownership_view(self.location_reference, self.ownership, minerals, inp.context.china)
        view["scored_on"] = "control" if self.control_view else "location"
        extras["ownership"] = view
        return findings, extras
