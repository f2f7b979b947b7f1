"""The executive summary every report opens with: what is at stake, why, and what to do.

One plain-data model (`ExecutiveSummary`) built once from the result and rendered by the
terminal, Markdown, HTML and xlsx reports, so their first screens say the same thing: a
headline, the coverage status, the data date, the five minerals with the most at stake (what
they cost, China's share by stage, the one action each) and the sources, numbered once.

No rendering library here: the formats style the text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from exposure_audit.report.base import fmt_mass, fmt_money, fmt_pct
from exposure_audit.report.model import AuditResult, mineral_stake

TOP_DRIVERS = 5
STALE_DAYS = 90  # issue 15: warn when the as-of date is this far past the data date
BAR_STAGES = ("mining", "processing")


@dataclass(frozen=True)
class Driver:
    """A mineral with much at stake: what it costs, where China sits, the one action."""

    mineral: str
    name: str
    cost: str
    """What it costs in plain words: the spend on the parts holding it, else its mass."""
    mass: str
    lines: int
    china_touch: float
    stages: dict[str, float | None]
    """China's share of each stage in BAR_STAGES; None where the stage has no data."""
    controls: dict[str, int]
    """Export-control measures on the mineral by status (active, suspended, ...)."""
    action: str | None
    action_notes: tuple[int, ...]
    """Footnote numbers of the facts behind the action."""
    notes: tuple[int, ...]
    """Footnote numbers of the supply data behind the stage shares."""


@dataclass
class Sources:
    """Numbered sources, each listed once however many facts cite it (a source cited with and
    without its address is one source, listed with it)."""

    titles: list[str] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def items(self) -> list[str]:
        """Each source as one line: title (year) and its address when known."""
        return [f"{t} {self.urls[t]}" if t in self.urls else t for t in self.titles]

    def cite(self, source: str | None, year: Any = None, url: str | None = None) -> int | None:
        """The footnote number of this source, adding it on first use; None without a source."""
        if not source:
            return None
        title = f"{source} ({year})" if year and str(year) not in source else source
        if url and title not in self.urls:
            self.urls[title] = url
        if title not in self.titles:
            self.titles.append(title)
        return self.titles.index(title) + 1

    def cite_facts(self, facts: list[dict[str, Any]]) -> tuple[int, ...]:
        notes = (self.cite(f.get("source"), f.get("year"), f.get("url")) for f in facts)
        return tuple(sorted({n for n in notes if n is not None}))


@dataclass(frozen=True)
class ExecutiveSummary:
    tier: str
    score: int
    headline: str
    stake: str
    coverage: str
    coverage_ok: bool
    data: str
    data_warning: str | None
    drivers: list[Driver]
    sources: Sources
    action_notes: list[tuple[int, ...]]
    """For each action of the report, in order, its footnote numbers."""
    currency: str | None

    @property
    def first_screen_sources(self) -> int:
        """How many sources (numbered first) the drivers and their actions cite."""
        notes = [n for d in self.drivers for n in (*d.notes, *d.action_notes)]
        return max(notes, default=0)


def money(value: float | None, currency: str | None) -> str:
    """The one currency format of every report: the BOM's ISO code or its symbol."""
    return fmt_money(value, currency)


def _coverage(result: AuditResult) -> tuple[str, bool]:
    """The coverage status in words, and whether the score stands on enough of the BOM.

    Reads `summary.coverage` (the coverage floor of issue 15) when the model has it; before
    that, only the share of lines mapped."""
    r = result.report
    inp = r.input
    status = getattr(r.summary, "coverage", None)
    unmapped = inp.rows - inp.mapped_rows
    text = f"{inp.mapped_rows} of {inp.rows} lines scored ({fmt_pct(inp.coverage)})"
    if status is None:
        ok = r.summary.tier != "insufficient"
        if unmapped:
            text += f"; {unmapped} not recognised, listed below"
        return text, ok
    spend_share = getattr(status, "spend_share", None)
    if spend_share is not None:
        text += f", {fmt_pct(spend_share)} of spend"
    if getattr(status, "insufficient", False):
        floor = getattr(status, "floor", None)
        text += f": INSUFFICIENT, below the {fmt_pct(floor)} floor" if floor else ": INSUFFICIENT"
        reason = getattr(status, "reason", None)
        return (f"{text}. {reason}" if reason else text), False
    if unmapped:
        text += f"; {unmapped} not recognised, listed below"
    return text, True


def _data(result: AuditResult) -> tuple[str, str | None]:
    """The data date sentence and, when the as-of date is long past it, a warning."""
    r = result.report
    data_date = getattr(r.reference, "data_date", None) or r.reference.as_of
    text = f"reference data of {data_date}; policy and export controls as of {r.policy.as_of}"
    try:
        gap = (dt.date.fromisoformat(r.policy.as_of) - dt.date.fromisoformat(data_date)).days
    except (TypeError, ValueError):
        return text, None
    if gap > STALE_DAYS:
        return text, (
            f"the as-of date is {gap} days past the data date: measures may have changed since; "
            "verify them or update the reference data"
        )
    return text, None


def _headline(result: AuditResult, coverage_ok: bool) -> str:
    r = result.report
    s = r.summary
    if not coverage_ok or s.tier == "insufficient":
        return (
            "Not enough of this BOM was recognised to score it: the figures below cover only "
            "the lines read."
        )
    return (
        f"{fmt_pct(s.exposure)} of this BOM ({r.weighting}-weighted) is likely to pass "
        "through China at some stage of its supply chain."
    )


def _stake(result: AuditResult) -> str:
    r = result.report
    s = r.summary
    tiers = s.lines_by_tier
    scored = sum(n for t, n in tiers.items() if t != "unscored")
    serious = tiers.get("critical", 0) + tiers.get("high", 0)
    text = f"{serious} of {scored} scored lines are high or critical"
    if s.value_at_risk is not None:
        text = (
            f"{money(s.value_at_risk, r.currency)} of spend at risk (spend x its chance of "
            f"passing through China); {text}"
        )
    return text + "."


def _driver(
    mineral: dict[str, Any],
    actions: list[dict[str, Any]],
    sources: Sources,
    currency: str | None,
) -> Driver:
    stages = mineral["stages"]
    shares: dict[str, float | None] = {}
    notes: set[int] = set()
    for stage in BAR_STAGES:
        st = stages.get(stage) or {}
        if st.get("basis", "none") == "none":
            shares[stage] = None
            continue
        shares[stage] = st.get("china_share")
        note = sources.cite(st.get("source"), st.get("year"))
        if note is not None:
            notes.add(note)
    spend = mineral.get("spend")
    mass = fmt_mass(mineral.get("mass_kg"))
    parts = "part" if mineral["lines"] == 1 else "parts"
    cost = (
        f"{money(spend, currency)} of {parts} holding {mass}"
        if spend is not None
        else f"{mass} in {mineral['lines']} {parts}"
    )
    action = next((a for a in actions if mineral["mineral"] in a.get("minerals", [])), None)
    controls: dict[str, int] = {}
    for control in mineral.get("export_controls", []):
        controls[control["status"]] = controls.get(control["status"], 0) + 1
    return Driver(
        mineral=mineral["mineral"],
        name=mineral["name"],
        cost=cost,
        mass=mass,
        lines=mineral["lines"],
        china_touch=mineral["china_touch"],
        stages=shares,
        controls=controls,
        action=action["title"] if action else None,
        action_notes=sources.cite_facts(action["facts"]) if action else (),
        notes=tuple(sorted(notes)),
    )


def executive_summary(result: AuditResult, top: int = TOP_DRIVERS) -> ExecutiveSummary:
    """The first screen of every report (see the module docstring)."""
    r = result.report
    coverage, coverage_ok = _coverage(result)
    data, warning = _data(result)
    actions = list(r.extras.get("actions") or [])
    sources = Sources()
    ranked = [m for m in sorted(r.minerals, key=mineral_stake) if m["china_touch"] > 0]
    drivers = [_driver(m, actions, sources, r.currency) for m in ranked[:top]]
    action_notes = [sources.cite_facts(a.get("facts", [])) for a in actions]
    return ExecutiveSummary(
        tier=r.summary.tier,
        score=r.summary.score,
        headline=_headline(result, coverage_ok),
        stake=_stake(result),
        coverage=coverage,
        coverage_ok=coverage_ok,
        data=data,
        data_warning=warning,
        drivers=drivers,
        sources=sources,
        action_notes=action_notes,
        currency=r.currency,
    )


def notes_text(notes: tuple[int, ...]) -> str:
    """Footnote marks as "[1][3]", or "" for none."""
    return "".join(f"[{n}]" for n in notes)


def controls_text(controls: dict[str, int]) -> str:
    """ "5 active, 1 suspended export controls", or "" for none."""
    on_material = {k: n for k, n in controls.items() if k != "technology"}
    text = ""
    if on_material:
        parts = [f"{n} {status}" for status, n in sorted(on_material.items())]
        total = sum(on_material.values())
        text = ", ".join(parts) + " export control" + ("s" if total > 1 else "")
    if controls.get("technology"):
        # China's catalogue of restricted technologies licenses know-how, not the material
        n = controls["technology"]
        text += ("; " if text else "") + f"{n} technology export restriction" + "s" * (n > 1)
    return text
