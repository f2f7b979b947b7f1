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


PIPELINE = Path(__file__).resolve().parents[1] / "fuzz" / "fuzz_pipeline.py"


def test_pipeline_fuzz_target_reaches_scoring_and_every_writer():
    spec = importlib.util.spec_from_file_location("fuzz_pipeline", PIPELINE)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    count, audited = module.run(examples=25, derandomize=True)
    assert count == 25
    assert audited >= 5  # the inputs get past the reader, into scoring and the writers
