"""Size keys of mechanical parts and cells, as `recognise` reports them in `package`.

A mechanical line's size decides its mass the way an electronic part's package does: a 608
bearing, an M3x8 socket-head screw, a 21700 cell. The keys here are what the `masses:` tables
of data/reference/components.yaml are keyed by, so one size always gives one key however the
BOM spells it ("608ZZ", "608-2RS" and "608 2Z" are all bearing 608).
"""

from __future__ import annotations

import re

# The series is matched lazily so that "6082RS" reads as 608-2RS. Shield and seal suffixes
# (ZZ, 2RS...) do not change a deep-groove bearing's rings or balls;
# a flange prefix (F, MF) does, so it stays in the key.
_BEARING = re.compile(
    r"^(?P<prefix>F|MF|MR|SMR)?(?P<series>6[0-9]{2,3}?|[1-9]\d{2}|R\d{1,2})"
    r"(-?(ZZ|2RS|RS|2Z|Z|DDU|LLU|2RSH|RZ|VV))?$",
    re.IGNORECASE,
)
# A deep-groove bearing number with no shield or seal suffix ("Bearing 608", "625"): read as
# a size only on a line already recognised as a bearing.
BARE_BEARING = re.compile(r"^(F|MF|MR|SMR)?(6\d{2,3}|R\d{1,2})$", re.IGNORECASE)
_FASTENER = re.compile(
    r"^M(?P<d>\d+(\.\d+)?)(\s?[x×]\s?L?(?P<l>\d+(\.\d+)?)(mm)?)?$", re.IGNORECASE
)
SPACED_FASTENER = re.compile(
    r"\bM\d+(\.\d+)?\s[x×]\s?\d+(\.\d+)?\b|\bM\d+(\.\d+)?\s?[x×]\s\d+(\.\d+)?\b", re.IGNORECASE
)
# ISO 4762 / DIN 912 socket head cap screws; the published masses are for this head only.
SOCKET_HEAD = re.compile(
    r"\b(shcs|socket head( cap)?|cap screws?|cap head|din ?912|iso ?4762|allen (bolt|screw)s?)\b",
    re.IGNORECASE,
)


def bearing(token: str) -> str:
    """`608ZZ` -> `608`, `F688-2RS` -> `F688`; other bearing codes (LM8UU, AXK...) as given."""
    m = _BEARING.match(token)
    if m is None:
        return token.upper()
    return (m.group("prefix") or "").upper() + m.group("series").upper()


def fastener(token: str, socket_head: bool) -> str:
    """`M3x8` -> `M3x8`, or `M3x8 SHCS` when the line names a socket head cap screw; a size
    without a length (`M3`, a nut or a washer) stays `M3`."""
    m = _FASTENER.match(token)
    if m is None:
        return token.upper()
    if m.group("l") is None:
        return f"M{m.group('d')}"
    key = f"M{m.group('d')}x{m.group('l')}"
    return f"{key} SHCS" if socket_head else key


def nema(frame: str) -> str:
    """`17` (from "NEMA 17" or a 17HS... model code) -> `NEMA17`."""
    return f"NEMA{frame}"
