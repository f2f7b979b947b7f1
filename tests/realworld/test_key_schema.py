"""The hand-labelled real-BOM key (tests/realworld/key.yaml) is well formed and points at the
right lines.

The key says which critical minerals a materials engineer expects in chosen lines of the real
BOMs in ../shared/real-boms/ (labelled from what the parts are made of, never from the tool's
output). These tests check its schema, that every mineral id exists in the bundled minerals
table, and, when the shared folder is present, that each labelled row of each file really
starts with the labelled text (so a row number cannot silently drift). They skip the file
checks cleanly when ../shared is absent.
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import shared_path

KEY = Path(__file__).resolve().parent / "key.yaml"
REPO = Path(__file__).resolve().parents[2]
SHARED = shared_path()
MINERALS = REPO / "data" / "reference" / "minerals.yaml"
LINE_KEYS = {"row", "text", "minerals", "allowed", "why", "column", "dnp"}
MIN_LINES = 15
COLUMN = re.compile(r"^[A-Z]{1,3}$")


@cache
def key() -> dict[str, Any]:
    return yaml.safe_load(KEY.read_text(encoding="utf-8"))


@cache
def mineral_ids() -> frozenset[str]:
    table = yaml.safe_load(MINERALS.read_text(encoding="utf-8"))
    return frozenset(entry["id"] for entry in table["minerals"])


def all_lines() -> list[tuple[str, dict[str, Any]]]:
    return [(name, line) for name, entry in key()["files"].items() for line in entry["lines"]]


def test_top_level_schema() -> None:
    data = key()
    assert data["schema"] == 1
    assert isinstance(data["conventions"], str) and len(data["conventions"]) > 200
    assert set(data) == {"schema", "conventions", "files"}
    assert len(data["files"]) == 12


@pytest.mark.parametrize("name", sorted(key()["files"]))
def test_file_entry_schema(name: str) -> None:
    entry = key()["files"][name]
    assert set(entry) <= {"sheet", "lines", "note"}, set(entry)
    assert entry.get("sheet") is None or isinstance(entry["sheet"], str)
    lines = entry["lines"]
    rows = [(line["row"], line.get("column")) for line in lines]
    assert len(rows) == len(set(rows)), f"{name}: a row is labelled twice"
    assert rows == sorted(rows, key=lambda r: (r[0], r[1] or "")), f"{name}: rows not in order"
    assert len(lines) >= MIN_LINES or name == "real-boms/battery_pack_3s6p.xlsx", name


@pytest.mark.parametrize(("name", "line"), all_lines(), ids=lambda v: str(v)[:40])
def test_line_schema(name: str, line: dict[str, Any]) -> None:
    assert set(line) <= LINE_KEYS and {"row", "text", "minerals", "allowed", "why"} <= set(line)
    assert isinstance(line["row"], int) and line["row"] >= 1
    assert isinstance(line["text"], str) and line["text"].strip() == line["text"] != ""
    assert isinstance(line["why"], str) and len(line["why"]) >= 10
    minerals, allowed = line["minerals"], line["allowed"]
    for group in (minerals, allowed):
        assert isinstance(group, list) and len(group) == len(set(group))
        unknown = set(group) - mineral_ids()
        assert not unknown, f"{name} row {line['row']}: not in minerals.yaml: {unknown}"
    assert not set(minerals) & set(allowed), f"{name} row {line['row']}: listed twice"
    if "column" in line:
        assert COLUMN.match(line["column"])
    if line.get("dnp"):
        assert minerals == [], "a not-fitted line carries no minerals"


def test_every_table_file_counts_all_or_15_lines() -> None:
    # the three earlier files are small: every item line is labelled
    counts = {name: len(entry["lines"]) for name, entry in key()["files"].items()}
    assert counts["real-boms/battery_pack_3s6p.xlsx"] == 13
    assert counts["real-boms/qdd_actuator.xlsx"] == 18
    assert counts["real-boms/micromanipulator_bom.csv"] == 19


# --- the rows point at the labelled text in the shared files ------------------------------


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@cache
def csv_rows(path: Path) -> dict[int, list[str]]:
    """Physical line number (1-based) -> the cells of that line."""
    lines = _decode(path.read_bytes()).splitlines()
    out: dict[int, list[str]] = {}
    for number, text in enumerate(lines, start=1):
        delimiter = "\t" if "\t" in text else ","
        out[number] = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    return out


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


@cache
def sheet_rows(path: Path, sheet: str | None) -> dict[int, dict[str, str]]:
    """Spreadsheet row (1-based, as the user sees it) -> {column letter: cell text}."""
    if path.suffix == ".ods":
        # calamine (the reader's own dependency) reads OpenDocument; its used area starts
        # at `start`, so rows and columns are offset to the sheet's own numbering.
        import python_calamine

        book = python_calamine.CalamineWorkbook.from_path(str(path))
        ods = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
        cells = ods.to_python(skip_empty_area=True)
        top, left = ods.start if cells else (0, 0)
        return {
            top + i + 1: {
                _letter(left + j): str(v) for j, v in enumerate(row) if v not in (None, "")
            }
            for i, row in enumerate(cells)
        }
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    ws = book[sheet] if sheet else book.worksheets[0]
    out: dict[int, dict[str, str]] = {}
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        out[number] = {_letter(j): str(v) for j, v in enumerate(row) if v is not None}
    book.close()
    return out


def cells_of(name: str, row: int) -> dict[str, str]:
    path = SHARED / name
    sheet = key()["files"][name].get("sheet")
    if path.suffix == ".csv":
        return {_letter(j): v for j, v in enumerate(csv_rows(path).get(row, []))}
    return sheet_rows(path, sheet).get(row, {})


needs_shared = pytest.mark.skipif(
    not (SHARED / "real-boms").is_dir(), reason="../shared/real-boms is absent"
)


@needs_shared
@pytest.mark.parametrize("name", sorted(key()["files"]))
def test_labelled_rows_hold_the_labelled_text(name: str) -> None:
    assert (SHARED / name).is_file(), f"{name} is not in ../shared"
    wrong = []
    for line in key()["files"][name]["lines"]:
        cells = cells_of(name, line["row"])
        if "column" in line:
            cells = {line["column"]: cells.get(line["column"], "")}
        if not any(value.strip().startswith(line["text"]) for value in cells.values()):
            wrong.append((line["row"], line["text"], sorted(cells.values())[:4]))
    assert not wrong, f"{name}: rows whose cells do not start with the labelled text: {wrong}"
