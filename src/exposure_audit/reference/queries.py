"""Browse the reference data and supplier declarations: plain data behind the `minerals`,
`groups`, `materials` and `declarations` commands (the CLI only renders it).

Every function returns dicts and lists of JSON-ready values (dates as ISO strings), so the JSON
output is `json.dumps` of the result and tests need no terminal. Names that match nothing raise
`UsageError` (exit 2) naming the closest matches.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from exposure_audit.errors import UsageError
from exposure_audit.reference.load import ReferenceSet
from exposure_audit.reference.models import (
    STAGES,
    ExportControl,
    Group,
    Material,
    Mineral,
    Source,
    SupplyEntry,
    partial_date_end,
)
from exposure_audit.text import fold

ID_SHAPE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+")

__all__ = [
    "find_group",
    "find_mineral",
    "group_detail",
    "list_groups",
    "list_materials",
    "list_minerals",
    "material_detail",
    "mineral_detail",
]


# --- helpers -----------------------------------------------------------------------------------


def _source(source: Source | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return source.model_dump(mode="json", exclude_none=True)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def close_names(word: str, choices: Iterable[str], n: int = 5) -> list[str]:
    """Close matches for an unknown name: fuzzy on folded text, then substring hits."""
    folded = {fold(c): c for c in choices}
    key = fold(word)
    found = [folded[c] for c in difflib.get_close_matches(key, list(folded), n=n, cutoff=0.6)]
    for f, original in folded.items():
        if key and key in f and original not in found:
            found.append(original)
    return list(dict.fromkeys(found))[:n]


def not_found(kind: str, name: str, close: Sequence[str], command: str) -> UsageError:
    hint = (
        f"did you mean {', '.join(close)}?"
        if close
        else f"run `exposure-audit {command}` to list them all"
    )
    return UsageError(f"no {kind} named {name!r}", hint)


# --- minerals ----------------------------------------------------------------------------------


def _export_control(control: ExportControl, as_of: dt.date) -> dict[str, Any]:
    return {
        "measure": control.measure,
        "since": control.since.isoformat(),
        "status": control.status(as_of),
        "until": _iso(control.suspended_until),
        "scope": control.scope,
        "source": _source(control.source),
    }


def _stage(entry: SupplyEntry) -> dict[str, Any]:
    return {"year": entry.year, "source": _source(entry.source), "shares": dict(entry.shares)}


def _mineral_summary(reference: ReferenceSet, mineral: Mineral, as_of: dt.date) -> dict[str, Any]:
    stages = {
        stage: _stage(reference.supply[(mineral.id, stage)])
        for stage in STAGES
        if (mineral.id, stage) in reference.supply
    }
    return {
        "id": mineral.id,
        "name": mineral.name,
        "symbol": mineral.symbol,
        "lists": list(mineral.lists),
        "export_controls": [_export_control(c, as_of) for c in mineral.export_controls],
        "stages": stages,
    }


def list_minerals(reference: ReferenceSet, as_of: dt.date) -> list[dict[str, Any]]:
    """Every mineral, sorted by id: lists, export controls (status on `as_of`) and the country
    shares per stage. A stage without sourced data is absent (never zero)."""
    return [
        _mineral_summary(reference, reference.minerals[k], as_of)
        for k in sorted(reference.minerals)
    ]


def find_mineral(reference: ReferenceSet, name: str) -> str:
    """The id of the mineral named by id, name, symbol or alias (case-insensitive).

    Raises `UsageError` naming the closest matches when none fits.
    """
    key = fold(name)
    for mineral in reference.minerals.values():
        if mineral.symbol and mineral.symbol.casefold() == name.strip().casefold():
            return mineral.id
    found = reference.mineral_aliases().get(key)
    if found is not None:
        return found
    names = [n for m in reference.minerals.values() for n in (m.id, m.name, *m.aliases)]
    close = close_names(name, names)
    ids = list(dict.fromkeys(reference.mineral_aliases().get(fold(c), c) for c in close))
    raise not_found("mineral", name, ids, "minerals")


def mineral_detail(reference: ReferenceSet, name: str, as_of: dt.date) -> dict[str, Any]:
    """One mineral in detail: the summary plus family, aliases, note, and per stage the basis,
    confidence, note and country shares sorted largest first. Raises `UsageError`."""
    mineral = reference.minerals[find_mineral(reference, name)]
    out = _mineral_summary(reference, mineral, as_of)
    out.update(
        family=mineral.family,
        aliases=list(mineral.aliases),
        critical=mineral.critical,
        note=mineral.note,
        as_of=as_of.isoformat(),
    )
    for stage, data in out["stages"].items():
        entry = reference.supply[(mineral.id, stage)]
        data.update(basis=entry.basis, confidence=entry.confidence, note=entry.note)
        data["shares"] = dict(
            sorted(entry.shares.items(), key=lambda kv: (kv[0] == "OTHER", -kv[1], kv[0]))
        )
    out["missing_stages"] = [s for s in STAGES if s not in out["stages"]]
    return out


# --- groups ------------------------------------------------------------------------------------


def _member_counts(group: Group, status: str, date: str | None, as_of: dt.date) -> bool:
    if group.counting_statuses is not None and status not in group.counting_statuses:
        return False
    return date is None or partial_date_end(date) <= as_of


def _group_summary(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "kind": group.kind,
        "as_of": group.as_of.isoformat(),
        "members": [{"iso3": m.iso3, "status": m.status, "date": m.date} for m in group.members],
        "sources": [_source(s) for s in group.sources],
    }


def list_groups(reference: ReferenceSet) -> list[dict[str, Any]]:
    """Every policy group, sorted by id, with its members as the facts list them."""
    return [_group_summary(reference.groups[k]) for k in sorted(reference.groups)]


def find_group(reference: ReferenceSet, name: str) -> str:
    """The id of the group named by id or name (case-insensitive). Raises `UsageError`."""
    key = fold(name)
    for group in reference.groups.values():
        if key in (fold(group.id), fold(group.id.replace("_", " ")), fold(group.name)):
            return group.id
    raise not_found("group", name, close_names(name, reference.groups), "groups")


def group_detail(reference: ReferenceSet, name: str, as_of: dt.date) -> dict[str, Any]:
    """One group: the summary plus, per member, its name, note and whether it counts as a
    member on `as_of` (status in `counting_statuses` and dated on or before it), and the
    ISO codes that count (the EU expanded to its member states). Raises `UsageError`."""
    group = reference.groups[find_group(reference, name)]
    out = _group_summary(group)
    out.update(
        complete=group.complete,
        counting_statuses=group.counting_statuses,
        note=group.note,
        evaluated_as_of=as_of.isoformat(),
    )
    for data, member in zip(out["members"], group.members, strict=True):
        data.update(
            name=member.name,
            counts=_member_counts(group, member.status, member.date, as_of),
            note=member.note,
        )
    out["counting_members"] = sorted(reference.group_members(group.id, as_of))
    return out


# --- materials ---------------------------------------------------------------------------------


def material_summary(material: Material) -> dict[str, Any]:
    return {
        "id": material.id,
        "name": material.name,
        "aliases": list(material.aliases),
        "composition": {c.mineral: c.fraction for c in material.composition},
        "typical_mass_kg": material.typical_mass.kg if material.typical_mass else None,
        "source": _source(material.source),
    }


def list_materials(reference: ReferenceSet) -> list[dict[str, Any]]:
    """Every material archetype, sorted by id."""
    return [material_summary(reference.materials[k]) for k in sorted(reference.materials)]


def material_detail(reference: ReferenceSet, archetype: str) -> dict[str, Any]:
    """One archetype in full: summary, category, patterns, excludes, CAS numbers, priority,
    per-mineral fraction with range, basis and source, typical mass and note."""
    material = reference.materials[archetype]
    out = material_summary(material)
    out.update(
        category=material.category,
        patterns=list(material.patterns),
        exclude=list(material.exclude),
        cas=list(material.cas),
        priority=material.priority,
        components=[
            {
                "mineral": c.mineral,
                "fraction": c.fraction,
                "low": c.low,
                "high": c.high,
                "basis": c.basis,
                "source": _source(c.source or material.source),
            }
            for c in material.composition
        ],
        typical_mass=(
            material.typical_mass.model_dump(mode="json", exclude_none=True)
            if material.typical_mass
            else None
        ),
        note=material.note,
    )
    return out
