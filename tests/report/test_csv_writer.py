"""The CSV writer lays out each column's distinct values once; its text must be what the csv
module (through pandas' to_csv, minimal quoting) writes for the same flat table."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from exposure_audit.report.base import safe_cell
from exposure_audit.report.csv import CsvFormatter, _field_texts, csv_frame, render_chunks

from report_helpers import HEADER
from support import toy_audit, write_csv


def _pandas_csv(result) -> str:
    frame = csv_frame(result)
    frame.columns = [str(safe_cell(c)) for c in frame.columns]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n", float_format="%.9g")
    return buffer.getvalue()


def test_hostile_bom_writes_as_the_csv_module_does(hostile_result):
    text = "".join(render_chunks(hostile_result))
    assert text == _pandas_csv(hostile_result)
    assert CsvFormatter().render(hostile_result) == text


def test_quotes_newlines_commas_and_formulas(tmp_path, monkeypatch):
    bom = write_csv(
        tmp_path / "b.csv",
        HEADER,
        'M-1,"Magnet, ""sintered""",N42SH,10,5,Japan,$2.00',
        'M-2,"=HYPERLINK(""x"")",N42SH,1,5,China,$1',
        'M-3,"two\nlines",ABS housing,1,50,Mexico,',
        "M-4,\u00e9t\u00e9 \u2013 ok,ABS housing,2,50,,",
    )
    result = toy_audit(bom)
    assert "".join(render_chunks(result)) == _pandas_csv(result)


@pytest.mark.parametrize("chunk", [1, 2, 1000])
def test_chunks_join_to_the_whole(hostile_result, monkeypatch, chunk):
    import exposure_audit.report.csv as csv_module

    whole = "".join(render_chunks(hostile_result))
    monkeypatch.setattr(csv_module, "CHUNK_ROWS", chunk)
    assert "".join(render_chunks(hostile_result)) == whole


def test_column_texts_match_pandas_per_dtype():
    frame = pd.DataFrame(
        {
            "f": [1.5, np.nan, 1e-7, 123456789012.0, -0.0, np.inf, 2.0, 1 / 3],
            "i": np.arange(8, dtype=np.int64),
            "b": [True, False] * 4,
            "o": [1.5, "x", None, 2, np.nan, True, "", "a,b"],
            "s": ["=1+1", "-2", 'q"q', "x\ry", "plain", None, "\u00e9", "@me"],
        }
    )
    buffer = io.StringIO()
    expected_frame = frame.copy()
    expected_frame["s"] = expected_frame["s"].map(safe_cell)
    expected_frame.to_csv(buffer, index=False, lineterminator="\n", float_format="%.9g")
    rows = buffer.getvalue().split("\n")[1:-1]
    texts = [_field_texts(frame[c], neutral=c == "s").to_pylist() for c in frame.columns]
    got = [",".join(t[i] for t in texts) for i in range(len(frame))]
    assert got == rows
