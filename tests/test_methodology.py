"""docs/methodology.md's worked examples, recomputed by the engine number for number.

The page lists its figures in a table between `worked-examples` markers; each key names a BOM
(toy tables or bundled ones), a line or the summary, and a figure. The numbers were worked out by
hand on the page; this test fails when the engine or the page moves without the other."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from exposure_audit.api import Options, audit

from support import toy_audit, write_csv

DOC = Path(__file__).resolve().parents[1] / "docs" / "methodology.md"
TOY_HEADER = "Part Number,Description,Material,Qty,Unit Mass (g),Country of Origin,Unit Price"
TOY_ROWS = (
    "P1,Rotor magnet,N42SH,10,5,Japan,$2.00",
    "P2,Winding,magnet wire,1,100,PRC,$5.00",
    "P3,Power FET,GaN,2,,USA,$10",
    "P4,Housing,ABS housing,1,50,Mexico,$1",
    "P5,Mystery widget,unobtainium,1,1,Atlantis,$3",
)
BUNDLED_ROWS = ("E1,Machined enclosure,aluminium 6061-T6,1,1200,Germany,$40.00",)


def worked_examples() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- worked-examples: start -->")[1].split("<!-- worked-examples: end -->")[
        0
    ]
    rows = re.findall(r"^\| ([a-z0-9_.A-Z]+) \| ([^|]+) \|$", block, flags=re.M)
    return {key: value.strip() for key, value in rows if key != "key"}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("method")
    toy = toy_audit(write_csv(folder / "toy.csv", TOY_HEADER, *TOY_ROWS))
    bundled = audit(
        write_csv(folder / "bundled.csv", TOY_HEADER, *BUNDLED_ROWS),
        Options(as_of=dt.date(2026, 12, 1)),
    )
    return {"toy": toy, "bundled": bundled}


def figure(results, key: str):
    bom, *path = key.split(".")
    result = results[bom]
    if path[0] == "summary":
        value = result.summary
        for name in path[1:]:
            value = getattr(value, name)
        return value
    minerals = {m["mineral"]: m for m in result.report.minerals}
    if path[0] in minerals and len(path) == 2:
        m = minerals[path[0]]
        if path[1] == "upstream":
            return max(
                m["stages"]["mining"]["china_share"], m["stages"]["processing"]["china_share"]
            )
        return m[path[1]]
    lines = result.lines
    line = lines.index[lines["part_number"] == path[0]][0]
    if len(path) == 2:
        return lines.loc[line, path[1]]
    lm = result.line_minerals
    row = lm[(lm["line"] == line) & (lm["mineral"] == path[1])].iloc[0]
    if path[2] == "upstream":
        return max(row["china_mining"], row["china_processing"])
    return row[path[2]]


def test_the_page_lists_its_worked_examples():
    examples = worked_examples()
    assert len(examples) >= 15
    assert "toy.summary.score" in examples and "bundled.E1.upstream" in examples


@pytest.mark.parametrize("key", sorted(worked_examples()))
def test_worked_example(results, key):
    expected = worked_examples()[key]
    got = figure(results, key)
    try:
        number = float(expected)
    except ValueError:
        assert got == expected
        return
    # The page gives four decimals at most: agree to its last digit.
    decimals = len(expected.split(".")[1]) if "." in expected else 0
    assert float(got) == pytest.approx(number, abs=0.5 * 10**-decimals + 1e-12), key
