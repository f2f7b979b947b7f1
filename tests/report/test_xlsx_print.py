"""The workbook as a consultant prints and reads it, read back with openpyxl: print set-up,
human headers with units, currency and percent formats, charts, the executive summary, and
every Lines cell equal to the flat table (the XML fast path writes what xlsxwriter would)."""

from __future__ import annotations

import copy
import io
import math
from pathlib import Path

import openpyxl
import pytest

from exposure_audit.api import Options, audit
from exposure_audit.report import formatter
from exposure_audit.report.base import excel_money_format, flatten, fmt_money
from exposure_audit.report.xlsx_sheet import clean_cell, col_name, header_label

ROOT = Path(__file__).resolve().parents[2]
EV = ROOT / "examples" / "ev_battery_pack.xlsx"
TABLES = ["Minerals", "Lines", "Findings", "Actions", "Unmapped", "Sources"]


@pytest.fixture(scope="module")
def ev_result():
    import datetime as dt

    return audit(EV, Options(as_of=dt.date(2026, 12, 7)))


@pytest.fixture(scope="module")
def ev_book(ev_result):
    return openpyxl.load_workbook(io.BytesIO(formatter("xlsx").render(ev_result)))


def test_every_sheet_prints_landscape_one_page_wide_with_its_header(ev_book):
    for ws in ev_book:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (setup.fitToWidth or 1) == 1, ws.title  # openpyxl reads the default 1 as None
        assert ws.print_area, ws.title
    for name in TABLES:
        ws = ev_book[name]
        assert ws.print_title_rows == "$1:$1", name  # the header row on every page
        assert ws.page_setup.fitToHeight == 0, name  # as many pages tall as needed
        area = ws.print_area.replace("$", "").split("!")[1]
        assert area == f"A1:{col_name(ws.max_column - 1)}{ws.max_row}", name


def test_summary_prints_on_one_page_with_its_charts(ev_book):
    ws = ev_book["Summary"]
    assert (ws.page_setup.fitToHeight or 1) == 1 and (ws.page_setup.fitToWidth or 1) == 1
    area = ws.print_area.replace("$", "").split("!")[1]
    last_col = area.split(":")[1].rstrip("0123456789")
    chart_cols = [c.anchor._from.col for c in ws._charts]
    assert len(chart_cols) == 2
    assert all(col < openpyxl.utils.column_index_from_string(last_col) for col in chart_cols)


def test_summary_opens_with_the_executive_summary(ev_book, ev_result):
    rows = list(ev_book["Summary"].iter_rows(max_col=2, values_only=True))
    labels = [r[0] for r in rows]
    assert labels[:5] == ["Exposure audit", "Headline", "At stake", "Coverage status", "Data date"]
    drivers = [r for r in rows if r[0] and r[0][:2] == "1."]
    assert drivers and "Action:" in drivers[0][1]
    # footnotes cited by the drivers are listed once, numbered
    notes = [r[1] for r in rows if r[0] and r[0].startswith("[")]
    assert notes and len(notes) == len(set(notes))
    assert "$" in {r[0]: r[1] for r in rows}["At stake"]


def test_headers_are_words_with_units(ev_book):
    header = [c.value for c in ev_book["Lines"][1]]
    for expected in ("China touch (%)", "Mass (kg)", "Spend (USD)", "Part number"):
        assert expected in header
    assert "china_touch" not in header and "mass_kg" not in header
    minerals = [c.value for c in ev_book["Minerals"][1]]
    assert "HHI mining (0-10,000)" in minerals and "FEOC processing (%)" in minerals


def test_number_formats_for_money_shares_and_mass(ev_book):
    ws = ev_book["Lines"]
    header = [c.value for c in ws[1]]

    def fmt(name):
        col = header.index(name) + 1
        cells = [ws.cell(r, col) for r in range(2, ws.max_row + 1)]
        return {c.number_format for c in cells if isinstance(c.value, int | float)}

    assert fmt("Spend (USD)") == {'"$"#,##0.00'}
    assert fmt("China touch (%)") == {"0.0%"}
    assert fmt("Mass (kg)") == {"0.000000"}
    items = {r[0].value: r[1] for r in ev_book["Summary"].iter_rows(max_col=2) if r[0].value}
    assert items["Value at risk"].number_format == '"$"#,##0.00'
    assert items["Coverage"].number_format == "0.0%"


@pytest.mark.parametrize(
    ("currency", "text", "excel"),
    [
        ("USD", "$1,234.50", '"$"#,##0.00'),
        ("EUR", "€1,234.50", '"€"#,##0.00'),
        ("CHF", "1,234.50 CHF", '#,##0.00" CHF"'),
        ("mixed", "1,234.50 mixed", '#,##0.00" mixed"'),
        (None, "1,234.50", "#,##0.00"),
    ],
)
def test_one_currency_formatter_for_text_and_cells(currency, text, excel):
    assert fmt_money(1234.5, currency) == text
    assert excel_money_format(currency) == excel


def test_workbook_uses_the_boms_currency(ev_result):
    result = copy.copy(ev_result)
    result.report = ev_result.report.model_copy(update={"currency": "EUR"})
    book = openpyxl.load_workbook(io.BytesIO(formatter("xlsx").render(result)))
    header = [c.value for c in book["Lines"][1]]
    assert "Spend (EUR)" in header
    col = header.index("Spend (EUR)") + 1
    assert book["Lines"].cell(2, col).number_format == '"€"#,##0.00'


def test_native_charts_put_the_most_at_stake_first(ev_book, ev_result):
    from exposure_audit.report.model import mineral_stake

    ws = ev_book["Minerals"]
    assert {type(c).__name__ for c in ws._charts} == {"BarChart"}
    assert {type(c).__name__ for c in ev_book["Summary"]._charts} == {"BarChart", "PieChart"}
    names = [r[0] for r in ws.iter_rows(min_row=2, max_col=1, values_only=True) if r[0]]
    ranked = [m["mineral"] for m in sorted(ev_result.report.minerals, key=mineral_stake)]
    assert names == ranked


def test_lines_cells_equal_the_flat_table(hostile_result):
    book = openpyxl.load_workbook(io.BytesIO(formatter("xlsx").render(hostile_result)))
    ws = book["Lines"]
    flat = flatten(hostile_result)
    got = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(got) == len(flat)
    for row, (_, expected) in zip(got, flat.iterrows(), strict=True):
        for value, want in zip(row, expected.tolist(), strict=True):
            want = clean_cell(want)
            if isinstance(want, float):
                assert value == pytest.approx(want, rel=1e-15), (row, want)
            else:
                assert value == want, (row, want)
    assert header_label("extra:Notes") == "Notes"


def test_nan_and_infinity_stay_empty_cells():
    assert clean_cell(math.nan) is None and clean_cell(math.inf) is None
    assert clean_cell("=1+1") == "'=1+1"


def test_the_xml_fast_path_writes_what_xlsxwriter_writes():
    import pandas as pd
    import xlsxwriter

    from exposure_audit.report.xlsx_sheet import EXCEL_MAX_ROWS, PCT, Book, Sheet

    columns = {
        "description": pd.Series(
            ["_x0041_ text", " lead", "a&b<c>", "tail ", "=1+2", "\x07bell", None, "ok", "é"],
            dtype=object,
        ),
        "china_touch": pd.Series([0.5, math.nan, math.inf, 1e-9, 0, 1, 2.5e15, -0.0, 0.3]),
        "row": pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9]),
        "mass_estimated": pd.Series([True, False, None, 1, 2.5, "x", None, True, None]),
    }
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_urls": False})
    book = Book(workbook, "USD")
    fast = Sheet(book, "Fast", list(columns), formats={"china_touch": PCT})
    fast.write_columns(list(columns.values()), EXCEL_MAX_ROWS)
    slow = Sheet(book, "Slow", list(columns), formats={"china_touch": PCT})
    for i in range(9):
        slow.append([c.iloc[i] for c in columns.values()])
    workbook.close()
    book_read = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    cells = {
        name: [(c.value, c.number_format, c.data_type) for row in book_read[name] for c in row]
        for name in ("Fast", "Slow")
    }
    assert cells["Fast"] == cells["Slow"]
    assert book_read["Fast"].max_row == 10
