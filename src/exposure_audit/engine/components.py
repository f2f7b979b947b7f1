"""Component kinds (`bom.recognise`) -> material archetypes, from data/reference/components.yaml.

A kind may also carry a `masses:` table: the published mass of one part per package or size
group (the `package` recognition extracts: `0603`, `SOT-23`, `SOIC-8`...). The mapping uses it
only when the BOM gives no mass, and marks that mass as estimated."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path
from typing import Any

from exposure_audit.errors import ReferenceDataError
from exposure_audit.reference.load import bundled_directory

_SEPARATORS = re.compile(r"[\s\-_./]+")


def package_key(package: str) -> str:
    """A package or size name folded for lookup: `SOT-23`, `sot23` and `SOT 23` are one key
    (case, spaces, hyphens, underscores, dots and slashes dropped)."""
    return _SEPARATORS.sub("", package).upper()


@dataclass(frozen=True)
class PackageMass:
    """The published mass of one part of a kind in one package or size group."""

    package: str
    kg: float
    source: str
    year: int | str
    url: str | None = None
    note: str | None = None

    def brief(self) -> str:
        """`2.1 mg per 0603 part`, short enough for an issue's value."""
        mg = self.kg * 1e6
        amount = f"{mg:.3g} mg" if mg < 1000 else f"{self.kg * 1e3:.3g} g"
        return f"{amount} per {self.package} part"

    def describe(self) -> str:
        """`2.1 mg per 0603 part (Maker declaration, 2023)`, for a line's reason."""
        return f"{self.brief()} ({self.source}, {self.year})"


@dataclass(frozen=True)
class KindSpec:
    """How one recognised kind maps to an archetype."""

    kind: str
    archetype: str | None = None
    materials: dict[str, str] = field(default_factory=dict)
    refine: tuple[str, ...] = ()
    gap: str | None = None
    masses: dict[str, PackageMass] = field(default_factory=dict)
    """Keyed by `package_key` of each package name (and of its `also` names)."""

    def archetype_for(self, material: str | None) -> str | None:
        if material is not None and material in self.materials:
            return self.materials[material]
        return self.archetype

    def refined_by(self, archetype: str | None) -> bool:
        """Whether a material pattern's archetype is a more specific grade of this kind."""
        return archetype is not None and any(fnmatch(archetype, p) for p in self.refine)

    def mass_for(self, package: str | None) -> PackageMass | None:
        """The published unit mass for a recognised package, or None (no package, or none
        published for it: never a neighbouring size's)."""
        if not package or not self.masses:
            return None
        return self.masses.get(package_key(package))


@lru_cache(maxsize=4)
def load_kinds(path: Path | None = None) -> dict[str, KindSpec]:
    """The bundled kind table (raises ReferenceDataError when it is unreadable or a mass
    entry is malformed)."""
    import yaml

    file = path or bundled_directory() / "components.yaml"
    try:
        data: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
        kinds = data["kinds"]
        problems: list[str] = []
        out = {
            kind: KindSpec(
                kind,
                spec.get("archetype"),
                dict(spec.get("materials") or {}),
                tuple(spec.get("refine") or ()),
                spec.get("gap"),
                _masses(kind, spec.get("masses") or {}, problems),
            )
            for kind, spec in kinds.items()
        }
    except (OSError, KeyError, TypeError, AttributeError, yaml.YAMLError) as exc:
        raise ReferenceDataError(
            f"{file}: not a valid component table ({exc})",
            "reinstall exposure-audit",
        ) from None
    if problems:
        raise ReferenceDataError(
            f"{file}: invalid masses: " + "; ".join(problems), "reinstall exposure-audit"
        )
    return out


_MASS_KEYS = frozenset({"kg", "source", "url", "year", "note", "also"})


def _masses(kind: str, table: dict[str, Any], problems: list[str]) -> dict[str, PackageMass]:
    out: dict[str, PackageMass] = {}
    for package, entry in table.items():
        where = f"{kind}.masses.{package}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: not a mapping")
            continue
        unknown = sorted(set(entry) - _MASS_KEYS)
        kg = entry.get("kg")
        if unknown:
            problems.append(f"{where}: unknown keys {unknown}")
        if not isinstance(kg, int | float) or isinstance(kg, bool) or not math.isfinite(kg):
            problems.append(f"{where}: kg must be a number")
            continue
        if not 0 < kg < 1000:
            problems.append(f"{where}: kg {kg} is outside 0..1000")
        if not entry.get("source") or entry.get("year") in (None, ""):
            problems.append(f"{where}: every mass names its source and year")
        mass = PackageMass(
            str(package),
            float(kg),
            str(entry.get("source", "")),
            entry.get("year", "n.d."),
            entry.get("url"),
            entry.get("note"),
        )
        for name in (str(package), *(str(a) for a in entry.get("also") or ())):
            key = package_key(name)
            if key in out:
                problems.append(f"{where}: {name!r} is listed twice")
            out[key] = mass
    return out


def kinds_for(kinds: dict[str, KindSpec], archetypes: frozenset[str]) -> dict[str, KindSpec]:
    """The kind table restricted to the archetypes a reference set holds. Reference folders
    that replace the bundled tables (`--reference` without the bundled set) may lack a kind's
    archetype; such a kind is left out, so it neither maps to a missing archetype nor vetoes
    the replacement tables' own material patterns."""
    out: dict[str, KindSpec] = {}
    for name, spec in kinds.items():
        if spec.archetype is not None and spec.archetype not in archetypes:
            continue
        materials = {m: a for m, a in spec.materials.items() if a in archetypes}
        out[name] = replace(spec, materials=materials)
    return out


def check_kinds(kinds: dict[str, KindSpec], archetypes: set[str]) -> list[str]:
    """Archetype ids the table names that the reference does not hold."""
    named = {a for k in kinds.values() for a in (k.archetype, *k.materials.values()) if a}
    return sorted(named - archetypes)
