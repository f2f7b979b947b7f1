"""Writing reports safely: a set of report files replaced together, stdout errors reported.

- Each `--output` file is first written in full to a temporary file beside it (`stage`), and
  only when every file of the set is written are they renamed over their targets together
  (`commit`), with Ctrl-C held back during the renames. An interrupt or a write error before
  that replaces none of them, and the temporary files are removed (`discard`).
- A report that replaces an existing file keeps that file's permission bits; a new one gets the
  mode any new file would get (0666 less the umask).
- Writing to stdout: a closed pipe (`| head`) sends the rest of the output to /dev/null and the
  run goes on quietly; any other write error (a full disk, EIO) is an `OutputError` (exit 2).
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType

from exposure_audit.errors import OutputError

written: list[Path] = []
"""Report files replaced in this run, in order (for a true message on interrupt)."""


def stage(path: Path, data: str | bytes | Iterable[str | bytes]) -> Path:
    """`data` written in full (and fsynced) to a temporary file beside `path`; returns it."""
    parent = path.parent if str(path.parent) else Path(".")
    pieces = [data] if isinstance(data, str | bytes) else data
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise
    return tmp


def commit(staged: list[tuple[Path, Path]]) -> None:
    """Rename each staged temporary file over its target, Ctrl-C held back meanwhile."""
    with _interrupts_held():
        for path, tmp in staged:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                discard(staged)
                done = [str(p) for p, _ in staged if p in written]
                raise _cannot_write(path, exc, done) from None
            written.append(path)


def discard(staged: list[tuple[Path, Path]]) -> None:
    """Remove staged temporary files not yet renamed."""
    for _, tmp in staged:
        with contextlib.suppress(OSError):
            tmp.unlink()


def write_set(files: Iterable[tuple[Path, str | bytes | Iterable[str | bytes]]]) -> None:
    """Write every (path, data) of a report set, then replace them together; all or none."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            staged.append((path, stage(path, data)))
        commit(staged)
    except BaseException:
        discard(staged)
        raise


def interrupted_message() -> str:
    """What an interrupt left behind, truly."""
    if not written:
        return "interrupted; no report was written (existing report files are unchanged)"
    return "interrupted after writing " + ", ".join(str(p) for p in written)


def stdout_gone() -> None:
    """Send whatever is still to be printed to /dev/null (stdout closed or failing), so that
    neither later prints nor the interpreter's last flush fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


@contextlib.contextmanager
def writing_stdout() -> Iterator[None]:
    """Around a write to stdout (flushed at the end): a closed pipe is quiet, any other write
    error is an `OutputError`."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_gone()
    except OSError as exc:
        stdout_gone()
        raise OutputError(
            f"cannot write the report to stdout ({exc.strerror or exc}); the output is incomplete",
            "free disk space where stdout goes, or write the report with --output FILE",
        ) from None


def flush_stdout() -> None:
    """The last flush of a command, with `writing_stdout`'s error handling."""
    with writing_stdout():
        pass


def _mode_for(path: Path) -> int:
    """The permission bits of the existing report, or those of a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _cannot_write(path: Path, exc: OSError, done: list[str] | None = None) -> OutputError:
    replaced = f"already replaced: {', '.join(done)}" if done else "no report file was replaced"
    return OutputError(
        f"--output {path}: cannot write ({exc.strerror or exc}); {replaced}",
        "check the folder's permissions and free space",
    )


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C during the block is raised after it (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, _frame: FrameType | None) -> None:
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
