"""The JSON report: the machine contract (`schema_version: 1`), byte-stable for the same input."""

from __future__ import annotations

import json
from typing import Any

from exposure_audit.report.model import AuditResult, clean_json

_KEY_ORDER = (
    "schema_version",
    "tool",
    "reference",
    "policy",
    "input",
    "weighting",
    "currency",
    "summary",
    "minerals",
    "lines",
    "unmapped",
    "findings",
    "issues",
)


def report_dict(result: AuditResult) -> dict[str, Any]:
    """The whole report as plain JSON-ready data, keys in contract order."""
    data = result.report.model_dump(mode="json")
    extras = data.pop("extras", {}) or {}
    data["lines"] = result.line_records()
    ordered = {key: data[key] for key in _KEY_ORDER}
    ordered.update(extras)
    return clean_json(ordered)


class JsonFormatter:
    name = "json"
    suffixes = (".json",)
    binary = False

    def render(self, result: AuditResult) -> str:
        return json.dumps(report_dict(result), indent=2, ensure_ascii=False) + "\n"
