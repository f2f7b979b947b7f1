"""Property tests for scoring: bounds hold and exposure never drops when China's share rises."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exposure_audit.engine.mapping import map_contents
from exposure_audit.engine.scoring import ScoringContext, score

from support import toy_reference

REFERENCE = toy_reference()
CONTEXT = ScoringContext.build(REFERENCE, dt.date(2026, 3, 1))
TEXTS = ["ndfeb magnet", "magnet wire", "gan", "sac305", "abs housing", "mystery"]
COUNTRIES = [None, "CHN", "JPN", "USA", "MYS", "RUS", "DEU"]

line_strategy = st.fixed_dictionaries(
    {
        "text": st.sampled_from(TEXTS),
        "quantity": st.floats(0, 1e4, allow_nan=False),
        "line_mass_kg": st.one_of(st.just(np.nan), st.floats(0, 1e3, allow_nan=False)),
        "spend": st.one_of(st.just(np.nan), st.floats(0, 1e6, allow_nan=False)),
        "supplier_country": st.sampled_from(COUNTRIES),
        "mining_country": st.sampled_from(COUNTRIES),
        "processing_country": st.sampled_from(COUNTRIES),
    }
)


def run(lines: list[dict], context: ScoringContext = CONTEXT):
    bom = pd.DataFrame(lines)
    bom["row"] = np.arange(2, 2 + len(bom))
    for column in ("mineral", "cas_number", "description"):
        bom[column] = ""
    bom["valid"] = True
    for column in ("supplier_country", "mining_country", "processing_country"):
        bom[column] = bom[column].astype(object).where(bom[column].notna(), None)
    mapping = map_contents(bom, REFERENCE)
    return bom, score(bom, mapping.lines, mapping.contents, context)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(line_strategy, min_size=1, max_size=12),
    st.sampled_from(["auto", "spend", "mass", "count"]),
)
def test_every_share_and_score_stays_in_bounds(lines, weighting):
    context = ScoringContext.build(REFERENCE, dt.date(2026, 3, 1), weighting=weighting)
    _, scores = run(lines, context)
    summary = scores.summary
    assert 0.0 <= summary["exposure"] <= 1.0 + 1e-12
    assert 0 <= summary["score"] <= 100
    lm = scores.line_minerals
    for column in ("china_touch", "aligned_chain"):
        assert lm[column].between(-1e-12, 1 + 1e-12).all()
    for mineral in scores.minerals:
        for stage in mineral["stages"].values():
            for key in ("china_share", "feoc_share", "aligned_share", "unknown_share"):
                assert -1e-9 <= stage[key] <= 1 + 1e-9
            if stage["hhi"] is not None:
                assert 0 <= stage["hhi"] <= 10_000 + 1e-6
    # China touch is at least the China share of any single stage.
    for stage in ("mining", "processing", "manufacturing"):
        assert (lm["china_touch"] + 1e-12 >= lm[f"china_{stage}"]).all()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line_strategy, min_size=1, max_size=10), st.data())
def test_exposure_never_drops_when_a_line_moves_to_china(lines, data):
    index = data.draw(st.integers(0, len(lines) - 1))
    stage = data.draw(st.sampled_from(["supplier_country", "mining_country", "processing_country"]))
    moved = [dict(line) for line in lines]
    moved[index][stage] = "CHN"
    _, before = run(lines)
    _, after = run(moved)
    assert after.summary["exposure"] >= before.summary["exposure"] - 1e-12
    b = before.lines["exposure"].fillna(0).to_numpy()
    a = after.lines["exposure"].fillna(0).to_numpy()
    assert (a >= b - 1e-12).all()
