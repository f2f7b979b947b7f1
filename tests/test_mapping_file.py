"""A team's mapping file: `validate --save-map` writes it, `--mapping` reads it (columns and
parts), bad files exit 2 with one line; unmapped lines say why and what to do."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from exposure_audit.bom.mapfile import load_mapping, render_mapping
from exposure_audit.cli.app import app

runner = CliRunner()

BOM = "Part Number,Item Text,Menge\nP-1,Propeller 5x4.5,2\nP-2,stainles steel 304,1\n"


def _bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text(BOM, encoding="utf-8")
    return path


def test_save_map_then_mapping_round_trip(tmp_path):
    bom, saved = _bom(tmp_path), tmp_path / "team.yaml"
    result = runner.invoke(app, ["validate", str(bom), "--save-map", str(saved)])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert data["columns"]["quantity"] == "Menge"
    assert data["parts"] == {"Propeller 5x4.5": None, "stainles steel 304": None}
    assert "# closest: ss_304" in saved.read_text(encoding="utf-8")  # a typo is close
    text = saved.read_text(encoding="utf-8").replace(
        '"Propeller 5x4.5": null', '"Propeller 5x4.5": plastic_generic'
    )
    saved.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bom), "--mapping", str(saved), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["match_methods"].get("mapping") == 1


def test_mapping_columns_yield_to_map(tmp_path):
    bom = _bom(tmp_path)
    team = tmp_path / "team.yaml"
    team.write_text("columns: {description: Part Number}\n", encoding="utf-8")
    args = ["validate", str(bom), "--mapping", str(team), "--json"]
    data = json.loads(runner.invoke(app, args).stdout)
    assert data["columns"]["description"] == "Part Number"
    data = json.loads(runner.invoke(app, [*args, "--map", "description=Item Text"]).stdout)
    assert data["columns"]["description"] == "Item Text"
    assert "--map" in data["column_reasons"]["Item Text"]


def test_a_bad_mapping_file_exits_2(tmp_path):
    bom = _bom(tmp_path)
    for text, message in [
        ("parts: {P-1: no_such_archetype}\n", "names no material archetype"),
        ("parts: [1, 2]\n", "`parts` must map"),
        ("columns: {description: [x]}\n", "`columns` must map"),
        ("what: ever\n", "expected the keys"),
        ("parts: {a: b\n", "not valid YAML"),
    ]:
        team = tmp_path / "team.yaml"
        team.write_text(text, encoding="utf-8")
        result = runner.invoke(app, ["validate", str(bom), "--mapping", str(team)])
        assert result.exit_code == 2, text
        assert message in result.stderr, (text, result.stderr)


def test_unmapped_lines_say_why_and_what_to_do(tmp_path):
    result = runner.invoke(app, ["audit", str(_bom(tmp_path)), "-f", "json"])
    report = json.loads(result.stdout)
    propeller = next(u for u in report["unmapped"] if u["part_number"] == "P-1")
    assert propeller["suggestions"] == []  # nothing close: no nonsense suggestion
    assert propeller["reason"] and "--mapping" in propeller["next_step"]
    shim = next(u for u in report["unmapped"] + [{}] if u.get("part_number") == "P-2")
    assert shim == {} or "ss_304" in shim["next_step"]
    mapped = [line["match"] for line in report["lines"] if line["match"]["archetype"]]
    assert all(m["reason"] for m in mapped)


def test_render_mapping_keeps_entries_and_adds_open_ones():
    text = render_mapping({"quantity": "Qty"}, {"A-1": "ss_304"}, [("Gearbox", ["steel_1045"])])
    data = yaml.safe_load(text)
    assert data == {
        "schema": 1,
        "columns": {"quantity": "Qty"},
        "parts": {"A-1": "ss_304", "Gearbox": None},
    }
    assert "# closest: steel_1045" in text


def test_load_mapping_reads_null_parts_as_undecided(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text('parts: {"A-1": ss_304, "B-2": null}\n', encoding="utf-8")
    team = load_mapping(path)
    assert team.decided == {"A-1": "ss_304"} and team.parts["B-2"] is None
