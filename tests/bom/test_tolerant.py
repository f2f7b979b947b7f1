"""Delimited text never loses a row silently (issue 20, defects 2 and 3)."""

from __future__ import annotations

from pathlib import Path

from exposure_audit.bom.read import read_bom


def _issues(raw, code: str) -> list[int]:
    frame = raw.issues.frame()
    return frame.loc[frame["code"] == code, "row"].astype(int).tolist()


def _write(tmp_path: Path, lines: list[str], name: str = "bom.csv") -> Path:
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _rows(n: int, special: dict[int, str] | None = None) -> list[str]:
    """Header + n rows; row i (1-based data row) may be replaced by a special line."""
    lines = ["Part Number,Description,Qty\n"]
    for i in range(1, n + 1):
        lines.append((special or {}).get(i, f"P{i},Resistor {i},{i % 7 + 1}\n"))
    return lines


def test_an_unclosed_quote_keeps_every_later_row(tmp_path):
    path = _write(tmp_path, _rows(3000, {100: 'P100,"Resistor never closed,3\n'}))
    raw = read_bom(path)
    assert len(raw.frame) == 3000
    assert raw.frame["Part Number"].iloc[100] == "P101"
    assert raw.frame["Description"].iloc[-1] == "Resistor 3000"
    assert raw.rows[99] == 101 and raw.rows[-1] == 3001
    assert _issues(raw, "unclosed-quote") == [101]


def test_an_unclosed_quote_near_the_end_is_found(tmp_path):
    path = _write(tmp_path, _rows(50, {45: 'P45,"Resistor never closed,3\n'}))
    raw = read_bom(path)
    assert len(raw.frame) == 50
    assert _issues(raw, "unclosed-quote") == [46]


def test_a_quoted_line_break_is_still_one_record(tmp_path):
    path = _write(tmp_path, _rows(20, {5: 'P5,"two\nlines",1\n'}) + ["P21,ragged,1,extra\n"])
    raw = read_bom(path)
    assert len(raw.frame) == 21
    assert raw.frame["Description"].iloc[4] == "two\nlines"
    assert raw.rows[5] == 8  # the record after the two-line one starts on line 8
    assert raw.issues.count() == 0


def test_a_200_kb_field_is_read_and_the_rows_after_it_too(tmp_path):
    # the ragged last line sends the file down the tolerant (csv module) path
    path = _write(tmp_path, _rows(5000, {4000: f"P4000,{'x' * 200_000},1\n"}) + ["P5001,r,1,x\n"])
    raw = read_bom(path)
    assert len(raw.frame) == 5001
    assert len(raw.frame["Description"].iloc[3999]) == 200_000
    assert raw.frame["Part Number"].iloc[-2] == "P5000"


def test_a_field_over_the_limit_is_reported_by_row(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPOSURE_AUDIT_MAX_FIELD_KB", "64")
    path = _write(tmp_path, _rows(300, {200: f"P200,{'x' * 100_000},1\n"}) + ["P301,ragged,1,x\n"])
    raw = read_bom(path)
    assert len(raw.frame) == 300
    assert "P200" not in raw.frame["Part Number"].tolist()
    assert _issues(raw, "row-not-read") == [201]


def test_a_huge_field_in_the_sniffed_sample_does_not_crash(tmp_path):
    path = _write(tmp_path, _rows(10, {2: f"P2,{'y' * 150_000},1\n"}))
    raw = read_bom(path)
    assert len(raw.frame) == 10


def test_one_cp1252_line_in_a_utf8_file_is_the_only_fallback(tmp_path):
    path = tmp_path / "mixed.csv"
    body = "".join(f"P{i},Türkiye,1\n" for i in range(20_000)).encode()
    path.write_bytes(b"Part Number,Country,Qty\n" + body + "PX,Türkiye,1\n".encode("cp1252"))
    raw = read_bom(path)
    assert raw.frame["Country"].eq("Türkiye").all()
    assert len(raw.frame) == 20_001
    assert _issues(raw, "encoding-fallback") == [20_002]
