"""clean_bom: numbers, units, countries, skipped rows and located, coded issues."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from exposure_audit.bom.clean import parse_number, parse_numbers
from exposure_audit.issues import IssueCode

H3 = ("Part Number", "Description", "Qty")


def by_row(bom, column):
    return dict(zip(bom.frame["row"].tolist(), bom.frame[column].tolist(), strict=True))


# --- quantities -----------------------------------------------------------------------------------


def test_quantities(tmp_path, make_bom, load_bom, issues):
    rows = [
        ("A", "a", 4),
        ("B", "b", None),
        ("C", "c", "1,200"),
        ("D", "d", -2),
        ("E", "e", 0),
        ("F", "f", "lots"),
        ("G", "g", "(3)"),
        ("H", "h", "12 pcs"),
    ]
    bom = load_bom(make_bom(tmp_path, rows))
    qty = by_row(bom, "quantity")
    assert qty[2] == 4 and qty[3] == 1 and qty[4] == 1200 and qty[5] == -2 and qty[6] == 0
    assert math.isnan(qty[7]) and qty[8] == -3
    assert issues(bom, "negative-value") == [(5, "Qty", "-2"), (8, "Qty", "-3")]
    assert issues(bom, "zero-quantity") == [(6, "Qty", "0")]
    assert [(r, c) for r, c, _ in issues(bom, "invalid-number")] == [(7, "Qty"), (9, "Qty")]
    valid = by_row(bom, "valid")
    assert [r for r, ok in valid.items() if not ok] == [5, 7, 8, 9]


def test_missing_quantity_column_counts_each_line_once(tmp_path, make_bom, load_bom, issues):
    bom = load_bom(make_bom(tmp_path, [("A", "a"), ("B", "b")], headers=("P/N", "Description")))
    assert bom.frame["quantity"].tolist() == [1.0, 1.0]
    assert issues(bom, "missing-column") == [(None, None, None)]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("nan", None),
        ("inf", None),
        ("-inf", None),
        ("1e400", None),
        ("NaN", None),
        ("Infinity", None),
        ("1e3", 1000.0),
        ("  7 ", 7.0),
        ("+3", 3.0),
        ("1 234", 1234.0),
        ("1'234.5", 1234.5),
        ("−4", None),
    ],
)
def test_text_numbers_in_quantity(tmp_path, make_bom, load_bom, issues, cell, expected):
    bom = load_bom(make_bom(tmp_path, [("A", "a", cell)]))
    qty = bom.frame["quantity"].iloc[0]
    if expected is None:
        assert math.isnan(qty) or qty < 0
        assert not bom.frame["valid"].iloc[0]
    else:
        assert qty == expected
        assert issues(bom, "invalid-number") == []


def test_date_cell_in_a_number_column(tmp_path, make_bom, load_bom, issues):
    bom = load_bom(make_bom(tmp_path, [("A", "a", dt.datetime(2024, 3, 1)), ("B", "b", 2)]))
    assert issues(bom, "date-in-number") == [(2, "Qty", "2024-03-01")]
    assert by_row(bom, "valid") == {2: False, 3: True}


def test_boolean_cell_is_not_a_quantity(tmp_path, make_bom, load_bom, issues):
    bom = load_bom(make_bom(tmp_path, [("A", "a", True)]))
    assert [r for r, _, _ in issues(bom, "invalid-number")] == [2]


# --- costs and currencies -------------------------------------------------------------------------


def test_costs_with_symbols_and_separators(tmp_path, make_bom, load_bom):
    rows = [
        ("A", "a", 2, "$1,234.50"),
        ("B", "b", 1, "€ 3.10"),
        ("C", "c", 3, 0.5),
        ("D", "d", 1, "(12)"),
        ("E", "e", 1, None),
    ]
    bom = load_bom(make_bom(tmp_path, rows, headers=(*H3, "Unit Price")))
    spend = by_row(bom, "spend")
    assert spend[2] == pytest.approx(2469.0)
    assert spend[3] == pytest.approx(3.1)
    assert spend[4] == pytest.approx(1.5)
    assert spend[5] == pytest.approx(-12)
    assert math.isnan(spend[6])
    assert not by_row(bom, "valid")[5]  # a negative cost
    assert bom.currency == "USD"


def test_decimal_comma_column(tmp_path, make_bom, load_bom):
    rows = [("A", "a", 1, "3,10 €"), ("B", "b", 2, "1.234,56 €"), ("C", "c", 1, "0,5")]
    bom = load_bom(make_bom(tmp_path, rows, headers=(*H3, "Unit Price")))
    assert bom.frame["spend"].tolist() == pytest.approx([3.1, 2469.12, 0.5])
    assert bom.currency == "EUR"


def test_semicolon_csv_with_decimal_comma(tmp_path, make_csv, load_bom):
    text = (
        "Part Number;Description;Qty;Unit Price;Total Price\n"
        "A;Bolt;2;1.234,56;2.469,12\nB;Nut;3;0,5;1,5\n"
    )
    bom = load_bom(make_csv(tmp_path, text, encoding="cp1252"))
    assert bom.frame["quantity"].tolist() == [2, 3]
    assert bom.frame["spend"].tolist() == pytest.approx([2469.12, 1.5])


def test_extended_cost_wins_over_unit_cost(tmp_path, make_bom, load_bom):
    rows = [("A", "a", 2, 1.0, 5.0), ("B", "b", 3, 2.0, None)]
    bom = load_bom(make_bom(tmp_path, rows, headers=(*H3, "Unit Price (USD)", "Total Part Cost")))
    assert bom.frame["spend"].tolist() == pytest.approx([5.0, 6.0])
    assert bom.currency == "USD"


# --- masses ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "cell", "kg"),
    [
        ("Mass (g)", 250, 0.25),
        ("Weight [kg]", 2, 2.0),
        ("Unit Wt (lb)", 1, 0.45359237),
        ("Mass (g)", "0.5kg", 0.5),
        ("Weight (kg)", "12 g", 0.012),
        ("Mass (g)", "3 oz", 0.0850486),
        ("Mass (mg)", "1.500", 1.5e-6),
    ],
)
def test_masses_in_kg(tmp_path, make_bom, load_bom, header, cell, kg):
    bom = load_bom(make_bom(tmp_path, [("A", "a", 2, cell)], headers=(*H3, header)))
    assert bom.frame["line_mass_kg"].iloc[0] == pytest.approx(2 * kg, rel=1e-5)
    assert bool(bom.frame["mass_given"].iloc[0])
    assert bool(bom.frame["valid"].iloc[0])


def test_unknown_unit_in_a_cell(tmp_path, make_bom, load_bom, issues):
    bom = load_bom(
        make_bom(tmp_path, [("A", "a", 1, "12 stone"), ("B", "b", 1, "3 g")], headers=(*H3, "Mass"))
    )
    assert issues(bom, "unknown-unit")[0] == (2, "Mass", "12 stone")
    assert by_row(bom, "valid") == {2: False, 3: True}
    assert by_row(bom, "line_mass_kg")[3] == pytest.approx(0.003)


def test_unit_column(tmp_path, make_bom, load_bom, issues):
    rows = [("A", "a", 2, 5, "g"), ("B", "b", 1, 1, "kg"), ("C", "c", 1, 1, "stone")]
    bom = load_bom(make_bom(tmp_path, rows, headers=(*H3, "Weight", "Weight Unit")))
    mass = by_row(bom, "line_mass_kg")
    assert mass[2] == pytest.approx(0.01) and mass[3] == pytest.approx(1.0)
    assert issues(bom, "unknown-unit") == [(4, "Weight Unit", "stone")]
    assert math.isnan(mass[4])
    assert issues(bom, "mass-unit-assumed") == []
    assert not by_row(bom, "valid")[4]


def test_mass_header_without_unit_is_read_as_kg_and_said(tmp_path, make_bom, load_bom, issues):
    bom = load_bom(make_bom(tmp_path, [("A", "a", 1, 2)], headers=(*H3, "Weight")))
    assert bom.frame["line_mass_kg"].iloc[0] == 2
    assert [(r, c) for r, c, _ in issues(bom, "mass-unit-assumed")] == [(None, "Weight")]
    assert issues(bom, "unknown-unit") == []
    assert bool(bom.frame["valid"].iloc[0])


def test_absurd_mass_is_flagged_not_dropped(tmp_path, make_bom, load_bom, issues):
    bom = load_bom(
        make_bom(tmp_path, [("R1", "Resistor 10k", 1, 40_000)], headers=(*H3, "Weight [kg]"))
    )
    assert issues(bom, "implausible-mass") == [(2, "Weight [kg]", "40000")]
    assert bom.frame["line_mass_kg"].iloc[0] == 40_000


def test_quantity_counted_in_a_mass_unit(tmp_path, make_bom, load_bom):
    bom = load_bom(make_bom(tmp_path, [("A", "solder", 250, "g")], headers=(*H3, "UoM")))
    assert bom.frame["line_mass_kg"].iloc[0] == pytest.approx(0.25)


# --- countries ------------------------------------------------------------------------------------


COUNTRIES = [
    ("PRC", "CHN"),
    ("China", "CHN"),
    ("Korea, Republic of", "KOR"),
    ("Viet Nam", "VNM"),
    ("USA", "USA"),
    ("U.S.A.", "USA"),
    ("DE", "DEU"),
    ("JPN", "JPN"),
    ("Türkiye", "TUR"),
    ("Côte d'Ivoire", "CIV"),
    ("Hong Kong", "HKG"),
    ("Taiwan", "TWN"),
    ("Macao", "MAC"),
    ("  china  ", "CHN"),
    ("Atlantis", None),
    ("", None),
]


def test_country_spellings(tmp_path, make_bom, load_bom, issues):
    rows = [(f"P{i}", "x", 1, name) for i, (name, _) in enumerate(COUNTRIES)]
    bom = load_bom(make_bom(tmp_path, rows, headers=(*H3, "Country of Origin")))
    # Countries are a Categorical of ISO codes: a missing one reads NaN.
    codes = bom.frame["supplier_country"]
    assert codes.astype(object).where(codes.notna(), None).tolist() == [c for _, c in COUNTRIES]
    atlantis = 2 + [n for n, _ in COUNTRIES].index("Atlantis")
    assert issues(bom, "unknown-country") == [(atlantis, "Country of Origin", "Atlantis")]
    assert bool(by_row(bom, "valid")[atlantis])  # a warning, not an error


def test_country_aliases_win(tmp_path, make_bom, load_bom):
    rows = [("A", "a", 1, "Atlantis"), ("B", "b", 1, "PRC")]
    bom = load_bom(
        make_bom(tmp_path, rows, headers=(*H3, "COO")), aliases={"Atlantis": "GRC", "PRC": "TWN"}
    )
    assert bom.frame["supplier_country"].tolist() == ["GRC", "TWN"]


def test_smelter_and_mining_countries(tmp_path, make_bom, load_bom):
    rows = [("A", "a", 1, "Chile", "China")]
    bom = load_bom(make_bom(tmp_path, rows, headers=(*H3, "Mining Country", "Smelter Country")))
    assert bom.frame["mining_country"].tolist() == ["CHL"]
    assert bom.frame["processing_country"].tolist() == ["CHN"]


# --- rows skipped ---------------------------------------------------------------------------------


def test_blank_total_and_repeated_header_rows_skipped(tmp_path, make_bom, load_bom):
    rows = [
        ("A", "a", 1, 2.0),
        (),
        ("B", "b", 2, 3.0),
        ("Part Number", "Description", "Qty", "Unit Price"),
        ("C", "c", 1, 1.0),
        (None, "Subtotal", None, 9.0),
        (None, None, None, None),
        ("", "TOTAL", "", 10.0),
    ]
    bom = load_bom(make_bom(tmp_path, rows, headers=(*H3, "Unit Price")))
    assert bom.frame["part_number"].tolist() == ["A", "B", "C"]
    assert bom.frame["row"].tolist() == [2, 4, 6]
    assert bom.skipped_rows == 5


def test_a_part_called_total_with_a_quantity_is_kept(tmp_path, make_bom, load_bom):
    bom = load_bom(make_bom(tmp_path, [("T1", "Total", 3)]))
    assert bom.frame["part_number"].tolist() == ["T1"]
    assert bom.skipped_rows == 0


def test_cost_column_that_sums_to_the_total_row_is_line_totals(
    tmp_path, make_bom, load_bom, issues
):
    rows = [("A", "a", 2, 10.0), ("B", "b", 3, 6.0), (None, "Total", None, 16.0)]
    bom = load_bom(make_bom(tmp_path, rows, headers=(*H3, "Cost")))
    assert bom.cost_is_total
    assert bom.frame["spend"].tolist() == [10.0, 6.0]
    assert [c for _, c, _ in issues(bom, "cost-column-is-total")] == ["Cost"]


def test_cost_column_that_does_not_sum_is_unit_prices(tmp_path, make_bom, load_bom):
    rows = [("A", "a", 2, 10.0), ("B", "b", 3, 6.0), (None, "Total", None, 38.0)]
    bom = load_bom(make_bom(tmp_path, rows, headers=(*H3, "Cost")))
    assert not bom.cost_is_total
    assert bom.frame["spend"].tolist() == [20.0, 18.0]


# --- text, duplicates, extra columns --------------------------------------------------------------


def test_part_numbers_keep_their_text(tmp_path, make_bom, load_bom):
    rows = [("007", "a", 1), (123, "b", 1), (4.5, "c", 1), (" X-1 ", "d", 1)]
    bom = load_bom(make_bom(tmp_path, rows))
    assert bom.frame["part_number"].tolist() == ["007", "123", "4.5", "X-1"]


def test_duplicate_part_numbers_are_info(tmp_path, make_bom, load_bom, issues):
    rows = [("A", "a", 1), ("B", "b", 1), ("A", "a again", 2)]
    bom = load_bom(make_bom(tmp_path, rows))
    assert issues(bom, "duplicate-part") == [(2, "Part Number", "A"), (4, "Part Number", "A")]
    assert bom.frame["valid"].all()


def test_several_text_columns_feed_the_mapping_text(tmp_path, make_bom, load_bom):
    rows = [("A", "NdFeB Magnet", "N52", "Rotor", 1)]
    headers = ("P/N", "Component", "Specification", "Category", "Qty")
    bom = load_bom(make_bom(tmp_path, rows, headers=headers))
    assert bom.frame["description"].iloc[0] == "NdFeB Magnet — N52"
    assert bom.frame["notes"].iloc[0] == "Rotor"
    assert bom.frame["text"].iloc[0] == "ndfeb magnet | n52 | rotor"


def test_extra_and_duplicate_columns_kept(tmp_path, make_bom, load_bom, issues):
    rows = [("A", "a", 1, "red", 9)]
    bom = load_bom(make_bom(tmp_path, rows, headers=(*H3, "Colour", "Quantity")))
    assert bom.extra_columns == ["Colour", "Quantity"]
    assert bom.frame["extra:Colour"].tolist() == ["red"]
    assert bom.frame["extra:Quantity"].tolist() == ["9"]
    assert issues(bom, "unknown-column") == [(None, "Colour", None)]
    assert issues(bom, "duplicate-column") == [(None, "Quantity", None)]


def test_control_characters_removed_and_reported(tmp_path, make_csv, load_bom, issues):
    bom = load_bom(make_csv(tmp_path, "Part Number,Description,Qty\nA,evil\x1b[31m red,1\n"))
    assert bom.frame["description"].iloc[0] == "evil[31m red"
    assert issues(bom, "control-characters") == [(2, "Description", "evil\\x1b[31m red")]


def test_merged_supplier_cell_applies_to_every_row(tmp_path, make_bom, load_bom):
    rows = [("R1", "r", 1, "Yageo"), ("R2", "r", 1, None), ("C1", "c", 1, "Murata")]
    bom = load_bom(make_bom(tmp_path, rows, headers=(*H3, "Supplier"), merged=["D2:D3"]))
    assert bom.frame["supplier"].tolist() == ["Yageo", "Yageo", "Murata"]


# --- every issue is located and coded -------------------------------------------------------------


def test_every_issue_has_a_known_code_row_and_the_users_header(tmp_path, make_bom, load_bom):
    rows = [("A", "a", "x", "12 stone", "Atlantis", "$-1"), ("A", "b", -1, 5, "PRC", 2)]
    headers = ("P/N", "Item Description", "Qty.", "Unit Wt (lb)", "COO", "Unit Price")
    bom = load_bom(make_bom(tmp_path, rows, headers=headers, title_rows=["My BOM", []]))
    models, counts = bom.issues.to_models()
    codes = {c.value for c in IssueCode}
    located = [m for m in models if m.row is not None]
    assert located and all(m.code in codes for m in models)
    assert {m.row for m in located} == {4, 5}
    assert {m.column for m in located} <= set(headers)
    assert all("{value}" not in m.message for m in models)
    errors = {m.row for m in located if m.severity == "error"}
    assert errors == {4, 5}
    assert not bom.frame["valid"].any()
    assert sum(counts.values()) == len(models)


# --- parse_number / parse_numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "comma", "value"),
    [
        ("$1,234.50", False, 1234.5),
        ("3,10 €", True, 3.1),
        ("3,10", False, 3.1),
        ("(5)", False, -5),
        ("1.234,56", True, 1234.56),
        ("12", False, 12),
        ("", False, None),
        ("abc", False, None),
        ("1e400", False, None),
        ("nan", False, None),
        ("USD 42", False, 42),
        ("42 EUR", False, 42),
        ("1,234,567", False, 1234567),
        ("-0.5", False, -0.5),
        ("1.2.3", False, None),
    ],
)
def test_parse_number(text, comma, value):
    result = parse_number(text, decimal_comma=comma)
    if value is None:
        assert result is None or math.isinf(result)
    else:
        assert result == pytest.approx(value)


def test_parse_numbers_mixed_object_column():
    series = pd.Series(
        ["1", 2.0, None, "", "x", dt.date(2024, 1, 1), float("nan"), "1e400"], dtype=object
    )
    values, bad = parse_numbers(series)
    assert values.iloc[:2].tolist() == [1.0, 2.0]
    assert values.iloc[2:].isna().all()
    assert bad.tolist() == [False, False, False, False, True, True, False, True]


def test_parse_numbers_string_dtype_column():
    values, bad = parse_numbers(pd.Series(["1", "2,5", ""], dtype="str"))
    assert values.iloc[:2].tolist() == [1.0, 2.5]
    assert not bad.any()
