"""The on-disk reference cache can neither run code nor be trusted blindly (issue 20, defect 1)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from exposure_audit.reference import load as reference_load


class _Explode:
    """Unpickling this runs `touch` on a marker file: what a poisoned cache would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("EXPOSURE_AUDIT_CACHE_DIR", str(folder))
    monkeypatch.delenv("EXPOSURE_AUDIT_NO_CACHE", raising=False)
    reference_load._load.cache_clear()
    yield folder
    reference_load._load.cache_clear()


def _key() -> str:
    key = reference_load._disk_key(((), None, True))
    assert key is not None
    return key


def test_a_poisoned_pickle_in_the_cache_folder_is_never_run(cache_dir: Path) -> None:
    marker = cache_dir.parent / "ran"
    for suffix in ("pickle", "json"):
        with (cache_dir / f"reference-{_key()}.{suffix}").open("wb") as handle:
            pickle.dump((_key(), _Explode(marker)), handle)
    reference = reference_load.load_reference()
    assert not marker.exists(), "the cache was unpickled: it ran code"
    assert reference.minerals
    # The bad JSON-named file was rebuilt from the tables, and reads back as the same set.
    assert reference_load._read_disk_cache(_key()) == reference


def test_cache_round_trip_equals_the_parsed_tables(cache_dir: Path) -> None:
    reference = reference_load.load_reference()
    file = reference_load.cache_file(_key())
    assert file is not None and file.is_file()
    assert file.read_bytes().lstrip().startswith(b"{")
    assert reference_load._read_disk_cache(_key()) == reference


def test_a_cache_that_fails_validation_is_rebuilt(cache_dir: Path) -> None:
    reference = reference_load.load_reference()
    file = reference_load.cache_file(_key())
    assert file is not None
    file.write_text(file.read_text().replace('"minerals":{', '"minerals":{"x":1,', 1))
    assert reference_load._read_disk_cache(_key()) is None
    reference_load._load.cache_clear()
    assert reference_load.load_reference() == reference
    assert reference_load._read_disk_cache(_key()) == reference


def test_a_cache_file_others_can_write_is_not_read(cache_dir: Path) -> None:
    reference_load.load_reference()
    file = reference_load.cache_file(_key())
    assert file is not None
    assert reference_load._read_disk_cache(_key()) is not None
    file.chmod(0o666)
    assert reference_load._read_disk_cache(_key()) is None


def test_the_test_suite_never_uses_the_real_home_cache() -> None:
    folder = reference_load.cache_directory()
    home_cache = Path.home() / ".cache"
    assert folder is None or not folder.resolve().is_relative_to(home_cache.resolve())
