"""The browse commands (minerals, groups, materials, declarations) through the CLI runner, and
the library functions behind them, on the bundled reference data."""

from __future__ import annotations

import datetime as dt
import json
import math
import textwrap

import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import app
from exposure_audit.engine.mapping import explain_material
from exposure_audit.errors import UsageError
from exposure_audit.reference import load_reference
from exposure_audit.reference import queries as browse

from declarations_helpers import make_fake_template

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def run_json(*args: str):
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def reference():
    return load_reference()


# --- minerals ----------------------------------------------------------------------------------


def test_minerals_json_lists_every_mineral_with_its_shape(reference):
    data = run_json("minerals")
    assert len(data) == len(reference.minerals) == 64
    assert [m["id"] for m in data] == sorted(reference.minerals)
    for m in data:
        assert set(m) == {"id", "name", "symbol", "lists", "export_controls", "stages"}
        assert set(m["stages"]) <= {"mining", "processing"}
        for stage in m["stages"].values():
            assert set(stage) == {"year", "source", "shares"}
            assert stage["source"]["title"] and stage["year"]
            assert sum(stage["shares"].values()) <= 1 + 1e-6
        for control in m["export_controls"]:
            assert set(control) == {"measure", "since", "status", "until", "scope", "source"}
            assert control["status"] in {"active", "suspended", "ended", "not_yet", "technology"}


def test_gallium_processing_is_china_99_percent_with_its_source_year():
    data = run_json("minerals", "--as-of", "2026-03-01")
    gallium = next(m for m in data if m["id"] == "gallium")
    processing = gallium["stages"]["processing"]
    assert processing["shares"]["CHN"] == pytest.approx(0.99)
    assert processing["year"] == "2025"
    assert processing["source"]["year"] == 2026
    assert "USGS" in processing["source"]["title"]
    assert "mining" not in gallium["stages"]  # no public figure: absent, never zero
    assert gallium["symbol"] == "Ga" and "us_2025" in gallium["lists"]


@pytest.mark.parametrize("name", ["gallium", "GALLIUM", "Ga", "ga", "Gallium"])
def test_mineral_found_by_id_name_or_symbol(name):
    data = run_json("minerals", name)
    assert data["id"] == "gallium"
    assert data["missing_stages"] == ["mining"]
    processing = data["stages"]["processing"]
    assert list(processing["shares"])[0] == "CHN"  # largest first
    assert processing["basis"] and processing["confidence"] in {"high", "medium", "low"}


def test_mineral_found_by_alias(reference):
    mineral = next(m for m in reference.minerals.values() if m.aliases)
    assert run_json("minerals", mineral.aliases[0].upper())["id"] == mineral.id


def test_export_control_status_follows_as_of():
    def clause2(as_of: str) -> dict:
        data = run_json("minerals", "gallium", "--as-of", as_of)
        return next(c for c in data["export_controls"] if "clause 2" in c["measure"])

    assert clause2("2026-01-01")["status"] == "suspended"
    assert clause2("2026-01-01")["until"] == "2026-11-27"
    assert clause2("2026-12-01")["status"] == "active"
    assert clause2("2024-06-01")["status"] == "not_yet"


def test_unknown_mineral_exits_2_with_close_matches():
    result = run("minerals", "galium")
    assert result.exit_code == 2
    assert "no mineral named 'galium'" in result.stderr
    assert "gallium" in result.stderr.split("did you mean")[1]
    assert result.stdout == ""


def test_bad_as_of_exits_2():
    result = run("minerals", "--as-of", "yesterday")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr


def test_minerals_table_shows_shares_and_no_data():
    result = runner.invoke(app, ["minerals", "gallium"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    assert "CHN" in result.stdout and "99.0%" in result.stdout
    assert "mining: no data" in result.stdout
    listing = runner.invoke(app, ["minerals"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0 and "64 minerals" in listing.stdout


# --- groups ------------------------------------------------------------------------------------


def test_groups_json_shape(reference):
    data = run_json("groups")
    assert [g["id"] for g in data] == sorted(reference.groups)
    for g in data:
        assert set(g) == {"id", "name", "kind", "as_of", "members", "sources"}
        dt.date.fromisoformat(g["as_of"])
        for member in g["members"]:
            assert set(member) == {"iso3", "status", "date"}


def test_group_members_count_by_status_and_date():
    before = run_json("groups", "forge", "--as-of", "2026-02-01")
    after = run_json("groups", "FORGE", "--as-of", "2026-03-01")
    assert before["id"] == after["id"] == "forge"
    assert not any(m["counts"] for m in before["members"])
    counts = {m["iso3"]: m["counts"] for m in after["members"]}
    assert counts["KOR"] is True and counts["USA"] is True
    assert counts["MNG"] is False  # reported_unverified is not a counting status
    assert "DEU" in after["counting_members"]  # the EU member expands to its states
    assert before["counting_members"] == []


def test_group_found_by_name(reference):
    group = reference.groups["us_covered_nations_feoc_pfe"]
    data = run_json("groups", group.name.lower())
    assert data["id"] == group.id
    assert {m["iso3"] for m in data["members"]} >= {"CHN", "RUS", "PRK", "IRN"}


def test_unknown_group_exits_2():
    result = run("groups", "forgee")
    assert result.exit_code == 2
    assert "no group named" in result.stderr and "forge" in result.stderr


def test_group_table():
    result = runner.invoke(
        app, ["groups", "forge", "--as-of", "2026-03-01"], env={"COLUMNS": "160"}
    )
    assert result.exit_code == 0
    assert "KOR" in result.stdout and "chair" in result.stdout


# --- materials ---------------------------------------------------------------------------------


def test_materials_json_shape(reference):
    data = run_json("materials")
    assert len(data) == len(reference.materials)
    for m in data:
        assert set(m) == {"id", "name", "aliases", "composition", "typical_mass_kg", "source"}
        assert sum(m["composition"].values()) <= 1 + 1e-6
        assert m["source"]["title"]
    smartphone = next(m for m in data if m["id"] == "smartphone")
    assert smartphone["typical_mass_kg"] == pytest.approx(0.108)


def test_n52_maps_to_sintered_ndfeb_by_pattern():
    data = run_json("materials", "N52 12x5x3mm")
    match = data["match"]
    assert match["archetype"] == "ndfeb_sintered"
    assert match["method"] == "pattern"
    assert "n52" in match["reason"]
    assert (
        match["pattern"]
        and match["pattern"] in load_reference().materials["ndfeb_sintered"].patterns
    )
    assert data["archetype"]["composition"]["neodymium"] > 0.2


def test_magnet_wire_maps_to_copper():
    data = run_json("materials", "0.4mm Enameled Magnet Wire")
    assert data["match"]["archetype"] == "copper_cathode"
    assert data["archetype"]["composition"] == {"copper": pytest.approx(0.9999)}


def test_archetype_id_shows_its_details():
    data = run_json("materials", "ndfeb_sintered")
    assert data["kind"] == "archetype"
    detail = data["archetype"]
    assert detail["id"] == "ndfeb_sintered" and detail["patterns"] and detail["exclude"]
    assert {c["mineral"] for c in detail["components"]} >= {"neodymium", "praseodymium"}
    assert all(c["source"]["title"] for c in detail["components"])


def test_text_that_maps_to_nothing_gives_suggestions_not_an_error():
    data = run_json("materials", "widget")
    assert data["match"]["archetype"] is None and data["archetype"] is None


def test_unknown_archetype_id_exits_2():
    result = run("materials", "unobtainium_alloy_x")
    assert result.exit_code == 2
    assert "no material archetype named" in result.stderr


def test_materials_table_explains_the_match():
    result = runner.invoke(app, ["materials", "N52 12x5x3mm"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    assert "ndfeb_sintered" in result.stdout and "pattern" in result.stdout


# --- --reference layers ------------------------------------------------------------------------

USER_MATERIALS = textwrap.dedent("""\
    schema_version: 1
    materials:
      - id: user_widget
        name: "[bold red]Widget[/bold red] alloy"
        category: user
        patterns: ['\\bwidget\\b']
        composition:
          - {mineral: tin, fraction: 0.5}
        source: {title: "Supplier datasheet", year: 2026}
    """)


@pytest.fixture
def user_layer(tmp_path):
    (tmp_path / "materials.yaml").write_text(USER_MATERIALS, encoding="utf-8")
    return tmp_path


def test_reference_layer_is_honoured(user_layer):
    data = run_json("materials", "blue widget", "--reference", str(user_layer))
    assert data["match"]["archetype"] == "user_widget"
    listing = run_json("materials", "--reference", str(user_layer))
    assert any(m["id"] == "user_widget" for m in listing)
    assert len(listing) == len(load_reference().materials) + 1


def test_reference_text_is_never_markup(user_layer):
    result = runner.invoke(
        app, ["materials", "--reference", str(user_layer)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0
    assert "[bold red]Widget[/bold red]" in result.stdout


def test_broken_reference_layer_exits_2(tmp_path):
    (tmp_path / "materials.yaml").write_text("materials: [{id: x}]\n", encoding="utf-8")
    result = run("minerals", "--reference", str(tmp_path))
    assert result.exit_code == 2


# --- declarations ------------------------------------------------------------------------------


@pytest.fixture
def cmrt(tmp_path):
    rows = [
        {"B": "Tin", "D": "Tin Smelter A", "E": "CHINA", "F": "CID000001", "P": "No"},
        {"B": "Tantalum", "D": "Ta Refinery", "E": "RWANDA", "F": "CID000002", "P": "Yes"},
        {"B": "Tin", "C": "Smelter not listed", "D": "Unknown smelter", "E": "BOLIVIA"},
    ]
    return make_fake_template(tmp_path / "acme-cmrt.xlsx", company="Acme Metals Ltd.", rows=rows)


def test_declarations_json(cmrt, tmp_path):
    second = make_fake_template(
        tmp_path / "other.xlsx",
        company="Other Co",
        rows=[{"B": "Tin", "D": "Tin Smelter A", "E": "CHINA", "F": "CID000001", "P": "No"}],
    )
    data = run_json("declarations", str(cmrt), str(second))
    assert [f["company"] for f in data["files"]] == ["Acme Metals Ltd.", "Other Co"]
    first = data["files"][0]
    assert first["template"] == "CMRT" and first["version"] == "6.5"
    assert first["date"] == "2025-04-25" and first["not_listed"] == 1
    smelters = {s["rmi_id"]: s for s in data["smelters"]}
    assert set(smelters) == {"CID000001", "CID000002"}  # de-duplicated across files
    assert smelters["CID000001"]["country_iso3"] == "CHN"
    assert len(smelters["CID000001"]["files"]) == 2
    assert smelters["CID000002"] == {
        "metal": "tantalum",
        "name": "Ta Refinery",
        "country": "RWANDA",
        "country_iso3": "RWA",
        "rmi_id": "CID000002",
        "recycled": True,
        "files": [str(cmrt)],
    }
    assert data["problems"] == []


def test_declarations_folder_and_bad_file(cmrt, tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    data = run_json("declarations", str(tmp_path))
    assert len(data["files"]) == 1
    assert len(data["problems"]) == 1 and "broken.xlsx" in data["problems"][0]["message"]


def test_declarations_table_reports_problems_on_stderr(cmrt, tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a workbook")
    result = runner.invoke(app, ["declarations", str(cmrt), str(bad)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Ta Refinery" in result.stdout and "CID000002" in result.stdout
    assert "broken.xlsx" in result.stderr


def test_declarations_exit_2_when_nothing_readable(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a workbook")
    result = run("declarations", str(bad), str(tmp_path / "missing.xlsx"))
    assert result.exit_code == 2
    assert "none of the declarations could be read" in result.stderr


# --- help and the library ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["minerals", "groups", "materials", "declarations"])
def test_help_ends_with_examples(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Examples" in result.stdout
    assert f"exposure-audit {command}" in result.stdout.split("Examples")[1]


def test_library_functions_return_plain_data(reference):
    as_of = dt.date(2026, 3, 1)
    minerals = browse.list_minerals(reference, as_of)
    assert json.loads(json.dumps(minerals)) == minerals
    detail = browse.mineral_detail(reference, "Nd", as_of)
    assert detail["id"] == "neodymium"
    shares = detail["stages"]["processing"]["shares"]
    assert math.isclose(sum(shares.values()), 1.0, abs_tol=1e-6)
    with pytest.raises(UsageError):
        browse.find_mineral(reference, "kryptonite")
    assert browse.find_group(reference, "Forge") == "forge"
    explained = explain_material(reference, "Magnet — 3mm Dia. 4mm Height | Neodym Cylinder Magnet")
    assert explained["folded"] == "magnet | 3mm dia. 4mm height | neodym cylinder magnet"
    assert explained["match"]["archetype"] == "ndfeb_sintered"


def test_cli_import_stays_light():
    """`--help` must stay fast: importing the CLI loads neither pandas nor the tables."""
    import subprocess
    import sys

    code = (
        "import sys, exposure_audit.cli; "
        "print(sorted(m for m in ('pandas', 'yaml', 'exposure_audit.reference.queries') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"


def test_materials_shows_the_decision_path():
    """Text rules first, then component rules, then the decision, each step in words."""
    data = run_json("materials", "Thermal pad, silicone")
    assert data["match"]["archetype"] == "pdms_silicone"
    assert data["text_match"]["archetype"] is None
    assert data["recognition"]["kind"] == "plastic_part"
    assert any(e["token"] == "thermal pad" for e in data["recognition"]["evidence"])
    assert [s.split(":")[0] for s in data["path"]] == [
        "text rules (mineral column, CAS, alias, pattern, fuzzy)",
        "component rules",
        "decision",
    ]
    part_number = run_json("materials", "Connector AB-GAN-3")
    assert part_number["match"]["archetype"] is None  # no gallium nitride from a part number
    result = runner.invoke(app, ["materials", "Thermal pad, silicone"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "3. decision: pdms_silicone" in result.stdout
