"""Column recognition: synonyms, units and currency from headers, --map overrides."""

from __future__ import annotations

import pytest

from exposure_audit.bom.columns import (
    SYNONYMS,
    classify_header,
    header_score,
    match_columns,
    parse_map_options,
)
from exposure_audit.errors import UsageError

LB = 0.45359237


@pytest.mark.parametrize(
    ("header", "field", "unit", "currency"),
    [
        ("P/N", "part_number", None, None),
        ("Part No.", "part_number", None, None),
        ("part number", "part_number", None, None),
        ("Mfr Part Number", "mpn", None, None),
        ("MPN", "mpn", None, None),
        ("Qty.", "quantity", None, None),
        ("QTY", "quantity", None, None),
        ("Quantity per", "quantity", None, None),
        ("Qty per assy", "quantity", None, None),
        ("Item Description", "description", None, None),
        ("Part Name", "description", None, None),
        ("Country of Origin", "supplier_country", None, None),
        ("COO", "supplier_country", None, None),
        ("C.O.O.", "supplier_country", None, None),
        ("Smelter Country", "processing_country", None, None),
        ("Mining Country", "mining_country", None, None),
        ("Mass (g)", "unit_mass", 1e-3, None),
        ("Weight [kg]", "unit_mass", 1.0, None),
        ("Unit Wt (lb)", "unit_mass", LB, None),
        ("Mass, g", "unit_mass", 1e-3, None),
        ("Mass [mg]", "unit_mass", 1e-6, None),
        ("Weight(oz)", "unit_mass", 0.028349523125, None),
        ("Total Weight (kg)", "total_mass", 1.0, None),
        ("Cost Per (Part/Gram)", "unit_cost", None, None),
        ("Total Part Cost", "extended_cost", None, None),
        ("Ext. Price", "extended_cost", None, None),
        ("Unit Price (USD)", "unit_cost", None, "USD"),
        ("Price ($)", "unit_cost", None, "USD"),
        ("Cost (€)", "unit_cost", None, "EUR"),
        ("Price RMB", "unit_cost", None, "CNY"),
        ("Manufacturer", "manufacturer", None, None),
        ("CAS No.", "cas_number", None, None),
        ("Material", "material", None, None),
        ("Currency", "currency", None, None),
        ("UoM", "quantity_unit", None, None),
        ("Colour", None, None, None),
        ("", None, None, None),
    ],
)
def test_classify_header(header, field, unit, currency):
    name, factor, cur = classify_header(header)
    assert name == field
    assert factor == (pytest.approx(unit) if unit is not None else None)
    assert cur == currency


def test_every_synonym_classifies_to_its_field():
    wrong = {
        s: f for f, spellings in SYNONYMS.items() for s in spellings if classify_header(s)[0] != f
    }
    # A few spellings sit in two fields' lists; the first listed wins. None may be lost.
    assert all(classify_header(s)[0] is not None for s in wrong), wrong


def test_match_columns_real_world_headers():
    headers = [
        "Item No.",
        "Category",
        "Component",
        "Specification",
        "Qty.",
        "Unit",
        "Purpose",
        "Notes",
        "Unit Wt (lb)",
        "COO",
        "Unit Price (USD)",
    ]
    columns = match_columns(headers)
    assert columns.fields["part_number"] == "Item No."
    assert columns.fields["quantity"] == "Qty."
    assert columns.fields["quantity_unit"] == "Unit"
    assert columns.fields["unit_mass"] == "Unit Wt (lb)"
    assert columns.fields["supplier_country"] == "COO"
    assert columns.fields["unit_cost"] == "Unit Price (USD)"
    assert columns.mass_unit == {"unit_mass": pytest.approx(LB)}
    assert columns.currency == "USD"
    assert columns.text == {
        "description": ["Component", "Specification"],
        "notes": ["Category", "Notes"],
    }
    assert columns.unmatched == ["Purpose"]


def test_second_column_of_a_field_is_a_duplicate():
    columns = match_columns(["Part Number", "Qty", "Quantity"])
    assert columns.fields["quantity"] == "Qty"
    assert columns.duplicates == {"Quantity": "quantity"}
    assert "Quantity" in columns.unmatched


def test_map_override_wins_and_takes_the_unit():
    headers = ["Part Number", "Qty", "Gewicht in Gramm", "Weight (kg)"]
    columns = match_columns(headers, {"unit_mass": "Gewicht in Gramm", "quantity": "Qty"})
    assert columns.fields["unit_mass"] == "Gewicht in Gramm"
    assert "unit_mass" not in columns.mass_unit  # no unit in that header
    assert "Weight (kg)" in columns.unmatched
    columns = match_columns(["Part Number", "Qty", "Mass (g)", "Text"], {"description": "Text"})
    assert columns.text["description"] == ["Text"]
    assert columns.mass_unit["unit_mass"] == pytest.approx(1e-3)


def test_map_header_matched_despite_case_and_spacing():
    columns = match_columns(["Part Number", "Item Text"], {"description": "item  text"})
    assert columns.fields["description"] == "Item Text"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"colour": "Part Number"}, "unknown field 'colour'"),
        ({"description": "Nope"}, "no column 'Nope'"),
    ],
)
def test_map_errors(overrides, message):
    with pytest.raises(UsageError, match=message) as info:
        match_columns(["Part Number", "Qty"], overrides)
    assert info.value.hint


def test_map_unknown_header_lists_the_columns():
    with pytest.raises(UsageError) as info:
        match_columns(["Part Number", "Qty"], {"description": "Nope"})
    assert "'Part Number'" in info.value.hint and "'Qty'" in info.value.hint


def test_parse_map_options():
    assert parse_map_options(["description=Item Text", " part-number = P/N "]) == {
        "description": "Item Text",
        "part_number": "P/N",
    }
    assert parse_map_options(["notes=a=b"]) == {"notes": "a=b"}


@pytest.mark.parametrize("bad", ["description", "=Item", "description=", "  =  "])
def test_parse_map_options_bad_syntax(bad):
    with pytest.raises(UsageError, match="FIELD=HEADER"):
        parse_map_options([bad])


def test_header_score_counts_distinct_fields():
    assert header_score(["Part Number", "Description", "Qty"]) == 3
    assert header_score(["Qty", "Quantity"]) == 1
    assert header_score(["Widget BOM rev B", None, 3.5]) == 0
    assert header_score(["x" * 200, "Qty"]) == 1


def test_a_part_number_column_beats_an_item_position_column():
    columns = match_columns(["Item No.", "Mfr Part Number", "Description", "Qty"])
    assert columns.fields["part_number"] == columns.fields["mpn"] == "Mfr Part Number"
    assert columns.duplicates == {"Item No.": "part_number"}
    assert columns.unmatched == ["Item No."]
    # Alone, an item column is still the part number; --map still wins.
    assert match_columns(["Item No.", "Qty"]).fields["part_number"] == "Item No."
    mapped = match_columns(["Item No.", "Part Number", "Qty"], {"part_number": "Item No."})
    assert mapped.fields["part_number"] == "Item No."
