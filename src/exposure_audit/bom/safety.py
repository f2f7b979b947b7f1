"""Checks that run before a spreadsheet is parsed: zip bombs, sheet-size bombs, entity bombs.

Every zip container we read (xlsx, xlsm, xlsb and ODS BOMs, supplier declarations, owner
tables) goes through `check_zip_container` before any reader allocates. It streams every XML
part (and every xlsb .bin part) through its own inflater, counting the bytes that come out,
so a member that declares a small size and inflates to far more (a lying zip) is refused when
the count passes the declared size; and it reads the cells of each worksheet (xlsx cell
references, xlsb row and cell records, ODS rows and cells with their repeat attributes), so a
sheet whose cells span more than `max_cells()` (rows x columns of the bounding box, which is
what the Rust reader allocates) is refused before the reader sees it.
The limits, all overridable by environment variable:

- EXPOSURE_AUDIT_MAX_UNZIPPED_MB (default 2048): the container's inflated size;
- EXPOSURE_AUDIT_MAX_CELLS (default 20,000,000): one sheet's rows x columns;
- EXPOSURE_AUDIT_MAX_COLUMNS (default 1024): a sheet's or a text file's columns;
- a compression ratio over 250 for a member over 50 MB, and an XML prologue (everything before
  the root element) that declares a DOCTYPE or entity, are always refused.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from exposure_audit.errors import BomReadError

DEFAULT_MAX_UNZIPPED_MB = 2048
DEFAULT_MAX_CELLS = 20_000_000
DEFAULT_MAX_COLUMNS = 1024
MAX_UNCOMPRESSED_BYTES = DEFAULT_MAX_UNZIPPED_MB * 1024**2
MAX_RATIO = 250
RATIO_CHECKED_ABOVE = 50 * 1024**2
PROLOGUE_LIMIT = 64 * 1024
_CHUNK = 1 << 20
# A cell reference whose column has two letters or more (with its row), and any cell
# reference whose row has seven digits or more: together with the row tags these bound the
# sheet's extent without a Python step per cell (a one-letter column is at most 26).
_WIDE_REF = re.compile(rb' r="([A-Z]{2,4})([0-9]{1,9})"')
_DEEP_REF = re.compile(rb' r="[A-Z]([0-9]{7,9})"')
_ROW_REF = re.compile(rb'row [^>]{0,200}?\br="([0-9]{1,9})"')  # <row r=...>, any prefix
_XML_PART = (".xml", ".rels", ".vml")
_XLSB_CELLS = range(2, 12)  # BrtCellRk .. BrtFmlaError: a valued cell, its column first
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_checked: dict[tuple[str, int, int], None] = {}


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def max_unzipped_bytes() -> int:
    """The most a container may inflate to, from EXPOSURE_AUDIT_MAX_UNZIPPED_MB."""
    return int(_env_number("EXPOSURE_AUDIT_MAX_UNZIPPED_MB", DEFAULT_MAX_UNZIPPED_MB) * 1024**2)


def max_cells() -> int:
    """The most cells (rows x columns) one sheet may span, from EXPOSURE_AUDIT_MAX_CELLS."""
    return int(_env_number("EXPOSURE_AUDIT_MAX_CELLS", DEFAULT_MAX_CELLS))


def max_columns() -> int:
    """The widest table read, from EXPOSURE_AUDIT_MAX_COLUMNS (default 1024)."""
    return max(int(_env_number("EXPOSURE_AUDIT_MAX_COLUMNS", DEFAULT_MAX_COLUMNS)), 16)


def column_number(letters: bytes) -> int:
    """1-based column of spreadsheet letters (b"A" -> 1, b"XFD" -> 16384)."""
    n = 0
    for byte in letters:
        n = n * 26 + byte - 64
    return n


class _Extent:
    """The largest row and column seen in a worksheet's cell references, fed in chunks."""

    def __init__(self) -> None:
        self.rows = 0
        self.columns = 0
        self._tail = b""

    def feed(self, data: bytes) -> None:
        text = self._tail + data
        if b' r="' in text:
            self.columns = max(self.columns, 26)
        for letters in set(_WIDE_REF.findall(text)):
            self.columns = max(self.columns, column_number(letters[0]))
            self.rows = max(self.rows, int(letters[1]))
        for digits in _DEEP_REF.findall(text):
            self.rows = max(self.rows, int(digits))
        rows = _ROW_REF.findall(text)
        if rows:
            self.rows = max(self.rows, *map(int, rows))
        self._tail = text[-256:]

    @property
    def cells(self) -> int:
        return self.rows * self.columns


class _XlsbExtent:
    """The largest row and column of an xlsb sheet's valued cells, from its BIFF12 records fed
    in chunks: a row header (record 0) gives the row, each cell record its column. Blank cells
    (record 1, formatting only) are not counted, as readers do not store them."""

    def __init__(self) -> None:
        self.rows = 0
        self.columns = 0
        self._row = 0
        self._rest = b""

    def feed(self, data: bytes) -> None:
        buffer = self._rest + data
        end, at = len(buffer), 0
        while True:
            header = _record_header(buffer, at, end)
            if header is None:
                break
            kind, body, size = header
            if body + size > end:
                break
            if size >= 4 and (kind == 0 or kind in _XLSB_CELLS):
                number = int.from_bytes(buffer[body : body + 4], "little")
                if kind == 0:
                    self._row = number
                else:
                    self.rows = max(self.rows, self._row + 1)
                    self.columns = max(self.columns, number + 1)
            at = body + size
        self._rest = buffer[at:]

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def _record_header(buffer: bytes, at: int, end: int) -> tuple[int, int, int] | None:
    """(record type, offset of its body, body size) of the BIFF12 record at `at`, or None
    when the buffer ends inside the header (type: 1-2 bytes, size: 1-4 bytes, 7 bits each)."""
    kind = shift = 0
    for _ in range(2):
        if at >= end:
            return None
        byte = buffer[at]
        at += 1
        kind |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    size = shift = 0
    for _ in range(4):
        if at >= end:
            return None
        byte = buffer[at]
        at += 1
        size |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return kind, at, size


class _OdsExtent:
    """The bounding box of an ODS content.xml's valued cells, fed in chunks. ODS compresses a
    block of equal rows or cells into one element with `number-rows-repeated` and
    `number-columns-repeated`, so an 850-byte file can ask for 17 billion cells; the repeats are
    counted here as the reader would expand them. Empty repeated cells (LibreOffice writes them
    for formatted areas) are not counted: readers do not store them."""

    def __init__(self) -> None:
        self.rows = 0
        self.columns = 0
        self._row = 0  # rows of the current table seen so far, repeats expanded
        self._repeat = 1
        self._col = 0
        self._last = 0  # one past the last valued column of the current row
        self._broken = False
        self._parser = expat.ParserCreate(namespace_separator=" ")
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end

    def feed(self, data: bytes) -> None:
        if self._broken:
            return
        try:
            self._parser.Parse(data, False)
        except expat.ExpatError:
            self._broken = True  # the reader reports the broken XML itself

    @staticmethod
    def _count(attrs: dict[str, str], name: str) -> int:
        for key, value in attrs.items():
            if key.endswith(" " + name):
                try:
                    return max(int(value), 1)
                except ValueError:
                    return 1
        return 1

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local == "table":
            self._row = 0
        elif local == "table-row":
            self._repeat, self._col, self._last = self._count(attrs, "number-rows-repeated"), 0, 0
        elif local in ("table-cell", "covered-table-cell"):
            span = self._count(attrs, "number-columns-repeated")
            if any(key.endswith(" value-type") for key in attrs):
                self._last = self._col + span
            self._col += span

    def _end(self, name: str) -> None:
        if name.rsplit(" ", 1)[-1] == "table-row":
            if self._last:
                self.rows = max(self.rows, self._row + self._repeat)
                self.columns = max(self.columns, self._last)
            self._row += self._repeat

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def check_zip_container(path: Path, shown: str, what: str = "the BOM") -> None:
    """Refuse a zip container (xlsx, xlsm, ods) that would expand past the limits, whose
    members inflate past their declared size, whose sheets span too many cells, or whose XML
    declares entities. Raises `BomReadError` naming the file and part. A file checked once is
    not checked again while unchanged (the CLI's early parse and the reader both ask)."""
    try:
        stat = path.stat()
    except OSError:
        return  # the reader reports a missing or unreadable file
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _checked:
        return
    refused = f"refused for safety; export {what} again from its source system"
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            infos = archive.infolist()
            _check_directory(infos, shown, refused)
            for info in infos:
                name = info.filename.lower()
                binary = name.startswith("xl/") and name.endswith(".bin")  # xlsb parts
                if (name.endswith(_XML_PART) or binary) and not info.is_dir():
                    _check_part(archive, raw, info, shown, refused)
    except zipfile.BadZipFile as exc:
        raise BomReadError(
            f"{shown} is not a valid spreadsheet (corrupt or truncated zip: {exc})",
            "download or export the file again",
        ) from None
    except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError, zlib.error) as exc:
        # zlib errors, encrypted members and unsupported compression end up here.
        raise BomReadError(
            f"{shown} cannot be read as a spreadsheet ({type(exc).__name__})",
            "download or export the file again",
        ) from None
    _checked[key] = None


def _check_directory(infos: list[zipfile.ZipInfo], shown: str, refused: str) -> None:
    """The sizes the zip directory declares, before anything is inflated."""
    total = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    member_ratio = max(
        (i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > RATIO_CHECKED_ABOVE),
        default=0.0,
    )
    limit = max_unzipped_bytes()
    if (
        total > limit
        or (total > RATIO_CHECKED_ABOVE and total / packed > MAX_RATIO)
        or member_ratio > MAX_RATIO
    ):
        raise BomReadError(
            f"{shown} expands to {total / 1024**2:,.0f} MB from {packed / 1024**2:,.1f} MB "
            f"(a zip bomb? the limit is {limit / 1024**2:,.0f} MB, "
            "EXPOSURE_AUDIT_MAX_UNZIPPED_MB)",
            refused,
        )


def _check_part(
    archive: zipfile.ZipFile, raw: BinaryIO, info: zipfile.ZipInfo, shown: str, refused: str
) -> None:
    """Inflate one part, counting what comes out; check an XML part's prologue, and a sheet's
    cell extent (xlsx XML, xlsb records, ODS content.xml)."""
    name = info.filename.lower()
    binary = name.endswith(".bin")
    if not binary:
        _check_prologue(archive, info, shown, refused)
    extent: _Extent | _OdsExtent | _XlsbExtent | None = None
    if name.startswith("xl/worksheets/binaryindex"):
        extent = None  # an xlsb sheet's index, not its cells
    elif name.startswith("xl/worksheets/"):
        extent = _XlsbExtent() if binary else _Extent()
    elif info.filename == "content.xml":
        extent = _OdsExtent()
    feed = extent.feed if extent is not None else None
    inflated = _inflate(archive, raw, info, feed)
    if inflated > info.file_size:
        raise BomReadError(
            f"{shown}: part {info.filename} declares {info.file_size:,} bytes but inflates to "
            f"more than {inflated:,} (a lying zip)",
            refused,
        )
    if extent is not None and (extent.cells > max_cells() or extent.columns > max_columns()):
        raise BomReadError(
            f"{shown}: {info.filename} spans {extent.rows:,} rows x {extent.columns:,} columns, "
            f"over the limit of {max_cells():,} cells (EXPOSURE_AUDIT_MAX_CELLS) or "
            f"{max_columns():,} columns (EXPOSURE_AUDIT_MAX_COLUMNS)",
            "delete the stray cells far from the table (Ctrl+End in Excel shows the last one) "
            "and save again, or raise the limit",
        )


def _inflate(
    archive: zipfile.ZipFile,
    raw: BinaryIO,
    info: zipfile.ZipInfo,
    feed: Callable[[bytes], None] | None,
) -> int:
    """Bytes that come out of member `info`, counted while inflating, stopping just past its
    declared size. Deflated members are inflated from the raw stream (Python's own reader
    stops at the declared size and would hide a lie); others through `zipfile`."""
    limit = info.file_size
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:
        total = 0
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                total += len(chunk)
                if feed is not None:
                    feed(chunk)
        return total
    handle = raw
    handle.seek(info.header_offset)
    fields = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
    if fields[0] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    handle.seek(fields[10] + fields[11], os.SEEK_CUR)
    inflater = zlib.decompressobj(-15)
    remaining, total = info.compress_size, 0
    while remaining > 0 and total <= limit:
        chunk = handle.read(min(_CHUNK, remaining))
        if not chunk:
            break
        remaining -= len(chunk)
        data = inflater.decompress(chunk, _CHUNK)
        while True:
            total += len(data)
            if feed is not None and data:
                feed(data)
            if total > limit or not inflater.unconsumed_tail:
                break
            data = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
    return total


class _Root(Exception):
    """The root element was reached: the prologue is over."""


class _Declared(Exception):
    """A DOCTYPE or entity declaration was met before the root element."""


def _check_prologue(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str, refused: str
) -> None:
    """Parse the part strictly (expat) up to its root element: a DOCTYPE or entity declared
    before it is refused, and so is a prologue that is not well-formed XML. A regex would be
    fooled by a tag inside a comment."""
    if not info.file_size:
        return
    with archive.open(info) as member:
        head = member.read(PROLOGUE_LIMIT)
    parser = expat.ParserCreate()

    def root(*_: object) -> None:
        raise _Root

    def declared(*_: object) -> None:
        raise _Declared

    parser.StartElementHandler = root
    parser.StartDoctypeDeclHandler = declared
    parser.EntityDeclHandler = declared
    try:
        parser.Parse(head, len(head) < PROLOGUE_LIMIT)
    except _Root:
        return
    except _Declared:
        raise BomReadError(
            f"{shown}: part {info.filename} declares a DOCTYPE or XML entities (an entity bomb?)",
            refused,
        ) from None
    except expat.ExpatError as exc:
        raise BomReadError(
            f"{shown} cannot be read as a spreadsheet: part {info.filename} is not "
            f"well-formed XML ({expat.ErrorString(exc.code)}, line {exc.lineno})",
            "download or export the file again",
        ) from None
    raise BomReadError(
        f"{shown}: part {info.filename} has no XML element in its first "
        f"{PROLOGUE_LIMIT // 1024} KB",
        refused,
    )
