"""`--format pdf`: the HTML report printed by headless Chromium (playwright's page.pdf, or
Chromium's --print-to-pdf without playwright); exit 2 with the fix when there is no browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import audit_app
from exposure_audit.report import formatter
from exposure_audit.report.browser import find_chromium
from exposure_audit.report.html import render_html

ROOT = Path(__file__).resolve().parents[2]
EV = ROOT / "examples" / "ev_battery_pack.xlsx"
runner = CliRunner()

needs_browser = pytest.mark.skipif(
    find_chromium() is None, reason="no Chromium on this machine (apt-get install chromium)"
)


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


@needs_browser
def test_pdf_of_the_ev_example(tmp_path):
    out = tmp_path / "report.pdf"
    result = runner.invoke(audit_app, [str(EV), "-q", "--as-of", "2026-12-07", "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert 2 <= pages(data) <= 30, pages(data)
    # A4 landscape (841.9 x 595.3 points): pages fitted by the print CSS
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", data)
    assert box and float(box.group(1)) > float(box.group(2)) > 590


@needs_browser
def test_pdf_without_playwright_uses_chromium_print_to_pdf(tmp_path, hostile_result):
    from exposure_audit.report import pdf

    data = pdf._with_cli(find_chromium(), _page(tmp_path, hostile_result), tmp_path / "r.pdf")
    assert data.startswith(b"%PDF-") and pages(data) >= 1


def _page(tmp_path, result) -> Path:
    page = tmp_path / "r.html"
    page.write_text(render_html(result), encoding="utf-8")
    return page


def test_no_browser_is_a_usage_error_before_the_audit(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPOSURE_AUDIT_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "report.pdf"
    result = runner.invoke(audit_app, [str(EV), "-q", "-o", str(out)])
    assert result.exit_code == 2
    assert "needs a Chromium browser" in result.stderr
    assert "apt-get install chromium" in result.stderr
    assert not out.exists()


def test_the_formatter_raises_the_same_error(monkeypatch, tmp_path, hostile_result):
    from exposure_audit.errors import OutputError

    monkeypatch.setenv("EXPOSURE_AUDIT_CHROMIUM", str(tmp_path / "none"))
    with pytest.raises(OutputError, match="needs a Chromium browser"):
        formatter("pdf").render(hostile_result)
