"""Several tables in one sheet (bom/blocks.py): stacked section blocks with title rows, tables
side by side, a repeated (collated) table; each read as one BOM with the rows users see.

Every fixture is a small file written here in the shape hand-kept sheets and exporters use;
none is a copy of a shared file."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from bom.conftest import issues_of
from exposure_audit.bom.blocks import drop_repeats, find_tables
from exposure_audit.bom.read import read_bom


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


STACKED = [
    [None, "Robot arm parts, see the build guide"],
    [],
    [None, "Screws and nuts:"],
    [None, "Size", "Qty", "Description"],
    [None, "M4x10mm", 20, "DIN 912 socket head cap screw"],
    [None, "M3 nut", 10, "DIN 934 hex nut"],
    [None, "Motors:"],
    ["Name", "Type", "Quantity", "Description", "Link"],
    ["Stepper 1", "NEMA 17 42x42x40", 3, "", "Link"],
    [None, "Bearings:"],
    ["Name", "Type", "Quantity", "Description"],
    ["Bearing 1", "608ZZ", 4, "deep groove"],
]


def test_stacked_blocks_read_as_one_bom(tmp_path, load_bom):
    bom = load_bom(_xlsx(tmp_path / "stacked.xlsx", STACKED))
    frame = bom.frame
    assert frame["row"].tolist() == [5, 6, 9, 12]  # the rows users see; titles left out
    assert frame["quantity"].tolist() == [20.0, 10.0, 3.0, 4.0]
    text = frame["description"].astype(str).tolist()
    assert "DIN 912 socket head cap screw" in text[0]
    assert "Stepper 1" in text[2] and "Bearing 1" in text[3]
    assert "608ZZ" in frame["notes"].astype(str).tolist()[3]  # "Type" feeds the mapping text
    assert issues_of(bom, "several-tables")


SIDE_BY_SIDE = [
    [None, "ID", "Item", "QTY", None, "ID", "Printed parts"],
    [None, 1, "NEMA 17 stepper", 1, None, 201, "Part", "Name", "Colour", "Quantity"],
    [None, 2, "Arduino Mega 2560", 1, None, 202, "Base", "Base plate", "Blue", 1],
    [None, 3, "608ZZ bearing", 10, None, 203, "", "Gear", "Black", 2],
    ["Fasteners", 101, "M3x10 screw", 30],
]


def test_side_by_side_tables_each_give_their_lines(tmp_path, load_bom):
    bom = load_bom(_xlsx(tmp_path / "side.xlsx", SIDE_BY_SIDE))
    frame = bom.frame
    lines = list(
        zip(frame["row"], frame["description"].astype(str), frame["quantity"], strict=True)
    )
    # The left table's header names only a quantity: its text column is found by content.
    assert (3, "Arduino Mega 2560", 1.0) in lines and (3, "Base plate", 1.0) in lines
    assert (4, "608ZZ bearing", 10.0) in lines and (4, "Gear", 2.0) in lines
    assert (5, "M3x10 screw", 30.0) in lines  # the block below the left table
    assert any("read as the description" in m for m in _messages(bom, "several-tables"))


def _messages(bom, code):
    frame = bom.issues.frame()
    return frame.loc[frame["code"] == code, "message"].tolist()


def test_a_repeated_collated_table_is_left_out(tmp_path):
    text = (
        '"Source:","board.sch"\n\n"Individual Components:"\n\n'
        '"Item","Qty","Reference(s)","Value","Footprint"\n'
        '"","","C1","100nF","C_0603"\n"","","C2","100nF","C_0603"\n"","","R1","10k","R_0603"\n\n'
        '"Collated Components:"\n\n'
        '"Item","Qty","Reference(s)","Value","Footprint"\n'
        '"1","2","C1, C2","100nF","C_0603"\n"2","1","R1","10k","R_0603"\n'
    )
    path = tmp_path / "grouped.csv"
    path.write_text(text, encoding="utf-8")
    raw = read_bom(path)
    assert raw.rows.tolist() == [6, 7, 8]
    assert raw.issues.count("info") >= 1
    assert "duplicate-table" in raw.issues.frame()["code"].tolist()


def test_one_table_is_left_to_the_ordinary_reader():
    cells = [["Part", "Description", "Qty"], ["A1", "Bracket", 2], ["A2", "Screw", 4]]
    assert len(find_tables(cells)) == 1
    kept, repeats = drop_repeats(cells, find_tables(cells))
    assert len(kept) == 1 and not repeats


def test_a_data_row_with_a_quantity_word_is_no_header():
    """A quantity-only header needs numbers below it: a line mentioning "qty" is data."""
    cells = [
        ["Item", "Description", "Qty"],
        ["1", "Spacer, qty per kit", "4"],
        ["2", "Qty label", "text"],
    ]
    assert len(find_tables(cells)) == 1


def test_a_table_title_is_read_as_a_note_of_its_lines(tmp_path, load_bom):
    bom = load_bom(_xlsx(tmp_path / "stacked.xlsx", STACKED))
    notes = bom.frame["notes"].astype(str).tolist()
    assert "Screws and nuts" in notes[0] and "Motors" in notes[2] and "Bearings" in notes[3]


def test_header_words_between_tables_are_no_line(tmp_path):
    """A kit block's ",SKU,,,Product Name" row names columns: it is not a part."""
    text = (
        ",SKU,,,Product Name\n,KIT-1,,,Printer kit - long parts\n\n"
        "QTY,SKU,Length (mm),Tap,Item name\n2,HW306,320,,T-SLOT 3030 extrusion\n\n"
        ",SKU,,,Product Name\n,KIT-2,,,Printer kit - hardware\n\n"
        "QTY,SKU,Length (mm),Tap,Item name\n10,HW100,,,M3x8 cap head screw\n"
    )
    path = tmp_path / "kits.csv"
    path.write_text(text, encoding="utf-8")
    raw = read_bom(path)
    items = raw.frame["Item name"].astype(str).tolist()
    assert "Product Name" not in items and "T-SLOT 3030 extrusion" in items
    assert "Printer kit - long parts" not in items  # a kit's title block, not a part
    assert raw.frame["QTY"].astype(str).tolist()[-1] == "10"
