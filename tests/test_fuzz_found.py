"""Inputs the pipeline fuzzer (fuzz/fuzz_pipeline.py) found crashing, kept as regression tests."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from exposure_audit.cli.app import app


def test_a_mineral_cell_on_a_line_recognised_from_its_part_number(tmp_path):
    # Recognition renumbered the distinct rows, and the unknown-mineral check indexed the old
    # numbering with the new codes: IndexError, exit 3.
    path = tmp_path / "bom.csv"
    path.write_text("Part Number,Mineral\nNdFeB magnet N42SH,NdFeB magnet N42SH\n")
    done = CliRunner().invoke(app, ["audit", str(path), "-f", "json", "--as-of", "2026-11-28"])
    assert done.exit_code == 0, done.output
    issues = json.loads(done.stdout)["issues"]["listed"]
    assert [(i["code"], i["row"]) for i in issues if i["code"] == "unknown-mineral"] == [
        ("unknown-mineral", 2)
    ]
