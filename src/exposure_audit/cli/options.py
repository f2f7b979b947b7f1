"""Options several commands share (audit, diff, validate), declared once so their names, help
and environment variables never drift apart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from exposure_audit.cli.common import Weighting

if TYPE_CHECKING:
    from exposure_audit.api import Options

INPUT = "Input"
SCORING = "Scoring"
OUTPUT = "Output"

Sheet = Annotated[
    str | None,
    typer.Option(
        help="Sheet to read (default: the first with a recognisable header).",
        rich_help_panel=INPUT,
        envvar="EXPOSURE_AUDIT_SHEET",
    ),
]


def _check_encoding(value: str | None) -> str | None:
    """A text encoding Python knows, by its canonical name (utf-8 also reads a BOM)."""
    if not value:
        return None
    import codecs

    try:
        info = codecs.lookup(value)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise typer.BadParameter(
            f"unknown text encoding {value!r}; use a name such as utf-8, cp1252, shift_jis or gbk"
        )
    return "utf-8-sig" if info.name == "utf-8" else info.name


Encoding = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        metavar="NAME",
        help="Text encoding of a .csv/.tsv BOM, e.g. cp1252, shift_jis, gbk (default: "
        "detected: UTF-8, UTF-16, CJK encodings, else cp1252). Spreadsheets ignore it.",
        rich_help_panel=INPUT,
        envvar="EXPOSURE_AUDIT_ENCODING",
        callback=_check_encoding,
        show_default=False,
    ),
]
Maps = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="FIELD=HEADER",
        help='Name the column for a field, e.g. --map description="Item Text". Repeatable.',
        rich_help_panel=INPUT,
        show_default=False,
    ),
]
MappingFile = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        metavar="FILE",
        help="A team's column and part mappings (YAML: columns: {field: header}, "
        "parts: {part number or description: archetype id}); --map wins over its columns.",
        rich_help_panel=INPUT,
        envvar="EXPOSURE_AUDIT_MAPPING",
        exists=True,
        dir_okay=False,
        readable=True,
        show_default=False,
    ),
]
SaveMap = Annotated[
    Path | None,
    typer.Option(
        "--save-map",
        metavar="FILE",
        help="Write the columns used and the --mapping parts, plus each unmapped line as "
        "`null` with its closest archetypes, to a mapping file to fill in.",
        rich_help_panel=INPUT,
        dir_okay=False,
        show_default=False,
    ),
]
Reference = Annotated[
    list[Path] | None,
    typer.Option(
        "--reference",
        help="Folder of your own reference tables, layered over the bundled ones. Repeatable.",
        rich_help_panel=INPUT,
        envvar="EXPOSURE_AUDIT_REFERENCE",
        show_default=False,
    ),
]
Policy = Annotated[
    Path | None,
    typer.Option(
        help="A policy.yaml replacing the default policy.",
        rich_help_panel=SCORING,
        envvar="EXPOSURE_AUDIT_POLICY",
    ),
]
Aligned = Annotated[
    list[str] | None,
    typer.Option(
        help="Policy group whose members count as aligned (see `exposure-audit groups`). "
        "Repeatable; replaces the policy's list.",
        rich_help_panel=SCORING,
        envvar="EXPOSURE_AUDIT_ALIGNED",
        show_default=False,
    ),
]
Weight = Annotated[
    Weighting,
    typer.Option(
        help="Line weights for the product score: spend, contained mass, count, or auto.",
        rich_help_panel=SCORING,
        envvar="EXPOSURE_AUDIT_WEIGHT",
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Policy groups and export controls as of this date (YYYY-MM-DD; default today).",
        rich_help_panel=SCORING,
        envvar="EXPOSURE_AUDIT_AS_OF",
    ),
]
Waivers = Annotated[
    Path | None,
    typer.Option(
        "--waivers",
        metavar="FILE",
        help="YAML list of accepted findings (id or rule, optional "
        "part or mineral, reason, expires); waived findings do not count for --fail-on. "
        "Default: .exposure-audit-waivers.yaml when present.",
        rich_help_panel=SCORING,
        envvar="EXPOSURE_AUDIT_WAIVERS",
        show_default=False,
    ),
]
RULES = "Rules"
Rules = Annotated[
    list[str] | None,
    typer.Option(
        "--rules",
        metavar="PACKS",
        help="Rule packs to check per line: all, or ids such as dfars-7052,crma,eu-battery "
        "(see `exposure-audit rules`). Comma-separated or repeatable. Screening, not legal advice.",
        rich_help_panel=RULES,
        envvar="EXPOSURE_AUDIT_RULES",
        show_default=False,
    ),
]
ControlView = Annotated[
    bool,
    typer.Option(
        "--control-view",
        help="Score on China-controlled shares (output elsewhere controlled by Chinese "
        "companies, where published: ownership.yaml) instead of China-located shares.",
        rich_help_panel=RULES,
        envvar="EXPOSURE_AUDIT_CONTROL_VIEW",
    ),
]
Owners = Annotated[
    Path | None,
    typer.Option(
        "--owners",
        metavar="FILE",
        help="Supplier ownership table (.csv/.xlsx: supplier, owner, country, percent) for the "
        "FEOC 25% test and the control view.",
        rich_help_panel=RULES,
        envvar="EXPOSURE_AUDIT_OWNERS",
        show_default=False,
    ),
]
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="No status lines on stderr.",
        rich_help_panel=OUTPUT,
        envvar="EXPOSURE_AUDIT_QUIET",
    ),
]
Details = Annotated[
    bool,
    typer.Option(
        "--details",
        help="The terminal report in full: every mineral by stage, every finding and action "
        "(default: the summary, riskiest lines and most severe findings).",
        rich_help_panel=OUTPUT,
        envvar="EXPOSURE_AUDIT_DETAILS",
    ),
]
Debug = Annotated[
    bool,
    typer.Option(help="Show tracebacks.", rich_help_panel=OUTPUT, envvar="EXPOSURE_AUDIT_DEBUG"),
]


def audit_options(
    *,
    sheet: str | None,
    maps: list[str] | None,
    reference: list[Path] | None,
    policy: Path | None,
    aligned: list[str] | None,
    weight: Weighting,
    as_of: str | None,
    waivers: Path | None,
    **more: Any,
) -> Options:
    """The library `Options` from the shared options (`more`: command-specific fields).

    Raises `UsageError` for a malformed --map or --as-of."""
    from exposure_audit.api import Options
    from exposure_audit.bom.columns import parse_map_options
    from exposure_audit.engine.waivers import default_waiver_file

    return Options(
        sheet=sheet,
        column_map=parse_map_options(maps or []),
        reference_dirs=list(reference or []),
        policy_file=policy,
        aligned_groups=list(aligned or []),
        weighting=None if weight.value == "auto" else weight.value,
        as_of=parse_date(as_of),
        waivers=waivers or default_waiver_file(),
        **more,
    )


def parse_date(value: str | None) -> dt.date | None:
    from exposure_audit.errors import UsageError

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of {value!r} is not a date", "write it as YYYY-MM-DD") from None
