"""CSV: the flat table (a row per line and mineral) for pivot tables and other tools.

The columns are `base.flatten`'s, then four that say where the numbers come from (reference
version and date, policy date, aligned groups) on every row, and a `notes` column whose first
row states the stage-independence assumption and the sources. Text from the BOM is neutralised
against formula injection; numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from exposure_audit.report.base import (
    TEXT_COLUMNS,
    flatten,
    provenance,
    safe_cell,
    safe_column,
    source_text,
)
from exposure_audit.report.model import AuditResult


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
    notes = [None] * len(flat)
    if notes:
        sources = "; ".join(dict.fromkeys(source_text(s) for s in info["sources"]))
        notes[0] = str(
            safe_cell(" ".join(info["assumptions"]) + (f" Sources: {sources}." if sources else ""))
        )
    flat["notes"] = notes
    return flat


CHUNK_ROWS = 20_000
"""Rows per piece of text."""


def render_chunks(result: AuditResult) -> Iterator[str]:
    """The CSV text in pieces; joined, they are what `csv_frame(result).to_csv(index=False,
    lineterminator="\\n", float_format="%.9g")` writes (after neutralising the header), without
    formatting cell by cell: each column's distinct values are formatted once and the rows laid
    out with numpy takes."""
    flat = csv_frame(result, neutralise=False)
    columns = [str(c) for c in flat.columns]
    yield ",".join(_quoted(str(safe_cell(c))) for c in columns) + "\n"
    texts = [
        _field_texts(flat[c], neutral=c in TEXT_COLUMNS or c.startswith("extra:")) for c in columns
    ]
    n, k = len(flat), len(texts)
    for start in range(0, n, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n)
        pieces = np.empty(((stop - start), 2 * k), dtype=object)
        pieces[:, 1::2] = ","
        pieces[:, -1] = "\n"
        for j, values in enumerate(texts):
            pieces[:, 2 * j] = values[start:stop]
        yield "".join(pieces.ravel().tolist())


def _quoted(text: str) -> str:
    """As the csv module's minimal quoting writes a field (line terminator "\\n")."""
    if "," in text or '"' in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _field_texts(series: pd.Series, neutral: bool) -> np.ndarray:
    """The CSV text of every cell of a column (object array), each distinct value once: floats
    as "%.9g", missing values empty, other values by `str`; text neutralised against formula
    injection when `neutral`, then quoted where needed."""
    values = series.to_numpy()
    if values.dtype == np.float64:
        codes, uniques = pd.factorize(values.view(np.int64))
        floats = uniques.view(np.float64).tolist()
        table = ["" if v != v else "%.9g" % v for v in floats]  # noqa: UP031 - pandas' format
        return _take(table, codes)
    if values.dtype.kind in "iub":
        codes, uniques = pd.factorize(values)
        return _take([str(v) for v in uniques.tolist()], codes)
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    table = [_object_text(v, neutral) for v in uniques.tolist()]
    table.append("")  # code -1: missing
    return _take(table, codes)


def _object_text(value: object, neutral: bool) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if neutral:
        value = safe_cell(value)
    return _quoted(str(value))


def _take(table: list[str], codes: np.ndarray) -> np.ndarray:
    array = np.empty(len(table), dtype=object)
    array[:] = table
    return array[codes]


class CsvFormatter:
    name = "csv"
    suffixes = (".csv",)
    binary = False

    def render(self, result: AuditResult) -> str:
        return "".join(render_chunks(result))

    def chunks(self, result: AuditResult) -> Iterator[str]:
        """The report in pieces, for writing without holding it whole."""
        return render_chunks(result)
