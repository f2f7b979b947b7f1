"""China-located vs China-controlled: the ownership table applied to the supply shares.

`ownership.yaml` gives, for some minerals and stages, the share of a country's output that
Chinese-headquartered companies control (e.g. Indonesia's refined nickel). The control view
moves that part of the country's world share to China; China's own output counts as
China-controlled. Where nothing is published, control equals location and the report says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from exposure_audit.reference.rules import CountryControl, OwnershipFile

if TYPE_CHECKING:
    from exposure_audit.reference.load import ReferenceSet

CHINA = "CHN"


def controlled_shares(
    shares: Mapping[str, float], factors: Mapping[str, CountryControl]
) -> dict[str, float]:
    """Country shares with the Chinese-controlled part of each country moved to China."""
    out = dict(shares)
    moved = 0.0
    for country, control in factors.items():
        if country == CHINA or country not in out:
            continue
        part = out[country] * control.chinese_controlled
        out[country] -= part
        moved += part
    if moved:
        out[CHINA] = out.get(CHINA, 0.0) + moved
    return out


def china_share(shares: Mapping[str, float], china: Collection[str]) -> float:
    return float(sum(shares.get(c, 0.0) for c in china))


def control_reference(reference: ReferenceSet, ownership: OwnershipFile) -> ReferenceSet:
    """A copy of `reference` whose supply shares are the control view (where published)."""
    supply = dict(reference.supply)
    for key, entry in reference.supply.items():
        factors = ownership.country_factors(*key)
        if not factors:
            continue
        note = "control view: Chinese-controlled output of " + ", ".join(
            f"{c} ({100 * f.chinese_controlled:.0f}%, {f.year})" for c, f in sorted(factors.items())
        )
        supply[key] = entry.model_copy(
            update={
                "shares": controlled_shares(entry.shares, factors),
                "note": f"{note}; {entry.note}" if entry.note else note,
            }
        )
    return dataclasses.replace(reference, supply=supply)


def _entry(
    reference: ReferenceSet,
    ownership: OwnershipFile,
    mineral: str,
    stage: str,
    china: Collection[str],
) -> dict[str, Any] | None:
    supply = reference.supply.get((mineral, stage))
    world = ownership.world_entry(mineral, stage)
    if supply is None and world is None:
        return None
    factors = ownership.country_factors(mineral, stage)
    out: dict[str, Any] = {"mineral": mineral, "stage": stage}
    if supply is not None:
        located = china_share(supply.shares, china)
        controlled = china_share(controlled_shares(supply.shares, factors), china)
        out.update(
            china_located=located,
            china_controlled=controlled,
            location_year=supply.year,
            location_source=supply.source.title,
        )
    out["countries"] = [
        {
            "country": c,
            "share_of_world": supply.shares.get(c) if supply else None,
            "chinese_controlled": f.chinese_controlled,
            "bound": f.bound,
            "year": f.year,
            "basis": f.basis,
            "source": f.source.model_dump(mode="json", exclude_none=True),
        }
        for c, f in sorted(factors.items())
    ]
    if world is not None:
        out["world"] = world.model_dump(mode="json", exclude_none=True)
    if not factors and world is None:
        out["note"] = "no published ownership figure: control view = location view"
    elif not factors:
        out["note"] = "published world figure only (its own year); not mixed with location shares"
    return out


def ownership_view(
    reference: ReferenceSet,
    ownership: OwnershipFile,
    minerals: Collection[str],
    china: Collection[str],
) -> dict[str, Any]:
    """The `ownership` section: per mineral of the BOM and stage, both views of China's share
    of world output, with the figures and sources behind the control view."""
    entries = [
        found
        for mineral in sorted(minerals)
        for stage in ("mining", "processing")
        if (found := _entry(reference, ownership, mineral, stage, china)) is not None
    ]
    return {
        "as_of": ownership.as_of.isoformat(),
        "note": "china_located: world output in China; china_controlled: plus output elsewhere "
        "that Chinese-headquartered companies control, where a source publishes it.",
        "minerals": entries,
    }
