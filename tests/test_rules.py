"""Rule packs on hand-made BOMs, before and after each phase date (issue 16).

Each BOM line is labelled from what the part is made of and where (the facts the rule reads),
never from the tool's output: a sintered NdFeB magnet made in China, a Japan-made magnet whose
rare earths were separated in China, a tantalum capacitor whose supplier's CMRT names a
Rwandan smelter, a 60 kWh EV pack, and so on.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from exposure_audit.api import Options, audit
from exposure_audit.errors import ReferenceDataError, UsageError
from exposure_audit.reference.rules import load_rules

from declarations_helpers import make_fake_template

D = dt.date.fromisoformat
HEAD = "Part Number,Description,Qty,Unit Mass (g),Supplier,Country of Origin"


def write(tmp_path: Path, header: str, *rows: str, name: str = "bom.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run(path: Path, as_of: str, rules: str = "all", **kwargs: Any) -> Any:
    return audit(path, Options(as_of=D(as_of), rules=[rules], **kwargs))


def rule_findings(result: Any) -> dict[str, Any]:
    return {f["id"]: f for f in result.report.extras["rules"]["findings"]}


# --- DFARS 252.225-7052 ------------------------------------------------------------------------

MAGNETS = (
    HEAD + ",Processing Country,Mining Country",
    "M1,NdFeB magnet N42 sintered,4,20,Ningbo Magnet,China,,",
    "M2,NdFeB magnet N42 sintered,4,20,Shin Magnet,Japan,China,",
    "M3,NdFeB magnet N42 sintered,4,20,Traced Magnet,Japan,Japan,Australia",
)


def test_china_made_ndfeb_magnet_is_flagged_today(tmp_path: Path) -> None:
    found = rule_findings(run(write(tmp_path, *MAGNETS), "2026-12-07", "dfars-7052"))
    current = found["rule:dfars-7052:ndfeb:2024"]
    assert current["rows"] == [2]  # only the China-made magnet: melting/production today
    assert current["severity"] == "high"
    assert current["basis"] == "declared"
    assert "rule:dfars-7052:ndfeb:2027" not in found


def test_japan_magnet_with_chinese_separation_passes_2026_and_fails_2027(tmp_path: Path) -> None:
    bom = write(tmp_path, *MAGNETS)
    before = rule_findings(run(bom, "2026-12-31", "dfars-7052"))
    assert 3 not in before["rule:dfars-7052:ndfeb:2024"]["rows"]
    after = rule_findings(run(bom, "2027-01-02", "dfars-7052"))
    phase = after["rule:dfars-7052:ndfeb:2027"]
    assert 3 in phase["rows"] and 2 in phase["rows"]
    assert 4 not in phase["rows"]  # mined in Australia, separated in Japan: traced, clear
    line = next(d for d in phase["details"] if d["row"] == 3)
    assert line["status"] == "declared"
    assert any(h["stage"] == "processing" and h["countries"] == ["CHN"] for h in line["hits"])
    assert "rule:dfars-7052:ndfeb:2024" not in after


def test_untraced_magnet_is_likely_unless_traced_in_2027(tmp_path: Path) -> None:
    bom = write(tmp_path, HEAD, "M9,NdFeB magnet N42 sintered,4,20,Any Magnet,Germany")
    assert "rule:dfars-7052:ndfeb:2024" not in rule_findings(run(bom, "2026-12-31", "dfars"))
    phase = rule_findings(run(bom, "2027-01-01", "dfars"))["rule:dfars-7052:ndfeb:2027"]
    assert phase["rows"] == [2]
    assert phase["basis"] == "likely unless traced"
    assert phase["severity"] == "medium"


def test_dfars_cots_and_contract_columns(tmp_path: Path) -> None:
    bom = write(
        tmp_path,
        HEAD + ",COTS,Defense Contract",
        "M1,NdFeB magnet N42 sintered,4,20,Ningbo Magnet,China,yes,yes",
        "M2,NdFeB magnet N42 sintered,4,20,Ningbo Magnet,China,no,no",
        "W1,Tungsten heavy alloy W90NiFe counterweight,1,500,Alloy Co,China,yes,yes",
    )
    today = rule_findings(run(bom, "2026-06-01", "dfars"))
    # A COTS magnet holds no tungsten: exempt under the 2024 clause; the tungsten heavy alloy
    # is 90% tungsten, over the 50% COTS threshold.
    assert "rule:dfars-7052:ndfeb:2024" not in today
    assert today["rule:dfars-7052:tungsten:2024"]["rows"] == [4]
    later = rule_findings(run(bom, "2027-01-02", "dfars"))
    assert later["rule:dfars-7052:ndfeb:2027"]["rows"] == [2]  # 100% magnet: COTS no longer exempt
    assert "if delivered under a DoD contract" not in later["rule:dfars-7052:ndfeb:2027"]["message"]


def test_dfars_not_evaluated_before_the_modelled_phases(tmp_path: Path) -> None:
    result = run(write(tmp_path, *MAGNETS), "2024-05-29", "dfars")
    assert not rule_findings(result)
    pack = result.report.extras["rules"]["packs"][0]
    assert pack["in_force"] is False and pack["notes"]


# --- conflict minerals -------------------------------------------------------------------------


def test_tantalum_capacitor_with_rwandan_smelter_in_cmrt(tmp_path: Path) -> None:
    bom = write(
        tmp_path,
        HEAD,
        "C1,Tantalum capacitor 10uF 16V,10,0.2,Delta Caps,Mexico",
        "C2,Tantalum capacitor 22uF 10V,10,0.2,Other Caps,Mexico",
    )
    rows = [{"B": "Tantalum", "C": "Kigali Tantalum", "D": "Kigali Tantalum", "E": "RWANDA",
             "F": "CID009901", "P": "No"}]  # fmt: skip
    cmrt = make_fake_template(tmp_path / "cmrt.xlsx", company="Delta Caps", rows=rows)
    found = rule_findings(run(bom, "2026-12-07", "conflict-minerals", smelters=[cmrt]))
    hit = found["rule:conflict-minerals:tantalum:covered-country"]
    assert hit["rows"] == [2]
    assert hit["severity"] == "high"
    assert "RWA" in hit["message"]
    # The other capacitor has no declaration: a country-of-origin inquiry, low.
    assert found["rule:conflict-minerals:tantalum:rcoi"]["rows"] == [3]


def test_eu_cn_code_threshold(tmp_path: Path) -> None:
    header = "Part Number,Description,Qty,Unit Mass (kg),HS Code"
    over = write(tmp_path, header, "T1,Tin ores and concentrates,1,6000,2609 00 00", name="a.csv")
    under = write(tmp_path, header, "T1,Tin ores and concentrates,1,4000,2609.00.00", name="b.csv")
    assert "rule:conflict-minerals:eu-cn-26090000" in rule_findings(run(over, "2026-12-07"))
    assert "rule:conflict-minerals:eu-cn-26090000" not in rule_findings(run(under, "2026-12-07"))


# --- ownership: located vs controlled ------------------------------------------------------------


def test_nickel_processing_controlled_share_above_located(tmp_path: Path) -> None:
    bom = write(tmp_path, HEAD, "N1,Nickel sulfate hexahydrate,1,1000,Chem Co,Japan")
    result = run(bom, "2026-12-07", "crma")
    entries = {(m["mineral"], m["stage"]): m for m in result.report.extras["ownership"]["minerals"]}
    nickel = entries[("nickel", "processing")]
    assert nickel["china_controlled"] > nickel["china_located"]
    assert [c["country"] for c in nickel["countries"]] == ["IDN"]
    assert (
        entries[("nickel", "mining")]["china_controlled"]
        == entries[("nickel", "mining")]["china_located"]
    )


def test_control_view_scores_on_controlled_shares(tmp_path: Path) -> None:
    bom = write(tmp_path, HEAD, "N1,Nickel sulfate hexahydrate,1,1000,Chem Co,Japan")

    def processing_share(**kwargs: Any) -> float:
        result = audit(bom, Options(as_of=D("2026-12-07"), **kwargs))
        nickel = next(m for m in result.report.minerals if m["mineral"] == "nickel")
        return float(nickel["stages"]["processing"]["china_share"])

    located, controlled = processing_share(), processing_share(control_view=True)
    assert controlled > located


# --- EU Batteries Regulation -------------------------------------------------------------------

PACKS = (
    "Part Number,Description,Qty,Unit Mass (kg),Supplier,Country of Origin,Battery Category,"
    "Battery Capacity (kWh)",
    "B1,Li-ion battery pack NMC622,1,350,Cell Co,Poland,EV,60",
    "B2,Li-ion battery pack NMC622,1,20,Cell Co,Poland,,2.5",
    "B3,Li-ion battery pack NMC622,1,15,Cell Co,Poland,industrial,1.5",
    "B4,Li-ion battery pack NMC622,1,15,Cell Co,Poland,,",
)


def test_battery_pack_over_2_kwh_in_passport_scope_from_2027_02_18(tmp_path: Path) -> None:
    bom = write(tmp_path, *PACKS)
    assert "rule:eu-battery:passport" not in rule_findings(run(bom, "2027-02-17", "eu-battery"))
    found = rule_findings(run(bom, "2027-02-18", "eu-battery"))
    passport = found["rule:eu-battery:passport"]
    assert passport["rows"] == [2, 3]  # the EV pack and the 2.5 kWh pack; not 1.5 kWh industrial
    fields = passport["details"][0]["data"]
    assert fields["batteryChemistry"] == "NMC622"
    assert "cobalt" in fields["criticalRawMaterials"]
    assert found["rule:eu-battery:passport-scope"]["rows"] == [5]


def test_battery_due_diligence_from_2027_08_18(tmp_path: Path) -> None:
    bom = write(tmp_path, *PACKS)
    before = rule_findings(run(bom, "2027-08-17", "eu-battery"))
    after = rule_findings(run(bom, "2027-08-18", "eu-battery"))
    assert not [k for k in before if "due-diligence" in k]
    assert after["rule:eu-battery:due-diligence:cobalt"]["rows"] == [2, 3, 4, 5]


# --- FEOC ---------------------------------------------------------------------------------------


def test_feoc_25_percent_owner_test(tmp_path: Path) -> None:
    bom = write(
        tmp_path,
        HEAD + ",Unit Cost",
        "P1,Li-ion cell NMC811,10,50,Owned Cells,Korea,100",
        "P2,Li-ion cell NMC811,10,50,Minority Cells,Korea,100",
        "P3,Li-ion cell NMC811,10,50,Pooled Cells,Korea,100",
        "P4,Li-ion cell NMC811,10,50,Mainland Cells,China,100",
    )
    owners = tmp_path / "owners.csv"
    owners.write_text(
        "supplier,owner,country,percent\n"
        "Owned Cells,Big Holding,China,30%\n"
        "Minority Cells,Big Holding,China,20\n"
        "Minority Cells,Local Fund,Korea,70\n"
        "Pooled Cells,Holding A,China,0.2\n"
        "Pooled Cells,Holding B,Russia,0.2\n",
        encoding="utf-8",
    )
    found = rule_findings(run(bom, "2026-06-01", "feoc", owners=owners))
    assert found["rule:feoc:obbba:owners"]["rows"] == [2, 4]  # 30% single; 20% + 20% >= 40%
    assert found["rule:feoc:obbba:location"]["rows"] == [5]  # no ownership data: proxy
    macr = found["rule:feoc:macr:2026"]
    assert "50%" in macr["message"]  # 3 of 4 equal-cost lines from prohibited entities
    history = rule_findings(run(bom, "2025-06-01", "feoc", owners=owners))
    assert history["rule:feoc:doe-30d:owners"]["rows"] == [2, 4]
    assert "rule:feoc:obbba:owners" not in history


def test_bad_owners_file_is_one_usage_error(tmp_path: Path) -> None:
    bom = write(tmp_path, HEAD, "P1,Li-ion cell NMC811,10,50,Owned Cells,Korea")
    owners = tmp_path / "owners.csv"
    owners.write_text(
        "supplier,owner,country,percent\nOwned Cells,X,China,lots\n", encoding="utf-8"
    )
    with pytest.raises(UsageError, match=r"row 2, column 'percent'"):
        run(bom, "2026-06-01", "feoc", owners=owners)


# --- CRMA, UFLPA --------------------------------------------------------------------------------


def test_crma_benchmark_per_material_and_stage(tmp_path: Path) -> None:
    bom = write(
        tmp_path,
        HEAD + ",Unit Cost",
        "M1,NdFeB magnet N42 sintered,4,20,Magnet Co,Germany,10",
        "W1,Copper wire,1,500,Wire Co,Germany,30",
    )
    found = rule_findings(run(bom, "2026-12-07", "crma"))
    assert found["rule:crma:neodymium:processing"]["rows"] == [2]
    assert not [k for k in found if k.startswith("rule:crma:copper")]  # no country over 65%
    result = run(bom, "2025-05-23", "crma")
    assert not rule_findings(result)
    assessment = result.report.extras["rules"]["packs"][0]["data"]["assessment"]
    # Only the magnet holds neodymium: 4 x 10 of the BOM's 4 x 10 + 30 spend.
    neodymium = next(a for a in assessment if a["mineral"] == "neodymium")
    assert neodymium["vulnerability"]["spend_share"] == pytest.approx(40 / 70)
    assert neodymium["stages"]["processing"]["above_benchmark"]


def test_uflpa_sector_and_entity_list_dates(tmp_path: Path) -> None:
    bom = write(
        tmp_path,
        HEAD,
        "A1,Aluminium 6061-T6 bar,1,1000,Any Metals,China",
        "A2,Aluminium 6061-T6 bar,1,1000,Xinjiang Zhonghe Co Ltd,China",
    )
    before = rule_findings(run(bom, "2024-07-08", "uflpa"))
    assert "rule:uflpa:aluminum" not in before
    assert "rule:uflpa:entity-list" not in before
    sector = rule_findings(run(bom, "2024-07-09", "uflpa"))
    assert sector["rule:uflpa:aluminum"]["rows"] == [2, 3]
    listed = rule_findings(run(bom, "2024-11-25", "uflpa"))["rule:uflpa:entity-list"]
    assert listed["rows"] == [3] and listed["severity"] == "critical"


# --- dates, changes, findings -------------------------------------------------------------------


def test_changes_on_the_date_and_next(tmp_path: Path) -> None:
    bom = write(tmp_path, *MAGNETS)
    on = run(bom, "2027-01-01", "dfars").report.extras["rules"]["changes"]
    assert "rule:dfars-7052:ndfeb:2027" in on["new"]
    assert "rule:dfars-7052:ndfeb:2024" in on["ended"]
    ahead = run(bom, "2026-12-07", "dfars").report.extras["rules"]["changes"]["next"]
    assert ahead["date"] == "2027-01-01"
    assert [n["id"] for n in ahead["new"]] == ["rule:dfars-7052:ndfeb:2027"]


def test_rule_findings_join_the_report_findings(tmp_path: Path) -> None:
    result = run(write(tmp_path, *MAGNETS), "2026-12-07", "dfars")
    ids = [f.id for f in result.report.findings]
    assert "rule:dfars-7052:ndfeb:2024" in ids
    finding = next(f for f in result.report.findings if f.id == "rule:dfars-7052:ndfeb:2024")
    assert finding.rule == "rule:dfars-7052" and "Clears with:" in finding.message


def test_without_rules_the_report_is_unchanged(tmp_path: Path) -> None:
    result = audit(write(tmp_path, *MAGNETS), Options(as_of=D("2026-12-07")))
    assert "rules" not in result.report.extras and "ownership" not in result.report.extras
    assert not [f for f in result.report.findings if f.id.startswith("rule:")]


def test_unknown_pack_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such rule pack"):
        run(write(tmp_path, *MAGNETS), "2026-12-07", "nosuch")


# --- the rule files ------------------------------------------------------------------------------


def test_every_pack_loads_with_sources() -> None:
    book = load_rules()
    assert set(book.packs) == {
        "dfars-7052", "feoc", "crma", "eu-battery", "conflict-minerals", "uflpa",
    }  # fmt: skip
    for pack in book.packs.values():
        assert pack.cannot_know
        assert all(s.url and s.year for s in pack.sources.values()), pack.id
        used = set(pack.source_keys())
        assert used <= set(pack.sources), pack.id


def test_a_rule_file_with_an_unknown_source_is_refused(tmp_path: Path) -> None:
    import yaml

    from exposure_audit.reference.load import bundled_directory

    data = yaml.safe_load((bundled_directory() / "rules" / "crma.yaml").read_text())
    data["benchmark"]["source"] = "nowhere"
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "crma.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ReferenceDataError) as caught:
        load_rules([tmp_path])
    assert "nowhere" in str(caught.value.problems)


def test_a_user_layer_replaces_a_pack(tmp_path: Path) -> None:
    import yaml

    from exposure_audit.reference.load import bundled_directory

    data = yaml.safe_load((bundled_directory() / "rules" / "crma.yaml").read_text())
    data["benchmark"]["single_country_max"] = 0.99
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "crma.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_rules([tmp_path]).packs["crma"].benchmark.single_country_max == 0.99


# --- the command line ----------------------------------------------------------------------------


def test_rules_command_lists_and_explains() -> None:
    import json

    from typer.testing import CliRunner

    from exposure_audit.cli.app import app

    runner = CliRunner()
    listed = runner.invoke(app, ["rules", "--format", "json", "--as-of", "2026-12-31"])
    assert listed.exit_code == 0
    data = json.loads(listed.output)
    dfars = next(p for p in data["packs"] if p["id"] == "dfars-7052")
    assert dfars["next_change"] == "2027-01-01"
    explained = runner.invoke(app, ["rules", "dfars"])
    assert explained.exit_code == 0
    assert "Cannot know" in explained.output and "not legal advice" in explained.output
    unknown = runner.invoke(app, ["rules", "nosuch"])
    assert unknown.exit_code == 2


def test_crma_assessment_files(tmp_path: Path) -> None:
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from exposure_audit.cli.app import app

    bom = write(tmp_path, HEAD, "M1,NdFeB magnet N42 sintered,4,20,Magnet Co,Germany")
    md, xlsx = tmp_path / "a.crma.md", tmp_path / "a.crma.xlsx"
    result = CliRunner().invoke(
        app, ["audit", str(bom), "-q", "--as-of", "2026-12-07", "-o", str(md), "-o", str(xlsx)]
    )
    assert result.exit_code == 0, result.output
    text = md.read_text(encoding="utf-8")
    assert "| Neodymium | processing | CHN |" in text
    sheet = load_workbook(xlsx).active
    assert [c.value for c in sheet[1]][:2] == ["strategic raw material", "stage"]


# --- the next phase in diff, SARIF, validate ---------------------------------------------------

MAGNET_WITH_OPTIONAL = (
    HEAD + ",Processing Country,Mining Country,HS Code,COTS",
    "M2,NdFeB magnet N42 sintered,4,20,Shin Magnet,Japan,China,,8505.11,no",
)


def test_diff_between_two_as_of_dates_lists_what_the_next_phase_breaks(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from exposure_audit.cli.app import app

    bom = str(write(tmp_path, *MAGNET_WITH_OPTIONAL))
    dates = ["--old-as-of", "2026-12-31", "--new-as-of", "2027-01-02"]
    result = CliRunner().invoke(
        app, ["diff", bom, bom, "--rules", "dfars", *dates, "--format", "json"]
    )
    assert result.exit_code == 1, result.output  # worse: the same BOM breaks on the date
    data = json.loads(result.output)
    new = {f["id"]: f for f in data["findings"]["new"]}
    assert new["rule:dfars-7052:ndfeb:2027"]["rows"] == [2]
    assert data["old"]["policy_as_of"] == "2026-12-31"


def test_rule_findings_are_sarif_results(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from exposure_audit.cli.app import app

    bom = str(write(tmp_path, *MAGNET_WITH_OPTIONAL))
    args = ["audit", bom, "--rules", "dfars", "--as-of", "2027-01-02", "--format", "sarif", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    run_ = json.loads(result.output)["runs"][0]
    results = [r for r in run_["results"] if r["ruleId"].startswith("rule:dfars-7052")]
    assert [r["ruleId"] for r in results] == ["rule:dfars-7052"]
    assert "rule:dfars-7052:ndfeb:2027" in json.dumps(results[0])
    assert any(rule["id"] == "rule:dfars-7052" for rule in run_["tool"]["driver"]["rules"])


def test_validate_explains_the_optional_rule_columns(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from exposure_audit.cli.app import app

    result = CliRunner().invoke(app, ["validate", str(write(tmp_path, *MAGNET_WITH_OPTIONAL))])
    assert result.exit_code == 0, result.output
    assert "hs_code (optional: --rules)" in result.output
    assert "cots (optional: --rules)" in result.output
