"""Scenarios and price shocks, checked by hand on the toy reference (plus a real-data check).

Toy BOM (as of 2026-03-01; aligned = USA, AUS, JPN, MYS, PER; China = CHN, HKG, MAC):
row 2 NdFeB 100 g, $10, JPN  -> Nd 30 g (mining CHN .6, processing CHN .9), Dy 10 g (proc. CHN 1)
row 3 GaN 2 x 1 g, $10, CAN  -> Ga 1 g (processing CHN .99, JPN .01)
row 4 copper wire 100 g, $10, CHN -> Cu 100 g (mining CHN .1, processing CHN .5), made in China
row 5 ABS housing, $2        -> no tracked mineral
row 6 SAC305 (no mass), $1, USA -> Sn (proc. CHN .5), Cu
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from exposure_audit.api import Options, audit
from exposure_audit.errors import UsageError

from support import (
    AS_OF,
    SCENARIO_HEADER,
    SCENARIO_LAYER,
    SCENARIO_ROWS,
    TOY_REFERENCE,
    write_csv,
)

LAYER = SCENARIO_LAYER
HEADER = SCENARIO_HEADER
ROWS = SCENARIO_ROWS


@pytest.fixture(scope="module")
def toy_bom(tmp_path_factory) -> Path:
    return write_csv(tmp_path_factory.mktemp("bom") / "bom.csv", HEADER, *ROWS)


def run(path: Path, *, scenarios=(), price_shocks=(), **kwargs):
    options = Options(
        reference_dirs=[TOY_REFERENCE, LAYER],
        include_bundled=False,
        as_of=kwargs.pop("as_of", AS_OF),
        scenarios=list(scenarios),
        price_shocks=list(price_shocks),
        **kwargs,
    )
    return audit(path, options)


def scenario(path: Path, name: str, **kwargs) -> dict:
    [result] = run(path, scenarios=[name], **kwargs).report.extras["scenarios"]
    return result


def test_china_cutoff_by_hand(toy_bom):
    s = scenario(toy_bom, "china-cutoff")
    # row 2: Dy 1.0 (Nd 1-.4*.1 = .96); row 3: .99; row 4: made in China, 1.0;
    # row 6: Cu 1-(.9*.5) = .55 beats Sn .5.
    assert s["affected_lines"] == [2, 3, 4, 6]
    assert s["affected_spend"] == pytest.approx(31.0)
    assert s["value_at_risk"] == pytest.approx(10 + 9.9 + 10 + 0.55)
    by = {m["mineral"]: m for m in s["minerals"]}
    assert by["dysprosium"]["value_at_risk"] == pytest.approx(10.0)
    assert by["copper"]["value_at_risk"] == pytest.approx(10.55)
    assert by["copper"]["rows"] == [4, 6]
    assert by["neodymium"]["cut_share"] == pytest.approx(0.96)
    # mining: Nd (.2 + .1) / (1 - .6) = .75 weighted 10*.6; Cu .2/.9 weighted 10*.1 + 1*.1
    assert s["aligned_alternative"]["mining"] == pytest.approx((0.75 * 6 + 0.2 / 0.9 * 1.1) / 7.1)
    assert "value_at_risk = sum over affected lines" in s["description"]


def test_china_cutoff_equals_exposure(toy_bom):
    result = run(toy_bom, scenarios=["china-cutoff"])
    s = result.report.extras["scenarios"][0]
    exposed = result.lines.loc[result.lines["exposure"] > 0, "row"].tolist()
    assert set(exposed) <= set(s["affected_lines"])
    # A full cut-off counts every stage, the origin too, as independent (the worst case); the
    # exposure takes the bottleneck mean plus a share of the origin: never above the cut-off.
    assert s["value_at_risk"] >= result.summary.value_at_risk - 1e-9
    # By hand (spend x the largest cut touch): magnet 10 x 1 (Dy processing 100 % China), GaN
    # 10 x 0.99, winding made in China 10 x 1, housing 0, solder 1 x Cu 1 - 0.9 x 0.5.
    assert s["value_at_risk"] == pytest.approx(10 + 9.9 + 10 + 0.55)


def test_processing_only_by_hand(toy_bom):
    s = scenario(toy_bom, "processing-only")
    assert s["value_at_risk"] == pytest.approx(10 * 1.0 + 10 * 0.99 + 10 * 0.5 + 1 * 0.5)
    # Nd .05/.1 = .5 (w 9), Dy 0 (w 10), Ga .01/.01 = 1 (w 9.9), Cu .1/.5 = .2 (w 5 + .5),
    # Sn 0/.5 = 0 (w .5)
    expected = (0.5 * 9 + 0 + 1.0 * 9.9 + 0.2 * 5.5 + 0) / (9 + 10 + 9.9 + 5.5 + 0.5)
    assert s["aligned_alternative"] == {"processing": pytest.approx(expected)}
    assert {
        m["mineral"]: m["aligned_alternative"]["processing"] for m in s["minerals"]
    } == pytest.approx(
        {"dysprosium": 0.0, "gallium": 1.0, "copper": 0.2, "neodymium": 0.5, "tin": 0.0}
    )


def test_export_controls_active_and_suspended(toy_bom):
    # Dy: active since 2025-04-04; Ga: suspended 2025-11-07 .. 2026-11-10.
    s = scenario(toy_bom, "china-export-controls")
    assert s["affected_lines"] == [2]
    assert s["value_at_risk"] == pytest.approx(10.0)
    assert [m["mineral"] for m in s["minerals"]] == ["dysprosium"]
    s = scenario(toy_bom, "china-export-controls:include-suspended")
    assert s["affected_lines"] == [2, 3]
    assert s["value_at_risk"] == pytest.approx(19.9)
    # after the suspension ends, gallium counts without the modifier
    s = scenario(toy_bom, "china-export-controls", as_of=AS_OF.replace(year=2027))
    assert s["affected_lines"] == [2, 3]


def test_inline_cut_and_layer_scenario(toy_bom):
    inline = scenario(toy_bom, "cut:neodymium:CHN:mining")
    layer = scenario(toy_bom, "toy-nd-mining")
    for s in (inline, layer):
        assert s["affected_lines"] == [2]
        assert s["value_at_risk"] == pytest.approx(6.0)  # 10 * .6
        assert s["aligned_alternative"] == {"mining": pytest.approx(0.75)}
    lists = scenario(toy_bom, "cut:Nd,Ga:CHN:processing")
    assert lists["value_at_risk"] == pytest.approx(10 * 0.9 + 10 * 0.99)
    nobody = scenario(toy_bom, "cut:*:RUS:*")
    assert nobody["affected_lines"] == [] and nobody["value_at_risk"] == 0


def test_hong_kong_follows_policy(tmp_path):
    path = write_csv(tmp_path / "hk.csv", HEADER, "W1,Winding,copper wire,1,100,$4,HKCo,Hong Kong")
    s = scenario(path, "cut:copper:CHN:manufacturing")
    assert s["affected_lines"] == [2] and s["value_at_risk"] == pytest.approx(4.0)
    policy = (
        (TOY_REFERENCE / "policy.yaml")
        .read_text()
        .replace("hong_kong_macao_as_china: true", "hong_kong_macao_as_china: false")
    )
    (tmp_path / "policy.yaml").write_text(policy)
    s = scenario(path, "cut:copper:CHN:manufacturing", policy_file=tmp_path / "policy.yaml")
    assert s["affected_lines"] == []


def test_user_scenario_file(toy_bom, tmp_path):
    file = tmp_path / "mine.yaml"
    file.write_text(
        "scenarios:\n  - id: ga-gone\n    name: Ga gone\n    description: x\n"
        "    cuts: [{minerals: [gallium], countries: [CHINA], stages: ['*']}]\n"
    )
    s = scenario(toy_bom, str(file))
    assert s["name"] == "ga-gone" and s["value_at_risk"] == pytest.approx(9.9)


@pytest.mark.parametrize(
    "spec",
    [
        "nope",
        "china-cutoff:include-suspended",
        "cut:gallium",
        "cut:unobtainium:CHN:*",
        "cut:gallium:XXX:*",
        "cut:gallium:CHN:smelting",
        "china-export-controls:bogus",
        "missing.yaml",
    ],
)
def test_bad_scenarios_are_usage_errors(toy_bom, spec):
    with pytest.raises(UsageError) as info:
        run(toy_bom, scenarios=[spec])
    assert "china-cutoff" in info.value.hint and "cut:MINERALS" in info.value.hint


def test_price_shocks_by_hand(toy_bom):
    shocks = run(toy_bom, price_shocks=["Nd=+50", "copper=+10%", "gallium=-5"]).report.extras[
        "price_shocks"
    ]
    nd, cu, ga = shocks
    # the average (100 USD/kg) wins over the floor: 0.03 kg * 100 * 0.5
    assert nd["price"]["kind"] == "average"
    assert nd["lines"] == [
        {"row": 2, "mass_kg": pytest.approx(0.03), "cost_impact": pytest.approx(1.5)}
    ]
    assert cu["total_cost_impact"] == pytest.approx(0.1 * 10 * 0.1)
    assert cu["not_estimated"] == [{"row": 6, "reason": "no mass for this line"}]
    assert ga["price"] is None and ga["total_cost_impact"] is None
    assert ga["not_estimated"] == [{"row": 3, "reason": "no published price"}]


@pytest.mark.parametrize("spec", ["neodymium", "Nd=+lots", "=5", "unobtainium=+5"])
def test_bad_price_shocks(toy_bom, spec):
    with pytest.raises(UsageError):
        run(toy_bom, price_shocks=[spec])


def test_no_flags_no_scenario_keys(toy_bom):
    extras = run(toy_bom).report.extras
    assert "scenarios" not in extras and "price_shocks" not in extras and "actions" in extras


def test_json_and_table_show_scenarios(toy_bom):
    from exposure_audit.report.json import report_dict
    from exposure_audit.report.table import render_text

    result = run(toy_bom, scenarios=["china-cutoff"], price_shocks=["Nd=+50"])
    data = report_dict(result)
    keys = list(data)
    assert keys.index("scenarios") > keys.index("issues")
    assert data["scenarios"][0]["affected_lines"] == [2, 3, 4, 6]
    text = render_text(result, width=120)
    assert "Scenarios (1)" in text and "china-cutoff" in text and "$30.45" in text
    assert "Price shocks" in text and "Neodymium" in text


def test_cli_scenario_options(toy_bom, monkeypatch):
    import exposure_audit.api as api
    from exposure_audit.cli.app import audit_app
    from exposure_audit.reference import load_reference

    monkeypatch.setattr(
        api,
        "load_reference",
        lambda dirs, policy=None, bundled=True: load_reference(
            [TOY_REFERENCE, LAYER, *dirs], policy, include_bundled=False
        ),
    )
    runner = CliRunner()
    ok = runner.invoke(
        audit_app,
        [
            str(toy_bom),
            "--as-of",
            "2026-03-01",
            "-f",
            "json",
            "--scenario",
            "processing-only",
            "--price-shock",
            "Nd=+50",
        ],
    )
    assert ok.exit_code == 0, ok.stderr
    assert '"value_at_risk": 25.4' in ok.stdout
    bad = runner.invoke(audit_app, [str(toy_bom), "--scenario", "nope"])
    assert bad.exit_code == 2 and "china-export-controls" in bad.stderr
    env = runner.invoke(
        audit_app,
        [str(toy_bom), "--as-of", "2026-03-01", "-f", "json"],
        env={"EXPOSURE_AUDIT_SCENARIO": "china-cutoff"},
    )
    assert env.exit_code == 0 and '"scenarios"' in env.stdout


def test_electronics_example_real_data():
    """The bundled tables: export controls hit the gallium and germanium lines."""
    example = Path(__file__).resolve().parents[1] / "examples" / "electronics_board.xlsx"
    result = audit(
        example,
        Options(
            as_of=AS_OF,
            scenarios=[
                "china-export-controls",
                "china-cutoff",
                "cut:gallium,germanium:CHN:processing",
            ],
        ),
    )
    controls, cutoff, gage = result.report.extras["scenarios"]
    lines = result.lines.set_index("row")
    ga_ge = [r for r in lines.index if lines.loc[r, "driver"] in ("gallium", "germanium")]
    assert ga_ge == [5, 6, 7]
    # The wave solder bar is 99 % tin: germanium (60 ppm) is its chokepoint, not its driver.
    assert lines.loc[12, "driver"] == "tin"
    assert "germanium" in [c[0] for c in lines.loc[12, "chokepoints"]]
    ga_ge.append(12)
    assert set(ga_ge) <= set(controls["affected_lines"])
    assert {"gallium", "germanium"} <= {m["mineral"] for m in controls["minerals"]}
    exposed = lines.index[lines["exposure"] > 0].tolist()
    assert set(exposed) <= set(cutoff["affected_lines"])
    assert cutoff["value_at_risk"] >= result.summary.value_at_risk - 1e-9
    # Ga, Ge processing only: spend x China share of processing (Ga .99, Ge .831)
    spend = lines["spend"]
    expected = (spend[5] + spend[6]) * 0.99 + (spend[7] + spend[12]) * 0.831
    assert gage["value_at_risk"] == pytest.approx(expected)
    assert gage["affected_lines"] == [5, 6, 7, 12]
    by = {m["mineral"]: m for m in gage["minerals"]}
    # aligned outside the cut: Ga JPN .003 / .01; Ge (USA .02 + JPN .018 + BEL/DEU if aligned)
    assert by["gallium"]["aligned_alternative"]["processing"] == pytest.approx(0.3)
