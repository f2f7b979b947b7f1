"""`exposure-audit rules [ID]`: the dated rule packs, and what one of them checks."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from exposure_audit.cli.common import handle_errors, out_console, set_prog, stdout_write
from exposure_audit.cli.options import OUTPUT, AsOf, Debug, Reference, parse_date

EPILOG = """\
[bold]Examples[/bold]

  exposure-audit rules
  exposure-audit rules dfars-7052
  exposure-audit rules --as-of 2027-01-01 --format json
  audit bom.xlsx --rules dfars-7052,crma --as-of 2027-01-02
"""


class RulesFormat(str, Enum):  # noqa: UP042 - like the other option enums
    table = "table"
    json = "json"


def rules_command(
    ctx: typer.Context,
    rule_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[ID]", help="A rule pack id (or prefix) to explain.", show_default=False
        ),
    ] = None,
    output_format: Annotated[
        RulesFormat,
        typer.Option("--format", "-f", help="What goes to stdout.", rich_help_panel=OUTPUT),
    ] = RulesFormat.table,
    as_of: AsOf = None,
    reference: Reference = None,
    debug: Debug = False,
) -> None:
    """List the rule packs (each dated and sourced), or explain one: what it checks per BOM
    line, its phases and thresholds, what it cannot know and every source. Screening, not
    legal advice."""
    set_prog(ctx)
    with handle_errors(debug):
        import datetime as dt
        import json

        from exposure_audit.reference.rules import load_rules
        from exposure_audit.report import rules as view

        book = load_rules(list(reference or []))
        when = parse_date(as_of) or dt.date.today()
        packs = book.select([rule_id]) if rule_id else book.select([])
        if output_format is RulesFormat.json:
            data = (
                view.pack_dict(packs[0], when, full=True)
                if rule_id
                else view.catalogue_dict(packs, when)
            )
            stdout_write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        elif rule_id:
            stdout_write(view.explain_text(packs[0], when))
        else:
            out_console().print(view.render_catalogue(packs, when))
