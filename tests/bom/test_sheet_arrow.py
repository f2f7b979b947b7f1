"""`bom.sheet_arrow`: the fastexcel read of an .xlsx, and the cases it leaves to the typed path.

The conftest runs every reader test on both paths; here each case checks that `read_sheet`
itself takes or declines the sheet, and that what it takes reads exactly as the typed cells do.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exposure_audit.bom import sheet_arrow
from exposure_audit.bom.clean import CleanBom, clean_bom
from exposure_audit.bom.columns import match_columns
from exposure_audit.bom.read import read_bom
from exposure_audit.bom.sheet_arrow import ArrowSheet, _merged_rows

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HEADERS = ["Part Number", "Description", "Material", "Qty"]


@pytest.fixture(params=["direct"])
def reader_path(request: pytest.FixtureRequest) -> str:
    """These tests pick the path themselves: one run each, not the conftest's three."""
    return request.param


def _load(path: Path, sheet: str | None = None) -> CleanBom:
    raw = read_bom(path, sheet=sheet)
    return clean_bom(raw, match_columns(raw.headers))


def _typed(path: Path, monkeypatch: pytest.MonkeyPatch, sheet: str | None = None) -> CleanBom:
    with monkeypatch.context() as patch:
        patch.setattr(sheet_arrow, "read_sheet", lambda path, sheet=None: None)
        return _load(path, sheet)


def assert_same_bom(arrow: CleanBom, typed: CleanBom) -> None:
    """The same lines, values (numbers to 1e-9 relative: fastexcel writes nine decimals) and
    issues."""
    pd.testing.assert_frame_equal(arrow.frame, typed.frame, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(arrow.issues.frame(), typed.issues.frame())
    assert arrow.extra_columns == typed.extra_columns
    assert arrow.skipped_rows == typed.skipped_rows


# --- what the fast path takes ------------------------------------------------------------------


def test_plain_sheet_read_as_text_columns(tmp_path, make_bom):
    path = make_bom(tmp_path, [["P-1", "Magnet", "NdFeB", 2], ["P-2", "Cell", "Li", 1.5]], HEADERS)
    got = sheet_arrow.read_sheet(path)
    assert isinstance(got, ArrowSheet)
    assert (got.name, got.header_row, got.headers) == ("BOM", 1, HEADERS)
    assert got.table.column("f3").to_pylist() == ["2", "1.5"]
    assert set(got.encoded) == set(HEADERS)  # every column here is a BOM field
    raw = read_bom(path)
    assert raw.encoded is not None and raw.frame["Qty"].tolist() == ["2", "1.5"]


@pytest.mark.parametrize(
    ("merged", "title_rows", "rows"),
    [
        (["A1:D1"], ["Bill of materials, rev B"], [["P-1", "Magnet", "NdFeB", 2]]),
        (["B2:C2"], [], [["P-1", "Magnet", None, 2]]),  # across one line: nothing to fill down
    ],
    ids=["merged-title-above-header", "horizontal-merge-in-body"],
)
def test_merges_that_fill_nothing_down_stay_on_the_fast_path(
    tmp_path, make_bom, monkeypatch, merged, title_rows, rows
):
    path = make_bom(tmp_path, rows, HEADERS, title_rows=title_rows, merged=merged)
    assert isinstance(sheet_arrow.read_sheet(path), ArrowSheet)
    assert_same_bom(_load(path), _typed(path, monkeypatch))


def test_leading_blank_rows_and_columns_keep_sheet_row_numbers(tmp_path, monkeypatch):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "BOM"
    # The table starts at C4: rows 1-3 and columns A-B are empty, as in many exported files.
    for r, row in enumerate([HEADERS, ["P-1", "Magnet", "NdFeB", 2], ["P-2", "Cell", "Li", 3]]):
        for c, value in enumerate(row):
            sheet.cell(row=4 + r, column=3 + c, value=value)
    path = tmp_path / "offset.xlsx"
    workbook.save(path)

    got = sheet_arrow.read_sheet(path)
    assert isinstance(got, ArrowSheet) and got.header_row == 4
    raw = read_bom(path)
    assert raw.header_row == 4 and raw.rows.tolist() == [5, 6]
    bom = _load(path)
    assert bom.frame["row"].tolist() == [5, 6]
    assert bom.frame["quantity"].tolist() == [2, 3]
    assert_same_bom(bom, _typed(path, monkeypatch))


def test_first_sheet_with_a_header_is_taken(tmp_path, make_bom):
    path = make_bom(
        tmp_path,
        [["P-1", "Magnet", "NdFeB", 2]],
        HEADERS,
        extra_sheets=[("Cover", [["Acme Corp"], ["Confidential"]]), ("Empty BOM", [HEADERS])],
    )
    got = sheet_arrow.read_sheet(path)
    # The cover has no header and the second sheet only a header: both passed over, as the
    # typed path does.
    assert isinstance(got, ArrowSheet) and got.name == "BOM"
    assert got.sheets == ["Cover", "Empty BOM", "BOM"]
    assert sheet_arrow.read_sheet(path, sheet="Cover") is None
    assert sheet_arrow.read_sheet(path, sheet="Missing") is None


# --- what it leaves to the typed path ----------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "merged"),
    [
        ([["P-1", "Magnet", "NdFeB", 2], ["P-2", "Cell", datetime.datetime(2024, 1, 5), 1]], []),
        ([["P-1", "Magnet", "NdFeB", True]], []),
        ([["P-1", "Magnet", "NdFeB", 12345678901234567]], []),
        ([["P-1", "Magnet", "NdFeB", 0.00001]], []),
        ([["P-1", "Magnet", "NdFeB", -0.0]], []),
        ([["P-1", "Magnet", "NdFeB", "3,10"], ["P-2", "Cell", "Li", 2]], []),
        ([["P-1", "Magnet", "NdFeB", 2], ["P-2", None, "NdFeB", 2]], ["B2:B3"]),
    ],
    ids=[
        "date",
        "checkbox",
        "16-digit-integer",
        "below-1e-4",
        "minus-zero",
        "decimal-comma",
        "vertical-merge",
    ],
)
def test_cells_that_would_read_differently_go_to_the_typed_path(
    tmp_path, make_bom, monkeypatch, rows, merged
):
    path = make_bom(tmp_path, rows, HEADERS, merged=merged)
    assert sheet_arrow.read_sheet(path) is None
    # ... and read_bom still reads them, the typed way.
    assert_same_bom(_load(path), _typed(path, monkeypatch))


def test_decimal_comma_in_a_text_column_is_not_a_reason_to_fall_back(tmp_path, make_bom):
    path = make_bom(tmp_path, [["P-1", "Magnet 3,10 mm", "NdFeB", 3]], HEADERS)
    assert isinstance(sheet_arrow.read_sheet(path), ArrowSheet)


def test_no_plain_xlsx_is_none(tmp_path, make_csv):
    assert sheet_arrow.read_sheet(make_csv(tmp_path, "Part Number,Qty\nP-1,2\n")) is None
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert sheet_arrow.read_sheet(broken) is None


def test_merged_rows_are_read_from_the_sheet_xml(tmp_path, make_bom):
    path = make_bom(
        tmp_path,
        [["P-1", "Magnet", "NdFeB", 2], ["P-2", None, None, 2], ["P-3", "Cell", "Li", 1]],
        HEADERS,
        title_rows=["Title"],
        merged=["A1:D1", "B3:B4", "C5"],
        extra_sheets=[("Cover", [["x"]])],
    )
    # Sheet 1 (the second) is the BOM; rows are 0-based (top, bottom).
    assert sorted(_merged_rows(path, 1)) == [(0, 0), (2, 3), (4, 4)]
    assert _merged_rows(path, 0) == []
    assert _merged_rows(path, 5) is None


# --- the same result either way ----------------------------------------------------------------


def _spreadsheets() -> list[Path]:
    shared = EXAMPLES.parents[1] / "shared" / "real-boms"
    found = sorted(EXAMPLES.glob("*.xlsx"))
    return found + (sorted(shared.glob("*.xlsx")) if shared.is_dir() else [])


@pytest.mark.parametrize("path", _spreadsheets(), ids=lambda p: p.name)
def test_examples_and_real_boms_read_the_same_either_way(path, monkeypatch):
    # All of them are plain enough for the fast path; the comparison would be empty otherwise.
    assert isinstance(sheet_arrow.read_sheet(path), ArrowSheet)
    assert_same_bom(_load(path), _typed(path, monkeypatch))


# No leading "=": openpyxl would write a formula.
_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=12
).filter(lambda t: not t.startswith("="))
_number = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    # At most six decimals: what a BOM holds (fastexcel writes nine; see the module).
    st.integers(min_value=-(10**12), max_value=10**12).map(lambda i: i / 10**6),
    st.integers(min_value=0, max_value=10**6).map(lambda i: i / 1000),
)
_cell = st.one_of(st.none(), _text, _number)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(_cell, _text, _cell, st.one_of(_number, _text, st.none())), min_size=1, max_size=6
    )
)
def test_any_sheet_reads_the_same_either_way(tmp_path_factory, make_bom, monkeypatch, rows):
    path = make_bom(tmp_path_factory.mktemp("prop"), [list(r) for r in rows], HEADERS)
    try:
        arrow = _load(path)
    except Exception as exc:  # noqa: BLE001 - e.g. no line left: the typed path must agree
        with pytest.raises(type(exc)) as typed_error:
            _typed(path, monkeypatch)
        assert str(typed_error.value) == str(exc)
        return
    assert_same_bom(arrow, _typed(path, monkeypatch))
