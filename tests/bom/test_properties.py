"""Property tests where input is messy: folding, number parsing, countries, xlsx round trips."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exposure_audit.bom.clean import clean_bom, parse_number, parse_numbers
from exposure_audit.bom.columns import match_columns
from exposure_audit.bom.placement import says_not_placed
from exposure_audit.bom.read import read_bom
from exposure_audit.reference.countries import to_iso3
from exposure_audit.text import fold, fold_header

FAST = settings(max_examples=200, deadline=None)


@FAST
@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@FAST
@given(st.text(st.characters(max_codepoint=127)))
def test_fold_of_ascii_takes_a_shortcut_to_the_same_text(text):
    from exposure_audit.text import _fold_unicode

    assert fold(text) == _fold_unicode(text)


@FAST
@given(st.text())
def test_fold_header_is_idempotent(text):
    once = fold_header(text)
    assert fold_header(once) == once
    assert once == once.strip() and "  " not in once


@FAST
@given(st.text(), st.booleans())
def test_parse_number_never_raises(text, comma):
    value = parse_number(text, decimal_comma=comma)
    assert value is None or isinstance(value, float)
    assert value is None or not math.isnan(value)


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@FAST
@given(finite)
def test_parse_number_round_trips_formatted_numbers(x):
    expected = round(x, 2)
    assert parse_number(f"{x:,.2f}") == pytest.approx(expected, abs=0.006)
    european = f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    assert parse_number(european, decimal_comma=True) == pytest.approx(expected, abs=0.006)
    assert parse_number(f"${x:,.2f}") == pytest.approx(expected, abs=0.006)


cells = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.floats(),
    st.integers(-(10**20), 10**20),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.just(float("nan")),
)


@FAST
@given(st.lists(cells, max_size=20))
def test_parse_numbers_never_raises(values):
    series = pd.Series(values, dtype=object)
    parsed, bad = parse_numbers(series)
    assert len(parsed) == len(series) == len(bad)
    assert parsed.dtype == float
    assert not pd.Series(parsed).map(math.isinf).any()
    # A value is either parsed, or flagged, or blank: never both parsed and flagged.
    assert not (parsed.notna() & bad).any()


@FAST
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=30), st.floats(), st.integers()), max_size=20)
)
def test_to_iso3_never_raises(values):
    codes = to_iso3(pd.Series(values, dtype=object))
    assert len(codes) == len(values)
    assert all(c is None or (isinstance(c, str) and len(c) == 3) for c in codes)


# --- round trip through an xlsx -------------------------------------------------------------------

part_numbers = st.from_regex(r"\A0{0,2}[A-Z0-9][A-Z0-9\-]{0,8}\Z", fullmatch=True)
descriptions = st.text(
    alphabet=st.characters(
        min_codepoint=32,
        max_codepoint=0x2FFF,
        blacklist_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"),
    ),
    min_size=1,
    max_size=30,
).filter(
    lambda s: (
        s.strip()
        and not s.strip().startswith("=")
        and fold_header(s)
        not in {
            "total",
            "totals",
            "subtotal",
            "sub total",
            "grand total",
            "sum",
            "gesamt",
            "summe",
            "description",
        }
        # a "do not place" marker ("NOT:PLACED", "DNP") drops the line, as it should
        and not says_not_placed(s)
    )
)
quantities = st.one_of(
    st.integers(1, 10**6), st.floats(0.001, 1e6, allow_nan=False).map(lambda q: round(q, 3))
)
lines = st.lists(st.tuples(part_numbers, descriptions, quantities), min_size=1, max_size=8)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=lines, titles=st.integers(0, 3))
@example(lines=[("0", "Bracket", 1)], titles=0)
def test_xlsx_round_trip(tmp_path_factory, make_bom, lines, titles):
    tmp_path = tmp_path_factory.mktemp("rt")
    path = make_bom(tmp_path, lines, title_rows=[["Title"]] + [[]] * (titles - 1) if titles else ())
    raw = read_bom(path)
    bom = clean_bom(raw, match_columns(raw.headers), None)
    frame = bom.frame
    assert frame["part_number"].tolist() == [p for p, _, _ in lines]
    assert frame["description"].tolist() == [d.strip() for _, d, _ in lines]
    assert frame["quantity"].tolist() == pytest.approx([float(q) for _, _, q in lines])
    assert frame["row"].tolist() == list(range(titles + 2, titles + 2 + len(lines)))
    assert frame["valid"].all()
    assert bom.skipped_rows == 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=lines,
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
@example(lines=[("A", "EA", 1), ("0", "0", 1)], delimiter=",", encoding="utf-8")
def test_csv_round_trip(tmp_path_factory, lines, delimiter, encoding):
    import csv
    import io

    try:
        for _, d, _ in lines:
            d.encode(encoding)
    except UnicodeEncodeError:
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Part Number", "Description", "Qty"])
    writer.writerows(lines)
    path = tmp_path_factory.mktemp("csv") / "bom.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    raw = read_bom(path)
    bom = clean_bom(raw, match_columns(raw.headers), None)
    assert bom.frame["part_number"].tolist() == [p for p, _, _ in lines]
    assert bom.frame["description"].tolist() == [d.strip() for _, d, _ in lines]
    assert bom.frame["quantity"].tolist() == pytest.approx([float(q) for _, _, q in lines])


def test_dates_are_not_numbers():
    _, bad = parse_numbers(
        pd.Series([dt.date(2020, 1, 1), dt.datetime(2020, 1, 1, 5)], dtype=object)
    )
    assert bad.all()


# Columns of mostly numbers take shortcuts (whole numbers hashed and formatted by numpy, float
# cells taken without hashing): they must agree cell by cell with the general path.
spreadsheet_cells = st.one_of(
    st.floats(allow_nan=False, allow_infinity=True, width=64),
    st.integers(-(10**6), 10**6).map(float),
    st.sampled_from(["", " ", "Total", "10", " 3 ", "-2", "1,5", "2 g", "n/a"]),
    st.booleans(),
    st.dates(),
)


@FAST
@given(st.lists(spreadsheet_cells, min_size=1, max_size=30))
def test_column_text_shortcuts_agree_with_cell_text(values):
    from exposure_audit.bom.clean import _column_text, cell_text

    text = _column_text(pd.Series(values, dtype=object))
    got = [text.values[c] for c in text.codes]
    assert got == [cell_text(v).strip() for v in values]
    assert len(set(text.values)) == len(text.values)  # one code per distinct text


@FAST
@given(st.lists(spreadsheet_cells, min_size=1, max_size=30))
def test_number_shortcut_agrees_with_parsing_each_cell(values):
    from exposure_audit.bom.clean import _parse_cells

    values_all, bad_all = _parse_cells(pd.Series(values, dtype=object))
    one_by_one = [_parse_cells(pd.Series([v], dtype=object)) for v in values]
    for i, (value, bad) in enumerate(one_by_one):
        assert bool(bad_all[i]) == bool(bad[0])
        assert (math.isnan(values_all[i]) and math.isnan(value[0])) or values_all[i] == value[0]


def _rows_to_keep_one_by_one(frame, columns):
    """The row-skipping rules applied row by row, on each cell's text: the reference that the
    vectorised `_rows_to_keep` must agree with."""
    from exposure_audit.bom.clean import _NUMBER_START, _TOTAL_KEYS, _match_key, cell_text

    mapped = list(dict.fromkeys([*columns.fields.values(), *sum(columns.text.values(), [])]))
    quantity = columns.header("quantity")
    keep = []
    for _, row in frame.iterrows():
        texts = {h: cell_text(row[h]).strip() for h in mapped}
        if all(t == "" for t in texts.values()):
            keep.append(False)
            continue
        if quantity is not None and texts[quantity][:1] in _NUMBER_START:
            keep.append(True)
            continue
        keys = {h: _match_key(pd.Series([t], dtype="str")).iloc[0] for h, t in texts.items()}
        header_keys = {h: _match_key(pd.Series([h], dtype=object)).iloc[0] for h in mapped}
        total = any(k in _TOTAL_KEYS for k in keys.values())
        if quantity is not None:
            total = total and texts[quantity] == ""
        same = sum(keys[h] == header_keys[h] for h in mapped)
        keep.append(not (total or same >= max(2, len(mapped) // 2)))
    return keep


row_cells = st.one_of(
    spreadsheet_cells, st.sampled_from(["Qty", "Description", "Sub-Total:", "TOTAL", "Part No"])
)


@FAST
@given(st.lists(st.tuples(row_cells, row_cells, row_cells), min_size=1, max_size=15))
def test_row_skipping_agrees_with_the_rules_row_by_row(rows):
    from exposure_audit.bom.clean import _rows_to_keep

    frame = pd.DataFrame(rows, columns=["Part No", "Description", "Qty"], dtype=object)
    columns = match_columns(list(frame.columns))
    keep, skipped = _rows_to_keep(frame, columns)
    assert keep.tolist() == _rows_to_keep_one_by_one(frame, columns)
    assert skipped == int((~keep).sum())


# --- vectorised shortcuts agree with the per-value code they stand in for ----------------------

_units = st.sampled_from(["g", "kg", "KG", "mg", "lbs", "oz", "pcs", "e", "usd", "EUR", "bananas"])
_mass_like = st.builds(
    lambda number, space, unit, tail: f"{number}{space}{unit}{tail}",
    st.one_of(
        st.integers(-(10**9), 10**9).map(str),
        st.floats(-1e9, 1e9, allow_nan=False).map(lambda f: f"{f:.6f}"),
        st.sampled_from(["+3", "007", "1,5", "1e3", "١٢", ".5"]),
    ),
    st.sampled_from(["", " ", "\t", "\xa0"]),
    _units,
    st.sampled_from(["", " ", "s"]),
)


@FAST
@given(st.lists(st.one_of(_mass_like, st.text(max_size=8)), max_size=12))
def test_number_and_word_agrees_with_the_mass_splitter(texts):
    from exposure_audit.bom.clean import _number_and_word, _split_mass

    found = _number_and_word(texts)
    for text, hit, number, word in zip(texts, found.found, found.number, found.word, strict=True):
        if not hit:
            continue
        # What the vectorised pass takes reads the same as one by one, and is never a number.
        value, _, unit = _split_mass(text)
        assert (number, word.lower()) == (value, unit)
        assert parse_number(text) is None and parse_number(text, decimal_comma=True) is None


@FAST
@given(st.lists(st.text(max_size=6), max_size=12), st.integers(0, 3))
def test_control_character_precheck_never_misses_one(texts, start):
    from exposure_audit.bom.clean import _CONTROL, _may_hold_control

    values = pd.Index(pd.Series(texts, dtype="str"))[start:]  # sliced: offsets do not start at 0
    assert _may_hold_control(values) == any(_CONTROL.search(t) for t in values)


@FAST
@given(st.lists(st.sampled_from(["a", "b", "", "c", None]), min_size=1, max_size=20), st.data())
def test_used_categories_factorize_as_pandas_does(cells, data):
    from exposure_audit.bom.clean import _used_categories

    keep = data.draw(st.lists(st.booleans(), min_size=len(cells), max_size=len(cells)))
    series = pd.Series(pd.Categorical(cells))[pd.Series(keep)].reset_index(drop=True)
    codes, uniques = _used_categories(series)
    expected_codes, expected = pd.factorize(series, use_na_sentinel=True)
    # The same grouping of lines, each line reading the same value.
    assert sorted(uniques) == sorted(expected)
    got = [None if c < 0 else uniques[c] for c in codes]
    assert got == [None if c < 0 else expected[c] for c in expected_codes]
