"""Component kinds (`bom.recognise`) -> material archetypes, from data/reference/components.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path
from typing import Any

from exposure_audit.errors import ReferenceDataError
from exposure_audit.reference.load import bundled_directory


@dataclass(frozen=True)
class KindSpec:
    """How one recognised kind maps to an archetype."""

    kind: str
    archetype: str | None = None
    materials: dict[str, str] = field(default_factory=dict)
    refine: tuple[str, ...] = ()
    gap: str | None = None

    def archetype_for(self, material: str | None) -> str | None:
        if material is not None and material in self.materials:
            return self.materials[material]
        return self.archetype

    def refined_by(self, archetype: str | None) -> bool:
        """Whether a material pattern's archetype is a more specific grade of this kind."""
        return archetype is not None and any(fnmatch(archetype, p) for p in self.refine)


@lru_cache(maxsize=4)
def load_kinds(path: Path | None = None) -> dict[str, KindSpec]:
    """The bundled kind table (raises ReferenceDataError when it is unreadable)."""
    import yaml

    file = path or bundled_directory() / "components.yaml"
    try:
        data: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
        kinds = data["kinds"]
        return {
            kind: KindSpec(
                kind,
                spec.get("archetype"),
                dict(spec.get("materials") or {}),
                tuple(spec.get("refine") or ()),
                spec.get("gap"),
            )
            for kind, spec in kinds.items()
        }
    except (OSError, KeyError, TypeError, AttributeError, yaml.YAMLError) as exc:
        raise ReferenceDataError(
            f"{file}: not a valid component table ({exc})",
            "reinstall exposure-audit",
        ) from None


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
