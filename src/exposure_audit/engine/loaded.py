"""A BOM read, cleaned and mapped: what `validate` shows and `audit` scores."""

from __future__ import annotations

from dataclasses import dataclass

from exposure_audit.bom.clean import CleanBom
from exposure_audit.engine.mapping import Contents
from exposure_audit.issues import IssueLog
from exposure_audit.reference import ReferenceSet


@dataclass
class Loaded:
    """A BOM read, cleaned and mapped: what `validate` shows and `audit` scores."""

    path: str
    raw_format: str
    sheet: str | None
    header_row: int
    sha256: str
    bom: CleanBom
    mapping: Contents
    reference: ReferenceSet
    issues: IssueLog
