"""Helpers shared by the core tests: the toy reference set and one-call audits on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from exposure_audit.api import Options, audit
from exposure_audit.reference import ReferenceSet, load_reference

TESTS = Path(__file__).resolve().parent
TOY_REFERENCE = TESTS / "assets" / "reference"
AS_OF = dt.date(2026, 3, 1)

# A small BOM and a scenarios/prices layer over the toy tables, for scenario and action tests.
SCENARIO_LAYER = TESTS / "assets" / "reference_scenarios"
SCENARIO_HEADER = (
    "Part Number,Description,Material,Qty,Unit Mass (g),Unit Price,Supplier,Country of Origin"
)
SCENARIO_ROWS = (
    "M1,Rotor magnet,NdFeB magnet,1,100,$10.00,MagCo,Japan",
    "G1,GaN FET,GaN,2,1,$5.00,GaNCo,Canada",
    "W1,Winding,copper wire,10,10,$1.00,WireCo,China",
    "H1,Housing,ABS housing,1,50,$2.00,PlastCo,Mexico",
    "S1,Solder,SAC305,1,,$1.00,SolderCo,USA",
)


def toy_reference() -> ReferenceSet:
    return load_reference([TOY_REFERENCE], include_bundled=False)


def toy_options(**kwargs) -> Options:
    kwargs.setdefault("as_of", AS_OF)
    return Options(reference_dirs=[TOY_REFERENCE], include_bundled=False, **kwargs)


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def toy_audit(path: Path, **kwargs):
    return audit(path, toy_options(**kwargs))


def shared_path() -> Path:
    """The team's shared folder: $EXPOSURE_AUDIT_SHARED_DIR, else ../shared beside the repo
    (a worktree elsewhere names it by the variable)."""
    import os

    named = os.environ.get("EXPOSURE_AUDIT_SHARED_DIR")
    return Path(named) if named else Path(__file__).resolve().parents[2] / "shared"


def golden_text(path: Path, rendered: str, update: bool) -> str:
    """The committed golden at `path` (rewritten with `rendered` first when `update`). A
    missing golden fails: writing it would make the comparison pass on whatever was rendered."""
    if update:
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run pytest --update-goldens and review it"
    return path.read_text(encoding="utf-8")


def archetype_block_ids(marker: str) -> list[str]:
    """Ids of the archetypes in one block of data/reference/materials.yaml: from the comment
    line `marker` to the next top-level comment or the end of the list."""
    text = (TESTS.parent / "data" / "reference" / "materials.yaml").read_text(encoding="utf-8")
    ids = []
    for line in text.split(marker, 1)[1].splitlines()[1:]:
        if line.startswith("#"):
            break
        if line.startswith("- id: "):
            ids.append(line.removeprefix("- id: ").strip())
    return ids
