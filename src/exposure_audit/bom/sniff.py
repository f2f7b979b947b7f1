"""What a BOM file is, before it is read: its format, encoding, delimiter and header row.

`read` uses it to read the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from exposure_audit.bom.columns import header_score
from exposure_audit.errors import BomReadError

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
HEADER_SEARCH_ROWS = 30
MIN_HEADER_FIELDS = 2
DEFAULT_MAX_MB = 512
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SAMPLE_BYTES = 256 * 1024


def max_file_bytes() -> int:
    """The largest BOM we read, from EXPOSURE_AUDIT_MAX_FILE_MB (default 512 MB)."""
    raw = os.environ.get("EXPOSURE_AUDIT_MAX_FILE_MB", "")
    try:
        mb = float(raw) if raw.strip() else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(mb * 1024 * 1024)


def check_file(path: Path, shown: str) -> bytes:
    """The file's first bytes, once it is known to exist, be readable, non-empty and not too
    large. Raises `BomReadError` otherwise."""
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
    return head


def is_spreadsheet(path: Path, head: bytes) -> bool:
    """By content (a zip or OLE container) first, then by suffix."""
    return head.startswith((ZIP_MAGIC, OLE_MAGIC)) or path.suffix.lower() in SPREADSHEET_SUFFIXES


@dataclass(frozen=True)
class TextLayout:
    """How a delimited text file is laid out, from its first 256 KiB."""

    encoding: str
    delimiter: str
    header_idx: int
    """0-based record index of the header row."""
    headers: list[str]
    simple: bool
    """No line break inside a quoted field above the body: records and lines coincide."""


def text_layout(path: Path, shown: str, encoding: str | None = None) -> TextLayout:
    """Encoding (detected unless given), delimiter and header row of a delimited text file.
    Raises `BomReadError` for a binary file or one without a recognisable header row."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if b"\x00" in sample[:4096] and not looks_utf16(sample) and encoding is None:
        raise BomReadError(
            f"{shown} is a binary file, not a spreadsheet or CSV",
            "export the BOM again as .xlsx or .csv",
        )
    encoding = encoding or detect_encoding(sample)
    text = sample.decode(encoding, errors="replace")
    if len(sample) == SAMPLE_BYTES:
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
    header_idx = find_header(parsed)
    if header_idx is None:
        raise BomReadError(
            f"{shown}: no header row found within the first {HEADER_SEARCH_ROWS} lines"
            + (f"; first line: {preview(parsed)}" if parsed else ""),
            "add a header row with columns such as Part Number, Description, Qty, or name the "
            "columns with --map FIELD=HEADER",
        )
    return TextLayout(
        encoding=encoding,
        delimiter=delimiter,
        header_idx=header_idx,
        headers=unique_headers(parsed[header_idx], len(parsed[header_idx])),
        simple=lines_read[header_idx] == header_idx + 1,
    )


def find_header(cells: Sequence[Sequence[object]]) -> int | None:
    for index, row in enumerate(cells[:HEADER_SEARCH_ROWS]):
        if header_score(row) >= MIN_HEADER_FIELDS:
            return index
    return None


def unique_headers(row: Sequence[object], width: int) -> list[str]:
    headers: list[str] = []
    seen: dict[str, int] = {}
    for index in range(width):
        value = row[index] if index < len(row) else ""
        text = header_text(value).strip() or f"column {letters(index)}"
        if text in seen:
            seen[text] += 1
            text = f"{text} ({seen[text]})"
        else:
            seen[text] = 1
        headers.append(text)
    return headers


def header_text(value: object) -> str:
    """A header cell as text (a year header 2024.0 reads 2024)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def letters(index: int) -> str:
    """Spreadsheet column letters of a 0-based index: 0 -> A, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = string.ascii_uppercase[rem] + name
    return name


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def preview(cells: Sequence[Sequence[object]]) -> str:
    first = next((r for r in cells if any(not is_blank(c) for c in r)), [])
    text = ", ".join(header_text(c) for c in first if not is_blank(c))
    return (text[:60] + "...") if len(text) > 60 else text or "blank"


def short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM, or mostly: a few lines in another encoding are decoded one
    by one later and reported), UTF-16 (by BOM or NUL pattern), a CJK encoding (Shift-JIS,
    GBK/GB18030, Big5, EUC-KR...) when charset-normalizer finds one, else cp1252."""
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
    if _mostly_utf8(sample):
        return "utf-8"
    return _legacy_encoding(sample)


CJK_ENCODINGS = frozenset(
    {"shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb2312", "gbk", "gb18030", "big5"}
    | {"cp950", "big5hkscs", "euc_kr", "cp949", "johab"}
)
_DETECT_BYTES = 64 * 1024


def _mostly_utf8(sample: bytes) -> bool:
    """Whether at least as many of the sample's non-ASCII lines are valid UTF-8 as are not
    (a UTF-8 file with a few cp1252 lines pasted in stays UTF-8, its other lines intact)."""
    good = bad = 0
    for line in sample.splitlines()[:-1] or sample.splitlines():  # the last may be cut
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return good > 0 and good >= bad


def _legacy_encoding(sample: bytes) -> str:
    """A CJK encoding when charset-normalizer's best guess is one, else cp1252 (the Western
    Windows encoding that Excel's "CSV" export writes)."""
    import codecs

    from charset_normalizer import from_bytes

    head = sample[:_DETECT_BYTES]
    if len(sample) > _DETECT_BYTES:
        head = head[: head.rfind(b"\n") + 1] or head  # whole lines: no character cut in two
    best = from_bytes(head).best()
    if best is None:
        return "cp1252"
    try:
        name = codecs.lookup(best.encoding).name.replace("-", "_")
    except LookupError:
        return "cp1252"
    if name not in CJK_ENCODINGS or not _reads_as_cjk(head, name):
        return "cp1252"
    return name


# Kana, CJK ideographs (with extension A) and Hangul syllables: what a Chinese, Japanese or
# Korean BOM's text is written in. Half-width katakana are left out: a lone Western byte
# (0xA1 "¡" in cp1252) is one in Shift-JIS, and no BOM is written in them.
_CJK_TEXT = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_CJK_MIN_CHARACTERS = 4


def _reads_as_cjk(sample: bytes, encoding: str) -> bool:
    """Whether the sample, decoded as `encoding`, holds CJK text rather than a few Western
    accented bytes that happen to pair up: at least four CJK characters, and at least as many
    of them as other non-ASCII characters. On a few bytes of cp1252 ("¡", "\\xa0@") a
    detector's best guess is a CJK encoding, which would turn them into kana or ideographs."""
    text = sample.decode(encoding, errors="replace")
    cjk = len(_CJK_TEXT.findall(text))
    other = sum(1 for c in text if ord(c) > 127) - cjk
    return cjk >= _CJK_MIN_CHARACTERS and cjk >= other


def detect_delimiter(lines: Sequence[str]) -> str:
    """The delimiter that splits the sample lines most consistently into several fields."""
    best, best_score = ",", -1.0
    for delimiter in (",", ";", "\t", "|"):
        counts = [field_count(line, delimiter) for line in lines if line.strip()]
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


def field_count(line: str, delimiter: str) -> int:
    """How many fields `line` splits into; a field too long for the csv module (or any other
    csv error) falls back to counting delimiters, so sniffing never fails on a huge field."""
    try:
        return len(next(csv.reader([line], delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return line.count(delimiter) + 1


def looks_utf16(sample: bytes) -> bool:
    return detect_encoding(sample).startswith("utf-16")


@dataclass
class SheetCells:
    """A sheet's used area as calamine gives it: rows of cells, where it starts, merged ranges."""

    name: str
    cells: list[list[object]]
    first_row: int
    """0-based sheet row of cells[0]."""
    first_col: int
    merged: list[object]


def sheet_cells(workbook: object, name: str) -> SheetCells:
    """Parse one sheet of an open `CalamineWorkbook` (calamine's own errors propagate)."""
    sheet = workbook.get_sheet_by_name(name)  # type: ignore[attr-defined]
    # Only the used area: `start` says where it begins (0-based row, column).
    cells = sheet.to_python(skip_empty_area=True)
    start = sheet.start if cells else None
    return SheetCells(
        name=name,
        cells=cells,
        first_row=int(start[0]) if start else 0,
        first_col=int(start[1]) if start else 0,
        merged=list(getattr(sheet, "merged_cell_ranges", None) or []),
    )
