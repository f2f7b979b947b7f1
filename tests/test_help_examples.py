"""Every example in a command's --help parses as written (an example naming an option the
command lacks, such as `validate --format json`, fails here), and validate's own examples run."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from exposure_audit.cli.app import app

ROOT = Path(__file__).resolve().parents[1]


def _commands(group, prefix=()):
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def _examples():
    root = typer.main.get_command(app)
    found = []
    for path, command in _commands(root):
        for line in (command.epilog or "").splitlines():
            words = shlex.split(line.strip())
            shell = [i for i, w in enumerate(words) if w in {">", ">>", "|", "||", "&&", "2>"}]
            words = words[: shell[0]] if shell else words  # the shell's part, not the tool's
            if words[:1] == ["audit"]:
                words = ["exposure-audit", *words]
            if words[: len(path) + 1] == ["exposure-audit", *path]:
                found.append(pytest.param(path, words[len(path) + 1 :], id=line.strip()))
    return found


EXAMPLES = _examples()


def test_the_examples_are_found():
    assert len(EXAMPLES) >= 10
    assert any(p.values[0] == ("validate",) for p in EXAMPLES)


@pytest.mark.parametrize(("path", "args"), EXAMPLES)
def test_every_help_example_parses(path, args, tmp_path, monkeypatch):
    """Parsed (not run) in a folder holding an empty file or folder for each path it names."""
    monkeypatch.chdir(tmp_path)
    for word in args:
        value = word.split("=", 1)[-1]
        if value.endswith("/"):
            Path(value).mkdir(parents=True, exist_ok=True)
        elif not value.startswith("-") and Path(value).suffix in {
            ".xlsx",
            ".csv",
            ".json",
            ".yaml",
            ".yml",
            ".html",
            ".md",
            ".txt",
            ".xls",
        }:
            Path(value).touch()
    root = typer.main.get_command(app)
    ctx = root.make_context("exposure-audit", [*path, *args], resilient_parsing=False)
    group, rest = root, [*path, *args]
    while hasattr(group, "commands"):
        name, command, rest = group.resolve_command(ctx, rest)
        ctx = command.make_context(name, rest, parent=ctx)
        group = command
    assert ctx.command is group


def test_validate_examples_run(tmp_path, monkeypatch):
    shutil.copy(ROOT / "examples" / "pm_motor.csv", tmp_path / "bom.csv")
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(app, ["validate", "bom.csv", "--map", "quantity=Quantity", "--json"])
    assert done.exit_code == 0, done.output
    assert done.stdout.lstrip().startswith("{")
