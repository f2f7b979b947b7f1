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
    # The range: the bottleneck (the larger upstream share) <= China touch (stages as
    # independent); the origin is no stage of either.
    for stage in ("mining", "processing"):
        assert (lm["china_touch"] + 1e-12 >= lm[f"china_{stage}"]).all()
    lines_ = scores.lines[scores.lines["scored"]]
    assert (lines_["upstream"].between(-1e-12, 1 + 1e-12)).all()
    # A line's exposure lies between its upstream figure and 1, and above it only by the origin.
    assert (lines_["exposure"] + 1e-12 >= lines_["upstream"]).all()
    assert (lines_["exposure"] <= 1 + 1e-12).all()
    assert (
        (lines_["origin"] > 0) | (lines_["exposure"] - lines_["upstream"]).abs().lt(1e-12)
    ).all()
    # Never above what the data supports: no line's upstream exceeds its most Chinese stage.
    pm = scores.profile_minerals
    top = np.fmax(pm["china_mining"], pm["china_processing"]).groupby(pm["profile"]).max()
    assert (
        scores.profile_exposure[top.index] <= top.to_numpy() + 0.25 * (1 - top.to_numpy()) + 1e-12
    ).all()


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


TIER_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3, None: -1}
ALIGNED = [c for c in CONTEXT.aligned if c in {"AUS", "JPN", "MYS", "USA"}]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line_strategy, min_size=1, max_size=10), st.data())
def test_moving_an_origin_from_china_to_an_aligned_country_never_raises_a_score(lines, data):
    """Issue 15: origin China -> aligned never raises a line's exposure or tier, nor the
    product's exposure, upstream figure or tier."""
    index = data.draw(st.integers(0, len(lines) - 1))
    china = [dict(line) for line in lines]
    china[index]["supplier_country"] = "CHN"
    moved = [dict(line) for line in china]
    moved[index]["supplier_country"] = data.draw(st.sampled_from(sorted(ALIGNED)))
    _, before = run(china)
    _, after = run(moved)
    for key in ("exposure", "upstream", "score"):
        assert after.summary[key] <= before.summary[key] + 1e-12
    assert TIER_RANK.get(after.summary["tier"], 4) <= TIER_RANK.get(before.summary["tier"], 4)
    b = before.lines["exposure"].fillna(0).to_numpy()
    a = after.lines["exposure"].fillna(0).to_numpy()
    assert (a <= b + 1e-12).all()
    assert all(
        TIER_RANK[x] <= TIER_RANK[y]
        for x, y in zip(after.lines["tier"], before.lines["tier"], strict=True)
    )


NON_CHINESE = ["IDN", "MYS", "JPN", "PER", "BOL", "USA", "RECYCLED"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(line_strategy, min_size=1, max_size=10),
    st.dictionaries(st.sampled_from(NON_CHINESE), st.floats(0.01, 1.0), min_size=1),
    st.data(),
)
def test_declaring_non_chinese_smelters_never_raises_a_processing_share(lines, shares, data):
    """Issue 15: a supplier declaration naming only smelters outside China (replacing the
    reference processing shares of some line-minerals, as declarations/overrides does) never
    raises China's processing share of any line-mineral or mineral, nor any exposure."""
    from exposure_audit.engine.scoring import Distribution

    bom, before = run(lines)
    lm = before.line_minerals
    if lm.empty:
        return
    picked = data.draw(st.lists(st.integers(0, len(lm) - 1), min_size=1, max_size=len(lm)))
    total = sum(shares.values())
    declared = Distribution({c: v / total for c, v in shares.items()}, "declaration", "CMRT")
    overrides = pd.DataFrame(
        {
            "line": lm["line"].to_numpy()[picked],
            "mineral": lm["mineral"].to_numpy()[picked],
            "stage": "processing",
            "dist": "decl/test",
        }
    ).drop_duplicates()
    mapping = map_contents(bom, REFERENCE)
    after = score(bom, mapping.lines, mapping.contents, CONTEXT, overrides, {"decl/test": declared})
    key = ["line", "mineral"]
    joined = before.line_minerals.merge(after.line_minerals, on=key, suffixes=("_b", "_a"))
    assert len(joined) == len(lm)
    assert (joined["china_processing_a"] <= joined["china_processing_b"] + 1e-12).all()
    assert (joined["china_touch_a"] <= joined["china_touch_b"] + 1e-12).all()
    old = {m["mineral"]: m["stages"]["processing"]["china_share"] for m in before.minerals}
    for m in after.minerals:
        assert m["stages"]["processing"]["china_share"] <= old[m["mineral"]] + 1e-9
    b = before.lines["exposure"].fillna(0).to_numpy()
    a = after.lines["exposure"].fillna(0).to_numpy()
    assert (a <= b + 1e-12).all()
    assert after.summary["exposure"] <= before.summary["exposure"] + 1e-12
