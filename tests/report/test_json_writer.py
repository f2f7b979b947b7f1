"""The JSON formatter writes the `lines` array from columns; its text must be exactly
`json.dumps(report_dict(result), indent=2, ensure_ascii=False)`, whatever the values."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import exposure_audit.report.json as json_report
from exposure_audit.report.json import JsonFormatter, report_dict
from exposure_audit.report.model import AuditResult

from report_helpers import HEADER, HOSTILE_ROWS
from support import toy_audit, write_csv

ODD_TEXT = [
    "",
    "plain",
    'quote " and back\\slash',
    "new\nline\ttab\rreturn",
    "bell\x07 nul\x00 esc\x1b del\x7f",
    "unicode é 全角 — …",
    "line sep \u2028 para \u2029",
    "%s %d {0} %%",
    "emoji 👩\u200d🔬",
    "   ",
]
ODD_NUMBERS = [0.0, -0.0, 1.0, 0.1, 1 / 3, 2.5e-12, 123456789.123, 1e300, np.nan, np.inf, -1.5]


def expected(result: AuditResult) -> str:
    return json.dumps(report_dict(result), indent=2, ensure_ascii=False) + "\n"


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("json-writer")
    return toy_audit(write_csv(folder / "bom.csv", HEADER, *HOSTILE_ROWS))


def test_toy_report(toy):
    assert JsonFormatter().render(toy) == expected(toy)
    assert "".join(JsonFormatter().chunks(toy)) == expected(toy)


# A line's chokepoints as the engine gives them (tuples; None for a line not scored).
CHOKEPOINTS = [
    None,
    (),
    (("magnesium", 0.01, 0.0103, 0.864, "processing"),),
    (("dysprosium", 0.04, 0.1, 1.0, "processing"), ('pr "ü"', 1e-7, float("nan"), 0.9, "mining")),
]


def odd_result(toy: AuditResult, n: int, text_dtype: str, seed: int = 0) -> AuditResult:
    """The toy report with `n` synthetic lines whose values try every JSON corner."""
    rng = np.random.default_rng(seed)

    def texts() -> pd.Series:
        values = pd.Series(rng.choice(np.array(ODD_TEXT, dtype=object), n), dtype=object)
        if text_dtype == "object":
            return values.where(rng.random(n) > 0.2, None)
        if text_dtype == "category":
            return values.where(rng.random(n) > 0.2).astype("category")
        return values.where(rng.random(n) > 0.2).astype("str")

    def numbers() -> np.ndarray:
        return rng.choice(np.array(ODD_NUMBERS), n)

    index = pd.Index(rng.permutation(np.arange(10, 10 + 3 * n, 3)))  # labels, not positions
    lines = pd.DataFrame(
        {
            "row": rng.integers(1, 10**12, n),
            "part_number": texts(),
            "description": texts(),
            "material": texts(),
            "method": texts(),
            "archetype": texts(),
            "confidence": numbers(),
            "reason": texts(),
            "mass_basis_kg": numbers(),
            "exposure": numbers(),
            "upstream": numbers(),
            "origin": numbers(),
            "driver": texts().astype(object).where(rng.random(n) > 0.3, None),
            "chokepoints": pd.Series(
                [CHOKEPOINTS[i] for i in rng.integers(0, len(CHOKEPOINTS), n)], dtype=object
            ),
            "weighted_by": pd.Series(
                rng.choice(np.array(["mass", "value", None], dtype=object), n), dtype=object
            ),
            "tier": texts(),
            "supplier_country": pd.Series(
                rng.choice(np.array(["CHN", "USA", None], dtype=object), n), dtype=object
            ),
            "supplier": texts(),
            "quantity": rng.choice(np.array([1.0, 2.0, 0.5, np.nan, 1e-7]), n),
            'extra:Buyer %s "Remark"': texts(),
            "extra:Ünit": rng.integers(-5, 5, n),
        }
    )
    lines.index = index
    m = 3 * n + 1
    labels = rng.choice(index.to_numpy(), 3 * n) if n else np.zeros(0, dtype=int)
    line_minerals = pd.DataFrame(
        {
            # Some lines several times, some not at all, one label not among the lines.
            "line": np.r_[labels, 999_999_999],
            "mineral": pd.Series(rng.choice(np.array(ODD_TEXT[:6], dtype=object), m)).astype("str"),
            "mass_kg": rng.choice(np.array(ODD_NUMBERS), m),
            "china_touch": rng.choice(np.array(ODD_NUMBERS), m),
            "estimated": rng.random(m) > 0.5,
        }
    )
    return AuditResult(
        toy.report, lines, line_minerals, extra_columns=['Buyer %s "Remark"', "Ünit"]
    )


@pytest.mark.parametrize("text_dtype", ["object", "str", "category"])
@pytest.mark.parametrize("n", [0, 1, 7, 250])
def test_odd_values(toy, monkeypatch, text_dtype, n):
    monkeypatch.setattr(json_report, "CHUNK_LINES", 3)  # several chunks
    result = odd_result(toy, n, text_dtype, seed=n)
    assert JsonFormatter().render(result) == expected(result)


def test_no_extra_columns_and_no_minerals(toy):
    result = odd_result(toy, 20, "str")
    lines = result.lines.drop(columns=[c for c in result.lines if c.startswith("extra:")])
    empty = result.line_minerals.iloc[:0]
    bare = AuditResult(result.report, lines, empty, extra_columns=[])
    assert JsonFormatter().render(bare) == expected(bare)
