"""A head start: parse the BOM in a thread while the tool imports the rest of itself.

calamine (spreadsheets) and pyarrow (delimited text) parse with the GIL released, so on a machine
with two cores the parse overlaps the half second it takes to import pandas, pydantic and the
report modules. It is only a head start: `read_bom` takes the result when there is one for the
same file and sheet, and otherwise reads the file itself, so every error is raised and worded
as usual. No pandas here.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from exposure_audit.bom import sheet_arrow, sniff
from exposure_audit.bom.sheet_arrow import ArrowSheet


@dataclass
class TextTable:
    """A delimited text file's body as a pyarrow Table of string columns, with its layout."""

    layout: sniff.TextLayout
    table: object
    encoded: Columns
    """The columns a BOM field would come from, dictionary-encoded (by header)."""
    finish: Callable[[], None] | None = None
    """Work the thread does after handing the table over (see `Later`)."""


class Later:
    """A column the thread is still encoding when the table is handed over: reading it waits."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._value: object = None

    def set(self, value: object) -> None:
        self._value = value
        self._done.set()

    def get(self) -> object:
        self._done.wait()
        return self._value


class Columns(dict):
    """Encoded columns by header; one still being encoded (`Later`) is waited for when read,
    and None (its encoding failed) reads as absent."""

    def __getitem__(self, header: str) -> object:
        value = super().__getitem__(header)
        return value.get() if isinstance(value, Later) else value

    def get(self, header: str, default: object = None) -> object:  # type: ignore[override]
        if header not in self:
            return default
        value = self[header]
        return default if value is None else value


class _Job:
    def __init__(self, path: Path, work: Callable[[], object], sheet: str | None) -> None:
        self.path = path
        self.sheet = sheet
        self.result: object = None
        self.ready = threading.Event()
        self.sha256 = Later()
        """The file's sha256 (hex), computed last, while the audit cleans and maps."""
        # Not a daemon: at exit the interpreter waits for the parse instead of stopping the
        # thread inside calamine or arrow.
        self.thread = threading.Thread(target=self._run, args=(work,), name="bom-prefetch")
        self.thread.start()

    def _run(self, work: Callable[[], object]) -> None:
        try:
            self.result = work()
        except Exception:  # noqa: BLE001 - read_bom reads again and reports the problem
            self.result = None
        finally:
            self.ready.set()
        finish = getattr(self.result, "finish", None)
        if finish is not None:
            finish()
        digest = None
        try:  # hashlib lets go of the GIL: the main thread is not held up
            digest = file_sha256(self.path)
        except Exception:  # noqa: BLE001 - `sha256` hashes the file again and raises
            pass
        finally:
            self.sha256.set(digest)  # whatever happens: a reader waits for it


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


_jobs: dict[str, _Job] = {}
_digests: dict[str, Later] = {}


def start(path: Path, sheet: str | None = None) -> None:
    """Begin parsing `path` (the first sheet, or `sheet`) in a thread, unless that is under
    way already."""
    job = _jobs.get(str(path))
    if job is not None and job.sheet == sheet:
        return
    try:
        head = sniff.check_file(path, str(path))
    except Exception:  # noqa: BLE001 - read_bom will say what is wrong
        return
    if sniff.is_spreadsheet(path, head):
        if head.startswith(sniff.ZIP_MAGIC):
            _jobs[str(path)] = _Job(path, lambda: _spreadsheet(path, sheet), sheet)
    elif sheet is None:
        _jobs[str(path)] = _Job(path, lambda: _text(path), sheet)


def busy(path: Path) -> bool:
    """Whether the thread is still parsing `path`: `read_bom` would wait for it."""
    job = _jobs.get(str(path))
    return job is not None and not job.ready.is_set()


def take(path: Path) -> object | None:
    """What the thread parsed of `path` (an `ArrowSheet`, `SheetCells` or `TextTable`), or
    None. Its sha256 stays for `sha256`."""
    job = _jobs.pop(str(path), None)
    if job is None:
        return None
    _digests[str(path)] = job.sha256
    job.ready.wait()
    return job.result


def sha256(path: Path) -> str:
    """The sha256 of the file taken last from `path`, as the thread computed it after the
    parse (waiting for it), else computed now."""
    later = _digests.pop(str(path), None)
    value = later.get() if later is not None else None
    return value if isinstance(value, str) else file_sha256(path)


def _spreadsheet(path: Path, sheet: str | None) -> sniff.SheetCells | ArrowSheet:
    from python_calamine import CalamineWorkbook

    from exposure_audit.bom.safety import check_zip_container

    check_zip_container(path, str(path))  # before calamine inflates anything
    fast = sheet_arrow.read_sheet(path, sheet)
    if fast is not None:
        return fast
    workbook = CalamineWorkbook.from_path(str(path))
    return sniff.sheet_cells(workbook, sheet if sheet is not None else workbook.sheet_names[0])


def _text(path: Path) -> TextTable | None:
    layout = sniff.text_layout(path, str(path))
    if layout.encoding not in ("utf-8", "utf-8-sig") or not layout.simple:
        return None  # the tolerant reader handles these
    return read_arrow(path, layout, defer_part_number=True)


def read_arrow(path: Path, layout: sniff.TextLayout, defer_part_number: bool = False) -> TextTable:
    """The body below the header as string columns (blank cells are ""), parsed by pyarrow on
    all cores, with the columns a BOM field comes from dictionary-encoded: the hashing that
    cleaning starts with, done in C++. Raises pyarrow's errors for ragged rows or bad UTF-8.

    `defer_part_number`: the part-number column is encoded by `finish`, after the table is
    handed over, so that its hashing (0.15 s at 1M lines) overlaps the start of cleaning."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv

    from exposure_audit.bom.columns import match_columns

    columns = match_columns(layout.headers)
    fields = {*columns.fields.values(), *(h for hs in columns.text.values() for h in hs)}
    part_number = columns.header("part_number")
    names = [f"f{i}" for i in range(len(layout.headers))]
    # Large strings are what pandas keeps: taken as they are, not cast (0.3 s at 1M lines).
    # Field columns are encoded by the parser, block by block on all cores, except the part
    # number: a value per line, whose blocks' dictionaries would cost more to merge than to
    # hash the column once.
    types = {
        name: pa.dictionary(pa.int32(), pa.large_string())
        if header in fields and header != part_number
        else pa.large_string()
        for name, header in zip(names, layout.headers, strict=True)
    }
    table = csv.read_csv(
        path,
        # The byte-order mark, if any, sits on a line we skip.
        read_options=csv.ReadOptions(skip_rows=layout.header_idx + 1, column_names=names),
        parse_options=csv.ParseOptions(delimiter=layout.delimiter, ignore_empty_lines=False),
        convert_options=csv.ConvertOptions(
            column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    encoded = Columns()
    for i, header in enumerate(layout.headers):
        if header in fields and header != part_number:
            encoded[header] = table.column(i).combine_chunks()  # merges the blocks' dictionaries
            # ... which pandas would otherwise merge again when it makes the frame.
            table = table.set_column(i, names[i], encoded[header])
    if part_number is None:
        return TextTable(layout, table, encoded)
    # One chunk: cleaning takes a few cells of it by position (rows to skip), slow across the
    # parser's blocks.
    at = layout.headers.index(part_number)
    column = table.column(at).combine_chunks()
    table = table.set_column(at, names[at], column)
    later = encoded[part_number] = Later()

    def finish() -> None:
        try:
            later.set(pc.dictionary_encode(column))
        except Exception:  # noqa: BLE001 - cleaning hashes the column itself
            later.set(None)

    if not defer_part_number:
        finish()
        return TextTable(layout, table, encoded)
    return TextTable(layout, table, encoded, finish)
