"""A team's own column and part mappings, kept in a YAML file (`--mapping`, `--save-map`).

    schema: 1
    columns:            # field: the header in your BOMs (as --map FIELD=HEADER)
      description: Item Text
      quantity: Menge
    parts:              # a part number or a description, exactly: a material archetype id
      "ACME-4471": ss_304
      "Propeller 5x4.5": plastic_generic
      "Gearbox 20:1": null   # not decided yet: left unmapped

`--save-map FILE` writes the columns an audit used and, for each line left unmapped, an entry
with `null` and the closest archetypes as a comment, for the team to fill in; entries already
in the file given with `--mapping` are kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from exposure_audit.errors import UsageError

SCHEMA = 1


@dataclass(frozen=True)
class TeamMap:
    """A mapping file as read: field -> header, and part key -> archetype id (or None)."""

    columns: dict[str, str] = field(default_factory=dict)
    parts: dict[str, str | None] = field(default_factory=dict)

    @property
    def decided(self) -> dict[str, str]:
        """The part entries that name an archetype (null ones are still to be decided)."""
        return {k: v for k, v in self.parts.items() if v}


def part_key(text: object) -> str:
    """How a part number or description is looked up: spaces collapsed, case ignored."""
    return " ".join(str(text).split()).casefold() if isinstance(text, str) else ""


def load_mapping(path: str | Path) -> TeamMap:
    """Read a mapping file. Raises `UsageError` (exit 2) for a missing or malformed one."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(
            f"--mapping {path}: cannot be read ({exc.strerror})", "check the path"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UsageError(
            f"--mapping {path}: not valid YAML{where}",
            "see `exposure-audit validate --help` for the file's shape",
        ) from None
    data = {} if data is None else data
    if not isinstance(data, dict) or not set(data) <= {"schema", "columns", "parts"}:
        raise UsageError(
            f"--mapping {path}: expected the keys schema, columns and parts",
            "write it as `columns: {description: Item Text}` and `parts: {PART: archetype}`",
        )
    columns, parts = data.get("columns") or {}, data.get("parts") or {}
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise UsageError(
            f"--mapping {path}: `columns` must map fields to headers",
            "e.g. columns: {description: Item Text}",
        )
    if not isinstance(parts, dict) or not all(
        isinstance(v, str) or v is None for v in parts.values()
    ):
        raise UsageError(
            f"--mapping {path}: `parts` must map part numbers or descriptions to archetype ids",
            'e.g. parts: {"ACME-4471": ss_304}; list the ids with `exposure-audit materials`',
        )
    return TeamMap(dict(columns), {str(k): v for k, v in parts.items()})


def check_archetypes(team: TeamMap, archetypes: Iterable[str], path: str | Path) -> None:
    """Raise `UsageError` when a part entry names an archetype the reference lacks."""
    from exposure_audit.reference.queries import close_names

    known = set(archetypes)
    for key, archetype in team.decided.items():
        if archetype not in known:
            close = close_names(archetype, known)
            raise UsageError(
                f"--mapping {path}: part {key!r} names no material archetype {archetype!r}",
                (f"did you mean {', '.join(close)}? " if close else "")
                + "list the ids with `exposure-audit materials`",
            )


def render_mapping(
    columns: Mapping[str, str],
    parts: Mapping[str, str | None],
    open_parts: Iterable[tuple[str, Iterable[str]]] = (),
) -> str:
    """The YAML text of a mapping file: `parts` kept, each of `open_parts` (key, closest
    archetypes) added as `null` with its closest archetypes in a comment."""
    lines = [
        "# exposure-audit mapping file: --mapping FILE reads it (see `validate --help`).",
        f"schema: {SCHEMA}",
        "columns:",
    ]
    lines += [
        f"  {name}: {json.dumps(header, ensure_ascii=False)}"
        for name, header in sorted(columns.items())
    ]
    if not columns:
        lines[-1] = "columns: {}"
    lines.append("parts:")
    written = 0
    for key, archetype in parts.items():
        lines.append(f"  {json.dumps(key, ensure_ascii=False)}: {archetype or 'null'}")
        written += 1
    seen = {part_key(k) for k in parts}
    for key, closest in open_parts:
        if not key or part_key(key) in seen:
            continue
        seen.add(part_key(key))
        close = list(closest)
        comment = f"  # closest: {', '.join(close)}" if close else "  # no close archetype"
        lines.append(f"  {json.dumps(key, ensure_ascii=False)}: null{comment}")
        written += 1
    if not written:
        lines[-1] = "parts: {}"
    return "\n".join(lines) + "\n"


def save_mapping(
    path: str | Path,
    columns: Mapping[str, str],
    parts: Mapping[str, str | None],
    open_parts: Iterable[tuple[str, Iterable[str]]] = (),
) -> None:
    """Write `render_mapping` to `path`. Raises `UsageError` when it cannot be written."""
    path = Path(path)
    try:
        path.write_text(render_mapping(columns, parts, open_parts), encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"--save-map {path}: cannot be written ({exc.strerror})", "check the folder"
        ) from None
