"""Raw table -> canonical BOM: numbers, units, countries and text parsed column by column.

Each column is factorized once into integer codes and its distinct values. Every per-value step
(strip, parse a number or a mass with its unit, look up a country, check for control characters,
build the mapping text) runs once per distinct value, and the results are gathered back to the
lines by code (a numpy take). A million-line BOM with a few thousand distinct values costs a few
thousand parses. Bad cells become located issues; rows with error-level issues are kept in the
frame but marked `valid=False` and not scored.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from exposure_audit.bom.columns import (
    ELECTRONICS_FIELDS,
    MASS_UNITS,
    OPTIONAL_FIELDS,
    TEXT_FIELDS,
    ColumnMap,
)
from exposure_audit.bom.placement import not_placed
from exposure_audit.bom.read import RawTable
from exposure_audit.issues import IssueCode, IssueLog
from exposure_audit.reference.countries import to_iso3
from exposure_audit.text import fold, fold_header

MAX_PLAUSIBLE_UNIT_MASS_KG = 10_000.0
MAX_MAGNITUDE = 1e15
"""The largest quantity, mass or cost read, and the largest product of two (quantity x unit
mass, quantity x unit cost): far beyond any bill of materials, and small enough that every
later product and sum over millions of lines stays finite (1e308 x a price would be inf)."""
_MAX_SHOWN = "1e15"
TOTAL_WORDS = {"total", "totals", "subtotal", "sub total", "grand total", "sum", "gesamt", "summe"}
_TOTAL_KEYS = {w.replace(" ", "") for w in TOTAL_WORDS}
_CURRENCY = re.compile(r"(?i)(us\$|usd|eur|gbp|cny|rmb|jpy|cad|aud|chf|[$€£¥₹₩])")
_NUMBER_CHARS = re.compile(r"[^0-9,.\-+eE]")
_MASS_CELL = re.compile(r"^\s*(?P<num>[-+]?[\d.,\s']*\d[\d.,]*)\s*(?P<unit>[a-zA-Z ]*)\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NUMBER_START = frozenset("0123456789-+(.,")


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
    not_placed: int = 0
    """Lines marked not placed (DNP, "do not mount", Place = NO), left out (see `placement`)."""


@dataclass
class _Text:
    """A text column as codes: line i reads `values[codes[i]]`; the values are distinct."""

    codes: np.ndarray
    values: pd.Index
    """Distinct texts (str dtype), so per-value steps can use pandas string methods too."""

    @classmethod
    def of(cls, texts: pd.Series | Sequence[str]) -> _Text:
        """Texts (str, no missing values) hashed by pyarrow."""
        cells = texts.to_numpy(dtype=object) if isinstance(texts, pd.Series) else texts
        encoded = pc.dictionary_encode(pa.array(cells, type=pa.string()))
        return cls(encoded.indices.to_numpy(), pd.Index(pd.Series(encoded.dictionary, dtype="str")))

    @classmethod
    def blank(cls, n: int) -> _Text:
        return cls(np.zeros(n, dtype=np.intp), pd.Index([""], dtype="str"))

    def take(self, lines: np.ndarray) -> _Text:
        return _Text(self.codes[lines], self.values)

    def under(self, codes: np.ndarray) -> _Text:
        """This column read through other codes: line i reads `self` at `codes[i]`."""
        return _Text(self.codes[codes], self.values)

    def relabel(self, values: Sequence[str]) -> _Text:
        """New text for each distinct value (same order); values that now coincide merge."""
        return _Text.of(values).under(self.codes)

    def per_line(self, per_value: np.ndarray) -> np.ndarray:
        return per_value[self.codes]

    def at(self, lines: np.ndarray) -> pd.Series:
        """The texts of some lines (a boolean mask), for issue values."""
        return pd.Series(self.values.array.take(self.codes[lines]))

    def series(self) -> pd.Series:
        """The text of every line. Few distinct values: a Categorical over them (no string
        copied per line); many (part numbers): plain strings, cheaper than a large category."""
        if len(self.values) * 4 <= len(self.codes):
            return pd.Series(pd.Categorical.from_codes(self.codes, categories=self.values))
        return pd.Series(self.values.array.take(self.codes))


def clean_bom(
    raw: RawTable, columns: ColumnMap, country_aliases: Mapping[str, str] | None = None
) -> CleanBom:
    """Turn a `RawTable` into the canonical BOM frame and its issues.

    Canonical columns: row, part_number, description, material, notes, text (the folded mapping
    text), quantity, quantity_unit, line_mass_kg, mass_given, supplier, supplier_country,
    mining_country, processing_country, mineral, cas_number, spend, currency, valid.
    """
    lines = _Lines.of(raw, columns)
    _note_unmatched_columns(columns, lines.log)
    fields, optional = _text_fields(lines)
    mapping_codes, mapping_values = _mapping_text(fields)
    quantity = _quantities(lines)
    line_mass = _line_masses(lines, quantity, fields["quantity_unit"])
    countries = _countries(lines, country_aliases)
    costs = _costs(lines, quantity)
    _part_numbers(lines, fields)

    out: dict[str, Any] = {"row": lines.rows}
    for name in _OUTPUT_TEXT_FIELDS:
        out[name] = fields[name].series()
    for name in optional:
        out[name] = fields[name].series()
    # Folded texts of different (material, description, notes) may coincide: made distinct
    # for the Categorical, which the mapper factorizes for free.
    text_codes, texts = pd.factorize(mapping_values)
    out["text"] = pd.Series(
        pd.Categorical.from_codes(text_codes[mapping_codes], pd.Index(texts, dtype=object))
    )
    out["quantity"] = quantity
    out["line_mass_kg"] = line_mass
    out["mass_given"] = ~np.isnan(line_mass)
    out.update(countries)
    out["spend"] = costs.spend
    out["valid"] = ~lines.invalid
    extra = [h for h in columns.unmatched if h in raw.frame.columns]
    for header in extra:
        # Extra columns are only shown: their text is made per line, not factorized.
        cells = lines.kept_cells(raw.frame[header])
        out[f"extra:{header}"] = _text(cells, lines.n, cells.index)
    frame_out = pd.DataFrame(out, index=pd.RangeIndex(lines.n), copy=False)
    return CleanBom(
        frame=frame_out,
        issues=lines.log,
        columns=columns,
        skipped_rows=lines.skipped,
        extra_columns=extra,
        currency=costs.currency,
        cost_is_total=costs.is_total,
        not_placed=lines.not_placed,
    )


_OUTPUT_TEXT_FIELDS = (
    "part_number",
    *TEXT_FIELDS,
    "supplier",
    "mineral",
    "cas_number",
    "quantity_unit",
    "currency",
    *ELECTRONICS_FIELDS,
)


class _ColumnTexts:
    """Each column of a raw table as text codes over every record read, made once per column."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.done: dict[str, _Text] = {}

    def __call__(self, header: str) -> _Text:
        if header not in self.done:
            encoded = self.raw.encoded.get(header)
            self.done[header] = (
                _column_text(self.raw.frame[header]) if encoded is None else arrow_text(encoded)
            )
        return self.done[header]


@dataclass
class _Lines:
    """The lines kept (skipped rows left out) and their cells, with the issue log and the
    lines marked invalid so far: what every cleaning step reads and adds to."""

    raw: RawTable
    columns: ColumnMap
    texts: _ColumnTexts
    keep: np.ndarray
    skipped: int
    kept: np.ndarray | None
    """The lines kept by position when rows were skipped: a take with them beats a boolean
    mask, column after column."""
    rows: np.ndarray
    log: IssueLog
    invalid: np.ndarray
    cells: dict[str, pd.Series]
    read_keep: np.ndarray
    """`keep` before not-placed lines were left out: the rows a total row sums."""
    not_placed: int

    @classmethod
    def of(cls, raw: RawTable, columns: ColumnMap) -> _Lines:
        texts = _ColumnTexts(raw)
        keep, skipped = _rows_to_keep(raw.frame, columns, texts)
        rows = np.asarray(raw.rows, dtype=np.int64)
        log = IssueLog(sheet=raw.sheet)
        log.extend(raw.issues)  # what the reader noted (e.g. a tolerant CSV read)
        read_keep = keep.copy()
        unplaced = _drop_not_placed(keep, rows, columns, texts, log)
        kept = np.flatnonzero(keep) if skipped + unplaced else None
        if kept is not None:
            rows = rows[kept]
        return cls(
            raw=raw,
            columns=columns,
            texts=texts,
            keep=keep,
            skipped=skipped,
            kept=kept,
            rows=rows,
            log=log,
            invalid=np.zeros(len(rows), dtype=bool),
            cells={},
            read_keep=read_keep,
            not_placed=unplaced,
        )

    @property
    def n(self) -> int:
        return len(self.rows)

    def text(self, header: str | None) -> _Text:
        """A column's text codes on the lines kept ('' everywhere for a missing column)."""
        if header is None:
            return _Text.blank(self.n)
        text = self.texts(header)
        return text if self.kept is None else text.take(self.kept)

    def kept_cells(self, cells: pd.Series) -> pd.Series:
        """Raw cells of every record read, on the lines kept (numbered 0..n-1)."""
        return (cells if self.kept is None else cells[self.keep]).reset_index(drop=True)

    def column(self, name: str) -> pd.Series | None:
        """A field's raw cells on the lines kept (numbered 0..n-1); None if the BOM lacks it."""
        header = self.columns.header(name)
        if header is None:
            return None
        if header not in self.cells:
            encoded = self.raw.encoded.get(header)
            if encoded is not None:
                # Already hashed: the cells as a Categorical, so a million lines are never
                # copied as strings and are parsed once per distinct cell.
                codes = np.asarray(encoded.indices)
                categories: pd.Index = pd.Index(pd.Series(encoded.dictionary, dtype="str"))
                if self.kept is not None:
                    codes = codes[self.kept]
                cells = pd.Series(pd.Categorical.from_codes(codes, categories))
            else:
                cells = self.kept_cells(self.raw.frame[header])
            self.cells[header] = cells
        return self.cells[header]


def _note_unmatched_columns(columns: ColumnMap, log: IssueLog) -> None:
    """A second column for a field, or a column not recognised: noted once, kept as is."""
    duplicates = getattr(columns, "duplicates", {})
    for header in columns.unmatched:
        if header in duplicates:
            used = columns.header(duplicates[header])
            log.add(
                IssueCode.DUPLICATE_COLUMN,
                f"column {header!r} is a second {duplicates[header]} column; {used!r} is "
                "used and this one kept as is",
                column=header,
            )
        elif not header.startswith("column "):
            log.add(
                IssueCode.UNKNOWN_COLUMN,
                f"column {header!r} not recognised; kept as is",
                column=header,
            )


def _text_fields(lines: _Lines) -> tuple[dict[str, _Text], list[str]]:
    """The text fields as codes (kept so until the frame is built), control characters
    flagged and removed, and the optional rule columns the BOM has."""
    columns = lines.columns
    fields: dict[str, _Text] = {}
    for name in TEXT_FIELDS:
        fields[name] = _join([lines.text(h) for h in columns.text.get(name, [])], lines.n, " — ")
    # The optional rule columns only when the BOM has them (no empty columns on the hot path).
    optional = [name for name in OPTIONAL_FIELDS if columns.header(name)]
    for name in ("supplier", "mineral", "cas_number", "quantity_unit", "currency", *optional):
        fields[name] = lines.text(columns.header(name))
    _electronics_fields(fields, columns, lines.text)
    _flag_control_characters(fields, lines.rows, columns, lines.log)
    return fields, optional


_DESIGNATOR_RANGE = re.compile(r"^([A-Za-z]+)(\d+)\s*[-–]\s*\1?(\d+)$")


def _designator_counts(cells: pd.Series) -> np.ndarray:
    """How many reference designators each cell lists ("C1, C4, C5" -> 3, "R1-R4" -> 4; a
    blank cell counts once)."""

    def count(text: str) -> float:
        total = 0
        for ref in re.split(r"[\s,;]+", text.strip()):
            if not ref:
                continue
            m = _DESIGNATOR_RANGE.match(ref)
            first, last = (int(m.group(2)), int(m.group(3))) if m else (0, 0)
            total += last - first + 1 if m and last >= first else 1
        return float(total or 1)

    values = cells.astype(object).where(cells.notna(), "").astype(str)
    distinct = {v: count(v) for v in set(values)}
    return values.map(distinct).to_numpy(float)


def _quantities(lines: _Lines) -> np.ndarray:
    """Quantity per line: a blank counts once, a bad or negative one makes the line invalid."""
    quantity_col = lines.column("quantity")
    log, rows = lines.log, lines.rows
    if quantity_col is None:
        designators = lines.column("designator")
        if designators is not None:
            # JLCPCB's BOM template has no quantity: each line counts its designators.
            log.add(
                IssueCode.MISSING_COLUMN,
                "no quantity column; each line counts its reference designators",
                column=None,
            )
            return _designator_counts(designators)
        log.add(IssueCode.MISSING_COLUMN, "no quantity column; every line counts once", column=None)
        return np.ones(lines.n)
    header = lines.columns.header("quantity")
    parsed = _parse_distinct(quantity_col)
    quantity, bad = parsed.values[parsed.codes], parsed.bad[parsed.codes]
    _report_bad_numbers(log, bad, quantity_col, rows, header, lines.invalid)
    _report_ambiguous(log, parsed, quantity_col, rows, header)
    quantity = np.where(np.isnan(quantity) & ~bad, 1.0, quantity)  # a blank counts once
    negative = quantity < 0
    log.add_cells(
        IssueCode.NEGATIVE_VALUE,
        rows[negative],
        pd.Series(quantity[negative]),
        header,
        "quantity {value} is below zero; fix the quantity",
    )
    lines.invalid |= negative
    zero = quantity == 0
    log.add_cells(
        IssueCode.ZERO_QUANTITY,
        rows[zero],
        pd.Series(quantity[zero]),
        header,
        "quantity is zero; the line is read but weighs nothing",
    )
    return quantity


def _line_masses(lines: _Lines, quantity: np.ndarray, unit: _Text) -> np.ndarray:
    """Mass per line in kg: a quantity counted in a mass unit, else unit mass x quantity, else
    a total mass; NaN where none is given."""
    columns = lines.columns
    unit_factor = unit.per_line(_mass_factors(unit.values))
    line_mass = np.where(np.isnan(unit_factor), np.nan, quantity * unit_factor)
    unit_header = columns.header("mass_unit")
    for name in ("unit_mass", "total_mass"):
        col = lines.column(name)
        if col is None:
            continue
        header = columns.header(name)
        mass_kg = _parse_mass(
            col,
            columns.mass_unit.get(name),
            None if unit_header is None else lines.text(unit_header),
            lines.rows,
            header,
            lines.log,
            lines.invalid,
            unit_header,
        )
        if name == "unit_mass":
            too_big = mass_kg > MAX_PLAUSIBLE_UNIT_MASS_KG
            lines.log.add_cells(
                IssueCode.IMPLAUSIBLE_MASS,
                lines.rows[too_big],
                col[too_big],
                header,
                "unit mass {value} is over 10 tonnes; check the unit in the header",
            )
            mass_kg = _product(lines, mass_kg, quantity, header, "quantity x unit mass")
        line_mass = np.where(~np.isnan(line_mass) | np.isnan(mass_kg), line_mass, mass_kg)
    return line_mass


def _countries(
    lines: _Lines, country_aliases: Mapping[str, str] | None
) -> dict[str, pd.Series | None]:
    """ISO 3166 alpha-3 codes of the country columns, each distinct spelling looked up once
    (None for a column the BOM lacks)."""
    countries: dict[str, pd.Series | None] = {}
    for name in ("supplier_country", "mining_country", "processing_country"):
        header = lines.columns.header(name)
        if header is None:
            countries[name] = None
            continue
        names = lines.text(header)
        iso = to_iso3(pd.Series(names.values, dtype=object), country_aliases).to_numpy(object)
        unknown = names.per_line(pd.isna(iso) & (names.values != ""))
        lines.log.add_cells(
            IssueCode.UNKNOWN_COUNTRY,
            lines.rows[unknown],
            names.at(unknown),
            header,
            "country {value!r} matches no country; use a name or ISO code, "
            "or add an alias in countries.yaml".replace("{value!r}", "'{value}'"),
        )
        # ISO codes as a Categorical over the few distinct codes (missing: NaN).
        codes, distinct = pd.factorize(pd.Series(iso, dtype=object), use_na_sentinel=True)
        countries[name] = pd.Series(
            pd.Categorical.from_codes(names.per_line(codes), pd.Index(distinct, dtype=object))
        )
    return countries


class _Costs(NamedTuple):
    spend: np.ndarray
    currency: str | None
    is_total: bool
    """A bare cost column read as line totals (its total row equals its sum)."""


def _costs(lines: _Lines, quantity: np.ndarray) -> _Costs:
    """Spend per line: the extended cost where given, else quantity x unit cost."""
    columns = lines.columns
    parsed: dict[str, np.ndarray | None] = {}
    for name in ("extended_cost", "unit_cost"):
        col = lines.column(name)
        parsed[name] = None if col is None else _cost_cells(lines, name, col)
    extended, unit_cost = parsed["extended_cost"], parsed["unit_cost"]
    is_total = (
        unit_cost is not None
        and extended is None
        and _cost_column_is_total(lines.raw, columns, lines.read_keep, unit_cost, quantity)
    )
    if is_total:
        extended, unit_cost = unit_cost, None
        lines.log.add(
            IssueCode.COST_COLUMN_TOTAL,
            f"the total row equals the sum of {columns.header('unit_cost')!r}, so it is "
            "read as line totals, not unit prices",
            column=columns.header("unit_cost"),
        )
    spend = np.full(lines.n, np.nan) if extended is None else extended
    if unit_cost is not None:
        header = columns.header("unit_cost")
        line_cost = _product(lines, unit_cost, quantity, header, "quantity x unit cost")
        spend = np.where(np.isnan(spend), line_cost, spend)
    currency = columns.currency or _currency_from_cells(
        lines.column("unit_cost"), lines.column("extended_cost")
    )
    return _Costs(spend, currency, is_total)


def _product(
    lines: _Lines, unit: np.ndarray, quantity: np.ndarray, header: str | None, what: str
) -> np.ndarray:
    """`unit` x `quantity`, checked: a product beyond MAX_MAGNITUDE makes the line invalid
    (NaN) with an issue, so no later sum or product can overflow."""
    with np.errstate(over="ignore", invalid="ignore"):
        product = unit * quantity
    over = ~(np.abs(product) <= MAX_MAGNITUDE) & ~np.isnan(product)
    if over.any():
        lines.log.add_cells(
            IssueCode.NUMBER_OUT_OF_RANGE,
            lines.rows[over],
            pd.Series(product[over]),
            header,
            f"{what} is {{value}}, beyond {_MAX_SHOWN}; check both cells",
        )
        lines.invalid |= over
        product = np.where(over, np.nan, product)
    return product


def _cost_cells(lines: _Lines, name: str, col: pd.Series) -> np.ndarray:
    """A cost column's numbers; a bad or negative cost makes the line invalid."""
    header = lines.columns.header(name)
    parsed = _parse_distinct(col)
    values, bad = parsed.values[parsed.codes], parsed.bad[parsed.codes]
    _report_bad_numbers(lines.log, bad, col, lines.rows, header, lines.invalid)
    _report_ambiguous(lines.log, parsed, col, lines.rows, header)
    negative = values < 0
    lines.log.add_cells(
        IssueCode.NEGATIVE_VALUE,
        lines.rows[negative],
        col[negative],
        header,
        "cost {value} is below zero; fix the cost",
    )
    lines.invalid |= negative
    return values


def _part_numbers(lines: _Lines, fields: dict[str, _Text]) -> None:
    """The part-number field (control characters removed); repeated part numbers noted."""
    header = _part_number_header(lines.columns)
    fields["part_number"] = lines.text(header)
    _flag_control_characters(fields, lines.rows, lines.columns, lines.log, names=("part_number",))
    part = fields["part_number"]  # its control characters removed
    repeated = np.bincount(part.codes, minlength=len(part.values)) > 1
    dup = part.per_line(repeated & (part.values != ""))
    if dup.any():
        lines.log.add_cells(
            IssueCode.DUPLICATE_PART,
            lines.rows[dup],
            part.at(dup),
            header,
            "part number {value} appears on several lines; each line is scored",
        )


def _electronics_fields(
    fields: dict[str, _Text], columns: ColumnMap, text: Callable[[str | None], _Text]
) -> None:
    """Designator, value, footprint, manufacturer, MPN and order code (in place). An empty
    description reads the value, else the MPN ("100nF", "GRM188R71H104KA93D"); a BOM without
    a supplier column names the manufacturer as the supplier."""
    for name in ELECTRONICS_FIELDS:
        fields[name] = text(columns.header(name))
    fields["description"] = _first_filled([fields["description"], fields["value"], fields["mpn"]])
    if columns.header("supplier") is None and columns.header("manufacturer") is not None:
        fields["supplier"] = fields["manufacturer"]


def _part_number_header(columns: ColumnMap) -> str | None:
    """The part number column; without one, the MPN, else the supplier's order code."""
    for name in ("part_number", "mpn", "supplier_part"):
        header = columns.header(name)
        if header is not None:
            return header
    return None


def _drop_not_placed(
    keep: np.ndarray,
    rows: np.ndarray,
    columns: ColumnMap,
    text_of: Callable[[str], _Text],
    log: IssueLog,
) -> int:
    """Lines marked not placed are left out of `keep` (in place) with an issue each; returns
    how many."""
    marked, said = not_placed(columns, text_of, len(keep))
    marked &= keep
    count = int(marked.sum())
    if count:
        keep &= ~marked
        log.add_cells(
            IssueCode.NOT_PLACED,
            rows[marked],
            pd.Series([""] * count, dtype=object),
            said[0],
            f"marked not placed ({' / '.join(repr(h) for h in said)}); line left out",
        )
    return count


def _first_filled(parts: list[_Text]) -> _Text:
    """Line by line, the first of `parts` that is not blank: once per distinct combination."""
    if not any(len(p.values) > 1 or (len(p.values) and p.values[0] != "") for p in parts[1:]):
        return parts[0]
    codes, members = combine_codes([p.codes for p in parts], [len(p.values) for p in parts])
    chosen = [
        next((t for t in texts if t), "")
        for texts in zip(
            *(np.asarray(p.values, dtype=object)[m] for p, m in zip(parts, members, strict=True)),
            strict=True,
        )
    ]
    return _Text.of(chosen).under(codes)


# --- rows to skip ------------------------------------------------------------------------------


_NUMBER_FIELDS = ("quantity", "unit_mass", "total_mass", "unit_cost", "extended_cost")


def _rows_to_keep(
    frame: pd.DataFrame, columns: ColumnMap, text_of: Callable[[str], _Text] | None = None
) -> tuple[np.ndarray, int]:
    """Blank rows, total and subtotal rows, and repeated header rows are left out and counted.

    Only the recognised columns are looked at: a row with nothing in any of them says nothing.
    Cells are compared by a key (accents, case, spaces and punctuation dropped), computed only
    for the few candidate rows.
    """
    n = len(frame)
    if n == 0:
        return np.ones(0, dtype=bool), 0
    mapped = list(dict.fromkeys([*columns.fields.values(), *sum(columns.text.values(), [])]))
    if text_of is None:

        def text_of(h: str) -> _Text:
            return _column_text(frame[h])

    # A number column of spreadsheet cells is not made text as a whole (its text is never
    # used): only its cells that are not plain numbers are.
    numeric = {columns.header(name) for name in _NUMBER_FIELDS} - {None}
    # A part-number column of strings is looked at as it is: a value per line, its codes
    # would say nothing more.
    part_number = columns.header("part_number")
    cells = {
        h: _NumberCells(frame[h].to_numpy())
        if h in numeric and frame[h].dtype == object
        else _StringCells(frame[h])
        if h == part_number and frame[h].dtype == "str"
        else _TextCells(text_of(h))
        for h in mapped
    }
    # Each column is looked at only on the lines still blank in the ones before (few, after
    # the first); part-number strings last, as they are not hashed.
    blank = np.ones(n, dtype=bool)
    for column in sorted(cells.values(), key=lambda c: isinstance(c, _StringCells)):
        at = np.flatnonzero(blank)
        if len(at) == n:
            blank = column.blank()
        elif len(at):
            blank[at] = column.blank_at(at)
    # Total and repeated header rows have no number in the quantity column: look only there.
    quantity_header = columns.header("quantity")
    if quantity_header is not None:
        candidates = cells[quantity_header].no_number()
    else:
        candidates = np.ones(n, dtype=bool)
    candidates &= ~blank
    skip = blank.copy()
    if candidates.any():
        at = np.flatnonzero(candidates)
        total = np.zeros(len(at), dtype=bool)
        same_as_header = np.zeros(len(at), dtype=np.int64)
        for header, column in cells.items():
            keys = _match_key(pd.Series(column.texts_at(at), dtype="str")).to_numpy(object)
            header_key = _match_key(pd.Series([header], dtype=object)).iloc[0]
            total |= np.isin(keys, list(_TOTAL_KEYS))
            same_as_header += keys == header_key
        if quantity_header is not None:
            total &= cells[quantity_header].blank()[at]
        repeated = same_as_header >= max(2, len(mapped) // 2)
        skip[at] = total | repeated
    return ~skip, int(skip.sum())


class _TextCells:
    """A column's cells seen through its text codes, for row skipping."""

    def __init__(self, text: _Text) -> None:
        self.text = text

    def blank(self) -> np.ndarray:
        return self.text.per_line(self.text.values == "")

    def blank_at(self, lines: np.ndarray) -> np.ndarray:
        return (self.text.values == "")[self.text.codes[lines]]

    def no_number(self) -> np.ndarray:
        """Cells whose text does not start like a number."""
        starts = [v[:1] not in _NUMBER_START for v in self.text.values]
        return self.text.per_line(np.array(starts, dtype=bool))

    def texts_at(self, lines: np.ndarray) -> np.ndarray:
        # Only the few lines asked for: a part-number column has a million distinct values.
        return self.text.values.array.take(self.text.codes[lines]).to_numpy(dtype=object)


class _StringCells:
    """A column of strings as it is, for row skipping (stripped as `arrow_text` strips)."""

    def __init__(self, values: pd.Series) -> None:
        self.values = values

    def blank(self) -> np.ndarray:
        return self.blank_at(np.arange(len(self.values)))

    def blank_at(self, lines: np.ndarray) -> np.ndarray:
        return self.values.iloc[lines].str.strip().eq("").to_numpy(dtype=bool)

    def no_number(self) -> np.ndarray:
        starts = self.values.str.strip().str[:1]
        return ~starts.isin(list(_NUMBER_START)).to_numpy(dtype=bool)

    def texts_at(self, lines: np.ndarray) -> np.ndarray:
        return self.values.iloc[lines].str.strip().to_numpy(dtype=object)


class _NumberCells:
    """A number column's raw cells, for row skipping: finite numbers are neither blank nor
    text-like, so only the other cells (blanks, labels, "12 g") are made text."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.number = _cells_of_type(values, float)
        self.number[self.number] = np.isfinite(values[self.number].astype(float))
        self.other = _TextCells(_column_text(pd.Series(values[~self.number], dtype=object)))

    def _spread(self, other: np.ndarray) -> np.ndarray:
        out = np.zeros(len(self.values), dtype=bool)
        out[~self.number] = other
        return out

    def blank(self) -> np.ndarray:
        return self._spread(self.other.blank())

    def blank_at(self, lines: np.ndarray) -> np.ndarray:
        return self.blank()[lines]

    def no_number(self) -> np.ndarray:
        return self._spread(self.other.no_number())

    def texts_at(self, lines: np.ndarray) -> np.ndarray:
        texts = np.empty(len(lines), dtype=object)
        texts[:] = [cell_text(v).strip() for v in self.values[lines]]
        return texts


def _match_key(text: pd.Series) -> pd.Series:
    """ "Sub-Total:" -> "subtotal", "Désignation" -> "designation": for exact comparisons."""
    if len(text) == 0:
        return text.astype(object)
    strings = text.astype("str")
    return strings.str.normalize("NFKD").str.lower().str.replace(r"[^0-9a-z]+", "", regex=True)


def _cost_column_is_total(
    raw: RawTable,
    columns: ColumnMap,
    keep: np.ndarray,
    unit_cost: np.ndarray,
    quantity: np.ndarray,
) -> bool:
    """A bare "Cost" column whose total row equals its own sum holds line totals."""
    header = columns.header("unit_cost")
    if header is None or fold_header(header) not in {"cost", "price", "amount"}:
        return False
    skipped = raw.frame[header][~keep] if len(keep) else pd.Series(dtype=object)
    totals, _ = parse_numbers(skipped)
    totals = totals.dropna()
    if totals.empty:
        return False
    column_sum = float(pd.Series(unit_cost).sum(skipna=True))
    extended_sum = float(pd.Series(unit_cost * quantity).sum(skipna=True))
    target = float(totals.iloc[-1])
    close = math.isclose(column_sum, target, rel_tol=0.005, abs_tol=0.01)
    return close and not math.isclose(extended_sum, target, rel_tol=0.005, abs_tol=0.01)


# --- codes -------------------------------------------------------------------------------------


def combine_codes(
    codes: Sequence[np.ndarray], sizes: Sequence[int]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Codes of the distinct combinations of several code columns, numbered in order of first
    appearance, and for each combination its code in every column.

    The codes are combined as integers (a * size_b + b) and factorized: all at once when the
    key fits in 64 bits, else a pair at a time, so this costs one or a few integer factorizes
    however many lines there are.
    """
    if math.prod(max(s, 1) for s in sizes) < 2**62:
        # One integer key per line (a * size_b * size_c + b * size_c + c): one factorize.
        key = np.zeros(len(codes[0]), dtype=np.int64)
        for column, size in zip(codes, sizes, strict=True):
            key *= max(size, 1)
            key += column
        # Hashed by pyarrow, whose table grows with the distinct keys (a few thousand), where
        # pd.factorize sizes one for every line: 16 MB of fresh memory at 1M lines.
        encoded = pc.dictionary_encode(pa.array(key))
        combined, keys = encoded.indices.to_numpy(), encoded.dictionary.to_numpy()
        members: list[np.ndarray] = []
        for size in reversed(sizes):
            keys, member = np.divmod(keys, max(size, 1))
            members.insert(0, member)
        return combined, members
    combined = np.asarray(codes[0], dtype=np.int64)
    members = [np.arange(sizes[0], dtype=np.int64)]
    for column, size in zip(codes[1:], sizes[1:], strict=True):
        combined, keys = pd.factorize(combined * max(size, 1) + column)
        keys = np.asarray(keys, dtype=np.int64)
        members = [m[keys // max(size, 1)] for m in members] + [keys % max(size, 1)]
    return np.asarray(combined, dtype=np.intp), members


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


def _column_text(series: pd.Series) -> _Text:
    """A raw column as stripped text codes (numbers without '.0', dates as ISO dates)."""
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=False) == "string":
        return arrow_text(pa.array(series.to_numpy(), type=pa.string()))
    if series.dtype != object:
        return arrow_text(pa.array(series.astype("str")))
    values = series.to_numpy()
    numbers = _cells_of_type(values, float)
    if numbers.sum() * 2 > len(values):
        whole = _whole_number_text(values, numbers)
        if whole is not None:
            return whole
    # Cells of several types: each distinct cell is made text once (as `_text` would), then
    # cells that give the same text (1 and 1.0) share a code.
    uniques: pd.Index | np.ndarray
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    if _may_hold_bools(uniques):  # False hashes like 0: give checkbox cells their own text
        is_bool = _cells_of_type(values, bool)
        if is_bool.any():
            values = values.copy()
            values[is_bool] = [str(v) for v in values[is_bool]]
            codes, uniques = pd.factorize(values, use_na_sentinel=False)
    cells = pd.Series(uniques, dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=False) in _NUMBER_KINDS:
        texts = _number_text(cells)
    else:
        texts = _cell_texts(cells)
    return _Text.of(texts).under(np.asarray(codes, dtype=np.intp))


def arrow_text(array: pa.Array | pa.ChunkedArray) -> _Text:
    """A column of strings as stripped text codes: hashed by pyarrow in C++, then only the
    distinct values stripped (a few thousand strings, not a million)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = array if pa.types.is_dictionary(array.type) else pc.dictionary_encode(array)
    # Arrow's int32 indices as they are (no copy): numpy indexes with any integer type.
    codes = encoded.indices.to_numpy()
    uniques = pd.Series(encoded.dictionary, dtype="str")
    stripped = uniques.str.strip()
    if stripped.equals(uniques):
        return _Text(codes, pd.Index(uniques))
    return _Text.of(stripped).under(codes)


def _cells_of_type(values: np.ndarray, kind: type) -> np.ndarray:
    """Which cells of an object column are exactly of `kind` (calamine gives numbers as float,
    checkboxes as bool; a bool is no float here, though it is an int)."""
    return np.fromiter((type(v) is kind for v in values), bool, len(values))


def _whole_number_text(values: np.ndarray, numbers: np.ndarray) -> _Text | None:
    """Text codes of a column of mostly whole numbers (an item-number column, a distinct
    value per line): the numbers are hashed as integers by numpy and formatted by arrow, the
    few other cells (a "Total" label) one by one. None when some number is not whole."""
    floats = values[numbers].astype(float)
    whole = np.isfinite(floats) & (np.abs(floats) < 1e15)
    if not whole.all() or not (floats == np.floor(floats)).all():
        return None
    codes = np.empty(len(values), dtype=np.intp)
    number_codes, distinct = pd.factorize(floats.astype(np.int64))
    codes[numbers] = number_codes
    texts = pd.Series(pa.array(distinct).cast(pa.string()), dtype="str")  # formatted in C++
    if numbers.all():
        return _Text(codes, pd.Index(texts))
    rest = _column_text(pd.Series(values[~numbers], dtype=object))
    codes[~numbers] = rest.codes + len(texts)
    joined = pd.concat([texts, pd.Series(rest.values)], ignore_index=True)
    digits = [t for t in rest.values if t.lstrip("-").isdigit()]
    if digits and texts.isin(digits).any():  # a text cell "10" and a number 10 share a code
        return _Text.of(joined).under(codes)
    return _Text(codes, pd.Index(joined))


_NUMBER_KINDS = {"floating", "integer", "mixed-integer-float"}


def _cell_texts(cells: pd.Series) -> pd.Series:
    """`cell_text(v).strip()` of each cell; the plain numbers among them (an item-number
    column with a few text cells) are formatted by `_number_text` in one pass."""
    values = cells.to_numpy(dtype=object)
    plain = np.fromiter(
        (type(v) is float or (type(v) is int and abs(v) < 2**53) for v in values),
        dtype=bool,
        count=len(values),
    )
    out = np.empty(len(values), dtype=object)
    if plain.any():
        out[plain] = _number_text(pd.Series(values[plain], dtype=object)).to_numpy(object)
    out[~plain] = [cell_text(v).strip() for v in values[~plain]]
    return pd.Series(out, dtype="str")


def _text(series: pd.Series | None, n: int, index: pd.Index) -> pd.Series:
    """A column as stripped text (str dtype): numbers without '.0', dates as ISO dates."""
    if series is None:
        return pd.Series(np.full(n, "", dtype=object), index=index, dtype="str")
    if series.index is not index and not series.index.equals(index):
        series = series.loc[index]
    if series.dtype == object:  # spreadsheet cells: the text codes' shortcuts, then per line
        text = _column_text(series)
        return pd.Series(text.values.array.take(text.codes), index=series.index)
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("str")  # no spaces to strip
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


def _join(parts: list[_Text], n: int, sep: str) -> _Text:
    """Join text columns line by line, leaving out blanks: once per distinct combination."""
    if not parts:
        return _Text.blank(n)
    if len(parts) == 1:
        return parts[0]
    codes, members = combine_codes([p.codes for p in parts], [len(p.values) for p in parts])
    joined = []
    for texts in zip(
        *(np.asarray(p.values, dtype=object)[m] for p, m in zip(parts, members, strict=True)),
        strict=True,
    ):
        result = texts[0]
        for text in texts[1:]:
            result = result + sep + text if result and text else (result or text)
        joined.append(result)
    return _Text.of(joined).under(codes)


def _mapping_text(fields: dict[str, _Text]) -> tuple[np.ndarray, np.ndarray]:
    """The folded mapping text: codes per line and one text per distinct (material,
    description, notes), so no text is built per line."""
    parts = [fields[name] for name in ("material", "description", "notes")]
    codes, members = combine_codes([p.codes for p in parts], [len(p.values) for p in parts])

    def folded(text: str) -> str:
        """Each part of a joined text ("a — b") folded, the blank ones left out."""
        return " | ".join(f for f in (fold(p) for p in text.split(" — ")) if f)

    # Folded once per distinct value of each column, then joined per combination.
    columns = [
        np.array([folded(v) for v in p.values], dtype=object)[m]
        for p, m in zip(parts, members, strict=True)
    ]
    values = np.empty(len(members[0]), dtype=object)
    values[:] = [" | ".join(t for t in texts if t) for texts in zip(*columns, strict=True)]
    return codes, values


def _flag_control_characters(
    fields: dict[str, _Text],
    rows: np.ndarray,
    columns: ColumnMap,
    log: IssueLog,
    names: Sequence[str] = ("description", "material", "notes", "supplier"),
) -> None:
    """Control characters (terminal escapes) in text are reported, then removed."""
    for name in names:
        if columns.header(name) is None and not columns.text.get(name):
            continue
        text = fields[name]
        if not _may_hold_control(text.values):
            continue
        bad_value = pd.Series(text.values).str.contains(_CONTROL.pattern, regex=True).to_numpy(bool)
        if bad_value.any():
            bad = text.per_line(bad_value)
            log.add_cells(
                IssueCode.CONTROL_CHARACTERS,
                rows[bad],
                text.at(bad),
                columns.header(name) or name,
                "text {value} holds control characters; they were removed",
            )
            cleaned = [
                _CONTROL.sub("", v) if b else v for v, b in zip(text.values, bad_value, strict=True)
            ]
            fields[name] = text.relabel(cleaned)


def _may_hold_control(values: pd.Index) -> bool:
    """Whether some text may hold a control character, from its UTF-8 bytes: a byte scan of a
    million part numbers takes a quarter of the time of a regex over them."""
    array = pa.array(values.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if len(array) == 0 or array.type not in (pa.string(), pa.large_string()):
        return len(array) > 0
    width = np.int64 if array.type == pa.large_string() else np.int32
    offsets = np.frombuffer(array.buffers()[1], dtype=width)
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)
    data = data[offsets[array.offset] : offsets[array.offset + len(array)]]
    # C0 controls but tab and newline, DEL, and C1 controls (U+0080-U+009F: 0xC2 0x80-0x9F).
    low = data[data < 0x20]
    if ((low != 0x09) & (low != 0x0A)).any() or (data == 0x7F).any():
        return True
    lead = np.flatnonzero(data[:-1] == 0xC2) + 1
    return bool(((data[lead] >= 0x80) & (data[lead] <= 0x9F)).any())


# --- numbers -----------------------------------------------------------------------------------


def parse_numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column of numbers as typed by people: "$42.53", "3,10 €", "1.234,5", "(12)".

    Returns (values as float with NaN for blanks and bad cells, bad-cell mask). A column whose
    strings use a comma as the decimal mark is read that way as a whole. Never raises.
    Each distinct cell is parsed once (a million quantities hold a few hundred values).
    """
    values, bad = _parse_cells(series)
    return pd.Series(values, index=series.index), pd.Series(bad, index=series.index)


class _Numbers(NamedTuple):
    """A number column parsed once per distinct cell: line i reads `values[codes[i]]`."""

    codes: np.ndarray
    values: np.ndarray
    bad: np.ndarray
    cells: Sequence[object] | np.ndarray
    """The distinct cells as factorized (booleans as a marker), for a second look."""
    ambiguous: np.ndarray | None = None
    """Slots whose separator could be read two ways ("1,000": thousands or decimal comma)."""
    decimal_comma: bool = False
    """Whether the column was read with a decimal comma (how the ambiguous cells were read)."""


def _parse_cells(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """`parse_numbers` as arrays: (values, bad) per line."""
    parsed = _parse_distinct(series)
    return parsed.values[parsed.codes], parsed.bad[parsed.codes]


def _parse_distinct(series: pd.Series) -> _Numbers:
    n = len(series)
    if n == 0:
        return _Numbers(np.zeros(0, dtype=np.intp), np.zeros(0), np.zeros(0, dtype=bool), [])
    if series.dtype == bool:
        return _Numbers(np.zeros(n, dtype=np.intp), np.array([np.nan]), np.array([True]), [True])
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return _finite(_Numbers(np.arange(n), values, np.zeros(n, dtype=bool), values))
    if series.dtype == object:
        numbers = _cells_of_type(series.to_numpy(), float)
        if numbers.any() and numbers.sum() * 2 > n:
            return _mostly_numbers(series.to_numpy(), numbers)
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = _used_categories(series)  # already hashed: no second factorize
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if series.dtype == object and _may_hold_bools(uniques):
        # True/False cells would read as 1/0 (and hash like them); a checkbox is no quantity.
        is_bool = _cells_of_type(series.to_numpy(), bool)
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
        i: (
            unique_values[i]
            if isinstance(unique_values[i], dt.date | dt.time)
            else cell_text(unique_values[i])
        )
        for i in pending
    }
    # "12 g", "96 pcs": a number and a word are no number (nor a decimal comma); told apart
    # in one vectorised pass rather than parsed one by one.
    worded = _number_and_word([strings[i] for i in pending]).found
    strings = {i: strings[i] for i, w in zip(pending, worded, strict=True) if not w}
    decimal_comma = _decimal_comma([t for t in strings.values() if isinstance(t, str)])
    parsed = np.append(plain, np.nan)
    blank = np.zeros(len(parsed), dtype=bool)
    blank[-1] = True  # the slot of code -1, a missing value
    for i, text in strings.items():
        if not isinstance(text, str) or text == _BOOL_CELL:
            continue
        if not text.strip():
            blank[i] = True
        else:
            parsed[i] = _none_to_nan(parse_number(text, decimal_comma))
    ambiguous = _ambiguous_slots(unique_values, strings, parsed, decimal_comma)
    codes = np.where(codes < 0, len(unique_values), codes)
    return _finite(
        _Numbers(
            codes,
            parsed,
            np.isnan(parsed) & ~blank,
            [*unique_values, None],
            ambiguous,
            decimal_comma,
        )
    )


_COMMA_GROUP = re.compile(r"[-+]?[1-9]\d{0,2},\d{3}")
_DOT_GROUP = re.compile(r"[-+]?[1-9]\d{0,2}\.\d{3}")


def _ambiguous_slots(
    uniques: Sequence[object], strings: Mapping[int, object], parsed: np.ndarray, comma: bool
) -> np.ndarray | None:
    """Distinct cells whose one separator reads two ways: "1,000" (a thousands comma, or a
    decimal comma) and, in a decimal-comma column, "1.500" (a thousands dot there, so it is
    re-read as 1500 in `parsed`). None when there are none."""
    found = np.zeros(len(parsed), dtype=bool)
    for i, text in strings.items():
        if isinstance(text, str) and _COMMA_GROUP.fullmatch(_bare_number(text)):
            found[i] = True
    if comma:
        for slot in np.flatnonzero(~np.isnan(parsed[: len(uniques)])).tolist():
            cell = uniques[slot]
            if isinstance(cell, str) and _DOT_GROUP.fullmatch(cell.strip()):
                parsed[slot] = float(cell.strip().replace(".", ""))
                found[slot] = True
    return found if found.any() else None


def _bare_number(text: str) -> str:
    return _CURRENCY.sub("", text).replace(" ", "").replace("\u00a0", "")


def _report_ambiguous(
    log: IssueLog, parsed: _Numbers, col: pd.Series, rows: np.ndarray, header: str | None
) -> None:
    """One issue per column holding cells such as "1,000", naming the reading chosen."""
    if parsed.ambiguous is None:
        return
    lines = parsed.ambiguous[parsed.codes]
    if not lines.any():
        return
    first = int(np.argmax(lines))
    cell = cell_text(col.iloc[first]).strip()
    value = parsed.values[parsed.codes[first]]
    others = int(lines.sum()) - 1
    digits = _bare_number(cell)
    separator = "," if "," in digits else "."
    as_group = float(digits.replace(separator, ""))
    as_decimal = float(digits.replace(separator, "."))
    if parsed.decimal_comma:
        why = "this column writes decimal commas (such as 3,5), so commas are decimal marks "
        why += "and dots thousands separators"
    else:
        why = "no cell in this column writes a decimal comma, so commas are thousands separators"
    more = f" (and {others:,} more such cell(s))" if others else ""
    log.add(
        IssueCode.AMBIGUOUS_NUMBER,
        f"'{cell}'{more} could be {_plain(as_group)} or {_plain(as_decimal)}: read as "
        f"{_plain(value)} because {why}; write the number without a thousands separator "
        "if that is wrong",
        row=int(rows[first]),
        column=header,
        value=cell,
    )


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _used_categories(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """A Categorical's codes and the categories its lines use (a skipped total row's cell is
    not among them), as `pd.factorize` gives them but in the categories' order."""
    codes = series.cat.codes.to_numpy()
    categories = series.cat.categories
    used = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
    if used.all():
        return codes, categories
    renumber = np.cumsum(used) - 1
    return np.where(codes >= 0, renumber[codes], -1), categories[used]


def _mostly_numbers(values: np.ndarray, numbers: np.ndarray) -> _Numbers:
    """A column whose cells are mostly numbers already: those are taken as they are (one slot
    each, no hashing), and only the other cells are parsed once per distinct cell."""
    floats = values[numbers].astype(float)
    rest = _parse_distinct(pd.Series(values[~numbers], dtype=object))
    codes = np.empty(len(values), dtype=np.intp)
    codes[~numbers] = rest.codes
    codes[numbers] = len(rest.values) + np.arange(len(floats))
    cells = np.empty(len(rest.cells) + len(floats), dtype=object)
    cells[: len(rest.cells)] = rest.cells
    cells[len(rest.cells) :] = floats
    ambiguous = None
    if rest.ambiguous is not None:
        ambiguous = np.concatenate([rest.ambiguous, np.zeros(len(floats), dtype=bool)])
    return _finite(
        _Numbers(
            codes,
            np.concatenate([rest.values, floats]),
            np.concatenate([rest.bad, np.zeros(len(floats), dtype=bool)]),
            cells,
            ambiguous,
            rest.decimal_comma,
        )
    )


def _may_hold_bools(uniques: Iterable[object]) -> bool:
    """Whether a column whose distinct cells are `uniques` may hold True/False cells: a bool
    hashes like 1 or 0, so it shows as a bool or hides behind a 0 or 1 among the distinct cells."""
    return any(type(u) is bool or (type(u) in (int, float) and u in (0, 1)) for u in uniques)


def _none_to_nan(value: float | None) -> float:
    return np.nan if value is None else value


def _finite(numbers: _Numbers) -> _Numbers:
    """Infinite values and values beyond MAX_MAGNITUDE are bad cells (reported as
    out-of-range by `_report_bad_numbers`)."""
    out = ~(np.abs(numbers.values) <= MAX_MAGNITUDE) & ~np.isnan(numbers.values)
    if not out.any():
        return numbers
    return numbers._replace(values=np.where(out, np.nan, numbers.values), bad=numbers.bad | out)


def _out_of_range(cell: object) -> bool:
    """Whether a bad cell is a number too large to read (not text that is no number)."""
    if isinstance(cell, bool):
        return False
    if isinstance(cell, int | float | np.integer | np.floating):
        return not abs(float(cell)) <= MAX_MAGNITUDE and not math.isnan(float(cell))
    value = parse_number(cell) if isinstance(cell, str) else None
    return value is not None and not abs(value) <= MAX_MAGNITUDE


_BOOL_CELL = "\x00bool"
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
    log: IssueLog,
    bad: np.ndarray,
    col: pd.Series,
    rows: np.ndarray,
    header: str | None,
    invalid: np.ndarray,
) -> None:
    if not bad.any():
        return
    values = col[bad]
    is_date = np.zeros(len(values), dtype=bool)
    if values.dtype == object:  # spreadsheet cells; text columns hold no dates
        is_date[:] = [isinstance(v, dt.date | dt.time) for v in values]
    log.add_cells(
        IssueCode.DATE_IN_NUMBER,
        rows[bad][is_date],
        values[is_date],
        header,
        "{value} is a date where a number belongs; fix the cell format",
    )
    huge = np.zeros(len(values), dtype=bool)
    huge[~is_date] = _map_unique(values[~is_date], _out_of_range).to_numpy(dtype=bool)
    log.add_cells(
        IssueCode.NUMBER_OUT_OF_RANGE,
        rows[bad][huge],
        values[huge],
        header,
        f"{{value}} is beyond {_MAX_SHOWN}; fix the cell or clear it",
    )
    plain = ~is_date & ~huge
    log.add_cells(
        IssueCode.INVALID_NUMBER,
        rows[bad][plain],
        values[plain],
        header,
        "'{value}' is not a number; fix the cell or clear it",
    )
    invalid[bad] = True


def _mass_factors(units: Iterable[str]) -> np.ndarray:
    """kg per unit for unit names ("g", "lbs"); NaN for blanks and unknown names."""
    return np.array(
        [MASS_UNITS.get(fold_header(u), np.nan) if u else np.nan for u in units], dtype=float
    )


def _parse_mass(
    col: pd.Series,
    header_unit: float | None,
    unit_text: _Text | None,
    rows: np.ndarray,
    header: str | None,
    log: IssueLog,
    invalid: np.ndarray,
    unit_header: str | None = None,
) -> np.ndarray:
    """Masses in kg: the unit in the cell ("12 g"), else a unit column, else the header's unit,
    else kg (said once). A mass whose unit is unknown gives NaN and makes its row invalid."""
    parsed = _parse_distinct(col)
    # Per distinct cell: its number, the unit it names itself, and what is wrong with it.
    value, cell_factor = parsed.values, np.full(len(parsed.values), np.nan)
    unit_unknown = np.zeros(len(parsed.values), dtype=bool)
    report_bad = parsed.bad
    if parsed.bad.any():
        # A cell that is no plain number may be a number with its unit ("12 g"): each distinct
        # such cell is split once, the plain "number word" ones in one vectorised pass.
        texts = [cell_text(c) if b else "" for c, b in zip(parsed.cells, parsed.bad, strict=True)]
        simple = _number_and_word(texts)
        factors = {w: MASS_UNITS.get(w.lower()) for w in set(simple.word) if w is not None}
        split = [
            (number, factors[word], word.lower())
            if found and word is not None  # (found: a number and a word)
            else (_split_mass(text) if is_bad else None)
            for text, is_bad, found, number, word in zip(
                texts, parsed.bad, simple.found, simple.number, simple.word, strict=True
            )
        ]
        split_value = np.array([t[0] if t and t[0] is not None else np.nan for t in split])
        split_factor = np.array([t[1] if t and t[1] is not None else np.nan for t in split])
        unit_unknown = np.array(
            [t is not None and t[0] is not None and t[1] is None and t[2] != "" for t in split],
            dtype=bool,
        )
        ok = ~np.isnan(split_value) & ~np.isnan(split_factor)
        value = np.where(ok, split_value, value)
        cell_factor = np.where(ok, split_factor, np.nan)
        report_bad = parsed.bad & ~ok & ~unit_unknown
    # Per line: the cell's own unit, else the unit column's, else the header's.
    codes = parsed.codes
    values, factor = value[codes], cell_factor[codes]
    unknown = np.zeros(len(codes), dtype=bool)
    if unit_text is not None:
        unit_factor = _mass_factors(unit_text.values)
        unknown = unit_text.per_line(np.isnan(unit_factor) & (unit_text.values != ""))
        log.add_cells(
            IssueCode.UNKNOWN_UNIT,
            rows[unknown],
            unit_text.at(unknown),
            unit_header or header,
            "mass unit '{value}' is unknown; use g, kg, mg, t, lb or oz",
        )
        np.copyto(factor, unit_text.per_line(unit_factor), where=np.isnan(factor))
    if unit_unknown.any():
        lines = unit_unknown[codes]
        log.add_cells(
            IssueCode.UNKNOWN_UNIT,
            rows[lines],
            col[lines],
            header,
            "mass '{value}' has a unit the tool does not know; use g, kg, mg, t, lb, oz",
        )
        unknown |= lines
    if report_bad.any():
        _report_bad_numbers(log, report_bad[codes], col, rows, header, invalid)
    if header_unit is not None:
        np.copyto(factor, header_unit, where=np.isnan(factor) & ~unknown)
    invalid |= unknown
    values[unknown] = np.nan
    negative = values < 0
    log.add_cells(
        IssueCode.NEGATIVE_VALUE,
        rows[negative],
        col[negative],
        header,
        "mass {value} is below zero; fix the mass",
    )
    invalid |= negative
    assumed = ~np.isnan(values) & np.isnan(factor)
    if assumed.any():
        log.add(
            IssueCode.MASS_UNIT_ASSUMED,
            f"column {header!r} names no mass unit; read as kg — write the unit in the "
            "header, e.g. 'Mass (g)'",
            column=header,
        )
        factor[assumed] = 1.0
    values *= factor
    return values


class _NumberAndWord(NamedTuple):
    found: np.ndarray
    number: list[float | None]
    word: list[str | None]


# A number and a word ("12 g", "96 pcs"), in RE2 (ASCII \s, \d): what `_MASS_CELL` and
# `parse_number` read the same way, with Python's own float() rounding.
_NUMBER_AND_WORD = r"^\s*(?P<number>[-+]?\d+(?:\.\d+)?)\s*(?P<word>[A-Za-z]+)\s*$"


def _number_and_word(texts: Sequence[object]) -> _NumberAndWord:
    """Which texts are a number and a word, with both; a currency word ("12 USD") is not one,
    as `parse_number` reads it as a number."""
    array = pa.array([t if isinstance(t, str) else "" for t in texts], type=pa.large_string())
    parts = pc.extract_regex(array, _NUMBER_AND_WORD)
    number, word = parts.flatten()  # null where the text does not match
    words = word.to_pylist()
    currency = {w: bool(_CURRENCY.search(w)) for w in set(words) if w is not None}
    found = np.array([w is not None and not currency[w] for w in words], dtype=bool)
    numbers = pc.cast(number, pa.float64()).to_pylist()
    return _NumberAndWord(
        found, numbers, [w if f else None for w, f in zip(words, found, strict=True)]
    )


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
                return {
                    "$": "USD",
                    "US$": "USD",
                    "€": "EUR",
                    "£": "GBP",
                    "¥": "JPY",
                    "RMB": "CNY",
                    "₹": "INR",
                    "₩": "KRW",
                }.get(symbol, symbol)
    return None
