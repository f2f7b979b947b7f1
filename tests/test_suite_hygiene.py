"""The suite leaves the user's home alone: every cache it or its subprocesses write is in a
temporary folder (issue 20: the suite wrote into the real ~/.cache)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _outside_home_cache(value: str) -> bool:
    real = Path.home() / ".cache"
    return not Path(value).resolve().is_relative_to(real.resolve())


def test_the_caches_point_outside_the_home_folder():
    assert _outside_home_cache(os.environ["EXPOSURE_AUDIT_CACHE_DIR"])
    assert _outside_home_cache(os.environ["XDG_CACHE_HOME"])


def test_an_audit_run_by_the_suite_writes_its_cache_where_the_suite_says():
    from exposure_audit.reference.load import cache_directory

    folder = cache_directory()
    assert folder is not None and _outside_home_cache(str(folder))
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from exposure_audit.reference.load import cache_directory as c;print(c())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == str(folder)  # subprocesses inherit the same folder
