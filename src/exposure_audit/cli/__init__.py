"""The command-line interface: a thin layer that parses options, calls the API and prints.

Heavy modules (pandas, rich, the reference tables) are imported inside the commands, so
`--help` and `--version` start fast.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
from typing import Annotated, Any, NoReturn

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
    browse.register(application)
    _plain_help(application)
    return application


def _app() -> typer.Typer:
    application = globals().get("app")
    if application is None:
        application = globals()["app"] = _build_app()
    return application


def __getattr__(name: str) -> Any:
    """`app`, built on first use."""
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def _run(application: typer.Typer, prog: str) -> NoReturn:
    """Run a Typer app; anything that escapes the commands' own handlers exits 3, never 1."""
    try:
        application(prog_name=prog)
    except SystemExit as done:
        _exit(done.code)
    except KeyboardInterrupt:
        _exit(130)  # as a shell reports Ctrl-C
    except BaseException as exc:  # noqa: BLE001
        sys.stderr.write(
            f"{prog}: error: internal error ({type(exc).__name__}: {exc}) — "
            "this is a bug; please report it\n"
        )
        _exit(3)
    _exit(0)


def _exit(code: object) -> NoReturn:
    """End the process as soon as its output is out. The interpreter's own shutdown would free
    every object of a large audit one by one (0.2 s after a 100,000-line audit) for nothing;
    every file the tool writes is closed by then."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        sys.stderr.write(f"{code}\n")
        status = 1
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe (`| head`) leaves nothing more to say.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


def main() -> None:
    """Entry point of `exposure-audit` and `python -m exposure_audit`."""
    _tune_allocator()
    if sys.argv[1:2] == ["audit"] and _prefetch(sys.argv[2:]):
        _pause_gc()
    _run(_app(), "exposure-audit")


def audit_main() -> None:
    """Entry point of `audit`: the audit command directly, so `audit bom.xlsx` works."""
    _tune_allocator()
    if _prefetch(sys.argv[1:]):
        _pause_gc()
    _run(audit_app, "audit")


def _pause_gc() -> None:
    """A one-BOM audit runs with cyclic collection paused (`gc_paused`, to the end of the
    process): paused from here on, Typer's start-up (a pydantic adapter per option) does not
    pay for collections either (~10 ms)."""
    gc.disable()


def _tune_allocator() -> None:
    """Keep the memory a large audit frees for its next steps, instead of handing it back to
    the system and faulting it in again.

    NOTE: an audit of a million lines allocates and frees hundreds of megabytes of columns in
    a second. By default glibc maps each large array and unmaps it when freed: the page
    faults, unmaps and TLB flushes across threads took 0.3-1 s of system time on a 1M-line
    CSV. Served from a heap that is kept, the median wall time fell 16% (10 interleaved
    runs). (2 MiB pages for pyarrow's mimalloc, tried too, cost more CPU in zeroing pages
    than they saved.)

    NOTE: numpy asks for 2 MiB pages for every array of 4 MiB or more; on a busy host the
    kernel then compacts memory to find them, stalling the faulting thread: 0.8 s of system
    time against 0.34 s without (median wall 1.80 -> 1.37 s, 10 interleaved runs). numpy
    reads NUMPY_MADVISE_HUGEPAGE when it loads, so this runs before any import of it; a value
    the user set is kept."""
    if {"--help", "-h", "--version"} & set(sys.argv[1:]):
        return  # nothing large comes, and help is printed a few ms sooner
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return  # not glibc: its own defaults stand
    mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: arrays up to 1 GiB from the heap
    mallopt(-1, (1 << 31) - 1)  # M_TRIM_THRESHOLD: freed heap memory kept for reuse


def _prefetch(args: list[str]) -> bool:
    """Start parsing the BOM of `audit BOM ...` before Typer builds and parses the command line
    (0.1 s), when the BOM is the first argument and the only file named: `audit_command` starts
    it otherwise. Whether it started."""
    from pathlib import Path

    files = [a for a in args if not a.startswith("-") and Path(a).suffix and Path(a).is_file()]
    if not args or files != args[:1]:
        return False
    sheets = [v for k, v in zip(args, args[1:], strict=False) if k == "--sheet"]
    sheets += [a.partition("=")[2] for a in args if a.startswith("--sheet=")]
    if len(sheets) <= 1:
        from exposure_audit.bom import prefetch

        prefetch.start(Path(args[0]), sheets[0] if sheets else None)
        return True
    return False
