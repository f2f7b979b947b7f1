"""Resource bombs end in one clear refusal, before any reader allocates (issue 20, defect 5).

The subprocess cases run the CLI under a 4 GiB address-space limit: on the code before these
checks the Rust reader aborted the process (rc 134 / -6) on a 5 KB workbook.
"""

from __future__ import annotations

import resource
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from exposure_audit.bom.read import read_bom
from exposure_audit.bom.safety import check_zip_container
from exposure_audit.errors import BomReadError

ROWS = [("Part Number", "Description", "Qty"), ("R1", "Resistor 10k", 4), ("C1", "Cap 1uF", 2)]
GIB = 1024**3


def _workbook(path: Path, far: str | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for r, row in enumerate(ROWS, 1):
        for c, value in enumerate(row, 1):
            sheet.cell(r, c, value)
    if far:
        sheet[far] = "x"
    book.save(path)
    return path


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 * GIB, 4 * GIB))


def run_limited(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess under a 4 GiB address-space limit."""
    return subprocess.run(
        [sys.executable, "-m", "exposure_audit", *args],
        preexec_fn=_limited,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _rewrite(src: Path, dst: Path, part: str, text: bytes) -> None:
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, text if info.filename == part else old.read(info))


def _declare_size(path: Path, part: str, size: int) -> None:
    """Make the zip lie: `part` declares `size` uncompressed bytes (local and central header)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(part)
    struct.pack_into("<L", data, info.header_offset + 22, size)
    central = data.find(b"PK\x01\x02")
    name = part.encode()
    while central >= 0:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == name:
            struct.pack_into("<L", data, central + 24, size)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def test_one_cell_at_xfd1048576_is_refused_before_reading(tmp_path):
    path = _workbook(tmp_path / "far.xlsx", far="XFD1048576")
    assert path.stat().st_size < 10_000
    with pytest.raises(BomReadError, match=r"1,048,576 rows x 16,384 columns"):
        read_bom(path)


def test_the_far_cell_cli_exits_2_under_4_gib(tmp_path):
    path = _workbook(tmp_path / "far.xlsx", far="XFD1048576")
    done = run_limited("audit", str(path), "-f", "json")
    assert done.returncode == 2, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "far.xlsx" in lines[0] and "EXPOSURE_AUDIT_MAX_CELLS" in lines[0]


def test_a_wide_stray_cell_is_refused_and_the_limit_can_be_raised(tmp_path, monkeypatch):
    path = _workbook(tmp_path / "wide.xlsx", far="ZZ3")  # 702 columns x 3 rows
    monkeypatch.setenv("EXPOSURE_AUDIT_MAX_COLUMNS", "500")
    with pytest.raises(BomReadError, match=r"702 columns"):
        read_bom(path)
    monkeypatch.setenv("EXPOSURE_AUDIT_MAX_COLUMNS", "1000")
    path.touch()  # a changed file is checked again
    assert read_bom(path).frame["Part Number"].tolist() == ["R1", "C1"]


def test_the_cell_limit_is_overridable(tmp_path, monkeypatch):
    path = _workbook(tmp_path / "deep.xlsx", far="C5000")
    monkeypatch.setenv("EXPOSURE_AUDIT_MAX_CELLS", "1000")
    with pytest.raises(BomReadError, match=r"5,000 rows x 26 columns"):
        read_bom(path)


def test_a_member_inflating_past_its_declared_size_is_refused(tmp_path):
    plain = _workbook(tmp_path / "plain.xlsx")
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(plain) as archive:
        xml = archive.read(part)
    padded = xml.replace(b"<sheetData>", b"<sheetData>" + b" " * 30_000_000, 1)
    lying = tmp_path / "lying.xlsx"
    _rewrite(plain, lying, part, padded)
    _declare_size(lying, part, 200_000)
    with zipfile.ZipFile(lying) as archive:
        assert archive.getinfo(part).file_size == 200_000  # the directory believes the lie
    with pytest.raises(BomReadError, match="lying zip"):
        check_zip_container(lying, "lying.xlsx")


def test_a_doctype_after_a_tag_in_a_comment_is_refused(tmp_path):
    plain = _workbook(tmp_path / "plain.xlsx")
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(plain) as archive:
        xml = archive.read(part)
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    evil = b'<?xml version="1.0"?><!-- <a trick --><!DOCTYPE worksheet [<!ENTITY e "x">]>' + body
    bad = tmp_path / "entity.xlsx"
    _rewrite(plain, bad, part, evil)
    with pytest.raises(BomReadError, match="DOCTYPE"):
        read_bom(bad)


def test_a_declaration_bomb_is_a_problem_not_an_abort(tmp_path):
    path = _workbook(tmp_path / "cmrt.xlsx", far="XFD1048576")
    code = (
        "from exposure_audit.declarations.rmi import read_declarations\n"
        f"d = read_declarations([{str(path)!r}])\n"
        "print(len(d.problems)); print(d.problems[0].message)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        preexec_fn=_limited,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "16,384 columns" in done.stdout


def test_a_csv_header_wider_than_the_limit_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    header = ["Part Number", "Description", "Qty", *(f"Attr {i}" for i in range(2000))]
    path.write_text(",".join(header) + "\nR1,Resistor,4\n", encoding="utf-8")
    with pytest.raises(BomReadError, match=r"2,003 columns"):
        read_bom(path)


def test_a_line_of_a_million_fields_is_cut_and_reported(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(
        "Part Number,Description,Qty\nR1,Resistor,4\nR2,Resistor," + ",".join("1" * 1_000_000),
        encoding="utf-8",
    )
    raw = read_bom(path)
    assert raw.frame["Part Number"].tolist() == ["R1", "R2"]
    assert raw.frame.shape[1] <= 1024
    frame = raw.issues.frame()
    assert frame.loc[frame["code"] == "too-many-fields", "row"].tolist() == [3]


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def _ods(path: Path, tail: str) -> Path:
    """An ODS with a BOM table and `tail` (more table rows) below it."""

    def cell(value: object) -> str:
        kind = "float" if isinstance(value, int) else "string"
        number = f' office:value="{value}"' if kind == "float" else ""
        return (
            f'<table:table-cell office:value-type="{kind}"{number}><text:p>{value}</text:p>'
            "</table:table-cell>"
        )

    rows = "".join("<table:table-row>" + "".join(map(cell, r)) + "</table:table-row>" for r in ROWS)
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} '
        'office:version="1.2"><office:body><office:spreadsheet><table:table table:name="BOM">'
        f"{rows}{tail}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            "</manifest:manifest>",
        )
    return path


def test_an_ods_of_repeated_rows_and_cells_is_refused_before_reading(tmp_path):
    # 850 bytes that expand to a billion valued cells: the reader aborted (rc 134) under 4 GiB.
    tail = (
        '<table:table-row table:number-rows-repeated="1048570">'
        '<table:table-cell table:number-columns-repeated="1000" office:value-type="string">'
        "<text:p>x</text:p></table:table-cell></table:table-row>"
    )
    path = _ods(tmp_path / "bomb.ods", tail)
    assert path.stat().st_size < 2000
    with pytest.raises(BomReadError, match="1,048,573 rows x 1,000 columns"):
        read_bom(path)
    done = run_limited("audit", str(path), "-q")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "EXPOSURE_AUDIT_MAX_CELLS" in done.stderr


def test_an_ods_with_empty_repeated_rows_is_read(tmp_path):
    # LibreOffice writes the formatted empty area below a table as repeated empty cells.
    tail = (
        '<table:table-row table:number-rows-repeated="1048570">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    raw = read_bom(_ods(tmp_path / "sheet.ods", tail))
    assert raw.frame["Part Number"].tolist() == ["R1", "C1"]


def _record(kind: int, body: bytes) -> bytes:
    """One BIFF12 record: type and size as 7-bit varints, then the body."""

    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out)

    return varint(kind) + varint(len(body)) + body


def _xlsb_sheet(path: Path, cells: list[tuple[int, int]]) -> Path:
    """A zip holding an xlsb sheet part whose valued cells sit at (row, column), 0-based."""
    records = []
    for row, column in cells:
        records.append(_record(0, struct.pack("<I", row) + b"\0" * 13))  # BrtRowHdr
        records.append(_record(5, struct.pack("<IId", column, 0, 1.0)))  # BrtCellReal
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.bin", b"".join(records))
    return path


def test_an_xlsb_cell_far_down_is_refused_before_reading(tmp_path):
    # 999,999 rows x 90 columns: under the reader's own 100M-cell cap, over 4 GiB to allocate.
    path = _xlsb_sheet(tmp_path / "far.xlsb", [(0, 0), (1, 2), (999_999, 89)])
    with pytest.raises(BomReadError, match="1,000,000 rows x 90 columns"):
        check_zip_container(path, "far.xlsb")


def test_an_xlsb_sheet_of_ordinary_size_passes(tmp_path):
    check_zip_container(
        _xlsb_sheet(tmp_path / "ok.xlsb", [(r, c) for r in range(50) for c in range(8)]), "ok.xlsb"
    )


def test_a_lying_xlsb_sheet_part_is_refused(tmp_path):
    path = _xlsb_sheet(tmp_path / "lie.xlsb", [(r, 0) for r in range(5000)])
    _declare_size(path, "xl/worksheets/sheet1.bin", 100)
    with pytest.raises(BomReadError, match="a lying zip|cannot be read|corrupt"):
        check_zip_container(path, "lie.xlsb")
