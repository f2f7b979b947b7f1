"""Commands that show the reference data and write helper files: minerals, groups, materials,
declarations, reference check, template.

The data comes from `exposure_audit.reference.queries` (plain dicts); this module only renders
it. Every cell of text taken from the reference tables or a user's file is a rich `Text`,
never markup.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from exposure_audit.cli.common import (
    error_line,
    handle_errors,
    out_console,
    set_prog,
    stdout_write,
    write_atomic,
)


class BrowseFormat(StrEnum):
    table = "table"
    json = "json"


FormatOption = Annotated[
    BrowseFormat,
    typer.Option(
        "--format",
        "-f",
        help="table (for people) or json (for programs).",
        envvar="EXPOSURE_AUDIT_FORMAT",
    ),
]
ReferenceOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--reference",
        metavar="DIR",
        help="Folder of your own reference tables, layered over the bundled ones. Repeatable.",
        envvar="EXPOSURE_AUDIT_REFERENCE",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Evaluate export-control status and group membership on "
        "this date (YYYY-MM-DD; default today).",
        envvar="EXPOSURE_AUDIT_AS_OF",
        show_default=False,
    ),
]
DebugOption = Annotated[bool, typer.Option(help="Show tracebacks.")]

MINERALS_EPILOG = """\
[bold]Examples[/bold]

  exposure-audit minerals
  exposure-audit minerals gallium
  exposure-audit minerals Nd --as-of 2026-12-01
  exposure-audit minerals --format json > minerals.json
"""

GROUPS_EPILOG = """\
[bold]Examples[/bold]

  exposure-audit groups
  exposure-audit groups forge
  exposure-audit groups us_fta_partners_ira_30d --as-of 2025-06-30
  exposure-audit groups --format json
"""

MATERIALS_EPILOG = """\
[bold]Examples[/bold]

  exposure-audit materials
  exposure-audit materials "N52 12x5x3mm"
  exposure-audit materials "0.4mm Enameled Magnet Wire" --format json
  exposure-audit materials ndfeb_sintered
"""

DECLARATIONS_EPILOG = """\
[bold]Examples[/bold]

  exposure-audit declarations supplier-cmrt.xlsx
  exposure-audit declarations supplier-cmrts/ --format json
  exposure-audit declarations acme-cmrt.xlsx acme-emrt.xlsx
"""


def _reference(dirs: list[Path] | None):  # noqa: ANN202 - lazy import
    from exposure_audit.reference import load_reference

    return load_reference(list(dirs or []))


def _as_of(value: str | None) -> dt.date:
    from exposure_audit.cli.options import parse_date

    return parse_date(value) or dt.date.today()


def _json(data: Any) -> None:
    import json

    stdout_write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _t(value: Any, style: str = "") -> Any:
    """A rich Text cell: reference and user text is never parsed as markup."""
    from rich.text import Text

    if value is None:
        return Text("—", style="dim")
    return Text(str(value), style=style)


def _table(title: str | None, columns: list[str], **kwargs: Any):  # noqa: ANN202
    from rich.table import Table

    table = Table(title=title, title_justify="left", **kwargs)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _share(value: float) -> str:
    return f"{100 * value:.1f}%"


def _source_text(source: dict[str, Any] | None) -> str:
    if not source:
        return "—"
    text = f"{source['title']} ({source.get('year', 'n.d.')})"
    return f"{text} {source['url']}" if source.get("url") else text


# --- minerals ----------------------------------------------------------------------------------


def minerals_command(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="[NAME]",
            help="A mineral id, name, symbol or alias (case-insensitive).",
            show_default=False,
        ),
    ] = None,
    output_format: FormatOption = BrowseFormat.table,
    reference: ReferenceOption = None,
    as_of: AsOfOption = None,
    debug: DebugOption = False,
) -> None:
    """The reference data for every mineral, or one mineral in detail: the lists that name it,
    China's export controls and their status, and where it is mined and processed."""
    set_prog(ctx)
    with handle_errors(debug):
        from exposure_audit.reference import queries as browse

        ref = _reference(reference)
        date = _as_of(as_of)
        if name is None:
            data: Any = browse.list_minerals(ref, date)
            if output_format is BrowseFormat.json:
                _json(data)
            else:
                _render_minerals(data, date)
            return
        data = browse.mineral_detail(ref, name, date)
        if output_format is BrowseFormat.json:
            _json(data)
        else:
            _render_mineral(data)


def _top(shares: dict[str, float], n: int = 3) -> str:
    ranked = sorted(((c, v) for c, v in shares.items() if c != "OTHER"), key=lambda kv: -kv[1])
    return ", ".join(f"{c} {_share(v)}" for c, v in ranked[:n]) or "—"


def _render_minerals(data: list[dict[str, Any]], as_of: dt.date) -> None:
    table = _table(
        f"{len(data)} minerals (export controls as of {as_of.isoformat()})",
        [
            "id",
            "name",
            "symbol",
            "lists",
            "mining (top 3)",
            "processing (top 3)",
            "export controls",
        ],
    )
    for m in data:
        stages = m["stages"]
        active = [c for c in m["export_controls"] if c["status"] == "active"]
        suspended = [c for c in m["export_controls"] if c["status"] == "suspended"]
        controls = ", ".join(
            x
            for x in (
                f"{len(active)} active" if active else "",
                f"{len(suspended)} suspended" if suspended else "",
            )
            if x
        )
        table.add_row(
            _t(m["id"]),
            _t(m["name"]),
            _t(m["symbol"]),
            _t(" ".join(m["lists"]) or "—"),
            _t(
                _top(stages["mining"]["shares"]) if "mining" in stages else "no data",
                "" if "mining" in stages else "dim",
            ),
            _t(
                _top(stages["processing"]["shares"]) if "processing" in stages else "no data",
                "" if "processing" in stages else "dim",
            ),
            _t(controls or "—", "red" if active else ""),
        )
    out_console().print(table)


def _render_mineral(m: dict[str, Any]) -> None:
    from rich.text import Text

    console = out_console()
    head = Text()
    head.append(m["name"], style="bold")
    head.append(f"  ({m['id']}{', ' + m['symbol'] if m['symbol'] else ''})")
    console.print(head)
    for label, value in (
        ("family", m["family"]),
        ("lists", " ".join(m["lists"]) or "none"),
        ("aliases", ", ".join(m["aliases"]) or "none"),
        ("on the 2025 U.S. list", "yes" if "us_2025" in m["lists"] else "no"),
    ):
        console.print(Text(f"{label}: {value}"))
    if m.get("note"):
        console.print(Text(m["note"], style="dim"))
    for stage in ("mining", "processing"):
        data = m["stages"].get(stage)
        if data is None:
            console.print(
                Text(
                    f"{stage}: no data (no public country figure in the reference facts)",
                    style="yellow",
                )
            )
            continue
        console.print(
            Text(
                f"{stage}: {data['basis']}; data year {data['year']}, confidence "
                f"{data['confidence']}",
                style="bold",
            )
        )
        table = _table(None, ["country", "share"])
        for country, share in data["shares"].items():
            table.add_row(_t(country), _t(_share(share)))
        console.print(table)
        console.print(Text(f"source: {_source_text(data['source'])}", style="dim"))
        if data.get("note"):
            console.print(Text(f"note: {data['note']}", style="dim"))
    controls = m["export_controls"]
    if not controls:
        console.print(Text("export controls: none recorded"))
        return
    table = _table(
        f"China export controls (status as of {m['as_of']})",
        ["measure", "since", "status", "until", "scope"],
    )
    for c in controls:
        style = {"active": "red", "suspended": "yellow"}.get(c["status"], "")
        table.add_row(
            _t(c["measure"]), _t(c["since"]), _t(c["status"], style), _t(c["until"]), _t(c["scope"])
        )
    console.print(table)


# --- groups ------------------------------------------------------------------------------------


def groups_command(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="[NAME]", help="A group id or name (case-insensitive).", show_default=False
        ),
    ] = None,
    output_format: FormatOption = BrowseFormat.table,
    reference: ReferenceOption = None,
    as_of: AsOfOption = None,
    debug: DebugOption = False,
) -> None:
    """The dated policy groups (framework signatories, FORGE, FEOC covered nations, ...), or one
    group's members and whether each counts on --as-of."""
    set_prog(ctx)
    with handle_errors(debug):
        from exposure_audit.reference import queries as browse

        ref = _reference(reference)
        date = _as_of(as_of)
        if name is None:
            data: Any = browse.list_groups(ref)
            if output_format is BrowseFormat.json:
                _json(data)
                return
            table = _table(
                f"{len(data)} policy groups",
                ["id", "name", "kind", "as_of", "members", f"count on {date}"],
            )
            for g in data:
                counting = len(ref.group_members(g["id"], date))
                table.add_row(
                    _t(g["id"]),
                    _t(g["name"]),
                    _t(g["kind"]),
                    _t(g["as_of"]),
                    _t(len(g["members"])),
                    _t(counting),
                )
            out_console().print(table)
            return
        data = browse.group_detail(ref, name, date)
        if output_format is BrowseFormat.json:
            _json(data)
            return
        _render_group(data)


def _render_group(g: dict[str, Any]) -> None:
    from rich.text import Text

    console = out_console()
    console.print(Text(g["name"], style="bold"))
    statuses = g["counting_statuses"]
    for label, value in (
        ("id", g["id"]),
        ("kind", g["kind"]),
        ("as_of", g["as_of"]),
        ("roster complete", "yes" if g["complete"] else "no"),
        ("counting statuses", ", ".join(statuses) if statuses else "all"),
    ):
        console.print(Text(f"{label}: {value}"))
    table = _table(
        f"members (counted as of {g['evaluated_as_of']})",
        ["iso3", "name", "status", "date", "counts"],
    )
    for m in g["members"]:
        table.add_row(
            _t(m["iso3"]),
            _t(m["name"]),
            _t(m["status"]),
            _t(m["date"]),
            _t("yes" if m["counts"] else "no", "green" if m["counts"] else "dim"),
        )
    console.print(table)
    console.print(
        Text(
            f"{len(g['counting_members'])} countries count on "
            f"{g['evaluated_as_of']} (the EU expanded to its member states)"
        )
    )
    if g.get("note"):
        console.print(Text(g["note"], style="dim"))
    for source in g["sources"]:
        console.print(Text(f"source: {_source_text(source)}", style="dim"))


# --- materials ---------------------------------------------------------------------------------


def materials_command(
    ctx: typer.Context,
    query: Annotated[
        str | None,
        typer.Argument(
            metavar="[QUERY]",
            help='BOM text to map (e.g. "N52 12x5x3mm"), or an archetype id.',
            show_default=False,
        ),
    ] = None,
    output_format: FormatOption = BrowseFormat.table,
    reference: ReferenceOption = None,
    debug: DebugOption = False,
) -> None:
    """The material and component library, or which archetype a text maps to and why."""
    set_prog(ctx)
    with handle_errors(debug):
        from exposure_audit.reference import queries as browse

        ref = _reference(reference)
        if query is None:
            data: Any = browse.list_materials(ref)
            if output_format is BrowseFormat.json:
                _json(data)
                return
            table = _table(
                f"{len(data)} material archetypes",
                ["id", "name", "minerals (kg/kg)", "typical mass"],
            )
            for m in data:
                comp = (
                    ", ".join(
                        f"{k} {v:.3g}"
                        for k, v in sorted(m["composition"].items(), key=lambda kv: -kv[1])
                    )
                    or "none tracked"
                )
                mass = f"{m['typical_mass_kg']:g} kg" if m["typical_mass_kg"] else None
                table.add_row(_t(m["id"]), _t(m["name"]), _t(comp), _t(mass))
            out_console().print(table)
            return
        from exposure_audit.engine.mapping import explain_material

        data = explain_material(ref, query)
        if output_format is BrowseFormat.json:
            _json(data)
            return
        if data["kind"] == "archetype":
            _render_material(data["archetype"])
        else:
            _render_match(data)


def _render_material(m: dict[str, Any]) -> None:
    from rich.text import Text

    console = out_console()
    console.print(Text(f"{m['name']}  ({m['id']}, {m['category']})", style="bold"))
    for label, values in (
        ("aliases", m["aliases"]),
        ("patterns", m["patterns"]),
        ("excludes", m["exclude"]),
        ("CAS", m["cas"]),
    ):
        console.print(Text(f"{label}: {'; '.join(values) if values else 'none'}"))
    console.print(Text(f"priority: {m['priority']}"))
    table = _table(
        "composition (kg of mineral per kg of part)",
        ["mineral", "fraction", "range", "basis", "source"],
    )
    for c in m["components"]:
        rng = (
            f"{c['low']:.4g}–{c['high']:.4g}"
            if c["low"] is not None and c["high"] is not None
            else None
        )
        table.add_row(
            _t(c["mineral"]),
            _t(f"{c['fraction']:.4g}"),
            _t(rng),
            _t(c["basis"]),
            _t(_source_text(c["source"])),
        )
    console.print(table)
    if m["typical_mass"]:
        tm = m["typical_mass"]
        console.print(
            Text(f"typical mass: {tm['kg']:g} kg per {tm['per']} — {_source_text(tm['source'])}")
        )
    if m["note"]:
        console.print(Text(m["note"], style="dim"))


def _render_match(data: dict[str, Any]) -> None:
    from rich.text import Text

    console = out_console()
    match = data["match"]
    console.print(Text(f"text:   {data['query']}"))
    console.print(Text(f"folded: {data['folded']}", style="dim"))
    if match["archetype"] is None:
        console.print(Text("no archetype matches this text", style="yellow"))
    else:
        line = Text("maps to ")
        line.append(match["archetype"], style="bold")
        line.append(f" by {match['method']} (confidence {match['confidence']:.2f})")
        console.print(line)
    console.print(Text(f"why:    {match['reason']}"))
    for i, step in enumerate(data.get("path", ()), 1):
        console.print(Text(f"  {i}. {step}", style="dim"))
    if match["pattern"]:
        console.print(Text(f"rule:   {match['pattern']}"))
    if match["suggestions"]:
        console.print(Text(f"close:  {', '.join(match['suggestions'])}"))
    archetype = data["archetype"]
    if archetype:
        comp = ", ".join(f"{k} {v:.3g}" for k, v in archetype["composition"].items())
        console.print(Text(f"{archetype['name']}: {comp or 'no tracked mineral'}"))
        console.print(Text(f"source: {_source_text(archetype['source'])}", style="dim"))


# --- declarations ------------------------------------------------------------------------------


def declarations_command(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...",
            help="Suppliers' RMI CMRT/EMRT/CRT/AMRT files, or folders of them.",
            show_default=False,
        ),
    ],
    output_format: FormatOption = BrowseFormat.table,
    reference: ReferenceOption = None,
    debug: DebugOption = False,
) -> None:
    """What suppliers' RMI templates (CMRT/EMRT/CRT/AMRT) declare: per file the template,
    version, company and date, the de-duplicated smelter list, and every problem. Exits 2 when
    no file could be read."""
    set_prog(ctx)
    with handle_errors(debug):
        ref = _reference(reference)
        from exposure_audit.declarations.rmi import describe_declarations

        data = describe_declarations(files, aliases=dict(ref.countries.aliases))
        if output_format is BrowseFormat.json:
            _json(data)
        else:
            _render_declarations(data)
        if not data["files"]:
            error_line("none of the declarations could be read — see the problems listed")
            raise typer.Exit(2)


def _render_declarations(data: dict[str, Any]) -> None:
    from rich.text import Text

    console = out_console()
    table = _table(
        f"{len(data['files'])} declaration file(s)",
        [
            "file",
            "template",
            "version",
            "company",
            "date",
            "smelters",
            "not listed",
            "not identified",
            "mines",
            "metals",
        ],
    )
    for f in data["files"]:
        table.add_row(
            _t(Path(f["path"]).name),
            _t(f["template"]),
            _t(f["version"]),
            _t(f["company"]),
            _t(f["date"]),
            _t(f["smelter_rows"]),
            _t(f["not_listed"]),
            _t(f["not_identified"]),
            _t(f["mine_rows"]),
            _t(", ".join(f["metals"]) or None),
        )
    console.print(table)
    smelters = _table(
        f"{len(data['smelters'])} smelter(s), de-duplicated by RMI id",
        ["metal", "smelter", "country", "RMI id", "recycled"],
    )
    for s in data["smelters"]:
        smelters.add_row(
            _t(s["metal"]),
            _t(s["name"]),
            _t(s["country_iso3"] or s["country"]),
            _t(s["rmi_id"]),
            _t("yes" if s["recycled"] else "no"),
        )
    console.print(smelters)
    if data["mines"]:
        mines = _table(f"{len(data['mines'])} mine(s)", ["metal", "mine", "country"])
        for m in data["mines"]:
            mines.add_row(_t(m["metal"]), _t(m["name"]), _t(m["country_iso3"]))
        console.print(mines)
    from exposure_audit.cli.common import err_console

    err = err_console()
    for p in data["problems"]:
        hint = f" — {p['hint']}" if p.get("hint") else ""
        err.print(Text(f"problem: {p['message']}{hint}", style="yellow"))


reference_app = typer.Typer(
    help="Work with reference tables.", no_args_is_help=True, add_completion=False
)


@reference_app.command(
    "check", epilog="[bold]Examples[/bold]\n\n  exposure-audit reference check my-tables/"
)
def reference_check(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Folder of YAML tables.", show_default=False)
    ],
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Validate your own reference tables with the same rules as the bundled ones, layered over
    them; every problem is listed at once."""
    with handle_errors(debug):
        from exposure_audit.reference import load_reference

        reference = load_reference([directory])
        out_console().print(
            f"{directory}: OK — {len(reference.minerals)} minerals, {len(reference.supply)} "
            f"supply entries, {len(reference.materials)} materials, {len(reference.groups)} "
            "groups after layering",
            markup=False,
        )


def template_command(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="Where to write the .xlsx.")] = Path(
        "bom-template.xlsx"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Write a blank BOM template (.xlsx) with every column the audit reads."""
    with handle_errors(debug):
        from exposure_audit.report.template import template_bytes

        if path.exists() and not force:
            error_line(f"{path} exists — choose another name or add --force")
            raise typer.Exit(2)
        if path.suffix.lower() != ".xlsx":
            error_line(f"{path}: the template is an .xlsx file — name it *.xlsx")
            raise typer.Exit(2)
        write_atomic(path, template_bytes())
        out_console().print(f"wrote {path}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("minerals", epilog=MINERALS_EPILOG)(minerals_command)
    app.command("groups", epilog=GROUPS_EPILOG)(groups_command)
    app.command("materials", epilog=MATERIALS_EPILOG)(materials_command)
    app.command("declarations", epilog=DECLARATIONS_EPILOG)(declarations_command)
    app.add_typer(reference_app, name="reference")
    app.command(
        "template", epilog="[bold]Examples[/bold]\n\n  exposure-audit template my-bom.xlsx"
    )(template_command)
