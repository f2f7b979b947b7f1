"""End to end on the bundled examples: their committed JSON reports are regenerated and
compared, the real published BOMs audit cleanly, and output is deterministic.

Regenerate the committed reports with `python -m pytest tests/test_examples.py --update-goldens`
(or EXPOSURE_AUDIT_UPDATE_GOLDENS=1) and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from exposure_audit.api import Options, audit
from exposure_audit.report.json import JsonFormatter

from support import golden_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if p.suffix in {".xlsx", ".csv"})
AS_OF = dt.date(2026, 11, 28)
SHARED = ROOT.parent / "shared" / "real-boms"


def update_goldens(request) -> bool:
    option = request.config.getoption("--update-goldens")
    return bool(option or os.environ.get("EXPOSURE_AUDIT_UPDATE_GOLDENS"))


def render(name: str) -> str:
    return JsonFormatter().render(audit(Path("examples") / name, Options(as_of=AS_OF)))


def test_there_are_three_examples_in_two_formats():
    stems = {Path(n).stem for n in EXAMPLES}
    assert stems == {"ev_battery_pack", "pm_motor", "electronics_board"}
    assert len(EXAMPLES) == 6


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_report_matches_the_committed_copy(name, monkeypatch, request):
    monkeypatch.chdir(ROOT)
    rendered = render(name)
    golden = ROOT / "examples" / f"{name}.report.json"
    expected = golden_text(golden, rendered, update_goldens(request))
    assert json.loads(rendered) == json.loads(expected)


@pytest.mark.parametrize("stem", ["ev_battery_pack", "pm_motor", "electronics_board"])
def test_example_markdown_report_matches_the_committed_copy(stem, monkeypatch, request):
    from exposure_audit.report import all_formatters

    monkeypatch.chdir(ROOT)
    result = audit(Path("examples") / f"{stem}.xlsx", Options(as_of=AS_OF))
    rendered = all_formatters()["markdown"].render(result)
    golden = ROOT / "examples" / f"{stem}.xlsx.report.md"
    assert rendered == golden_text(golden, rendered, update_goldens(request))


def test_a_missing_golden_fails_and_is_not_written(tmp_path):
    golden = tmp_path / "missing.report.json"
    with pytest.raises(AssertionError, match="is missing"):
        golden_text(golden, "{}", update=False)
    assert not golden.exists()
    assert golden_text(golden, "{}", update=True) == "{}"


@pytest.mark.parametrize("stem", ["ev_battery_pack", "pm_motor", "electronics_board"])
def test_xlsx_and_csv_versions_agree(stem, monkeypatch):
    monkeypatch.chdir(ROOT)
    xlsx = json.loads(render(f"{stem}.xlsx"))
    csv = json.loads(render(f"{stem}.csv"))
    assert xlsx["summary"] == csv["summary"]
    assert xlsx["minerals"] == csv["minerals"]
    assert [f["id"] for f in xlsx["findings"]] == [f["id"] for f in csv["findings"]]


def test_examples_find_what_a_person_would(monkeypatch):
    monkeypatch.chdir(ROOT)
    battery = json.loads(render("ev_battery_pack.xlsx"))
    cell = next(line for line in battery["lines"] if line["part_number"] == "INR21700-50E")
    assert cell["match"]["archetype"] == "li_cell_nmc811"
    assert {m["mineral"] for m in cell["minerals"]} >= {"lithium", "nickel", "cobalt", "graphite"}
    motor = json.loads(render("pm_motor.xlsx"))
    magnet = next(line for line in motor["lines"] if line["part_number"] == "M-1001")
    assert magnet["match"]["archetype"] == "ndfeb_sintered_hc"
    assert magnet["supplier_country"] == "CHN"
    assert {"covered-nation-supplier", "export-control-active:dysprosium"} <= {
        f["id"] for f in motor["findings"]
    }
    board = json.loads(render("electronics_board.xlsx"))
    minerals = {m["mineral"] for m in board["minerals"]}
    assert {"gallium", "germanium", "tantalum", "indium"} <= minerals


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/real-boms is absent")
@pytest.mark.parametrize(
    ("name", "archetypes"),
    [
        ("battery_pack_3s6p.xlsx", {"18650 Li-Ion Cell": "li_cell"}),
        (
            "qdd_actuator.xlsx",
            {
                "N52 12x5x3mm": "ndfeb",
                "N50 1/2 x 1/8 x 1/16in": "ndfeb",
                "0.4mm Enameled Magnet Wire": "copper",
            },
        ),
        ("micromanipulator_bom.csv", {"Magnet": "ndfeb"}),
    ],
)
def test_real_boms_audit_and_find_the_minerals(name, archetypes):
    from typer.testing import CliRunner

    from exposure_audit.cli.app import audit_app

    result = CliRunner().invoke(audit_app, [str(SHARED / name), "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for prefix, archetype in archetypes.items():
        line = next(x for x in report["lines"] if (x["description"] or "").startswith(prefix))
        assert (line["match"]["archetype"] or "").startswith(archetype), line


def test_json_is_byte_identical_whatever_the_locale_time_zone_or_hash_seed():
    outputs = set()
    for seed, tz, lang in (
        ("0", "UTC", "C.UTF-8"),
        ("12345", "Asia/Tokyo", "de_DE.UTF-8"),
        ("random", "America/New_York", "fr_FR.UTF-8"),
    ):
        env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz, "LC_ALL": lang, "LANG": lang}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "exposure_audit",
                "audit",
                "examples/pm_motor.csv",
                "-f",
                "json",
                "--as-of",
                "2026-11-28",
            ],
            capture_output=True,
            cwd=ROOT,
            env=env,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr.decode()
        outputs.add(proc.stdout)
    assert len(outputs) == 1
