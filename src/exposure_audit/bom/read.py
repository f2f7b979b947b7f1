"""File -> raw table: spreadsheet or delimited text, header row and sheet found, rows numbered.

Cells keep the values the reader gives (numbers stay numbers, text stays text; blanks are "").
Every record keeps the 1-based row number the user sees in the spreadsheet or text editor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from exposure_audit.bom import sheet_arrow
from exposure_audit.bom.ahead import Ahead
from exposure_audit.bom.blocks import (
    MAX_ROWS,
    Table,
    drop_repeats,
    find_tables,
    merge_tables,
    several,
)
from exposure_audit.bom.safety import max_columns
from exposure_audit.bom.sheet_arrow import ArrowSheet
from exposure_audit.bom.sniff import (
    HEADER_SEARCH_ROWS,
    OLE_MAGIC,
    ZIP_MAGIC,
    SheetCells,
    TextLayout,
    check_file,
    find_header,
    is_blank,
    is_spreadsheet,
    letters,
    max_file_bytes,
    preview,
    sheet_cells,
    short,
    text_layout,
    unique_headers,
)
from exposure_audit.bom.text_arrow import TextTable, read_arrow
from exposure_audit.bom.tolerant import read_records, report_truncation
from exposure_audit.errors import BomReadError
from exposure_audit.issues import IssueCode, IssueLog

__all__ = ["RawTable", "max_file_bytes", "read_bom"]


@dataclass
class RawTable:
    """A BOM table as read, before cleaning."""

    path: str
    format: str
    frame: pd.DataFrame
    """One column per header (object dtype), one row per record below the header."""
    rows: np.ndarray
    """1-based spreadsheet row number of each record."""
    header_row: int
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    encoded: dict[str, Any] = field(default_factory=dict)  # pyarrow DictionaryArray
    """Columns already dictionary-encoded by pyarrow (see `text_arrow`), by header."""
    issues: IssueLog = field(default_factory=IssueLog)
    """Problems found while reading (lines not read, unclosed quotes, encoding fallbacks)."""
    tables: list[str] = field(default_factory=list)
    """Where each table is when the sheet holds several joined into one ("row 4, columns
    B-E"); empty for a sheet read as one table."""

    @property
    def headers(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


def read_bom(
    path: str | Path,
    sheet: str | None = None,
    ahead: Ahead | None = None,
    encoding: str | None = None,
) -> RawTable:
    """Read a BOM file into a `RawTable`.

    The format follows the file's content (zip or OLE signature) and then its suffix; the sheet
    is the first whose header row is recognised unless `sheet` names one. `ahead`: a parse
    started earlier (`bom.ahead.start`), used when it is for this file and sheet. `encoding`
    (text files only) replaces the detected one.

    Raises `BomReadError` for a missing, unreadable, empty, oversized or headerless file.
    """
    path = Path(path)
    shown = str(path)
    head = check_file(path, shown)
    if is_spreadsheet(path, head):
        return _read_spreadsheet(path, shown, sheet, head, ahead)
    if sheet is not None:
        raise BomReadError(
            f"--sheet {sheet!r} given, but {shown} is a text file without sheets",
            "drop --sheet for .csv/.tsv files",
        )
    return _read_text(path, shown, None if encoding else ahead, encoding)


# --- spreadsheets ------------------------------------------------------------------------------


def _check_container(path: Path, shown: str, head: bytes) -> None:
    """Refuse what is no spreadsheet, or an encrypted one, before any reader opens it; a zip
    container is checked against the size and bomb limits first (`bom.safety`)."""
    from exposure_audit.bom.safety import check_zip_container

    if head.startswith(ZIP_MAGIC):
        check_zip_container(path, shown)
    elif head.startswith(OLE_MAGIC) and path.suffix.lower() in {".xlsx", ".xlsm"}:
        # An OLE file named .xlsx is how Excel saves password-protected workbooks.
        raise BomReadError(
            f"{shown} is encrypted (password-protected)",
            "open it in Excel, remove the password (File > Info > Protect Workbook), save again",
        )
    elif not head.startswith(OLE_MAGIC) and path.suffix.lower() != ".ods":
        raise BomReadError(
            f"{shown} is not a spreadsheet (its content is neither xlsx nor xls)",
            "export the BOM again as .xlsx or .csv",
        )


def _open_workbook(path: Path, shown: str, sheet: str | None) -> tuple[Any, list[str]]:
    """The workbook (calamine) and its sheet names; `sheet`, when given, must be one."""
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for corrupt files
        raise BomReadError(
            f"{shown} cannot be read as a spreadsheet ({short(exc)})",
            "open it in Excel and save it again as .xlsx, or export it as .csv",
        ) from None
    names = list(workbook.sheet_names)
    if sheet is not None and sheet not in names:
        raise BomReadError(
            f"{shown} has no sheet {sheet!r}",
            f"the sheets are: {', '.join(repr(n) for n in names)}",
        )
    return workbook, names


def _read_spreadsheet(
    path: Path, shown: str, sheet: str | None, head: bytes, ahead: Ahead | None
) -> RawTable:
    _check_container(path, shown, head)
    fast = ahead.parsed(path, sheet) if ahead is not None else None
    if not isinstance(fast, ArrowSheet):
        fast = sheet_arrow.read_sheet(path, sheet) if head.startswith(ZIP_MAGIC) else None
    if fast is not None and sheet in (None, fast.name):  # None when the typed path must read it
        table = _arrow_sheet(path, shown, fast)
        if len(table.frame) > MAX_ROWS:
            return table
        return _tables_of_sheet(path, fast.name, table) or table
    workbook, names = _open_workbook(path, shown, sheet)
    candidates = [sheet] if sheet is not None else names
    seen: list[str] = []
    headers_only: list[str] = []
    for name in candidates:
        try:
            parsed = sheet_cells(workbook, name)
        except Exception as exc:  # noqa: BLE001 - calamine's own error types
            raise BomReadError(
                f"{shown}, sheet {name!r}: cannot be read ({short(exc)})",
                "open it in Excel and save it again",
            ) from None
        cells, first_row, first_col = parsed.cells, parsed.first_row, parsed.first_col
        merged = parsed.merged
        header_idx = find_header(cells)
        blocked = _tables(path, parsed, names) if len(cells) <= MAX_ROWS else None
        if blocked is not None:
            return blocked
        if header_idx is None:
            if cells:
                seen.append(f"{name!r} (first row: {preview(cells)})")
            else:
                seen.append(f"{name!r} (empty)")
            continue
        width = len(cells[header_idx])
        headers = unique_headers(cells[header_idx], width)
        body = cells[header_idx + 1 :]
        _fill_merged(body, merged, first_row + header_idx + 1, first_col)
        frame = _frame(body, headers)
        frame = _drop_empty_unnamed(frame)
        header_row = first_row + header_idx + 1
        if _all_blank(frame):
            headers_only.append(f"{name!r} (header on row {header_row})")
            continue
        rows = np.arange(header_row + 1, header_row + 1 + len(frame), dtype=np.int64)
        return RawTable(
            path=shown,
            format=path.suffix.lower().lstrip(".") or "xlsx",
            frame=frame,
            rows=rows,
            header_row=header_row,
            sheet=name,
            sheets=names,
        )
    if headers_only:
        raise BomReadError(
            f"{shown}: no lines below the header in {', '.join(headers_only)}",
            "add the BOM lines below the header row, or pick another sheet with --sheet",
        )
    where = f"sheet {sheet!r}" if sheet else f"any of its {len(names)} sheet(s)"
    raise BomReadError(
        f"{shown}: no header row found in {where} within the first {HEADER_SEARCH_ROWS} rows"
        + (f"; seen {'; '.join(seen[:3])}" if seen else ""),
        "add a header row with columns such as Part Number, Description, Qty, or name the "
        "columns with --map FIELD=HEADER",
    )


def _tables_of_sheet(path: Path, name: str, read: RawTable) -> RawTable | None:
    """The sheet read again as several tables (`blocks`) when it holds more than one."""
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        parsed = sheet_cells(workbook, name)
    except Exception:  # noqa: BLE001 - the sheet was read once already: keep that reading
        return None
    return _tables(path, parsed, read.sheets)


def _tables(path: Path, parsed: SheetCells, names: list[str]) -> RawTable | None:
    """A RawTable of the sheet's tables joined, or None when it holds one table (or none)."""
    cells = [list(r) for r in parsed.cells]
    _fill_merged(cells, parsed.merged, parsed.first_row, parsed.first_col)
    tables, repeats = drop_repeats(cells, find_tables(cells))
    if not several(tables, repeats, find_header(cells)):
        return None
    shown = [parsed.first_row + t.header_row + 1 for t in tables]
    headers, records, indices, notes = merge_tables(cells, tables, shown)
    frame = _drop_empty_unnamed(_frame(records, headers))
    issues = IssueLog(sheet=parsed.name)
    header_rows = [parsed.first_row + t.header_row + 1 for t in tables]
    _note_tables(issues, tables, header_rows, notes, parsed.first_col)
    _note_repeats(issues, repeats, [parsed.first_row + t.header_row + 1 for t in repeats])
    return RawTable(
        path=str(path),
        format=path.suffix.lower().lstrip(".") or "xlsx",
        frame=frame,
        rows=np.array([parsed.first_row + i + 1 for i in indices], dtype=np.int64),
        header_row=parsed.first_row + tables[0].header_row + 1,
        sheet=parsed.name,
        sheets=names,
        issues=issues,
        tables=_where(tables, header_rows, parsed.first_col),
    )


def _arrow_sheet(path: Path, shown: str, sheet: ArrowSheet) -> RawTable:
    """A `RawTable` of a sheet read into Arrow columns (see `sheet_arrow`)."""
    frame = _drop_empty_unnamed(_arrow_frame(sheet.table, sheet.headers))
    return RawTable(
        path=shown,
        format=path.suffix.lower().lstrip(".") or "xlsx",
        frame=frame,
        rows=np.arange(sheet.header_row + 1, sheet.header_row + 1 + len(frame), dtype=np.int64),
        header_row=sheet.header_row,
        sheet=sheet.name,
        sheets=sheet.sheets,
        encoded=sheet.encoded,
    )


def _frame(body: list[list[object]], headers: list[str]) -> pd.DataFrame:
    """Body rows -> object frame with `headers`; rows may be shorter or longer than the header."""
    width = len(headers)
    if not body:
        return pd.DataFrame({h: pd.Series([], dtype=object) for h in headers})
    longest = max(map(len, body))
    if any(len(r) != longest for r in body):
        body = [list(r) + [""] * (longest - len(r)) for r in body]
    # One 2-D object array filled in C, then columns as views: no per-cell Python work.
    cells = np.empty((len(body), longest), dtype=object)
    cells[:] = body
    blank = pd.isna(cells)
    if blank.any():
        cells[blank] = ""
    columns = {h: cells[:, i] for i, h in enumerate(headers[:longest])}
    for i in range(width, longest):
        if not all(map(is_blank, cells[:, i])):
            columns[f"column {letters(len(columns))}"] = cells[:, i]  # named in order kept
    for missing in headers[longest:]:
        columns[missing] = np.full(len(body), "", dtype=object)
    return pd.DataFrame(columns, dtype=object, copy=False)


def _fill_merged(
    body: list[list[object]], merged: Sequence[Any], body_row: int, first_col: int
) -> None:
    """Copy the text of a vertically merged cell into the rows it spans (in place).

    calamine gives a merged range's value in its top-left cell only. A merged "Supplier" or
    "Category" cell means that text for every row it spans, so it is copied down. Numbers are
    not: a quantity or cost merged over rows is one value, and copying it would count it twice.
    `body_row` and `first_col` are the 0-based sheet coordinates of body[0][0].
    """
    for cell_range in merged:
        try:
            (top, left), (bottom, _right) = cell_range
        except (TypeError, ValueError):
            continue
        r0, r1, col = int(top) - body_row, int(bottom) - body_row, int(left) - first_col
        if r1 <= r0 or r0 < 0 or col < 0 or r0 >= len(body):
            continue
        if col >= len(body[r0]):
            continue
        value = body[r0][col]
        if not isinstance(value, str) or not value.strip():
            continue
        for index in range(r0 + 1, min(r1, len(body) - 1) + 1):
            row = body[index]
            if col < len(row) and is_blank(row[col]):
                row[col] = value


def _all_blank(frame: pd.DataFrame) -> bool:
    """Whether no cell holds anything (the first rows are looked at first: it is usually quick)."""
    if frame.empty:
        return True
    for part in (frame.head(100), frame):
        for column in part.columns:
            if not _column_blank(part[column]):
                return False
    return True


def _column_blank(values: pd.Series) -> bool:
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.cat.remove_unused_categories().cat.categories.to_series()
    if pd.api.types.is_string_dtype(values) and values.dtype != object:
        return bool(values.fillna("").str.strip().eq("").all())
    if values.dtype != object:
        return bool(values.isna().all())
    return bool(values.map(is_blank).all())


def _drop_empty_unnamed(frame: pd.DataFrame) -> pd.DataFrame:
    empty = [c for c in frame.columns if str(c).startswith("column ") and _column_blank(frame[c])]
    return frame.drop(columns=empty) if empty else frame


# --- delimited text ----------------------------------------------------------------------------


def _read_text(
    path: Path, shown: str, ahead: Ahead | None, encoding: str | None = None
) -> RawTable:
    parsed = ahead.parsed(path, None) if ahead is not None else None
    parsed = parsed if isinstance(parsed, TextTable) else None
    layout = parsed.layout if parsed is not None else text_layout(path, shown, encoding)
    _check_width(layout, shown)
    blocked = _text_tables(path, layout) if path.stat().st_size <= _BLOCK_BYTES else None
    if blocked is not None:
        return blocked
    body = _read_delimited(path, layout, parsed)
    frame = _drop_empty_unnamed(body.frame)
    if _all_blank(frame):
        raise BomReadError(
            f"{shown}: no lines below the header on line {layout.header_idx + 1}",
            "add the BOM lines below the header row",
        )
    if body.rows is None:
        first = layout.header_idx + 2
        rows = np.arange(first, first + len(frame), dtype=np.int64)
    else:
        rows = body.rows
    if len(rows):
        width = len(layout.headers)
        report_truncation(path, body.encoding, layout.delimiter, width, int(rows[-1]), body.issues)
    return RawTable(
        path=shown,
        format=path.suffix.lower().lstrip(".") or "csv",
        frame=frame,
        rows=rows,
        header_row=layout.header_idx + 1 if body.header_row is None else body.header_row,
        encoding=body.encoding,
        delimiter=layout.delimiter,
        encoded=body.encoded,
        issues=body.issues,
    )


_BLOCK_BYTES = 4 << 20
"""Text files up to this size are looked at for several tables (`blocks`)."""


def _text_tables(path: Path, layout: TextLayout) -> RawTable | None:
    """A RawTable of a text file's tables joined, or None when it holds one table."""
    read = read_records(path.read_bytes(), layout.encoding, layout.delimiter)
    if len(read.records) > MAX_ROWS:
        return None
    tables, repeats = drop_repeats(read.records, find_tables(read.records))
    if not several(tables, repeats, find_header(read.records)):
        return None
    shown = [read.rows[t.header_row] for t in tables]
    headers, records, indices, notes = merge_tables(read.records, tables, shown)
    frame = _drop_empty_unnamed(_frame(records, headers))
    issues = read.issues
    _note_tables(issues, tables, shown, notes)
    _note_repeats(issues, repeats, [read.rows[t.header_row] for t in repeats])
    return RawTable(
        path=str(path),
        format=path.suffix.lower().lstrip(".") or "csv",
        frame=frame,
        rows=np.array([read.rows[i] for i in indices], dtype=np.int64),
        header_row=read.rows[tables[0].header_row],
        encoding=read.encoding,
        delimiter=layout.delimiter,
        issues=issues,
        tables=_where(tables, [read.rows[t.header_row] for t in tables], 0),
    )


def _where(tables: Sequence[Table], header_rows: Sequence[int], first_col: int) -> list[str]:
    return [
        f"row {row}, columns {letters(first_col + t.start)}-{letters(first_col + t.stop - 1)}"
        for t, row in zip(tables, header_rows, strict=True)
    ]


def _note_tables(
    issues: IssueLog,
    tables: Sequence[Table],
    header_rows: Sequence[int],
    notes: Sequence[str],
    first_col: int = 0,
) -> None:
    where = "; ".join(_where(tables, header_rows, first_col))
    if len(tables) > 1:
        issues.add(
            IssueCode.SEVERAL_TABLES,
            f"{len(tables)} tables read as one BOM, their headers at {where}",
        )
    for note in notes:
        issues.add(IssueCode.SEVERAL_TABLES, note)


def _note_repeats(issues: IssueLog, repeats: Sequence[Table], header_rows: Sequence[int]) -> None:
    for table, row in zip(repeats, header_rows, strict=True):
        issues.add(
            IssueCode.DUPLICATE_TABLE,
            f"the table with its header on row {row} lists the parts of an earlier table again "
            f"({len(table.rows)} lines); left out so no part counts twice",
            row=row,
        )


@dataclass
class _Body:
    """The body of a text file as read: cells, encoding, and (tolerant path) rows and issues."""

    frame: pd.DataFrame
    encoding: str
    encoded: dict[str, Any] = field(default_factory=dict)  # pyarrow DictionaryArray
    rows: np.ndarray | None = None
    """1-based line of each record; None when records and lines coincide."""
    header_row: int | None = None
    issues: IssueLog = field(default_factory=IssueLog)


def _check_width(layout: TextLayout, shown: str) -> None:
    """A header wider than `max_columns()` is refused before anything is read into columns."""
    limit = max_columns()
    if len(layout.headers) > limit:
        raise BomReadError(
            f"{shown}: the header on line {layout.header_idx + 1} has {len(layout.headers):,} "
            f"columns, over the {limit:,}-column limit",
            "delete the unused columns, or raise the limit with EXPOSURE_AUDIT_MAX_COLUMNS",
        )


def _read_delimited(path: Path, layout: TextLayout, parsed: TextTable | None = None) -> _Body:
    """Read the body below the header as text columns; ragged rows are padded or widened.

    pyarrow reads a simple UTF-8 file; anything else takes the tolerant path (`tolerant`),
    which reads or reports every line.
    """
    if parsed is None and layout.encoding in ("utf-8", "utf-8-sig") and layout.simple:
        try:
            parsed = read_arrow(path, layout)
        except Exception:  # noqa: BLE001 - ragged rows, bad UTF-8: take the tolerant path
            parsed = None
    if parsed is not None:
        return _Body(_arrow_frame(parsed.table, layout.headers), layout.encoding, parsed.encoded)
    return _read_tolerant(path, layout)


def _read_tolerant(path: Path, layout: TextLayout) -> _Body:
    """Every line read or reported (see `tolerant`), numbered by the line it starts on."""
    read = read_records(path.read_bytes(), layout.encoding, layout.delimiter)
    headers, header_idx = layout.headers, layout.header_idx
    records, rows = read.records[header_idx + 1 :], read.rows[header_idx + 1 :]
    header_row = read.rows[header_idx] if len(read.rows) > header_idx else header_idx + 1
    width = max([len(headers), *(len(r) for r in records)]) if records else len(headers)
    names = headers + [f"column {letters(i)}" for i in range(len(headers), width)]
    body = _Body(
        pd.DataFrame({h: pd.Series([], dtype=object) for h in names}),
        read.encoding,
        rows=np.asarray(rows, dtype=np.int64),
        header_row=header_row,
        issues=read.issues,
    )
    if records:
        if any(len(r) != width for r in records):
            records = [r + [""] * (width - len(r)) for r in records]
        body.frame = pd.DataFrame(records, columns=names, dtype=object).astype(object)
    return body


def _arrow_frame(table: Any, headers: list[str]) -> pd.DataFrame:  # a pyarrow Table
    """pyarrow string columns -> a frame of pandas' default string dtype, without copying
    (dictionary-encoded columns become Categoricals of it)."""
    import pyarrow as pa

    text = pd.StringDtype("pyarrow", na_value=np.nan)
    frame = table.to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get)
    frame.columns = headers
    return frame
