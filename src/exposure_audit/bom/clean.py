"""Raw table -> canonical BOM: numbers, units, countries and text parsed column by column.

Each distinct cell value is parsed once and the result joined back, so a million-line BOM with
a few thousand distinct values costs a few thousand parses. Bad cells become located issues;
rows with error-level issues are kept in the frame but marked `valid=False` and not scored.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from exposure_audit.bom.columns import MASS_UNITS, TEXT_FIELDS, ColumnMap
from exposure_audit.bom.read import RawTable
from exposure_audit.countries import to_iso3
from exposure_audit.issues import IssueCode, IssueLog
from exposure_audit.text import fold, fold_header

MAX_PLAUSIBLE_UNIT_MASS_KG = 10_000.0
TOTAL_WORDS = {"total", "totals", "subtotal", "sub total", "grand total", "sum", "gesamt", "summe"}
_TOTAL_KEYS = {w.replace(" ", "") for w in TOTAL_WORDS}
_CURRENCY = re.compile(r"(?i)(us\$|usd|eur|gbp|cny|rmb|jpy|cad|aud|chf|[$€£¥₹₩])")
_NUMBER_CHARS = re.compile(r"[^0-9,.\-+eE]")
_MASS_CELL = re.compile(r"^\s*(?P<num>[-+]?[\d.,\s']*\d[\d.,]*)\s*(?P<unit>[a-zA-Z ]*)\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class CleanBom:
    """The canonical BOM: one row per record read (skipped rows already left out)."""

    frame: pd.DataFrame
    issues: IssueLog
    columns: ColumnMap
    skipped_rows: int
    extra_columns: list[str]
    currency: str | None
    cost_is_total: bool = False


def clean_bom(
    raw: RawTable, columns: ColumnMap, country_aliases: Mapping[str, str] | None = None
) -> CleanBom:
    """Turn a `RawTable` into the canonical BOM frame and its issues.

    Canonical columns: row, part_number, description, material, notes, text (the folded mapping
    text), quantity, quantity_unit, line_mass_kg, mass_given, supplier, supplier_country,
    mining_country, processing_country, mineral, cas_number, spend, currency, valid.
    """
    log = IssueLog(sheet=raw.sheet)
    frame = raw.frame
    rows = pd.Series(raw.rows, index=frame.index)

    def column(name: str) -> pd.Series | None:
        header = columns.header(name)
        return None if header is None else frame[header]

    # Each column is turned into text once, on the whole frame, and filtered after.
    full_text: dict[str, pd.Series] = {}

    def text_of(header: str) -> pd.Series:
        if header not in full_text:
            full_text[header] = _text(raw.frame[header], len(raw.frame), raw.frame.index)
        series = full_text[header]
        return series if len(series) == n else series[keep]

    n = len(frame)
    keep, skipped = _rows_to_keep(frame, columns, text_of)
    if skipped:
        frame = frame.loc[keep]
        rows = rows.loc[keep]
    n = len(frame)
    out = pd.DataFrame({"row": rows.to_numpy(np.int64)}, index=frame.index)
    invalid = pd.Series(False, index=frame.index)

    duplicates = getattr(columns, "duplicates", {})
    for header in columns.unmatched:
        if header in duplicates:
            used = columns.header(duplicates[header])
            log.add(IssueCode.DUPLICATE_COLUMN,
                    f"column {header!r} is a second {duplicates[header]} column; {used!r} is "
                    "used and this one kept as is", column=header)
        elif not header.startswith("column "):
            log.add(IssueCode.UNKNOWN_COLUMN, f"column {header!r} not recognised; kept as is",
                    column=header)

    # Text fields.
    no_text = _text(None, n, frame.index)

    def text_field(name: str) -> pd.Series:
        header = columns.header(name)
        return no_text if header is None else text_of(header)

    out["part_number"] = text_field("part_number")
    for name in TEXT_FIELDS:
        parts = [text_of(h) for h in columns.text.get(name, [])]
        out[name] = _join(parts, frame.index, " — ")
    for name in ("supplier", "mineral", "cas_number", "quantity_unit", "currency"):
        out[name] = text_field(name)
    _flag_control_characters(out, rows, columns, log)
    out["text"] = _mapping_text(out)

    # Quantities.
    quantity_col = column("quantity")
    if quantity_col is None:
        log.add(IssueCode.MISSING_COLUMN, "no quantity column; every line counts once",
                column=None)
        quantity = pd.Series(1.0, index=frame.index)
    else:
        quantity, bad = parse_numbers(quantity_col.loc[frame.index])
        header = columns.header("quantity")
        _report_bad_numbers(log, bad, quantity_col, rows, header, invalid)
        blank = quantity.isna() & ~bad.astype(bool)
        quantity = quantity.where(~blank, 1.0)
        negative = quantity < 0
        log.add_cells(IssueCode.NEGATIVE_VALUE, rows[negative], quantity[negative], header,
                      "quantity {value} is below zero; fix the quantity")
        invalid |= negative
        zero = quantity == 0
        log.add_cells(IssueCode.ZERO_QUANTITY, rows[zero], quantity[zero], header,
                      "quantity is zero; the line is read but weighs nothing")
    out["quantity"] = quantity

    # Masses: unit mass x quantity, or a total mass, or a quantity counted in a mass unit.
    line_mass = pd.Series(np.nan, index=frame.index)
    unit_factor = _map_unique(
        out["quantity_unit"], lambda u: MASS_UNITS.get(fold_header(u), np.nan) if u else np.nan
    ).astype(float)
    qty_in_mass = unit_factor.notna()
    line_mass = line_mass.where(~qty_in_mass, out["quantity"] * unit_factor.astype(float))
    for name in ("unit_mass", "total_mass"):
        col = column(name)
        if col is None:
            continue
        header = columns.header(name)
        mass_kg = _parse_mass(col.loc[frame.index], columns.mass_unit.get(name),
                              column("mass_unit"), rows, header, log, invalid,
                              columns.header("mass_unit"))
        if name == "unit_mass":
            too_big = mass_kg > MAX_PLAUSIBLE_UNIT_MASS_KG
            log.add_cells(IssueCode.IMPLAUSIBLE_MASS, rows[too_big], col[too_big], header,
                          "unit mass {value} is over 10 tonnes; check the unit in the header")
            mass_kg = mass_kg * out["quantity"]
        line_mass = line_mass.where(line_mass.notna() | mass_kg.isna(), mass_kg)
    out["line_mass_kg"] = line_mass
    out["mass_given"] = line_mass.notna()

    # Countries.
    for name in ("supplier_country", "mining_country", "processing_country"):
        col = column(name)
        if col is None:
            out[name] = None
            continue
        text = text_of(columns.header(name))
        iso = to_iso3(text, country_aliases)
        unknown = iso.isna() & (text != "")
        log.add_cells(IssueCode.UNKNOWN_COUNTRY, rows[unknown], text[unknown],
                      columns.header(name),
                      "country {value!r} matches no country; use a name or ISO code, "
                      "or add an alias in countries.yaml".replace("{value!r}", "'{value}'"))
        out[name] = iso

    # Costs: spend is the extended cost where given, else quantity x unit cost.
    spend = pd.Series(np.nan, index=frame.index)
    unit_cost = extended = None
    for name in ("extended_cost", "unit_cost"):
        col = column(name)
        if col is None:
            continue
        values, bad = parse_numbers(col.loc[frame.index])
        _report_bad_numbers(log, bad, col, rows, columns.header(name), invalid)
        negative = values < 0
        log.add_cells(IssueCode.NEGATIVE_VALUE, rows[negative], col[negative],
                      columns.header(name), "cost {value} is below zero; fix the cost")
        invalid |= negative
        if name == "extended_cost":
            extended = values
        else:
            unit_cost = values
    cost_is_total = False
    if unit_cost is not None and extended is None and _cost_column_is_total(
        raw, columns, keep, unit_cost, out["quantity"]
    ):
        cost_is_total = True
        extended, unit_cost = unit_cost, None
        log.add(IssueCode.COST_COLUMN_TOTAL,
                f"the total row equals the sum of {columns.header('unit_cost')!r}, so it is "
                "read as line totals, not unit prices", column=columns.header("unit_cost"))
    if extended is not None:
        spend = extended
    if unit_cost is not None:
        spend = spend.where(spend.notna(), out["quantity"] * unit_cost)
    out["spend"] = spend
    currency = columns.currency or _currency_from_cells(
        column("unit_cost"), column("extended_cost")
    )
    out["valid"] = ~invalid

    part = out["part_number"]
    dup = part.ne("") & part.duplicated(keep=False)
    if dup.any():
        log.add_cells(IssueCode.DUPLICATE_PART, rows[dup], part[dup], columns.header("part_number"),
                      "part number {value} appears on several lines; each line is scored")
    extra = [h for h in columns.unmatched if h in frame.columns]
    for header in extra:
        out[f"extra:{header}"] = text_of(header)
    return CleanBom(
        frame=out.reset_index(drop=True),
        issues=log,
        columns=columns,
        skipped_rows=skipped,
        extra_columns=extra,
        currency=currency,
        cost_is_total=cost_is_total,
    )


# --- rows to skip ------------------------------------------------------------------------------


def _rows_to_keep(
    frame: pd.DataFrame, columns: ColumnMap, text_of: Callable[[str], pd.Series] | None = None
) -> tuple[pd.Series, int]:
    """Blank rows, total and subtotal rows, and repeated header rows are left out and counted.

    Only the recognised columns are looked at: a row with nothing in any of them says nothing.
    Vectorised: cells are compared by a key (accents, case, spaces and punctuation dropped),
    so a million unique part numbers cost a few string kernels, not a million Python calls.
    """
    if frame.empty:
        return pd.Series(dtype=bool), 0
    mapped = list(dict.fromkeys([*columns.fields.values(), *sum(columns.text.values(), [])]))
    if text_of is None:
        def text_of(h: str) -> pd.Series:
            return _text(frame[h], len(frame), frame.index)

    text = pd.DataFrame({h: text_of(h) for h in mapped}, index=frame.index)
    blank = text.eq("").all(axis=1)
    # Total and repeated header rows have no number in the quantity column: look only there.
    quantity_header = columns.header("quantity")
    if quantity_header is not None:
        quantity = text[quantity_header]
        first = quantity.str.lstrip().str.slice(0, 1)
        candidates = ~first.isin(list("0123456789-+(.,")).to_numpy(bool)
    else:
        candidates = np.ones(len(text), dtype=bool)
    candidates &= ~blank.to_numpy(bool)
    skip = blank.copy()
    if candidates.any():
        part = text[candidates]
        keys = pd.DataFrame({h: _match_key(part[h]) for h in mapped}, index=part.index)
        total = keys.isin(_TOTAL_KEYS).any(axis=1)
        if quantity_header is not None:
            total &= part[quantity_header].eq("")
        header_keys = [_match_key(pd.Series([h], dtype=object)).iloc[0] for h in mapped]
        repeated = (keys == header_keys).sum(axis=1) >= max(2, len(mapped) // 2)
        skip.loc[part.index] = (total | repeated).to_numpy(bool)
    return ~skip, int(skip.sum())


def _match_key(text: pd.Series) -> pd.Series:
    """"Sub-Total:" -> "subtotal", "Désignation" -> "designation": for exact comparisons."""
    if len(text) == 0:
        return text.astype(object)
    strings = text.astype("str")
    return (
        strings.str.normalize("NFKD").str.lower().str.replace(r"[^0-9a-z]+", "", regex=True)
    )


def _cost_column_is_total(
    raw: RawTable, columns: ColumnMap, keep: pd.Series, unit_cost: pd.Series, quantity: pd.Series
) -> bool:
    """A bare "Cost" column whose total row equals its own sum holds line totals."""
    header = columns.header("unit_cost")
    if header is None or fold_header(header) not in {"cost", "price", "amount"}:
        return False
    skipped = raw.frame.loc[~keep, header] if len(keep) else pd.Series(dtype=object)
    totals, _ = parse_numbers(skipped)
    totals = totals.dropna()
    if totals.empty:
        return False
    column_sum = float(unit_cost.sum(skipna=True))
    extended_sum = float((unit_cost * quantity).sum(skipna=True))
    target = float(totals.iloc[-1])
    close = math.isclose(column_sum, target, rel_tol=0.005, abs_tol=0.01)
    return close and not math.isclose(extended_sum, target, rel_tol=0.005, abs_tol=0.01)


# --- text --------------------------------------------------------------------------------------


def _map_unique(series: pd.Series, func: Callable[[Any], object]) -> pd.Series:
    """Apply `func` once per distinct value and join the results back (object dtype)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    results[:] = [func(u) for u in uniques]
    return pd.Series(results[codes], index=series.index, dtype=object)


def cell_text(value: object) -> str:
    """One cell as text: integral floats without '.0', dates as ISO dates, None as ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _text(series: pd.Series | None, n: int, index: pd.Index) -> pd.Series:
    """A column as stripped text (str dtype): numbers without '.0', dates as ISO dates."""
    if series is None:
        return pd.Series(np.full(n, "", dtype=object), index=index, dtype="str")
    if series.index is not index and not series.index.equals(index):
        series = series.loc[index]
    if series.dtype == object:
        kind = pd.api.types.infer_dtype(series, skipna=False)
        if kind in ("floating", "integer", "mixed-integer-float"):
            return _number_text(series)
        if kind != "string":
            return _map_unique(series, lambda v: cell_text(v).strip()).astype("str")
    return series.astype("str").str.strip()


def _number_text(series: pd.Series) -> pd.Series:
    """`cell_text` of a column of numbers (an item-number column: a million distinct values):
    whole numbers formatted by numpy in one pass, the rest once per distinct value."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    whole = np.isfinite(values) & (np.abs(values) < 1e15)
    whole[whole] = values[whole] == np.floor(values[whole])
    out = np.empty(len(values), dtype=object)
    out[whole] = values[whole].astype(np.int64).astype(str).astype(object)
    rest = ~whole
    if rest.any():
        out[rest] = _map_unique(series[rest], lambda v: cell_text(v).strip()).to_numpy()
    return pd.Series(out, index=series.index, dtype="str")


def _join(parts: list[pd.Series], index: pd.Index, sep: str) -> pd.Series:
    """Join text columns row by row, leaving out blanks, without a Python loop over rows."""
    if not parts:
        return pd.Series("", index=index, dtype="str")
    result = parts[0]
    for part in parts[1:]:
        both = (result != "") & (part != "")
        result = (result + sep + part).where(both, result.where(result != "", part))
    return result.astype("str")


def _mapping_text(out: pd.DataFrame) -> pd.Series:
    keys = out["material"] + "\x1f" + out["description"] + "\x1f" + out["notes"]

    def folded(key: str) -> str:
        parts = (fold(p) for p in re.split("\x1f| — ", key))
        return " | ".join(p for p in parts if p)

    return _map_unique(keys, folded)


def _flag_control_characters(
    out: pd.DataFrame, rows: pd.Series, columns: ColumnMap, log: IssueLog
) -> None:
    """Control characters (terminal escapes) in text are reported, then removed."""
    for name in ("part_number", "description", "material", "notes", "supplier"):
        if columns.header(name) is None and not columns.text.get(name):
            continue
        series = out[name]
        bad = series.astype("str").str.contains(_CONTROL.pattern, regex=True).to_numpy(bool)
        if bad.any():
            log.add_cells(IssueCode.CONTROL_CHARACTERS, rows.to_numpy()[bad],
                          series[bad], columns.header(name) or name,
                          "text {value} holds control characters; they were removed")
            cleaned = series.copy()
            cleaned[bad] = series[bad].map(lambda s: _CONTROL.sub("", s))
            out[name] = cleaned


# --- numbers -----------------------------------------------------------------------------------


def parse_numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column of numbers as typed by people: "$42.53", "3,10 €", "1.234,5", "(12)".

    Returns (values as float with NaN for blanks and bad cells, bad-cell mask). A column whose
    strings use a comma as the decimal mark is read that way as a whole. Never raises.
    Each distinct cell is parsed once (a million quantities hold a few hundred values).
    """
    index = series.index
    if series.empty:
        return pd.Series([], index=index, dtype=float), pd.Series([], index=index, dtype=bool)
    if series.dtype == bool:
        return pd.Series(np.nan, index=index), pd.Series(True, index=index)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = pd.Series(series.to_numpy(dtype=float, na_value=np.nan), index=index)
        return _finite(values, pd.Series(False, index=index))
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) not in _NO_BOOLS:
        # True/False cells would read as 1/0 (and hash like them); a checkbox is no quantity.
        is_bool = np.fromiter((type(v) is bool for v in series.to_numpy()), bool, len(series))
        if is_bool.any():
            series = series.where(~is_bool, _BOOL_CELL)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    unique_values = list(uniques)
    plain = pd.to_numeric(
        pd.Series([u if type(u) is not bool else None for u in unique_values], dtype=object),
        errors="coerce",
    ).to_numpy(dtype=float, na_value=np.nan)
    pending = [i for i in range(len(unique_values)) if np.isnan(plain[i])]
    strings = {
        i: (unique_values[i] if isinstance(unique_values[i], dt.date | dt.time)
            else cell_text(unique_values[i]))
        for i in pending
    }
    decimal_comma = _decimal_comma([t for t in strings.values() if isinstance(t, str)])
    parsed = np.append(plain, np.nan)
    blank = np.zeros(len(parsed), dtype=bool)
    blank[-1] = True  # code -1, a missing value, picks the last entry
    for i, text in strings.items():
        if not isinstance(text, str) or text == _BOOL_CELL:
            continue
        if not text.strip():
            blank[i] = True
        else:
            parsed[i] = _none_to_nan(parse_number(text, decimal_comma))
    values = pd.Series(parsed[codes], index=index)
    bad = pd.Series(np.isnan(parsed[codes]) & ~blank[codes], index=index)
    return _finite(values, bad)


def _none_to_nan(value: float | None) -> float:
    return np.nan if value is None else value


def _finite(values: pd.Series, bad: pd.Series) -> tuple[pd.Series, pd.Series]:
    infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
    if infinite.any():
        bad = bad | infinite
        values = values.where(~infinite, np.nan)
    return values, bad


_BOOL_CELL = "\x00bool"
_NO_BOOLS = {"floating", "integer", "mixed-integer-float", "string", "empty", "decimal"}
_PLAIN = re.compile(r"^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$")


def parse_number(text: str, decimal_comma: bool = False) -> float | None:
    """One number as text -> float, or None when it is not a number (blank gives None too).

    >>> parse_number("$1,234.50"), parse_number("3,10 €", decimal_comma=True), parse_number("(5)")
    (1234.5, 3.1, -5.0)
    """
    text = text.strip()
    if not text:
        return None
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    text = _CURRENCY.sub("", text).replace("\u00a0", "").replace("\u202f", "").replace("'", "")
    text = text.replace(" ", "").replace("−", "-")
    if not text or _NUMBER_CHARS.search(text):
        return None
    if not _PLAIN.match(text):
        if decimal_comma:
            text = text.replace(".", "").replace(",", ".")
        elif "," in text and "." not in text and re.fullmatch(r"[-+]?\d+,\d{1,2}", text):
            text = text.replace(",", ".")  # "3,10" can only be a decimal comma
        else:
            text = text.replace(",", "")
        if not _PLAIN.match(text):
            return None
    try:
        value = float(text)
    except ValueError:
        return None
    if math.isnan(value):
        return None
    return -value if negative else value


def _decimal_comma(strings: list[str]) -> bool:
    """Whether a column's strings use a decimal comma ("1.234,5", "3,10") more than a dot."""
    comma = dot = 0
    for s in strings:
        t = _CURRENCY.sub("", s).replace(" ", "").replace("\u00a0", "")
        if re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+,\d+|[-+]?\d+,(\d{1,2}|\d{4,})", t):
            comma += 1
        elif re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+\.\d+|[-+]?\d*\.\d+", t):
            dot += 1
    return comma > dot


def _report_bad_numbers(
    log: IssueLog, bad: pd.Series, col: pd.Series, rows: pd.Series, header: str | None,
    invalid: pd.Series,
) -> None:
    if not bad.any():
        return
    values = col.loc[bad.index][bad]
    is_date = values.map(lambda v: isinstance(v, dt.date | dt.time)).astype(bool)
    log.add_cells(IssueCode.DATE_IN_NUMBER, rows[bad][is_date], values[is_date], header,
                  "{value} is a date where a number belongs; fix the cell format")
    log.add_cells(IssueCode.INVALID_NUMBER, rows[bad][~is_date], values[~is_date], header,
                  "'{value}' is not a number; fix the cell or clear it")
    invalid.loc[bad[bad].index] = True


def _parse_mass(
    col: pd.Series, header_unit: float | None, unit_col: pd.Series | None, rows: pd.Series,
    header: str | None, log: IssueLog, invalid: pd.Series, unit_header: str | None = None,
) -> pd.Series:
    """Masses in kg: the unit in the cell ("12 g"), else a unit column, else the header's unit,
    else kg (said once). A mass whose unit is unknown gives NaN and makes its row invalid."""
    values, bad = parse_numbers(col)
    factor = pd.Series(np.nan, index=col.index)
    unknown = pd.Series(False, index=col.index)
    if unit_col is not None:
        unit_text = _text(unit_col, len(col), col.index)
        unit_factor = _map_unique(
            unit_text, lambda u: MASS_UNITS.get(fold_header(u), np.nan) if u else np.nan
        ).astype(float)
        unknown = unit_factor.isna() & (unit_text != "")
        log.add_cells(IssueCode.UNKNOWN_UNIT, rows[unknown], unit_text[unknown],
                      unit_header or header,
                      "mass unit '{value}' is unknown; use g, kg, mg, t, lb or oz")
        factor = unit_factor
    if header_unit is not None:
        factor = factor.where(factor.notna() | unknown, header_unit)
    if bad.any():
        cells = col[bad]
        split = _map_unique(cells, lambda v: _split_mass(cell_text(v)))
        cell_value = split.map(lambda t: t[0] if t and t[0] is not None else np.nan).astype(float)
        cell_unit = split.map(lambda t: t[1] if t and t[1] is not None else np.nan).astype(float)
        ok = cell_value.notna() & cell_unit.notna()
        ok_index = ok[ok].index
        values.loc[ok_index] = cell_value[ok]
        factor.loc[ok_index] = cell_unit[ok]
        unit_unknown = split.map(
            lambda t: bool(t) and t[0] is not None and t[1] is None and t[2] != ""
        ).astype(bool)
        log.add_cells(IssueCode.UNKNOWN_UNIT, rows[unit_unknown[unit_unknown].index],
                      cells[unit_unknown], header,
                      "mass '{value}' has a unit the tool does not know; use g, kg, mg, t, lb, oz")
        unknown.loc[unit_unknown[unit_unknown].index] = True
        still_bad = bad.copy()
        still_bad.loc[ok_index] = False
        still_bad.loc[unit_unknown[unit_unknown].index] = False
        _report_bad_numbers(log, still_bad, col, rows, header, invalid)
    invalid |= unknown
    values = values.where(~unknown)
    negative = values < 0
    log.add_cells(IssueCode.NEGATIVE_VALUE, rows[negative], col[negative], header,
                  "mass {value} is below zero; fix the mass")
    invalid |= negative
    assumed = values.notna() & factor.isna()
    if assumed.any():
        log.add(IssueCode.MASS_UNIT_ASSUMED,
                f"column {header!r} names no mass unit; read as kg — write the unit in the "
                "header, e.g. 'Mass (g)'", column=header)
        factor = factor.where(~assumed, 1.0)
    return values * factor


def _split_mass(text: str) -> tuple[float | None, float | None, str] | None:
    match = _MASS_CELL.match(text)
    if not match:
        return None
    value = parse_number(match.group("num"))
    unit_text = fold_header(match.group("unit"))
    return value, MASS_UNITS.get(unit_text), unit_text


def _currency_from_cells(*cols: pd.Series | None) -> str | None:
    for col in cols:
        if col is None:
            continue
        sample = [cell_text(v) for v in pd.unique(col.head(200)) if isinstance(v, str)]
        for s in sample:
            m = _CURRENCY.search(s)
            if m:
                symbol = m.group(1).upper()
                return {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY",
                        "RMB": "CNY", "₹": "INR", "₩": "KRW"}.get(symbol, symbol)
    return None
