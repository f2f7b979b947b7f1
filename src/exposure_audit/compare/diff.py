"""What changed between two audits: lines added, removed and changed, the change in each line's
exposure and in the product score, and findings that are new or resolved.

Both sides are report dicts (the JSON contract); `api.diff` reads or audits them first. No I/O
and no rendering here (`report/diff.py` renders a `DiffResult`). Lines are matched by part
number, else by description and material (case and spacing folded); a part number used on
several lines pairs in row order.

>>> from exposure_audit.api import Options, diff
>>> d = diff("bom-main.xlsx", "bom.xlsx", Options())      # doctest: +SKIP
>>> d.score_change, d.exit_code                            # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from exposure_audit.errors import UsageError
from exposure_audit.reference.models import SEVERITY_ORDER
from exposure_audit.report.model import SCHEMA_VERSION, clean_json

TRACKED = ("supplier", "supplier_country", "material", "archetype", "quantity")
"""Line fields whose change the diff reports (besides the line's exposure)."""
FIELD_LABELS = {
    "supplier": "supplier",
    "supplier_country": "country",
    "material": "material",
    "archetype": "archetype",
    "quantity": "qty",
}
SCORE_RULE = "product-exposure"
"""The finding whose severity is the product tier; `--fail-on-increase` governs its rises."""
EPSILON = 1e-9


# --------------------------------------------------------------------------- checking a side


def check_report(data: Any, shown: str, what: str = "report") -> dict[str, Any]:
    """Check that `data` is a JSON report this version reads."""
    if not isinstance(data, dict) or "schema_version" not in data:
        raise UsageError(
            f"{what} {shown}: not an exposure-audit JSON report (no schema_version)",
            "pass a report written by `audit --format json`",
        )
    if data["schema_version"] != SCHEMA_VERSION:
        raise UsageError(
            f"{what} {shown}: schema_version {data['schema_version']!r}, this version of "
            f"exposure-audit reads {SCHEMA_VERSION}",
            "regenerate the report with this version of exposure-audit",
        )
    missing = [k for k in ("summary", "lines", "findings", "input") if k not in data]
    summary = data.get("summary")
    if (
        missing
        or not isinstance(summary, dict)
        or "score" not in summary
        or not isinstance(data.get("lines"), list)
        or not isinstance(data.get("findings"), list)
    ):
        key = missing[0] if missing else "summary.score"
        raise UsageError(
            f"{what} {shown}: not a complete exposure-audit report ({key} missing)",
            "regenerate it with `audit --format json`",
        )
    return data


# --------------------------------------------------------------------------- the comparison


@dataclass
class DiffResult:
    """The comparison of two audits, and the gate that decides the exit code."""

    old: dict[str, Any]
    new: dict[str, Any]
    lines: list[dict[str, Any]]
    new_findings: list[dict[str, Any]]
    resolved_findings: list[dict[str, Any]]
    changed_findings: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    fail_on: str = "high"
    fail_on_increase: float = 0

    @property
    def score_change(self) -> int:
        return int(self.new["score"]) - int(self.old["score"])

    @property
    def exposure_change(self) -> float:
        return float(self.new["exposure"]) - float(self.old["exposure"])

    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0}
        for line in self.lines:
            counts[line["change"]] += 1
        return counts

    @property
    def reasons(self) -> list[str]:
        """Why the gate trips (empty: it passes)."""
        reasons = []
        if self.score_change > self.fail_on_increase:
            allowed = (
                f", more than the {_num(self.fail_on_increase)} allowed"
                if self.fail_on_increase
                else ""
            )
            reasons.append(
                f"the score rose by {self.score_change} point(s), from "
                f"{self.old['score']} to {self.new['score']}{allowed}"
            )
        if self.fail_on != "none":
            gate = SEVERITY_ORDER[self.fail_on]
            reasons.extend(
                f"new {f['severity']} finding {f['id']}{parts_text(f)}"
                for f in self.new_findings
                if SEVERITY_ORDER.get(f["severity"], 0) >= gate
            )
            for f in self.changed_findings:
                level = SEVERITY_ORDER.get(f["new_severity"], 0)
                if level < gate:
                    continue
                if f["id"] == SCORE_RULE:
                    continue  # its severity is the score's tier: the score gate decides
                if level > SEVERITY_ORDER.get(f["old_severity"], 0):
                    reasons.append(
                        f"finding {f['id']} rose from {f['old_severity']} to {f['new_severity']}"
                    )
                elif f.get("added_parts"):
                    reasons.append(
                        f"{f['new_severity']} finding {f['id']} now also covers "
                        f"{_list_text(f['added_parts'], 'part')}"
                    )
        return reasons

    @property
    def failed(self) -> bool:
        return bool(self.reasons)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    @property
    def status(self) -> str:
        """worse (the gate trips), better (score down, or findings resolved and none new),
        within-limits (a rise the gate allows), or same-exposure."""
        if self.failed:
            return "worse"
        touch = _delta(self.old.get("china_touch"), self.new.get("china_touch"))["change"] or 0
        if self.score_change > 0 or self.new_findings or touch > EPSILON:
            return "within-limits"
        if self.score_change < 0 or self.resolved_findings or touch < -EPSILON:
            return "better"
        return "same-exposure"

    def to_dict(self) -> dict[str, Any]:
        """The diff as JSON-ready data (`exposure-audit diff --format json`)."""
        return _clean(
            {
                "schema_version": SCHEMA_VERSION,
                "old": self.old,
                "new": self.new,
                **self.change_dict(),
            }
        )

    def change_dict(self) -> dict[str, Any]:
        """The changes and the gate, without the two sides' descriptions."""
        return _clean(
            {
                "status": self.status,
                "score": {
                    "old": self.old["score"],
                    "new": self.new["score"],
                    "change": self.score_change,
                },
                "tier": {"old": self.old["tier"], "new": self.new["tier"]},
                "exposure": {
                    "old": self.old["exposure"],
                    "new": self.new["exposure"],
                    "change": self.exposure_change,
                },
                "value_at_risk": _delta(
                    self.old.get("value_at_risk"), self.new.get("value_at_risk")
                ),
                "china_touch": _delta(self.old.get("china_touch"), self.new.get("china_touch")),
                "aligned_chain": _delta(
                    self.old.get("aligned_chain"), self.new.get("aligned_chain")
                ),
                "lines": {**self.counts(), "items": self.lines},
                "findings": {
                    "new": self.new_findings,
                    "resolved": self.resolved_findings,
                    "changed": self.changed_findings,
                },
                "notes": self.notes,
                "gate": {
                    "fail_on": self.fail_on,
                    "fail_on_increase": self.fail_on_increase,
                    "failed": self.failed,
                    "reasons": self.reasons,
                },
            }
        )

    def baseline_dict(self) -> dict[str, Any]:
        """The `baseline` key an audit with `--baseline` adds to its report."""
        return _clean(
            {"path": self.old["path"], "sha256": self.old.get("sha256"), **self.change_dict()}
        )


def compare(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    old_label: str | None = None,
    new_label: str | None = None,
    old_kind: str = "report",
    new_kind: str = "report",
    fail_on: str = "high",
    fail_on_increase: float = 0,
) -> DiffResult:
    """Compare two JSON reports (as dicts)."""
    if fail_on != "none" and fail_on not in SEVERITY_ORDER:
        raise UsageError(
            f"--fail-on {fail_on!r}: no such severity",
            f"use none or one of {', '.join(SEVERITY_ORDER)}",
        )
    if fail_on_increase < 0:
        raise UsageError(
            "--fail-on-increase must be 0 or more points", "0 fails on any rise of the score"
        )
    old_side = _side(old, old_label, old_kind)
    new_side = _side(new, new_label, new_kind)
    lines = _compare_lines(old.get("lines", []), new.get("lines", []))
    new_findings, resolved, changed = _compare_findings(
        old.get("findings", []), new.get("findings", []), old, new
    )
    return DiffResult(
        old=old_side,
        new=new_side,
        lines=lines,
        new_findings=new_findings,
        resolved_findings=resolved,
        changed_findings=changed,
        notes=_notes(
            old,
            new,
            bool(new_findings or resolved or changed or old_side["score"] != new_side["score"]),
        ),
        fail_on=fail_on,
        fail_on_increase=fail_on_increase,
    )


def _side(report: Mapping[str, Any], label: str | None, kind: str) -> dict[str, Any]:
    summary = report["summary"]
    policy = report.get("policy", {})
    return {
        "path": label or report.get("input", {}).get("path"),
        "kind": kind,
        "input": report.get("input", {}).get("path"),
        "sha256": report.get("input", {}).get("sha256"),
        "score": summary["score"],
        "tier": summary.get("tier"),
        "exposure": summary.get("exposure") or 0.0,
        "value_at_risk": summary.get("value_at_risk"),
        "china_touch": summary.get("china_touch"),
        "aligned_chain": summary.get("aligned_chain"),
        "reference_version": report.get("reference", {}).get("version"),
        "policy_as_of": policy.get("as_of"),
        "aligned_groups": policy.get("aligned_groups", []),
        "weighting": report.get("weighting"),
    }


def _notes(old: Mapping[str, Any], new: Mapping[str, Any], moved: bool) -> list[str]:
    """Differences in how the two audits were made, which move scores without a BOM change.
    The audit date is named only when something moved (`moved`): CI compares with reports from
    earlier days all the time."""
    notes = []
    pairs = [
        ("reference data", ("reference", "version")),
        ("aligned groups", ("policy", "aligned_groups")),
        ("weighting", ("weighting",)),
    ]
    if moved:
        pairs.insert(2, ("audit dates (--as-of)", ("policy", "as_of")))
    for label, keys in pairs:
        a, b = _get(old, keys), _get(new, keys)
        if a != b:
            show_a = ", ".join(a) if isinstance(a, list) else a
            show_b = ", ".join(b) if isinstance(b, list) else b
            notes.append(
                f"{label} differ ({show_a} → {show_b}): part of the change may come "
                "from that, not from the BOM"
            )
    return notes


def _get(data: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    found: Any = data
    for key in keys:
        if not isinstance(found, Mapping):
            return None
        found = found.get(key)
    return found


def _fold(value: Any) -> str:
    return " ".join(str(value).split()).casefold() if value not in (None, "") else ""


def _key(line: Mapping[str, Any]) -> tuple[str, ...]:
    part = _fold(line.get("part_number"))
    if part:
        return ("part", part)
    return ("text", _fold(line.get("description")), _fold(line.get("material")))


def _fields(line: Mapping[str, Any]) -> dict[str, Any]:
    match = line.get("match") or {}
    return {
        "supplier": line.get("supplier"),
        "supplier_country": line.get("supplier_country"),
        "material": line.get("material"),
        "archetype": match.get("archetype"),
        "quantity": line.get("quantity"),
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=EPSILON)
    if isinstance(a, str) and isinstance(b, str):
        return _fold(a) == _fold(b)
    return bool(a == b)


def _compare_lines(
    old_lines: list[dict[str, Any]], new_lines: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    old_by_key: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for line in old_lines:
        old_by_key.setdefault(_key(line), []).append(line)
    taken: dict[tuple[str, ...], int] = {}
    items = []
    for line in new_lines:
        key = _key(line)
        index = taken.get(key, 0)
        candidates = old_by_key.get(key, [])
        if index < len(candidates):
            taken[key] = index + 1
            item = _changed(candidates[index], line)
            if item is not None:
                items.append(item)
        else:
            items.append(_one_sided("added", line))
    for key, candidates in old_by_key.items():
        items.extend(_one_sided("removed", line) for line in candidates[taken.get(key, 0) :])
    order = {"added": 0, "changed": 1, "removed": 2}
    items.sort(
        key=lambda i: (
            -(i["exposure"]["change"] or 0.0),
            order[i["change"]],
            i["new_row"] if i["new_row"] is not None else i["old_row"],
        )
    )
    return items


def _changed(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    a, b = _fields(old), _fields(new)
    changes = {k: {"old": a[k], "new": b[k]} for k in TRACKED if not _same(a[k], b[k])}
    e_old, e_new = old.get("exposure"), new.get("exposure")
    moved = (e_old is None) != (e_new is None) or (
        e_old is not None and e_new is not None and abs(e_new - e_old) > EPSILON
    )
    minerals = _mineral_changes(old, new)
    if not changes and not moved and not minerals:
        return None
    return {
        "change": "changed",
        "part_number": new.get("part_number") or old.get("part_number"),
        "description": new.get("description") or old.get("description"),
        "old_row": old.get("row"),
        "new_row": new.get("row"),
        "changes": changes,
        "exposure": _delta(e_old, e_new),
        "minerals": minerals,
        "tier": {"old": old.get("tier"), "new": new.get("tier")},
        "driver": {"old": old.get("driver"), "new": new.get("driver")},
    }


def _mineral_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Minerals of a line whose China touch moved: {mineral: {old, new, change}}."""
    a = {m["mineral"]: m.get("china_touch") for m in old.get("minerals", [])}
    b = {m["mineral"]: m.get("china_touch") for m in new.get("minerals", [])}
    out = {}
    for mineral in sorted(set(a) | set(b)):
        x, y = a.get(mineral), b.get(mineral)
        if (x is None) != (y is None) or (x is not None and y is not None and abs(y - x) > EPSILON):
            out[mineral] = _delta(x, y)
    return out


def _one_sided(kind: str, line: dict[str, Any]) -> dict[str, Any]:
    exposure = line.get("exposure")
    return {
        "change": kind,
        "part_number": line.get("part_number"),
        "description": line.get("description"),
        "old_row": line.get("row") if kind == "removed" else None,
        "new_row": line.get("row") if kind == "added" else None,
        "changes": {
            k: ({"old": v, "new": None} if kind == "removed" else {"old": None, "new": v})
            for k, v in _fields(line).items()
            if v not in (None, "")
        },
        "exposure": (_delta(exposure, None) if kind == "removed" else _delta(None, exposure)),
        "minerals": {},
        "tier": {"old": line.get("tier"), "new": None}
        if kind == "removed"
        else {"old": None, "new": line.get("tier")},
        "driver": {"old": line.get("driver"), "new": None}
        if kind == "removed"
        else {"old": None, "new": line.get("driver")},
    }


def _delta(old: float | None, new: float | None) -> dict[str, Any]:
    change = None
    if old is not None or new is not None:
        change = (new or 0.0) - (old or 0.0)
    return {"old": old, "new": new, "change": change}


def _compare_findings(
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    old_report: Mapping[str, Any],
    new_report: Mapping[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """New and resolved findings by id (a finding waived in the new report is not resolved);
    and findings kept whose severity changed or that now cover lines they did not (lines matched
    like the line diff, so moved rows do not count)."""
    old_lines = _lines_by_row(old_report)
    new_lines = _lines_by_row(new_report)
    old_by_id = {f["id"]: f for f in old}
    new_by_id = {f["id"]: f for f in new}
    waived = {
        f["id"]
        for w in (new_report.get("waivers") or {}).get("applied", [])
        for f in w.get("findings", [])
    }
    added = [_with_parts(f, new_lines) for f in new if f["id"] not in old_by_id]
    resolved = [
        _with_parts(f, old_lines) for f in old if f["id"] not in new_by_id and f["id"] not in waived
    ]
    changed = []
    for f in new:
        before = old_by_id.get(f["id"])
        if before is None:
            continue
        old_keys = {old_lines[r][0] for r in before.get("rows", []) if r in old_lines}
        new_keys = {new_lines[r][0] for r in f.get("rows", []) if r in new_lines}
        gained = [
            r for r in f.get("rows", []) if r in new_lines and new_lines[r][0] not in old_keys
        ]
        lost = [
            r for r in before.get("rows", []) if r in old_lines and old_lines[r][0] not in new_keys
        ]
        if before["severity"] == f["severity"] and not gained and not lost:
            continue
        changed.append(
            {
                "id": f["id"],
                "old_severity": before["severity"],
                "new_severity": f["severity"],
                "message": f["message"],
                "added_rows": gained,
                "added_parts": _labels(gained, new_lines),
                "removed_rows": lost,
                "removed_parts": _labels(lost, old_lines),
            }
        )

    def rank(f: Mapping[str, Any]) -> tuple[int, str]:
        return (-SEVERITY_ORDER.get(f.get("severity", f.get("new_severity")), 0), f["id"])

    return sorted(added, key=rank), sorted(resolved, key=rank), sorted(changed, key=rank)


def _lines_by_row(report: Mapping[str, Any]) -> dict[int, tuple[tuple[str, ...], str]]:
    """Spreadsheet row -> (line key, label: the part number, else `row N`)."""
    return {
        int(line["row"]): (_key(line), line.get("part_number") or f"row {line['row']}")
        for line in report.get("lines", [])
    }


def _labels(rows: list[int], lines: Mapping[int, tuple[tuple[str, ...], str]]) -> list[str]:
    return list(dict.fromkeys(lines[r][1] for r in rows if r in lines))


def _with_parts(
    finding: dict[str, Any], lines: Mapping[int, tuple[tuple[str, ...], str]]
) -> dict[str, Any]:
    named = _labels(finding.get("rows", []), lines)
    return {**finding, "parts": named} if named else dict(finding)


def _list_text(names: list[str], noun: str) -> str:
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{noun}{'s' if len(names) > 1 else ''} {shown}"


def parts_text(finding: Mapping[str, Any]) -> str:
    parts = finding.get("parts") or []
    return f" ({_list_text(parts, 'part')})" if parts else ""


def finding_change_text(f: Mapping[str, Any]) -> str:
    """What changed about a finding kept between the two audits."""
    bits = []
    if f["old_severity"] != f["new_severity"]:
        bits.append(f"severity {f['old_severity']} → {f['new_severity']}")
    if f.get("added_parts"):
        bits.append("now also " + _list_text(f["added_parts"], "part"))
    if f.get("removed_parts"):
        bits.append("no longer " + _list_text(f["removed_parts"], "part"))
    return "; ".join(bits)


def _num(value: float) -> str:
    return f"{value:g}"


def _clean(value: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = clean_json(value)
    return cleaned
