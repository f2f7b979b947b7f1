"""Reading a BOM: file -> raw table -> canonical BOM frame."""

from __future__ import annotations

from exposure_audit.bom.clean import CleanBom, clean_bom
from exposure_audit.bom.columns import ColumnMap, match_columns
from exposure_audit.bom.read import RawTable, read_bom

__all__ = ["CleanBom", "ColumnMap", "RawTable", "clean_bom", "match_columns", "read_bom"]
