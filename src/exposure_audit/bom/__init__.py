"""Reading a BOM: file -> raw table -> canonical BOM frame."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from exposure_audit.bom.clean import CleanBom, clean_bom
    from exposure_audit.bom.columns import ColumnMap, match_columns
    from exposure_audit.bom.read import RawTable, read_bom

__all__ = ["CleanBom", "ColumnMap", "RawTable", "clean_bom", "match_columns", "read_bom"]

# Imported on first use, so that `bom.prefetch` and `bom.sniff` can start reading a file
# before pandas is imported.
_HOMES = {
    "CleanBom": "clean",
    "clean_bom": "clean",
    "ColumnMap": "columns",
    "match_columns": "columns",
    "RawTable": "read",
    "read_bom": "read",
}


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"exposure_audit.bom.{_HOMES[name]}"), name)
