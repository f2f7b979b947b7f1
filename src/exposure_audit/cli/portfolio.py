"""`audit` with several BOMs or a folder: a portfolio, streamed.

Each BOM is audited as a task (local processes, or a Dask cluster with `--scheduler`) and its
renderings are written as soon as it and the BOMs before it are done: the JSON document's
report, a JSON Lines record, Parquet rows (one row group per BOM). The summary is added up from
per-BOM summaries, so memory stays flat however many BOMs there are. Every file is written to a
temporary name beside it and renamed at the end: never a half-written report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from exposure_audit.cli.common import err_console, error_line, out_console, write_atomic
from exposure_audit.errors import OutputError, UsageError

SUFFIXES = {".json": "json", ".md": "markdown", ".jsonl": "jsonl", ".parquet": "parquet"}
STREAMED = ("json", "jsonl", "parquet")


def check_outputs(outputs: list[Path], inputs: list[Path]) -> list[tuple[Path, str]]:
    """(path, kind) for each --output of a portfolio. Raises `UsageError`/`OutputError`."""
    resolved = {p.resolve() for p in inputs}
    checked: list[tuple[Path, str]] = []
    for path in outputs:
        kind = SUFFIXES.get(path.suffix.lower())
        if kind is None:
            raise UsageError(
                f"--output {path}: several BOMs give a portfolio report",
                "write it as .json, .jsonl, .parquet or .md",
            )
        parent = path.parent if str(path.parent) else Path(".")
        if path.resolve() in resolved:
            raise OutputError(
                f"--output {path} is an input BOM", "choose another file name; inputs are kept"
            )
        if not parent.is_dir():
            raise OutputError(
                f"--output {path}: folder {parent} does not exist", "create the folder first"
            )
        if path.is_dir():
            raise OutputError(f"--output {path} is a folder", "name a file inside it")
        if not os.access(parent, os.W_OK):
            raise OutputError(f"--output {path}: not writable", "choose a writable location")
        checked.append((path, kind))
    return checked


class _Staged:
    """A file written under a temporary name beside `path`, renamed over it by `commit`."""

    def __init__(self, path: Path) -> None:
        parent = path.parent if str(path.parent) else Path(".")
        self.path = path
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
        self.tmp = Path(name)
        self.handle: IO[bytes] = os.fdopen(fd, "wb")

    def commit(self) -> None:
        self.handle.close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o666 & ~umask)
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.handle.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()


class _Resume:
    """The records of an earlier JSON Lines output, by the content hash of their BOM."""

    def __init__(self, path: Path) -> None:
        from exposure_audit.report.portfolio import read_jsonl_summary

        self.path = path
        self.records: dict[str, tuple[int, int, Any]] = {}
        if not path.is_file():
            return
        offset = 0
        with path.open("rb") as handle:
            for line in handle:
                summary = read_jsonl_summary(line)
                if summary is not None and summary.sha256 and summary.error is None:
                    self.records[summary.sha256] = (offset, len(line), summary)
                offset += len(line)

    def done(self, bom: Path) -> Any:
        from exposure_audit.bom.text_arrow import file_sha256

        if not self.records:
            return None
        try:
            found = self.records.get(file_sha256(bom))
        except OSError:
            return None  # the audit says what is wrong with the file
        return None if found is None else dataclasses.replace(found[2], file=str(bom))

    def copy(self, sha256: str, out: IO[bytes]) -> None:
        offset, length, _ = self.records[sha256]
        with self.path.open("rb") as handle:
            handle.seek(offset)
            out.write(handle.read(length))


class _Sinks:
    """Where the streamed renderings go: stdout's JSON document and the files."""

    def __init__(self, stdout_json: bool, outputs: list[tuple[Path, str]], resume: Any) -> None:
        from exposure_audit.report.portfolio import PortfolioJson

        self.stdout_json = stdout_json
        self.resume = resume
        self.files: list[tuple[str, _Staged]] = []
        self.documents: dict[int, Any] = {}
        self.parquet: dict[int, Any] = {}
        self.stdout_doc = PortfolioJson() if stdout_json else None
        try:
            for path, kind in outputs:
                if kind in STREAMED:
                    self.files.append((kind, _Staged(path)))
        except OSError as exc:
            self.discard()
            raise OutputError(
                f"--output: cannot write ({exc.strerror})", "check the folder"
            ) from None
        for i, (kind, staged) in enumerate(self.files):
            if kind == "json":
                self.documents[i] = PortfolioJson()
                staged.handle.write(PortfolioJson.head().encode())
            elif kind == "parquet":
                import pyarrow.parquet as pq

                from exposure_audit.report.portfolio import PARQUET_SCHEMA

                self.parquet[i] = pq.ParquetWriter(staged.handle, PARQUET_SCHEMA)
        if self.stdout_doc is not None:
            sys.stdout.write(self.stdout_doc.head())

    @property
    def payloads(self) -> tuple[str, ...]:
        kinds = {kind for kind, _ in self.files}
        if self.stdout_json:
            kinds.add("json")
        return tuple(k for k in STREAMED if k in kinds)

    def write(self, outcome: Any) -> None:
        if outcome.summary.error is not None:
            return
        text = outcome.payloads.get("json")
        if self.stdout_doc is not None:
            sys.stdout.write(self.stdout_doc.report(text))
        for i, (kind, staged) in enumerate(self.files):
            if kind == "json":
                staged.handle.write(self.documents[i].report(text).encode("utf-8"))
            elif kind == "jsonl":
                if outcome.resumed:
                    self.resume.copy(outcome.summary.sha256, staged.handle)
                else:
                    staged.handle.write(outcome.payloads["jsonl"])
            else:
                table = outcome.payloads["parquet"]
                self.parquet[i].write_table(table, row_group_size=max(1, table.num_rows))

    def finish(self, result: Any) -> None:
        for i, (kind, staged) in enumerate(self.files):
            if kind == "json":
                staged.handle.write(self.documents[i].tail(result).encode("utf-8"))
            elif kind == "parquet":
                self.parquet[i].close()
            staged.commit()
        if self.stdout_doc is not None:
            sys.stdout.write(self.stdout_doc.tail(result))
            sys.stdout.flush()

    def discard(self) -> None:
        for writer in self.parquet.values():
            with contextlib.suppress(Exception):
                writer.close()
        self.parquet.clear()
        for _, staged in self.files:
            staged.discard()


def run(
    boms: list[Path],
    options: Any,
    output_format: str,
    outputs: list[Path],
    quiet: bool,
    fail_on: str,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
) -> int:
    """Audit each BOM, stream its renderings, print the summary; the exit code.

    Exit code: the highest over the BOMs (0 or 1 by --fail-on), 2 when any BOM could not be
    read (its error line is printed and the others are still audited)."""
    from exposure_audit.api import iter_audits
    from exposure_audit.compare.portfolio import Portfolio
    from exposure_audit.report import portfolio as render

    if output_format not in ("table", "json", "markdown"):
        raise UsageError(
            f"--format {output_format} is for one BOM; several BOMs give a portfolio",
            "use --format table, json or markdown",
        )
    checked = check_outputs(outputs, boms)
    earlier = _resume_from(checked) if resume else None
    sinks = _Sinks(output_format == "json", checked, earlier)
    portfolio = Portfolio()
    try:
        outcomes = iter_audits(
            boms,
            options,
            workers,
            scheduler=scheduler,
            payloads=sinks.payloads,
            done=earlier.done if earlier is not None else None,
        )
        for outcome in _progress(outcomes, len(boms), quiet):
            sinks.write(outcome)
            portfolio.add(outcome.summary)
        result = portfolio.result()
        sinks.finish(result)
    except BaseException:
        sinks.discard()
        raise
    for message in result.errors:
        error_line(message)
    if output_format == "table":
        out_console().print(render.build_table(result))
    elif output_format == "markdown":
        sys.stdout.write(render.render_markdown(result))
    for path, kind in checked:
        if kind == "markdown":
            write_atomic(path, render.render_markdown(result))
        if not quiet:
            err_console().print(f"wrote {path}", style="dim", markup=False)
    code = result.exit_code(fail_on)
    tripped = [r.file for r in result.rows if r.exit_code(fail_on)]
    if code == 1 and tripped:
        sys.stderr.write(
            f"audit: --fail-on {fail_on}: {len(tripped)} BOM(s) with a finding at or above "
            f"{fail_on}: {', '.join(tripped[:5])}{' ...' if len(tripped) > 5 else ''}\n"
        )
    return code


def _resume_from(checked: list[tuple[Path, str]]) -> _Resume:
    found = [path for path, kind in checked if kind == "jsonl"]
    if not found:
        raise UsageError(
            "--resume skips BOMs already in a JSON Lines report, and none is written",
            "add --output portfolio.jsonl (the file of the earlier run)",
        )
    if any(kind in ("json", "parquet") for _, kind in checked):
        raise UsageError(
            "--resume copies the earlier JSON Lines records; it cannot rebuild .json or .parquet",
            "write .jsonl (and .md) with --resume, or run without --resume",
        )
    return _Resume(found[0])


def _progress(outcomes: Iterator[Any], total: int, quiet: bool) -> Iterator[Any]:
    """A progress bar on stderr (count, rate, ETA) when stderr is a terminal."""
    if quiet or not sys.stderr.isatty():
        yield from outcomes
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("auditing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console(), transient=True) as bar:
        task = bar.add_task("boms", total=total, rate="")
        for outcome in outcomes:
            speed = bar.tasks[0].speed
            bar.update(task, advance=1, rate=f"{speed:.1f} BOM/s" if speed else "")
            yield outcome
