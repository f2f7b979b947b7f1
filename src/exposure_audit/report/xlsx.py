"""Excel: one workbook a consultant can hand over.

Sheets: Summary (headline numbers, lines and weight by tier, provenance, and the "exposure by
tier" charts), Minerals (shares by stage; the "China share by mineral and stage" chart), Lines
(`base.flatten`, the same rows and columns as the CSV), Findings (open and waived), Unmapped
and Sources (reference tables, sources, assumptions). Every sheet has a frozen, filtered header
row; shares carry percent formats and colour scales; tiers and severities are coloured.

Every text cell goes through `safe_cell` (formula injection) and loses characters XML cannot
hold. The workbook's created/modified dates are the audit date and the zip entries carry a fixed
timestamp, so the same audit gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from exposure_audit.report.base import (
    SHARE_COLUMNS,
    STAGES,
    TIERS,
    flatten,
    fmt_pct,
    provenance,
    safe_cell,
    tier_table,
    waiver_info,
)
from exposure_audit.report.model import AuditResult

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767
PCT = "0.0%"
MASS = "0.000000"
MONEY = "#,##0.00"
NUMBER = "#,##0.###"
TIER_FILLS = {
    "critical": ("9C0006", "FFC7CE"),
    "high": ("9C5700", "FFD8B1"),
    "medium": ("7F6000", "FFEB9C"),
    "low": ("006100", "C6EFCE"),
}
SEVERITY_FILLS = {**TIER_FILLS, "info": ("3F3F3F", "EDEDED")}
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def clean_cell(value: Any) -> Any:
    """A value as openpyxl should store it: numbers as numbers (NaN empty), text neutralised
    and free of characters XML cannot hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, int):
        return value
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if len(text) > EXCEL_MAX_TEXT:
        text = text[: EXCEL_MAX_TEXT - 1] + "…"
    return safe_cell(text)


class _Sheet:
    """A write-only worksheet with a header row, typed columns and the usual trimmings."""

    def __init__(
        self,
        workbook,
        title: str,
        headers: Sequence[str],
        formats: dict[str, str] | None = None,
        widths: dict[str, float] | None = None,
    ):
        from openpyxl.utils import get_column_letter

        self.ws = workbook.create_sheet(title)
        self.headers = list(headers)
        self.formats = formats or {}
        self.rows = 1
        self.ws.freeze_panes = "A2"
        for i, name in enumerate(self.headers, start=1):
            width = (widths or {}).get(name, max(10.0, min(len(str(name)) + 2, 40)))
            self.ws.column_dimensions[get_column_letter(i)].width = width
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font, PatternFill

        bold = Font(bold=True)
        fill = PatternFill("solid", fgColor="DDEBF7")
        header = []
        for name in self.headers:
            cell = WriteOnlyCell(self.ws, clean_cell(name))
            cell.font = bold
            cell.fill = fill
            header.append(cell)
        self.ws.append(header)
        self._format_at = [self.formats.get(name) for name in self.headers]

    def append(self, values: Sequence[Any]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import Cell

        row = []
        formats = self._format_at
        for i, value in enumerate(values):
            number_format = formats[i] if i < len(formats) else None
            if isinstance(value, Cell):
                row.append(value)
                continue
            value = clean_cell(value)
            if number_format and isinstance(value, int | float) and not isinstance(value, bool):
                cell = WriteOnlyCell(self.ws, value)
                cell.number_format = number_format
                row.append(cell)
            else:
                row.append(value)
        self.ws.append(row)
        self.rows += 1

    def column(self, name: str) -> str:
        from openpyxl.utils import get_column_letter

        return get_column_letter(self.headers.index(name) + 1)

    def finish(
        self,
        shares: Iterable[str] = (),
        tiers: Iterable[str] = (),
        severities: Iterable[str] = (),
        aligned: Iterable[str] = (),
        filter_rows: int | None = None,
    ) -> None:
        from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
        from openpyxl.styles import Font, PatternFill
        from openpyxl.utils import get_column_letter

        last = max(self.rows, 2)
        end = get_column_letter(len(self.headers))
        self.ws.auto_filter.ref = f"A1:{end}{filter_rows or self.rows}"
        cf = self.ws.conditional_formatting
        for name in shares:
            col = self.column(name)
            cf.add(
                f"{col}2:{col}{last}",
                ColorScaleRule(
                    start_type="num",
                    start_value=0,
                    start_color="FFFFFF",
                    mid_type="num",
                    mid_value=0.5,
                    mid_color="FFEB84",
                    end_type="num",
                    end_value=1,
                    end_color="F8696B",
                ),
            )
        for name in aligned:
            col = self.column(name)
            cf.add(
                f"{col}2:{col}{last}",
                ColorScaleRule(
                    start_type="num",
                    start_value=0,
                    start_color="FFFFFF",
                    end_type="num",
                    end_value=1,
                    end_color="63BE7B",
                ),
            )
        for names, fills in ((tiers, TIER_FILLS), (severities, SEVERITY_FILLS)):
            for name in names:
                col = self.column(name)
                for value, (font, background) in fills.items():
                    cf.add(
                        f"{col}2:{col}{last}",
                        CellIsRule(
                            operator="equal",
                            formula=[f'"{value}"'],
                            font=Font(color=font, bold=value == "critical"),
                            fill=PatternFill("solid", bgColor=background),
                        ),
                    )


def _summary(workbook, result: AuditResult, tiers: list[dict[str, Any]]) -> None:
    from openpyxl.chart import BarChart, PieChart, Reference

    r = result.report
    s = r.summary
    inp = r.input
    info = provenance(result)
    counts: dict[str, int] = {}
    for f in r.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    items: list[tuple[str, Any, str | None]] = [
        ("Report", f"{r.tool.name} {r.tool.version}", None),
        ("Input", inp.path, None),
        ("Input SHA-256", inp.sha256, None),
        ("Sheet", inp.sheet or "", None),
        ("Header row", inp.header_row, None),
        ("Lines read", inp.rows, None),
        ("Rows skipped", inp.skipped_rows, None),
        ("Lines mapped", inp.mapped_rows, None),
        ("Coverage", inp.coverage, PCT),
        ("Score", s.score, None),
        ("Tier", s.tier, None),
        ("Exposure", s.exposure, PCT),
        ("Weighting", r.weighting, None),
        ("Value at risk", s.value_at_risk, MONEY),
        ("Currency", r.currency or "", None),
        ("China touch", s.china_touch, PCT),
        ("Aligned chain", s.aligned_chain, PCT),
        ("Findings", ", ".join(f"{n} {k}" for k, n in counts.items()) or "none", None),
    ]
    waivers = waiver_info(result)
    if waivers:
        items.append(("Waived findings", sum(len(w["findings"]) for w in waivers["applied"]), None))
        items.append(
            (
                "Waivers expired / unused",
                f"{len(waivers['expired'])} / {len(waivers['unused'])}",
                None,
            )
        )
    baseline = r.extras.get("baseline")
    if baseline:
        score = baseline["score"]
        items.append(("Baseline", baseline.get("path"), None))
        items.append(("Score change", score["change"], "+0;-0;0"))
        items.append(("New findings", len(baseline["findings"]["new"]), None))
        items.append(("Resolved findings", len(baseline["findings"]["resolved"]), None))
    items += [
        ("Reference data", info["reference_version"], None),
        ("Reference as of", info["reference_as_of"], None),
        ("Policy as of (--as-of)", info["policy_as_of"], None),
        ("Aligned groups", ", ".join(info["aligned_groups"]), None),
        ("Aligned countries", ", ".join(r.policy.aligned_countries), None),
        ("Covered nations", ", ".join(r.policy.covered_countries), None),
    ]
    items += [(f"Assumption {i}", text, None) for i, text in enumerate(info["assumptions"], 1)]
    sheet = _Sheet(
        workbook,
        "Summary",
        ["item", "value", "", "tier", "lines", "weight share"],
        formats={"weight share": PCT},
        widths={"item": 26, "value": 60, "": 3},
    )
    from openpyxl.cell import WriteOnlyCell

    for i in range(max(len(items), len(tiers))):
        row: list[Any] = []
        if i < len(items):
            label, value, number_format = items[i]
            value = clean_cell(value)
            if number_format and isinstance(value, int | float):
                cell = WriteOnlyCell(sheet.ws, value)
                cell.number_format = number_format
                value = cell
            row += [label, value]
        else:
            row += [None, None]
        row.append(None)
        if i < len(tiers):
            t = tiers[i]
            row += [t["tier"], t["lines"], t["weight_share"]]
        sheet.append(row)
    sheet.finish(tiers=["value", "tier"], filter_rows=len(items) + 1)
    n = len(tiers)
    bar = BarChart()
    bar.type = "col"
    bar.title = "Lines by tier"
    bar.y_axis.title = "lines"
    bar.legend = None
    bar.add_data(Reference(sheet.ws, min_col=5, min_row=1, max_row=n + 1), titles_from_data=True)
    bar.set_categories(Reference(sheet.ws, min_col=4, min_row=2, max_row=n + 1))
    bar.height, bar.width = 7, 12
    sheet.ws.add_chart(bar, "H2")
    pie = PieChart()
    pie.title = f"Share of the {r.weighting}-weighted BOM by tier"
    pie.add_data(Reference(sheet.ws, min_col=6, min_row=1, max_row=n), titles_from_data=True)
    pie.set_categories(Reference(sheet.ws, min_col=4, min_row=2, max_row=n))
    pie.height, pie.width = 7, 12
    sheet.ws.add_chart(pie, "H17")


def _minerals(workbook, result: AuditResult) -> None:
    from openpyxl.chart import BarChart, Reference

    headers = [
        "mineral",
        "name",
        "mass_kg",
        "spend",
        "lines",
        "china_touch",
        "aligned_chain",
        *(f"china_{s}" for s in STAGES),
        *(f"aligned_{s}" for s in STAGES),
        *(f"feoc_{s}" for s in STAGES),
        *(f"unknown_{s}" for s in STAGES),
        *(f"hhi_{s}" for s in STAGES),
        *(f"top_{s}" for s in STAGES),
        *(f"basis_{s}" for s in STAGES),
        *(f"source_{s}" for s in STAGES),
        "export_controls_active",
        "export_controls_suspended",
        "export_controls",
    ]
    formats = {
        h: PCT for h in headers if h.split("_")[0] in ("china", "aligned", "feoc", "unknown")
    }
    formats.update({"mass_kg": MASS, "spend": MONEY, **{f"hhi_{s}": "#,##0" for s in STAGES}})
    sheet = _Sheet(
        workbook,
        "Minerals",
        headers,
        formats=formats,
        widths={"name": 16, **{f"source_{s}": 30 for s in STAGES}, "export_controls": 50},
    )
    minerals = sorted(result.report.minerals, key=lambda m: (-m["china_touch"], m["mineral"]))
    for m in minerals:
        st = m["stages"]

        def share(stage: str, key: str, st=st) -> float | None:
            return None if st[stage]["basis"] == "none" else st[stage][key]

        controls = m["export_controls"]
        sheet.append(
            [
                m["mineral"],
                m["name"],
                m["mass_kg"],
                m.get("spend"),
                m["lines"],
                m["china_touch"],
                m["aligned_chain"],
                *(share(s, "china_share") for s in STAGES),
                *(share(s, "aligned_share") for s in STAGES),
                *(share(s, "feoc_share") for s in STAGES),
                *(share(s, "unknown_share") for s in STAGES),
                *(st[s]["hhi"] for s in STAGES),
                *(
                    ", ".join(f"{t['country']} {fmt_pct(t['share'])}" for t in st[s]["top"])
                    for s in STAGES
                ),
                *(st[s]["basis"] for s in STAGES),
                *(" ".join(str(x) for x in (st[s]["source"], st[s]["year"]) if x) for s in STAGES),
                sum(c["status"] == "active" for c in controls),
                sum(c["status"] == "suspended" for c in controls),
                "; ".join(
                    f"{c['measure']} ({c['status']} since {c['since']}"
                    f"{' until ' + c['until'] if c.get('until') else ''})"
                    for c in controls
                ),
            ]
        )
    sheet.finish(
        shares=["china_touch", *(f"china_{s}" for s in STAGES), *(f"feoc_{s}" for s in STAGES)],
        aligned=["aligned_chain", *(f"aligned_{s}" for s in STAGES)],
    )
    if minerals:
        n = len(minerals)
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "clustered"
        chart.title = "China share by mineral and stage"
        chart.x_axis.title = "mineral"
        chart.y_axis.title = "China share"
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        first = headers.index("china_mining") + 1
        chart.add_data(
            Reference(sheet.ws, min_col=first, max_col=first + 2, min_row=1, max_row=n + 1),
            titles_from_data=True,
        )
        chart.set_categories(Reference(sheet.ws, min_col=2, min_row=2, max_row=n + 1))
        chart.height = max(7.5, 1.2 * n + 3)
        chart.width = 18
        sheet.ws.add_chart(chart, f"B{n + 4}")


def _lines(workbook, result: AuditResult) -> int:
    flat = flatten(result)
    headers = list(flat.columns)
    formats = {c: PCT for c in headers if c in SHARE_COLUMNS}
    formats.update({"mass_kg": MASS, "spend": MONEY, "quantity": NUMBER})
    sheet = _Sheet(
        workbook,
        "Lines",
        headers,
        formats=formats,
        widths={
            "description": 40,
            "part_number": 16,
            "material": 20,
            "supplier": 20,
            "archetype": 18,
        },
    )
    limit = EXCEL_MAX_ROWS - 1
    columns = [flat[c].tolist() for c in headers]
    for i in range(min(len(flat), limit)):
        sheet.append([col[i] for col in columns])
    sheet.finish(
        shares=["line_exposure", "china_touch", *(f"china_{s}" for s in STAGES)],
        aligned=["aligned_chain", *(f"aligned_{s}" for s in STAGES)],
        tiers=["line_tier"],
    )
    return max(0, len(flat) - limit)


def _findings(workbook, result: AuditResult) -> None:
    headers = [
        "status",
        "severity",
        "id",
        "rule",
        "mineral",
        "stage",
        "rows",
        "parts",
        "message",
        "waiver_reason",
        "waiver_expires",
    ]
    sheet = _Sheet(
        workbook,
        "Findings",
        headers,
        widths={
            "id": 36,
            "rule": 26,
            "rows": 24,
            "parts": 24,
            "message": 80,
            "waiver_reason": 40,
            "waiver_expires": 14,
        },
    )
    parts = {
        int(r): p
        for r, p in zip(
            result.lines["row"].tolist(), result.lines["part_number"].tolist(), strict=True
        )
        if p
    }

    def part_list(rows: list[int]) -> str:
        return ", ".join(dict.fromkeys(parts[r] for r in rows if r in parts))

    for f in result.report.findings:
        sheet.append(
            [
                "open",
                f.severity,
                f.id,
                f.rule,
                f.mineral,
                f.stage,
                ", ".join(map(str, f.rows)),
                part_list(f.rows),
                f.message,
                None,
                None,
            ]
        )
    waivers = waiver_info(result)
    for w in (waivers or {}).get("applied", []):
        for f in w["findings"]:
            sheet.append(
                [
                    "waived",
                    f["severity"],
                    f["id"],
                    f["rule"],
                    f.get("mineral"),
                    f.get("stage"),
                    ", ".join(map(str, f["rows"])),
                    part_list(f["rows"]),
                    f["message"],
                    w["reason"],
                    w["expires"],
                ]
            )
    sheet.finish(severities=["severity"])


def _scenarios_and_actions(workbook, result: AuditResult) -> None:
    """Scenarios (one row per scenario and mineral) and Actions sheets (issue 8)."""
    extras = result.report.extras or {}
    if extras.get("scenarios"):
        sheet = _Sheet(
            workbook,
            "Scenarios",
            [
                "scenario",
                "mineral",
                "affected_rows",
                "affected_spend",
                "value_at_risk",
                "cut_share",
                "aligned_mining",
                "aligned_processing",
                "description",
            ],
            formats={
                "affected_spend": "#,##0.00",
                "value_at_risk": "#,##0.00",
                "cut_share": "0.0%",
                "aligned_mining": "0.0%",
                "aligned_processing": "0.0%",
            },
            widths={"scenario": 30, "affected_rows": 30, "description": 80},
        )
        for s in extras["scenarios"]:
            alt = s["aligned_alternative"]
            sheet.append(
                [
                    s["name"],
                    "(all)",
                    ", ".join(map(str, s["affected_lines"])),
                    s["affected_spend"],
                    s["value_at_risk"],
                    None,
                    alt.get("mining"),
                    alt.get("processing"),
                    s["description"],
                ]
            )
            for m in s["minerals"]:
                alt = m["aligned_alternative"]
                sheet.append(
                    [
                        s["name"],
                        m["mineral"],
                        ", ".join(map(str, m["rows"])),
                        None,
                        m["value_at_risk"],
                        m["cut_share"],
                        alt.get("mining"),
                        alt.get("processing"),
                        None,
                    ]
                )
        for p in extras.get("price_shocks") or []:
            missing = ", ".join(str(n["row"]) for n in p["not_estimated"])
            sheet.append(
                [
                    f"price {p['mineral']} {p['change_pct']:+g}%",
                    p["mineral"],
                    ", ".join(str(line["row"]) for line in p["lines"]),
                    None,
                    p["total_cost_impact"],
                    None,
                    None,
                    None,
                    p["description"] + (f"; not estimated: rows {missing}" if missing else ""),
                ]
            )
        sheet.finish(shares=["cut_share"], aligned=["aligned_mining", "aligned_processing"])
    if "actions" in extras:
        sheet = _Sheet(
            workbook,
            "Actions",
            ["priority", "family", "title", "detail", "rows", "minerals", "facts"],
            widths={
                "family": 18,
                "title": 50,
                "detail": 90,
                "rows": 24,
                "minerals": 24,
                "facts": 80,
            },
        )
        for a in extras["actions"]:
            facts = "; ".join(
                f"{f.get('fact', '')} ({f.get('source')}, {f.get('year')})" for f in a["facts"]
            )
            sheet.append(
                [
                    a["priority"],
                    a["family"],
                    a["title"],
                    a["detail"],
                    ", ".join(map(str, a["rows"])),
                    ", ".join(a["minerals"]),
                    facts,
                ]
            )
        sheet.finish(severities=["priority"])


def _unmapped(workbook, result: AuditResult) -> None:
    sheet = _Sheet(
        workbook,
        "Unmapped",
        ["row", "part_number", "description", "suggestions"],
        widths={"part_number": 16, "description": 50, "suggestions": 50},
    )
    for u in result.report.unmapped:
        sheet.append([u.row, u.part_number, u.description, ", ".join(u.suggestions)])
    sheet.finish()


def _sources(workbook, result: AuditResult, truncated: int) -> None:
    info = provenance(result)
    sheet = _Sheet(
        workbook,
        "Sources",
        ["file", "title", "year", "url", "as_of"],
        widths={"file": 18, "title": 60, "url": 60, "as_of": 12},
    )
    for s in info["sources"]:
        sheet.append([s["file"], s["title"], s["year"], s["url"], s["as_of"]])
    filter_rows = sheet.rows
    sheet.append([])
    sheet.append(["Reference data", info["reference_version"]])
    for table, date in info["tables"].items():
        sheet.append([table, f"as of {date}"])
    sheet.append(["Policy as of", info["policy_as_of"]])
    sheet.append(["Aligned groups", ", ".join(info["aligned_groups"])])
    sheet.append(["Layers", ", ".join(result.report.reference.layers)])
    for i, text in enumerate(info["assumptions"], 1):
        sheet.append([f"Assumption {i}", text])
    if truncated:
        sheet.append(
            [
                "Note",
                f"the Lines sheet stops at Excel's row limit; {truncated} more "
                "rows are in the CSV and JSON reports",
            ]
        )
    sheet.finish(filter_rows=filter_rows)


def render_xlsx(result: AuditResult) -> bytes:
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook(write_only=True)
    tiers = tier_table(result)
    _summary(workbook, result, tiers)
    _minerals(workbook, result)
    truncated = _lines(workbook, result)
    _findings(workbook, result)
    _scenarios_and_actions(workbook, result)
    _unmapped(workbook, result)
    _sources(workbook, result, truncated)
    try:
        stamp = dt.datetime.fromisoformat(result.report.policy.as_of)
    except ValueError:
        stamp = dt.datetime(2000, 1, 1)
    props = workbook.properties
    props.created = props.modified = stamp
    props.creator = props.lastModifiedBy = result.report.tool.name
    props.title = f"Exposure audit: {clean_cell(result.report.input.path)}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()
    return _fixed_zip_times(buffer.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """The same archive with every entry dated `_ZIP_TIME`, so equal input gives equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


class XlsxFormatter:
    name = "xlsx"
    suffixes = (".xlsx",)
    binary = True

    def render(self, result: AuditResult) -> bytes:
        return render_xlsx(result)


__all__ = ["TIERS", "XlsxFormatter", "clean_cell", "render_xlsx"]
