"""Build the sample supplier declarations in examples/declarations/ from the official blank RMI
templates (CMRT 6.5 and EMRT 2.1, in ../shared/rmi-templates).

    python tools/build_sample_declarations.py [--templates DIR] [--out examples/declarations]

Each output is a new, small workbook laid out as the template is: the same tabs in the same
order, the English labels of the Declaration and Smelter List (from the template's own `L`
translation sheet), the revision stamps, and the declaration filled in for a fictional
supplier. The smelters are real: each row is a smelter of RMI's Smelter Look-up list embedded in
the template (its metal, standard name, country and RMI id), chosen by metal and country as
listed in SAMPLES, the first by RMI id. RMI's look-up list itself is not copied: the Smelter
Look-up tab holds its header row only.

The companies and their answers are made up for the walk-through in examples/README.md; they
are no real supplier's declaration. The same templates give the same bytes (fixed dates).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT.parent / "shared" / "rmi-templates"
OUT = ROOT / "examples" / "declarations"
DATE = dt.datetime(2026, 11, 30)
HIDDEN = ("L", "C", "SorP")  # the templates' helper sheets: translations, codes, lists


@dataclass(frozen=True)
class Sample:
    template: str
    dest: str
    company: str
    metal: str
    """The metal declared (the Smelter List's dropdown value: Tin, Cobalt, ...)."""
    countries: tuple[str, ...]
    """One smelter per country, as the look-up spells it."""
    date_cell: str
    q1_rows: dict[str, int]
    """Question 1 ("intentionally added?") answer rows by metal, column D."""
    scope: tuple[str, ...] = ()
    """EMRT 2.x: cells naming the minerals in scope (the visible D12 and the sorted AA12)."""


SAMPLES = (
    Sample(
        template="RMI_CMRT_6.5.xlsx",
        dest="sample_solder_supplier_cmrt.xlsx",
        company="Sample Solder Supplier Ltd",
        metal="Tin",
        countries=("INDONESIA", "MALAYSIA", "THAILAND", "CHINA"),
        date_cell="D22",
        q1_rows={"Tantalum": 26, "Tin": 27, "Gold": 28, "Tungsten": 29},
    ),
    Sample(
        template="RMI_EMRT_2.1.xlsx",
        dest="sample_cell_supplier_emrt.xlsx",
        company="Sample Cell Supplier Co",
        metal="Cobalt",
        countries=("FINLAND", "JAPAN", "CANADA", "CHINA"),
        date_cell="D26",
        q1_rows={"Cobalt": 30},
        scope=("D12", "AA12"),
    ),
)


def _grid(book, name: str) -> list[list[object]]:
    return book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _ref(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def _english(book) -> dict[str, str]:
    """The template's English text by "<Sheet><Cell>" (its `L` sheet: key, sheet, cell, English)."""
    return {str(r[0]): str(r[3]) for r in _grid(book, "L")[1:] if r[0] and r[3]}


def _smelters(book, sample: Sample) -> list[list[object]]:
    """Look-up rows (metal, alias, standard name, country, id): one per country, lowest id."""
    rows = [r for r in _grid(book, "Smelter Look-up")[4:] if str(r[4]).startswith("CID")]
    chosen = []
    for country in sample.countries:
        found = sorted(
            (r for r in rows if r[0] == sample.metal and r[3] == country), key=lambda r: r[4]
        )
        if not found:
            raise SystemExit(f"{sample.template}: no {sample.metal} smelter in {country}")
        chosen.append(found[0][:5])
    return chosen


def build(sample: Sample, templates: Path, out: Path) -> Path:
    import python_calamine
    import xlsxwriter

    source = templates / sample.template
    book = python_calamine.CalamineWorkbook.from_path(str(source))
    english = _english(book)
    dest = out / sample.dest
    workbook = xlsxwriter.Workbook(str(dest), {"strings_to_urls": False})
    workbook.set_properties(
        {"title": f"Sample {sample.template.split('_')[1]}", "author": sample.company}
    )
    workbook.set_properties({"created": DATE})
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    date_format = workbook.add_format({"num_format": "dd-mmm-yyyy", "align": "left"})
    for name in book.sheet_names:
        if name in HIDDEN:
            continue
        ws = workbook.add_worksheet(name)
        grid = _grid(book, name)
        if name == "Declaration":
            _declaration(ws, grid, english, sample, bold, wrap, date_format)
        elif name == "Smelter List":
            _smelter_list(ws, grid, english, _smelters(book, sample), bold)
        else:
            _other(ws, name, grid, english, bold)
    workbook.close()
    return dest


def _other(ws, name: str, grid, english, bold) -> None:
    """The Revision tab's title block; the Mine List's and Smelter Look-up's header row (and
    the Mine List's revision stamp); the other tabs stay empty."""
    if name == "Revision":
        for r, row in enumerate(grid[:4]):
            for c, value in enumerate(row[:4]):
                if value not in ("", None):
                    ws.write_string(r, c, str(value))
        return
    if name not in ("Mine List", "Smelter Look-up"):
        return
    header = grid[3] if len(grid) > 3 else []
    for c, value in enumerate(header[:13]):
        text = english.get(f"{name}{_ref(3, c)}", value)
        if text not in ("", None):
            ws.write_string(3, c, str(text), bold)
    if name == "Mine List" and len(grid) > 2:
        ws.write_string(2, 12, str(grid[2][12]))  # the revision stamp, M3


def _declaration(ws, grid, english, sample: Sample, bold, wrap, date_format) -> None:
    """The template's English labels (column B), title and stamp, then the answers."""
    ws.set_column(1, 1, 60)
    ws.set_column(3, 3, 40)
    title = english.get("DeclarationD2") or str(grid[1][3])
    ws.write_string(1, 3, title, bold)
    ws.write_string(2, 9, str(grid[2][9]))  # "Revision 6.5\nApril 25, 2025"
    for r, row in enumerate(grid[:45]):
        label = english.get(f"Declaration{_ref(r, 1)}")
        if label and row[1] not in ("", None):
            ws.write_string(r, 1, label, wrap)
    answers = {
        "D8": sample.company,
        "D9": "A. Company",
        "D15": "Sample Contact",
        "D16": "compliance@example.com",
        "D17": "+00 000 000 000",
        "D18": "Sample Signatory",
        "D20": "compliance@example.com",
    }
    if sample.scope:  # EMRT 2.x: the contact block sits four rows lower
        answers = {"D8": sample.company, "D9": "A. Company", "D19": "Sample Contact"}
        answers |= {"D20": "compliance@example.com", "D22": "Sample Signatory"}
        answers |= {"D24": "compliance@example.com"}
        for cell in sample.scope:
            answers[cell] = sample.metal
    for cell, value in answers.items():
        ws.write_string(cell, value)
    ws.write_datetime(sample.date_cell, DATE, date_format)
    for metal, row in sample.q1_rows.items():
        ws.write_string(f"B{row}", f"{metal}(*)")
        ws.write_string(f"D{row}", "Yes" if metal == sample.metal else "No")


def _smelter_list(ws, grid, english, smelters, bold) -> None:
    """Header row 4 in English (A-Q), the stamp in Q3, one row per chosen smelter from row 5,
    with the cells Excel fills in when a smelter is picked from the column C dropdown."""
    ws.write_string(2, 16, str(grid[2][16]))  # the revision stamp, Q3
    for c in range(17):
        text = english.get(f"Smelter List{_ref(3, c)}") or grid[3][c]
        ws.write_string(3, c, str(text), bold)
    ws.write_string(3, 17, str(grid[3][17]))  # "Standard Smelter Name" (a hidden helper)
    ws.set_column(0, 17, 18)
    for i, (metal, alias, standard, country, cid) in enumerate(smelters, start=4):
        ws.write_row(i, 0, [cid, metal, alias, standard, country, cid, "RMI"])
        ws.write_string(i, 15, "No")  # not 100% recycled or scrap feedstock
        ws.write_string(i, 17, str(standard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--templates", type=Path, default=TEMPLATES)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not args.templates.is_dir():
        print(f"no templates folder {args.templates}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for sample in SAMPLES:
        print(build(sample, args.templates, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
