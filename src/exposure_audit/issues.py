"""Data-quality issues: located, coded problems found in a BOM (not supply findings).

Issues are collected column-wise into DataFrames while cleaning and mapping, then turned into
`Issue` models, capped per code, only for the report.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

MAX_ISSUES_PER_CODE = 200


class IssueCode(str, Enum):
    """Stable issue codes: a public contract for JSON consumers (README lists them)."""

    severity: str
    # NOTE: shadows str.title on the members; the heading is part of the public contract.
    title: str  # type: ignore[assignment]

    def __new__(cls, value: str, severity: str, title: str) -> IssueCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.severity = severity
        member.title = title
        return member

    MISSING_COLUMN = ("missing-column", "warning", "A column the audit uses is absent")
    UNKNOWN_COLUMN = ("unknown-column", "info", "A column was not recognised; kept as is")
    DUPLICATE_COLUMN = ("duplicate-column", "info", "A second column for the same field; kept")
    INVALID_NUMBER = ("invalid-number", "error", "A number cell holds text that is no number")
    NEGATIVE_VALUE = ("negative-value", "error", "A quantity, mass or cost below zero")
    ZERO_QUANTITY = ("zero-quantity", "warning", "A quantity of zero; the line weighs nothing")
    IMPLAUSIBLE_MASS = ("implausible-mass", "warning", "A unit mass over 10 tonnes")
    UNKNOWN_UNIT = ("unknown-unit", "error", "A mass unit the tool does not know")
    MASS_UNIT_ASSUMED = ("mass-unit-assumed", "warning", "A mass column names no unit; read as kg")
    UNKNOWN_COUNTRY = ("unknown-country", "warning", "A country name that matches no country")
    DATE_IN_NUMBER = ("date-in-number", "error", "A date where a number belongs")
    NUMBER_OUT_OF_RANGE = (
        "number-out-of-range",
        "error",
        "A number, or quantity x unit value, beyond 1e15",
    )
    AMBIGUOUS_NUMBER = (
        "ambiguous-number",
        "warning",
        "Cells like 1,000 read one way; the column's choice said once",
    )
    DUPLICATE_PART = ("duplicate-part", "info", "The same part number on several lines")
    UNKNOWN_MINERAL = ("unknown-mineral", "warning", "A mineral name the reference lacks")
    UNKNOWN_MATERIAL = ("unknown-material", "warning", "No material archetype matched")
    ESTIMATED_MASS = (
        "estimated-mass",
        "info",
        "Mass estimated from a typical unit mass (package, else archetype)",
    )
    NO_MASS = ("no-mass", "info", "No mass given or known; line weighted by spend or count")
    CONTROL_CHARACTERS = ("control-characters", "warning", "Text holds control characters")
    COST_COLUMN_TOTAL = ("cost-column-is-total", "info", "Cost column read as line totals")
    UNCLOSED_QUOTE = ("unclosed-quote", "warning", "A quote never closed; line read as it stands")
    ROW_NOT_READ = ("row-not-read", "error", "A line that could not be read (over a limit)")
    TOO_MANY_FIELDS = (
        "too-many-fields",
        "warning",
        "A line wider than the limit; the rest not read",
    )
    ENCODING_FALLBACK = ("encoding-fallback", "warning", "A line not in the file's encoding")
    TRUNCATED_FILE = ("truncated-file", "warning", "The file ends mid-line: cut short?")
    NOT_PLACED = ("not-placed", "info", "A line marked not placed (DNP); left out")
    TITLE_ROWS = ("title-rows", "info", "Title rows between tables in one sheet; left out")
    DUPLICATE_TABLE = ("duplicate-table", "info", "A second table listing the same parts; left out")
    SEVERAL_TABLES = ("several-tables", "info", "Several tables in one sheet, read as one BOM")


_SEVERITY: dict[str, str] = {code.value: code.severity for code in IssueCode}

Severity = Literal["error", "warning", "info"]


class Issue(BaseModel):
    """One located data-quality problem."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Stable kebab-case code (IssueCode)")
    severity: Severity
    message: str
    sheet: str | None = None
    row: int | None = Field(default=None, description="1-based spreadsheet row")
    column: str | None = Field(default=None, description="The user's own column header")
    value: str | None = None


class IssueLog:
    """Collects issues as columns; `to_models` caps each code and counts what it left out."""

    def __init__(self, sheet: str | None = None) -> None:
        self.sheet = sheet
        self._frames: list[pd.DataFrame] = []
        self._codes: list[str] = []
        """The code of each frame (one code per frame)."""

    def add_cells(
        self,
        code: IssueCode,
        rows: np.ndarray | pd.Series | list[int],
        values: pd.Series | np.ndarray | list[object],
        column: str | None,
        message: str,
    ) -> None:
        """Add one issue per cell; `message` may use {value}."""
        rows_arr = np.asarray(rows)
        if rows_arr.size == 0:
            return
        self._codes.append(code.value)
        self._frames.append(
            pd.DataFrame(
                {
                    "code": code.value,
                    "severity": code.severity,
                    "row": rows_arr.astype(np.int64),
                    "column": column,
                    "value": _show_all(values),
                    "message": message,
                }
            )
        )

    def add(
        self,
        code: IssueCode,
        message: str,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self._codes.append(code.value)
        self._frames.append(
            pd.DataFrame(
                {
                    "code": [code.value],
                    "severity": [code.severity],
                    "row": [row],
                    "column": [column],
                    "value": [None if value is None else _show(value)],
                    "message": [message],
                }
            )
        )

    def extend(self, other: IssueLog) -> None:
        self._frames.extend(other._frames)
        self._codes.extend(other._codes)

    def frame(self) -> pd.DataFrame:
        if not self._frames:
            return pd.DataFrame(columns=["code", "severity", "row", "column", "value", "message"])
        return pd.concat(self._frames, ignore_index=True)

    def count(self, severity: str | None = None) -> int:
        return sum(
            len(frame)
            for code, frame in zip(self._codes, self._frames, strict=True)
            if severity is None or _SEVERITY[code] == severity
        )

    def to_models(self, limit: int = MAX_ISSUES_PER_CODE) -> tuple[list[Issue], dict[str, int]]:
        """Issues sorted by row then code, at most `limit` per code; and counts per code."""
        if not self._frames:
            return [], {}
        counts: dict[str, int] = {}
        for code, frame in zip(self._codes, self._frames, strict=True):
            counts[code] = counts.get(code, 0) + len(frame)
        # A code's first `limit` issues have a row at or before its limit-th smallest row, so
        # only those rows are sorted (a million-line BOM can carry 100k issues).
        keys = [frame["row"].fillna(0).to_numpy(np.int64) for frame in self._frames]
        cutoff: dict[str, int] = {}
        for code in (c for c, n in counts.items() if n > limit):
            rows = np.concatenate([k for c, k in zip(self._codes, keys, strict=True) if c == code])
            cutoff[code] = int(np.partition(rows, limit - 1)[limit - 1])
        frame = pd.concat(
            [
                f if c not in cutoff else f.iloc[np.flatnonzero(k <= cutoff[c])]
                for c, f, k in zip(self._codes, self._frames, keys, strict=True)
            ],
            ignore_index=True,
        )
        frame = frame.assign(_row=frame["row"].fillna(0).astype(np.int64))
        frame = frame.sort_values(["_row", "code", "column"], kind="stable", na_position="first")
        kept = frame.groupby("code", sort=False).head(limit)
        cells = zip(
            *(kept[c].tolist() for c in ("code", "severity", "message", "row", "column", "value")),
            strict=True,
        )
        issues = [
            Issue(
                code=code,
                severity=severity,
                message=message.replace("{value}", value or ""),
                sheet=self.sheet,
                row=None if _missing(row) else int(row),
                column=None if _missing(column) else column,
                value=value,
            )
            for code, severity, message, row, column, value in cells
        ]
        return issues, {code: counts[code] for code in sorted(counts)}


def _missing(value: object) -> bool:
    """`pd.isna` for one cell, without its overhead."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _show(value: object) -> str:
    """A cell value as short, safe text for messages (control characters escaped)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        text = ""
    elif (
        isinstance(value, float | np.floating)
        and float(value).is_integer()
        and abs(float(value)) < 1e15
    ):
        text = str(int(value))
    else:
        text = str(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return text.encode("unicode_escape").decode("ascii") if _has_control(text) else text


def _show_all(values: pd.Series | np.ndarray | list[object]) -> np.ndarray:
    """`_show` of each cell, computed once per distinct value (a million estimated-mass
    lines hold a few hundred archetypes). Booleans take the per-cell path: True == 1."""
    if isinstance(values, pd.Series) and len(values) >= 1000:
        # Already hashed, or strings: no object column to scan and hash again.
        uniques: pd.Index | np.ndarray | None = None
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
        elif values.dtype == "str":
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if uniques is not None:
            # Only the values these cells hold: a column's categories can number thousands.
            used = np.flatnonzero(np.bincount(codes + 1, minlength=len(uniques) + 1)[1:])
            held = uniques[used]
            if bool not in set(map(type, held)):
                shown = np.full(len(uniques) + 1, "", dtype=object)  # the last: code -1
                shown[used] = [_show(v) for v in held]
                return shown[codes]
    cells = np.asarray(
        pd.Series(list(values), dtype=object)
        if not isinstance(values, pd.Series)
        else values.astype(object),
        dtype=object,
    )
    if len(cells) < 1000 or bool in set(map(type, cells)):
        return np.array([_show(v) for v in cells], dtype=object)
    cell_codes, distinct = pd.factorize(cells, use_na_sentinel=False)
    shown = np.array([_show(v) for v in distinct], dtype=object)
    return shown[cell_codes]


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in text)
