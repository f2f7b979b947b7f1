"""Broken reference and policy files: every problem listed at once, loaded safely, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from exposure_audit.cli.app import app, audit_app
from exposure_audit.errors import ReferenceDataError
from exposure_audit.reference import load_reference

from support import TOY_REFERENCE, write_csv

SOURCE = "source: {title: test, year: 2026}"


def layer(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "ref"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def problems(folder: Path) -> list[str]:
    with pytest.raises(ReferenceDataError) as caught:
        load_reference([TOY_REFERENCE, folder], include_bundled=False)
    return caught.value.problems


def test_every_problem_in_every_file_is_listed_at_once(tmp_path):
    folder = layer(
        tmp_path,
        supply=f"""schema_version: 1
supply:
  - {{mineral: unobtainium, stage: mining, year: '2025', basis: x, {SOURCE},
     shares: {{CHN: 1.5}}}}
  - {{mineral: copper, stage: mining, year: '2025', basis: x, {SOURCE},
     shares: {{XX: 0.1, CHN: 0.95, USA: 0.2}}}}
""",
        materials=f"""schema_version: 1
materials:
  - {{id: widget, name: W, category: x, {SOURCE},
     composition: [{{mineral: unobtainium, fraction: 0.5}}], patterns: ['(unclosed']}}
  - {{id: gizmo, name: G, category: x, {SOURCE}, aliases: [ndfeb magnet],
     composition: [{{mineral: copper, fraction: 'lots'}}]}}
""",
        groups="""schema_version: 1
groups:
  - {id: g, name: G, kind: x, as_of: '2026-01-01', complete: true,
     members: [{iso3: ZZZ, status: signed, date: '2026-13-45'}]}
""",
    )
    found = problems(folder)
    text = "\n".join(found)
    assert "shares must lie in 0..1" in text  # 1.5
    assert "ISO alpha-3" in text  # XX
    assert "sum to" in text  # 0.95 + 0.2 + 0.1
    assert "does not compile" in text  # (unclosed
    assert "fraction" in text  # 'lots'
    assert "date" in text  # 2026-13-45 matches the pattern but... checked by partial dates
    assert len(found) >= 5


def test_cross_file_checks(tmp_path):
    folder = layer(
        tmp_path,
        materials=f"""schema_version: 1
materials:
  - {{id: widget, name: W, category: x, {SOURCE},
     composition: [{{mineral: unobtainium, fraction: 0.5}}]}}
  - {{id: gizmo, name: G, category: x, {SOURCE}, aliases: [NdFeB Magnet]}}
""",
        groups="""schema_version: 1
groups:
  - {id: g, name: G, kind: x, as_of: '2026-01-01', complete: true,
     members: [{iso3: ZZZ, status: signed}]}
""",
    )
    text = "\n".join(problems(folder))
    assert "unknown mineral 'unobtainium'" in text
    assert "also an alias of" in text  # "NdFeB Magnet" folds to the toy ndfeb alias
    assert "ZZZ" in text


def test_duplicate_keys_and_unsafe_tags_are_refused(tmp_path):
    folder = layer(
        tmp_path,
        countries="schema_version: 1\naliases: {PRC: CHN, PRC: USA}\n",
        minerals="schema_version: 1\nminerals: !!python/object/apply:os.system ['echo hacked']\n",
    )
    text = "\n".join(problems(folder))
    assert "duplicate key 'PRC'" in text
    assert "not valid YAML" in text


def test_wrong_types_and_unknown_keys(tmp_path):
    folder = layer(
        tmp_path,
        policy="schema_version: 1\npolicy: {aligned_groups: toy_aligned, "
        "covered_group: toy_covered, colour: red, tiers: {critical: 10, high: 60}}\n",
    )
    text = "\n".join(problems(folder))
    assert "colour" in text and "Extra inputs are not permitted" in text
    assert "aligned_groups" in text


def test_cli_exit_2_with_every_problem_on_stderr(tmp_path):
    folder = layer(
        tmp_path,
        supply=f"""schema_version: 1
supply:
  - {{mineral: copper, stage: mining, year: '2025', basis: x, {SOURCE}, shares: {{CHN: 2}}}}
  - {{mineral: tin, stage: mining, year: '2025', basis: x, {SOURCE}, shares: {{QQ: 0.1}}}}
""",
    )
    bom = write_csv(tmp_path / "b.csv", "Part,Description,Qty", "A,magnet wire,1")
    result = CliRunner().invoke(audit_app, [str(bom), "--reference", str(folder)])
    assert result.exit_code == 2
    assert result.stderr.startswith("audit: error: 2 problems in the reference data")
    assert result.stderr.count("  - ") == 2
    check = CliRunner().invoke(app, ["reference", "check", str(folder)])
    assert check.exit_code == 2 and "problems in the reference data" in check.stderr


def test_reference_check_accepts_a_good_layer(tmp_path):
    folder = layer(tmp_path, countries="schema_version: 1\naliases: {Atlantis: GRC}\n")
    result = CliRunner().invoke(app, ["reference", "check", str(folder)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout


def test_missing_reference_folder_and_policy_file(tmp_path):
    bom = write_csv(tmp_path / "b.csv", "Part,Description,Qty", "A,magnet wire,1")
    missing = CliRunner().invoke(audit_app, [str(bom), "--reference", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such folder" in missing.stderr
    policy = CliRunner().invoke(audit_app, [str(bom), "--policy", str(tmp_path / "p.yaml")])
    assert policy.exit_code == 2 and "no such file" in policy.stderr
