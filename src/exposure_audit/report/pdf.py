"""PDF: the HTML report printed by headless Chromium, A4 landscape, pages fitted by the print
CSS (`html.STYLE`: @page size, tables wrapped to the page width, sections kept whole).

Playwright drives the browser when it is installed (`page.pdf`); otherwise Chromium's own
`--print-to-pdf`. No browser on the machine is a user-facing error (exit 2) with the fix.
Nothing is fetched: the page is self-contained and its CSP forbids loading anything.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from exposure_audit.errors import OutputError
from exposure_audit.report.browser import ENV, find_chromium, have_playwright
from exposure_audit.report.html import render_html
from exposure_audit.report.model import AuditResult

TIMEOUT = 120  # seconds for the browser to print a page


def no_browser() -> OutputError:
    return OutputError(
        "--format pdf needs a Chromium browser to print the HTML report, and none was found",
        f"install one (apt-get install chromium) or set {ENV}=/path/to/chromium; "
        "or write --output report.html and print it from a browser",
    )


def html_to_pdf(html: str) -> bytes:
    """`html` printed to PDF by a headless Chromium. Raises OutputError without a browser or
    when the browser fails."""
    chromium = find_chromium()
    if chromium is None:
        raise no_browser()
    with tempfile.TemporaryDirectory(prefix="exposure-audit-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        if have_playwright():
            return _with_playwright(chromium, page)
        return _with_cli(chromium, page, Path(tmp) / "report.pdf")


def _with_playwright(chromium: str, page_file: Path) -> bytes:
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True)
            try:
                page = browser.new_page()
                page.goto(page_file.as_uri(), timeout=TIMEOUT * 1000)
                page.emulate_media(media="print")
                return page.pdf(prefer_css_page_size=True, print_background=True)
            finally:
                browser.close()
    except Error as error:
        raise OutputError(
            f"the browser could not print the report: {str(error).splitlines()[0]}",
            f"check that {chromium} starts (--headless), or set {ENV}",
        ) from error


def _with_cli(chromium: str, page_file: Path, out: Path) -> bytes:
    command = [
        chromium,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",  # as root (CI containers) Chromium refuses to start with its sandbox
        "--no-pdf-header-footer",
        f"--print-to-pdf={out}",
        page_file.as_uri(),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise OutputError(f"the browser could not print the report: {error}") from error
    if done.returncode != 0 or not out.exists():
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise OutputError(f"the browser could not print the report: {reason[0]}")
    return out.read_bytes()


class PdfFormatter:
    name = "pdf"
    suffixes = (".pdf",)
    binary = True

    def render(self, result: AuditResult) -> bytes:
        return html_to_pdf(render_html(result))


__all__ = ["PdfFormatter", "html_to_pdf"]
