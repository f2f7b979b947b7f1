"""The command-line interface: a thin layer that parses options, calls the API and prints.

Heavy modules (pandas, rich, the reference tables) are imported inside the commands, so
`--help` and `--version` start fast.
"""

from __future__ import annotations

import re
import sys
from typing import Annotated

import typer

from exposure_audit.cli.audit import EPILOG as AUDIT_EPILOG
from exposure_audit.cli.audit import audit_command

HELP = (
    "How exposed a bill of materials is to China-dominated critical-mineral supply chains, and "
    "how well its sourcing lines up with the U.S. critical-minerals frameworks."
)

EPILOG = """\
Examples

\b
  audit bom.xlsx                               the audit, in the terminal
  exposure-audit validate bom.xlsx             what was recognised, before scoring
  exposure-audit diff main.json bom.xlsx       what a change did to the exposure
  exposure-audit minerals gallium              the reference data behind a mineral
  exposure-audit materials "N52 12x5x3mm"      how a BOM text maps to a material
"""


def _version(value: bool) -> None:
    if value:
        from exposure_audit.cli.info import version_text

        typer.echo(version_text())
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Show the tool and reference-data versions and exit.",
        ),
    ] = False,
) -> None:
    """How exposed a bill of materials is to China-dominated critical-mineral supply chains."""


def _build_app() -> typer.Typer:
    """The `exposure-audit` app with every command. Built on first use (`main`, or `app`
    imported from here): the `audit` script never loads the other commands' modules."""
    from exposure_audit.cli import browse
    from exposure_audit.cli.diff import EPILOG as DIFF_EPILOG
    from exposure_audit.cli.diff import diff_command
    from exposure_audit.cli.rules import EPILOG as RULES_EPILOG
    from exposure_audit.cli.rules import rules_command
    from exposure_audit.cli.validate import EPILOG as VALIDATE_EPILOG
    from exposure_audit.cli.validate import validate_command

    application = typer.Typer(
        name="exposure-audit",
        help=HELP,
        epilog=EPILOG,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    application.callback()(root)
    application.command("audit", epilog=AUDIT_EPILOG)(audit_command)
    application.command("validate", epilog=VALIDATE_EPILOG)(validate_command)
    application.command("diff", epilog=DIFF_EPILOG)(diff_command)
    application.command("rules", epilog=RULES_EPILOG)(rules_command)
    browse.register(application)
    _plain_help(application)
    return application


audit_app = typer.Typer(
    name="audit",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
audit_app.command(epilog=AUDIT_EPILOG)(audit_command)


def plain_epilog(epilog: str | None) -> str | None:
    """An epilog written with rich markup ("[bold]Examples[/bold]" and indented command lines)
    as click's plain help shows it: the heading as text, the examples kept line by line (the
    \\b marker stops click from re-wrapping them into one paragraph)."""
    if not epilog:
        return epilog
    text = re.sub(r"\[/?bold\]", "", epilog)
    paragraphs = text.strip("\n").split("\n\n")
    return "\n\n".join(
        f"\b\n{p}" if any(line.startswith("  ") for line in p.splitlines()) else p
        for p in paragraphs
    )


def _plain_help(application: typer.Typer) -> None:
    """Help without rich: typer's rich help imports rich.markdown, rich.syntax and pygments
    (~70 ms, half of `--help`), so every app and sub-app renders click's plain help, and the
    epilogs lose their rich markup. Help panels (rich_help_panel) are not shown in plain help."""
    application.rich_markup_mode = None
    for command in application.registered_commands:
        command.epilog = plain_epilog(command.epilog)
    for group in application.registered_groups:
        if group.typer_instance is not None:
            _plain_help(group.typer_instance)


_plain_help(audit_app)


def _run(application: typer.Typer, prog: str) -> None:
    """Run a Typer app; anything that escapes the commands' own handlers exits 3, never 1
    (a pipeline that tolerates findings must never tolerate a crash)."""
    try:
        application(prog_name=prog)
    except KeyboardInterrupt:
        sys.exit(130)  # as a shell reports Ctrl-C
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001
        sys.stderr.write(
            f"{prog}: error: internal error ({type(exc).__name__}: {exc}) — "
            "this is a bug; please report it\n"
        )
        sys.exit(3)


def main() -> None:
    """Entry point of `exposure-audit` and `python -m exposure_audit`."""
    _run(app, "exposure-audit")


def audit_main() -> None:
    """Entry point of `audit`: the audit command directly, so `audit bom.xlsx` works."""
    _run(audit_app, "audit")


app = _build_app()
