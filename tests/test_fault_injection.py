"""Faults injected the way SQLite tests itself: a full disk and EIO under every write and read,
read-only folders, interrupts part way, and BOMs cut off mid-file. Each ends in exit 0/1 with an
issue, or exit 2 (130 for Ctrl-C) with one line that says what happened; never exit 3, never a
report replaced by half of one."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exposure_audit.cli import output
from exposure_audit.cli.app import audit_app
from exposure_audit.errors import OutputError

ROOT = Path(__file__).resolve().parents[1]
BOM = ROOT / "examples" / "ev_battery_pack.csv"
XLSX = ROOT / "examples" / "ev_battery_pack.xlsx"
AS_OF = ("--as-of", "2026-11-28")
runner = CliRunner()


def _fail(code: int):
    def raiser(*_args, **_kwargs):
        raise OSError(code, os.strerror(code))

    return raiser


def _error_lines(done) -> list[str]:
    return [line for line in done.stderr.splitlines() if "error:" in line]


@pytest.fixture(autouse=True)
def _fresh_written(monkeypatch):
    monkeypatch.setattr(output, "written", [])


# --- writes --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
def test_a_failing_report_write_replaces_nothing(tmp_path, monkeypatch, code):
    first, second = tmp_path / "r.json", tmp_path / "r.csv"
    first.write_text("old json")
    second.write_text("old csv")
    monkeypatch.setattr(output.os, "fsync", _fail(code))
    done = runner.invoke(audit_app, [str(BOM), "-q", "-o", str(first), "-o", str(second), *AS_OF])
    assert done.exit_code == 2
    (line,) = _error_lines(done)
    assert f"--output {first}: cannot write ({os.strerror(code)}); no report file was replaced" in (
        line
    )
    assert first.read_text() == "old json" and second.read_text() == "old csv"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.json"]  # no temp files


def test_a_rename_failing_part_way_says_which_reports_were_replaced(tmp_path, monkeypatch):
    first, second = tmp_path / "r.json", tmp_path / "r.md"
    real = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", replace)
    done = runner.invoke(audit_app, [str(BOM), "-q", "-o", str(first), "-o", str(second), *AS_OF])
    assert done.exit_code == 2
    (line,) = _error_lines(done)
    assert f"already replaced: {first}" in line
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("code", [errno.EIO, errno.ENOSPC])
def test_stdout_failing_with_eio_or_enospc_is_an_output_error(monkeypatch, code):
    class Failing(io.StringIO):
        def flush(self):
            raise OSError(code, os.strerror(code))

        def fileno(self):
            raise io.UnsupportedOperation

    monkeypatch.setattr("sys.stdout", Failing())
    with pytest.raises(OutputError, match=os.strerror(code)):
        output.flush_stdout()


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder no write can enter: chmod 555 for a user; for root, a read-only mount."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK):
        return folder
    for candidate in (Path("/sys"), Path("/proc/sys")):
        if candidate.is_dir() and not os.access(candidate, os.W_OK):
            return candidate
        try:
            if os.statvfs(candidate).f_flag & os.ST_RDONLY:
                return candidate
        except OSError:
            continue
    pytest.skip("no folder here refuses writes to this user")


def test_a_read_only_folder_is_exit_2_before_the_audit(tmp_path):
    folder = _read_only_folder(tmp_path)
    target = folder / "report.json"
    done = runner.invoke(audit_app, [str(BOM), "-q", "-o", str(target), *AS_OF])
    assert done.exit_code == 2
    (line,) = _error_lines(done)
    assert str(target) in line
    assert not target.exists()


# --- reads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.EIO, errno.ENOENT])
def test_a_read_error_under_the_reader_is_exit_2_not_a_bug(tmp_path, monkeypatch, code):
    bom = tmp_path / "bom.csv"
    # Ragged lines: the tolerant reader reads the whole file with Path.read_bytes.
    bom.write_text("Part Number,Description,Qty\nP1,Magnet,2,extra\nP2,Shaft\n")
    real = Path.read_bytes

    def read_bytes(self):
        if self == bom:
            raise OSError(code, os.strerror(code), str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr("exposure_audit.bom.text_arrow.read_arrow", _fail(code))
    done = runner.invoke(audit_app, [str(bom), "-q", *AS_OF])
    assert done.exit_code == 2, done.output
    (line,) = _error_lines(done)
    assert str(bom) in line and os.strerror(code) in line
    assert "this is a bug" not in done.stderr


# --- interrupts ----------------------------------------------------------------------------


def test_ctrl_c_while_reading_writes_no_report(tmp_path, monkeypatch):
    first, second = tmp_path / "a.json", tmp_path / "a.xlsx"
    first.write_text("old json")
    second.write_bytes(b"old xlsx")

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("exposure_audit.api.read_bom", interrupted)
    done = runner.invoke(audit_app, [str(BOM), "-q", "-o", str(first), "-o", str(second)])
    assert done.exit_code == 130
    assert "interrupted; no report was written (existing report files are unchanged)" in (
        done.stderr
    )
    assert first.read_text() == "old json" and second.read_bytes() == b"old xlsx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.xlsx"]


def test_ctrl_c_between_the_renames_is_held_until_the_set_is_complete(tmp_path, monkeypatch):
    import signal

    first, second = tmp_path / "a.json", tmp_path / "a.md"
    real = os.replace

    def replace(src, dst):
        real(src, dst)
        if Path(dst) == first:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C after the first rename

    monkeypatch.setattr(output.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        output.write_set([(first, "{}"), (second, "# report")])
    assert first.read_text() == "{}" and second.read_text() == "# report"
    assert output.interrupted_message() == f"interrupted after writing {first}, {second}"


# --- BOMs cut off mid-file -----------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_a_workbook_cut_off_anywhere_is_one_line_exit_2(tmp_path, fraction):
    data = XLSX.read_bytes()
    cut = tmp_path / "bom.xlsx"
    cut.write_bytes(data[: int(len(data) * fraction)])
    done = runner.invoke(audit_app, [str(cut), "-q", *AS_OF])
    assert done.exit_code == 2, done.output
    (line,) = _error_lines(done)
    assert str(cut) in line and "this is a bug" not in line


def test_a_csv_cut_inside_a_utf8_character_keeps_every_row(tmp_path):
    text = "Part Number,Description,Country of Origin,Qty\n" + "".join(
        f"P{i},Magnet,Türkiye,1\n" for i in range(50)
    )
    data = text.encode()
    cut = tmp_path / "bom.csv"
    cut.write_bytes(data[: data.rindex("Türkiye".encode()) + 2])  # inside the ü
    done = runner.invoke(audit_app, [str(cut), "-f", "json", *AS_OF])
    assert done.exit_code == 0, done.output
    import json

    report = json.loads(done.stdout)
    assert report["input"]["rows"] == 50
    codes = {(i["code"], i["row"]) for i in report["issues"]["listed"]}
    assert ("encoding-fallback", 51) in codes or ("truncated-file", 51) in codes


@pytest.mark.parametrize(
    ("tail", "why"),
    [
        ('P9,"Magnet, cut', "inside a quoted field"),
        ("P9,Magn", "2 of 4 fields"),
    ],
)
def test_a_csv_cut_mid_line_is_reported_on_its_last_row(tmp_path, load_bom_cli, tail, why):
    body = "Part Number,Description,Material,Qty\n" + "".join(
        f"P{i},Magnet,NdFeB,1\n" for i in range(5)
    )
    cut = tmp_path / "bom.csv"
    cut.write_text(body + tail)
    report = load_bom_cli(cut)
    found = [i for i in report["issues"]["listed"] if i["code"] == "truncated-file"]
    assert [i["row"] for i in found] == [7], report["issues"]
    assert why in found[0]["message"]
    assert report["input"]["rows"] == 6  # the cut line is read too, and said to be cut


def test_a_complete_file_without_a_final_line_break_is_not_called_cut(tmp_path, load_bom_cli):
    cut = tmp_path / "bom.csv"
    cut.write_text("Part Number,Description,Material,Qty\nP1,Magnet,NdFeB,1")
    report = load_bom_cli(cut)
    assert "truncated-file" not in report["issues"]["counts"]


@pytest.fixture
def load_bom_cli():
    import json

    def run(path: Path) -> dict:
        done = runner.invoke(audit_app, [str(path), "-f", "json", *AS_OF])
        assert done.exit_code == 0, done.output
        return json.loads(done.stdout)

    return run
