"""SARIF 2.1.0: findings as results for code-scanning dashboards (GitHub, GitLab, Azure).

- Rules come from the policy's finding rules (id, description, severity, threshold).
- Severities map to levels: critical and high -> error, medium -> warning, low and info -> note.
- Each result points at the BOM file, with the first spreadsheet row behind the finding as
  `region.startLine` (the header row for product-level findings) and the other rows as related
  locations.
- `partialFingerprints` hash the finding id and the input path, so a dashboard tracks the same
  finding across runs even when rows move.
- Waived findings are included with an accepted external suppression carrying the reason.
- No timestamps: the same audit gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from exposure_audit.report.base import provenance, waiver_info
from exposure_audit.report.model import AuditResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/exposure-audit/exposure-audit"
FINGERPRINT = "exposureAudit/v1"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.0", "high": "7.0", "medium": "5.0", "low": "3.0", "info": "1.0"}
MAX_RELATED = 50


def artifact_uri(path: str) -> tuple[str, str | None]:
    """(uri, uriBaseId) for a path as the user gave it: relative paths stay relative to the
    source root (`%SRCROOT%`), absolute ones become `file:` URIs."""
    windows = PureWindowsPath(path)
    if windows.drive:
        return "file:///" + quote(windows.as_posix(), safe="/:"), None
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return "file://" + quote(str(posix), safe="/"), None
    text = str(posix)
    text = text.removeprefix("./")
    return quote(text, safe="/"), "%SRCROOT%"


def fingerprint(finding_id: str, path: str) -> str:
    return hashlib.sha256(f"{finding_id}\0{path.replace(chr(92), '/')}".encode()).hexdigest()


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    severity = rule.get("severity", "medium")
    text = rule.get("description") or rule["id"]
    properties: dict[str, Any] = {
        "severity": severity,
        "security-severity": SECURITY_SEVERITY.get(severity, "5.0"),
        "tags": ["supply-chain", "critical-minerals"],
    }
    if rule.get("threshold") is not None:
        properties["threshold"] = rule["threshold"]
    entry = {
        "id": rule["id"],
        "name": "".join(part.capitalize() for part in rule["id"].split("-")),
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "defaultConfiguration": {
            "level": LEVELS.get(severity, "warning"),
            "enabled": bool(rule.get("enabled", True)),
        },
        "help": {
            "text": f"{text} See `exposure-audit audit --help` and the policy file for "
            "thresholds; accept a finding with a waiver (--waivers)."
        },
        "properties": properties,
    }
    return entry


def render_sarif(result: AuditResult) -> str:
    r = result.report
    path = r.input.path
    uri, base = artifact_uri(path)
    rules = [_rule(rule) for rule in r.policy.rules]
    known = {rule["id"] for rule in rules}
    findings = [(f.model_dump(mode="json"), None) for f in r.findings]
    waivers = waiver_info(result)
    for w in (waivers or {}).get("applied", []):
        findings.extend((f, w) for f in w["findings"])
    for f, _ in findings:
        if f["rule"] not in known:
            known.add(f["rule"])
            rules.append(_rule({"id": f["rule"], "severity": f["severity"]}))
    rules.sort(key=lambda rule: rule["id"])
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    location_base: dict[str, Any] = {"uri": uri, "index": 0}
    if base:
        location_base["uriBaseId"] = base

    def location(row: int) -> dict[str, Any]:
        return {
            "physicalLocation": {
                "artifactLocation": dict(location_base),
                "region": {"startLine": int(row)},
            }
        }

    results = []
    for f, waiver in findings:
        rows = f.get("rows") or [r.input.header_row]
        entry: dict[str, Any] = {
            "ruleId": f["rule"],
            "ruleIndex": index[f["rule"]],
            "level": LEVELS.get(f["severity"], "warning"),
            "message": {"text": f["message"]},
            "locations": [location(rows[0])],
            "partialFingerprints": {FINGERPRINT: fingerprint(f["id"], path)},
            "properties": {
                "findingId": f["id"],
                "severity": f["severity"],
                "mineral": f.get("mineral"),
                "stage": f.get("stage"),
                "rows": f.get("rows", []),
            },
        }
        if len(rows) > 1:
            entry["relatedLocations"] = [
                {"id": i, **location(row)} for i, row in enumerate(rows[1 : MAX_RELATED + 1], 1)
            ]
        if waiver is not None:
            entry["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"{waiver['reason']} (waiver expires {waiver['expires']})",
                }
            ]
        results.append(entry)
    info = provenance(result)
    run = {
        "tool": {
            "driver": {
                "name": r.tool.name,
                "version": r.tool.version,
                "semanticVersion": r.tool.version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"exposure-audit/{uri}/"},
        "artifacts": [
            {
                "location": dict(location_base),
                "hashes": {"sha-256": r.input.sha256},
                "sourceLanguage": r.input.format,
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "score": r.summary.score,
            "tier": r.summary.tier,
            "exposure": r.summary.exposure,
            "referenceVersion": info["reference_version"],
            "referenceAsOf": info["reference_as_of"],
            "referenceTables": info["tables"],
            "policyAsOf": info["policy_as_of"],
            "alignedGroups": info["aligned_groups"],
            "weighting": info["weighting"],
            "assumptions": info["assumptions"],
            "sources": [{k: v for k, v in s.items() if v is not None} for s in info["sources"]],
            # Actions are advice, not results: dashboards show results; the property bag keeps
            # the actions with the run for tools that read them.
            "actions": [
                {
                    "family": a["family"],
                    "priority": a["priority"],
                    "title": a["title"],
                    "detail": a["detail"],
                    "rows": a["rows"],
                    "minerals": a["minerals"],
                }
                for a in r.extras.get("actions") or []
            ],
        },
    }
    if base:
        run["originalUriBaseIds"] = {
            base: {
                "description": {
                    "text": "The folder the audit ran in (BOM paths are relative to it)."
                }
            }
        }
    document = {"$schema": SCHEMA, "version": VERSION, "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class SarifFormatter:
    name = "sarif"
    suffixes = (".sarif",)
    binary = False

    def render(self, result: AuditResult) -> str:
        return render_sarif(result)
