"""Hostile and broken files: each gives a one-line BomReadError naming the file and a fix."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from exposure_audit.bom.read import read_bom
from exposure_audit.errors import BomReadError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ROWS = [("R1", "Resistor 10k", 4), ("C1", "Capacitor 1uF", 2)]


def refused(path, match: str, **kwargs) -> BomReadError:
    """read_bom(path) raises BomReadError (nothing else), one line, naming the file, with a hint."""
    with pytest.raises(BomReadError) as info:
        read_bom(path, **kwargs)
    error = info.value
    assert str(path) in error.message
    assert error.hint, "every refusal says what to do"
    assert "\n" not in str(error)
    assert match.lower() in str(error).lower(), str(error)
    return error


def _xlsx_bytes(tmp_path, make_bom) -> bytes:
    return make_bom(tmp_path, ROWS * 50, name="source.xlsx").read_bytes()


def _rezip(
    data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            payload = (replace or {}).get(info.filename, source.read(info.filename))
            target.writestr(info.filename, payload)
        for name, payload in (add or {}).items():
            target.writestr(name, payload)
    return out.getvalue()


def test_missing_file(tmp_path):
    refused(tmp_path / "nope.xlsx", "no such file")


def test_random_bytes_named_xlsx(tmp_path):
    path = tmp_path / "random.xlsx"
    path.write_bytes(os.urandom(4096).replace(b"PK", b"pk"))
    refused(path, "not a spreadsheet")


def test_random_bytes_named_csv(tmp_path):
    path = tmp_path / "random.csv"
    path.write_bytes(bytes(range(256)) * 16)
    refused(path, "binary file")


def test_truncated_xlsx(tmp_path, make_bom):
    data = _xlsx_bytes(tmp_path, make_bom)
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    refused(path, "corrupt or truncated")


def test_xlsx_with_corrupt_member(tmp_path, make_bom):
    data = _rezip(_xlsx_bytes(tmp_path, make_bom), replace={"xl/workbook.xml": b"<not xml"})
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(data)
    refused(path, "cannot be read")


def test_empty_file(tmp_path):
    for name in ("empty.xlsx", "empty.csv"):
        path = tmp_path / name
        path.write_bytes(b"")
        refused(path, "is empty")


def test_header_only_xlsx(tmp_path, make_bom):
    refused(make_bom(tmp_path, []), "no lines below the header")


def test_header_and_blank_rows_only_csv(tmp_path, make_csv):
    refused(make_csv(tmp_path, "Part Number,Qty\n,\n\n"), "no lines below the header")


def test_header_only_sheet_is_passed_over_for_a_later_one(tmp_path, make_bom):
    template = [["Part Number", "Description", "Qty"]]
    raw = read_bom(make_bom(tmp_path, ROWS, extra_sheets=[("Template", template)]))
    assert raw.sheet == "BOM"


def test_no_recognisable_header_csv(tmp_path, make_csv):
    refused(make_csv(tmp_path, "hello world\nthis is not a bom\n"), "no header row")


def test_directory(tmp_path):
    folder = tmp_path / "bom.xlsx"
    folder.mkdir()
    refused(folder, "folder")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_no_read_permission(tmp_path, make_bom):
    path = make_bom(tmp_path, ROWS)
    path.chmod(0)
    try:
        refused(path, "permission denied")
    finally:
        path.chmod(0o644)


def test_over_the_size_limit_is_refused_before_reading(tmp_path, make_bom, monkeypatch):
    path = make_bom(tmp_path, ROWS)
    monkeypatch.setenv("EXPOSURE_AUDIT_MAX_FILE_MB", "0.001")
    opened = []
    real_open = type(path).open
    monkeypatch.setattr(
        type(path), "open", lambda self, *a, **k: opened.append(self) or real_open(self, *a, **k)
    )
    error = refused(path, "over the")
    assert "EXPOSURE_AUDIT_MAX_FILE_MB" in error.hint
    assert opened == []


def test_bad_size_limit_falls_back_to_default(tmp_path, make_bom, monkeypatch):
    monkeypatch.setenv("EXPOSURE_AUDIT_MAX_FILE_MB", "lots")
    assert len(read_bom(make_bom(tmp_path, ROWS)).frame) == 2


def test_password_protected_xlsx(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(OLE_MAGIC + os.urandom(2048))
    refused(path, "password")


def test_ole_junk_named_xls(tmp_path):
    path = tmp_path / "junk.xls"
    path.write_bytes(OLE_MAGIC + os.urandom(2048))
    refused(path, "cannot be read")


def test_zip_bomb(tmp_path, make_bom):
    data = _rezip(_xlsx_bytes(tmp_path, make_bom), add={"xl/media/zeros.bin": bytes(60 * 2**20)})
    assert len(data) < 2 * 2**20
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(data)
    refused(path, "zip bomb")


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol3;</workbook>
"""


def test_xml_entity_bomb(tmp_path, make_bom):
    data = _rezip(_xlsx_bytes(tmp_path, make_bom), replace={"xl/workbook.xml": BILLION_LAUGHS})
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(data)
    refused(path, "entit")


def test_xml_entity_bomb_hidden_behind_a_long_comment(tmp_path, make_bom):
    padded = BILLION_LAUGHS.replace(b"?>\n", b"?>\n<!--" + b" " * 5000 + b"-->\n", 1)
    data = _rezip(_xlsx_bytes(tmp_path, make_bom), replace={"xl/workbook.xml": padded})
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(data)
    refused(path, "entit")


def test_xlsx_renamed_csv_is_read_by_content(tmp_path, make_bom):
    path = tmp_path / "really.csv"
    path.write_bytes(_xlsx_bytes(tmp_path, make_bom))
    raw = read_bom(path)
    assert raw.sheet == "BOM" and len(raw.frame) == 100


def test_csv_with_nul_bytes_deep_inside(tmp_path, make_csv):
    path = make_csv(tmp_path, "Part Number,Qty\n" + "A,1\n" * 2000 + "B\x00,2\n")
    raw = read_bom(path)
    assert len(raw.frame) == 2001


def test_utf8_file_with_a_cp1252_byte_far_down(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"Part Number,Description\n" + b"A,ok\n" * 70000 + "B,Résistance".encode("cp1252") + b"\n"
    )
    raw = read_bom(path)
    assert raw.frame["Description"].iloc[-1] == "Résistance"


def _ods_cell(value: object) -> str:
    if isinstance(value, str):
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p>' + (
            "</table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="float" office:value="{value}">'
        f"<text:p>{value}</text:p></table:table-cell>"
    )


def _ods_content(rows: list[list[object]]) -> bytes:
    body = "".join(
        "<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
        for row in rows
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="BOM">'
        f"{body}</table:table></office:spreadsheet></office:body></office:document-content>"
    ).encode()


ODS_CONTENT = _ods_content([["Part Number", "Qty"], ["007", 3]])


def test_ods(tmp_path):
    path = tmp_path / "bom.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("content.xml", ODS_CONTENT)
        archive.writestr(
            "META-INF/manifest.xml",
            b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">
<manifest:file-entry manifest:full-path="/"
 manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>""",
        )
    try:
        raw = read_bom(path)
    except BomReadError as error:  # pragma: no cover - depends on calamine's ODS reader
        pytest.skip(f"hand-made ODS not readable here: {error}")
    assert raw.format == "ods"
    assert raw.frame["Part Number"].tolist() == ["007"]
    assert raw.frame["Qty"].tolist() == [3]


def test_xls_is_read(tmp_path):
    """A real BIFF .xls (written with xlwt, a test dependency) is read cell for cell."""
    xlwt = pytest.importorskip("xlwt", reason="no .xls writer installed to make a test file")
    book = xlwt.Workbook()
    sheet = book.add_sheet("BOM")
    for r, row in enumerate([("Part Number", "Description", "Qty"), *ROWS]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    path = tmp_path / "bom.xls"
    book.save(str(path))
    raw = read_bom(path)
    assert raw.format == "xls"
    assert raw.frame["Part Number"].tolist() == ["R1", "C1"]
    assert [float(q) for q in raw.frame["Qty"]] == [4.0, 2.0]
    assert raw.rows.tolist() == [2, 3]
