"""The terminal report: a summary panel, minerals by stage, riskiest lines, findings.

Every piece of BOM text goes into a `rich.text.Text` (never parsed as markup) after control
characters are escaped, so a BOM cannot drive the terminal.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from exposure_audit.report.base import (
    baseline_info,
    fmt_rows,
    price_text,
    waiver_info,
)
from exposure_audit.report.base import fmt_mass as mass_text
from exposure_audit.report.base import fmt_money as money
from exposure_audit.report.base import fmt_pct as pct
from exposure_audit.report.diff import build_text
from exposure_audit.report.fast_table import FastTable as Table
from exposure_audit.report.model import STAGE_ASSUMPTION, AuditResult, mineral_stake
from exposure_audit.report.terminal import SEVERITY_STYLE, TIER_STYLE, plain, text_console

TOP_LINES = 10
TOP_ACTIONS = 12


def build(result: AuditResult, width: int = 120) -> Group:
    """The whole report as rich renderables, laid out for a terminal `width` columns wide."""
    report = result.report
    parts: list[Any] = [_summary_panel(result), _minerals_table(result, width)]
    lines = _lines_table(result)
    if lines is not None:
        parts.append(lines)
    if report.unmapped:
        parts.append(_unmapped_table(result))
    parts.append(_findings_table(result))
    extras = report.extras or {}
    if extras.get("scenarios"):
        parts.append(_scenarios_table(result))
    if extras.get("price_shocks"):
        parts.append(_price_shocks_table(result))
    if "actions" in extras:
        parts.append(_actions_list(result))
    parts.append(_footer(result))

    parts.extend(terminal_extras(result))  # waived findings, the change since a baseline
    return Group(*parts)


def _summary_panel(result: AuditResult) -> Panel:
    r = result.report
    s = r.summary
    inp = r.input
    headline = Text()
    headline.append(f"Score {s.score}", style="bold")
    headline.append("  ")
    headline.append(f" {s.tier.upper()} ", style=TIER_STYLE.get(s.tier, ""))
    headline.append(f"   exposure {pct(s.exposure)} ({r.weighting}-weighted)")
    if s.value_at_risk is not None:
        headline.append(f"   value at risk {money(s.value_at_risk, r.currency)}")
    detail = Text(
        f"coverage {inp.mapped_rows}/{inp.rows} lines ({pct(inp.coverage)})"
        f" · skipped {inp.skipped_rows} rows"
        f" · China touch {pct(s.china_touch)} · aligned chain {pct(s.aligned_chain)}",
        style="dim",
    )
    tiers = s.lines_by_tier
    by_tier = Text("lines: ")
    for tier in ("critical", "high", "medium", "low"):
        by_tier.append(f"{tiers.get(tier, 0)} {tier}", style=TIER_STYLE[tier])
        by_tier.append("  ")
    by_tier.append(f"{tiers.get('unscored', 0)} unscored", style="dim")
    where = Text("exposure-audit · ")
    where.append_text(plain(inp.path))
    if inp.sheet:
        where.append(" · sheet ")
        where.append_text(plain(inp.sheet))
    where.append(f" · header row {inp.header_row}")
    return Panel(Group(headline, by_tier, detail), title=where, title_align="left", box=box.ROUNDED)


def _share(stage: dict[str, Any], key: str) -> Text:
    if stage["basis"] == "none":
        return Text("–", style="dim")
    value = stage[key]
    style = "bold red" if key == "china_share" and value >= 0.65 else ""
    if key == "china_share" and stage["basis"] in ("declaration", "bom", "mixed"):
        return Text(f"{pct(value)}*", style=style or "cyan")
    return Text(pct(value), style=style)


def _minerals_table(result: AuditResult, width: int) -> Table:
    wide = width >= 110
    table = Table(
        title="Minerals by what is at stake: China and aligned shares by stage "
        "(– no data; * from the BOM or supplier declarations)",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
        pad_edge=False,
    )
    columns = [
        ("mineral", "left"),
        ("mass", "right"),
        ("lines", "right"),
        ("China\ntouch", "right"),
        ("mining\nChina", "right"),
        ("mining\naligned", "right"),
        ("proc.\nChina", "right"),
        ("proc.\naligned", "right"),
        ("proc.\nHHI", "right"),
        ("made in\nChina", "right"),
        ("export\ncontrols", "left"),
    ]
    narrow = ("lines", "proc.\nHHI", "made in\nChina")
    keep = [True] * len(columns) if wide else [c[0] not in narrow for c in columns]
    for (name, justify), shown in zip(columns, keep, strict=True):
        if shown:
            table.add_column(name, justify=justify, no_wrap=name != "export\ncontrols")
    minerals = sorted(result.report.minerals, key=mineral_stake)
    for m in minerals:
        controls = Text()
        for status, style in (("active", "red"), ("suspended", "yellow")):
            count = sum(c["status"] == status for c in m["export_controls"])
            if count:
                controls.append(f"{' ' if controls else ''}{count} {status}", style=style)
        stages = m["stages"]
        mfg = stages["manufacturing"]
        hhi = stages["processing"]["hhi"]
        cells = [
            m["name"],
            mass_text(m["mass_kg"]),
            str(m["lines"]),
            Text(pct(m["china_touch"]), style="bold red" if m["china_touch"] >= 0.8 else ""),
            _share(stages["mining"], "china_share"),
            _share(stages["mining"], "aligned_share"),
            _share(stages["processing"], "china_share"),
            _share(stages["processing"], "aligned_share"),
            "–" if hhi is None else f"{hhi:,.0f}",
            "?" if mfg["basis"] == "none" else pct(mfg["china_share"]),
            controls,
        ]
        table.add_row(*[c for c, shown in zip(cells, keep, strict=True) if shown])
    if not minerals:
        table.add_row(Text("no critical minerals found", style="dim"), *[""] * (sum(keep) - 1))
    return table


def _lines_table(result: AuditResult) -> Table | None:
    scored = result.lines["scored"].to_numpy(bool)
    n_scored = np.count_nonzero(scored)
    if n_scored == 0:
        return None
    positions = _top_lines(result.lines, scored, TOP_LINES)
    top = {
        name: _cells(result.lines[name], positions)
        for name in ("row", "part_number", "description", "archetype", "driver", "exposure", "tier")
    }
    table = Table(
        title=f"Riskiest lines (top {len(positions)} of {n_scored})",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    for name, justify in (
        ("row", "right"),
        ("part", "left"),
        ("description", "left"),
        ("archetype", "left"),
        ("driver", "left"),
        ("exposure", "right"),
        ("tier", "left"),
    ):
        table.add_column(
            name,
            justify=justify,
            overflow="fold" if name == "description" else "ellipsis",
            max_width=40 if name == "description" else None,
        )
    for row, part, description, archetype, driver, exposure, tier in zip(
        *top.values(), strict=True
    ):
        table.add_row(
            str(row),
            plain(part),
            plain(description),
            plain(archetype),
            plain(driver or "–"),
            pct(exposure),
            Text(tier or "", style=TIER_STYLE.get(tier or "", "")),
        )
    return table


def _cells(column: pd.Series, positions: np.ndarray) -> list[Any]:
    """The values at `positions`, as `itertuples` gives them (Python scalars).

    NOTE: one lookup per value: `lines.iloc[positions]` copies every column of a large frame,
    and its first call on text columns loads pyarrow's take kernel (~10 ms) for ten rows."""
    values = [column.iat[i] for i in positions]
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _top_lines(lines: pd.DataFrame, scored: np.ndarray, count: int) -> np.ndarray:
    """Positions of the `count` scored lines (`scored`: a mask) with the highest exposure, ties
    by row then position.

    A partial sort: only the lines above the `count`-th highest exposure, and of the lines tied
    with it the first by row and position, are sorted, not all of a million lines.
    """
    exposure = lines["exposure"].to_numpy(float)
    all_rows = lines["row"].to_numpy()
    # Common: `count` scored lines or more share the highest exposure of all lines (fmax skips
    # NaN, which sorts last): they come first. Found on whole columns, no gather of every line.
    top = scored & (exposure == np.fmax.reduce(exposure))
    if np.count_nonzero(top) >= count:
        tied = np.flatnonzero(top)
        candidates = np.sort(_first_by_row(all_rows[tied], tied, count))
    else:
        candidates = np.flatnonzero(scored)
    exposure = exposure[candidates]
    if len(candidates) > count and not np.isnan(exposure).any():
        threshold = np.partition(exposure, len(exposure) - count)[len(exposure) - count]
        keep = exposure > threshold
        tied_at = np.flatnonzero(exposure == threshold)
        keep[_first_by_row(all_rows[candidates[tied_at]], tied_at, count - keep.sum())] = True
        candidates, exposure = candidates[keep], exposure[keep]
    rows = all_rows[candidates]
    # Highest exposure first (NaN last, as sort_values puts it), then row; lexsort is stable.
    order = np.lexsort((rows, np.where(np.isnan(exposure), np.inf, -exposure)))
    return candidates[order[:count]]


def _first_by_row(tied_rows: np.ndarray, tied: np.ndarray, count: int) -> np.ndarray:
    """The `count` members of `tied` (positions, ascending; their rows `tied_rows`) first by
    row, then position."""
    if len(tied) <= count:
        return tied
    last = np.partition(tied_rows, count - 1)[count - 1]  # the row of the last one chosen
    below = tied[tied_rows < last]
    return np.concatenate([below, tied[tied_rows == last][: count - len(below)]])


def _unmapped_table(result: AuditResult) -> Table:
    unmapped = result.report.unmapped
    table = Table(
        title=f"Unmapped lines ({len(unmapped)}; not scored)",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    table.add_column("row", justify="right")
    table.add_column("part")
    table.add_column("description", max_width=50, overflow="fold")
    table.add_column("closest archetypes")
    for u in unmapped[:TOP_LINES]:
        table.add_row(
            str(u.row),
            plain(u.part_number),
            plain(u.description),
            plain(", ".join(u.suggestions) or "–"),
        )
    if len(unmapped) > TOP_LINES:
        table.add_row(
            "…", "", Text(f"{len(unmapped) - TOP_LINES} more in the JSON report", style="dim"), ""
        )
    return table


def _findings_table(result: AuditResult) -> Table:
    findings = result.report.findings
    table = Table(
        title=f"Findings ({len(findings)})",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    table.add_column("severity")
    table.add_column("id")
    table.add_column("message", overflow="fold")
    table.add_column("rows", overflow="fold", max_width=24)
    for f in findings:
        rows = ", ".join(str(r) for r in f.rows[:8]) + (" …" if len(f.rows) > 8 else "")
        table.add_row(
            Text(f.severity, style=SEVERITY_STYLE.get(f.severity, "")),
            plain(f.id),
            plain(f.message),
            rows,
        )
    if not findings:
        table.add_row(Text("none", style="green"), "", "", "")
    return table


def _scenarios_table(result: AuditResult) -> Table:
    scenarios = result.report.extras["scenarios"]
    currency = result.report.currency
    table = Table(
        title=f"Scenarios ({len(scenarios)}): value at risk = spend x share of the "
        "line's supply cut",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    for name, justify in (
        ("scenario", "left"),
        ("lines", "right"),
        ("spend", "right"),
        ("value at risk", "right"),
        ("driven by", "left"),
        ("aligned alternative", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")
    for s in scenarios:
        drivers = ", ".join(m["mineral"] for m in s["minerals"][:4])
        if len(s["minerals"]) > 4:
            drivers += f" +{len(s['minerals']) - 4}"
        alt = ", ".join(f"{stage} {pct(v)}" for stage, v in s["aligned_alternative"].items())
        table.add_row(
            plain(s["name"]),
            str(len(s["affected_lines"])),
            money(s["affected_spend"], currency),
            Text(money(s["value_at_risk"], currency), style="bold"),
            plain(drivers or "–"),
            alt or "–",
        )
    return table


def _price_shocks_table(result: AuditResult) -> Table:
    shocks = result.report.extras["price_shocks"]
    table = Table(
        title="Price shocks (cost impact = contained mass x reference price x change)",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    for name, justify in (
        ("mineral", "left"),
        ("change", "right"),
        ("price", "left"),
        ("lines", "right"),
        ("cost impact", "right"),
        ("not estimated", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")
    for p in shocks:
        total = p["total_cost_impact"]
        missing = ", ".join(str(n["row"]) for n in p["not_estimated"][:8])
        table.add_row(
            plain(p["name"]),
            f"{p['change_pct']:+g}%",
            plain(price_text(p["price"])),
            str(len(p["lines"])),
            money(total, p["currency"]),
            f"rows {missing}" if missing else "–",
        )
    return table


def _actions_list(result: AuditResult) -> Table:
    actions = result.report.extras.get("actions") or []
    shown_title = (
        f"Actions ({len(actions)}; the first {TOP_ACTIONS} here, all in the JSON, "
        "Markdown, HTML and Excel reports)"
        if len(actions) > TOP_ACTIONS
        else f"Actions ({len(actions)})"
    )
    table = Table(title=shown_title, box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
    table.add_column("priority")
    table.add_column("family")
    table.add_column("action", overflow="fold")
    for a in actions[:TOP_ACTIONS]:
        body = Text()
        body.append_text(plain(a["title"]))
        body.append("\n")
        body.append_text(plain(a["detail"]))
        sources = sorted(
            {f"{f.get('source')} ({f.get('year')})" for f in a["facts"] if f.get("source")}
        )
        if sources:
            body.append("\n")
            shown = "; ".join(sources[:2]) + (
                f"; +{len(sources) - 2} more" if len(sources) > 2 else ""
            )
            body.append_text(Text(f"facts: {shown}", style="dim"))
        table.add_row(
            Text(a["priority"], style=SEVERITY_STYLE.get(a["priority"], "")), a["family"], body
        )
    if not actions:
        table.add_row(Text("none", style="green"), "", "")
    return table


def _footer(result: AuditResult) -> Text:
    r = result.report
    counts = r.issues.counts
    text = Text(style="dim")
    if counts:
        text.append(
            "issues: "
            + ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))
            + " (run `exposure-audit validate` or see the JSON report)\n"
        )
    text.append(
        f"reference {r.reference.version} · policy as of {r.policy.as_of} · aligned: "
        f"{', '.join(r.policy.aligned_groups)}\n"
    )
    text.append(STAGE_ASSUMPTION)
    return text


def render_text(result: AuditResult, width: int = 120, color: bool = False) -> str:
    """The terminal report as text at a fixed width (for files and golden tests)."""
    buffer = io.StringIO()
    text_console(buffer, width, color).print(build(result, width))
    return buffer.getvalue()


class TableFormatter:
    name = "table"
    suffixes = (".txt",)
    binary = False

    def render(self, result: AuditResult) -> str:
        return render_text(result)


def terminal_extras(result: AuditResult) -> list[Any]:
    """Rich renderables the terminal report adds after the table report: waived findings and
    the change since a baseline (waiver warnings go to stderr). Text is never markup."""
    parts: list[Any] = []
    info = waiver_info(result)
    if info:
        applied = info.get("applied", [])
        count = sum(len(w["findings"]) for w in applied)
        table = Table(
            title=f"Waived findings ({count}; not counted for --fail-on)",
            box=box.SIMPLE_HEAD,
            title_justify="left",
            title_style="bold",
        )
        table.add_column("id")
        table.add_column("rows")
        table.add_column("reason", overflow="fold")
        table.add_column("expires")
        for w in applied:
            for f in w["findings"]:
                table.add_row(
                    plain(f["id"]), fmt_rows(f["rows"]), plain(w["reason"]), str(w["expires"])
                )
        if applied:
            parts.append(table)
    baseline = baseline_info(result)
    if baseline:
        parts.append(Text(""))
        parts.append(build_text(baseline, title=f"Change since baseline {baseline['path']}"))
    from exposure_audit.report.rules import terminal_sections

    parts.extend(terminal_sections(result))  # rule packs and ownership (--rules)
    return parts
