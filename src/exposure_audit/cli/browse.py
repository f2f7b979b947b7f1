"""Commands that show the reference data and write helper files: minerals, groups, materials,
reference check, template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from exposure_audit.cli.common import error_line, handle_errors, out_console, write_atomic

reference_app = typer.Typer(help="Work with reference tables.", no_args_is_help=True,
                            add_completion=False)


@reference_app.command("check", epilog="[bold]Examples[/bold]\n\n  exposure-audit reference check my-tables/")
def reference_check(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder of YAML tables.",
                                              show_default=False)],
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
            "groups after layering", markup=False)


def template_command(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="Where to write the .xlsx.")] = Path(
        "bom-template.xlsx"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Write a blank BOM template (.xlsx) with every column the audit reads."""
    with handle_errors(debug):
        from exposure_audit.template import template_bytes

        if path.exists() and not force:
            error_line(f"{path} exists — choose another name or add --force")
            raise typer.Exit(2)
        if path.suffix.lower() != ".xlsx":
            error_line(f"{path}: the template is an .xlsx file — name it *.xlsx")
            raise typer.Exit(2)
        write_atomic(path, template_bytes())
        out_console().print(f"wrote {path}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(reference_app, name="reference")
    app.command("template", epilog="[bold]Examples[/bold]\n\n  exposure-audit template my-bom.xlsx")(
        template_command)
