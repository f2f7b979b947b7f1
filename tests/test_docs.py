"""The README cannot rot: its issue-code table, rule list and commands match the code."""

from __future__ import annotations

import re
from pathlib import Path

from exposure_audit.engine.findings import RULE_IDS
from exposure_audit.issues import IssueCode

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_issue_code_table_matches_the_enum():
    section = README.split("## Issue codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z-]+)` \| (\w+) \| (.+?) \|$", section, flags=re.MULTILINE)
    assert [(c, s, t) for c, s, t in rows] == [
        (c.value, c.severity, c.title)
        for c in IssueCode  # type: ignore[attr-defined]
    ]


def test_every_finding_rule_is_documented():
    scoring = README.split("## Scoring", 1)[1].split("\n## ", 1)[0]
    missing = [rule for rule in RULE_IDS if f"`{rule}`" not in scoring]
    assert not missing


def test_every_command_is_listed_under_usage():
    from exposure_audit.cli.app import app

    usage = README.split("## Usage", 1)[1].split("\n## ", 1)[0]
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert names
    missing = [n for n in names if f"exposure-audit {n}" not in usage and f"{n} BOM" not in usage]
    assert not missing


def test_readme_help_block_is_the_real_help():
    from typer.testing import CliRunner

    from exposure_audit.cli.app import audit_app

    result = CliRunner().invoke(
        audit_app, ["--help"], prog_name="audit", env={"COLUMNS": "100", "TERM": "dumb"}
    )
    block = README.split("<!-- help:audit -->", 1)[1].split("<!-- /help:audit -->", 1)[0]
    shown = block.strip().removeprefix("```text").removesuffix("```").strip()
    assert shown == result.output.strip(), (
        "README's audit --help block is out of date: paste the output of "
        "`COLUMNS=100 audit --help` between the help:audit markers"
    )


def test_the_security_section_lists_every_limit():
    import re

    source = Path(__file__).resolve().parents[1] / "src" / "exposure_audit"
    settings = set()
    for module in source.rglob("*.py"):
        settings |= set(re.findall(r"EXPOSURE_AUDIT_MAX_[A-Z_]+", module.read_text("utf-8")))
    section = README.split("## Security", 1)[1].split("\n## ", 1)[0]
    assert settings, "no limit settings found in the source"
    assert sorted(s for s in settings if s not in section) == []
    for words in ("Never executed", "Untrusted", "Trusted"):
        assert f"**{words}**" in section
