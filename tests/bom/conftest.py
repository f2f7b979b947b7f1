"""Fixtures for the BOM reader tests: read + match + clean in one call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from exposure_audit.bom.clean import CleanBom, clean_bom
from exposure_audit.bom.columns import match_table
from exposure_audit.bom.read import read_bom


def _load(
    path: Path,
    overrides: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> CleanBom:
    raw = read_bom(path, sheet=sheet)
    return clean_bom(raw, match_table(raw.headers, raw.frame, overrides), aliases)


@pytest.fixture
def load_bom() -> Callable[..., CleanBom]:
    """`load_bom(path, overrides=None, aliases=None, sheet=None)` -> CleanBom."""
    return _load


def issues_of(bom: CleanBom, code: str) -> list[tuple[int | None, str | None, str | None]]:
    """(row, column, value) of each issue with `code`, in row order."""
    frame = bom.issues.frame()
    frame = frame[frame["code"] == code]
    return [
        (None if r.row is None or r.row != r.row else int(r.row), r.column, r.value)
        for r in frame.itertuples(index=False)
    ]


@pytest.fixture
def issues() -> Callable[[CleanBom, str], list[tuple[int | None, str | None, str | None]]]:
    """`issues(bom, "invalid-number")` -> [(row, column, value), ...]."""
    return issues_of


@pytest.fixture(autouse=True, params=["direct", "typed"])
def reader_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every reader test runs twice: reading the file itself, and with spreadsheets read from
    calamine's typed cells only (the path `sheet_arrow` falls back to). Both must give the
    same table, issues and errors."""
    if request.param == "typed":
        from exposure_audit.bom import sheet_arrow

        monkeypatch.setattr(sheet_arrow, "read_sheet", lambda path, sheet=None: None)
    return request.param
