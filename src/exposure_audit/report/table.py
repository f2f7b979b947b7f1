"""The terminal report: the executive summary first, then the detail behind it.

By default a first screen a new user can read (what is at stake, why, what to do: the
`report.summary` model), the riskiest lines, the most severe findings and the sources, numbered
once. `details=True` (`audit --details`) adds every mineral by stage, every finding and every
action. Tables are rich's own `Table`; the default report keeps few cells, which is what a
terminal report costs to render.

Every piece of BOM text goes into a `rich.text.Text` (never parsed as markup) after control
characters are escaped, so a BOM cannot drive the terminal.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from exposure_audit.report.base import (
    baseline_info,
    finding_counts,
    fmt_rows,
    price_text,
    waiver_info,
)
from exposure_audit.report.base import fmt_mass as mass_text
from exposure_audit.report.base import fmt_pct as pct
from exposure_audit.report.diff import build_text
from exposure_audit.report.model import STAGE_ASSUMPTION, AuditResult, mineral_stake
from exposure_audit.report.summary import (
    ExecutiveSummary,
    controls_text,
    executive_summary,
    notes_text,
)
from exposure_audit.report.summary import money as money
from exposure_audit.report.terminal import SEVERITY_STYLE, TIER_STYLE, plain, text_console

if TYPE_CHECKING:
    from rich.console import JustifyMethod

TOP_LINES = 10
TOP_LINES_BRIEF = 5
TOP_FINDINGS_BRIEF = 4
_LINE_MIN_WIDTH = {"row": 3, "driver": 9, "exposure": 8, "tier": 8}
TOP_ACTIONS = 12
BAR_WIDTH = 10
_EIGHTHS = " ▏▎▍▌▋▊▉"


def build(result: AuditResult, width: int = 120, details: bool = False) -> Group:
    """The whole report as rich renderables, laid out for a terminal `width` columns wide;
    `details` adds every mineral, finding and action after the first screen."""
    report = result.report
    brief = executive_summary(result)
    parts: list[Any] = [_summary_panel(result, brief), _drivers(brief)]
    lines = _lines_table(result, TOP_LINES if details else TOP_LINES_BRIEF, width)
    if lines is not None:
        parts.append(lines)
    if details:
        parts.append(_minerals_table(result, width))
        if report.unmapped:
            parts.append(_unmapped_table(result))
        parts.append(_findings_table(result))
    else:
        if report.unmapped:
            parts.append(_unmapped_brief(result))
        parts.append(_findings_brief(result))
    extras = report.extras or {}
    if extras.get("scenarios"):
        parts.append(_scenarios_table(result))
    if extras.get("price_shocks"):
        parts.append(_price_shocks_table(result))
    if details and "actions" in extras:
        parts.append(_actions_list(result, brief))
    parts.extend(terminal_extras(result))  # waived findings, the change since a baseline
    parts.append(_sources(brief, details))
    parts.append(_footer(result, details))
    return Group(*parts)


def _summary_panel(result: AuditResult, brief: ExecutiveSummary) -> Panel:
    r = result.report
    inp = r.input
    headline = Text()
    headline.append(f" {brief.tier.upper()} ", style=TIER_STYLE.get(brief.tier, "bold"))
    headline.append(f"  score {brief.score}/100", style="bold")
    body = [headline, Text(brief.headline)]
    for label, text, style in (
        ("At stake", brief.stake, ""),
        ("Coverage", brief.coverage, "" if brief.coverage_ok else "bold red"),
        ("Data", brief.data, ""),
    ):
        line = Text()
        line.append(f"{label}: ", style="bold")
        line.append(text, style=style)
        body.append(line)
    if brief.data_warning:
        body.append(Text(f"Warning: {brief.data_warning}", style="yellow"))
    where = Text("exposure-audit · ")
    where.append_text(plain(inp.path))
    if inp.sheet:
        where.append(" · sheet ")
        where.append_text(plain(inp.sheet))
    return Panel(Group(*body), title=where, title_align="left", box=box.ROUNDED)


def stage_bar(share: float | None, width: int = BAR_WIDTH) -> Text:
    """China's share of a stage as a bar of `width` cells (eighth blocks) and a percentage;
    a dotted bar where the stage has no data. The number is always printed: the bar is for
    the eye, the figure for the record (and for a terminal without colour)."""
    if share is None:
        return Text("·" * width + "    –", style="dim")
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, rest = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[rest] if rest else "")
    text = Text(bar, style="red" if share >= 0.65 else "yellow" if share >= 0.35 else "green")
    text.append("░" * (width - len(bar)), style="dim")
    text.append(f" {pct(share):>4}")
    return text


def _drivers(brief: ExecutiveSummary) -> Group:
    title = Text(
        "\nWhat drives it: most at stake first, China's share by stage, one action each",
        style="bold",
    )
    if not brief.drivers:
        return Group(title, Text("  no mineral of this BOM passes through China", style="green"))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column()
    for n, d in enumerate(brief.drivers, 1):
        head = plain(d.name)
        head.stylize("bold")
        head.append(f" · {d.cost} · {pct(d.china_touch)} likely through China")
        controls = controls_text(d.controls)
        if controls:
            head.append(f" · {controls}", style="red" if d.controls.get("active") else "yellow")
        bars = Text()
        for stage, share in d.stages.items():
            bars.append(f"{stage} ")
            bars.append_text(stage_bar(share))
            bars.append("  ")
        bars.append(notes_text(d.notes), style="dim")
        action = Text("→ ")
        action.append_text(
            plain(d.action or "no specific action: keep it in the next supplier survey")
        )
        if d.action_notes:
            action.append(f" {notes_text(d.action_notes)}", style="dim")
        grid.add_row(f"{n}.", Group(head, bars, action))
    return Group(title, grid)


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
        title="\nMinerals by what is at stake: China and aligned shares by stage "
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
    for (name, justify), shown in zip(_columns(*columns), keep, strict=True):
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


def _lines_table(result: AuditResult, count: int, width: int) -> Table | None:
    """The `count` lines with the highest exposure, one row each (cells cut with … to fit
    `width`: the part and description are in every other report)."""
    scored = result.lines["scored"].to_numpy(bool)
    n_scored = np.count_nonzero(scored)
    if n_scored == 0:
        return None
    positions = _top_lines(result.lines, scored, count)
    top = {
        name: _cells(result.lines[name], positions)
        for name in ("row", "part_number", "description", "driver", "exposure", "tier")
    }
    table = Table(
        title=f"\nRiskiest lines (top {len(positions)} of {n_scored} scored)",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
        pad_edge=False,
    )
    for name, justify in _columns(
        ("row", "right"),
        ("part", "left"),
        ("description", "left"),
        ("driver", "left"),
        ("exposure", "right"),
        ("tier", "left"),
    ):
        table.add_column(
            name,
            justify=justify,
            no_wrap=True,
            overflow="ellipsis",
            min_width=_LINE_MIN_WIDTH.get(name),
            max_width=_line_max_width(name, width),
        )
    for row, part, description, driver, exposure, tier in zip(*top.values(), strict=True):
        table.add_row(
            str(row),
            plain(part),
            plain(description),
            plain(driver or "–"),
            pct(exposure),
            Text(tier or "", style=TIER_STYLE.get(tier or "", "")),
        )
    return table


def _columns(*columns: tuple[str, str]) -> list[tuple[str, JustifyMethod]]:
    """Column names with their justification, checked against what rich accepts."""
    return [(name, cast("JustifyMethod", justify)) for name, justify in columns]


def _line_max_width(name: str, width: int) -> int | None:
    """Room for the part and description columns of the lines table at `width`."""
    if name == "part":
        return 18
    if name == "description":
        return max(12, min(40, width - 56))
    return None


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


def _unmapped_brief(result: AuditResult) -> Text:
    unmapped = result.report.unmapped
    shown = ", ".join(
        " ".join(str(x) for x in (u.row, u.part_number, u.description) if x) for u in unmapped[:3]
    )
    more = f" and {len(unmapped) - 3} more" if len(unmapped) > 3 else ""
    text = Text("\nNot recognised, so not scored: ", style="bold")
    text.append_text(plain(f"{len(unmapped)} line(s): rows {shown}{more}."))
    text.append(
        " Add a material column, name it with --map material=HEADER, or see "
        "`exposure-audit validate`.",
        style="dim",
    )
    return text


def _findings_brief(result: AuditResult) -> Group:
    """The most severe findings, one row each; the product-exposure finding is the headline."""
    findings = result.report.findings
    counts = finding_counts(findings)
    title = Text(f"\nFindings ({len(findings)}", style="bold")
    if counts:
        title.append(": " + ", ".join(f"{n} {severity}" for severity, n in counts.items()))
    title.append("), the most severe:" if findings else ")", style="bold")
    if not findings:
        return Group(title, Text("  none", style="green"))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    shown = [f for f in findings if f.rule != "product-exposure"][:TOP_FINDINGS_BRIEF]
    for f in shown:
        message = plain(f.message)
        if f.rows:
            message.append(f" (rows {fmt_rows(f.rows, 6)})", style="dim")
        grid.add_row(Text(f.severity, style=SEVERITY_STYLE.get(f.severity, "")), message)
    return Group(title, grid)


def _findings_table(result: AuditResult) -> Table:
    findings = result.report.findings
    table = Table(
        title=f"\nFindings ({len(findings)})",
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
    for name, justify in _columns(
        ("scenario", "left"),
        ("lines", "right"),
        ("spend", "right"),
        ("value at risk", "right"),
        ("driver", "left"),
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
    for name, justify in _columns(
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


def _actions_list(result: AuditResult, brief: ExecutiveSummary) -> Table:
    actions = result.report.extras.get("actions") or []
    table = Table(
        title=f"\nActions ({len(actions)}), the facts behind each numbered under Sources",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    table.add_column("priority")
    table.add_column("family")
    table.add_column("action", overflow="fold")
    for a, notes in zip(actions, brief.action_notes, strict=True):
        body = Text()
        body.append_text(plain(a["title"]))
        if notes:
            body.append(f" {notes_text(notes)}", style="dim")
        body.append("\n")
        body.append_text(plain(a["detail"]))
        table.add_row(
            Text(a["priority"], style=SEVERITY_STYLE.get(a["priority"], "")), a["family"], body
        )
    if not actions:
        table.add_row(Text("none", style="green"), "", "")
    return table


def _sources(brief: ExecutiveSummary, details: bool) -> Group:
    """The sources, numbered once; without `details` only those the first screen cites."""
    # Titles only by default: the addresses are in --details and the other reports.
    shown = brief.sources.items if details else brief.sources.titles[: brief.first_screen_sources]
    parts: list[Any] = [Text("\nSources", style="bold")] if shown else []
    for n, source in enumerate(shown, 1):
        parts.append(Text(f"[{n}] {source}", style="dim"))
    return Group(*parts)


def _footer(result: AuditResult, details: bool) -> Text:
    r = result.report
    counts = r.issues.counts
    text = Text(style="dim")
    text.append("\n")
    if counts:
        text.append(
            "issues: "
            + ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))
            + " (`exposure-audit validate` lists them)\n"
        )
    text.append(
        f"reference {r.reference.version} · aligned: {', '.join(r.policy.aligned_groups)} · "
        f"{r.input.skipped_rows} rows skipped · header row {r.input.header_row}\n"
    )
    if details:
        text.append(STAGE_ASSUMPTION)
    else:
        actions = len(r.extras.get("actions") or [])
        text.append(
            f"--details for every mineral by stage, all {len(r.findings)} findings and all "
            f"{actions} actions; -o report.html or report.xlsx for the full report."
        )
    return text


def render_text(
    result: AuditResult, width: int = 120, color: bool = False, details: bool = False
) -> str:
    """The terminal report as text at a fixed width (for files and golden tests)."""
    buffer = io.StringIO()
    text_console(buffer, width, color).print(build(result, width, details))
    return buffer.getvalue()


class TableFormatter:
    name = "table"
    suffixes = (".txt",)
    binary = False

    def render(self, result: AuditResult) -> str:
        return render_text(result, details=True)


def terminal_extras(result: AuditResult) -> list[Any]:
    """Rich renderables the terminal report adds after the table report: waived findings and
    the change since a baseline (waiver warnings go to stderr). Text is never markup."""
    parts: list[Any] = []
    info = waiver_info(result)
    if info:
        applied = info.get("applied", [])
        count = sum(len(w["findings"]) for w in applied)
        table = Table(
            title=f"\nWaived findings ({count}; not counted for --fail-on)",
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
