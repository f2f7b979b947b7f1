"""A head start for one BOM: its cells parsed, and its bytes hashed, in a thread while the caller
imports pandas and the engine.

calamine/fastexcel (spreadsheets), pyarrow (delimited text) and hashlib let go of the GIL, so
on two cores the parse runs while the main thread spends half a second importing pandas. The
CLI's `audit` starts one for a single BOM after Typer has parsed the command line; `read_bom`
takes the parse when it is for the same file and sheet, and otherwise reads the file itself,
so every error is raised and worded as usual. No pandas here.
"""

from __future__ import annotations

import threading
from pathlib import Path

from exposure_audit.bom import sheet_arrow, sniff
from exposure_audit.bom.text_arrow import file_sha256, read_arrow


class Ahead:
    """A parse under way in its own thread; `parsed()` and `sha256()` wait for it."""

    def __init__(self, path: Path, sheet: str | None) -> None:
        self.path = path
        self.sheet = sheet
        self._parsed: object = None
        self._sha256: str | None = None
        self._done = threading.Event()
        # Not a daemon: at exit the interpreter waits for the parse instead of stopping the
        # thread inside calamine or arrow.
        threading.Thread(target=self._run, name="bom-ahead").start()

    def _run(self) -> None:
        try:
            self._parsed = _parse(self.path, self.sheet)
        except Exception:  # noqa: BLE001 - read_bom reads again and reports the problem
            self._parsed = None
        try:
            self._sha256 = file_sha256(self.path)
        except OSError:
            self._sha256 = None  # `sha256()` hashes again and raises
        finally:
            self._done.set()

    def parsed(self, path: Path, sheet: str | None) -> object | None:
        """What the thread parsed (a `sheet_arrow.ArrowSheet` or `text_arrow.TextTable`) when it
        is for `path` and `sheet`, else None."""
        if Path(path) != self.path or sheet != self.sheet:
            return None
        self._done.wait()
        return self._parsed

    def sha256(self, path: Path) -> str:
        """The file's sha256, as the thread computed it (or now, for another file)."""
        if Path(path) == self.path:
            self._done.wait()
            if self._sha256 is not None:
                return self._sha256
        return file_sha256(Path(path))


def start(path: Path, sheet: str | None = None) -> Ahead:
    """Begin parsing `path` (its first recognised sheet, or `sheet`) in a thread."""
    return Ahead(Path(path), sheet)


def _parse(path: Path, sheet: str | None) -> object | None:
    head = sniff.check_file(path, str(path))
    if sniff.is_spreadsheet(path, head):
        if not head.startswith(sniff.ZIP_MAGIC):
            return None
        from exposure_audit.bom.safety import check_zip_container

        check_zip_container(path, str(path))  # before anything is inflated
        return sheet_arrow.read_sheet(path, sheet)
    if sheet is not None:
        return None
    layout = sniff.text_layout(path, str(path))
    if layout.encoding not in ("utf-8", "utf-8-sig") or not layout.simple:
        return None  # the tolerant reader handles these
    return read_arrow(path, layout)
