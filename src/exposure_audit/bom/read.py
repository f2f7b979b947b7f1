"""File -> raw table: spreadsheet or delimited text, header row and sheet found, rows numbered.

Cells keep the values the reader gives (numbers stay numbers, text stays text; blanks are "").
Every record keeps the 1-based row number the user sees in the spreadsheet or text editor.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from exposure_audit.bom.columns import header_score
from exposure_audit.errors import BomReadError

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
HEADER_SEARCH_ROWS = 30
MIN_HEADER_FIELDS = 2
DEFAULT_MAX_MB = 512
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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

    @property
    def headers(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


def max_file_bytes() -> int:
    """The largest BOM we read, from EXPOSURE_AUDIT_MAX_FILE_MB (default 512 MB)."""
    raw = os.environ.get("EXPOSURE_AUDIT_MAX_FILE_MB", "")
    try:
        mb = float(raw) if raw.strip() else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(mb * 1024 * 1024)


def read_bom(path: str | Path, sheet: str | None = None) -> RawTable:
    """Read a BOM file into a `RawTable`.

    The format follows the file's content (zip or OLE signature) and then its suffix; the sheet
    is the first whose header row is recognised unless `sheet` names one.

    Raises `BomReadError` for a missing, unreadable, empty, oversized or headerless file.
    """
    path = Path(path)
    shown = str(path)
    if not path.exists():
        raise BomReadError(f"{shown}: no such file", "check the path and try again")
    if path.is_dir():
        raise BomReadError(f"{shown} is a folder, not a BOM file", "name a .xlsx or .csv file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BomReadError(f"{shown}: cannot open ({exc.strerror})", "check the file") from None
    limit = max_file_bytes()
    if size > limit:
        raise BomReadError(
            f"{shown} is {size / 1024 / 1024:,.1f} MB, over the {limit / 1024 / 1024:,.1f} MB "
            "limit",
            "split the BOM, or raise the limit with EXPOSURE_AUDIT_MAX_FILE_MB",
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except PermissionError:
        raise BomReadError(
            f"{shown}: permission denied", "make the file readable (chmod +r) or copy it"
        ) from None
    except OSError as exc:
        raise BomReadError(f"{shown}: cannot open ({exc.strerror})", "check the file") from None
    if size == 0:
        raise BomReadError(f"{shown} is empty", "export the BOM again with its header row")
    suffix = path.suffix.lower()
    container = head.startswith((_ZIP_MAGIC, _OLE_MAGIC))
    if container or suffix in SPREADSHEET_SUFFIXES:
        return _read_spreadsheet(path, shown, sheet, head)
    if sheet is not None:
        raise BomReadError(
            f"--sheet {sheet!r} given, but {shown} is a text file without sheets",
            "drop --sheet for .csv/.tsv files",
        )
    return _read_text(path, shown)


# --- spreadsheets ------------------------------------------------------------------------------


def _read_spreadsheet(path: Path, shown: str, sheet: str | None, head: bytes) -> RawTable:
    from exposure_audit.bom.safety import check_zip_container

    if head.startswith(_ZIP_MAGIC):
        check_zip_container(path, shown)
    elif head.startswith(_OLE_MAGIC) and path.suffix.lower() in {".xlsx", ".xlsm"}:
        # An OLE file named .xlsx is how Excel saves password-protected workbooks.
        raise BomReadError(
            f"{shown} is encrypted (password-protected)",
            "open it in Excel, remove the password (File > Info > Protect Workbook), save again",
        )
    elif not head.startswith(_OLE_MAGIC) and path.suffix.lower() != ".ods":
        raise BomReadError(
            f"{shown} is not a spreadsheet (its content is neither xlsx nor xls)",
            "export the BOM again as .xlsx or .csv",
        )
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for corrupt files
        raise BomReadError(
            f"{shown} cannot be read as a spreadsheet ({_short(exc)})",
            "open it in Excel and save it again as .xlsx, or export it as .csv",
        ) from None
    names = list(workbook.sheet_names)
    if sheet is not None and sheet not in names:
        raise BomReadError(
            f"{shown} has no sheet {sheet!r}",
            f"the sheets are: {', '.join(repr(n) for n in names)}",
        )
    candidates = [sheet] if sheet is not None else names
    seen: list[str] = []
    headers_only: list[str] = []
    for name in candidates:
        try:
            sheet_obj = workbook.get_sheet_by_name(name)
            # Only the used area: `start` says where it begins (0-based row, column).
            cells = sheet_obj.to_python(skip_empty_area=True)
            first_row = int(sheet_obj.start[0]) if cells and sheet_obj.start else 0
            first_col = int(sheet_obj.start[1]) if cells and sheet_obj.start else 0
            merged = list(getattr(sheet_obj, "merged_cell_ranges", None) or [])
        except Exception as exc:  # noqa: BLE001 - calamine's own error types
            raise BomReadError(
                f"{shown}, sheet {name!r}: cannot be read ({_short(exc)})",
                "open it in Excel and save it again",
            ) from None
        header_idx = _find_header(cells)
        if header_idx is None:
            if cells:
                seen.append(f"{name!r} (first row: {_preview(cells)})")
            else:
                seen.append(f"{name!r} (empty)")
            continue
        width = len(cells[header_idx])
        headers = _unique_headers(cells[header_idx], width)
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


def _frame(body: list[list[object]], headers: list[str]) -> pd.DataFrame:
    """Body rows -> object frame with `headers`; rows may be shorter or longer than the header."""
    width = len(headers)
    if not body:
        return pd.DataFrame({h: pd.Series([], dtype=object) for h in headers})
    longest = max(len(r) for r in body)
    if any(len(r) != longest for r in body):
        body = [list(r) + [""] * (longest - len(r)) for r in body]
    frame = pd.DataFrame(body, dtype=object)
    if frame.shape[1] > width:
        extra = frame.iloc[:, width:]
        keep = [i for i in range(extra.shape[1]) if not extra.iloc[:, i].map(_is_blank).all()]
        headers = headers + [f"column {_letters(width + i)}" for i in range(len(keep))]
        frame = pd.concat([frame.iloc[:, :width], extra.iloc[:, keep]], axis=1)
    frame = frame.reindex(columns=range(frame.shape[1]))
    frame.columns = headers[: frame.shape[1]]
    for missing in headers[frame.shape[1] :]:
        frame[missing] = ""
    return frame.fillna("").astype(object)


def _fill_merged(
    body: list[list[object]], merged: Sequence[object], body_row: int, first_col: int
) -> None:
    """Copy the text of a vertically merged cell into the rows it spans (in place).

    calamine gives a merged range's value in its top-left cell only. A merged "Supplier" or
    "Category" cell means that text for every row it spans, so it is copied down. Numbers are
    not: a quantity or cost merged over rows is one value, and copying it would count it twice.
    `body_row` and `first_col` are the 0-based sheet coordinates of body[0][0].
    """
    for cell_range in merged:
        try:
            (top, left), (bottom, _right) = cell_range  # type: ignore[misc]
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
            if col < len(row) and _is_blank(row[col]):
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
    if pd.api.types.is_string_dtype(values) and values.dtype != object:
        return bool(values.fillna("").str.strip().eq("").all())
    if values.dtype != object:
        return bool(values.isna().all())
    return bool(values.map(_is_blank).all())


def _find_header(cells: Sequence[Sequence[object]]) -> int | None:
    for index, row in enumerate(cells[:HEADER_SEARCH_ROWS]):
        if header_score(row) >= MIN_HEADER_FIELDS:
            return index
    return None


def _unique_headers(row: Sequence[object], width: int) -> list[str]:
    headers: list[str] = []
    seen: dict[str, int] = {}
    for index in range(width):
        value = row[index] if index < len(row) else ""
        text = _cell_text(value).strip() or f"column {_letters(index)}"
        if text in seen:
            seen[text] += 1
            text = f"{text} ({seen[text]})"
        else:
            seen[text] = 1
        headers.append(text)
    return headers


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = string.ascii_uppercase[rem] + letters
    return letters


def _drop_empty_unnamed(frame: pd.DataFrame) -> pd.DataFrame:
    empty = [c for c in frame.columns if str(c).startswith("column ") and _column_blank(frame[c])]
    return frame.drop(columns=empty) if empty else frame


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _preview(cells: Sequence[Sequence[object]]) -> str:
    first = next((r for r in cells if any(not _is_blank(c) for c in r)), [])
    text = ", ".join(_cell_text(c) for c in first if not _is_blank(c))
    return (text[:60] + "...") if len(text) > 60 else text or "blank"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


# --- delimited text ----------------------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (by BOM or NUL pattern) or cp1252."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= 4 and sample[1:4:2] == b"\x00\x00" and sample[0:4:2] != b"\x00\x00":
        return "utf-16-le"
    if len(sample) >= 4 and sample[0:4:2] == b"\x00\x00" and sample[1:4:2] != b"\x00\x00":
        return "utf-16-be"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if exc.start >= len(sample) - 3:
            return "utf-8"
        return "cp1252"


def detect_delimiter(lines: Sequence[str]) -> str:
    """The delimiter that splits the sample lines most consistently into several fields."""
    best, best_score = ",", -1.0
    for delimiter in (",", ";", "\t", "|"):
        counts = [
            len(next(csv.reader([line], delimiter=delimiter))) for line in lines if line.strip()
        ]
        if not counts:
            continue
        wide = [c for c in counts if c > 1]
        if not wide:
            continue
        mode = max(set(wide), key=wide.count)
        score = wide.count(mode) * mode
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_text(path: Path, shown: str) -> RawTable:
    with path.open("rb") as handle:
        sample = handle.read(256 * 1024)
    if b"\x00" in sample[:4096] and not _looks_utf16(sample):
        raise BomReadError(
            f"{shown} is a binary file, not a spreadsheet or CSV",
            "export the BOM again as .xlsx or .csv",
        )
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="replace")
    if len(sample) == 256 * 1024:
        text = text[: max(text.rfind("\n"), text.rfind("\r"), 0)]  # the last line may be cut
    lines = text.splitlines()[: HEADER_SEARCH_ROWS + 20]
    delimiter = "\t" if path.suffix.lower() in {".tsv", ".tab"} else detect_delimiter(lines)
    # Records, not lines: a quoted field may hold a line break.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    parsed: list[list[str]] = []
    lines_read: list[int] = []
    try:
        for record in reader:
            parsed.append(record)
            lines_read.append(reader.line_num)
            if len(parsed) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass  # a broken quote in the sample: look for the header in what was read
    header_idx = _find_header(parsed)
    if header_idx is None:
        raise BomReadError(
            f"{shown}: no header row found within the first {HEADER_SEARCH_ROWS} lines"
            + (f"; first line: {_preview(parsed)}" if parsed else ""),
            "add a header row with columns such as Part Number, Description, Qty, or name the "
            "columns with --map FIELD=HEADER",
        )
    width = len(parsed[header_idx])
    headers = _unique_headers(parsed[header_idx], width)
    simple = lines_read[header_idx] == header_idx + 1  # no line break inside a quoted field
    frame, encoding = _read_delimited(path, encoding, delimiter, header_idx, headers, simple)
    frame = _drop_empty_unnamed(frame)
    if _all_blank(frame):
        raise BomReadError(
            f"{shown}: no lines below the header on line {header_idx + 1}",
            "add the BOM lines below the header row",
        )
    rows = np.arange(header_idx + 2, header_idx + 2 + len(frame), dtype=np.int64)
    return RawTable(
        path=shown,
        format=path.suffix.lower().lstrip(".") or "csv",
        frame=frame,
        rows=rows,
        header_row=header_idx + 1,
        encoding=encoding,
        delimiter=delimiter,
    )


def _looks_utf16(sample: bytes) -> bool:
    return detect_encoding(sample).startswith("utf-16")


def _read_delimited(
    path: Path,
    encoding: str,
    delimiter: str,
    header_idx: int,
    headers: list[str],
    simple: bool = True,
) -> tuple[pd.DataFrame, str]:
    """Read the body below the header as text columns; ragged rows are padded or widened.

    Returns the frame and the encoding used (a file that is UTF-8 at its start but not further
    down is read as cp1252).
    """
    if encoding in ("utf-8", "utf-8-sig") and simple:
        try:
            # The byte-order mark, if any, sits on a line we skip.
            frame = pd.read_csv(
                path,
                engine="pyarrow",
                encoding="utf-8",
                names=headers,
                sep=delimiter,
                skiprows=header_idx + 1,
                header=None,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
            )
            return frame, encoding
        except ImportError:
            pass
        except Exception:  # noqa: BLE001 - ragged rows and the like: take the tolerant path
            pass
    # NOTE: the tolerant path decodes the whole file once and lets the csv module split it,
    # so ragged rows, mixed line endings and line breaks in quoted fields never stop a read.
    data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        encoding = "cp1252" if encoding.startswith("utf-8") else encoding
        text = data.decode(encoding, errors="replace")
    del data
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for index, row in enumerate(reader):
            if index > header_idx:
                records.append(row)
    except csv.Error:
        pass  # an unterminated quote at the very end: keep what was read
    width = max([len(headers), *(len(r) for r in records)]) if records else len(headers)
    names = headers + [f"column {_letters(i)}" for i in range(len(headers), width)]
    if not records:
        return pd.DataFrame({h: pd.Series([], dtype=object) for h in names}), encoding
    if any(len(r) != width for r in records):
        records = [r + [""] * (width - len(r)) for r in records]
    frame = pd.DataFrame(records, columns=names, dtype=object)
    return frame.astype(object), encoding
