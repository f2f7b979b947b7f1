"""Helpers for tests/test_declarations.py: fill copies of RMI templates, build fake ones.

The official templates live outside the repository (`../shared/rmi-templates`, never copied in);
tests that need them skip when that folder is absent.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TEMPLATES_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "rmi-templates"


@dataclass(frozen=True)
class LookupEntry:
    metal: str
    alias: str
    standard_name: str
    country: str
    cid: str


def lookup_entries(template: Path) -> list[LookupEntry]:
    """The template's embedded Smelter Look-up rows that carry an RMI id (read at test time)."""
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(template))
    rows = book.get_sheet_by_name("Smelter Look-up").to_python(skip_empty_area=False)
    return [
        LookupEntry(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]))
        for r in rows[4:]
        if str(r[4]).startswith("CID")
    ]


def pick(entries: Sequence[LookupEntry], metal: str, country: str, nth: int = 0) -> LookupEntry:
    """The nth distinct smelter (by id) for a metal and country in a Look-up."""
    seen: dict[str, LookupEntry] = {}
    for e in entries:
        if e.metal == metal and e.country == country:
            seen.setdefault(e.cid, e)
    return list(seen.values())[nth]


def listed_row(entry: LookupEntry, recycled: str = "No") -> dict[str, Any]:
    """Cells as Excel caches them after choosing a smelter from the column C dropdown."""
    return {
        "B": entry.metal,
        "C": entry.alias,
        "D": entry.standard_name,
        "E": entry.country,
        "F": entry.cid,
        "G": "RMI",
        "P": recycled,
        "R": entry.standard_name,
    }


@dataclass
class FillSpec:
    """What to write into one copy of a template."""

    template: str
    dest: str
    declaration: dict[str, Any] = field(default_factory=dict)
    smelter_rows: list[dict[str, Any]] = field(default_factory=list)
    mine_rows: list[dict[str, Any]] = field(default_factory=list)


def fill_template(spec: FillSpec) -> str:
    """Copy a template, write the spec's cells with openpyxl, save; returns the path."""
    import openpyxl

    dest = Path(spec.dest)
    shutil.copyfile(spec.template, dest)
    book = openpyxl.load_workbook(dest, keep_vba=dest.suffix.lower() == ".xlsm")
    _write(book["Declaration"], spec.declaration)
    for i, row in enumerate(spec.smelter_rows):
        _write(book["Smelter List"], {f"{col}{5 + i}": v for col, v in row.items()})
    for i, row in enumerate(spec.mine_rows):
        _write(book["Mine List"], {f"{col}{5 + i}": v for col, v in row.items()})
    book.save(dest)
    return str(dest)


def fill_all(specs: Sequence[FillSpec]) -> list[str]:
    """Fill several templates in parallel (openpyxl needs ~4 s per template)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = min(len(specs), max(1, multiprocessing.cpu_count()))
    if workers <= 1:
        return [fill_template(s) for s in specs]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(fill_template, specs))


def _write(sheet: Any, cells: Mapping[str, Any]) -> None:
    for ref, value in cells.items():
        sheet[ref] = value


# --- synthetic workbooks that mimic the layout ---------------------------------------------------


def make_fake_template(
    dest: Path,
    *,
    title: str = "Conflict Minerals Reporting Template (CMRT)",
    stamp: str = "Revision 6.5\nApril 25, 2025",
    company: str | None = "Fake Supplier Inc.",
    rows: Sequence[Mapping[str, Any]] = (),
    lookup: Sequence[Sequence[Any]] = (),
    sheet_names: Mapping[str, str] | None = None,
    mines: Sequence[Mapping[str, Any]] | None = None,
) -> Path:
    """A small workbook with the RMI tab order and cell positions (no RMI data in it)."""
    import openpyxl

    names = {
        "Revision": "Revision",
        "Instructions": "Instructions",
        "Definitions": "Definitions",
        "Declaration": "Declaration",
        "Smelter List": "Smelter List",
        "Checker": "Checker",
        "Mine List": "Mine List",
        "Product List": "Product List",
        "Smelter Look-up": "Smelter Look-up",
        **(sheet_names or {}),
    }
    book = openpyxl.Workbook()
    book.remove(book.active)
    order = ["Revision", "Instructions", "Definitions", "Declaration", "Smelter List", "Checker"]
    if mines is not None:
        order.append("Mine List")
    order += ["Product List", "Smelter Look-up"]
    sheets = {key: book.create_sheet(names[key]) for key in order}
    sheets["Revision"]["A1"] = "DOCUMENT TITLE"
    sheets["Revision"]["A2"] = title.split(" (")[0]
    decl = sheets["Declaration"]
    decl["D2"] = title
    decl["J3"] = stamp
    decl["D8"] = company
    decl["D9"] = "A. Company"
    decl["D22"] = "25-Apr-2025"
    smelters = sheets["Smelter List"]
    smelters["Q3"] = stamp
    for i in range(17):  # headers exist, wording deliberately not English
        smelters.cell(row=4, column=i + 1, value=f"列{i + 1}")
    for r, row in enumerate(rows, start=5):
        for col, value in row.items():
            smelters[f"{col}{r}"] = value
    if mines is not None:
        mine_sheet = sheets["Mine List"]
        mine_sheet["M3"] = stamp
        for i in range(13):
            mine_sheet.cell(row=4, column=i + 1, value=f"列{i + 1}")
        for r, row in enumerate(mines, start=5):
            for col, value in row.items():
                mine_sheet[f"{col}{r}"] = value
    look = sheets["Smelter Look-up"]
    for i in range(9):
        look.cell(row=4, column=i + 1, value=f"列{i + 1}")
    for r, values in enumerate(lookup, start=5):
        for c, value in enumerate(values, start=1):
            look.cell(row=r, column=c, value=value)
    book.save(dest)
    return dest
