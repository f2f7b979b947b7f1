"""HTML: one self-contained page a consultant can open in any browser, offline.

No network at all: inline CSS, a few lines of inline vanilla JavaScript to sort tables, inline
SVG charts, and a Content-Security-Policy that forbids loading anything. Source URLs are shown
as text, never as links. Every piece of BOM text is HTML-escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

from exposure_audit.report.base import (
    STAGES,
    baseline_info,
    finding_counts,
    flatten,
    fmt_mass,
    fmt_money,
    fmt_pct,
    fmt_rows,
    lines_by_line,
    price_text,
    provenance,
    source_text,
    stage_share,
    tier_table,
    waiver_info,
)
from exposure_audit.report.model import AuditResult, mineral_stake
from exposure_audit.report.summary import controls_text, executive_summary

MAX_LINES = 5000
# Badge backgrounds under white text: each has a WCAG contrast of at least 4.5 with white
# (tests/report/test_html_summary.py computes it).
TIER_COLOURS = {
    "critical": "#b91c1c",
    "high": "#c2410c",
    "medium": "#a16207",
    "low": "#15803d",
    "insufficient": "#4b5563",
    "unscored": "#4b5563",
    "info": "#4b5563",
}
STAGE_COLOURS = {"mining": "#7c3aed", "processing": "#dc2626", "manufacturing": "#2563eb"}

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#111827;
background:#f9fafb}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:#6b7280;margin:0 0 16px;overflow-wrap:anywhere}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:20px}.card span{color:#6b7280;font-size:12px}
.tier,.card span.tier{display:inline-block;white-space:nowrap;color:#fff;border-radius:4px;
padding:0 6px;
font-size:12px;
text-transform:uppercase;font-weight:600}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top;
overflow-wrap:break-word}
th{background:#f3f4f6;position:sticky;top:0}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th:after{content:" \\2195";color:#9ca3af}
th[aria-sort=ascending]:after{content:" \\2191"}th[aria-sort=descending]:after{content:" \\2193"}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.chart{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px;max-width:100%;
box-sizing:border-box}
.chart svg{max-width:100%;height:auto}
li,p,summary{overflow-wrap:anywhere}
.chart text{font-size:11px;fill:#374151}
.note{color:#6b7280;font-size:12px}
.warn{background:#fffbeb;border:1px solid #fcd34d;padding:6px 10px;border-radius:6px;margin:4px 0}
.bad{color:#b91c1c;font-weight:600}.good{color:#15803d;font-weight:600}
details{margin-top:24px}
#brief{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;margin:0 0 16px}
#brief p{margin:4px 0}#brief ol{margin:6px 0 0;padding-left:22px}#brief li{margin:4px 0}
.bar{display:inline-block;width:80px;height:9px;background:#e5e7eb;vertical-align:middle}
.bar i{display:block;height:9px;background:#b91c1c}
td details{margin:0}td details summary{cursor:pointer;white-space:nowrap}
ul.controls{margin:4px 0;padding-left:16px;min-width:16em}
sup{color:#4b5563}
@media (max-width:700px){table{display:block;overflow-x:auto}}
@page{size:A4 landscape;margin:12mm}
@media print{body{background:#fff;font-size:11px}main{max-width:none;padding:0}
th{position:static}table.sortable th:after{content:""}#brief,.charts,tr{break-inside:avoid}
h2{break-after:avoid}thead{display:table-header-group}table{font-size:10px}
th,td{padding:2px 4px}.chart svg{max-height:180mm;width:auto}}
"""

SCRIPT = """
(function(){
function key(td){var v=td.getAttribute('data-v');
 if(v!==null){return v===''?-Infinity:parseFloat(v);}return td.textContent.trim().toLowerCase();}
document.querySelectorAll('table.sortable th').forEach(function(th){
 th.addEventListener('click',function(){
  var table=th.closest('table'),body=table.tBodies[0],
      i=Array.prototype.indexOf.call(th.parentNode.children,th),
      asc=th.getAttribute('aria-sort')!=='ascending';
  table.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});
  th.setAttribute('aria-sort',asc?'ascending':'descending');
  var rows=Array.prototype.slice.call(body.rows);
  rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]),c;
   if(typeof x==='number'&&typeof y==='number'){c=x-y;}
   else{c=String(x).localeCompare(String(y),undefined,{numeric:true});}
   return asc?c:-c;});
  rows.forEach(function(r){body.appendChild(r);});
 });
});
})();
"""


def esc(value: Any) -> str:
    """Text as inert HTML (quotes too, so it is safe in attributes)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _num_cell(value: float | None, text: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return '<td class="n" data-v="">–</td>'
    return f'<td class="n" data-v="{float(value):.9g}">{esc(text)}</td>'


def _table(
    headers: Sequence[str], rows: Iterable[str], sortable: bool = True, caption: str | None = None
) -> str:
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    cls = ' class="sortable"' if sortable else ""
    cap = f'<caption class="note">{esc(caption)}</caption>' if caption else ""
    return (
        f"<table{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>"
    )


def _alternatives(by_stage: dict[str, float]) -> str:
    return ", ".join(f"{stage} {fmt_pct(share)}" for stage, share in by_stage.items())


def _tier_badge(tier: str | None) -> str:
    if not tier:
        return "–"
    colour = TIER_COLOURS.get(tier, "#4b5563")
    return f'<span class="tier" style="background:{colour}">{esc(tier)}</span>'


# --------------------------------------------------------------------------- charts


def china_share_chart(minerals: list[dict[str, Any]]) -> str:
    """Horizontal grouped bars: each mineral's China share at each stage."""
    if not minerals:
        return ""
    label_w, bar_w, bar_h, gap = 130, 420, 11, 10
    group_h = bar_h * len(STAGES) + gap
    top = 30
    height = top + group_h * len(minerals) + 20
    width = label_w + bar_w + 60
    out = [
        f'<svg role="img" aria-label="China share by mineral and stage" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">',
        "<title>China share by mineral and stage</title>",
    ]
    x = label_w
    for stage in STAGES:
        out.append(
            f'<rect x="{x}" y="6" width="10" height="10" '
            f'fill="{STAGE_COLOURS[stage]}"/><text x="{x + 14}" y="15">{esc(stage)}</text>'
        )
        x += 110
    for i, m in enumerate(minerals):
        y0 = top + i * group_h
        out.append(
            f'<text x="{label_w - 6}" y="{y0 + bar_h * 2}" text-anchor="end">'
            f"{esc(m['name'])}</text>"
        )
        for j, stage in enumerate(STAGES):
            share = stage_share(m["stages"][stage], "china_share")
            y = y0 + j * bar_h
            if share is None:
                out.append(
                    f'<text x="{label_w + 4}" y="{y + bar_h - 2}" fill="#9ca3af">no data</text>'
                )
                continue
            w = max(0.0, min(1.0, share)) * bar_w
            out.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 1}" '
                f'fill="{STAGE_COLOURS[stage]}"><title>{esc(m["name"])} {esc(stage)}: '
                f"{fmt_pct(share)}</title></rect>"
            )
            out.append(
                f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 2}">{fmt_pct(share)}</text>'
            )
    axis_y = top + group_h * len(minerals)
    for tick in (0, 0.25, 0.5, 0.75, 1):
        tx = label_w + tick * bar_w
        out.append(
            f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{axis_y}" '
            f'stroke="#e5e7eb"/><text x="{tx:.1f}" y="{axis_y + 14}" '
            f'text-anchor="middle">{fmt_pct(tick)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def tier_chart(tiers: list[dict[str, Any]], weighting: str) -> str:
    """Vertical bars: lines by tier, with each tier's share of the weighted BOM."""
    width, height, base, plot_h = 420, 240, 190, 150
    most = max((t["lines"] for t in tiers), default=0) or 1
    bar_w = 56
    out = [
        f'<svg role="img" aria-label="Exposure by tier" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>Exposure by tier</title>',
        '<text x="10" y="16">lines by tier; under each tier, its share of the '
        f"{esc(weighting)}-weighted BOM</text>",
    ]
    for i, t in enumerate(tiers):
        h = plot_h * t["lines"] / most
        x = 20 + i * (bar_w + 24)
        out.append(
            f'<rect x="{x}" y="{base - h:.1f}" width="{bar_w}" height="{h:.1f}" '
            f'fill="{TIER_COLOURS[t["tier"]]}"><title>{esc(t["tier"])}: {t["lines"]} '
            f"lines</title></rect>"
        )
        lines = f"{t['lines']} line" + ("" if t["lines"] == 1 else "s")
        out.append(
            f'<text x="{x + bar_w / 2}" y="{base - h - 4:.1f}" text-anchor="middle">{lines}</text>'
        )
        out.append(
            f'<text x="{x + bar_w / 2}" y="{base + 16}" text-anchor="middle">'
            f"{esc(t['tier'])}</text>"
        )
        if t["tier"] != "unscored":
            out.append(
                f'<text x="{x + bar_w / 2}" y="{base + 30}" text-anchor="middle">'
                f"{fmt_pct(t['weight_share'])}</text>"
            )
    out.append(f'<line x1="10" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#9ca3af"/>')
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- sections


def _bar(share: float | None) -> str:
    if share is None:
        return '<span class="note">no data</span>'
    width = round(100 * max(0.0, min(1.0, share)))
    return f'<span class="bar"><i style="width:{width}%"></i></span> {esc(fmt_pct(share))}'


def _sup(notes: tuple[int, ...]) -> str:
    return "".join(f'<sup><a href="#source-{n}">[{n}]</a></sup>' for n in notes)


def _brief(result: AuditResult) -> str:
    """The executive summary (report.summary): headline, stake, coverage, data date, the
    drivers with their cost, China's share by stage and one action each, sources numbered."""
    brief = executive_summary(result)
    coverage_class = "" if brief.coverage_ok else ' class="bad"'
    out = [
        f'<section id="brief"><p>{_tier_badge(brief.tier)} <b>score {brief.score}/100</b> '
        f"{esc(brief.headline)}</p>",
        f"<p><b>At stake:</b> {esc(brief.stake)}</p>",
        f"<p{coverage_class}><b>Coverage:</b> {esc(brief.coverage)}</p>",
        f"<p><b>Data:</b> {esc(brief.data)}</p>",
    ]
    if brief.data_warning:
        out.append(f'<p class="warn">{esc(brief.data_warning)}</p>')
    out.append("<p><b>What drives it</b> (most at stake first):</p><ol>")
    for d in brief.drivers:
        stages = " · ".join(f"{esc(k)} {_bar(v)}" for k, v in d.stages.items())
        controls = controls_text(d.controls)
        out.append(
            f"<li><b>{esc(d.name)}</b>: {esc(d.cost)}, {esc(fmt_pct(d.china_touch))} likely "
            f"through China{esc(' · ' + controls) if controls else ''}<br>{stages}"
            f"{_sup(d.notes)}<br>&rarr; {esc(d.action or 'keep it in the next supplier survey')}"
            f"{_sup(d.action_notes)}</li>"
        )
    out.append("</ol></section>")
    return "".join(out)


def _sources(result: AuditResult) -> str:
    brief = executive_summary(result)
    items = "".join(
        f'<li id="source-{n}">{esc(text)}</li>' for n, text in enumerate(brief.sources.items, 1)
    )
    return f'<section id="sources"><h2>Sources</h2><ol>{items}</ol></section>' if items else ""


def _summary(result: AuditResult) -> str:
    r = result.report
    s = r.summary
    inp = r.input
    counts = finding_counts(r.findings)
    cards = [
        (f"{s.score} {_tier_badge(s.tier)}", "score"),
        (esc(fmt_pct(s.exposure)), f"exposure ({esc(r.weighting)}-weighted)"),
        (esc(fmt_money(s.value_at_risk, r.currency)), "value at risk"),
        (esc(fmt_pct(s.china_touch)), "China touch"),
        (esc(fmt_pct(s.aligned_chain)), "aligned chain"),
        (f"{inp.mapped_rows}/{inp.rows}", f"lines mapped ({esc(fmt_pct(inp.coverage))})"),
        (esc(", ".join(f"{n} {k}" for k, n in counts.items()) or "none"), "findings"),
    ]
    body = "".join(
        f'<div class="card"><b>{value}</b><span>{label}</span></div>' for value, label in cards
    )
    return f'<section id="summary"><div class="cards">{body}</div></section>'


def _charts(result: AuditResult) -> str:
    minerals = sorted(result.report.minerals, key=mineral_stake)  # most at stake first
    parts = []
    if minerals:
        parts.append(f'<div class="chart">{china_share_chart(minerals)}</div>')
    parts.append(
        f'<div class="chart">{tier_chart(tier_table(result), result.report.weighting)}</div>'
    )
    return (
        f'<section id="charts"><h2>Charts</h2><div class="charts">{"".join(parts)}</div></section>'
    )


def _findings(result: AuditResult) -> str:
    findings = result.report.findings
    rows = [
        f'<tr><td data-v="{_severity_rank(f.severity)}">{_tier_badge(f.severity)}</td>'
        f"<td>{esc(f.id)}</td><td>{esc(f.mineral or '')}</td><td>{esc(f.stage or '')}</td>"
        f"<td>{esc(f.message)}</td><td>{esc(fmt_rows(f.rows, 20))}</td></tr>"
        for f in findings
    ]
    if not rows:
        return '<section id="findings"><h2>Findings (0)</h2><p>None.</p></section>'
    return (
        f'<section id="findings"><h2>Findings ({len(findings)})</h2>'
        + _table(["severity", "id", "mineral", "stage", "message", "rows"], rows)
        + "</section>"
    )


def _severity_rank(severity: str) -> int:
    from exposure_audit.reference.models import SEVERITY_ORDER

    return SEVERITY_ORDER.get(severity, 0)


def _waivers(result: AuditResult) -> str:
    info = waiver_info(result)
    if not info:
        return ""
    out = ['<section id="waivers">']
    applied = info.get("applied", [])
    rows = [
        f"<tr><td>{_tier_badge(f['severity'])}</td><td>{esc(f['id'])}</td>"
        f"<td>{esc(fmt_rows(f['rows'], 20))}</td><td>{esc(w['reason'])}</td>"
        f"<td>{esc(w['expires'])}</td></tr>"
        for w in applied
        for f in w["findings"]
    ]
    out.append(f"<h2>Waived findings ({len(rows)})</h2>")
    out.append(
        f'<p class="note">From {esc(info["file"])}. Waived findings do not count for --fail-on.</p>'
    )
    if rows:
        out.append(_table(["severity", "id", "rows", "reason", "expires"], rows))
    out.extend(
        f'<p class="warn">Waiver expired on {esc(w["expires"])} and no longer '
        f"applies: {esc(w.get('id') or w.get('rule'))} ({esc(w['reason'])})</p>"
        for w in info.get("expired", [])
    )
    out.extend(
        f'<p class="warn">Waiver matches no finding: {esc(w.get("id") or w.get("rule"))}</p>'
        for w in info.get("unused", [])
    )
    out.append("</section>")
    return "".join(out)


def _baseline(result: AuditResult) -> str:
    data = baseline_info(result)
    if not data:
        return ""
    score = data["score"]
    cls = "bad" if data["gate"]["failed"] else "good"
    out = [
        '<section id="baseline">',
        f"<h2>Change since baseline {esc(data.get('path'))}</h2>",
        f'<p class="{cls}">score {score["old"]} → {score["new"]} ({score["change"]:+d}); '
        f"tier {esc(data['tier']['old'])} → {esc(data['tier']['new'])}</p>",
    ]
    out.extend(f'<p class="warn">{esc(reason)}</p>' for reason in data["gate"]["reasons"])
    items = data["lines"]["items"]
    if items:
        rows = [_baseline_row(i) for i in items[:MAX_LINES]]
        out.append(
            _table(
                [
                    "change",
                    "row",
                    "part",
                    "description",
                    "what changed",
                    "exposure before",
                    "exposure after",
                    "Δ",
                ],
                rows,
            )
        )
    for label, key in (("New findings", "new"), ("Resolved findings", "resolved")):
        listed = data["findings"][key]
        if listed:
            rows = [
                f"<tr><td>{_tier_badge(f['severity'])}</td><td>{esc(f['id'])}</td>"
                f"<td>{esc(f['message'])}</td></tr>"
                for f in listed
            ]
            out.append(
                f"<h3>{label} ({len(listed)})</h3>" + _table(["severity", "id", "message"], rows)
            )
    out.extend(f'<p class="note">{esc(note)}</p>' for note in data.get("notes", []))
    out.append("</section>")
    return "".join(out)


def _baseline_row(item: dict[str, Any]) -> str:
    from exposure_audit.report.diff import change_text

    e = item["exposure"]
    row = item["new_row"] if item["new_row"] is not None else item["old_row"]
    return (
        f"<tr><td>{esc(item['change'])}</td>{_num_cell(row, str(row))}"
        f"<td>{esc(item['part_number'] or '')}</td><td>{esc(item['description'] or '')}</td>"
        f"<td>{esc(change_text(item))}</td>{_num_cell(e['old'], fmt_pct(e['old']))}"
        f"{_num_cell(e['new'], fmt_pct(e['new']))}"
        f"{_num_cell(e['change'], _signed(e['change']))}</tr>"
    )


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:+.0f} pts"


def _minerals(result: AuditResult) -> str:
    minerals = sorted(result.report.minerals, key=mineral_stake)  # most at stake first
    if not minerals:
        return (
            '<section id="minerals"><h2>Minerals</h2><p>No critical minerals found.</p></section>'
        )
    rows = []
    for m in minerals:
        st = m["stages"]
        cells = [
            f"<td>{esc(m['name'])}</td>",
            _num_cell(m["mass_kg"], fmt_mass(m["mass_kg"])),
            _num_cell(m["lines"], str(m["lines"])),
            _num_cell(m["china_touch"], fmt_pct(m["china_touch"])),
            _num_cell(m["aligned_chain"], fmt_pct(m["aligned_chain"])),
        ]
        for stage in STAGES:
            china = stage_share(st[stage], "china_share")
            aligned = stage_share(st[stage], "aligned_share")
            cells.append(_num_cell(china, fmt_pct(china)))
            cells.append(_num_cell(aligned, fmt_pct(aligned)))
        hhi = st["processing"]["hhi"]
        cells.append(_num_cell(hhi, "–" if hhi is None else f"{hhi:,.0f}"))
        cells.append(_controls_cell(m["export_controls"]))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    headers = ["mineral", "mass", "lines", "China touch", "aligned chain"]
    for stage in STAGES:
        headers += [f"{stage} China", f"{stage} aligned"]
    headers += ["processing HHI", "export controls"]
    return (
        f'<section id="minerals"><h2>Minerals ({len(minerals)})</h2>'
        + _table(headers, rows)
        + "</section>"
    )


def _controls_cell(controls: list[dict[str, Any]]) -> str:
    """Export controls as counts by status, the measures folded away under them: the list
    would otherwise make the column a few words wide and dozens of lines tall."""
    if not controls:
        return '<td data-v="0">–</td>'
    counts: dict[str, int] = {}
    for c in controls:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    items = "".join(f"<li>{esc(c['measure'])} ({esc(c['status'])})</li>" for c in controls)
    return (
        f'<td data-v="{counts.get("active", 0)}"><details><summary>{esc(summary)}</summary>'
        f'<ul class="controls">{items}</ul></details></td>'
    )


def _lines(result: AuditResult) -> str:
    lines = lines_by_line(flatten(result))
    total = len(lines)
    caption = None
    if total > MAX_LINES:
        lines = lines.sort_values(
            ["line_exposure", "row"], ascending=[False, True], kind="stable", na_position="last"
        ).head(MAX_LINES)
        caption = (
            f"The {MAX_LINES} most exposed of {total} lines; every line is in the CSV, "
            "Excel and JSON reports."
        )
    columns = [
        "row",
        "part_number",
        "description",
        "material",
        "supplier",
        "supplier_country",
        "archetype",
        "line_driver",
        "line_exposure",
        "line_tier",
    ]
    rows = []
    records: Iterable[Any] = lines[columns].itertuples(index=False)  # cells of mixed types
    for r in records:
        exposure = (
            None
            if r.line_exposure is None
            or (isinstance(r.line_exposure, float) and math.isnan(r.line_exposure))
            else r.line_exposure
        )
        rows.append(
            f"<tr>{_num_cell(r.row, str(r.row))}<td>{esc(r.part_number)}</td>"
            f"<td>{esc(r.description)}</td><td>{esc(r.material)}</td>"
            f"<td>{esc(r.supplier)}</td><td>{esc(r.supplier_country)}</td>"
            f"<td>{esc(r.archetype)}</td><td>{esc(r.line_driver)}</td>"
            f"{_num_cell(exposure, fmt_pct(exposure))}"
            f"<td>{_tier_badge(r.line_tier) if r.line_tier else 'unscored'}</td></tr>"
        )
    headers = [
        "row",
        "part",
        "description",
        "material",
        "supplier",
        "country",
        "archetype",
        "driver",
        "exposure",
        "tier",
    ]
    return (
        f'<section id="lines"><h2>Lines ({total})</h2>'
        + _table(headers, rows, caption=caption)
        + "</section>"
    )


def _unmapped(result: AuditResult) -> str:
    unmapped = result.report.unmapped
    if not unmapped:
        return ""
    rows = [
        f"<tr>{_num_cell(u.row, str(u.row))}<td>{esc(u.part_number)}</td>"
        f"<td>{esc(u.description)}</td><td>{esc(', '.join(u.suggestions))}</td></tr>"
        for u in unmapped
    ]
    return (
        f'<section id="unmapped"><h2>Unmapped lines ({len(unmapped)}, not scored)</h2>'
        + _table(["row", "part", "description", "closest archetypes"], rows)
        + "</section>"
    )


def _provenance(result: AuditResult) -> str:
    info = provenance(result)
    r = result.report
    tables = "".join(
        f"<li>{esc(name)}: as of {esc(date)}</li>" for name, date in info["tables"].items()
    )
    sources = "".join(
        f"<li>{esc(text)}</li>" for text in dict.fromkeys(source_text(s) for s in info["sources"])
    )
    assumptions = "".join(f"<li>{esc(a)}</li>" for a in info["assumptions"])
    return (
        '<section id="provenance"><h2>Reference data, policy and assumptions</h2>'
        f"<p>Reference data <b>{esc(info['reference_version'])}</b> (newest table "
        f"{esc(info['reference_as_of'])}). Policy as of {esc(info['policy_as_of'])}; aligned "
        f"groups: {esc(', '.join(info['aligned_groups']) or 'none')} "
        f"({esc(', '.join(r.policy.aligned_countries))}); covered nations: "
        f"{esc(', '.join(r.policy.covered_countries))}; weighting: {esc(info['weighting'])}.</p>"
        f"<h3>Assumptions</h3><ul>{assumptions}</ul>"
        f"<h3>Tables</h3><ul>{tables}</ul>"
        + (f"<h3>Sources</h3><ul>{sources}</ul>" if sources else "")
        + "</section>"
    )


def _scenarios_and_actions(result: AuditResult) -> str:
    """Scenarios, price shocks and actions (issue 8), from the report's extras."""
    extras = result.report.extras or {}
    currency = result.report.currency
    out = []
    if extras.get("scenarios"):
        rows = [
            f"<tr><td>{esc(s['name'])}</td>"
            + _num_cell(len(s["affected_lines"]), str(len(s["affected_lines"])))
            + _num_cell(s["affected_spend"], fmt_money(s["affected_spend"], currency))
            + _num_cell(s["value_at_risk"], fmt_money(s["value_at_risk"], currency))
            + f"<td>{esc(', '.join(m['mineral'] for m in s['minerals'][:5]))}</td>"
            + f"<td>{esc(_alternatives(s['aligned_alternative']))}</td>"
            + f"<td>{esc(fmt_rows(s['affected_lines'], 20))}</td></tr>"
            for s in extras["scenarios"]
        ]
        out.append(
            f'<section id="scenarios"><h2>Scenarios ({len(rows)})</h2>'
            + _table(
                [
                    "scenario",
                    "lines",
                    "spend",
                    "value at risk",
                    "driven by",
                    "aligned alternative",
                    "rows",
                ],
                rows,
                caption="Value at risk = spend x the share of each line's supply "
                "that the scenario cuts (stages taken as independent).",
            )
            + "</section>"
        )
    if extras.get("price_shocks"):
        rows = []
        for p in extras["price_shocks"]:
            text = price_text(p["price"])
            total = p["total_cost_impact"]
            rows.append(
                f"<tr><td>{esc(p['name'])}</td><td>{esc(format(p['change_pct'], '+g') + '%')}</td>"
                f"<td>{esc(text)}</td>"
                + _num_cell(total, fmt_money(total, p["currency"]))
                + f"<td>{esc(fmt_rows([n['row'] for n in p['not_estimated']], 20))}</td></tr>"
            )
        out.append(
            '<section id="price-shocks"><h2>Price shocks</h2>'
            + _table(["mineral", "change", "price", "cost impact", "not estimated"], rows)
            + "</section>"
        )
    if "actions" in extras:
        actions = extras["actions"]
        items = []
        for a in actions:
            facts = "".join(
                f"<li>{esc(f.get('fact', ''))} — {esc(f.get('source'))}"
                # URLs as text, never links: the page makes no network requests at all.
                + (f" &lt;{esc(f['url'])}&gt;" if f.get("url") else "")
                + f" ({esc(f.get('year'))})</li>"
                for f in a["facts"]
            )
            items.append(
                f"<li>{_tier_badge(a['priority'])} <strong>{esc(a['family'])}</strong>: "
                f"{esc(a['title'])}<br>{esc(a['detail'])}"
                f"<details><summary>facts</summary><ul>{facts}</ul></details></li>"
            )
        out.append(
            f'<section id="actions"><h2>Actions ({len(actions)})</h2>'
            + (f"<ol>{''.join(items)}</ol>" if items else "<p>None.</p>")
            + "</section>"
        )
    return "".join(out)


def render_html(result: AuditResult) -> str:
    r = result.report
    inp = r.input
    where = inp.path + (f" · sheet {inp.sheet}" if inp.sheet else "")
    title = f"Exposure audit: {inp.path}"
    body = "".join(
        [
            _brief(result),
            _summary(result),
            _charts(result),
            _findings(result),
            _scenarios_and_actions(result),
            _waivers(result),
            _baseline(result),
            _minerals(result),
            _lines(result),
            _unmapped(result),
            _sources(result),
            _provenance(result),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="{esc(r.tool.name)} {esc(r.tool.version)}">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n<body><main>"
        f'<h1>Exposure audit</h1><p class="sub">{esc(where)} · header row {inp.header_row} · '
        f"{inp.rows} lines · audited as of {esc(r.policy.as_of)} · reference data "
        f"{esc(r.reference.version)}</p>\n{body}\n</main><script>{SCRIPT}</script></body>"
        "</html>\n"
    )


class HtmlFormatter:
    name = "html"
    suffixes = (".html", ".htm")
    binary = False

    def render(self, result: AuditResult) -> str:
        return render_html(result)
