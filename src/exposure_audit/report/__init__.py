"""Report formats. `_FORMATS` is the registry; the CLI's format choices are built from it.

A formatter's module is imported when it is first asked for (`formatter`), so an audit that
prints JSON never loads rich, openpyxl or the HTML templates.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from exposure_audit.report.base import Formatter

# Format name -> (module, class). The one place a format is registered.
_FORMATS: dict[str, tuple[str, str]] = {
    "table": ("table", "TableFormatter"),
    "json": ("json", "JsonFormatter"),
    "csv": ("csv", "CsvFormatter"),
    "xlsx": ("xlsx", "XlsxFormatter"),
    "markdown": ("markdown", "MarkdownFormatter"),
    "html": ("html", "HtmlFormatter"),
    "pdf": ("pdf", "PdfFormatter"),
    "sarif": ("sarif", "SarifFormatter"),
    "crma": ("crma", "CrmaFormatter"),
    "crma-xlsx": ("crma", "CrmaXlsxFormatter"),
}
_loaded: dict[str, Formatter] = {}


def formatter(name: str) -> Formatter | None:
    """The formatter called `name`, importing only its module; None for an unknown name."""
    found = _loaded.get(name)
    if found is None and name in _FORMATS:
        module, cls = _FORMATS[name]
        found = _loaded[name] = getattr(importlib.import_module(f"{__name__}.{module}"), cls)()
    return found


def all_formatters() -> dict[str, Formatter]:
    """Every formatter by name (imports them all)."""
    return {name: found for name in _FORMATS if (found := formatter(name)) is not None}


def formatter_for_suffix(suffix: str) -> Formatter | None:
    """The formatter whose suffixes include `suffix` (case-insensitive), if any. A compound
    suffix (`.crma.md`) is tried whole, then by its last part."""
    suffix = suffix.lower()
    if suffix.count(".") > 1:
        whole = formatter_for_suffix_exact(suffix)
        return whole or formatter_for_suffix_exact("." + suffix.rsplit(".", 1)[1])
    return formatter_for_suffix_exact(suffix)


def formatter_for_suffix_exact(suffix: str) -> Formatter | None:
    suffix = suffix.lower()
    for found in all_formatters().values():
        if suffix in found.suffixes:
            return found
    return None


def known_suffixes() -> list[str]:
    """Every suffix `--output` recognises, sorted."""
    return sorted(s for found in all_formatters().values() for s in found.suffixes)


__all__ = [
    "Formatter",
    "all_formatters",
    "formatter",
    "formatter_for_suffix",
    "known_suffixes",
]
