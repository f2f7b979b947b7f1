"""Delimited text read line by line when pyarrow cannot: every line is read or reported.

The csv module alone loses rows quietly: an unclosed quote swallows every later line into one
field, and a field over its size limit raises `csv.Error` part way through the file. Here the
records are split with the csv module, but

- a quoted field that spans more than `MAX_RECORD_LINES` lines, or whose swallowed lines look
  like rows of the table, is taken as an unclosed quote: its first line is read as it stands
  (the quote kept as text) with an `unclosed-quote` issue, and reading resumes on the next line;
- a line with a field over `max_field_bytes()` is reported (`row-not-read`) and skipped;
- a line with more than `max_columns()` fields is read up to that width (`too-many-fields`);
- the text is decoded strictly; a line that is not valid in the file's encoding is decoded on
  its own (UTF-8 files: as cp1252) with an `encoding-fallback` issue naming the line.

Row numbers are the 1-based line on which each record starts, as a text editor shows it.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from exposure_audit.bom.safety import max_columns
from exposure_audit.issues import IssueCode, IssueLog

MAX_RECORD_LINES = 200
"""A quoted field spanning more lines than this is an unclosed quote, not a long note."""
DEFAULT_MAX_FIELD_KB = 1024
_SWALLOW_SAMPLE = 50
TAIL_BYTES = 64 * 1024
_ASCII_COMPATIBLE = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-1")


def max_field_bytes() -> int:
    """The longest field read, from EXPOSURE_AUDIT_MAX_FIELD_KB (default 1024 KB)."""
    raw = os.environ.get("EXPOSURE_AUDIT_MAX_FIELD_KB", "").strip()
    try:
        kb = float(raw) if raw else DEFAULT_MAX_FIELD_KB
    except ValueError:
        kb = DEFAULT_MAX_FIELD_KB
    return max(int(kb * 1024), 1024)


@dataclass
class TextRecords:
    """The records of a text file, the line each starts on, and what could not be read."""

    records: list[list[str]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    issues: IssueLog = field(default_factory=IssueLog)
    encoding: str = "utf-8"

    def add(self, row: int, record: list[str]) -> None:
        limit = max_columns()
        if len(record) > limit:
            self.issues.add(
                IssueCode.TOO_MANY_FIELDS,
                f"line has {len(record):,} fields; fields after the first {limit:,} are not "
                "read (check for an unquoted delimiter, or raise EXPOSURE_AUDIT_MAX_COLUMNS)",
                row=row,
            )
            record = record[:limit]
        self.records.append(record)
        self.rows.append(row)


def read_records(data: bytes, encoding: str, delimiter: str) -> TextRecords:
    """Every record of `data` (bytes of a delimited text file), with its starting line."""
    out = TextRecords(encoding=encoding)
    text = decode_lines(data, encoding, out)
    lines = list(io.StringIO(text, newline=""))
    with _field_limit(max_field_bytes()):
        position = 0
        while position < len(lines):
            position = _read_run(lines, position, delimiter, out)
    return out


def report_truncation(
    path: Path, encoding: str, delimiter: str, width: int, last_row: int, issues: IssueLog
) -> None:
    """Say on the last row when the file ends mid-line and that line is cut short: inside a
    quoted field, or with fewer fields than the header (a download or copy that stopped). A
    complete last line without a final line break is not reported."""
    if not _splits_on_newline(encoding):
        return
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - TAIL_BYTES))
        tail = handle.read()
    if not tail or tail.endswith((b"\n", b"\r")):
        return
    start = tail.find(b"\n") + 1 if size > TAIL_BYTES else 0  # from a line boundary
    text = tail[start:].decode(encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    last: list[str] = []
    try:
        with _field_limit(max(max_field_bytes(), len(text) + 1)):
            for last in reader:  # noqa: B007 - the last record is the one wanted
                pass
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return
        why = "it ends inside a quoted field"
    else:
        if not last or len(last) >= width:
            return
        why = f"its last line has {len(last)} of {width} fields"
    issues.add(
        IssueCode.TRUNCATED_FILE,
        f"the file ends mid-line ({why}): was it cut short? The line is read as it stands; "
        "export or download the BOM again",
        row=last_row,
    )


# --- decoding ------------------------------------------------------------------------------


def decode_lines(data: bytes, encoding: str, out: TextRecords) -> str:
    """`data` decoded strictly; lines that fail are decoded alone and reported."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        pass
    except LookupError:
        encoding = "utf-8"
    if not _splits_on_newline(encoding):
        text = data.decode(encoding, errors="replace")
        bad = [i + 1 for i, line in enumerate(io.StringIO(text, newline="")) if "\ufffd" in line]
        _report_encoding(out, bad, encoding, encoding)
        return text
    fallback = "cp1252" if encoding.startswith("utf-8") else encoding
    parts: list[str] = []
    bad = []
    for index, raw in enumerate(data.splitlines(keepends=True) if b"\r" in data else _lines(data)):
        try:
            parts.append(raw.decode(encoding))
        except UnicodeDecodeError:
            parts.append(raw.decode(fallback, errors="replace"))
            bad.append(index + 1)
    _report_encoding(out, bad, encoding, fallback)
    return "".join(parts)


def _lines(data: bytes) -> Iterator[bytes]:
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end + 1
        yield data[start:end]
        start = end


def _splits_on_newline(encoding: str) -> bool:
    """Whether byte 0x0A is always a line break in this encoding (not UTF-16/32)."""
    name = encoding.lower().replace("_", "-")
    return not name.startswith(("utf-16", "utf-32", "utf16", "utf32"))


def _report_encoding(out: TextRecords, bad: list[int], encoding: str, fallback: str) -> None:
    if not bad:
        return
    how = f"read as {fallback}" if fallback != encoding else "bad bytes shown as \ufffd"
    out.issues.add_cells(
        IssueCode.ENCODING_FALLBACK,
        bad,
        [""] * len(bad),
        None,
        f"line is not valid {encoding} ({len(bad)} such line(s) in the file); {how}; "
        "pass --encoding if the file is in another encoding",
    )


# --- splitting records ---------------------------------------------------------------------


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    old = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _read_run(lines: list[str], position: int, delimiter: str, out: TextRecords) -> int:
    """Read records from `lines[position:]` until the end or a broken record; returns the
    index of the line to resume at."""
    reader = csv.reader(islice(lines, position, None), delimiter=delimiter)
    while True:
        before = reader.line_num
        first = position + before  # index of the line this record starts on
        try:
            record = next(reader)
        except StopIteration:
            return len(lines)
        except csv.Error as exc:
            span = reader.line_num - before
            return _broken(lines, first, span, delimiter, out, str(exc))
        span = reader.line_num - before
        if span > 1 and _unclosed(lines[first + 1 : first + span], delimiter, span):
            return _broken(lines, first, span, delimiter, out, "")
        out.add(first + 1, record)


def _unclosed(swallowed: list[str], delimiter: str, span: int) -> bool:
    """Whether a record spanning several lines is an unclosed quote: too long, or the lines
    it swallowed look like rows themselves (two or more delimiters each, mostly)."""
    if span > MAX_RECORD_LINES:
        return True
    sample = swallowed[:_SWALLOW_SAMPLE]
    rowlike = sum(1 for line in sample if line.count(delimiter) >= 2)
    return len(sample) >= 2 and rowlike * 2 > len(sample)


def _broken(
    lines: list[str], first: int, span: int, delimiter: str, out: TextRecords, error: str
) -> int:
    """Report the record starting at line index `first`; returns where to resume."""
    line = lines[first]
    if span <= 1 or len(line) > max_field_bytes():
        out.issues.add(
            IssueCode.ROW_NOT_READ,
            f"line not read: {error or 'unreadable'} ({len(line):,} characters); shorten the "
            "field or raise EXPOSURE_AUDIT_MAX_FIELD_KB",
            row=first + 1,
        )
        return first + 1
    record = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter, quoting=csv.QUOTE_NONE))
    out.add(first + 1, record)
    out.issues.add(
        IssueCode.UNCLOSED_QUOTE,
        f"a quote opened on this line is not closed (it would swallow {span - 1:,} more "
        "line(s)); the line is read as it stands, the lines below as their own rows",
        row=first + 1,
    )
    return first + 1
