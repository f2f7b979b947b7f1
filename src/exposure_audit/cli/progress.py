"""A spinner on stderr while a long audit runs, and nothing at all for short ones.

It starts only after `delay` seconds, only when both stderr and stdout are terminals (a report
piped to a file or another program gets a clean stderr too), and never with `--quiet`.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

DELAY = 1.0


def wanted(quiet: bool) -> bool:
    """Whether a spinner may be shown at all."""
    if quiet:
        return False
    try:
        return sys.stderr.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def spinner(
    message: str, quiet: bool = False, delay: float = DELAY, force: bool = False
) -> Iterator[None]:
    """Show `message` with a spinner on stderr if the block runs longer than `delay` seconds.

    `force` skips the terminal checks (tests)."""
    if not (force or wanted(quiet)):
        yield
        return
    lock = threading.Lock()
    state: dict[str, Any] = {"status": None, "done": False}

    def start() -> None:
        with lock:
            if state["done"]:
                return
            from rich.console import Console
            from rich.text import Text

            console = Console(stderr=True, highlight=False)
            status = console.status(Text(message), spinner="dots")
            status.start()
            state["status"] = status

    timer = threading.Timer(delay, start)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            if state["status"] is not None:
                state["status"].stop()
