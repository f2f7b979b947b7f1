"""Fixtures for the formatter tests: ready-made audit results on the toy reference set, and
golden files (`pytest --update-goldens` rewrites them; review the diff)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

import pytest

from report_helpers import GOLDEN, HEADER, HOSTILE_ROWS
from support import toy_audit, write_csv


@pytest.fixture(scope="session")
def hostile_bom(tmp_path_factory) -> Path:
    """A toy BOM whose text tries formula injection, HTML, Markdown and mentions."""
    folder = tmp_path_factory.mktemp("hostile")
    return write_csv(folder / "bom.csv", HEADER, *HOSTILE_ROWS)


@pytest.fixture(scope="session")
def hostile_result(hostile_bom):
    return toy_audit(hostile_bom)


@pytest.fixture
def golden(request) -> Callable[[str, str, str], None]:
    """`golden(case, name, text)`: compare `text` with tests/golden/<case>/<name>."""
    update = request.config.getoption("--update-goldens", default=False)

    def check(case: str, name: str, text: str) -> None:
        path = GOLDEN / case / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            return
        assert path.exists(), f"{path} is missing: run pytest --update-goldens"
        expected = path.read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(
                difflib.unified_diff(
                    expected.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"golden/{case}/{name}",
                    tofile="now",
                    n=2,
                )
            )
            pytest.fail(
                f"{name} differs from its golden file (if intended, rerun with "
                f"`pytest --update-goldens` and review):\n{diff[:6000]}",
                pytrace=False,
            )

    return check
