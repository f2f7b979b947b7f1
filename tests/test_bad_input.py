"""Every bad input in docs/bad-input.md, run through the CLI: what the user gets, as documented.

Each case builds its input in a temporary folder, runs `audit`, and checks the exit code, the
one-line error (`audit: error: <what> — <what to do>`) or the issue code in the JSON report. A
test keeps the table in docs/bad-input.md and the cases here identical.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import audit_app

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "bad-input.md"
HEADER = "Part Number,Description,Qty,Unit Mass (g),Country of Origin,Unit Price\n"
GOOD = "P1,magnet wire,2,10,Japan,$1.00\n"


def _xlsx(rows: list[list[object]], merged: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merged:
        sheet.merge_cells(merged)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return buffer.getvalue()


def _entity_bomb() -> bytes:
    good = _xlsx([["Part", "Qty"], ["A", 1]])
    source = zipfile.ZipFile(io.BytesIO(good))
    out = io.BytesIO()
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/workbook.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = bomb.encode() + body
            target.writestr(info, data)
    return out.getvalue()


def _far_cell() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Part Number", "Description", "Qty"])
    sheet.append(["P1", "magnet wire", 2])
    sheet["XFD1048576"] = "x"  # 17 billion cells for a reader that allocates the bounding box
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    make: Callable[[], bytes]
    code: int
    expect: str
    """Text on stderr (exit 2), or an issue code in the JSON report (exit 0 or 1)."""
    args: tuple[str, ...] = ()


def csv(body: str, encoding: str = "utf-8") -> Callable[[], bytes]:
    return lambda: (HEADER + body).encode(encoding)


CASES = [
    Case(
        "random bytes named .xlsx", "bom.xlsx", lambda: os.urandom(4096), 2, "is not a spreadsheet"
    ),
    Case(
        "truncated xlsx",
        "bom.xlsx",
        lambda: _xlsx([["Part", "Qty"], ["A", 1]])[:900],
        2,
        "corrupt or truncated",
    ),
    Case(
        "password-protected xlsx",
        "bom.xlsx",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048,
        2,
        "encrypted",
    ),
    Case("empty file", "bom.csv", lambda: b"", 2, "is empty"),
    Case("header only", "bom.csv", lambda: HEADER.encode(), 2, "no lines below the header"),
    Case("no recognisable header", "bom.csv", lambda: b"foo,bar\n1,2\n", 2, "no header row found"),
    Case(
        "sheet that does not exist",
        "bom.xlsx",
        lambda: _xlsx([["Part", "Qty"], ["A", 1]]),
        2,
        "has no sheet 'Parts'",
        ("--sheet", "Parts"),
    ),
    Case(
        "file over the size limit",
        "bom.csv",
        csv(GOOD * 2000),
        2,
        "over the",
        ("--env", "EXPOSURE_AUDIT_MAX_FILE_MB=0.01"),
    ),
    Case("xlsx zip bomb", "bom.xlsx", _zip_bomb, 2, "zip bomb"),
    Case("XML entity bomb", "bom.xlsx", _entity_bomb, 2, "entit"),
    Case("CSV in UTF-16", "bom.csv", csv(GOOD, "utf-16"), 0, "ok"),
    Case(
        "CSV in cp1252",
        "bom.csv",
        lambda: (HEADER + "P1,Résistance magnet wire,2,10,Japan,€1\n").encode("cp1252"),
        0,
        "ok",
    ),
    Case("CSV with a byte-order mark", "bom.csv", csv(GOOD, "utf-8-sig"), 0, "ok"),
    Case(
        "mixed line endings",
        "bom.csv",
        lambda: (HEADER + GOOD.rstrip() + "\r\n" + GOOD.rstrip() + "\r" + GOOD).encode(),
        0,
        "ok",
    ),
    Case(
        "ragged rows",
        "bom.csv",
        csv("P1,magnet wire,2\nP2,magnet wire,2,10,Japan,$1,extra\n"),
        0,
        "ok",
    ),
    Case(
        "negative quantity", "bom.csv", csv("P1,magnet wire,-2,10,Japan,$1\n"), 0, "negative-value"
    ),
    Case("zero quantity", "bom.csv", csv("P1,magnet wire,0,10,Japan,$1\n"), 0, "zero-quantity"),
    Case(
        "text in a number column",
        "bom.csv",
        csv("P1,magnet wire,two,10,Japan,$1\n"),
        0,
        "invalid-number",
    ),
    Case("NaN and inf", "bom.csv", csv("P1,magnet wire,nan,10,Japan,inf\n"), 0, "invalid-number"),
    Case(
        "absurd mass (a 40-tonne part)",
        "bom.csv",
        csv("P1,magnet wire,1,40000000,Japan,$1\n"),
        0,
        "implausible-mass",
    ),
    Case(
        "unknown unit",
        "bom.csv",
        lambda: b"Part,Description,Qty,Mass\nP1,magnet wire,1,12 stone\n",
        0,
        "unknown-unit",
    ),
    Case(
        "unknown country", "bom.csv", csv("P1,magnet wire,1,10,Atlantis,$1\n"), 0, "unknown-country"
    ),
    Case("duplicate part numbers", "bom.csv", csv(GOOD + GOOD), 0, "duplicate-part"),
    Case(
        "merged cells",
        "bom.xlsx",
        lambda: _xlsx(
            [["Part", "Description", "Qty"], ["A", "magnet wire", 1], ["B", None, 2]],
            merged="B2:B3",
        ),
        0,
        "ok",
    ),
    Case(
        "a date where a number belongs",
        "bom.xlsx",
        lambda: _xlsx(
            [
                ["Part", "Description", "Qty"],
                ["A", "magnet wire", __import__("datetime").datetime(2026, 1, 2)],
            ]
        ),
        0,
        "date-in-number",
    ),
    Case(
        "--strict with a bad row",
        "bom.csv",
        csv("P1,magnet wire,two,10,Japan,$1\n"),
        2,
        "'two' is not a number",
        ("--strict",),
    ),
    Case(
        "YAML with an unsafe tag",
        "bom.csv",
        csv(GOOD),
        2,
        "not valid YAML",
        ("--ref", "minerals.yaml=minerals: !!python/object/apply:os.system ['echo x']"),
    ),
    Case(
        "shares above 1",
        "bom.csv",
        csv(GOOD),
        2,
        "shares must lie in 0..1",
        (
            "--ref",
            "supply.yaml=supply: [{mineral: copper, stage: mining, year: '1', basis: x, "
            "source: {title: src, year: 1}, shares: {CHN: 1.5}}]",
        ),
    ),
    Case(
        "output path equal to the input",
        "bom.csv",
        csv(GOOD),
        2,
        "is the input BOM",
        ("--output", "{bom}"),
    ),
    Case(
        "output inside a missing folder",
        "bom.csv",
        csv(GOOD),
        2,
        "does not exist",
        ("--output", "{tmp}/missing/r.json"),
    ),
    Case(
        "output with an unknown suffix",
        "bom.csv",
        csv(GOOD),
        2,
        "unknown suffix",
        ("--output", "{tmp}/r.docx"),
    ),
    Case(
        "rich markup in a description",
        "bom.csv",
        csv("P1,[bold red]x[/] magnet wire,1,1,,\n"),
        0,
        "[bold red]x[/]",
        ("--format", "table"),
    ),
    Case(
        "terminal escape sequence in a description",
        "bom.csv",
        csv("P1,\x1b[31mred magnet wire,1,1,,\n"),
        0,
        "control-characters",
    ),
    Case(
        "a quantity of 1e308 (times a price)",
        "bom.csv",
        csv("P1,magnet wire,1e308,10,Japan,$1.00\n" + GOOD),
        0,
        "number-out-of-range",
    ),
    Case(
        "1,000 and 1,5 in one column",
        "bom.csv",
        csv('P1,magnet wire,"1,000",10,Japan,$1.00\nP2,magnet wire,"1,5",10,Japan,$1.00\n'),
        0,
        "ambiguous-number",
    ),
    Case(
        "CSV in Shift-JIS",
        "bom.csv",
        csv("P1,ネオジム磁石,2,10,Japan,$1.00\n" * 5, "shift_jis"),
        0,
        "ok",
    ),
    Case(
        "one cp1252 line in a UTF-8 CSV",
        "bom.csv",
        lambda: (
            (HEADER + "P1,Türkiye wire,2,10,Türkiye,$1.00\n" * 5).encode()
            + "P2,café wire,2,10,France,$1.00\n".encode("cp1252")
        ),
        0,
        "encoding-fallback",
    ),
    Case(
        "CSV cut off inside a quoted field",
        "bom.csv",
        lambda: (HEADER + GOOD + 'P2,"magnet wi').encode(),
        0,
        "truncated-file",
    ),
    Case(
        "one cell at XFD1048576",
        "bom.xlsx",
        _far_cell,
        2,
        "16,384 columns, over the limit",
    ),
]


# Score against the toy tables, not the bundled ones (fixture in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("toy_reference_only")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bom = tmp_path / case.file
    bom.write_bytes(case.make())
    args = [str(bom), "--as-of", "2026-03-01"]
    extra = list(case.args)
    while extra:
        flag = extra.pop(0)
        if flag == "--strict":
            args.append(flag)
            continue
        value = extra.pop(0)
        if flag == "--env":
            name, _, setting = value.partition("=")
            monkeypatch.setenv(name, setting)
        elif flag == "--ref":
            name, _, text = value.partition("=")
            folder = tmp_path / "ref"
            folder.mkdir(exist_ok=True)
            (folder / name).write_text(f"schema_version: 1\n{text}\n")
            args += ["--reference", str(folder)]
        else:
            args += [flag, value.format(bom=bom, tmp=tmp_path)]
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    if "--format" not in args and "--output" not in args:
        args += ["--format", "json"]
    result = CliRunner().invoke(audit_app, args)
    assert "Traceback" not in result.output
    assert result.exit_code == case.code, result.output
    if case.code == 2:
        line = result.stderr.strip().splitlines()[0]
        assert line.startswith("audit: error: ") and " — " in line, line
        assert case.expect in result.stderr
        assert result.stdout == ""
    elif case.expect == "ok":
        assert json.loads(result.stdout)["input"]["rows"] >= 1
    elif case.expect.startswith("["):
        assert case.expect in result.stdout
    else:
        assert case.expect in json.loads(result.stdout)["issues"]["counts"]
    after = {p: p.read_bytes() for p in before}
    assert after == before  # nothing lost or overwritten


def test_the_documented_table_lists_exactly_these_cases() -> None:
    rows = [
        line.split("|")[1].strip()
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and not line.startswith(("| input", "| ---"))
    ]
    assert rows == [c.name for c in CASES]
