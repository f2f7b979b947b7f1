"""Score formulas on hand-computed cases (DESIGN section 6), with the toy reference set."""

from __future__ import annotations

import math

import pytest

from support import toy_audit, write_csv

HEADER = "Part Number,Description,Material,Qty,Unit Mass (g),Country of Origin,Unit Price"


@pytest.fixture
def toy_bom(tmp_path):
    return write_csv(
        tmp_path / "toy.csv",
        HEADER,
        "P1,Rotor magnet,N42SH,10,5,Japan,$2.00",
        "P2,Winding,magnet wire,1,100,PRC,$5.00",
        "P3,Power FET,GaN,2,,USA,$10",
        "P4,Housing,ABS housing,1,50,Mexico,$1",
        "P5,Mystery widget,unobtainium,1,1,Atlantis,$3",
        ",,,,,,",
        ",Total,,,,,$30",
    )


def line(result, part):
    lines = result.lines
    return lines[lines["part_number"] == part].iloc[0]


def lm(result, part, mineral):
    line_id = result.lines.index[result.lines["part_number"] == part][0]
    frame = result.line_minerals
    return frame[(frame["line"] == line_id) & (frame["mineral"] == mineral)].iloc[0]


def test_contained_mass_is_quantity_times_unit_mass_times_fraction(toy_bom):
    result = toy_audit(toy_bom)
    # 10 magnets x 5 g x 30 % Nd = 15 g; x 10 % Dy = 5 g
    assert lm(result, "P1", "neodymium")["mass_kg"] == pytest.approx(0.015)
    assert lm(result, "P1", "dysprosium")["mass_kg"] == pytest.approx(0.005)
    # GaN has no BOM mass: typical 2 g x 2 pieces x 50 % Ga = 2 g, flagged as estimated
    gallium = lm(result, "P3", "gallium")
    assert gallium["mass_kg"] == pytest.approx(0.002)
    assert bool(gallium["estimated"])


def test_china_touch_combines_the_upstream_stages_as_independent(toy_bom):
    result = toy_audit(toy_bom)
    # Nd: mining CHN 0.6, processing CHN 0.9 -> 1 - 0.4 * 0.1
    assert lm(result, "P1", "neodymium")["china_touch"] == pytest.approx(0.96)
    # Cu from a Chinese supplier: the origin is not a stage of the touch (method v2):
    # mining 0.1, processing 0.5 -> 1 - 0.9 * 0.5
    assert lm(result, "P2", "copper")["china_touch"] == pytest.approx(0.55)
    # Ga: no mining data (counts as 0), processing 0.99, made in USA
    assert lm(result, "P3", "gallium")["china_touch"] == pytest.approx(0.99)


def test_aligned_chain_multiplies_stages_with_data(toy_bom):
    result = toy_audit(toy_bom)
    # Nd mining aligned AUS 0.2 + USA 0.1 (policy as of 2026-03-01); processing MYS 0.05;
    # manufacturing JPN 1.0 -> 0.3 * 0.05 * 1.0
    assert lm(result, "P1", "neodymium")["aligned_chain"] == pytest.approx(0.015)
    # Ga: mining has no data and is left out; processing JPN 0.01; made in USA 1.0
    assert lm(result, "P3", "gallium")["aligned_chain"] == pytest.approx(0.01)


def test_line_exposure_is_the_mass_weighted_bottleneck_share(toy_bom):
    result = toy_audit(toy_bom)
    magnet = line(result, "P1")
    # No prices in the toy tables: weights are mass fractions, Nd 0.3 and Dy 0.1 (3/4, 1/4);
    # bottlenecks Nd max(0.6, 0.9) = 0.9, Dy max(no data, 1.0) = 1.0; made in Japan (o = 0).
    assert magnet["upstream"] == pytest.approx(0.75 * 0.9 + 0.25 * 1.0)
    assert magnet["exposure"] == pytest.approx(0.925)
    assert magnet["origin"] == 0.0
    assert magnet["driver"] == "neodymium"  # contributes 0.675 against Dy's 0.25
    assert magnet["weighted_by"] == "mass"
    assert magnet["tier"] == "critical"
    winding = line(result, "P2")
    # Cu bottleneck 0.5, made in China: e = u + 0.25 * o * (1 - u) = 0.5 + 0.25 * 0.5
    assert winding["upstream"] == pytest.approx(0.5)
    assert winding["origin"] == 1.0
    assert winding["exposure"] == pytest.approx(0.625)
    assert winding["tier"] == "high"
    housing = line(result, "P4")
    assert housing["exposure"] == 0.0 and housing["driver"] is None and housing["tier"] == "low"
    widget = line(result, "P5")
    assert not widget["scored"] and math.isnan(widget["exposure"])


def test_product_exposure_is_spend_weighted_and_value_at_risk(toy_bom):
    result = toy_audit(toy_bom)
    s = result.summary
    # spend: P1 20, P2 5, P3 20, P4 1 (P5 unmapped, not scored)
    expected = (20 * 0.925 + 5 * 0.625 + 20 * 0.99 + 1 * 0.0) / 46
    assert result.report.weighting == "spend"
    assert s.exposure == pytest.approx(expected)
    assert s.score == round(100 * expected) == 90
    assert s.tier == "critical"
    assert s.value_at_risk == pytest.approx(18.5 + 3.125 + 19.8)
    assert s.lines_by_tier == {"critical": 2, "high": 1, "medium": 0, "low": 1, "unscored": 1}
    # 4 of 5 lines and 46 of 49 spend scored: above the 60 % floor
    assert s.coverage.line_share == pytest.approx(0.8)
    assert s.coverage.spend_share == pytest.approx(46 / 49)
    assert not s.coverage.insufficient


def test_count_and_mass_weighting(toy_bom):
    by_count = toy_audit(toy_bom, weighting="count").summary
    assert by_count.exposure == pytest.approx((0.925 + 0.625 + 0.99 + 0.0) / 4)
    by_mass = toy_audit(toy_bom, weighting="mass").summary
    # contained critical-mineral mass: P1 20 g, P2 100 g, P3 2 g, P4 0
    assert by_mass.exposure == pytest.approx((0.020 * 0.925 + 0.1 * 0.625 + 0.002 * 0.99) / 0.122)


def test_mineral_stage_shares_hhi_and_top(toy_bom):
    result = toy_audit(toy_bom)
    minerals = {m["mineral"]: m for m in result.report.minerals}
    nd = minerals["neodymium"]
    mining = nd["stages"]["mining"]
    assert mining["china_share"] == pytest.approx(0.6)
    assert mining["aligned_share"] == pytest.approx(0.3)
    assert mining["unknown_share"] == pytest.approx(0.1)  # OTHER is not a named country
    assert mining["hhi"] == pytest.approx(60**2 + 20**2 + 10**2)
    assert [t["country"] for t in mining["top"]] == ["CHN", "AUS", "USA"]
    assert mining["source"] == "toy mining" and mining["year"] == "2025"
    assert nd["stages"]["manufacturing"]["china_share"] == 0.0
    assert nd["stages"]["manufacturing"]["top"] == [{"country": "JPN", "share": 1.0}]
    assert minerals["gallium"]["stages"]["mining"]["source"] == "no data"
    assert minerals["gallium"]["stages"]["mining"]["hhi"] is None
    assert nd["mass_kg"] == pytest.approx(0.015)


def test_aligned_members_follow_the_as_of_date(toy_bom):
    import datetime as dt

    # Peru signed on 2026-02-04: aligned on 2026-03-01, not on 2026-01-01.
    after = toy_audit(toy_bom, as_of=dt.date(2026, 3, 1))
    before = toy_audit(toy_bom, as_of=dt.date(2026, 1, 1))
    assert "PER" in after.report.policy.aligned_countries
    assert "PER" not in before.report.policy.aligned_countries
    cu_after = next(m for m in after.report.minerals if m["mineral"] == "copper")
    cu_before = next(m for m in before.report.minerals if m["mineral"] == "copper")
    assert cu_after["stages"]["mining"]["aligned_share"] == pytest.approx(0.2)
    assert cu_before["stages"]["mining"]["aligned_share"] == pytest.approx(0.0)


def test_bom_country_columns_override_reference_shares(tmp_path):
    path = write_csv(
        tmp_path / "b.csv",
        "Part,Description,Qty,Mass (kg),Mining Country,Smelter Country",
        "A,NdFeB magnet,1,1,Australia,Malaysia",
    )
    result = toy_audit(path)
    nd = next(m for m in result.report.minerals if m["mineral"] == "neodymium")
    assert nd["stages"]["mining"]["basis"] == "bom"
    assert nd["stages"]["mining"]["china_share"] == 0.0
    assert nd["stages"]["processing"]["aligned_share"] == 1.0
    # Dy has the same columns, so the whole line leaves China out: touch 0
    assert result.lines.iloc[0]["exposure"] == pytest.approx(0.0)


def test_score_never_drops_when_a_china_share_rises(tmp_path):
    low = write_csv(
        tmp_path / "low.csv",
        "Part,Material,Qty,Mass (kg),Country of Origin",
        "A,magnet wire,1,1,Japan",
    )
    high = write_csv(
        tmp_path / "high.csv",
        "Part,Material,Qty,Mass (kg),Country of Origin",
        "A,magnet wire,1,1,China",
    )
    assert toy_audit(high).summary.exposure >= toy_audit(low).summary.exposure
