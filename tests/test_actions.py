"""Actions: the four families on the toy reference, by hand, and in the reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from exposure_audit.api import Options, audit, load
from exposure_audit.engine.actions import FAMILIES, plan_actions
from exposure_audit.engine.scoring import ScoringContext, score

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
def result(tmp_path_factory):
    path = write_csv(tmp_path_factory.mktemp("bom") / "bom.csv", HEADER, *ROWS)
    return audit(
        path, Options(reference_dirs=[TOY_REFERENCE, LAYER], include_bundled=False, as_of=AS_OF)
    )


@pytest.fixture(scope="module")
def actions(result):
    return result.report.extras["actions"]


def find(actions, family, text):
    hits = [a for a in actions if a["family"] == family and text in a["title"]]
    assert len(hits) == 1, [a["title"] for a in actions]
    return hits[0]


def test_every_action_names_rows_and_facts(actions):
    assert {a["family"] for a in actions} == set(FAMILIES)
    for a in actions:
        assert a["rows"] and a["facts"] and a["priority"] in ("high", "medium", "low")
        assert all(f.get("source") and f.get("year") for f in a["facts"])
    order = [("high", "medium", "low").index(a["priority"]) for a in actions]
    assert order == sorted(order)


def test_resource_names_aligned_producers(actions):
    ga = find(actions, "re-source", "Gallium")
    assert ga["rows"] == [3] and ga["priority"] == "high"
    assert "processing (China 99%): towards JPN 1%" in ga["detail"]
    cu = find(actions, "re-source", "Copper")
    # Row 4, copper wire made in China: e = 0.5 + 0.25 * 0.5 = 0.625 >= the medium tier (40).
    # Row 6 (SAC305) is driven by its 96.5 % tin, not its 0.5 % copper (method v2).
    assert cu["rows"] == [4]
    tin = find(actions, "re-source", "Tin")
    assert tin["rows"] == [6]
    assert "mining (China 10%): towards PER 20%" in cu["detail"]
    assert "processing (China 50%): towards JPN 10%" in cu["detail"]
    # The magnet (Nd 0.3, Dy 0.1) is driven by neodymium (0.75 x 0.9 against 0.25 x 1.0);
    # dysprosium is its chokepoint (a finding), no longer its driver.
    nd = find(actions, "re-source", "Neodymium")
    assert nd["rows"] == [2]
    assert "mining (China 60%): towards AUS 20%, USA 10%" in nd["detail"]
    assert "processing (China 90%): towards MYS 5%" in nd["detail"]
    made = find(actions, "re-source", "Move manufacturing")
    assert made["rows"] == [4] and "CHN" in made["detail"]


def test_engage_suppliers_grouped_with_templates(actions):
    engage = {a["title"]: a for a in actions if a["family"] == "engage-suppliers"}
    assert {a["rows"][0] for a in engage.values()} == {2, 3, 4, 6}
    solder = find(actions, "engage-suppliers", "SolderCo")
    assert solder["rows"] == [6] and solder["priority"] == "medium"  # tier medium (.55)
    assert "CMRT for tin" in solder["detail"] and "EMRT for copper" in solder["detail"]
    assert "AMRT for dysprosium, neodymium" in find(actions, "engage-suppliers", "MagCo")["detail"]


def test_export_controls_and_benchmark(actions):
    dy = find(actions, "export-controls", "Dysprosium is under")
    assert dy["priority"] == "high" and dy["rows"] == [2]
    ga = find(actions, "export-controls", "Gallium is under")
    assert ga["priority"] == "medium" and "2026-11-10" in ga["detail"]
    nd = find(actions, "export-controls", "Neodymium: one country above")
    assert "processing: CHN holds 90%" in nd["detail"]
    assert any("Critical Raw Materials Act" in f["source"] for f in nd["facts"])
    assert not [a for a in actions if "Copper: one country" in a["title"]]  # CHL .5 < .65


def test_pricing_floor_against_average(actions):
    nd = find(actions, "pricing", "Neodymium")
    # 30 g Nd x 120 / 0.8 = 4.5 USD at the floor; against 100 USD/kg: (150 - 100) x 0.03 = +1.5
    assert nd["rows"] == [2]
    assert "worth 4.5 USD at the floor" in nd["detail"] and "+1.5 USD" in nd["detail"]
    assert [f["url"] for f in nd["facts"]][0] == "https://example.org/floor"


def test_library_function_directly():
    path = Path(__file__).resolve().parents[1] / "examples" / "electronics_board.xlsx"
    loaded = load(path)
    context = ScoringContext.build(loaded.reference, dt.date(2026, 3, 1))
    scores = score(loaded.bom.frame, loaded.mapping.lines, loaded.mapping.contents, context)
    actions = plan_actions(scores, context, loaded.bom.frame)
    ga = [
        a
        for a in actions
        if a.family == "export-controls" and a.minerals == ["gallium"] and "under" in a.title
    ]
    assert ga and ga[0].rows == [5, 6] and "2026-11-27" in ga[0].detail
    assert any(a.family == "pricing" and a.minerals == ["neodymium"] for a in actions)


def test_actions_in_json_and_table(result):
    from exposure_audit.report.json import report_dict
    from exposure_audit.report.table import render_text

    data = report_dict(result)
    assert list(data)[-1] == "actions" and data["actions"]
    text = render_text(result, width=120, details=True)
    assert "Actions (" in text and "Re-source Gallium" in text
    assert text.index("Findings (") < text.index("Actions (")


def test_bom_text_in_actions_is_inert(tmp_path):
    from exposure_audit.report.table import render_text

    path = write_csv(
        tmp_path / "evil.csv", HEADER, "G1,GaN FET,GaN,2,1,$5.00,[bold red]Evil\x1b[31m Co,Canada"
    )
    result = audit(
        path, Options(reference_dirs=[TOY_REFERENCE], include_bundled=False, as_of=AS_OF)
    )
    text = render_text(result, width=160, details=True)
    assert "\x1b" not in text and "[bold red]Evil" in text


@pytest.mark.parametrize("name", ["markdown", "html"])
def test_formats_with_actions_sections(result, name):
    import exposure_audit.report as report

    if not (Path(report.__file__).parent / f"{name}.py").exists():
        pytest.skip(f"no {name} formatter yet")
    out = report.formatter(name).render(result)
    assert "Actions" in out and "Re-source Gallium" in out


def test_xlsx_has_actions_and_scenarios_sheets(tmp_path):
    import io

    from openpyxl import load_workbook

    from exposure_audit.report import all_formatters

    if "xlsx" not in all_formatters():
        pytest.skip("no xlsx formatter yet")
    path = write_csv(tmp_path / "bom.csv", HEADER, *ROWS)
    result = audit(
        path,
        Options(
            reference_dirs=[TOY_REFERENCE, LAYER],
            include_bundled=False,
            as_of=AS_OF,
            scenarios=["china-cutoff"],
            price_shocks=["Nd=+50"],
        ),
    )
    book = load_workbook(io.BytesIO(all_formatters()["xlsx"].render(result)), read_only=True)
    actions = list(book["Actions"].iter_rows(values_only=True))
    assert actions[0][:3] == ("Priority", "Family", "Title")
    assert any(r[2] == "Re-source Gallium in 1 line(s) towards aligned producers" for r in actions)
    scen = list(book["Scenarios"].iter_rows(values_only=True))
    assert scen[1][0] == "china-cutoff" and scen[1][4] == pytest.approx(30.45)
    assert any(str(r[0]).startswith("price neodymium") for r in scen)


def test_actions_reach_the_csv_and_sarif_reports(result):
    import io
    import json

    import pandas as pd

    from exposure_audit.report import all_formatters

    flat = pd.read_csv(io.StringIO(all_formatters()["csv"].render(result)), keep_default_na=False)
    named = {int(r) for a in result.report.extras["actions"] for r in a["rows"]}
    with_actions = set(flat.loc[flat["actions"] != "", "row"].astype(int))
    assert named and with_actions == named
    sarif = json.loads(all_formatters()["sarif"].render(result))
    titles = [a["title"] for a in sarif["runs"][0]["properties"]["actions"]]
    assert titles == [a["title"] for a in result.report.extras["actions"]]
