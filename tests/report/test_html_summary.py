"""The executive summary opens the HTML and Markdown reports; HTML badges are readable."""

from __future__ import annotations

import re

import pytest

from exposure_audit.report.html import TIER_COLOURS, HtmlFormatter
from exposure_audit.report.markdown import MarkdownFormatter
from exposure_audit.report.summary import executive_summary

from report_helpers import GOLDEN
from support import toy_audit


def _luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_on_known_pairs():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("tier", sorted(TIER_COLOURS))
def test_badge_white_text_meets_wcag_aa(tier):
    assert contrast(TIER_COLOURS[tier], "#ffffff") >= 4.5, tier


@pytest.fixture(scope="module")
def toy():
    return toy_audit(GOLDEN / "toy_motor" / "bom.csv")


def test_html_opens_with_the_brief_and_numbers_its_sources(toy):
    html = HtmlFormatter().render(toy)
    body = html.split("<main>", 1)[1]
    assert body.index('id="brief"') < body.index('id="summary"')
    brief = executive_summary(toy)
    for text in ("At stake:", "Coverage:", "Data:", "What drives it"):
        assert text in body.split('id="summary"')[0]
    cited = set(re.findall(r'href="#source-(\d+)"', html))
    listed = set(re.findall(r'<li id="source-(\d+)"', html))
    assert cited and cited <= listed
    assert len(listed) == len(brief.sources.items)
    assert "@media print" in html


def test_markdown_opens_with_the_brief(toy):
    text = MarkdownFormatter().render(toy)
    head = text.split("### ", 1)[0]
    for label in ("**At stake:**", "**Coverage:**", "**Data:**", "**What drives it**"):
        assert label in head
    assert "→ " in head and "### Sources" in text
