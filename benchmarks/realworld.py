"""Coverage, recall and false minerals on the published real BOMs in ../shared/real-boms.

    PYTHONPATH=src python benchmarks/realworld.py [--shared DIR] [--key FILE] [--json] [--lines]

For every file in real-boms/ and real-boms/wild/: the lines read, the share of lines mapped
(coverage), and against the hand-labelled key (tests/realworld/key.yaml): recall (labelled lines
with minerals whose every labelled mineral the tool reports) and false minerals (minerals the tool
reports on a labelled line that the key neither expects nor allows), per 100 labelled lines.
Files the key does not label show coverage only. `--lines` prints each labelled line that missed;
`--false` prints each false mineral with the line's text and the archetype, method and reason.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EXPOSURE_AUDIT_SHARED_DIR") or ROOT.parent / "shared")
KEY = ROOT / "tests" / "realworld" / "key.yaml"
SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods"}


@dataclass
class FileFigures:
    file: str
    lines: int = 0
    mapped: int = 0
    labelled: int = 0
    with_minerals: int = 0
    found: int = 0
    false_minerals: int = 0
    error: str | None = None
    misses: list[str] = field(default_factory=list)
    falses: list[str] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return self.mapped / self.lines if self.lines else 0.0

    @property
    def recall(self) -> float | None:
        return self.found / self.with_minerals if self.with_minerals else None

    @property
    def false_per_100(self) -> float | None:
        return 100.0 * self.false_minerals / self.labelled if self.labelled else None


def bom_files(shared: Path) -> list[Path]:
    """Every BOM file in real-boms/ and real-boms/wild/, sorted by name within each folder."""
    found: list[Path] = []
    for folder in (shared / "real-boms", shared / "real-boms" / "wild"):
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
    return found


def load_key(path: Path) -> dict[str, list[dict[str, Any]]]:
    """key.yaml -> {"real-boms/<file>": [line, ...]}; {} when the key is absent."""
    if not path.is_file():
        return {}
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        name: list(entry.get("lines") or []) for name, entry in (data.get("files") or {}).items()
    }


@dataclass
class ToolLine:
    """One line as the tool read it: its row, its text cells, minerals and decision."""

    row: int
    texts: list[str]
    minerals: set[str]
    why: str


def tool_lines(loaded: Any) -> dict[int, list[ToolLine]]:
    """Spreadsheet row -> the tool's lines on it (two where two tables share the row)."""
    frame = loaded.bom.frame
    lines = loaded.mapping.lines
    text_columns = [
        c
        for c in frame.columns
        if c in ("description", "notes", "material", "part_number", "value", "mpn")
        or str(c).startswith("extra:")
    ]
    cells = [frame[c].astype(object).fillna("").astype(str).tolist() for c in text_columns]
    out: dict[int, list[ToolLine]] = {}
    records: list[ToolLine] = []
    for i, row in enumerate(frame["row"].tolist()):
        why = f"{lines['archetype'].iat[i]} [{lines['method'].iat[i]}] {lines['reason'].iat[i]}"
        record = ToolLine(int(row), [c[i] for c in cells], set(), why)
        records.append(record)
        out.setdefault(int(row), []).append(record)
    contents = loaded.mapping.contents
    for line, mineral in zip(contents["line"], contents["mineral"], strict=True):
        records[int(line)].minerals.add(str(mineral))
    return out


def measure(path: Path, key: list[dict[str, Any]] | None) -> FileFigures:
    from exposure_audit import api
    from exposure_audit.errors import ExposureAuditError

    figures = FileFigures(file=path.name)
    try:
        loaded = api.load(path)
    except ExposureAuditError as exc:
        figures.error = str(exc).splitlines()[0]
        return figures
    frame = loaded.bom.frame
    valid = frame["valid"].to_numpy(bool)
    figures.lines = int(valid.sum())
    figures.mapped = int((loaded.mapping.lines["mapped"].to_numpy(bool) & valid).sum())
    if key:
        score_key(figures, key, tool_lines(loaded))
    return figures


def pick(line: dict[str, Any], candidates: list[ToolLine]) -> ToolLine | None:
    """The tool's line a key line labels: the only one on its row, or, where two tables share
    the row, the one holding the key's text."""
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    text = " ".join(str(line.get("text") or "").split()).casefold()
    for candidate in candidates:
        if any(" ".join(t.split()).casefold().startswith(text) for t in candidate.texts if t):
            return candidate
    return candidates[0]


def score_key(
    figures: FileFigures, key: list[dict[str, Any]], found: dict[int, list[ToolLine]]
) -> None:
    for line in key:
        row = int(line["row"])
        expected = set(line.get("minerals") or [])
        allowed = expected | set(line.get("allowed") or [])
        chosen = pick(line, found.get(row, []))
        tool = chosen.minerals if chosen else set()
        shown = (chosen.texts[0] if chosen and chosen.texts else "(not read)")[:60]
        figures.labelled += 1
        false = tool - allowed
        figures.false_minerals += len(false)
        if expected:
            figures.with_minerals += 1
            if expected <= tool:
                figures.found += 1
        if (expected and not expected <= tool) or false:
            figures.misses.append(
                f"  row {row}: {shown!r} key={sorted(expected)} tool={sorted(tool)}"
            )
        if false:
            figures.falses.append(
                f"  row {row}: {shown!r} false={sorted(false)}\n"
                f"      via {chosen.why if chosen else '(not read)'}"
            )


def expected_key() -> dict[str, list[dict[str, Any]]]:
    """Until key.yaml exists: the archetype key of tests/test_real_boms_mapping.py, its minerals
    taken from the expected archetype's composition in the bundled reference."""
    sys.path.insert(0, str(ROOT / "tests"))
    from exposure_audit.reference import load_reference
    from test_real_boms_mapping import EXPECTED  # type: ignore[import-not-found]

    reference = load_reference()

    def minerals(archetype: str | None) -> list[str]:
        if archetype is None:
            return []
        ids = {"li-ion cell": "li_cell_nmc622", "ndfeb": "ndfeb_sintered"}
        material = reference.materials[ids.get(archetype, archetype)]
        return sorted({c.mineral for c in material.composition})

    out: dict[str, list[dict[str, Any]]] = {}
    for name, rows in EXPECTED.items():
        out[f"real-boms/{name}"] = [
            {"row": row, "minerals": minerals(a), "allowed": []} for row, (_, a) in rows.items()
        ]
    return out


def run(shared: Path, key_path: Path) -> list[FileFigures]:
    key = load_key(key_path) or expected_key()
    figures = []
    for path in bom_files(shared):
        name = path.relative_to(shared).as_posix()
        figures.append(measure(path, key.get(name)))
    return figures


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def print_table(figures: list[FileFigures], show_lines: bool, show_false: bool = False) -> None:
    print(f"{'file':48} {'lines':>5} {'cover':>6} {'lab':>4} {'recall':>7} {'false/100':>9}")
    for f in figures:
        if f.error:
            print(f"{f.file[:48]:48} unreadable: {f.error}")
            continue
        false = "-" if f.false_per_100 is None else f"{f.false_per_100:.1f}"
        print(
            f"{f.file[:48]:48} {f.lines:5d} {_pct(f.coverage):>6} {f.labelled:4d} "
            f"{_pct(f.recall):>7} {false:>9}"
        )
        if show_lines:
            for miss in f.misses:
                print(miss)
        if show_false:
            for false in f.falses:
                print(false)
    read = [f for f in figures if not f.error]
    mean = sum(f.coverage for f in read) / len(figures) if figures else 0.0
    with_minerals = sum(f.with_minerals for f in read)
    labelled = sum(f.labelled for f in read)
    recall = sum(f.found for f in read) / with_minerals if with_minerals else None
    false = 100 * sum(f.false_minerals for f in read) / labelled if labelled else None
    print(
        f"mean coverage {_pct(mean)} over {len(figures)} files "
        f"({sum(1 for f in figures if f.error)} unreadable); "
        f"recall {_pct(recall)} of {with_minerals} lines; "
        f"false minerals {'-' if false is None else f'{false:.1f}'} per 100 of {labelled} labelled"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--key", type=Path, default=KEY)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--lines", action="store_true", help="print each labelled line missed")
    parser.add_argument(
        "--false",
        action="store_true",
        dest="show_false",
        help="print each false mineral with the line text and the rule that produced it",
    )
    args = parser.parse_args(argv)
    if not (args.shared / "real-boms").is_dir():
        print(f"{args.shared / 'real-boms'} is absent", file=sys.stderr)
        return 2
    figures = run(args.shared, args.key)
    if args.json:
        print(json.dumps([asdict(f) | {"coverage": f.coverage} for f in figures], indent=1))
    else:
        print_table(figures, args.lines, args.show_false)
    return 0


if __name__ == "__main__":
    sys.exit(main())
