"""A short run of the reader fuzz target (fuzz/fuzz_reader.py runs it for as long as you like)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "fuzz" / "fuzz_reader.py"


def test_reader_fuzz_target_finds_no_unexpected_exception():
    spec = importlib.util.spec_from_file_location("fuzz_reader", TARGET)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    module.run(examples=40, derandomize=True)
