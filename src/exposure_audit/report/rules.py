"""Rendering of the rule packs: the `rules` command's catalogue and explanations, and the
rules and ownership sections of the terminal and Markdown reports.

Text from the BOM and the rule files is never rich markup (`plain`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from exposure_audit.report.model import AuditResult
from exposure_audit.report.terminal import plain

DISCLAIMER = (
    "Screening, not legal advice: the rules flag lines to review; each says what it cannot know."
)


# --- the catalogue (`exposure-audit rules [ID]`) -----------------------------------------------


def _phases(pack: Any) -> list[dict[str, Any]]:
    """The pack's dated steps, whatever its kind."""
    out: list[dict[str, Any]] = []
    for phase in getattr(pack, "phases", []):
        out.append(
            {
                "id": phase.id,
                "effective": phase.effective.isoformat() if phase.effective else None,
                "until": phase.until.isoformat() if phase.until else None,
                "wording": phase.wording,
                "source": phase.source,
            }
        )
    for test in getattr(pack, "control_tests", []):
        out.append(
            {
                "id": test.id,
                "effective": test.effective.isoformat(),
                "until": test.until.isoformat() if test.until else None,
                "wording": f"{test.name}: {test.wording}",
                "source": test.source,
            }
        )
    for name in ("passport", "due_diligence"):
        part = getattr(pack, name, None)
        if part is not None:
            out.append(
                {
                    "id": name.replace("_", "-"),
                    "effective": part.effective.isoformat(),
                    "until": None,
                    "wording": name.replace("_", " "),
                    "source": part.source,
                }
            )
    return out


def _in_force(phase: dict[str, Any], as_of: dt.date) -> bool:
    start = phase["effective"]
    end = phase["until"]
    return (start is None or start <= as_of.isoformat()) and (
        end is None or as_of.isoformat() <= end
    )


def pack_dict(pack: Any, as_of: dt.date, full: bool = False) -> dict[str, Any]:
    """One pack as JSON-ready data; `full` adds every field of the rule file."""
    phases = _phases(pack)
    for phase in phases:
        phase["in_force"] = _in_force(phase, as_of)
    out: dict[str, Any] = {
        "id": pack.id,
        "kind": pack.kind,
        "title": pack.title,
        "jurisdiction": pack.jurisdiction,
        "compiled": pack.compiled.isoformat(),
        "phases": phases,
        "next_change": next(
            (d.isoformat() for d in sorted(pack.change_dates()) if d > as_of), None
        ),
    }
    if full:
        out["rule"] = pack.model_dump(mode="json")
    return out


def catalogue_dict(packs: list[Any], as_of: dt.date) -> dict[str, Any]:
    return {
        "as_of": as_of.isoformat(),
        "note": DISCLAIMER,
        "packs": [pack_dict(p, as_of) for p in packs],
    }


def render_catalogue(packs: list[Any], as_of: dt.date) -> Any:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"Rule packs (as of {as_of})",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    # Ids, dates and phases are what a user types or compares: never wrapped mid-word; the
    # title takes the width that is left.
    table.add_column("id", no_wrap=True)
    table.add_column("where", no_wrap=True)
    table.add_column("what it checks", ratio=1, overflow="fold")
    table.add_column("phases", no_wrap=True)
    table.add_column("next change", no_wrap=True)
    for pack in packs:
        data = pack_dict(pack, as_of)
        phases = "\n".join(
            f"{p['effective'] or 'in force'}{' *' if p['in_force'] else ''}" for p in data["phases"]
        )
        table.add_row(
            plain(pack.id),
            plain(pack.jurisdiction),
            plain(pack.title.split(":")[0]),
            Text(phases),  # our own dates, one per line
            plain(data["next_change"] or "-"),
        )
    hint = Text("* in force. `exposure-audit rules ID` explains one; `audit --rules all` checks ")
    hint.append("a BOM. ")
    hint.append(DISCLAIMER, style="dim")
    return Group(table, hint)


def _lines(title: str, items: list[str]) -> list[str]:
    return [f"{title}:"] + [f"  - {item}" for item in items] if items else []


def explain_text(pack: Any, as_of: dt.date) -> str:
    """A plain-text explanation of one pack: what it checks, its dated phases and thresholds,
    what it cannot know, what was left out, and every source."""
    data = pack_dict(pack, as_of)
    out = [f"{pack.id}: {pack.title}", "", f"Applies to: {pack.applies_to}", "", pack.checks, ""]
    out.append("Phases:")
    for p in data["phases"]:
        when = p["effective"] or "long in force"
        until = f" until {p['until']}" if p["until"] else ""
        mark = " (in force)" if p["in_force"] else ""
        out.append(f"  - {p['id']}: from {when}{until}{mark}: {p['wording']} [{p['source']}]")
    if pack.screening and pack.screening.note:
        out += ["", f"Screening choice: {pack.screening.note}"]
    out += [""] + _lines("Cannot know", pack.cannot_know)
    if pack.not_confirmed:
        out += [""] + _lines("Left out (not confirmed in a source)", pack.not_confirmed)
    out += ["", "Sources:"]
    for key, source in pack.sources.items():
        out.append(f"  [{key}] {source.title} ({source.year}). {source.url or ''}".rstrip())
    out += ["", DISCLAIMER]
    return "\n".join(out) + "\n"


# --- the report sections -----------------------------------------------------------------------


def _rules(result: AuditResult) -> dict[str, Any] | None:
    rules = (result.report.extras or {}).get("rules")
    return rules if isinstance(rules, dict) else None


def _control_rows(result: AuditResult) -> list[dict[str, Any]]:
    ownership = (result.report.extras or {}).get("ownership") or {}
    return [m for m in ownership.get("minerals", []) if m.get("countries") or m.get("world")]


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * float(value):.0f}%"


def _change_text(changes: dict[str, Any]) -> str:
    parts = [f"on {changes['on']}: " + (", ".join(changes["new"]) or "nothing new")]
    if changes.get("ended"):
        parts.append("ended: " + ", ".join(changes["ended"]))
    upcoming = changes.get("next")
    if upcoming:
        new = (
            ", ".join(f"{n['id']} ({n['lines']} lines)" for n in upcoming["new"])
            or "no new finding"
        )
        parts.append(f"next change {upcoming['date']}: {new}")
    return "; ".join(parts)


def terminal_sections(result: AuditResult) -> list[Any]:
    """Rich renderables for the terminal report: rule findings with what clears them, what
    changes on the as-of date, and China-located vs China-controlled shares."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    rules = _rules(result)
    if rules is not None:
        table = Table(
            title=f"Rules (as of {rules['as_of']}; {DISCLAIMER})",
            box=box.SIMPLE_HEAD,
            title_justify="left",
            title_style="bold",
        )
        for name in ("id", "severity", "lines", "basis", "clears with"):
            table.add_column(name, overflow="fold")
        for f in rules["findings"]:
            table.add_row(
                plain(f["id"]),
                plain(f["severity"]),
                str(f.get("lines", 0)),
                plain(f.get("basis", "")),
                plain(f.get("clear", "")),
            )
        if not rules["findings"]:
            table.add_row(Text("no rule findings", style="green"), "", "", "", "")
        parts += [table, Text("Changes " + _change_text(rules["changes"]))]
    rows = _control_rows(result)
    if rows:
        table = Table(
            title="China-located vs China-controlled (world output)",
            box=box.SIMPLE_HEAD,
            title_justify="left",
            title_style="bold",
        )
        for name in ("mineral", "stage", "located", "controlled", "basis"):
            table.add_column(name, overflow="fold")
        for m in rows:
            world = m.get("world") or {}
            controlled = m.get("china_controlled", world.get("china_controlled"))
            located = m.get("china_located", world.get("china_located"))
            basis = (
                "; ".join(
                    f"{c['country']}: {_pct(c['chinese_controlled'])} Chinese-controlled "
                    f"({c['year']})"
                    for c in m.get("countries", [])
                )
                or f"{world.get('basis', '')} ({world.get('year', '')})"
            )
            table.add_row(
                plain(m["mineral"]), m["stage"], _pct(located), _pct(controlled), plain(basis)
            )
        parts.append(table)
    return parts


def markdown_sections(result: AuditResult) -> list[str]:
    """The same sections in Markdown."""
    from exposure_audit.report.markdown_text import md, table

    out: list[str] = []
    rules = _rules(result)
    if rules is not None:
        out.append(f"### Rules (as of {rules['as_of']})\n")
        out.append(f"_{DISCLAIMER}_\n")
        rows = [
            [
                md(f["id"]),
                f["severity"],
                str(f.get("lines", 0)),
                md(f.get("basis", "")),
                md(f.get("message", "")),
                md(f.get("clear", "")),
            ]
            for f in rules["findings"]
        ]
        if rows:
            out.append(table(["id", "severity", "lines", "basis", "finding", "clears with"], rows))
        else:
            out.append("No rule findings.\n")
        out.append(f"\nChanges {md(_change_text(rules['changes']))}.\n")
    control = _control_rows(result)
    if control:
        out.append("### China-located vs China-controlled (world output)\n")
        out.append(
            table(
                ["mineral", "stage", "located", "controlled"],
                [
                    [
                        md(m["mineral"]),
                        m["stage"],
                        _pct(m.get("china_located", (m.get("world") or {}).get("china_located"))),
                        _pct(
                            m.get(
                                "china_controlled", (m.get("world") or {}).get("china_controlled")
                            )
                        ),
                    ]
                    for m in control
                ],
            )
        )
    return out
