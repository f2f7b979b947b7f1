"""`bom.ahead`: a parse started early is used for the same file and sheet, and changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from exposure_audit.bom import ahead as ahead_module
from exposure_audit.bom.read import read_bom
from exposure_audit.bom.text_arrow import TextTable, file_sha256


def _csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_parse_ahead_is_used_and_reads_the_same(tmp_path):
    bom = _csv(
        tmp_path / "bom.csv",
        ["Part Number,Description,Qty", "P-1,copper wire,2", "P-2,ABS cover,1"],
    )
    ahead = ahead_module.start(bom)
    assert isinstance(ahead.parsed(bom, None), TextTable)
    with_ahead = read_bom(bom, ahead=ahead)
    without = read_bom(bom)
    pd.testing.assert_frame_equal(with_ahead.frame, without.frame)
    assert list(with_ahead.rows) == list(without.rows) == [2, 3]
    assert ahead.sha256(bom) == file_sha256(bom)


def test_a_parse_of_another_file_or_sheet_is_not_used(tmp_path):
    one = _csv(tmp_path / "one.csv", ["Part Number,Qty", "A,1"])
    two = _csv(tmp_path / "two.csv", ["Part Number,Qty", "B,1"])
    ahead = ahead_module.start(one)
    assert ahead.parsed(two, None) is None
    assert ahead.parsed(one, "Sheet1") is None
    assert read_bom(two, ahead=ahead).frame["Part Number"].tolist() == ["B"]
    assert ahead.sha256(two) == file_sha256(two)


def test_a_file_the_thread_cannot_parse_is_read_and_reported_as_usual(tmp_path):
    import pytest

    from exposure_audit.errors import BomReadError

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    ahead = ahead_module.start(empty)
    assert ahead.parsed(empty, None) is None
    with pytest.raises(BomReadError):
        read_bom(empty, ahead=ahead)


def test_starting_a_parse_loads_no_pandas():
    code = (
        "import sys; from exposure_audit.bom.ahead import start; "
        "print(sorted({'pandas', 'numpy'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
