"""Report formats. `FORMATTERS` is the registry; the CLI's format choices are built from it."""

from __future__ import annotations

from exposure_audit.report.base import Formatter, flatten
from exposure_audit.report.csv import CsvFormatter
from exposure_audit.report.html import HtmlFormatter
from exposure_audit.report.json import JsonFormatter
from exposure_audit.report.markdown import MarkdownFormatter
from exposure_audit.report.model import AuditResult
from exposure_audit.report.sarif import SarifFormatter
from exposure_audit.report.table import TableFormatter
from exposure_audit.report.xlsx import XlsxFormatter

FORMATTERS: dict[str, Formatter] = {
    "table": TableFormatter(),
    "json": JsonFormatter(),
    "csv": CsvFormatter(),
    "xlsx": XlsxFormatter(),
    "markdown": MarkdownFormatter(),
    "html": HtmlFormatter(),
    "sarif": SarifFormatter(),
}


def formatter_for_suffix(suffix: str) -> Formatter | None:
    """The formatter whose suffixes include `suffix` (case-insensitive), if any."""
    suffix = suffix.lower()
    for formatter in FORMATTERS.values():
        if suffix in formatter.suffixes:
            return formatter
    return None


__all__ = ["FORMATTERS", "AuditResult", "Formatter", "flatten", "formatter_for_suffix"]
