"""The package type-checks with mypy as pyproject.toml configures it ([tool.mypy]: strict for
engine/, compare/ and the report model, every function body checked elsewhere)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_nothing():
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (it comes with the test extra)")
    proc = subprocess.run(
        # `files` comes from the config; the checkout's .mypy_cache (ignored by git) keeps a
        # second run to seconds, a fresh one takes about a minute on a busy machine.
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
