"""The formatter interface every report format implements."""

from __future__ import annotations

from typing import Protocol

from exposure_audit.report.model import AuditResult


class Formatter(Protocol):
    """Renders an audit result; `suffix` is the file suffix `--output` recognises."""

    name: str
    suffixes: tuple[str, ...]
    binary: bool

    def render(self, result: AuditResult) -> str | bytes: ...


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formula injection: text starting with = + - @ tab or CR gets a
    leading apostrophe, which Excel and LibreOffice show as plain text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
