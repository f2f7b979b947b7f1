"""Markdown primitives: inert text and GitHub-flavoured tables."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPECIAL = re.compile(r"([\\`*_\[\]~|])")


def md(value: Any) -> str:
    """Text made inert in Markdown: one line, pipes and markup escaped, HTML as entities,
    `@` as an entity (no mentions), `:` after `http`/`https` broken (no autolinks)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = _CONTROL.sub(" ", str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    text = text.replace("@", "&#64;")
    text = re.sub(
        r"(?i)\b(https?|ftp|www)([:.])", lambda m: f"{m.group(1)}&#8203;{m.group(2)}", text
    )
    return " ".join(text.split())


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    """A GitHub-flavoured Markdown table; `align` is one `l` or `r` per column."""
    align = align or "l" * len(headers)
    if len(align) != len(headers):
        raise ValueError(f"{len(headers)} columns but {len(align)} alignments")
    rule = ["---:" if a == "r" else "---" for a in align]
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule) + " |"]
    out.extend("| " + " | ".join(str(c) if c != "" else " " for c in row) + " |" for row in rows)
    return "\n".join(out)
