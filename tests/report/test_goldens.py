"""Golden files pin the Markdown and terminal reports (tests/golden/<case>/).

Stable by construction: the toy reference tables, --as-of 2026-03-01, the BOM audited by a
relative path from its own folder, the terminal rendered at width 100 with colour off.
Rewrite with `pytest tests/report --update-goldens` and review the diff.
"""

from __future__ import annotations

import pytest

from exposure_audit.api import attach_baseline
from exposure_audit.report.diff import render_markdown, render_text
from exposure_audit.report.json import report_dict
from exposure_audit.report.markdown import MarkdownFormatter
from exposure_audit.report.table import render_text as table_text

from report_helpers import GOLDEN
from support import toy_audit


def terminal_text(result, width: int = 100) -> str:
    """What `audit` prints on a terminal: the table report, waivers and baseline included."""
    return table_text(result, width=width)


@pytest.fixture
def in_case(monkeypatch):
    def enter(case: str):
        monkeypatch.chdir(GOLDEN / case)
        return GOLDEN / case

    return enter


def test_toy_motor(golden, in_case):
    in_case("toy_motor")
    result = toy_audit("bom.csv")
    assert result.report.input.path == "bom.csv"
    golden("toy_motor", "report.md", MarkdownFormatter().render(result))
    golden("toy_motor", "report.txt", table_text(result, width=100))


def test_toy_motor_ci_with_waivers_and_baseline(golden, in_case):
    in_case("toy_motor")
    main = report_dict(toy_audit("bom.csv"))
    in_case("toy_motor_ci")
    result = toy_audit("bom.csv", waivers="waivers.yaml")
    gate = attach_baseline(result, main, fail_on="high", label="main-report.json")
    assert gate.failed
    golden("toy_motor_ci", "report.md", MarkdownFormatter().render(result))
    golden("toy_motor_ci", "report.txt", terminal_text(result))
    baseline = result.report.extras["baseline"]
    golden("toy_motor_ci", "diff.md", render_markdown(baseline, title="Change since main"))
    golden("toy_motor_ci", "diff.txt", render_text(baseline, width=100, title="Change since main"))


def test_goldens_carry_no_absolute_paths():
    for path in GOLDEN.glob("*/*"):
        if path.suffix in (".md", ".txt"):
            text = path.read_text(encoding="utf-8")
            assert str(GOLDEN.parents[1]) not in text, path
            assert "/tmp/" not in text and "\\Users\\" not in text, path
