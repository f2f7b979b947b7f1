"""CSV: the flat table (a row per line and mineral) for pivot tables and other tools.

The columns are `base.flatten`'s, then four that say where the numbers come from (reference
version and date, policy date, aligned groups) on every row, and a `notes` column whose first
row states the stage-independence assumption and the sources. Text from the BOM is neutralised
against formula injection; numbers stay numbers.
"""

from __future__ import annotations

import io

from exposure_audit.report.base import (
    TEXT_COLUMNS,
    flatten,
    provenance,
    safe_cell,
    safe_column,
    source_text,
)
from exposure_audit.report.model import AuditResult


def csv_frame(result: AuditResult):
    """The flat table as written to CSV: neutralised text and the provenance columns."""
    flat = flatten(result)
    for column in flat.columns:
        if column in TEXT_COLUMNS or column.startswith("extra:"):
            flat[column] = safe_column(flat[column])
    info = provenance(result)
    flat["reference_version"] = info["reference_version"]
    flat["reference_as_of"] = info["reference_as_of"]
    flat["policy_as_of"] = info["policy_as_of"]
    flat["aligned_groups"] = " ".join(info["aligned_groups"])
    notes = [None] * len(flat)
    if notes:
        sources = "; ".join(dict.fromkeys(source_text(s) for s in info["sources"]))
        notes[0] = str(
            safe_cell(" ".join(info["assumptions"]) + (f" Sources: {sources}." if sources else ""))
        )
    flat["notes"] = notes
    return flat


class CsvFormatter:
    name = "csv"
    suffixes = (".csv",)
    binary = False

    def render(self, result: AuditResult) -> str:
        buffer = io.StringIO()
        renamed = csv_frame(result)
        renamed.columns = [str(safe_cell(c)) for c in renamed.columns]
        renamed.to_csv(buffer, index=False, lineterminator="\n", float_format="%.9g")
        return buffer.getvalue()
