"""`exposure-audit audit` (also the `audit` console script)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from exposure_audit.cli.common import (
    FailOn,
    OutputFormat,
    Weighting,
    check_outputs,
    err_console,
    handle_errors,
    out_console,
    set_prog,
    stdout_write,
)
from exposure_audit.cli.options import (
    INPUT,
    OUTPUT,
    SCORING,
    Aligned,
    AsOf,
    ControlView,
    Debug,
    Details,
    Encoding,
    MappingFile,
    Maps,
    Owners,
    Policy,
    Quiet,
    Reference,
    Rules,
    SaveMap,
    Sheet,
    Waivers,
    Weight,
    audit_options,
)
from exposure_audit.cli.output import write_set, writing_stdout

EPILOG = """\
[bold]Examples[/bold]

  audit bom.xlsx
  audit bom.xlsx --format json --output report.json
  audit bom.csv --map description="Item Text" --fail-on high
  audit bom.xlsx --smelters supplier-cmrts/ --as-of 2026-06-30
  audit bom.xlsx -o report.json -o report.html -o report.md --waivers waivers.yaml
  audit bom.xlsx --baseline main-report.json --fail-on-increase 2 --fail-on high
  audit bom.xlsx --scenario china-export-controls --scenario cut:gallium:CHN:processing
  audit bom.xlsx --rules all --as-of 2027-01-01 --owners owners.csv
  audit bom.xlsx --rules crma -o crma-assessment.crma.xlsx
"""


def audit_command(
    ctx: typer.Context,
    boms: Annotated[
        list[Path],
        typer.Argument(
            metavar="BOM...",
            help="BOM files (.xlsx .xlsm .xls .xlsb .ods .csv .tsv .txt).",
            show_default=False,
        ),
    ],
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            "-f",
            help="What goes to stdout.",
            rich_help_panel=OUTPUT,
            envvar="EXPOSURE_AUDIT_FORMAT",
        ),
    ] = OutputFormat.table,  # type: ignore[attr-defined]
    outputs: Annotated[
        list[Path] | None,
        typer.Option(
            "--output",
            "-o",
            help="Also write a report file; the format follows the suffix "
            "(.json .csv .xlsx .md .html .pdf .sarif .txt). Repeatable.",
            rich_help_panel=OUTPUT,
            show_default=False,
        ),
    ] = None,
    sheet: Sheet = None,
    encoding: Encoding = None,
    maps: Maps = None,
    mapping: MappingFile = None,
    save_map: SaveMap = None,
    reference: Reference = None,
    smelters: Annotated[
        list[Path] | None,
        typer.Option(
            "--smelters",
            help="A supplier's RMI CMRT/EMRT/CRT/AMRT file, or a folder of them. Repeatable.",
            rich_help_panel=INPUT,
            envvar="EXPOSURE_AUDIT_SMELTERS",
            show_default=False,
        ),
    ] = None,
    policy: Policy = None,
    aligned: Aligned = None,
    weight: Weight = Weighting.auto,
    as_of: AsOf = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            metavar="NAME",
            help="What-if supply cut: china-export-controls[:include-"
            "suspended], china-cutoff, covered-nations-cutoff, processing-only, "
            "cut:MINERALS:COUNTRIES[:STAGES] (e.g. cut:gallium:CHN:processing) or a scenarios "
            ".yaml file. Repeatable.",
            rich_help_panel=SCORING,
            envvar="EXPOSURE_AUDIT_SCENARIO",
            show_default=False,
        ),
    ] = None,
    price_shock: Annotated[
        list[str] | None,
        typer.Option(
            "--price-shock",
            metavar="MINERAL=+PCT",
            help="Cost impact of a price change on each "
            "line, from its contained mass and the reference price, e.g. neodymium=+50. "
            "Repeatable.",
            rich_help_panel=SCORING,
            envvar="EXPOSURE_AUDIT_PRICE_SHOCK",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            help="Exit 1 when a finding is at or above this severity.",
            rich_help_panel=SCORING,
            envvar="EXPOSURE_AUDIT_FAIL_ON",
        ),
    ] = FailOn.none,
    waivers: Waivers = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            metavar="REPORT.json",
            help="A JSON report to compare with (e.g. the "
            "main branch's): adds a `baseline` section; exit 1 when the score rose by more than "
            "--fail-on-increase or a finding is new at or above --fail-on (high when --fail-on is "
            "none). Exit 1 if either this or --fail-on trips.",
            rich_help_panel=SCORING,
            envvar="EXPOSURE_AUDIT_BASELINE",
            show_default=False,
        ),
    ] = None,
    fail_on_increase: Annotated[
        float,
        typer.Option(
            "--fail-on-increase",
            metavar="POINTS",
            min=0,
            help="With --baseline: exit 1 when the score rose by more than POINTS (0: any rise).",
            rich_help_panel=SCORING,
            envvar="EXPOSURE_AUDIT_FAIL_ON_INCREASE",
        ),
    ] = 0,
    strict: Annotated[
        bool,
        typer.Option(
            help="Error-level row issues stop the audit (exit 2).",
            rich_help_panel=SCORING,
            envvar="EXPOSURE_AUDIT_STRICT",
        ),
    ] = False,
    rules: Rules = None,
    control_view: ControlView = False,
    owners: Owners = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Several BOMs: audit them in this many local processes (default: one per core).",
            rich_help_panel=INPUT,
            envvar="EXPOSURE_AUDIT_WORKERS",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Several BOMs: run them on a Dask distributed cluster, e.g. tcp://HOST:8786 "
            '(pip install "exposure-audit[distributed]").',
            rich_help_panel=INPUT,
            envvar="EXPOSURE_AUDIT_SCHEDULER",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Several BOMs: skip each BOM whose content already has a record in the "
            "--output .jsonl file, keeping that record.",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    quiet: Quiet = False,
    details: Details = False,
    debug: Debug = False,
) -> None:
    """Audit a bill of materials: which critical minerals it holds, how much of their supply
    runs through China and covered nations, and how much through aligned countries."""
    set_prog(ctx)
    with handle_errors(debug):
        ahead = None
        if len(boms) == 1 and boms[0].is_file() and encoding is None:
            from exposure_audit.bom.ahead import start

            ahead = start(boms[0], sheet)  # parses while pandas and the engine are imported
        from exposure_audit.api import audit
        from exposure_audit.cli.progress import spinner
        from exposure_audit.errors import UsageError

        several = (
            len(boms) > 1
            or any(b.is_dir() for b in boms)
            or bool(resume or scheduler)
            or any(o.suffix.lower() in (".jsonl", ".parquet") for o in outputs or [])
        )  # a portfolio, even of one BOM
        checked = [] if several else check_outputs(outputs or [], boms)
        options = audit_options(
            sheet=sheet,
            encoding=encoding,
            maps=maps,
            reference=reference,
            policy=policy,
            aligned=aligned,
            weight=weight,
            as_of=as_of,
            waivers=waivers,
            strict=strict,
            smelters=list(smelters or []),
            scenarios=list(scenario or []),
            price_shocks=list(price_shock or []),
            rules=_with_crma(rules, output_format.value, checked),
            control_view=control_view,
            owners=owners,
            mapping=mapping,
        )
        if output_format.value in ("xlsx", "pdf") and sys.stdout.isatty():
            kind = "workbook" if output_format.value == "xlsx" else "document"
            raise UsageError(
                f"--format {output_format.value} writes a binary {kind}, not for a terminal",
                f"use --output report.{output_format.value}, or redirect stdout to a file",
            )
        if "pdf" in (output_format.value, *(name for _, name in checked)):
            _check_browser()  # before the audit, not after it
        if several:
            from exposure_audit.cli import portfolio

            raise typer.Exit(
                portfolio.run(
                    boms,
                    options,
                    output_format.value,
                    list(outputs or []),
                    quiet,
                    fail_on.value,
                    workers=workers,
                    scheduler=scheduler,
                    resume=resume,
                )
            )
        baseline_report = None
        if baseline:  # diff.py only when there is a baseline to compare with
            from exposure_audit.api import attach_baseline
            from exposure_audit.report.json import load_report

            baseline_report = load_report(baseline, "--baseline")
        with spinner(f"Auditing {boms[0]}…", quiet):
            result = audit(boms[0], options, ahead)
        if save_map is not None:
            from exposure_audit.api import save_map as write_map

            unmapped = [
                (u.part_number, u.description, u.suggestions) for u in result.report.unmapped
            ]
            write_map(save_map, result.report.input.columns, unmapped, mapping)
        if not quiet:
            warn_declaration_problems(result)
            warn_waivers(result)
        gate = None
        if baseline_report is not None:
            # Like `diff`: new findings at or above --fail-on count, at or above high when
            # --fail-on is none. Either this gate or --fail-on's makes the exit code 1.
            gate = attach_baseline(
                result,
                baseline_report,
                fail_on=fail_on.value if fail_on.value != "none" else "high",
                fail_on_increase=fail_on_increase,
                label=str(baseline),
            )
        emit(result, output_format.value, checked, quiet, details)
        code = exit_code_for(result, fail_on.value)
        raise typer.Exit(max(code, gate.exit_code if gate is not None else 0))


def _check_browser() -> None:
    """A PDF needs a browser to print it: say so before auditing (exit 2)."""
    from exposure_audit.report.browser import find_chromium
    from exposure_audit.report.pdf import no_browser

    if find_chromium() is None:
        raise no_browser()


def _with_crma(rules: list[str] | None, fmt: str, checked: list[tuple[Path, str]]) -> list[str]:
    """`--rules` plus the crma pack when a CRMA assessment is asked for."""
    chosen = list(rules or [])
    wanted = fmt.startswith("crma") or any(name.startswith("crma") for _, name in checked)
    if wanted and not any(r in ("all", "crma") for x in chosen for r in x.split(",")):
        chosen.append("crma")
    return chosen


def warn_declaration_problems(result) -> None:
    """Supplier files that could not be used are warnings: the audit went on without them."""
    from rich.text import Text

    from exposure_audit.cli.common import prog_name

    declarations = result.report.extras.get("declarations") or {}
    console = err_console()
    for problem in declarations.get("problems", []):
        hint = f" — {problem['hint']}" if problem.get("hint") else ""
        console.print(
            Text(
                f"{prog_name()}: warning: {problem['path']}: {problem['message']}{hint}",
                style="yellow",
            )
        )


def warn_waivers(result) -> None:
    """Expired waivers and waivers that match nothing are warnings, one line each."""
    from rich.text import Text

    from exposure_audit.cli.common import prog_name
    from exposure_audit.engine.waivers import warnings

    console = err_console()
    for line in warnings(result.report.extras.get("waivers")):
        console.print(Text(f"{prog_name()}: warning: {line}", style="yellow"))


def emit(
    result, output_format: str, checked: list[tuple[Path, str]], quiet: bool, details: bool = False
) -> None:
    """Print the chosen format to stdout, then write each --output file atomically; the
    terminal report in full with `details`.

    Only the formatters used are imported (the table needs rich, the others do not)."""
    if output_format == "table":
        from exposure_audit.report.table import build

        console = out_console()
        with writing_stdout():
            console.print(build(result, console.width, details))
    else:
        stdout_write(_render(output_format, result))
    # All files of the set are written in full, then replaced together (all or none).
    write_set((path, _render(fmt, result)) for path, fmt in checked)
    if not quiet:
        for path, _ in checked:
            err_console().print(f"wrote {path}", style="dim", markup=False)


def _render(name: str, result) -> str | bytes | Iterable[str]:
    """The report in format `name`: whole, or in pieces from formatters that write large
    reports that way (`chunks`: JSON), so it is never all in memory at once."""
    from exposure_audit.errors import UsageError
    from exposure_audit.report import formatter

    found = formatter(name)
    if found is None:
        raise UsageError(f"the {name} format is not available yet", "use --format json or table")
    chunks = getattr(found, "chunks", None)
    return chunks(result) if chunks is not None else found.render(result)


def exit_code_for(result, fail_on: str) -> int:
    """0, or 1 when a finding's severity is at or above `fail_on` (never for `none`), or when
    the product is `insufficient` (below the coverage floor: the score cannot pass a gate), the
    reason then on stderr."""
    from exposure_audit.reference.models import SEVERITY_ORDER

    if fail_on == "none":
        return 0
    coverage = result.summary.coverage
    if coverage.insufficient:
        sys.stderr.write(
            f"audit: --fail-on {fail_on}: {result.report.input.path}: insufficient, "
            f"{coverage.reason}\n"
        )
        return 1
    gate = SEVERITY_ORDER[fail_on]
    tripped = [f for f in result.findings if SEVERITY_ORDER.get(f.severity, 0) >= gate]
    if tripped:
        # NOTE: stdout may be a report piped elsewhere; the reason for exit 1 goes to stderr.
        worst = max(tripped, key=lambda f: SEVERITY_ORDER.get(f.severity, 0))
        sys.stderr.write(
            f"audit: --fail-on {fail_on}: {result.report.input.path}: {len(tripped)} "
            f"finding(s) at or above {fail_on}; worst: {worst.severity} {worst.id}\n"
        )
    return int(bool(tripped))
