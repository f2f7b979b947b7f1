"""Numbers a hostile or careless BOM holds: huge values, overflowing products, and separators
that read two ways ("1,000" vs "1,5"), each reported where it is, never guessed silently."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from exposure_audit.cli.app import app

HEADER = "Part Number,Description,Material,Quantity,Mass (kg),Unit Cost\n"


def _csv(tmp_path, body: str, name: str = "bom.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def by_row(bom, column):
    return dict(zip(bom.frame["row"].tolist(), bom.frame[column].tolist(), strict=True))


def test_1e308_times_a_price_is_an_issue_not_a_crash(tmp_path):
    path = _csv(
        tmp_path,
        "P-1,Magnet,Sintered NdFeB,1e308,0.1,1e308\nP-2,Magnet,Sintered NdFeB,2,1e308,3\n"
        "P-3,Magnet,Sintered NdFeB,2,0.1,3\n",
    )
    done = CliRunner().invoke(app, ["audit", str(path), "-f", "json", "--as-of", "2026-11-28"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    found = [
        (i["row"], i["column"])
        for i in report["issues"]["listed"]
        if i["code"] == "number-out-of-range"
    ]
    assert found == [(2, "Quantity"), (2, "Unit Cost"), (3, "Mass (kg)")]
    assert report["input"]["mapped_rows"] == 1  # only the sound line is scored
    assert math.isfinite(report["summary"]["exposure"])


def test_a_product_beyond_the_range_makes_its_line_invalid(tmp_path, load_bom, issues):
    path = _csv(tmp_path, "P-1,Magnet,NdFeB,1e10,1e10,1e10\nP-2,Magnet,NdFeB,2,0.5,3\n")
    bom = load_bom(path)
    assert [(r, c) for r, c, _ in issues(bom, "number-out-of-range")] == [
        (2, "Mass (kg)"),
        (2, "Unit Cost"),
    ]
    valid = by_row(bom, "valid")
    assert not valid[2] and valid[3]
    assert math.isnan(by_row(bom, "spend")[2]) and by_row(bom, "spend")[3] == 6.0


def test_a_huge_spreadsheet_number_is_out_of_range(tmp_path, make_bom, load_bom, issues):
    rows = [("A", "a", 1e300), ("B", "b", 3)]
    bom = load_bom(make_bom(tmp_path, rows))
    assert [(r, c) for r, c, _ in issues(bom, "number-out-of-range")] == [(2, "Qty")]
    assert issues(bom, "invalid-number") == []


def test_1000_next_to_a_decimal_comma_is_reported_once_with_the_choice(tmp_path, load_bom):
    path = _csv(
        tmp_path, 'P-1,M,NdFeB,"1,000",1,1\nP-2,M,NdFeB,"1,5",1,1\nP-3,M,NdFeB,"2,000",1,1\n'
    )
    bom = load_bom(path)
    assert by_row(bom, "quantity") == {2: 1.0, 3: 1.5, 4: 2.0}
    frame = bom.issues.frame()
    found = frame[frame["code"] == "ambiguous-number"]
    assert len(found) == 1  # once per column, not once per cell
    issue = found.iloc[0]
    assert (int(issue["row"]), issue["column"], issue["value"]) == (2, "Quantity", "1,000")
    assert "read as 1 " in issue["message"] and "1 more" in issue["message"]
    assert "1000 or 1" in issue["message"]


def test_1000_alone_is_read_as_a_thousand_and_said_so(tmp_path, load_bom, issues):
    path = _csv(tmp_path, 'P-1,M,NdFeB,"1,000",1,1\nP-2,M,NdFeB,2,1,1\n')
    bom = load_bom(path)
    assert by_row(bom, "quantity") == {2: 1000.0, 3: 2.0}
    (found,) = issues(bom, "ambiguous-number")
    assert found[:2] == (2, "Quantity")


def test_a_thousands_dot_in_a_decimal_comma_column(tmp_path, load_bom, issues):
    path = _csv(tmp_path, 'P-1,M,NdFeB,1,1,"1.500"\nP-2,M,NdFeB,1,1,"2,5"\n')
    bom = load_bom(path)
    assert by_row(bom, "spend") == {2: 1500.0, 3: 2.5}
    assert [r[:2] for r in issues(bom, "ambiguous-number")] == [(2, "Unit Cost")]


def test_unambiguous_separators_raise_nothing(tmp_path, load_bom, issues):
    path = _csv(
        tmp_path,
        'P-1,M,NdFeB,"1,234,567",0.5,"1,234.50"\nP-2,M,NdFeB,12,"0,25",3\nP-3,M,NdFeB,3,1.5,0.125\n',
    )
    bom = load_bom(path)
    assert by_row(bom, "quantity") == {2: 1234567.0, 3: 12.0, 4: 3.0}
    assert issues(bom, "ambiguous-number") == []


_NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["1,000", "1,5", "1.500", "1e308", "-1e308", "1e16", "9" * 400, ""]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_NUMBER_TEXT, _NUMBER_TEXT, _NUMBER_TEXT), min_size=1, max_size=8))
def test_cleaned_numbers_are_finite_and_in_range(cells):
    """Whatever the cells, every quantity, mass and spend the engine gets is NaN or a finite
    number within the range, so no later product or sum can overflow."""
    import numpy as np
    import pandas as pd

    from exposure_audit.bom.clean import MAX_MAGNITUDE, clean_bom
    from exposure_audit.bom.columns import match_columns
    from exposure_audit.bom.read import RawTable

    headers = ["Part Number", "Description", "Qty", "Mass (kg)", "Unit Price"]
    frame = pd.DataFrame(
        [[f"P{i}", "magnet", *row] for i, row in enumerate(cells)], columns=headers, dtype=object
    )
    raw = RawTable("bom.csv", "csv", frame, np.arange(2, 2 + len(frame)), 1)
    bom = clean_bom(raw, match_columns(headers))
    for column in ("quantity", "line_mass_kg", "spend"):
        values = bom.frame[column].to_numpy(dtype=float)
        known = values[~np.isnan(values)]
        assert np.isfinite(known).all() and (np.abs(known) <= MAX_MAGNITUDE).all(), column
