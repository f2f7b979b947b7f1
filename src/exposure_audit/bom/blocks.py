"""Several tables in one sheet read as one BOM: stacked blocks and side-by-side tables.

Hand-kept BOMs put sections one under another, each with a title row and its own header row
("Screws and nuts:", then "Size | Qty | Description"; "Motors:", then "Name | Type | Qty"), or
two tables side by side (purchased parts in columns B-D, printed parts in G-J). Read as one
table under the first header, the later headers become lines and the right-hand table's
columns hold the left-hand one's text.

`find_tables` finds every header in a sheet's cells: a run of adjacent non-blank cells that
names at least two BOM fields (or a quantity and a text column, with numbers below the
quantity). Each header starts a table over its columns, which ends where a later header
overlaps them. `merge_tables` joins the tables' lines into one frame, field by field, each line
keeping the sheet row it came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from exposure_audit.bom.columns import TEXT_FIELDS, classify_header
from exposure_audit.bom.sniff import MIN_HEADER_FIELDS, header_text, is_blank

TITLE_HEADER = "Notes (table title)"
"""The column holding each line's table title (read as notes)."""
MAX_ROWS = 20_000
"""Sheets longer than this are read as one table (block layouts are hand-kept, short files)."""


@dataclass
class Table:
    """One table of a sheet: its header row, its columns [start, stop) and its body rows."""

    header_row: int
    """Index into the sheet's cells."""
    start: int
    stop: int
    headers: list[str]
    fields: list[str | None]
    """The BOM field each header names (None: an extra column)."""
    rows: list[int] = field(default_factory=list)
    """Indices into the cells of the rows holding a line of this table."""


def find_tables(cells: Sequence[Sequence[object]]) -> list[Table]:
    """Every table in a sheet's cells, in the order their headers appear (top to bottom, then
    left to right)."""
    tables: list[Table] = []
    active: list[Table] = []
    width = max((len(r) for r in cells), default=0)
    for index, row in enumerate(cells):
        candidates = _headers_in(cells, index, width)
        # A row naming one field only (a quantity over numbers) heads a table of its own only
        # where no table is open above it; under one it is a line ("A, EA, 1": a unit).
        found = [
            h
            for h in candidates
            if sum(f is not None for f in h.fields) >= MIN_HEADER_FIELDS
            or not any(_overlap(t, h) for t in active)
        ]
        if found:
            active = [t for t in active if not any(_overlap(t, h) for h in found)]
            tables.extend(found)
            active.extend(found)
            continue
        if not candidates and _header_words(row):
            # Column names scattered over a row (",SKU,,,Product Name") head a title block
            # (a kit's name and date), not parts: the tables above end here.
            active = []
            continue
        for table in active:
            if _holds_line(row, table):
                table.rows.append(index)
    return [t for t in tables if t.rows]


def _overlap(a: Table, b: Table) -> bool:
    return a.start < b.stop and b.start < a.stop


def _runs(row: Sequence[object]) -> list[tuple[int, int]]:
    """(start, stop) of each run of adjacent non-blank cells."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, value in enumerate([*row, None]):
        if not is_blank(value):
            start = i if start is None else start
        elif start is not None:
            runs.append((start, i))
            start = None
    return runs


def _headers_in(cells: Sequence[Sequence[object]], index: int, width: int) -> list[Table]:
    row = cells[index]
    runs = _runs(row)
    out: list[Table] = []
    for n, (start, stop) in enumerate(runs):
        texts = [header_text(v).strip() for v in row[start:stop]]
        fields = [_field(t) for t in texts]
        named = {f for f in fields if f}
        words = sum(1 for v in row[start:stop] if isinstance(v, str) and not _number(v))
        if words < 2:
            continue
        if len(named) < 2 and not (
            named == {"quantity"} and _numbers_below(cells, index, fields, start)
        ):
            continue
        # The table reaches right to the next run of the header row (blank header cells over
        # data are its unnamed columns), or to the sheet's edge.
        end = runs[n + 1][0] if n + 1 < len(runs) else width
        headers = texts + [""] * (end - stop)
        out.append(Table(index, start, end, headers, fields + [None] * (end - stop)))
    return out


def _field(text: str) -> str | None:
    if not text or len(text) > 80 or _number(text):
        return None
    return classify_header(text)[0]


def _number(value: object) -> bool:
    if isinstance(value, (int, float)):
        return True
    try:
        float(str(value).replace(",", "."))
    except ValueError:
        return False
    return True


def _numbers_below(
    cells: Sequence[Sequence[object]], index: int, fields: list[str | None], start: int
) -> bool:
    """Whether the first non-blank cell under the quantity header is a number: a header's
    quantity column holds counts, a data row's "quantity" word does not."""
    column = start + fields.index("quantity")
    for row in cells[index + 1 : index + 6]:
        value = row[column] if column < len(row) else None
        if not is_blank(value):
            return _number(value)
    return False


def _holds_line(row: Sequence[object], table: Table) -> bool:
    """Whether the row holds a line of the table: something in its columns beyond a single
    title cell ("Motors:", "Fasteners") or a few header words ("SKU", "Product Name")."""
    values = [v for v in row[table.start : table.stop] if not is_blank(v)]
    if not values:
        return False
    if len(values) == 1 and isinstance(values[0], str) and not _number(values[0]):
        return False
    return not all(isinstance(v, str) and _field(v.strip()) for v in values)


def _header_words(row: Sequence[object]) -> bool:
    """Whether a row's cells (two or more) are all column names."""
    values = [v for v in row if not is_blank(v)]
    return len(values) >= 2 and all(isinstance(v, str) and _field(v.strip()) for v in values)


def _title(cells: Sequence[Sequence[object]], table: Table) -> str:
    """The title of a table: the longest text cell over its columns in the two rows above its
    header ("Screws and nuts:", "PRINTED PARTS"), unless it is a header word or a number."""
    best = ""
    for index in range(table.header_row - 1, max(table.header_row - 3, -1), -1):
        row = cells[index]
        texts = [
            str(v).strip()
            for v in row[table.start : table.stop]
            if isinstance(v, str) and v.strip() and not _number(v) and not _field(v.strip())
        ]
        if texts:
            best = max(texts, key=len)
            break
    return best.rstrip(":").strip()


def several(tables: Sequence[Table], repeats: Sequence[Table], header: int | None) -> bool:
    """Whether the sheet needs reading as several tables: a repeated table to leave out, or
    tables that differ in header or columns, or whose header is not the one the ordinary
    reader takes (`header`, an index into the cells: it takes the first row naming two
    fields, which may be a title block's). A header repeated over the same columns (a header
    on every printed page) is left to the ordinary reader, which skips it."""
    if repeats:
        return True
    if (
        tables
        and header is not None
        and tables[0].header_row != header
        # a header naming fewer fields than the ordinary reader asks of one ("A, EA, 1":
        # only a quantity unit) is a line, not a better header than the one it found
        and sum(f is not None for f in tables[0].fields) >= MIN_HEADER_FIELDS
    ):
        return True
    shapes = {(tuple(t.headers), t.start, t.stop) for t in tables}
    return len(shapes) > 1


def drop_repeats(
    cells: Sequence[Sequence[object]], tables: Sequence[Table]
) -> tuple[list[Table], list[Table]]:
    """(tables kept, tables left out): a later table with the same headers whose reference
    designators are all in an earlier one lists the same parts again (KiCad's
    bom_csv_grouped_by_value writes "Individual Components", then "Collated Components"), so
    reading both would count every part twice."""
    kept: list[Table] = []
    repeats: list[Table] = []
    for table in tables:
        refs = _designators(cells, table)
        if refs and any(
            t.headers == table.headers and refs <= _designators(cells, t) for t in kept
        ):
            repeats.append(table)
        else:
            kept.append(table)
    return kept, repeats


def _designators(cells: Sequence[Sequence[object]], table: Table) -> set[str]:
    if "designator" not in table.fields:
        return set()
    column = table.start + table.fields.index("designator")
    out: set[str] = set()
    for index in table.rows:
        value = cells[index][column] if column < len(cells[index]) else None
        if isinstance(value, str):
            out.update(p for p in re.split(r"[\s,;]+", value) if p)
    return out


def merge_tables(
    cells: Sequence[Sequence[object]], tables: Sequence[Table], shown: Sequence[int]
) -> tuple[list[str], list[list[object]], list[int], list[str]]:
    """(headers, records, cell-row index of each record, notes) of the tables joined.

    A field other than the text fields (quantity, part number, cost...) is one column named by
    the first table's header for it; text fields and extra columns are joined by header name,
    so every description column feeds the description. A table without a description header
    takes its longest-text column as its description (said in the notes). `shown`: the row
    number the user sees for each table's header."""
    headers: list[str] = []
    slot: dict[tuple[str, str], int] = {}  # (field or "", header) -> merged column
    notes: list[str] = []
    plans = [
        _plan(table, _fields(cells, table, row, notes), headers, slot)
        for table, row in zip(tables, shown, strict=True)
    ]
    # Each table's title names what its lines are ("Bearings", "Printed parts"): it is read
    # with them, as a note.
    titles = [_title(cells, t) for t in tables]
    title_column = None
    if any(titles):
        title_column = len(headers)
        headers.append(_unique(TITLE_HEADER, headers))
    records: list[tuple[int, int, list[object]]] = []
    for order, (table, plan) in enumerate(zip(tables, plans, strict=True)):
        for index in table.rows:
            record = _record(cells[index], table, plan, len(headers))
            if title_column is not None:
                record[title_column] = titles[order]
            records.append((index, order, record))
    records.sort(key=lambda r: (r[0], tables[r[1]].start))
    return headers, [r for _, _, r in records], [i for i, _, _ in records], notes


def _fields(
    cells: Sequence[Sequence[object]], table: Table, header_row: int, notes: list[str]
) -> list[str | None]:
    """The table's fields, with its longest-text column as the description when no header
    names one (and a note saying so). An EDA export names its parts by value and MPN (an
    empty description reads them), so it is left as it is."""
    fields = list(table.fields)
    if {"description", "value", "mpn"} & set(fields):
        return fields
    guess = _longest_text(cells, table)
    if guess is not None:
        fields[guess] = "description"
        header = table.headers[guess] or f"column {_letters(table.start + guess)}"
        notes.append(
            f"the table with its header on row {header_row} has no description header: "
            f"its column {header!r} holds the most text and is read as the description"
        )
    return fields


def _plan(
    table: Table,
    fields: list[str | None],
    headers: list[str],
    slot: dict[tuple[str, str], int],
) -> list[int]:
    """The merged column of each of the table's columns (new merged columns added)."""
    plan: list[int] = []
    for i, (header, name) in enumerate(zip(table.headers, fields, strict=True)):
        if not header and name is None:
            header = f"column {_letters(table.start + i)}"
        key = (name, "") if name is not None and name not in TEXT_FIELDS else (name or "", header)
        if key not in slot:
            if name is None or classify_header(header)[0] == name:
                label = header
            else:  # a field found by content: "Description (BOM)"
                label = f"{name.replace('_', ' ').capitalize()} ({header})" if header else name
            slot[key] = len(headers)
            headers.append(_unique(label, headers))
        plan.append(slot[key])
    return plan


def _record(row: Sequence[object], table: Table, plan: list[int], width: int) -> list[object]:
    record: list[object] = [""] * width
    for offset, column in enumerate(plan):
        value = row[table.start + offset] if table.start + offset < len(row) else None
        if not is_blank(value) and is_blank(record[column]):
            record[column] = value
    return record


def _longest_text(cells: Sequence[Sequence[object]], table: Table) -> int | None:
    """The unnamed (or "Item"/part-number) column of the table whose cells hold the most
    letters, when they hold words (on average four letters or more a line)."""
    best, best_letters = None, 0
    for i, name in enumerate(table.fields):
        if name not in (None, "part_number"):
            continue
        column = table.start + i
        count = 0
        for index in table.rows[:200]:
            value = cells[index][column] if column < len(cells[index]) else None
            if isinstance(value, str) and not _LINK.search(value):  # links name no part
                count += sum(ch.isalpha() for ch in value)
        if count > best_letters:
            best, best_letters = i, count
    return best if best_letters >= 4 * min(len(table.rows), 200) else None


_LINK = re.compile(r"://|^www\.|^[a-z]:\\|\.(pdf|html?)$", re.IGNORECASE)


def _unique(label: str, taken: Sequence[str]) -> str:
    if label not in taken:
        return label
    n = 2
    while f"{label} ({n})" in taken:
        n += 1
    return f"{label} ({n})"


def _letters(index: int) -> str:
    from exposure_audit.bom.sniff import letters

    return letters(index)
