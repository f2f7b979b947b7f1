"""Shared fixtures: test assets, small BOM files written on the fly, the shared folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from support import shared_path

if not os.environ.get("EXPOSURE_AUDIT_CACHE_DIR"):
    # The suite never writes into the user's real ~/.cache (subprocesses inherit this too).
    os.environ["EXPOSURE_AUDIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="exposure-audit-tests-")
# Nor do the tools it starts (a browser printing PDF, fontconfig, pip in test_packaging).
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="exposure-audit-tests-xdg-")

TESTS = Path(__file__).resolve().parent
ASSETS = TESTS / "assets"
DEFAULT_HEADERS = ("Part Number", "Description", "Qty")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="Rewrite golden files (tests/golden, examples/*.report.json) from the "
        "current output instead of comparing; review the diff.",
    )


@pytest.fixture
def asset() -> Callable[[str], Path]:
    """`asset("reference/minerals.yaml")` -> the path under tests/assets; it must exist."""

    def resolve(name: str) -> Path:
        path = ASSETS / name
        assert path.exists(), f"test asset {name!r} is missing from {ASSETS}"
        return path

    return resolve


def write_bom(
    tmp_path: Path,
    rows: Sequence[Sequence[Any]],
    headers: Sequence[Any] | None = DEFAULT_HEADERS,
    name: str = "bom.xlsx",
    title_rows: Sequence[Sequence[Any] | str] = (),
    sheet: str = "BOM",
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]] = (),
    merged: Sequence[str] = (),
) -> Path:
    """Write a small xlsx with openpyxl and return its path.

    `title_rows` go above the header (a string is a one-cell row, `[]` an empty row);
    `extra_sheets` are (name, rows) pairs written *before* the BOM sheet (cover or notes
    sheets); `merged` are ranges such as "A1:D1" merged on the BOM sheet after writing.
    `headers=None` writes no header row.
    """
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for extra_name, extra_rows in extra_sheets:
        extra = workbook.create_sheet(extra_name)
        for row in extra_rows:
            extra.append(list(row))
    worksheet = workbook.create_sheet(sheet)
    for title in title_rows:
        worksheet.append([title] if isinstance(title, str) else list(title))
    if headers is not None:
        worksheet.append(list(headers))
    for row in rows:
        worksheet.append(list(row))
    for cells in merged:
        worksheet.merge_cells(cells)
    path = tmp_path / name
    workbook.save(path)
    return path


def write_csv(tmp_path: Path, text: str, name: str = "bom.csv", encoding: str = "utf-8") -> Path:
    """Write `text` as-is (line endings kept) in `encoding` and return the path."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def make_bom() -> Callable[..., Path]:
    """`make_bom(tmp_path, rows, headers=..., name=..., title_rows=..., sheet=..., ...)`."""
    return write_bom


@pytest.fixture
def make_csv() -> Callable[..., Path]:
    """`make_csv(tmp_path, text, name="bom.csv", encoding="utf-8")`."""
    return write_csv


@pytest.fixture
def shared_dir() -> Path:
    """The team's shared folder (real BOMs, reference facts); skips when it is absent."""
    path = shared_path()
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture
def toy_reference_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Audits in this test read the toy tables (tests/assets/reference) instead of the bundled
    ones, with any --reference folders layered over them, so results do not move with the
    real data."""
    import exposure_audit.api as api
    from exposure_audit.reference import load_reference

    toy = ASSETS / "reference"
    monkeypatch.setattr(
        api,
        "load_reference",
        lambda dirs, policy=None, bundled=True: load_reference(
            [toy, *dirs], policy, include_bundled=False
        ),
    )
