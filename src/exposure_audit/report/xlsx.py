"""Excel: one workbook a consultant can hand over, printed as well as on screen.

Sheets: Summary (the executive summary, headline numbers, lines and weight by tier, provenance,
and the "exposure by tier" charts, on one printed page), Minerals (shares by stage; the "China
share by mineral and stage" chart, minerals with the most at stake first), Lines
(`base.flatten`, the same rows as the CSV under human headers with units), Findings (open and
waived), Unmapped and Sources (reference tables, sources, assumptions). Every table sheet has a
frozen, filtered header row repeated on each printed page, prints landscape one page wide;
shares carry percent formats and colour scales, money the BOM's currency; tiers and severities
are coloured.

Written by xlsxwriter in constant-memory mode (`xlsx_sheet`). Every text cell goes through
`clean_cell` (formula injection, characters XML cannot hold). The workbook's created date is the
audit date and the zip entries carry xlsxwriter's fixed timestamp, so the same audit gives the
same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

from exposure_audit.report.base import (
    SHARE_COLUMNS,
    STAGES,
    TIERS,
    flatten,
    fmt_pct,
    provenance,
    tier_table,
    waiver_info,
)
from exposure_audit.report.model import AuditResult, mineral_stake
from exposure_audit.report.summary import controls_text, executive_summary, notes_text
from exposure_audit.report.xlsx_sheet import (
    EXCEL_MAX_ROWS,
    INTEGER,
    MASS,
    MONEY,
    NUMBER,
    PCT,
    TIER_FILLS,
    Book,
    Sheet,
    clean_cell,
    print_setup,
)

SUMMARY_WIDTH = 100  # characters of the Summary's value column


def _brief(result: AuditResult) -> list[tuple[str, str]]:
    """The executive summary as label/text rows: headline, stake, coverage, data date, the
    drivers with what they cost and the one action each, then the sources they cite."""
    es = executive_summary(result)
    rows = [
        ("Headline", es.headline),
        ("At stake", es.stake),
        ("Coverage status", es.coverage),
        ("Data date", es.data),
    ]
    if es.data_warning:
        rows.append(("Data warning", es.data_warning))
    for i, d in enumerate(es.drivers, 1):
        stages = ", ".join(f"{s} {fmt_pct(v)}" for s, v in d.stages.items() if v is not None)
        text = f"{d.cost}; China touch {fmt_pct(d.china_touch)}"
        text += f" ({stages}){notes_text(d.notes)}" if stages else ""
        controls = controls_text(d.controls)
        text += f"; {controls}" if controls else ""
        if d.action:
            text += f". Action: {d.action}{notes_text(d.action_notes)}"
        rows.append((f"{i}. {d.name}", text))
    for n, source in enumerate(es.sources.items[: es.first_screen_sources], 1):
        rows.append((f"[{n}]", source))
    return rows


def _summary(book: Book, result: AuditResult, tiers: list[dict[str, Any]]) -> None:
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

    ws = book.workbook.add_worksheet("Summary")
    widths = {0: 24, 1: SUMMARY_WIDTH, 2: 3, 3: 12, 4: 8, 5: 12}
    for col, width in widths.items():
        ws.set_column(col, col, width)
    ws.write_string(0, 0, "Exposure audit", book.title)
    ws.write_string(0, 1, clean_cell(f"{inp.path}: {s.tier} (score {s.score})"), book.title)
    row = 1
    tier_fmt = {
        t: book.format(font_color=f, bg_color=b, bold=True) for t, (f, b) in TIER_FILLS.items()
    }
    for label, text in _brief(result):
        text = clean_cell(text)
        ws.set_row(row, _height(text))
        ws.write_string(row, 0, clean_cell(label), book.bold)
        ws.write_string(row, 1, text, book.wrap)
        row += 1
    row += 1  # a blank row between the summary and the facts
    top = row
    ws.write_row(row, 0, ["Item", "Value", "", "Tier", "Lines", "Weight share (%)"], book.header)
    row += 1
    for i in range(max(len(items), len(tiers))):
        if i < len(items):
            label, value, number_format = items[i]
            value = clean_cell(value)
            ws.write_string(row, 0, label)
            if isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(row, 1, value, book.number(number_format))
            elif value is not None:
                text = str(value)
                if len(text) > SUMMARY_WIDTH:
                    ws.set_row(row, _height(text))
                fmt = tier_fmt.get(text) if label == "Tier" else None
                ws.write_string(row, 1, text, fmt or book.wrap)
        if i < len(tiers):
            t = tiers[i]
            ws.write_string(row, 3, t["tier"], tier_fmt.get(t["tier"]))
            ws.write_number(row, 4, t["lines"])
            ws.write_number(row, 5, t["weight_share"], book.number(PCT))
        row += 1
    n = len(tiers)
    bar = book.workbook.add_chart({"type": "column"})
    bar.add_series(
        {
            "name": "lines",
            "categories": ["Summary", top + 1, 3, top + n, 3],
            "values": ["Summary", top + 1, 4, top + n, 4],
        }
    )
    bar.set_title({"name": "Lines by tier"})
    bar.set_y_axis({"name": "lines"})
    bar.set_legend({"none": True})
    bar.set_size({"width": 460, "height": 260})
    ws.insert_chart(top, 7, bar)
    pie = book.workbook.add_chart({"type": "pie"})
    pie.add_series(
        {
            "name": "weight share",
            "categories": ["Summary", top + 1, 3, top + n - 1, 3],
            "values": ["Summary", top + 1, 5, top + n - 1, 5],
        }
    )
    pie.set_title({"name": f"Share of the {r.weighting}-weighted BOM by tier"})
    pie.set_size({"width": 460, "height": 260})
    ws.insert_chart(top + 14, 7, pie)
    # One page: the summary, the facts and both charts (to column O).
    print_setup(ws, max(row, top + 28), 14, header=False, one_page=True)


def _height(text: str) -> float:
    """Row height (points) that shows `text` wrapped in the Summary's value column."""
    lines = sum(max(1, math.ceil(len(part) / (SUMMARY_WIDTH * 1.1))) for part in text.split("\n"))
    return 15.0 * lines


def _minerals(book: Book, result: AuditResult) -> None:
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
    formats.update({"mass_kg": MASS, "spend": MONEY, **{f"hhi_{s}": INTEGER for s in STAGES}})
    sheet = Sheet(
        book,
        "Minerals",
        headers,
        formats=formats,
        widths={
            "name": 14,
            **{f"source_{s}": 22 for s in STAGES},
            **{f"top_{s}": 20 for s in STAGES},
            "export_controls": 36,
        },
    )
    minerals = sorted(result.report.minerals, key=mineral_stake)
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
        chart = book.workbook.add_chart({"type": "bar"})
        first = headers.index("china_mining")
        for col in range(first, first + len(STAGES)):
            chart.add_series(
                {
                    "name": ["Minerals", 0, col],
                    "categories": ["Minerals", 1, 1, n, 1],
                    "values": ["Minerals", 1, col, n, col],
                }
            )
        chart.set_title({"name": "China share by mineral and stage (most at stake first)"})
        # In a bar chart the x axis is the value axis; the categories read top-down.
        chart.set_x_axis({"name": "China share", "num_format": "0%", "min": 0, "max": 1})
        chart.set_y_axis({"name": "mineral", "reverse": True})
        chart.set_size({"width": 720, "height": int(max(300, 24 * n + 120))})
        sheet.ws.insert_chart(n + 3, 1, chart)


def _lines(book: Book, result: AuditResult) -> int:
    flat = flatten(result)
    headers = list(flat.columns)
    formats = {c: PCT for c in headers if c in SHARE_COLUMNS}
    formats.update({"mass_kg": MASS, "spend": MONEY, "quantity": NUMBER})
    sheet = Sheet(
        book,
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
    sheet.write_columns([flat[c] for c in headers], limit)
    sheet.finish(
        shares=["line_exposure", "china_touch", *(f"china_{s}" for s in STAGES)],
        aligned=["aligned_chain", *(f"aligned_{s}" for s in STAGES)],
        tiers=["line_tier"],
    )
    return max(0, len(flat) - limit)


def _findings(book: Book, result: AuditResult) -> None:
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
    sheet = Sheet(
        book,
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


def _scenarios_and_actions(book: Book, result: AuditResult) -> None:
    """Scenarios (one row per scenario and mineral) and Actions sheets (issue 8)."""
    extras = result.report.extras or {}
    if extras.get("scenarios"):
        sheet = Sheet(
            book,
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
                "affected_spend": MONEY,
                "value_at_risk": MONEY,
                "cut_share": PCT,
                "aligned_mining": PCT,
                "aligned_processing": PCT,
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
        sheet = Sheet(
            book,
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


def _unmapped(book: Book, result: AuditResult) -> None:
    sheet = Sheet(
        book,
        "Unmapped",
        ["row", "part_number", "description", "suggestions"],
        widths={"part_number": 16, "description": 50, "suggestions": 50},
    )
    for u in result.report.unmapped:
        sheet.append([u.row, u.part_number, u.description, ", ".join(u.suggestions)])
    sheet.finish()


def _sources(book: Book, result: AuditResult, truncated: int) -> None:
    info = provenance(result)
    sheet = Sheet(
        book,
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
    """The workbook's bytes (see the module docstring)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            # cells are typed by us: text never turns into a formula, number or link
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    book = Book(workbook, result.report.currency)
    tiers = tier_table(result)
    _summary(book, result, tiers)
    _minerals(book, result)
    truncated = _lines(book, result)
    _findings(book, result)
    _scenarios_and_actions(book, result)
    _unmapped(book, result)
    _sources(book, result, truncated)
    try:
        stamp = dt.datetime.fromisoformat(result.report.policy.as_of)
    except ValueError:
        stamp = dt.datetime(2000, 1, 1)
    workbook.set_properties(
        {
            "title": f"Exposure audit: {clean_cell(result.report.input.path)}",
            "author": result.report.tool.name,
            "created": stamp,
        }
    )
    workbook.close()
    return buffer.getvalue()


class XlsxFormatter:
    name = "xlsx"
    suffixes = (".xlsx",)
    binary = True

    def render(self, result: AuditResult) -> bytes:
        return render_xlsx(result)


__all__ = ["TIERS", "XlsxFormatter", "clean_cell", "render_xlsx"]
