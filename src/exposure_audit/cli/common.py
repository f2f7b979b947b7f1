"""What every command shares: consoles, error handling, exit codes, safe output files."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterable, Iterator, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

PROG = "exposure-audit"
ISSUE_URL = "https://github.com/exposure-audit/exposure-audit/issues"

# Names only: the formatters themselves are imported when a report is rendered, so `--help`
# stays fast. A test checks this list against report.all_formatters().
FORMAT_NAMES: tuple[str, ...] = (
    "table",
    "json",
    "csv",
    "xlsx",
    "markdown",
    "html",
    "pdf",
    "sarif",
    "crma",
    "crma-xlsx",
)

OutputFormat = Enum("OutputFormat", {n: n for n in FORMAT_NAMES}, type=str)  # type: ignore[misc]


class FailOn(str, Enum):
    none = "none"
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Weighting(str, Enum):
    auto = "auto"
    spend = "spend"
    mass = "mass"
    line_count = "count"  # not `count`: a str-Enum member would shadow str.count


def err_console() -> Console:  # rich is imported when a console is made
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def out_console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def error_line(message: str, prog: str | None = None) -> None:
    """One line on stderr: `prog: error: <what>, <where> — <what to do>`."""
    from rich.text import Text

    prog = prog or prog_name()
    err_console().print(Text(f"{prog}: error: {message}", style="red"))


_prog = PROG


def set_prog(ctx: typer.Context) -> None:
    """Remember how the tool was called: `audit` (a single command) or `exposure-audit`."""
    global _prog
    root = ctx.find_root().command
    _prog = PROG if hasattr(root, "commands") else "audit"


def prog_name() -> str:
    return _prog


@contextlib.contextmanager
def handle_errors(debug: bool = False, prog: str | None = None) -> Iterator[None]:
    """User errors -> one line and exit 2; bugs -> a report request and exit 3."""
    from exposure_audit.errors import ExposureAuditError, ReferenceDataError

    prog = prog or prog_name()

    from exposure_audit.cli import output

    try:
        yield
        output.flush_stdout()
    except typer.Exit:
        output.flush_stdout()
        raise
    except BrokenPipeError:  # stdout closed early (`| head`): nothing more to say
        output.stdout_gone()
        raise typer.Exit(0) from None
    except ExposureAuditError as exc:
        if debug:
            traceback.print_exc()
        error_line(str(exc), prog)
        if isinstance(exc, ReferenceDataError):
            _list_problems(exc.problems)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        error_line(output.interrupted_message(), prog)
        raise typer.Exit(130) from None
    except OSError as exc:
        # A disk or device failing under a read (EIO, ENOSPC, a vanished mount) is the
        # machine's problem, not a bug: one line naming the file, exit 2.
        if debug:
            traceback.print_exc()
        error_line(_io_failure(exc), prog)
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence: exit 3, never 1
        if debug or os.environ.get("EXPOSURE_AUDIT_DEBUG"):
            traceback.print_exc()
        error_line(
            f"internal error ({type(exc).__name__}: {exc}) — this is a bug; please report it "
            f"with the command you ran at {ISSUE_URL} (add --debug for the traceback)",
            prog,
        )
        raise typer.Exit(3) from None


def _list_problems(problems: Sequence[str]) -> None:
    """Every problem of a reference set after the first line (at most 50)."""
    if len(problems) <= 1:
        return
    from rich.text import Text

    console = err_console()
    for problem in problems[:50]:
        console.print(Text(f"  - {problem}"))
    if len(problems) > 50:
        console.print(Text(f"  ... and {len(problems) - 50} more"))


def _io_failure(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return (
        f"{where}{exc.strerror or exc} while reading or writing; the audit stopped — "
        "check the disk and the file, then run again"
    )


def check_outputs(outputs: Sequence[Path], inputs: Sequence[Path]) -> list[tuple[Path, str]]:
    """Validate `--output` paths before any work: known suffix, folder exists and is writable,
    not an input file. Returns (path, format name) pairs. Raises `OutputError`/`UsageError`."""
    from exposure_audit.errors import OutputError, UsageError
    from exposure_audit.report import formatter_for_suffix, known_suffixes

    checked: list[tuple[Path, str]] = []
    resolved_inputs = {_resolve(p) for p in inputs}
    for path in outputs:
        found = formatter_for_suffix("".join(path.suffixes[-2:]) or path.suffix)
        if found is None:
            raise UsageError(
                f"--output {path}: unknown suffix {path.suffix or '(none)'}",
                f"use one of {', '.join(known_suffixes())}",
            )
        fmt = found.name
        if _resolve(path) in resolved_inputs:
            raise OutputError(
                f"--output {path} is the input BOM",
                "choose another file name; inputs are never overwritten",
            )
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(
                f"--output {path}: folder {parent} does not exist", "create the folder first"
            )
        if path.is_dir():
            raise OutputError(f"--output {path} is a folder", "name a file inside it")
        if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise OutputError(f"--output {path}: not writable", "choose a writable location")
        checked.append((path, fmt))
    return checked


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def write_atomic(path: Path, data: str | bytes | Iterable[str]) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written report
    (`output.write_set` writes several files as one set). `data` may come in pieces."""
    from exposure_audit.cli.output import write_set

    write_set([(path, data)])


def stdout_write(data: str | bytes | Iterable[str]) -> None:
    """Write a report to stdout: text, bytes, or text in pieces (a formatter's `chunks`).
    A closed pipe is quiet; a full disk or other write error is an `OutputError` (exit 2)."""
    from exposure_audit.cli.output import writing_stdout

    with writing_stdout():
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        elif isinstance(data, str):
            sys.stdout.write(data)
        else:
            for piece in data:
                sys.stdout.write(piece)
