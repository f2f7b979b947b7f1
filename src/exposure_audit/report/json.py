"""The JSON report: the machine contract (`schema_version: 1`), byte-stable for the same input.

`report_dict` is the report as plain data. The formatter writes the same text as
`json.dumps(report_dict(result), indent=2, ensure_ascii=False)` without building it: the `lines`
array (one record per BOM line, a million on a large BOM) is written from columns, each
distinct value of a column encoded once, and handed out in chunks (`render_chunks`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from exposure_audit.compare.diff import check_report
from exposure_audit.errors import UsageError
from exposure_audit.report.model import AuditResult, _num, chokepoint_records, clean_json

_KEY_ORDER = (
    "schema_version",
    "tool",
    "reference",
    "policy",
    "input",
    "weighting",
    "currency",
    "summary",
    "minerals",
    "lines",
    "unmapped",
    "findings",
    "issues",
)
CHUNK_LINES = 20_000
"""Line records per chunk of text."""


def report_dict(result: AuditResult) -> dict[str, Any]:
    """The whole report as plain JSON-ready data, keys in contract order."""
    cleaned: dict[str, Any] = clean_json(_ordered(result, result.line_records()))
    return cleaned


def _ordered(result: AuditResult, lines: Any) -> dict[str, Any]:
    data = result.report.model_dump(mode="json")
    extras = data.pop("extras", {}) or {}
    data["lines"] = lines
    ordered = {key: data[key] for key in _KEY_ORDER}
    ordered.update(extras)
    return ordered


def render_chunks(result: AuditResult) -> Iterator[str]:
    """The JSON report as consecutive pieces of text; joined, they are
    `json.dumps(report_dict(result), indent=2, ensure_ascii=False) + "\\n"`."""
    placeholder = object()
    ordered = _ordered(result, placeholder)
    records = _LineRecords.build(result)
    if ordered["lines"] is not placeholder or records is None:  # an extra key took its place
        yield _dumps(report_dict(result)) + "\n"
        return
    keys = list(ordered)
    at = keys.index("lines")
    head = _dumps(clean_json({k: ordered[k] for k in keys[:at]}))  # '{\n  ...\n}'
    yield head[:-2] + ',\n  "lines": '
    yield from records.text()
    tail = {k: ordered[k] for k in keys[at + 1 :]}
    yield ",\n" + _dumps(clean_json(tail))[2:] + "\n" if tail else "\n}\n"


# Where orjson's text would differ from json.dumps': numbers it writes without an exponent
# below 1e-4 ("0.00001" for 1e-05) or with one ("1e16" for 1e+16, "2.5e-7" for 2.5e-07).
_NOT_THE_SAME = re.compile(r"0\.0000|\d[eE]")
# JSON strings (keys and values): the numbers checked above are the ones outside them.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _dumps(data: Any) -> str:
    """`json.dumps(data, indent=2, ensure_ascii=False)`, by orjson when its text is the same
    (the pure-Python encoder json uses for indented output costs ~0.5 s on the findings and
    issues of a 100k-line report). orjson writes the same layout, escapes and shortest float
    repr, but formats small and large floats without/with an exponent differently from
    Python's repr, refuses non-str keys and ints past 64 bits: then json.dumps writes it."""
    try:
        import orjson
    except ImportError:
        return json.dumps(data, indent=2, ensure_ascii=False)
    try:
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(data, indent=2, ensure_ascii=False)
    if _NOT_THE_SAME.search(_STRING.sub('""', text)):
        return json.dumps(data, indent=2, ensure_ascii=False)
    return text


# The `lines` array as json.dumps(indent=2) lays it out inside the report (the array at depth 1,
# its records at depth 2): the text around each value of a record, before its minerals ...
_HEAD = (
    ("row", '    {\n      "row": '),
    ("part_number", ',\n      "part_number": '),
    ("description", ',\n      "description": '),
    ("material", ',\n      "material": '),
    ("method", ',\n      "match": {\n        "method": '),
    ("archetype", ',\n        "archetype": '),
    ("confidence", ',\n        "confidence": '),
    ("reason", ',\n        "reason": '),
    ("mass_basis_kg", ',\n        "mass_kg": '),
)
_BEFORE_MINERALS = '\n      },\n      "minerals": '
# ... and after them.
_TAIL = (
    ("exposure", ',\n      "exposure": '),
    ("upstream", ',\n      "upstream": '),
    ("origin", ',\n      "origin": '),
    ("driver", ',\n      "driver": '),
    ("chokepoints", ',\n      "chokepoints": '),
    ("weighted_by", ',\n      "weighted_by": '),
    ("tier", ',\n      "tier": '),
    ("supplier_country", ',\n      "supplier_country": '),
    ("supplier", ',\n      "supplier": '),
    ("quantity", ',\n      "quantity": '),
    ("estimated", ',\n      "estimated": '),
)
# One mineral of a line's `minerals` array: seven pieces, the first and last depending on its
# place in the array.
_MINERAL_FIRST = '[\n        {\n          "mineral": '
_MINERAL_NEXT = ',\n        {\n          "mineral": '
_MASS, _TOUCH = ',\n          "mass_kg": ', ',\n          "china_touch": '
_MINERAL_LAST, _MINERAL_MORE = "\n        }\n      ]", "\n        }"
_ESTIMATED = '[\n        "mass"\n      ]'


class _LineRecords:
    """The `lines` array of the JSON contract (AuditResult.line_records) as text, built from
    the result's columns: each column's values as JSON text (each distinct value encoded once),
    laid out with the text between them in one object array per chunk of lines (numpy
    indexing, no Python step per line), then joined."""

    def __init__(
        self,
        head: list[str | np.ndarray],
        tail: list[str | np.ndarray],
        minerals: tuple[np.ndarray, ...],
        n_lines: int,
    ) -> None:
        self.head = head  # the pieces of each record before its minerals: text, or a column
        self.tail = tail  # and after them, its closing brace last
        # The minerals rows ordered by line: line position, rank in the line, three columns.
        self.position, self.rank, self.mineral, self.mass, self.touch = minerals
        self.counts = np.bincount(self.position, minlength=n_lines)
        self.n_lines = n_lines

    @classmethod
    def build(cls, result: AuditResult) -> _LineRecords | None:
        """None when the frames are not as `line_records` expects them (it then decides)."""
        lines = result.lines
        extra = result.extra_columns
        if not lines.index.is_unique or len(set(extra)) != len(extra):
            return None
        converts: dict[str, Callable[[Any], Any]] = {
            "row": int,  # (written by _int_texts)
            "part_number": _or_none,
            "description": _or_none,
            "material": _or_none,
            "method": _same,
            "archetype": _same,
            "confidence": _num,
            "reason": _same,
            "mass_basis_kg": _num,
            "exposure": _num,
            "upstream": _num,
            "origin": _num,
            "driver": _same,
            "chokepoints": chokepoint_records,
            "weighted_by": _same,
            "tier": _same,
            "supplier_country": _same,
            "supplier": _or_none,
            "quantity": _num,
        }

        def column(name: str) -> np.ndarray:
            if name == "estimated":
                return _estimated(result)
            if name == "chokepoints":
                return _nested_texts(lines[name], chokepoint_records, _NESTED_INDENT)
            if name == "row":
                return _int_texts(lines["row"])
            if converts[name] is _num:
                return _number_texts(lines[name])
            return _texts(lines[name], converts[name])

        head: list[str | np.ndarray] = []
        for name, text in _HEAD:
            head += [text, column(name)]
        head.append(_BEFORE_MINERALS)
        tail: list[str | np.ndarray] = []
        for name, text in _TAIL:
            tail += [text, column(name)]
        for i, header in enumerate(extra):
            text = ',\n      "extra": {\n        ' if i == 0 else ",\n        "
            values = _texts(lines[f"extra:{header}"], _same)
            tail += [text + encode_basestring(header) + ": ", values]
        tail.append("\n      }\n    }" if extra else "\n    }")
        return cls(head, tail, _minerals(result), len(lines))

    def text(self) -> Iterator[str]:
        if not self.n_lines:
            yield "[]"
            return
        yield "[\n"
        for start in range(0, self.n_lines, CHUNK_LINES):
            yield self._chunk(start, min(start + CHUNK_LINES, self.n_lines))
        yield "\n  ]"

    def _chunk(self, start: int, stop: int) -> str:
        """Lines start..stop-1, each but the very last followed by ",\n"."""
        counts = self.counts[start:stop]
        n_head, n_tail = len(self.head), len(self.tail)
        minerals = np.where(counts == 0, 1, 7 * counts)  # pieces of each line's array
        ends = np.cumsum(n_head + minerals + n_tail)
        begins = ends - (n_head + minerals + n_tail)
        pieces = np.empty(int(ends[-1]), dtype=object)
        for offset, piece in enumerate(self.head):
            pieces[begins + offset] = piece if isinstance(piece, str) else piece[start:stop]
        at = begins + n_head  # where each line's minerals go
        pieces[at[counts == 0]] = "[]"
        low, high = np.searchsorted(self.position, [start, stop])
        if high > low:
            line = self.position[low:high] - start
            rank = self.rank[low:high]
            base = at[line] + 7 * rank
            pieces[base] = _pick(rank == 0, _MINERAL_FIRST, _MINERAL_NEXT)
            pieces[base + 1] = self.mineral[low:high]
            pieces[base + 2] = _MASS
            pieces[base + 3] = self.mass[low:high]
            pieces[base + 4] = _TOUCH
            pieces[base + 5] = self.touch[low:high]
            pieces[base + 6] = _pick(rank == counts[line] - 1, _MINERAL_LAST, _MINERAL_MORE)
        after = at + minerals
        for offset, piece in enumerate(self.tail[:-1]):
            pieces[after + offset] = piece if isinstance(piece, str) else piece[start:stop]
        pieces[ends - 1] = self.tail[-1] + ",\n"
        if stop == self.n_lines:
            pieces[-1] = self.tail[-1]
        return "".join(pieces.tolist())


def _pick(condition: np.ndarray, yes: str, no: str) -> np.ndarray:
    """`yes` where `condition`, else `no` (the same two str objects, not copies)."""
    return np.array([no, yes], dtype=object)[condition.astype(np.intp)]


def _or_none(value: Any) -> Any:
    return value or None  # as line_records writes text: "" is null


def _same(value: Any) -> Any:
    return value


def _json(value: Any) -> str:
    """A value's JSON text in the report: clean_json, then json.dumps."""
    value = clean_json(value)
    return encode_basestring(value) if isinstance(value, str) else json.dumps(value)


def _texts(series: pd.Series, convert: Callable[[Any], Any]) -> np.ndarray:
    """The JSON text of `convert(value)` for each value of a column (object array), each
    distinct value encoded once. Text, categorical and numeric columns are factorized; an
    object column holding other than text is encoded value by value."""
    dtype = series.dtype
    if dtype == np.dtype(object) and pd.api.types.infer_dtype(series, skipna=True) not in (
        "string",
        "empty",
    ):
        return _objects([_json(convert(v)) for v in series.tolist()])
    if dtype.kind == "f":
        return _number_texts(series, convert)
    codes, uniques = pd.factorize(series)
    table = [
        ("null" if convert is _or_none and not v else encode_basestring(v))
        if type(v) is str
        else _json(convert(v))
        for v in uniques.tolist()
    ]
    missing = np.flatnonzero(codes < 0)
    if len(missing):  # missing values: code -1, the last entry
        table.append(_json(convert(series.iat[missing[0]])))
    return _take(table, codes)


def _number_texts(
    series: pd.Series | np.ndarray, convert: Callable[[Any], Any] | None = None
) -> np.ndarray:
    """JSON text of `_num(value)` (or `convert(value)`) for a float column, each distinct value
    (by its bits: -0.0 is not 0.0) encoded once."""
    values = np.asarray(series)
    if values.dtype != np.float64:
        if values.dtype.kind in "iub" and convert is None:
            values = values.astype(np.float64)  # what _num's float() gives
        else:
            return _objects([_json((convert or _num)(v)) for v in pd.Series(values).tolist()])
    codes, uniques = pd.factorize(values.view(np.int64))
    floats = uniques.view(np.float64).tolist()
    if convert is None:
        table = [
            repr(float(f"{v:.9g}")) if v - v == 0 else "null"  # finite, as clean_json rounds
            for v in floats
        ]
    else:
        table = [_json(convert(v)) for v in floats]
    return _take(table, codes)


_NESTED_INDENT = "\n" + " " * 6
"""A value nested in a line record starts its inner lines at depth 3 (six spaces)."""


def _nested_texts(series: pd.Series, convert: Callable[[Any], Any], indent: str) -> np.ndarray:
    """JSON text (as json.dumps(indent=2) lays it out inside a line record) of `convert(value)`
    for an object column of hashable values (tuples), each distinct value encoded once."""
    codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    table = [_dumps(clean_json(convert(v))).replace("\n", indent) for v in uniques.tolist()]
    table.append(_dumps(clean_json(convert(None))))
    return _take(table, codes)


def _int_texts(series: pd.Series) -> np.ndarray:
    """JSON text of `int(value)` for the row column."""
    if series.dtype.kind in "iu":
        return series.to_numpy().astype(str).astype(object)
    return _objects([str(int(v)) for v in series.tolist()])


def _take(table: list[str], codes: np.ndarray) -> np.ndarray:
    return np.asarray(_objects(table)[codes])


def _objects(values: list[str]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _minerals(result: AuditResult) -> tuple[np.ndarray, ...]:
    """The line_minerals rows in the order the report lists them (by line, then as they come):
    each row's line position and rank within its line, and the JSON text of its mineral,
    mass_kg and china_touch."""
    lines = result.lines
    lm = result.line_minerals
    if lm.empty:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, *(np.zeros(0, dtype=object),) * 3
    position = lines.index.get_indexer(pd.Index(lm["line"]))
    order = np.argsort(position, kind="stable")
    order = order[position[order] >= 0]  # rows of lines not in the frame are never shown
    position = position[order]
    rank = np.arange(len(position)) - np.searchsorted(position, position)
    return (
        position,
        rank,
        _texts(lm["mineral"], _same)[order],
        _number_texts(lm["mass_kg"].to_numpy(dtype=float))[order],
        _number_texts(lm["china_touch"].to_numpy(dtype=float))[order],
    )


def _estimated(result: AuditResult) -> np.ndarray:
    lines = result.lines
    lm = result.line_minerals
    estimated = np.zeros(len(lines), dtype=bool)
    if not lm.empty:
        labels = lm.loc[lm["estimated"], "line"].to_numpy()
        estimated = np.isin(lines.index.to_numpy(), labels)
    return np.where(estimated, _ESTIMATED, "[]").astype(object)


class JsonFormatter:
    name = "json"
    suffixes = (".json",)
    binary = False

    def render(self, result: AuditResult) -> str:
        return "".join(render_chunks(result))

    def chunks(self, result: AuditResult) -> Iterator[str]:
        """The report in pieces, for writing without holding it whole."""
        return render_chunks(result)


# --------------------------------------------------------------------------- reading one back

MAX_REPORT_BYTES = 1 << 30


def is_json_report(path: str | Path) -> bool:
    """A `.json` file, or any file whose first non-blank character is `{`."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{")


def load_report(path: str | Path, what: str = "report") -> dict[str, Any]:
    """Read a JSON report written by `audit --format json`. Raises `UsageError` (exit 2) when
    the file is missing, unreadable, not JSON, not a report, or of another schema version —
    never an empty report, so nothing is ever read as "everything is new"."""
    shown = str(path)
    path = Path(path)
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise UsageError(f"{what} {shown}: larger than 1 GiB", "check the path")
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise UsageError(
            f"{what} {shown}: no such file",
            "check the path, or write one with `audit BOM -o report.json`",
        ) from None
    except IsADirectoryError:
        raise UsageError(f"{what} {shown} is a folder", "name the JSON report file") from None
    except OSError as exc:
        raise UsageError(
            f"{what} {shown}: cannot read it ({exc.strerror})", "check the file's permissions"
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise UsageError(
            f"{what} {shown}: not valid JSON{where}",
            "pass a report written by `audit --format json`",
        ) from None
    return check_report(data, shown, what)
