"""A blank BOM template (.xlsx) with the columns the audit reads and a notes sheet."""

from __future__ import annotations

import io

TEMPLATE_COLUMNS: list[tuple[str, str]] = [
    ("Part Number", "Your part number"),
    ("Description", "What the part is, e.g. 'NdFeB magnet N42SH 20x10x5mm'"),
    ("Material", "Material or grade if known, e.g. 'SAC305', 'NMC811 cell', '316 stainless'"),
    ("Qty", "Quantity per product"),
    ("Unit", "pcs, or a mass unit (g, kg) when the quantity is a mass"),
    ("Unit Mass (g)", "Mass of one unit; the unit in the header (g, kg, lb)"),
    ("Supplier", "Supplier name (matched to supplier CMRT/EMRT declarations)"),
    ("Country of Origin", "Where the part is made (any spelling or ISO code)"),
    ("Mining Country", "Where the mineral is mined, if known"),
    ("Processing Country", "Where the mineral is refined or smelted, if known"),
    ("Mineral", "The critical mineral the line is, if it is a raw material"),
    ("CAS Number", "CAS number for chemicals"),
    ("Unit Cost", "Price of one unit"),
    ("Extended Cost", "Qty x unit cost (used when given)"),
    ("Currency", "ISO currency code, e.g. USD"),
    # Optional: read only by the rule packs (`audit --rules`); leave blank when unknown.
    (
        "HS Code",
        "Optional (rules): HS/CN tariff code, e.g. 2609 00 00 (EU conflict-minerals threshold)",
    ),
    ("COTS", "Optional (rules): yes if a commercial off-the-shelf item (DFARS 252.225-7052)"),
    ("Defense Contract", "Optional (rules): yes if delivered under a U.S. DoD contract"),
    (
        "Battery Category",
        "Optional (rules): EV, LMT, industrial, SLI or portable (EU battery passport)",
    ),
    ("Battery Capacity (kWh)", "Optional (rules): the battery's energy in kWh"),
    ("Recycled Share", "Optional (rules): recycled content of the part, e.g. 16%"),
    ("Owner", "Optional (rules): the supplier's parent company (or use --owners FILE)"),
]


def template_bytes() -> bytes:
    """The template workbook as bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.worksheets[0]  # a new workbook's one sheet (`active` is typed Optional)
    sheet.title = "BOM"
    for index, (header, _) in enumerate(TEMPLATE_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(header) + 4)
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("Column notes")
    notes.append(["Column", "What to put there"])
    for header, note in TEMPLATE_COLUMNS:
        notes.append([header, note])
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
