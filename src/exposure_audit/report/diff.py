"""A `DiffResult` (or an audit's `baseline` key) rendered: Markdown and the terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Group, JustifyMethod
from rich.table import Table
from rich.text import Text

from exposure_audit.compare.diff import EPSILON, FIELD_LABELS, finding_change_text, parts_text
from exposure_audit.report.markdown_text import md, table
from exposure_audit.report.terminal import plain, text_console


def change_text(item: Mapping[str, Any]) -> str:
    """What changed on a line, as `country JPN → CHN; qty 10 → 12`."""
    if item["change"] != "changed":
        return str(item["change"])
    parts = []
    for name, change in item["changes"].items():
        parts.append(
            f"{FIELD_LABELS.get(name, name)} {_value(change['old'])} → {_value(change['new'])}"
        )
    touches = [
        f"{mineral} {_pct_pair(c['old'], c['new'])}"
        for mineral, c in (item.get("minerals") or {}).items()
    ]
    if touches:
        parts.append(
            "China touch: "
            + ", ".join(touches[:4])
            + (f" +{len(touches) - 4}" if len(touches) > 4 else "")
        )
    return "; ".join(parts) or "exposure only"


STATUS_TEXT = {
    "worse": "worse",
    "better": "better",
    "within-limits": "within limits",
    "same-exposure": "same exposure",
}


def _headline(data: Mapping[str, Any]) -> str:
    score = data["score"]
    text = (
        f"score {score['old']} → {score['new']} ({score['change']:+d}), tier "
        f"{data['tier']['old']} → {data['tier']['new']}, exposure "
        f"{_pct_pair(data['exposure']['old'], data['exposure']['new'])}"
    )
    touch = data.get("china_touch") or {}
    if touch.get("change") is not None and abs(touch["change"]) > EPSILON:
        text += f", China touch {_pct_pair(touch['old'], touch['new'])}"
    return text


def _value(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _pct_pair(old: float | None, new: float | None) -> str:
    """`old → new` as percentages, with as many decimals as it takes to tell them apart."""
    for digits in (0, 1, 2):
        a, b = _pct(old, digits), _pct(new, digits)
        if a != b or old is None or new is None or abs(new - old) < 1e-6:
            break
    return f"{a} → {b}"


def _signed_pct(value: float | None) -> str:
    if value is None:
        return "–"
    points = 100 * value
    if abs(points) < 0.5:
        return "±0"
    return f"{points:+.0f} pts"


def _exposure_text(item: Mapping[str, Any]) -> str:
    e = item["exposure"]
    return _pct_pair(e["old"], e["new"])


MAX_ITEMS = 50


def render_markdown(data: Mapping[str, Any], heading: str = "##", title: str | None = None) -> str:
    """A diff (`DiffResult.to_dict()` or an audit's `baseline` key) as compact Markdown."""
    gate = data["gate"]
    out = []
    if title is None:
        old = data.get("old", {}).get("path") or data.get("path")
        new = data.get("new", {}).get("path")
        title = f"Exposure diff: {md(old)} → {md(new)}" if new else f"Change since {md(old)}"
    out.append(f"{heading} {title}\n")
    status = data.get("status", "worse" if gate["failed"] else "same-exposure")
    mark = "❌" if status == "worse" else "✅"
    out.append(f"{mark} **{STATUS_TEXT.get(status, status)}**: {md(_headline(data))}\n")
    out.extend(f"- {md(reason)}" for reason in gate["reasons"])
    if gate["reasons"]:
        out.append("")
    counts = data["lines"]
    out.append(
        f"Lines: {counts['added']} added, {counts['removed']} removed, "
        f"{counts['changed']} changed.\n"
    )
    items = counts["items"]
    if items:
        rows = [
            [
                md(i["change"]),
                md(i["new_row"] if i["new_row"] is not None else i["old_row"]),
                md(i["part_number"]),
                md(i["description"]),
                md(change_text(i)),
                _exposure_text(i),
                _signed_pct(i["exposure"]["change"]),
            ]
            for i in items[:MAX_ITEMS]
        ]
        out.append(
            table(
                ["change", "row", "part", "description", "what changed", "exposure", "Δ"],
                rows,
                align="lrlllrr",
            )
        )
        if len(items) > MAX_ITEMS:
            out.append(f"\n… and {len(items) - MAX_ITEMS} more lines in the JSON diff.")
        out.append("")
    findings = data["findings"]
    for label, key in (("New findings", "new"), ("Resolved findings", "resolved")):
        listed = findings[key]
        if listed:
            out.append(f"**{label} ({len(listed)})**\n")
            out.append(
                table(
                    ["severity", "id", "message"],
                    [
                        [md(f["severity"]), md(f["id"]), md(f["message"] + parts_text(f))]
                        for f in listed[:MAX_ITEMS]
                    ],
                )
            )
            out.append("")
    if findings["changed"]:
        out.append(f"**Changed findings ({len(findings['changed'])})**\n")
        out.append(
            table(
                ["severity", "id", "what changed"],
                [
                    [md(f["new_severity"]), md(f["id"]), md(finding_change_text(f))]
                    for f in findings["changed"][:MAX_ITEMS]
                ],
            )
        )
        out.append("")
    out.extend(f"> Note: {md(note)}\n" for note in data.get("notes", []))
    return "\n".join(out).rstrip() + "\n"


def build_text(data: Mapping[str, Any], title: str | None = None) -> Group:
    """A diff as rich renderables for the terminal; BOM text never parsed as markup."""
    gate = data["gate"]
    parts: list[Any] = []
    if title is None:
        old = data.get("old", {}).get("path") or data.get("path")
        new = data.get("new", {}).get("path")
        heading = Text("exposure diff: ", style="bold")
        heading.append_text(plain(old))
        if new:
            heading.append(" → ")
            heading.append_text(plain(new))
    else:
        heading = Text(title, style="bold")
    parts.append(heading)
    status = data.get("status", "worse" if gate["failed"] else "same-exposure")
    style = {"worse": "bold white on red", "better": "bold white on green"}.get(
        status, "bold green"
    )
    verdict = Text(f" {STATUS_TEXT.get(status, status).upper()} ", style=style)
    verdict.append(f"  {_headline(data)}", style="")
    parts.append(verdict)
    parts.extend(Text("  • ", style="red") + plain(reason) for reason in gate["reasons"])
    counts = data["lines"]
    parts.append(
        Text(
            f"lines: {counts['added']} added, {counts['removed']} removed, "
            f"{counts['changed']} changed",
            style="dim",
        )
    )
    items = counts["items"]
    if items:
        lines = Table(box=box.SIMPLE_HEAD, title="Lines", title_justify="left", title_style="bold")
        columns: tuple[tuple[str, JustifyMethod], ...] = (
            ("change", "left"),
            ("row", "right"),
            ("part", "left"),
            ("description", "left"),
            ("what changed", "left"),
            ("exposure", "right"),
            ("Δ", "right"),
        )
        for name, justify in columns:
            lines.add_column(
                name,
                justify=justify,
                overflow="fold",
                max_width=30 if name == "description" else None,
            )
        styles = {"added": "yellow", "removed": "dim", "changed": ""}
        for i in items[:MAX_ITEMS]:
            delta = i["exposure"]["change"]
            lines.add_row(
                Text(i["change"], style=styles[i["change"]]),
                str(i["new_row"] if i["new_row"] is not None else i["old_row"]),
                plain(i["part_number"] or ""),
                plain(i["description"] or ""),
                plain(change_text(i)),
                _exposure_text(i),
                Text(
                    _signed_pct(delta),
                    style="red"
                    if (delta or 0) > EPSILON
                    else "green"
                    if (delta or 0) < -EPSILON
                    else "",
                ),
            )
        if len(items) > MAX_ITEMS:
            lines.add_row(
                "…",
                "",
                "",
                Text(f"{len(items) - MAX_ITEMS} more in --format json", style="dim"),
                "",
                "",
                "",
            )
        parts.append(lines)
    findings = data["findings"]
    for label, key, style in (
        ("New findings", "new", "red"),
        ("Resolved findings", "resolved", "green"),
    ):
        listed = findings[key]
        if not listed:
            continue
        t = Table(
            box=box.SIMPLE_HEAD,
            title=f"{label} ({len(listed)})",
            title_justify="left",
            title_style=f"bold {style}",
        )
        t.add_column("severity")
        t.add_column("id")
        t.add_column("message", overflow="fold")
        for f in listed[:MAX_ITEMS]:
            t.add_row(f["severity"], plain(f["id"]), plain(f["message"] + parts_text(f)))
        parts.append(t)
    if findings["changed"]:
        t = Table(
            box=box.SIMPLE_HEAD,
            title=f"Changed findings ({len(findings['changed'])})",
            title_justify="left",
            title_style="bold",
        )
        t.add_column("severity")
        t.add_column("id")
        t.add_column("what changed", overflow="fold")
        for f in findings["changed"][:MAX_ITEMS]:
            t.add_row(f["new_severity"], plain(f["id"]), plain(finding_change_text(f)))
        parts.append(t)
    parts.extend(Text("note: ", style="yellow") + plain(note) for note in data.get("notes", []))
    return Group(*parts)


def render_text(data: Mapping[str, Any], width: int = 100, title: str | None = None) -> str:
    """The terminal diff as plain text at a fixed width (colour off)."""
    import io

    buffer = io.StringIO()
    text_console(buffer, width).print(build_text(data, title))
    return buffer.getvalue()
