"""`exposure-audit diff OLD NEW`: what changed between two BOMs or two JSON reports."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from exposure_audit.api import Options

from exposure_audit.cli.common import (
    FailOn,
    Weighting,
    handle_errors,
    out_console,
    set_prog,
    stdout_write,
)
from exposure_audit.cli.options import (
    OUTPUT,
    Aligned,
    AsOf,
    Debug,
    Maps,
    Policy,
    Quiet,
    Reference,
    Rules,
    Sheet,
    Waivers,
    Weight,
    audit_options,
)

INPUT = "Input (BOMs are audited with these)"
GATE = "Gate"

EPILOG = """\
[bold]Examples[/bold]

  exposure-audit diff main-report.json report.json
  exposure-audit diff bom-v1.xlsx bom-v2.xlsx --fail-on-increase 5
  exposure-audit diff main.json bom.xlsx --format markdown >> "$GITHUB_STEP_SUMMARY"
  exposure-audit diff old.csv new.csv --fail-on critical --format json
  exposure-audit diff bom.xlsx bom.xlsx --rules all --old-as-of 2026-12-31 --new-as-of 2027-01-02
"""


class DiffFormat(str, Enum):  # noqa: UP042 - like the other option enums in cli/common.py
    table = "table"
    json = "json"
    markdown = "markdown"


def diff_command(
    ctx: typer.Context,
    old: Annotated[
        Path,
        typer.Argument(
            metavar="OLD",
            help="The earlier BOM or JSON report (e.g. the main branch's).",
            show_default=False,
        ),
    ],
    new: Annotated[
        Path,
        typer.Argument(metavar="NEW", help="The later BOM or JSON report.", show_default=False),
    ],
    output_format: Annotated[
        DiffFormat,
        typer.Option(
            "--format",
            "-f",
            help="What goes to stdout.",
            rich_help_panel=OUTPUT,
            envvar="EXPOSURE_AUDIT_DIFF_FORMAT",
        ),
    ] = DiffFormat.table,
    fail_on_increase: Annotated[
        float,
        typer.Option(
            "--fail-on-increase",
            metavar="POINTS",
            min=0,
            help="Exit 1 when the score rises by more than POINTS (0: any rise).",
            rich_help_panel=GATE,
            envvar="EXPOSURE_AUDIT_FAIL_ON_INCREASE",
        ),
    ] = 0,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            help="Exit 1 when a new finding is at or above this severity (none: never).",
            rich_help_panel=GATE,
            envvar="EXPOSURE_AUDIT_DIFF_FAIL_ON",
        ),
    ] = FailOn.high,
    sheet: Sheet = None,
    maps: Maps = None,
    reference: Reference = None,
    policy: Policy = None,
    aligned: Aligned = None,
    weight: Weight = Weighting.auto,
    as_of: AsOf = None,
    waivers: Waivers = None,
    rules: Rules = None,
    old_as_of: Annotated[
        str | None,
        typer.Option(
            "--old-as-of",
            metavar="DATE",
            help="Audit OLD as of this date (default --as-of): with the same BOM twice, the "
            "findings a rule's next phase adds show as new.",
            rich_help_panel=INPUT,
        ),
    ] = None,
    new_as_of: Annotated[
        str | None,
        typer.Option(
            "--new-as-of",
            metavar="DATE",
            help="Audit NEW as of this date (default --as-of).",
            rich_help_panel=INPUT,
        ),
    ] = None,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Compare two BOMs or two JSON reports: lines added, removed and changed (supplier,
    country, material, quantity) with the change in each line's exposure and in the product
    score, and findings that are new or resolved. Exits 1 when the score rises by more than
    --fail-on-increase points or a new finding is at or above --fail-on; 0 otherwise; 2 when
    an input cannot be read."""
    set_prog(ctx)
    with handle_errors(debug):
        import json

        from exposure_audit.api import diff
        from exposure_audit.cli.progress import spinner
        from exposure_audit.report.diff import build_text, render_markdown

        def options_on(day: str | None) -> Options:
            return audit_options(
                as_of=day,
                sheet=sheet,
                maps=maps,
                reference=reference,
                policy=policy,
                aligned=aligned,
                weight=weight,
                waivers=waivers,
                rules=list(rules or []),
            )

        options = options_on(old_as_of or as_of)
        new_options = options_on(new_as_of or as_of)
        with spinner(f"Comparing {old} and {new}…", quiet):
            result = diff(
                old,
                new,
                options,
                fail_on=fail_on.value,
                fail_on_increase=fail_on_increase,
                new_options=new_options,
            )
        data = result.to_dict()
        if output_format is DiffFormat.json:
            stdout_write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        elif output_format is DiffFormat.markdown:
            stdout_write(render_markdown(data))
        else:
            out_console().print(build_text(data))
        raise typer.Exit(result.exit_code)
