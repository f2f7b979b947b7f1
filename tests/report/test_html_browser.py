"""The HTML report in a real browser: headless Chromium (Debian's `chromium`, driven by
playwright) opens the EV example's report at 1280x800 and checks what a reader meets: no
console errors, the executive summary above the fold, every table sortable by a click, WCAG AA
contrast (4.5:1) for every badge and every piece of text, tables that scroll inside a narrow
screen instead of widening the page, and a print layout. A screenshot is kept as a CI artifact
under $EXPOSURE_AUDIT_ARTIFACTS (default build/artifacts).

Skips, with the reason, when playwright or a Chromium is missing."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from exposure_audit.report.browser import find_chromium, have_playwright

ROOT = Path(__file__).resolve().parents[2]
EV = ROOT / "examples" / "ev_battery_pack.xlsx"
VIEWPORT = {"width": 1280, "height": 800}

pytestmark = [
    pytest.mark.skipif(not have_playwright(), reason="playwright is not installed"),
]

# Relative luminance and contrast (WCAG 2.1, 1.4.3), of computed colours; a transparent
# background takes its ancestors' (the page is white under everything).
CONTRAST_JS = """
(selector) => {
  function rgba(text) {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [255, 255, 255, 1];
    const p = m[1].split(',').map(s => parseFloat(s));
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function lum(c) {
    const f = v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  }
  function background(el) {
    let layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let out = [255, 255, 255];
    for (const c of layers.reverse()) {
      out = [0, 1, 2].map(i => c[i] * c[3] + out[i] * (1 - c[3]));
    }
    return out;
  }
  const results = [];
  for (const el of document.querySelectorAll(selector)) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('svg')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const fg = rgba(style.color), bg = background(el);
    const mixed = [0, 1, 2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
    const a = lum(mixed), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    results.push({tag: el.tagName, cls: el.className, text: el.textContent.trim().slice(0, 40),
                  ratio: ratio, color: style.color, background: 'rgb(' + bg.join(',') + ')'});
  }
  return results;
}
"""


def artifacts() -> Path:
    folder = Path(os.environ.get("EXPOSURE_AUDIT_ARTIFACTS") or ROOT / "build" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    from exposure_audit.api import Options, audit
    from exposure_audit.report import formatter

    result = audit(EV, Options(as_of=dt.date(2026, 12, 7)))
    path = tmp_path_factory.mktemp("html") / "ev_battery_pack.html"
    path.write_text(formatter("html").render(result), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser():
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, report_file):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report_file.as_uri())
    page.wait_for_load_state("load")
    page.errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def test_no_console_errors_and_a_screenshot(page):
    shot = artifacts() / "ev_battery_pack.html.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    page.screenshot(path=str(artifacts() / "ev_battery_pack.html.full.png"), full_page=True)
    assert page.errors == []


def test_summary_is_above_the_fold(page):
    brief = page.locator("#brief")
    assert brief.is_visible()
    box = brief.bounding_box()
    assert box is not None and box["y"] < VIEWPORT["height"] / 4
    # the headline, the stake and the first driver with its action are on the first screen
    first_screen = page.evaluate(
        """() => Array.from(document.querySelectorAll('#brief p, #brief li'))
              .filter(e => e.getBoundingClientRect().bottom <= innerHeight)
              .map(e => e.textContent)"""
    )
    text = " ".join(first_screen)
    assert "pass through China" in text
    assert "at risk" in text
    assert page.locator("#brief li").count() >= 1
    assert page.locator("#brief li").first.bounding_box()["y"] < VIEWPORT["height"]


def _column(page, table_index: int, col: int) -> list[str]:
    return page.evaluate(
        """([t, c]) => Array.from(document.querySelectorAll('table')[t].tBodies[0].rows)
              .map(r => r.cells[c]
                ? (r.cells[c].getAttribute('data-v') ?? r.cells[c].textContent.trim()) : '')""",
        [table_index, col],
    )


def test_every_table_sorts_when_a_header_is_clicked(page):
    tables = page.locator("table")
    assert tables.count() >= 4
    checked = 0
    for t in range(tables.count()):
        table = tables.nth(t)
        rows = table.locator("tbody tr").count()
        if rows < 2:
            continue
        assert "sortable" in (table.get_attribute("class") or ""), f"table {t} is not sortable"
        headers = table.locator("thead th")
        for col in range(headers.count()):
            before = _column(page, t, col)
            if len(set(before)) < 2:
                continue
            header = headers.nth(col)
            header.scroll_into_view_if_needed()
            header.click()
            after = _column(page, t, col)
            if after == before:  # it was already in ascending order: the second click flips it
                header.click()
                after = _column(page, t, col)
            assert after != before, f"table {t} column {col} did not sort"
            assert sorted(after) == sorted(before)
            assert header.get_attribute("aria-sort") in ("ascending", "descending")
            checked += 1
            break
    assert checked >= 4


def test_badges_and_text_meet_wcag_aa_contrast(page):
    badges = page.evaluate(CONTRAST_JS, ".tier")
    assert len(badges) >= 5
    low = [b for b in badges if b["ratio"] < 4.5]
    assert not low, low[:5]
    text = page.evaluate(CONTRAST_JS, "body *")
    assert len(text) > 100
    low = [t for t in text if t["ratio"] < 4.5]
    assert not low, low[:5]


def test_tables_scroll_inside_a_narrow_screen(browser, report_file):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(report_file.as_uri())
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    page.screenshot(path=str(artifacts() / "ev_battery_pack.html.narrow.png"))
    context.close()
    assert widths[0] <= widths[1] + 1, widths


def test_print_layout_fits_an_a4_landscape_page(browser, report_file):
    # the printable width of A4 landscape with the report's 12 mm margins, at 96 px an inch
    width = round((297 - 24) / 25.4 * 96)
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = context.new_page()
    page.emulate_media(media="print")
    page.goto(report_file.as_uri())
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    context.close()
    assert widths[0] <= widths[1] + 1, widths


def test_print_layout_hides_screen_only_parts(page):
    page.emulate_media(media="print")
    sticky = page.evaluate(
        "() => getComputedStyle(document.querySelector('table.sortable th')).position"
    )
    assert sticky == "static"
    overflowing = page.evaluate(
        """() => Array.from(document.querySelectorAll('table'))
              .filter(t => t.getBoundingClientRect().right
                           > document.documentElement.clientWidth + 1)
              .length"""
    )
    assert overflowing == 0


def test_no_table_row_is_a_column_of_text(page):
    # issue 17: the export-controls list made a cell a few words wide and 25 lines tall
    tallest = page.evaluate(
        """() => Math.max(...Array.from(document.querySelectorAll('#minerals tbody tr'))
              .map(r => r.getBoundingClientRect().height))"""
    )
    assert tallest < 80, tallest
    assert page.locator("#minerals td details summary").first.inner_text().endswith("active")
