"""Report formats. `FORMATTERS` is the registry; the CLI's format choices are built from it.

NOTE: nothing is imported here eagerly. `exposure_audit.report.model` is on every audit's import
path, and importing a package runs its `__init__` first: the formatters (rich, html, ...) load
only when a report is rendered, one module per format (`formatter(name)`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exposure_audit.report.base import Formatter, flatten
    from exposure_audit.report.model import AuditResult

# Format name -> (module, class). The one place a format is registered.
_FORMATS: dict[str, tuple[str, str]] = {
    "table": ("table", "TableFormatter"),
    "json": ("json", "JsonFormatter"),
    "csv": ("csv", "CsvFormatter"),
    "xlsx": ("xlsx", "XlsxFormatter"),
    "markdown": ("markdown", "MarkdownFormatter"),
    "html": ("html", "HtmlFormatter"),
    "sarif": ("sarif", "SarifFormatter"),
}
_loaded: dict[str, Formatter] = {}


def formatter(name: str) -> Formatter | None:
    """The formatter called `name`, importing only its module; None for an unknown name."""
    found = _loaded.get(name)
    if found is None and name in _FORMATS:
        module, cls = _FORMATS[name]
        found = _loaded[name] = getattr(importlib.import_module(f"{__name__}.{module}"), cls)()
    return found


def formatter_for_suffix(suffix: str) -> Formatter | None:
    """The formatter whose suffixes include `suffix` (case-insensitive), if any."""
    suffix = suffix.lower()
    for found in _all().values():
        if suffix in found.suffixes:
            return found
    return None


def _all() -> dict[str, Formatter]:
    return {name: formatter(name) for name in _FORMATS}  # type: ignore[misc]


_LAZY = {"AuditResult": "model", "Formatter": "base", "flatten": "base"}


def __getattr__(name: str) -> Any:
    """`FORMATTERS` (every format, imported on first use) and the re-exported names."""
    if name == "FORMATTERS":
        return _all()
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FORMATTERS", "AuditResult", "Formatter", "flatten", "formatter", "formatter_for_suffix"]
