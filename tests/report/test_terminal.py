"""The terminal report: a first screen a new user can read, at 80 and 120 columns, with and
without colour; `--details` for the rest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from exposure_audit.api import Options, audit
from exposure_audit.cli.app import audit_app
from exposure_audit.report.summary import Sources, executive_summary
from exposure_audit.report.table import render_text, stage_bar

from support import toy_audit

ROOT = Path(__file__).resolve().parents[2]
EV = ROOT / "examples" / "ev_battery_pack.xlsx"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def ev():
    return audit(EV, Options())


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    from report_helpers import GOLDEN

    return toy_audit(GOLDEN / "toy_motor" / "bom.csv")


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("color", [False, True])
def test_ev_first_screen_says_what_is_at_stake_why_and_what_to_do(ev, width, color):
    text = ANSI.sub("", render_text(ev, width=width, color=color))
    lines = text.splitlines()
    assert len(lines) < 80, f"{len(lines)} lines at width {width}"
    assert all(cell_len(line) <= width for line in lines)
    first = "\n".join(lines[:24])  # one screen
    assert ev.summary.tier.upper() in first and f"score {ev.summary.score}/100" in first
    for label in ("At stake:", "Coverage:", "Data:", "What drives it"):
        assert label in first
    assert "→ " in first  # an action for the first driver
    # The first driver is the mineral with the most at stake, its cost in the BOM's currency.
    top = executive_summary(ev).drivers[0]
    assert f"1. {top.name} · $" in first


def test_ev_colour_changes_style_only(ev):
    plain = render_text(ev, width=100, color=False)
    coloured = render_text(ev, width=100, color=True)
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert ANSI.sub("", coloured) == plain


def test_tiers_read_without_colour(ev):
    text = render_text(ev, width=120, color=False)
    rows = text[text.index("Riskiest lines") :].split("Not recognised")[0]
    tiers = {
        t for t in ("critical", "high", "medium", "low") if re.search(rf"\b{t}\s*$", rows, re.M)
    }
    assert len(tiers) >= 2  # the tier is a word on each line, not only a colour


def test_details_has_every_mineral_finding_and_action(ev):
    brief = render_text(ev, width=120)
    full = render_text(ev, width=120, details=True)
    assert "Minerals by what is at stake" not in brief and "Minerals by what is at stake" in full
    assert "--details" in brief
    for f in ev.findings:
        assert f.id[:20] in full
    actions = ev.report.extras["actions"]
    assert f"Actions ({len(actions)})" in full
    assert len(full.splitlines()) > len(brief.splitlines())


def test_sources_are_listed_once_and_cited_by_number(ev):
    full = render_text(ev, width=200, details=True)
    listed = re.findall(r"^\[(\d+)\] (.+)$", full, re.M)
    assert listed, "no sources listed"
    numbers = [int(n) for n, _ in listed]
    assert numbers == list(range(1, len(numbers) + 1))
    titles = [t for _, t in listed]
    assert len(set(titles)) == len(titles)
    cited = {int(n) for n in re.findall(r"\[(\d+)\](?!\s)", full.split("\nSources\n")[0])}
    assert cited and cited <= set(numbers)
    # The old report repeated a citation paragraph under every action.
    assert "facts:" not in full


def test_sources_merge_a_source_cited_with_and_without_its_address():
    sources = Sources()
    assert sources.cite("USGS MCS 2026", 2026) == 1
    assert sources.cite("USGS MCS 2026", 2026, "https://usgs.gov/x") == 1
    assert sources.cite("IEA", 2025) == 2
    assert sources.cite(None) is None
    assert sources.items == ["USGS MCS 2026 https://usgs.gov/x", "IEA (2025)"]


@pytest.mark.parametrize(
    ("share", "blocks"), [(0.0, ""), (0.5, "█████"), (1.0, "██████████"), (0.96, "█████████▋")]
)
def test_stage_bar_length_follows_the_share(share, blocks):
    bar = stage_bar(share).plain
    assert bar.startswith(blocks) and bar.endswith(f"{round(100 * share)}%")
    assert cell_len(bar.split(" ")[0]) == 10


def test_stage_bar_without_data_is_not_a_zero():
    assert stage_bar(None).plain.endswith("–") and "█" not in stage_bar(None).plain


def test_cli_details_flag(tmp_path):
    runner = CliRunner()
    brief = runner.invoke(audit_app, [str(EV)], env={"COLUMNS": "80"})
    full = runner.invoke(audit_app, [str(EV), "--details"], env={"COLUMNS": "80"})
    assert brief.exit_code == 0 and full.exit_code == 0
    assert len(brief.stdout.splitlines()) < 80
    assert "Minerals by what is at stake" in full.stdout


def test_toy_driver_names_the_action_for_its_mineral(toy):
    summary = executive_summary(toy)
    actions = toy.report.extras["actions"]
    for d in summary.drivers:
        if d.action is not None:
            action = next(a for a in actions if a["title"] == d.action)
            assert d.mineral in action["minerals"]
    # The $20 rotor magnet (NdFeB with Dy, both refined almost wholly in China) outweighs the
    # $12 GaN FET and the cents of copper and tin.
    assert {d.mineral for d in summary.drivers[:2]} == {"neodymium", "dysprosium"}
