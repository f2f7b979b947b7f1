"""Report formats. `FORMATTERS` is the registry; the CLI's format choices are built from it."""

from __future__ import annotations

from exposure_audit.report.base import Formatter
from exposure_audit.report.json import JsonFormatter
from exposure_audit.report.model import AuditResult
from exposure_audit.report.table import TableFormatter

FORMATTERS: dict[str, Formatter] = {
    "table": TableFormatter(),
    "json": JsonFormatter(),
}


def formatter_for_suffix(suffix: str) -> Formatter | None:
    """The formatter whose suffixes include `suffix` (case-insensitive), if any."""
    suffix = suffix.lower()
    for formatter in FORMATTERS.values():
        if suffix in formatter.suffixes:
            return formatter
    return None


__all__ = ["FORMATTERS", "AuditResult", "Formatter", "formatter_for_suffix"]
