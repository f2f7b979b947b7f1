"""Waivers: findings a team has looked at and accepted, for a reason and until a date.

A waiver file is YAML: a list of entries (or a mapping with a `waivers:` list), each with

    - id: processing-china-dominant:neodymium    # an exact finding id, or
      rule: covered-nation-supplier              # every finding of a rule
      part: P-1001                               # optional: only these BOM lines
      mineral: neodymium                         # optional: only findings about this mineral
      reason: second source qualified, ships Q3  # required
      expires: 2026-09-30                        # required; counts through that day

A waiver applies while the audit date (`--as-of`, default today) is on or before `expires`.
A finding matched by a valid waiver leaves `findings` (and so the `--fail-on` gate) and is
listed under the report's `waivers.applied`; a waiver with `part` takes only the finding's rows
of that part, and the finding stays for its other rows. Expired waivers (`waivers.expired`) and
valid ones that matched nothing (`waivers.unused`) are warnings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from exposure_audit.engine.findings import MAX_ROWS_LISTED, Finding
from exposure_audit.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_FILE = ".exposure-audit-waivers.yaml"
MAX_BYTES = 1 << 20
HINT = (
    "each waiver needs `id` or `rule`, a `reason` and `expires: YYYY-MM-DD`; optional "
    "`part` and `mineral`"
)


class Waiver(BaseModel):
    """One accepted finding (or family of findings)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, coerce_numbers_to_str=True, str_strip_whitespace=True
    )

    id: str | None = Field(default=None, min_length=1, description="An exact finding id")
    rule: str | None = Field(default=None, min_length=1, description="A rule id")
    part: str | None = Field(default=None, min_length=1, description="A part number")
    mineral: str | None = Field(default=None, min_length=1)
    reason: str = Field(min_length=1)
    expires: dt.date

    @model_validator(mode="after")
    def _one_target(self) -> Waiver:
        if (self.id is None) == (self.rule is None):
            raise ValueError("give exactly one of `id` or `rule`")
        return self

    def label(self) -> str:
        target = f"id {self.id}" if self.id else f"rule {self.rule}"
        if self.part:
            target += f", part {self.part}"
        if self.mineral:
            target += f", mineral {self.mineral}"
        return target

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude_none=True)
        return {
            k: data[k] for k in ("id", "rule", "part", "mineral", "reason", "expires") if k in data
        }


@dataclass(frozen=True)
class WaiverFile:
    path: str
    waivers: tuple[Waiver, ...]


def default_waiver_file() -> Path | None:
    """`.exposure-audit-waivers.yaml` in the current folder, if there is one."""
    path = Path(DEFAULT_FILE)
    return path if path.is_file() else None


def load_waivers(path: str | Path) -> WaiverFile:
    """Read and validate a waiver file. Raises `UsageError` (exit 2) naming the file, the entry
    and the field of the first problem."""
    shown = str(path)
    entries = _waiver_entries(_read_waiver_text(Path(path), shown), shown)
    waivers = [_waiver(number, entry, shown) for number, entry in enumerate(entries, start=1)]
    return WaiverFile(path=shown, waivers=tuple(waivers))


def _read_waiver_text(path: Path, shown: str) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UsageError(
                f"waivers file {shown}: larger than 1 MiB",
                "a waiver file lists a few accepted findings; check the path",
            )
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(
            f"waivers file {shown}: no such file", "check the --waivers path"
        ) from None
    except IsADirectoryError:
        raise UsageError(f"waivers file {shown} is a folder", "name the YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise UsageError(
            f"waivers file {shown}: cannot read it ({reason})", "check the file and its permissions"
        ) from None


def _waiver_entries(text: str, shown: str) -> list[Any]:
    """The file's list of waivers: the document itself, or its `waivers:` key."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UsageError(
            f"waivers file {shown}: not valid YAML{where}", "fix the YAML syntax"
        ) from None
    if data is None:
        data = []
    if isinstance(data, dict):
        unknown = sorted(str(k) for k in data if k not in ("waivers", "schema_version"))
        if unknown:
            raise UsageError(
                f"waivers file {shown}: unknown key {unknown[0]!r} at the top level",
                "write a list of waivers, or put them under `waivers:`",
            )
        data = data.get("waivers") or []
    if not isinstance(data, list):
        raise UsageError(f"waivers file {shown}: expected a list of waivers", HINT)
    return data


def _waiver(number: int, entry: object, shown: str) -> Waiver:
    """Entry `number` (1-based) validated; `UsageError` names its first bad field."""
    if not isinstance(entry, dict):
        raise UsageError(f"waivers file {shown}: entry {number} is not a mapping", HINT)
    try:
        return Waiver.model_validate(entry)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "entry"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "required"
        where = f"entry {number}" + (
            f" ({entry['id'] or entry['rule']})"
            if isinstance(entry.get("id") or entry.get("rule"), str)
            else ""
        )
        raise UsageError(
            f"waivers file {shown}: {where}, field {field!r}: {message}", HINT
        ) from None


def part_numbers_by_row(lines: pd.DataFrame) -> dict[int, str]:
    """Spreadsheet row -> its part number (folded), for waivers that name a part."""
    return {
        int(r): str(p).strip().casefold()
        for r, p in zip(lines["row"].tolist(), lines["part_number"].tolist(), strict=True)
        if p
    }


def waive(
    findings: Sequence[Finding],
    waiver_file: WaiverFile,
    as_of: dt.date,
    part_of_row: Mapping[int, str],
) -> tuple[list[Finding], dict[str, Any]]:
    """(The findings no waiver covers, what the waivers did: the report's `extras["waivers"]`).

    A waiver naming a part takes that part's rows out of a finding (`part_of_row`: from
    `part_numbers_by_row`); a finding left with no rows is waived whole."""
    valid = [w for w in waiver_file.waivers if w.expires >= as_of]
    expired = [w for w in waiver_file.waivers if w.expires < as_of]
    used: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(valid))}
    kept: list[Finding] = []
    for finding in findings:
        rows = list(finding.rows)
        remaining = set(rows)
        whole = False
        for i, waiver in enumerate(valid):
            if not _matches(waiver, finding):
                continue
            if waiver.part is None:
                used[i].append(finding.model_dump(mode="json"))
                whole = True
                break
            part = waiver.part.casefold()
            taken = sorted(r for r in remaining if part_of_row.get(r) == part)
            if taken:
                remaining -= set(taken)
                used[i].append(finding.model_copy(update={"rows": taken}).model_dump(mode="json"))
        if whole:
            continue
        truncated = len(rows) >= MAX_ROWS_LISTED
        if rows and not remaining and not truncated:
            continue
        if len(remaining) < len(rows):
            waived = len(rows) - len(remaining)
            finding = finding.model_copy(
                update={
                    "rows": sorted(remaining),
                    "message": f"{finding.message} ({waived} waived line(s) not counted)",
                }
            )
        kept.append(finding)
    applied = [{**w.to_json(), "findings": used[i]} for i, w in enumerate(valid) if used[i]]
    unused = [w.to_json() for i, w in enumerate(valid) if not used[i]]
    info = {
        "file": waiver_file.path,
        "applied": applied,
        "expired": [w.to_json() for w in expired],
        "unused": unused,
    }
    return kept, info


def _matches(waiver: Waiver, finding: Finding) -> bool:
    if waiver.id is not None and waiver.id != finding.id:
        return False
    if waiver.rule is not None and waiver.rule != finding.rule:
        return False
    return waiver.mineral is None or waiver.mineral.casefold() == (finding.mineral or "").casefold()


def warnings(info: dict[str, Any] | None) -> list[str]:
    """One line per expired or unused waiver, for stderr."""
    if not info:
        return []
    lines = [
        f"waiver expired on {w['expires']} and no longer applies: {_label(w)} ({info['file']})"
        for w in info.get("expired", [])
    ]
    lines.extend(
        f"waiver matches no finding: {_label(w)} ({info['file']}); remove it?"
        for w in info.get("unused", [])
    )
    return lines


def _label(w: dict[str, Any]) -> str:
    target = f"id {w['id']}" if w.get("id") else f"rule {w.get('rule')}"
    if w.get("part"):
        target += f", part {w['part']}"
    if w.get("mineral"):
        target += f", mineral {w['mineral']}"
    return target
