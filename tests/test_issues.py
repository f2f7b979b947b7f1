"""IssueLog: issues collected as columns, shown safely, capped per code for the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from exposure_audit.issues import IssueCode, IssueLog, _show, _show_all


def _texts(n: int) -> list[object]:
    """Repeating texts with a control character, a long one and blanks among them."""
    pool = ["NdFeB magnet", "cell \x1b[31m", "x" * 100, None, "7", "  spaced  "]
    return [pool[i % len(pool)] for i in range(n)]


@pytest.mark.parametrize("n", [5, 2000])
@pytest.mark.parametrize("kind", ["object", "str", "category"])
def test_values_are_shown_alike_whatever_the_column_type(n, kind):
    cells = _texts(n)
    series = pd.Series(cells, dtype=object if kind == "object" else kind)
    expected = [_show(v) for v in cells]
    assert _show_all(series).tolist() == expected
    assert expected[:4] == ["NdFeB magnet", "cell \\x1b[31m", "x" * 77 + "...", ""]


def test_booleans_are_not_read_as_numbers():
    cells = [True, 1.0, False, 0.0] * 300
    assert _show_all(pd.Series(cells, dtype=object)).tolist()[:4] == ["True", "1", "False", "0"]


def test_report_lists_sorted_issues_capped_per_code_with_counts():
    log = IssueLog(sheet="BOM")
    rows = np.arange(2, 302)
    log.add_cells(
        IssueCode.UNKNOWN_MATERIAL, rows[::-1], ["?"] * 300, "Material", "'{value}' unknown"
    )
    log.add(IssueCode.MISSING_COLUMN, "no quantity column")
    issues, counts = log.to_models(limit=3)
    assert counts == {"missing-column": 1, "unknown-material": 300}
    assert [(i.code, i.row) for i in issues] == [
        ("missing-column", None),
        ("unknown-material", 2),
        ("unknown-material", 3),
        ("unknown-material", 4),
    ]
    assert issues[1].message == "'?' unknown" and issues[1].sheet == "BOM"
