"""read_bom: sheets and header rows found, spreadsheet row numbers right, CSV/TSV variants."""

from __future__ import annotations

import codecs

import pandas as pd
import pytest

from exposure_audit.bom.read import read_bom
from exposure_audit.errors import BomReadError

ROWS = [("R1", "Resistor 10k", 4), ("C1", "Capacitor 1uF", 2)]


def _records(raw):
    return raw.frame.astype(str).values.tolist()


# --- header and sheet detection ----------------------------------------------------------------


def test_header_on_row_1(tmp_path, make_bom):
    raw = read_bom(make_bom(tmp_path, ROWS))
    assert raw.header_row == 1
    assert raw.sheet == "BOM"
    assert raw.headers == ["Part Number", "Description", "Qty"]
    assert raw.rows.tolist() == [2, 3]
    assert raw.frame["Part Number"].tolist() == ["R1", "C1"]
    assert pd.to_numeric(raw.frame["Qty"]).tolist() == [4, 2]  # text or numbers, by reader


@pytest.mark.parametrize("titles", [1, 2, 5, 10])
def test_title_rows_above_header(tmp_path, make_bom, titles):
    title_rows = ["Widget BOM rev B", *([] for _ in range(titles - 1))]
    path = make_bom(tmp_path, ROWS, title_rows=title_rows, merged=["A1:C1"])
    raw = read_bom(path)
    assert raw.header_row == titles + 1
    assert raw.rows.tolist() == [titles + 2, titles + 3]
    assert raw.frame["Description"].tolist() == ["Resistor 10k", "Capacitor 1uF"]


def test_title_rows_with_text_in_several_cells(tmp_path, make_bom):
    titles = [["Project", "Widget"], ["Revision", "B", "Date"], ["Total cost", 12.5]]
    raw = read_bom(make_bom(tmp_path, ROWS, title_rows=titles))
    assert raw.header_row == 4
    assert raw.rows.tolist() == [5, 6]


def test_cover_sheet_before_bom_sheet(tmp_path, make_bom):
    cover = [["Acme widget"], ["Prepared by", "J. Doe"], [], ["Notes: prices in USD"]]
    path = make_bom(tmp_path, ROWS, extra_sheets=[("Cover", cover), ("Notes", [["x"]])])
    raw = read_bom(path)
    assert raw.sheet == "BOM"
    assert raw.sheets == ["Cover", "Notes", "BOM"]
    assert raw.frame["Part Number"].tolist() == ["R1", "C1"]


def test_sheet_by_name_picks_that_sheet(tmp_path, make_bom):
    other = [["Part Number", "Qty"], ["X9", 7]]
    path = make_bom(tmp_path, ROWS, extra_sheets=[("Old", other)])
    assert read_bom(path).sheet == "Old"  # the first sheet with a header wins
    raw = read_bom(path, sheet="BOM")
    assert raw.sheet == "BOM"
    assert raw.frame["Part Number"].tolist() == ["R1", "C1"]


def test_wrong_sheet_name_lists_the_sheets(tmp_path, make_bom):
    path = make_bom(tmp_path, ROWS, extra_sheets=[("Cover", [["hi"]])])
    with pytest.raises(BomReadError) as info:
        read_bom(path, sheet="Parts")
    text = str(info.value)
    assert "'Parts'" in text and "'Cover'" in text and "'BOM'" in text
    assert str(path) in text


def test_sheet_given_for_csv_is_an_error(tmp_path, make_csv):
    path = make_csv(tmp_path, "Part Number,Qty\nA,1\n")
    with pytest.raises(BomReadError, match="text file"):
        read_bom(path, sheet="BOM")


def test_no_recognisable_header_says_what_was_seen(tmp_path, make_bom):
    path = make_bom(tmp_path, [("a", "b"), ("c", "d")], headers=("Foo", "Bar"))
    with pytest.raises(BomReadError) as info:
        read_bom(path)
    text = str(info.value)
    assert "no header row" in text
    assert "Foo, Bar" in text
    assert "--map" in text


def test_single_known_column_is_not_a_header(tmp_path, make_bom):
    path = make_bom(tmp_path, [("a", "b")], headers=("Description", "Colour"))
    with pytest.raises(BomReadError, match="no header row"):
        read_bom(path)


# --- row numbers ---------------------------------------------------------------------------------


def test_row_numbers_with_blank_rows_between(tmp_path, make_bom):
    rows = [("A", "a", 1), (), ("B", "b", 2), (), (), ("C", "c", 3)]
    raw = read_bom(make_bom(tmp_path, rows))
    by_part = dict(zip(raw.frame["Part Number"], raw.rows.tolist(), strict=True))
    assert by_part["A"] == 2 and by_part["B"] == 4 and by_part["C"] == 7


def test_data_starting_at_row_5(tmp_path, make_bom):
    raw = read_bom(make_bom(tmp_path, ROWS, title_rows=[[], [], [], []]))
    assert raw.header_row == 5
    assert raw.rows.tolist() == [6, 7]


def test_data_starting_at_row_5_column_c(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "BOM"
    sheet["C5"], sheet["D5"] = "Part Number", "Qty"
    sheet["C6"], sheet["D6"] = "A1", 3
    sheet["C8"], sheet["D8"] = "A2", 4
    path = tmp_path / "offset.xlsx"
    workbook.save(path)
    raw = read_bom(path)
    assert raw.header_row == 5
    assert raw.headers == ["Part Number", "Qty"]
    assert dict(zip(raw.frame["Part Number"], raw.rows.tolist(), strict=True)) == {
        "A1": 6,
        "": 7,
        "A2": 8,
    }


# --- merged cells in the data -----------------------------------------------------------------


def test_vertically_merged_text_applies_to_every_row(tmp_path, make_bom):
    rows = [
        ("R1", "Resistor", 1, "Yageo"),
        ("R2", "Resistor", 2, None),
        ("R3", "Resistor", 3, None),
        ("C1", "Capacitor", 4, "Murata"),
    ]
    path = make_bom(
        tmp_path, rows, headers=("Part Number", "Description", "Qty", "Supplier"), merged=["D2:D4"]
    )
    raw = read_bom(path)
    assert raw.frame["Supplier"].tolist() == ["Yageo", "Yageo", "Yageo", "Murata"]


def test_merged_numbers_are_not_copied(tmp_path, make_bom):
    # A quantity merged over two rows is one quantity: copying it would count it twice.
    rows = [("R1", "Resistor", 5), ("R2", "Resistor", None)]
    raw = read_bom(make_bom(tmp_path, rows, merged=["C2:C3"]))
    assert raw.frame["Qty"].tolist() == [5, ""]


# --- delimited text -----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_detected(tmp_path, make_csv, delimiter):
    text = delimiter.join(["Part Number", "Description", "Qty"]) + "\n"
    text += delimiter.join(["007", "Bolt M3", "4"]) + "\n"
    text += delimiter.join(["A-2", "Nut", "8"]) + "\n"
    raw = read_bom(make_csv(tmp_path, text))
    assert raw.delimiter == delimiter
    assert raw.frame["Part Number"].tolist() == ["007", "A-2"]
    assert raw.frame["Qty"].tolist() == ["4", "8"]


def test_tsv_by_suffix(tmp_path, make_csv):
    raw = read_bom(make_csv(tmp_path, "Part Number\tQty\nA, B\t3\n", name="bom.tsv"))
    assert raw.delimiter == "\t"
    assert raw.frame["Part Number"].tolist() == ["A, B"]


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
        ("cp1252", b"", "cp1252"),
    ],
)
def test_encodings(tmp_path, encoding, prefix, expected):
    text = (
        "Part Number,Description,Unit Price\nR1,Résistance 10 kΩ,3,10 €\n"
        if (encoding != "cp1252")
        else "Part Number,Description,Unit Price\nR1,Résistance,3 €\n"
    )
    text = text.replace("3,10 €", '"3,10 €"')
    path = tmp_path / "bom.csv"
    path.write_bytes(prefix + text.encode(encoding))
    raw = read_bom(path)
    assert raw.encoding == expected
    assert raw.headers == ["Part Number", "Description", "Unit Price"]
    assert raw.frame["Description"].iloc[0].startswith("Résistance")
    assert raw.frame["Unit Price"].iloc[0] in {"3,10 €", "3 €"}


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_line_endings(tmp_path, make_csv, newline):
    text = newline.join(["Part Number,Qty", "A,1", "B,2", "", "C,3"]) + newline
    raw = read_bom(make_csv(tmp_path, text))
    assert raw.frame["Part Number"].tolist() == ["A", "B", "", "C"]
    assert raw.rows.tolist() == [2, 3, 4, 5]


def test_mixed_line_endings(tmp_path, make_csv):
    raw = read_bom(make_csv(tmp_path, "Part Number,Qty\r\nA,1\nB,2\rC,3\r\n"))
    assert raw.frame["Part Number"].tolist() == ["A", "B", "C"]
    assert raw.frame["Qty"].tolist() == ["1", "2", "3"]
    assert raw.rows.tolist() == [2, 3, 4]


def test_ragged_rows(tmp_path, make_csv):
    text = "Part Number,Description,Qty\nA,one,1\nB,two\nC,three,3,extra,more\n"
    raw = read_bom(make_csv(tmp_path, text))
    assert raw.frame["Part Number"].tolist() == ["A", "B", "C"]
    assert raw.frame["Qty"].tolist() == ["1", "", "3"]
    assert raw.headers[:3] == ["Part Number", "Description", "Qty"]
    assert raw.frame.iloc[2, 3:].tolist() == ["extra", "more"]
    assert raw.rows.tolist() == [2, 3, 4]


def test_quoted_fields_with_delimiters_and_newlines(tmp_path, make_csv):
    text = 'Part Number,Description,Qty\nA,"Bolt, M3 ""hex""",1\nB,"two\nlines",2\nC,plain,3\n'
    raw = read_bom(make_csv(tmp_path, text))
    assert raw.frame["Description"].tolist() == ['Bolt, M3 "hex"', "two\nlines", "plain"]
    # Rows count records, as a spreadsheet program shows them.
    assert raw.rows.tolist() == [2, 3, 4]


def test_leading_zeros_and_na_text_kept(tmp_path, make_csv):
    raw = read_bom(make_csv(tmp_path, "Part Number,Description,Qty\n007,NA,\n0010,null,2\n"))
    assert raw.frame["Part Number"].tolist() == ["007", "0010"]
    assert raw.frame["Description"].tolist() == ["NA", "null"]
    assert raw.frame["Qty"].tolist() == ["", "2"]


def test_csv_title_lines_above_header(tmp_path, make_csv):
    text = "Widget BOM\nrev B,2024\n\nPart Number,Qty\nA,1\nB,2\n"
    raw = read_bom(make_csv(tmp_path, text))
    assert raw.header_row == 4
    assert raw.rows.tolist() == [5, 6]
    assert raw.frame["Part Number"].tolist() == ["A", "B"]


def test_semicolon_csv_with_decimal_comma(tmp_path, make_csv):
    text = "Part Number;Description;Qty;Unit Price\nA;Bolt;1.234;1.234,56\nB;Nut;2;0,5\n"
    raw = read_bom(make_csv(tmp_path, text, encoding="cp1252"))
    assert raw.delimiter == ";"
    assert raw.frame["Unit Price"].tolist() == ["1.234,56", "0,5"]


def test_duplicate_and_blank_headers_made_unique(tmp_path, make_csv):
    raw = read_bom(make_csv(tmp_path, "Part Number,Qty,Qty,,Notes\nA,1,2,x,n\n"))
    assert raw.headers == ["Part Number", "Qty", "Qty (2)", "column D", "Notes"]
