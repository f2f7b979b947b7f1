"""What `validate` shows: sheet, header row, column mapping, coverage and problems."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from exposure_audit.bom.columns import column_reasons
from exposure_audit.engine.loaded import Loaded

if TYPE_CHECKING:
    from rich.console import Group


def validation_dict(loaded: Loaded) -> dict[str, Any]:
    """The validation result as JSON-ready data."""
    bom = loaded.bom
    lines = loaded.mapping.lines
    rows = len(bom.frame)
    mapped = int(lines["mapped"].sum())
    issues, counts = loaded.issues.to_models()
    methods = lines.loc[lines["mapped"], "method"].value_counts().sort_index()
    return {
        "path": loaded.path,
        "format": loaded.raw_format,
        "sheet": loaded.sheet,
        "header_row": loaded.header_row,
        "columns": dict(sorted(bom.columns.fields.items())),
        "text_columns": bom.columns.text,
        "mass_units_from_headers": bom.columns.mass_unit,
        "unrecognised_columns": bom.columns.unmatched,
        "column_reasons": column_reasons(bom.columns),
        "rows": rows,
        "skipped_rows": bom.skipped_rows,
        "valid_rows": int(bom.frame["valid"].sum()),
        "mapped_rows": mapped,
        "coverage": mapped / rows if rows else 0.0,
        "match_methods": {str(k): int(v) for k, v in methods.items()},
        "issue_counts": counts,
        "issues": [i.model_dump(mode="json") for i in issues],
    }


def render_validation(loaded: Loaded) -> Group:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from exposure_audit.bom.columns import FIELDS, OPTIONAL_FIELDS
    from exposure_audit.report.base import fmt_pct as pct
    from exposure_audit.report.terminal import plain

    data = validation_dict(loaded)
    head = Text()
    head.append_text(plain(data["path"]))
    if data["sheet"]:
        head.append(" · sheet ")
        head.append_text(plain(data["sheet"]))
    head.append(
        f" · header row {data['header_row']} · {data['rows']} lines read, "
        f"{data['skipped_rows']} rows skipped · {data['mapped_rows']} mapped "
        f"({pct(data['coverage'])})"
    )
    columns = Table(title="Columns", box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
    columns.add_column("field", no_wrap=True)
    columns.add_column("column in the file")
    columns.add_column("why", ratio=1)  # the reasons wrap; the field names never do
    text_cols = data["text_columns"]
    reasons = data["column_reasons"]
    for field in FIELDS:
        headers = text_cols.get(field) or (
            [data["columns"][field]] if field in data["columns"] else []
        )
        if headers:
            label = f"{field} (optional: --rules)" if field in OPTIONAL_FIELDS else field
            why = "; ".join(reasons.get(h, "") for h in headers)
            columns.add_row(label, plain(", ".join(headers)), Text(why, style="dim"))
    for header in data["unrecognised_columns"]:
        columns.add_row(
            Text("(kept as is)", style="dim"),
            plain(header),
            Text(reasons.get(header, ""), style="dim"),
        )
    issues = Table(
        title=f"Problems ({sum(data['issue_counts'].values())})",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    for name in ("severity", "code", "row", "column", "message"):
        issues.add_column(name, overflow="fold")
    for issue in data["issues"][:100]:
        issues.add_row(
            issue["severity"],
            issue["code"],
            str(issue["row"] or ""),
            plain(issue["column"] or ""),
            plain(issue["message"]),
        )
    if not data["issues"]:
        issues.add_row(Text("none", style="green"), "", "", "", "")
    return Group(head, columns, issues)
