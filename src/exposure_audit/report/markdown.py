"""Markdown: a compact report for pull-request comments and CI job summaries.

The summary as a one-row table, minerals by stage, the riskiest lines (columns of
`base.flatten`), findings, waivers and the change since a baseline, then the reference data,
policy and assumptions in a collapsed `<details>` block. BOM text is escaped so it can neither
break a table nor become a link, a mention or HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from exposure_audit.report.base import (
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
    waiver_info,
)
from exposure_audit.report.diff import render_markdown as diff_markdown
from exposure_audit.report.markdown_text import md, table
from exposure_audit.report.model import AuditResult
from exposure_audit.report.rules import markdown_sections
from exposure_audit.report.summary import controls_text, executive_summary, notes_text

TOP_LINES = 10
MAX_FINDINGS = 50


def render_markdown(result: AuditResult) -> str:
    r = result.report
    s = r.summary
    inp = r.input
    out: list[str] = []
    out.append(f"## Exposure audit: {md(inp.path)}\n")
    out.extend(_brief(result))
    counts = finding_counts(r.findings)
    findings_text = ", ".join(f"{n} {sev}" for sev, n in counts.items()) or "none"
    tiers = s.lines_by_tier
    out.append(
        table(
            [
                "score",
                "tier",
                "exposure",
                "value at risk",
                "China touch",
                "aligned chain",
                "coverage",
                "findings",
            ],
            [
                [
                    str(s.score),
                    s.tier,
                    fmt_pct(s.exposure),
                    fmt_money(s.value_at_risk, r.currency),
                    fmt_pct(s.china_touch),
                    fmt_pct(s.aligned_chain),
                    f"{inp.mapped_rows}/{inp.rows} lines ({fmt_pct(inp.coverage)})",
                    findings_text,
                ]
            ],
            align="rlrrrrll",
        )
    )
    out.append(
        "\nLines by tier: "
        + " · ".join(
            f"{tiers.get(t, 0)} {t}" for t in ("critical", "high", "medium", "low", "unscored")
        )
        + f" · {inp.skipped_rows} rows skipped\n"
    )
    out.extend(_minerals(result))
    out.extend(_lines(result))
    out.extend(_findings(result))
    out.extend(_waivers(result))
    out.extend(_scenarios_and_actions(result))
    out.extend(markdown_sections(result))  # rule packs and ownership (--rules)
    baseline = baseline_info(result)
    if baseline:
        out.append(
            diff_markdown(
                baseline, heading="###", title=f"Change since baseline {md(baseline.get('path'))}"
            )
        )
    if r.unmapped:
        shown = ", ".join(
            f"{u.row} {md(u.part_number or u.description or '')}".strip()
            for u in r.unmapped[:TOP_LINES]
        )
        more = f" and {len(r.unmapped) - TOP_LINES} more" if len(r.unmapped) > TOP_LINES else ""
        out.append(f"**Unmapped lines ({len(r.unmapped)}, not scored):** rows {shown}{more}.\n")
    out.extend(_sources(result))
    out.extend(_provenance(result))
    return "\n".join(out).rstrip() + "\n"


def _brief(result: AuditResult) -> list[str]:
    """The executive summary (report.summary), sources numbered at the end of the report."""
    brief = executive_summary(result)
    out = [
        f"**{brief.tier.upper()} · score {brief.score}/100**: {md(brief.headline)}\n",
        f"- **At stake:** {md(brief.stake)}",
        f"- **Coverage:** {md(brief.coverage)}",
        f"- **Data:** {md(brief.data)}",
    ]
    if brief.data_warning:
        out.append(f"- **Warning:** {md(brief.data_warning)}")
    out.append("\n**What drives it** (most at stake first):\n")
    for n, d in enumerate(brief.drivers, 1):
        stages = ", ".join(f"{k} {fmt_pct(v)} China" for k, v in d.stages.items())
        controls = controls_text(d.controls)
        out.append(
            f"{n}. **{md(d.name)}**: {md(d.cost)}, {fmt_pct(d.china_touch)} likely through "
            f"China ({stages}){'; ' + controls if controls else ''} {notes_text(d.notes)}\n"
            f"   → {md(d.action or 'keep it in the next supplier survey')} "
            f"{notes_text(d.action_notes)}"
        )
    return [*out, ""]


def _sources(result: AuditResult) -> list[str]:
    items = executive_summary(result).sources.items
    if not items:
        return []
    return ["\n### Sources\n", *(f"{n}. {md(t)}" for n, t in enumerate(items, 1)), ""]


def _minerals(result: AuditResult) -> list[str]:
    minerals = sorted(result.report.minerals, key=lambda m: (-m["china_touch"], m["mineral"]))
    if not minerals:
        return ["### Minerals\n", "No critical minerals found.\n"]
    rows = []
    for m in minerals:
        st = m["stages"]
        controls = [c["status"] for c in m["export_controls"]]
        control_text = (
            ", ".join(f"{controls.count(k)} {k}" for k in ("active", "suspended") if k in controls)
            or "–"
        )
        rows.append(
            [
                md(m["name"]),
                fmt_mass(m["mass_kg"]),
                fmt_pct(m["china_touch"]),
                fmt_pct(stage_share(st["mining"], "china_share")),
                fmt_pct(stage_share(st["processing"], "china_share")),
                fmt_pct(stage_share(st["manufacturing"], "china_share")),
                fmt_pct(m["aligned_chain"]),
                control_text,
            ]
        )
    return [
        "### Minerals: China share by stage\n",
        table(
            [
                "mineral",
                "mass",
                "China touch",
                "mining China",
                "processing China",
                "made in China",
                "aligned chain",
                "export controls",
            ],
            rows,
            align="lrrrrrrl",
        ),
        "",
    ]


def _lines(result: AuditResult) -> list[str]:
    lines = lines_by_line(flatten(result))
    scored = lines[lines["line_exposure"].notna()]
    if scored.empty:
        return []
    top = scored.sort_values(["line_exposure", "row"], ascending=[False, True], kind="stable").head(
        TOP_LINES
    )
    # The flat table's line-level columns, in its order (so CSV, xlsx and Markdown agree).
    columns = [
        "row",
        "part_number",
        "description",
        "supplier_country",
        "archetype",
        "line_exposure",
        "line_tier",
        "line_driver",
    ]
    records: Iterable[Any] = top[columns].itertuples(index=False)  # cells of mixed types
    rows = [
        [
            str(record.row),
            md(record.part_number),
            md(record.description),
            md(record.supplier_country),
            md(record.archetype),
            fmt_pct(record.line_exposure),
            md(record.line_tier),
            md(record.line_driver),
        ]
        for record in records
    ]
    return [
        f"### Riskiest lines (top {len(top)} of {len(scored)})\n",
        table(columns, rows, align="rllllrll"),
        "",
    ]


def _findings(result: AuditResult) -> list[str]:
    findings = result.report.findings
    out = [f"### Findings ({len(findings)})\n"]
    if not findings:
        return [*out, "None.\n"]
    rows = [
        [f.severity, md(f.id), md(f.message), fmt_rows(f.rows)] for f in findings[:MAX_FINDINGS]
    ]
    out.append(table(["severity", "id", "message", "rows"], rows))
    if len(findings) > MAX_FINDINGS:
        out.append(f"\n… and {len(findings) - MAX_FINDINGS} more in the JSON report.")
    out.append("")
    return out


def _waivers(result: AuditResult) -> list[str]:
    info = waiver_info(result)
    if not info:
        return []
    out = []
    applied = info.get("applied", [])
    if applied:
        rows = []
        for w in applied:
            ids = ", ".join(f["id"] for f in w["findings"])
            rows.append([md(ids), md(w.get("part") or ""), md(w["reason"]), md(w["expires"])])
        out.append(f"### Waived findings ({sum(len(w['findings']) for w in applied)})\n")
        out.append(table(["finding", "part", "reason", "expires"], rows))
        out.append("")
    out.extend(
        f"> ⚠ Waiver expired on {md(w['expires'])}: "
        f"{md(w.get('id') or w.get('rule'))} ({md(w['reason'])})\n"
        for w in info.get("expired", [])
    )
    out.extend(
        f"> ⚠ Waiver matches no finding: {md(w.get('id') or w.get('rule'))}\n"
        for w in info.get("unused", [])
    )
    return out


def _scenarios_and_actions(result: AuditResult) -> list[str]:
    """Scenarios, price shocks and actions (issue 8), from the report's extras."""
    extras = result.report.extras or {}
    currency = result.report.currency
    out: list[str] = []
    if extras.get("scenarios"):
        out.append(f"### Scenarios ({len(extras['scenarios'])})\n")
        out.append(
            table(
                ["scenario", "lines", "spend", "value at risk", "driven by", "aligned alternative"],
                [
                    [
                        md(s["name"]),
                        str(len(s["affected_lines"])),
                        fmt_money(s["affected_spend"], currency),
                        fmt_money(s["value_at_risk"], currency),
                        md(", ".join(m["mineral"] for m in s["minerals"][:5])),
                        md(
                            ", ".join(
                                f"{g} {fmt_pct(v)}" for g, v in s["aligned_alternative"].items()
                            )
                        ),
                    ]
                    for s in extras["scenarios"]
                ],
                align="lrrrll",
            )
        )
        out.append(
            "\nValue at risk = spend x the share of each line's supply that the scenario "
            "cuts (stages taken as independent).\n"
        )
    if extras.get("price_shocks"):
        out.append("### Price shocks\n")
        out.append(
            table(
                ["mineral", "change", "price", "cost impact", "not estimated"],
                [
                    [
                        md(p["name"]),
                        f"{p['change_pct']:+g}%",
                        md(price_text(p["price"])),
                        fmt_money(p["total_cost_impact"], p["currency"]),
                        fmt_rows([n["row"] for n in p["not_estimated"]]) or "–",
                    ]
                    for p in extras["price_shocks"]
                ],
                align="lrlrl",
            )
        )
        out.append("")
    if "actions" in extras:
        actions = extras["actions"]
        out.append(f"### Actions ({len(actions)})\n")
        if not actions:
            out.append("None.\n")
        for a in actions[:MAX_FINDINGS]:
            sources = sorted(
                {f"{f.get('source')} ({f.get('year')})" for f in a["facts"] if f.get("source")}
            )
            out.append(
                f"- **{a['priority']}** · {a['family']} · {md(a['title'])}: "
                f"{md(a['detail'])}" + (f" _Facts: {md('; '.join(sources))}_" if sources else "")
            )
        if len(actions) > MAX_FINDINGS:
            out.append(f"- … and {len(actions) - MAX_FINDINGS} more in the JSON report.")
        out.append("")
    return out


def _provenance(result: AuditResult) -> list[str]:
    info = provenance(result)
    out = ["<details><summary>Reference data, policy and assumptions</summary>\n"]
    out.append(
        f"- Reference data {md(info['reference_version'])}, newest table "
        f"{md(info['reference_as_of'])}: "
        + ", ".join(f"{md(name)} {md(date)}" for name, date in info["tables"].items())
    )
    out.append(
        f"- Policy as of {md(info['policy_as_of'])}; aligned groups: "
        f"{md(', '.join(info['aligned_groups']) or 'none')}; weighting: "
        f"{md(info['weighting'])}"
    )
    for assumption in info["assumptions"]:
        out.append(f"- {md(assumption)}")
    sources = list(dict.fromkeys(source_text(s) for s in info["sources"]))
    if sources:
        out.append("- Sources: " + "; ".join(md(s) for s in sources))
    out.append("\n</details>")
    return out


class MarkdownFormatter:
    name = "markdown"
    suffixes = (".md", ".markdown")
    binary = False

    def render(self, result: AuditResult) -> str:
        return render_markdown(result)
