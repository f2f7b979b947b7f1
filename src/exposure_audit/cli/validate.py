"""`exposure-audit validate`: read and map only, and show what was recognised."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from exposure_audit.cli.common import handle_errors, out_console, set_prog, stdout_write
from exposure_audit.cli.options import (
    Debug,
    Encoding,
    MappingFile,
    Maps,
    Reference,
    SaveMap,
    Sheet,
)

EPILOG = """\
[bold]Examples[/bold]

  exposure-audit validate bom.xlsx
  exposure-audit validate bom.csv --map quantity="Menge" --json
"""


def validate_command(
    ctx: typer.Context,
    bom: Annotated[Path, typer.Argument(metavar="BOM", help="The BOM file.", show_default=False)],
    sheet: Sheet = None,
    encoding: Encoding = None,
    maps: Maps = None,
    mapping: MappingFile = None,
    save_map: SaveMap = None,
    reference: Reference = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    strict: Annotated[
        bool, typer.Option(help="Exit 2 when the BOM has error-level issues.")
    ] = False,
    debug: Debug = False,
) -> None:
    """Read and map a BOM without scoring it: the sheet and header row found, how each column
    was recognised, how many lines map to a material, and every problem in the file."""
    set_prog(ctx)
    with handle_errors(debug):
        from exposure_audit.api import Options, load
        from exposure_audit.bom.columns import parse_map_options
        from exposure_audit.report.validation import render_validation, validation_dict

        loaded = load(
            bom,
            Options(
                sheet=sheet,
                encoding=encoding,
                column_map=parse_map_options(maps or []),
                reference_dirs=list(reference or []),
                mapping=mapping,
            ),
        )
        if save_map is not None:
            from exposure_audit.api import save_map as write_map
            from exposure_audit.api import unmapped_lines

            write_map(save_map, loaded.bom.columns.fields, unmapped_lines(loaded), mapping)
        if as_json:
            import json

            stdout_write(json.dumps(validation_dict(loaded), indent=2, ensure_ascii=False) + "\n")
        else:
            out_console().print(render_validation(loaded))
        if strict and loaded.issues.count("error"):
            raise typer.Exit(2)
