"""The CLI's format names, `--output` suffixes and the formatter registry agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from exposure_audit.cli.common import FORMAT_NAMES, OutputFormat, check_outputs
from exposure_audit.report import all_formatters, formatter_for_suffix

SUFFIXES = (".json", ".csv", ".xlsx", ".md", ".markdown", ".html", ".htm", ".sarif", ".txt")


def test_format_names_and_formatters_agree():
    assert set(FORMAT_NAMES) == set(all_formatters())
    assert {m.value for m in OutputFormat} == set(all_formatters())
    for name, formatter in all_formatters().items():
        assert formatter.name == name
        assert formatter.suffixes and all(s.startswith(".") for s in formatter.suffixes)
        assert isinstance(formatter.binary, bool)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_every_output_suffix_has_a_formatter(tmp_path, suffix):
    [(path, name)] = check_outputs([tmp_path / f"report{suffix}"], [])
    assert name in all_formatters()
    assert formatter_for_suffix(suffix) is all_formatters()[name]
    assert formatter_for_suffix(suffix.upper()) is all_formatters()[name]


@pytest.mark.parametrize("name", sorted(all_formatters()))
def test_every_formatter_suffix_is_accepted_by_output(tmp_path, name):
    for suffix in all_formatters()[name].suffixes:
        [(_, fmt)] = check_outputs([tmp_path / Path(f"report{suffix}")], [])
        assert fmt == name
