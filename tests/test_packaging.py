"""The wheel carries every reference table and works without the source checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"wheel build failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return next(out.glob("*.whl"))


def test_wheel_contains_every_reference_table(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tables = sorted(p.name for p in (ROOT / "data" / "reference").glob("*.yaml"))
    assert tables, "no reference tables in data/reference"
    missing = [t for t in tables if f"exposure_audit/_reference/{t}" not in names]
    assert not missing
    assert "exposure_audit/py.typed" in names


@pytest.mark.slow
def test_installed_wheel_audits_an_example_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=False, with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _see_the_running_environment(python)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "pm_motor.csv", work / "bom.csv")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [str(env_dir / "bin" / "audit"), "bom.csv", "-f", "json", "--as-of", "2026-11-28"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert '"schema_version": 2' in proc.stdout
    where = subprocess.run(
        [
            str(python),
            "-c",
            "from exposure_audit.reference import bundled_directory as b;print(b())",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "_reference" in where.stdout and str(ROOT) not in where.stdout


def _see_the_running_environment(python: Path) -> None:
    """Make the test's own dependencies importable in the new venv without downloading them.

    NOTE: `system_site_packages=True` would show the *base* interpreter's packages, which in an
    ordinary venv (the README's `pip install -e ".[test]"`) hold no typer. Instead every folder
    on this interpreter's sys.path goes into a .pth file, after the new venv's own
    site-packages, so the wheel installed there is the exposure_audit that is imported. Folders
    of this checkout are left out."""
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    folders = [
        entry
        for entry in sys.path
        if entry and Path(entry).is_dir() and not Path(entry).resolve().is_relative_to(ROOT)
    ]
    (Path(site) / "_running_environment.pth").write_text("\n".join(folders) + "\n")
