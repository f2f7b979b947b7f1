"""`bom.prefetch`: the parse started in a thread before the imports, and taken by `read_bom`."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from exposure_audit.bom import prefetch, read_bom, sheet_arrow
from exposure_audit.bom.sheet_arrow import ArrowSheet
from exposure_audit.bom.sniff import SheetCells
from exposure_audit.errors import BomReadError

CSV = (
    "Part Number,Description,Material,Qty,Notes column\n"
    "P-1, Magnet ,NdFeB,2,kept as is\n"
    "P-2,Cell,Li-ion cell,1,\n"
)


@pytest.fixture(params=["direct"])
def reader_path(request: pytest.FixtureRequest) -> str:
    """These tests drive `prefetch` themselves: one run each, not the conftest's two."""
    return request.param


def test_spreadsheet_parsed_in_the_thread_into_arrow(tmp_path, make_bom):
    headers = ["Part Number", "Description", "Material", "Qty"]
    path = make_bom(
        tmp_path,
        [["P-1", "Magnet", "NdFeB", 2]],
        headers=headers,
        extra_sheets=[("Cover", [["x"]])],
    )
    prefetch.start(path)
    got = prefetch.take(path)
    # As read_bom picks it: the first sheet whose header is recognised, not the cover.
    assert isinstance(got, ArrowSheet) and got.name == "BOM" and got.sheets == ["Cover", "BOM"]
    assert got.headers == headers
    assert got.table.to_pylist() == [{"f0": "P-1", "f1": "Magnet", "f2": "NdFeB", "f3": "2"}]
    assert got.encoded["Material"].dictionary.to_pylist() == ["NdFeB"]
    assert prefetch.take(path) is None  # taken once


def test_spreadsheet_typed_cells_in_the_thread_when_arrow_is_not_exact(
    tmp_path, make_bom, monkeypatch
):
    monkeypatch.setattr(sheet_arrow, "read_sheet", lambda path, sheet=None: None)
    path = make_bom(tmp_path, [["P-1", "Magnet", "NdFeB", 2]], extra_sheets=[("Cover", [["x"]])])
    prefetch.start(path)
    got = prefetch.take(path)
    assert isinstance(got, SheetCells)
    assert got.name == "Cover"  # the first sheet; read_bom parses "BOM" itself

    prefetch.start(path, "BOM")
    got = prefetch.take(path)
    assert isinstance(got, SheetCells) and got.name == "BOM"
    assert ["P-1", "Magnet", "NdFeB", 2.0] in got.cells


def test_csv_body_parsed_and_field_columns_encoded(tmp_path, make_csv):
    path = make_csv(tmp_path, CSV)
    prefetch.start(path)
    got = prefetch.take(path)
    assert isinstance(got, prefetch.TextTable)
    assert got.layout.headers == ["Part Number", "Description", "Material", "Qty", "Notes column"]
    assert got.table.num_rows == 2
    # Only the columns a field comes from are hashed; the unknown one is not.
    assert set(got.encoded) == {"Part Number", "Description", "Material", "Qty"}
    assert got.encoded["Description"].dictionary.to_pylist() == [" Magnet ", "Cell"]


def test_read_bom_gives_the_same_table_from_the_thread(tmp_path, make_csv):
    path = make_csv(tmp_path, CSV)
    direct = read_bom(path)
    prefetch.start(path)
    taken = read_bom(path)
    # Both read by pyarrow, with the field columns encoded alike.
    assert (
        taken.encoded.keys()
        == direct.encoded.keys()
        == {"Part Number", "Description", "Material", "Qty"}
    )
    for header in taken.encoded:
        assert taken.encoded[header].equals(direct.encoded[header])
    assert taken.frame.equals(direct.frame)
    assert (taken.rows == direct.rows).all() and taken.header_row == direct.header_row


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 not really a zip", b"Part Number,Qty\n\xff\xfe broken utf-8,1\n"],
    ids=["corrupt-xlsx", "bad-utf8"],
)
def test_a_failed_parse_leaves_nothing_and_read_bom_reads_itself(tmp_path, content):
    path = tmp_path / ("bom.xlsx" if content.startswith(b"PK") else "bom.csv")
    path.write_bytes(content)
    prefetch.start(path)
    assert prefetch.take(path) is None
    if content.startswith(b"PK"):
        with pytest.raises(BomReadError, match="not a valid spreadsheet"):
            read_bom(path)
    else:
        assert read_bom(path).encoding == "cp1252"  # the tolerant reader took over


def test_missing_file_and_no_start_give_nothing(tmp_path):
    missing = tmp_path / "missing.csv"
    prefetch.start(missing)
    assert prefetch.take(missing) is None
    assert prefetch.take(Path("never-started.xlsx")) is None


def test_importing_prefetch_does_not_import_pandas():
    code = (
        "import sys, exposure_audit.bom.prefetch\n"
        "sys.exit(int('pandas' in sys.modules or 'numpy' in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_part_number_encoded_after_the_table_is_handed_over(tmp_path, make_csv):
    path = make_csv(tmp_path, CSV)
    prefetch.start(path)
    got = prefetch.take(path)
    assert isinstance(got, prefetch.TextTable) and got.finish is not None
    # Waited for when read, whether or not the thread is done by then.
    assert got.encoded["Part Number"].dictionary.to_pylist() == ["P-1", "P-2"]
    assert got.encoded.get("Part Number").indices.to_pylist() == [0, 1]


def test_columns_wait_for_a_later_value_and_read_a_failed_one_as_absent():
    ready, failed = prefetch.Later(), prefetch.Later()
    columns = prefetch.Columns({"A": ready, "B": failed, "C": "plain"})
    thread = threading.Timer(0.05, lambda: ready.set("encoded"))
    thread.start()
    failed.set(None)
    assert columns["A"] == "encoded" and columns.get("A") == "encoded"
    assert columns.get("B") is None and columns.get("B", "fallback") == "fallback"
    assert columns.get("C") == "plain" and columns.get("missing") is None
    thread.join()


def test_busy_while_the_thread_parses(tmp_path, make_csv, monkeypatch):
    path = make_csv(tmp_path, CSV)
    gate = threading.Event()
    real = prefetch._text
    monkeypatch.setattr(prefetch, "_text", lambda p: gate.wait() and real(p))
    assert not prefetch.busy(path)
    prefetch.start(path)
    assert prefetch.busy(path)
    gate.set()
    assert isinstance(prefetch.take(path), prefetch.TextTable)
    assert not prefetch.busy(path)


def test_sha256_hashed_by_the_thread_after_the_parse(tmp_path, make_csv):
    import hashlib

    path = make_csv(tmp_path, CSV)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert prefetch.sha256(path) == expected  # nothing prefetched: hashed on the spot
    prefetch.start(path)
    prefetch.take(path)
    assert prefetch._digests[str(path)].get() == expected  # the thread's own
    assert prefetch.sha256(path) == expected
    assert str(path) not in prefetch._digests  # taken once
