"""Supplier declarations x BOM -> stage overrides: declared smelters and mines replace the
reference shares for the lines they cover.

A declaration applies to the BOM lines whose supplier matches the declaring company (name
folded, legal suffixes dropped). For a mineral that no matched line carries, the declarations
apply to every line containing that mineral, all declaring companies pooled.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from exposure_audit.engine.scoring import Distribution, ScoringContext

if TYPE_CHECKING:
    from exposure_audit.engine.mapping import Contents

SOURCE = "supplier declarations (RMI templates)"


def declaration_overrides(
    paths: Sequence[str | Path], bom: pd.DataFrame, mapping: Contents, context: ScoringContext
) -> tuple[pd.DataFrame, dict[str, Distribution], dict[str, Any]]:
    """Read the declarations and work out which line-minerals they override, stage by stage.

    `bom` is the canonical BOM frame and `mapping` its contents. Returns (overrides with
    columns line, mineral, stage, dist; the distributions those dist
    keys name; the `declarations` section of the report).
    """
    from exposure_audit.declarations.rmi import normalize_company, read_declarations

    declared = read_declarations(
        [Path(p) for p in paths], aliases=context.reference.countries.aliases
    )
    composition = mapping.composition
    suppliers = bom["supplier"].map(normalize_company).to_numpy(dtype=object)
    files = tuple(sorted({f.path for f in declared.files}))
    companies = {normalize_company(c): c for c in declared.companies() if c}

    records: list[tuple[int, str, str, str]] = []
    distributions: dict[str, Distribution] = {}
    applied: list[dict[str, Any]] = []
    stage_tables = (
        ("processing", declared.smelters, declared.processing_shares),
        ("mining", declared.mines, declared.mining_shares),
    )
    for stage, table, shares_for in stage_tables:
        if table.empty:
            continue
        for mineral in sorted(table["metal"].dropna().unique()):
            # The lines holding the mineral: those whose archetype's composition lists it.
            archetypes = composition.loc[composition["mineral"] == mineral, "archetype"]
            holders = np.flatnonzero(
                mapping.lines["mapped"].to_numpy(bool)
                & mapping.lines["archetype"].isin(archetypes).to_numpy(bool)
            )
            if len(holders) == 0:
                continue
            covered_any = False
            for key, company in sorted(companies.items()):
                lines = holders[suppliers[holders] == key].tolist()
                shares = shares_for(mineral, company)
                if not lines or not shares:
                    continue
                covered_any = True
                dist = f"decl/{key}/{mineral}/{stage}"
                distributions[dist] = Distribution(shares, "declaration", SOURCE, None, files)
                records.extend((i, mineral, stage, dist) for i in lines)
                applied.append(_applied(bom, mineral, stage, company, lines, shares))
            if not covered_any:
                shares = shares_for(mineral, None)
                if not shares:
                    continue
                dist = f"decl/*/{mineral}/{stage}"
                distributions[dist] = Distribution(shares, "declaration", SOURCE, None, files)
                lines = holders.tolist()
                records.extend((i, mineral, stage, dist) for i in lines)
                applied.append(_applied(bom, mineral, stage, None, lines, shares))
    overrides = pd.DataFrame(records, columns=["line", "mineral", "stage", "dist"])
    info = {
        "files": [f.model_dump(mode="json") for f in declared.files],
        "problems": [p.model_dump(mode="json") for p in declared.problems],
        "smelters": int(len(declared.smelters)),
        "mines": int(len(declared.mines)),
        "applied": applied,
    }
    return overrides, distributions, info


def _applied(
    bom: pd.DataFrame,
    mineral: str,
    stage: str,
    company: str | None,
    lines: list[int],
    shares: dict[str, float],
) -> dict[str, Any]:
    rows = sorted(int(r) for r in bom.loc[lines, "row"])
    return {
        "mineral": mineral,
        "stage": stage,
        "company": company,
        "match": "supplier" if company else "all lines with the mineral",
        "rows": rows,
        "shares": dict(sorted(shares.items())),
    }
