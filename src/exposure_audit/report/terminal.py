"""Terminal primitives shared by every rich renderer: inert text, styles, a fixed-width console.

Every piece of BOM text goes into a `rich.text.Text` (never parsed as markup) after control
characters are escaped, so a BOM cannot drive the terminal.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

TIER_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "green",
}
SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}


def plain(value: object) -> Text:
    """BOM text as inert terminal text: control characters shown escaped, markup not parsed."""
    text = "" if value is None else str(value)
    # isprintable() is False for every control character (and for some other characters)
    if not text.isprintable() and any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text):
        text = text.encode("unicode_escape").decode("ascii")
    return Text(text)


def text_console(buffer: io.StringIO, width: int, color: bool = False) -> Console:
    """A console that renders into `buffer` at a fixed width, colour off unless asked."""
    return Console(
        file=buffer,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
