"""An .xlsx sheet read straight into Arrow string columns by fastexcel, when that is exact.

fastexcel runs calamine (the same parser `read` uses) and hands its cells to Arrow in Rust, so
a 100,000-line sheet costs no Python object per cell and cleans like a CSV. It writes every
cell as text, and a few cells would then read differently from calamine's typed cells:

- dates and times ("2024-01-05 00:00:00", where the typed path says 2024-01-05), checkboxes
  ("true"), integers of 16 digits or more, numbers below 1e-4 and -0 are written differently;
- in a number column, text such as "3,10" makes the typed path read the column with a decimal
  comma, judged on its text cells only, which can no longer be told from the numbers;
- a vertically merged cell is filled down into the rows it spans, which needs the merged ranges
  (fastexcel does not give them; they are read from the sheet's XML in a second thread).

When a sheet holds any of these, `read_sheet` returns None and the caller reads the sheet with
calamine's typed cells. What remains different: fastexcel writes a number with at most nine
decimals, so the float noise of a formula reads rounded (4.997999999999999 -> 4.998), an error
below 5e-10 of the value, far under any figure the report shows.
"""

from __future__ import annotations

import posixpath
import re
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any  # Any: pyarrow's objects (it has no stubs)

from exposure_audit.bom.sniff import HEADER_SEARCH_ROWS, find_header, unique_headers

if TYPE_CHECKING:
    from fastexcel import ExcelReader

_NUMBER_FIELDS = ("quantity", "unit_mass", "total_mass", "unit_cost", "extended_cost")

# Cells whose text fastexcel writes differently from calamine's typed value (see above), as
# RE2 patterns for pyarrow.
_NOT_EXACT = "|".join(
    [
        r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d",  # a date, time or datetime
        r"^(true|false)$",  # a checkbox
        r"^-?\d{16,}",  # an integer past 1e15 (the typed path writes 1e+16)
        r"^-?0\.0000\d",  # below 1e-4 (the typed path writes 1e-05)
        r"^-0$",
    ]
)
# A decimal comma as `clean._decimal_comma` would count it ("3,10", "1.234,5").
_DECIMAL_COMMA = r"\d,(\d{1,2}|\d{4,})(\D|$)"

_MERGE_REF = re.compile(
    rb'<(?:[\w.-]+:)?mergeCell\s[^>]*?\bref="\$?[A-Z]{1,3}\$?(\d+)(?::\$?[A-Z]{1,3}\$?(\d+))?"'
)
_MERGE_TAG = re.compile(rb"<(?:[\w.-]+:)?mergeCell[\s/>]")


@dataclass
class ArrowSheet:
    """A sheet's body below its header as Arrow string columns (blank cells are "")."""

    name: str
    sheets: list[str]
    """Every sheet of the workbook, in order."""
    header_row: int
    """1-based sheet row of the header."""
    headers: list[str]
    table: object
    """pyarrow Table, one string column per header."""
    encoded: dict[str, Any]  # pyarrow DictionaryArray
    """The columns a BOM field would come from, dictionary-encoded (by header)."""


def read_sheet(path: Path, sheet: str | None = None) -> ArrowSheet | None:
    """The sheet (`sheet`, or the first) read by fastexcel, or None when fastexcel is missing,
    the file is no plain .xlsx, no header is found in it, or its cells would not read exactly
    as calamine's typed cells do. Never raises: the typed path reports what is wrong."""
    try:
        import fastexcel
    except ImportError:
        return None
    try:
        return _read(fastexcel, path, sheet)
    except Exception:  # noqa: BLE001 - corrupt or unusual files: the typed path says why
        return None


def _read(fastexcel: ModuleType, path: Path, sheet: str | None) -> ArrowSheet | None:
    with zipfile.ZipFile(path) as archive:
        if "xl/workbook.xml" not in archive.NameToInfo:
            return None  # .xlsb or .ods: no sheet XML to find merged ranges in
    reader = fastexcel.read_excel(str(path))
    names = list(reader.sheet_names)
    if sheet is not None and sheet not in names:
        return None
    # As `read` does: the named sheet, else the first whose header is recognised.
    for name in [sheet] if sheet is not None else names:
        merged = _MergedRows(path, names.index(name))
        found = _sheet(reader, name)
        spans = merged.result()
        if found is None:
            continue
        header, headers, body = found
        if spans is None or any(top > header and bottom > top for top, bottom in spans):
            return None  # merged cells in the body are filled down by the typed path
        encoded = _encode(body, headers)
        if encoded is None:
            return None
        if encoded.blank:
            continue  # only a header: the typed path goes on to the next sheet too
        return ArrowSheet(name, names, header + 1, headers, body, encoded.columns)
    return None


@dataclass
class _Encoded:
    columns: dict[str, object]
    blank: bool
    """No cell of the body holds anything but spaces."""


def _sheet(reader: ExcelReader, name: str) -> tuple[int, list[str], Any] | None:
    """(0-based header row, headers, body table) of a sheet, or None without a header."""
    # From sheet row 1 (skip_rows=0 keeps leading blank rows), so row numbers are absolute.
    batch = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string", eager=True)
    # Imported after the parse: the CLI's main thread has imported them meanwhile.
    import pyarrow as pa
    import pyarrow.compute as pc

    if batch.num_rows == 0 or batch.num_columns == 0:
        return None
    # The used area starts at the first row holding any cell, as calamine's does.
    used = pc.is_valid(batch.column(0))
    for column in batch.columns[1:]:
        used = pc.or_(used, pc.is_valid(column))
    # (Not pc.index, whose first call costs 0.2 s, nor to_numpy, which imports pandas.)
    used_rows = pc.indices_nonzero(used)
    if len(used_rows) == 0:
        return None
    first = used_rows[0].as_py()
    top = [c.slice(first, HEADER_SEARCH_ROWS).to_pylist() for c in batch.columns]
    cells = [["" if v is None else v for v in row] for row in zip(*top, strict=True)]
    header_idx = find_header(cells)
    if header_idx is None:
        return None
    header = first + header_idx
    # Large strings, as pandas keeps them: cast here, in the thread, not in the main one.
    body = pa.table(
        [pc.fill_null(c.slice(header + 1), "").cast(pa.large_string()) for c in batch.columns],
        names=[f"f{i}" for i in range(batch.num_columns)],
    )
    return header, unique_headers(cells[header_idx], batch.num_columns), body


def _encode(body: Any, headers: list[str]) -> _Encoded | None:
    """The field columns dictionary-encoded, or None when some cell would not read exactly as
    a typed cell does."""
    import pyarrow.compute as pc

    from exposure_audit.bom.columns import match_columns

    columns = match_columns(headers)
    fields = {*columns.fields.values(), *(h for hs in columns.text.values() for h in hs)}
    numeric = {columns.header(n) for n in _NUMBER_FIELDS}
    encoded: dict[str, object] = {}
    blank = True
    for header, column in zip(headers, body.columns, strict=True):
        codes = pc.dictionary_encode(column.combine_chunks())
        values = codes.dictionary
        if pc.any(pc.match_substring_regex(values, _NOT_EXACT)).as_py():
            return None
        if header in numeric and pc.any(pc.match_substring_regex(values, _DECIMAL_COMMA)).as_py():
            return None
        blank = blank and not pc.any(pc.not_equal(pc.utf8_trim_whitespace(values), "")).as_py()
        if header in fields:
            encoded[header] = codes
    return _Encoded(encoded, blank)


class _MergedRows:
    """The (top, bottom) 0-based rows of the sheet's merged ranges, read from its XML in a
    thread (zlib inflates with the GIL released) while fastexcel parses the cells."""

    def __init__(self, path: Path, index: int) -> None:
        self._spans: list[tuple[int, int]] | None = None
        self._thread = threading.Thread(target=self._run, args=(path, index), name="bom-merged")
        self._thread.start()

    def result(self) -> list[tuple[int, int]] | None:
        """None when the ranges could not be told (no .xlsx, an unusual layout)."""
        self._thread.join()
        return self._spans

    def _run(self, path: Path, index: int) -> None:
        try:
            self._spans = _merged_rows(path, index)
        except Exception:  # noqa: BLE001 - unknown ranges: the typed path is taken
            self._spans = None


def _merged_rows(path: Path, index: int) -> list[tuple[int, int]] | None:
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, index)
        if part is None:
            return None
        with archive.open(part) as stream:
            # <mergeCells> follows <sheetData>: scan the stream for it, keeping only what
            # comes after its first mention.
            tail, found = b"", list[bytes]()
            while chunk := stream.read(1 << 20):
                if found:
                    found.append(chunk)
                    continue
                buffer = tail + chunk
                at = buffer.find(b"mergeCell")
                if at >= 0:
                    found.append(buffer[max(0, at - 32) :])
                tail = buffer[-32:]
    text = b"".join(found)
    spans = [(int(top) - 1, int(bottom or top) - 1) for top, bottom in _MERGE_REF.findall(text)]
    return spans if len(spans) == len(_MERGE_TAG.findall(text)) else None


def _sheet_part(archive: zipfile.ZipFile, index: int) -> str | None:
    """The zip member holding the workbook's `index`-th sheet (workbook order)."""
    from defusedxml import ElementTree

    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return None  # not an .xlsx (.xlsb, .ods)
    sheets = [e for e in workbook.iter() if e.tag.rsplit("}", 1)[-1] == "sheet"]
    if index >= len(sheets):
        return None
    rel_id = next(
        (v for k, v in sheets[index].attrib.items() if k.rsplit("}", 1)[-1] == "id"), None
    )
    target = next((e.get("Target") for e in rels.iter() if e.get("Id") == rel_id and rel_id), None)
    if not target:
        return None
    part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    part = posixpath.normpath(part)
    return part if part in archive.NameToInfo else None
