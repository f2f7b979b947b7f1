"""CSV: the flat table (a row per line and mineral) for pivot tables and other tools.

The columns are `base.flatten`'s, then four that say where the numbers come from (reference
version and date, policy date, aligned groups) on every row, and a `notes` column whose first
row states the stage-independence assumption and the sources. Text from the BOM is neutralised
against formula injection; numbers stay numbers.

The writer formats column by column in Arrow, never cell by cell in Python: text columns are
dictionary-encoded and each distinct value neutralised and quoted once, floats formatted once
per distinct value ("%.9g"), and the rows joined by Arrow's string kernels. The text is what
the csv module (pandas' `to_csv`, minimal quoting, "\\n" line ends) writes for `csv_frame`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from exposure_audit.report.base import (
    FORMULA_STARTS,
    TEXT_COLUMNS,
    flatten,
    provenance,
    safe_cell,
    safe_column,
    source_text,
)
from exposure_audit.report.model import AuditResult

CHUNK_ROWS = 20_000
"""Rows per piece of text."""
_TEXT = pa.large_string()


def csv_frame(result: AuditResult, neutralise: bool = True) -> pd.DataFrame:
    """The flat table as written to CSV: neutralised text (unless `neutralise` is False: the
    writer neutralises each distinct value itself) and the provenance columns."""
    flat = flatten(result)
    for column in flat.columns if neutralise else ():
        if column in TEXT_COLUMNS or column.startswith("extra:"):
            flat[column] = safe_column(flat[column])
    info = provenance(result)
    flat["reference_version"] = info["reference_version"]
    flat["reference_as_of"] = info["reference_as_of"]
    flat["policy_as_of"] = info["policy_as_of"]
    flat["aligned_groups"] = " ".join(info["aligned_groups"])
    notes: list[str | None] = [None] * len(flat)
    if notes:
        sources = "; ".join(dict.fromkeys(source_text(s) for s in info["sources"]))
        notes[0] = str(
            safe_cell(" ".join(info["assumptions"]) + (f" Sources: {sources}." if sources else ""))
        )
    flat["notes"] = notes
    return flat


def render_chunks(result: AuditResult) -> Iterator[str]:
    """The CSV text in pieces of `CHUNK_ROWS` rows (the header first)."""
    flat = csv_frame(result, neutralise=False)
    columns = [str(c) for c in flat.columns]
    yield ",".join(_quoted(str(safe_cell(c))) for c in columns) + "\n"
    cells = [
        _field_texts(flat[c], neutral=c in TEXT_COLUMNS or c.startswith("extra:")) for c in columns
    ]
    comma, newline, empty = _scalar(","), _scalar("\n"), _scalar("")
    for start in range(0, len(flat), CHUNK_ROWS):
        parts = [c.slice(start, CHUNK_ROWS) for c in cells]
        rows = pc.binary_join_element_wise(*parts, comma)
        rows = pc.binary_join_element_wise(rows, empty, newline)  # each row + "\n"
        yield _joined(rows)


def _scalar(text: str) -> pa.Scalar:
    return pa.scalar(text, _TEXT)


def _joined(rows: pa.Array) -> str:
    """The strings of an Arrow string array end to end: its data buffer between its first and
    last offsets (no Python string per row)."""
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    first, last = int(offsets[rows.offset]), int(offsets[rows.offset + len(rows)])
    text: str = rows.buffers()[2][first:last].to_pybytes().decode("utf-8")
    return text


def _quoted(text: str) -> str:
    """As the csv module's minimal quoting writes a field (line terminator "\\n")."""
    if "," in text or '"' in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _field_texts(series: pd.Series, neutral: bool) -> pa.Array:
    """The CSV text of every cell of a column (an Arrow large-string array): floats as
    "%.9g", missing values empty, other values by `str`; text neutralised against formula
    injection when `neutral`, then quoted where needed."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        return _text_cells(pa.array(series.array), neutral)
    values = series.to_numpy()
    if values.dtype == np.float64:
        codes, uniques = pd.factorize(values.view(np.int64))
        floats = uniques.view(np.float64).tolist()
        table = ["" if v != v else "%.9g" % v for v in floats]  # noqa: UP031 - pandas' format
        return pa.array(table, _TEXT).take(pa.array(codes))
    if values.dtype.kind in "iu":
        return pc.cast(pa.array(values), _TEXT)
    if values.dtype.kind == "b":
        return pa.array(np.where(values, "True", "False"), _TEXT)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return _text_cells(pa.array(values, _TEXT, from_pandas=True), neutral)
    codes, distinct = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    table = [_object_text(v, neutral) for v in distinct.tolist()]
    table.append("")  # missing values (code -1) take the last entry
    return pa.array(table, _TEXT).take(pa.array(np.where(codes < 0, len(table) - 1, codes)))


def _text_cells(values: pa.Array | pa.ChunkedArray, neutral: bool) -> pa.Array:
    """Text cells: each distinct value neutralised and quoted once, missing ones empty."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values.cast(_TEXT))
    distinct = encoded.dictionary
    if neutral and len(distinct):
        risky = pc.starts_with(distinct, FORMULA_STARTS[0])
        for start in FORMULA_STARTS[1:]:
            risky = pc.or_(risky, pc.starts_with(distinct, start))
        distinct = pc.if_else(
            risky, pc.binary_join_element_wise(_scalar("'"), distinct, _scalar("")), distinct
        )
    if len(distinct):
        needs = pc.match_substring(distinct, ",")
        for char in ('"', "\n"):
            needs = pc.or_(needs, pc.match_substring(distinct, char))
        if pc.any(needs).as_py():
            doubled = pc.replace_substring(distinct, '"', '""')
            quoted = pc.binary_join_element_wise(_scalar('"'), doubled, _scalar('"'), _scalar(""))
            distinct = pc.if_else(needs, quoted, distinct)
    return pc.fill_null(distinct.take(encoded.indices), _scalar(""))


def _object_text(value: object, neutral: bool) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if neutral:
        value = safe_cell(value)
    return _quoted(str(value))


class CsvFormatter:
    name = "csv"
    suffixes = (".csv",)
    binary = False

    def render(self, result: AuditResult) -> str:
        return "".join(render_chunks(result))

    def chunks(self, result: AuditResult) -> Iterator[str]:
        """The report in pieces, for writing without holding it whole."""
        return render_chunks(result)
