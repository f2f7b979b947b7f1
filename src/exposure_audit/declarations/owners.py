"""A supplier ownership table (`--owners FILE`): supplier, owner, country, percent.

One row per owner of a supplier: who holds how much of it and where the owner is organised.
It feeds the FEOC ownership tests (`engine/rules.py`) and the control view of the supplier's
lines. `.csv`/`.tsv`/`.txt` and `.xlsx`/`.xls`/`.ods` are read, headers recognised by a few
spellings. A bad file or cell is one `UsageError` naming the file, row and column.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from exposure_audit.bom.safety import check_zip_container
from exposure_audit.engine.rules import Owner
from exposure_audit.errors import UsageError
from exposure_audit.text import fold_header

HEADERS: dict[str, tuple[str, ...]] = {
    "supplier": ("supplier", "supplier name", "vendor", "company", "subsidiary"),
    "owner": ("owner", "owner name", "shareholder", "parent", "parent company", "holder"),
    "country": (
        "country",
        "owner country",
        "owner country of incorporation",
        "country of incorporation",
        "owner domicile",
    ),
    "percent": ("percent", "percentage", "share", "stake", "ownership", "equity", "%", "pct"),
}
_FOLDED = {fold_header(s): name for name, spellings in HEADERS.items() for s in spellings}


def _read_frame(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
            if zipfile.is_zipfile(path):
                check_zip_container(path, f"--owners {path}", what="the owners table")
            return pd.read_excel(path, dtype=str, keep_default_na=False, engine="calamine")
        sep = "\t" if suffix in (".tsv", ".tab") else None
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, sep=sep, engine="python", encoding="utf-8-sig"
        )
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"--owners {path}: cannot read the file ({' '.join(str(exc).split())[:160]})",
            "give a .csv or .xlsx table with supplier, owner, country and percent columns",
        ) from exc


def _columns(frame: pd.DataFrame, path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in frame.columns:
        name = _FOLDED.get(fold_header(str(header)))
        if name and name not in found:
            found[name] = str(header)
    missing = [n for n in HEADERS if n not in found]
    if missing:
        raise UsageError(
            f"--owners {path}: no {', '.join(missing)} column (columns: "
            f"{', '.join(repr(str(c)) for c in frame.columns)})",
            "name the columns supplier, owner, country and percent",
        )
    return found


def _share(text: str, path: Path, row: int, header: str) -> float:
    cleaned = text.strip().replace(",", ".").replace("%", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise UsageError(
            f"--owners {path}: row {row}, column {header!r}: {text!r} is not a percentage",
            "write the share as 25, 25% or 0.25",
        ) from None
    share = value / 100 if ("%" in text or value > 1) else value
    if not 0 <= share <= 1 or share != share:
        raise UsageError(
            f"--owners {path}: row {row}, column {header!r}: {text!r} is outside 0-100%",
            "write the share as 25, 25% or 0.25",
        )
    return share


def read_owners(
    path: str | Path, aliases: Mapping[str, str] | None = None
) -> dict[str, list[Owner]]:
    """Folded supplier name (`normalize_company`) -> its owners. Rows with no supplier or no
    owner are skipped; a country that cannot be resolved is kept as unknown (None)."""
    from exposure_audit.declarations.rmi import normalize_company
    from exposure_audit.reference.countries import to_iso3

    path = Path(path)
    frame = _read_frame(path)
    cols = _columns(frame, path)
    countries = to_iso3(frame[cols["country"]].astype(str), aliases)
    table: dict[str, list[Owner]] = {}
    for i, record in enumerate(frame.to_dict("records")):
        supplier = normalize_company(str(record[cols["supplier"]]))
        owner = str(record[cols["owner"]]).strip()
        if not supplier or not owner:
            continue
        share = _share(str(record[cols["percent"]]), path, i + 2, cols["percent"])
        code = countries.iloc[i]
        country = str(code) if isinstance(code, str) and code else None
        table.setdefault(supplier, []).append(Owner(owner, country, share))
    return table
