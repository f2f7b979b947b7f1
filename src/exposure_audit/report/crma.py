"""`--format crma`: the pre-filled EU CRMA Art. 24 supply-risk assessment (Markdown, xlsx).

Per strategic raw material in the BOM: where it is extracted and processed (largest single
third-country share against the 65% benchmark, with basis and source), recycling, the Chinese
export controls in force, and vulnerability (share of BOM spend on lines touching it). Read
from the `rules` section of an audit run with the `crma` pack (`--rules crma`)."""

from __future__ import annotations

import io
from typing import Any

from exposure_audit.report.model import AuditResult
from exposure_audit.report.rules import DISCLAIMER

HEADERS = [
    "strategic raw material",
    "stage",
    "largest third country",
    "share",
    "over 65%",
    "basis",
    "source (year)",
    "export controls in force",
    "lines",
    "share of spend",
]


def assessment(result: AuditResult) -> list[dict[str, Any]] | None:
    """The CRMA assessment entries, or None when the audit did not run the `crma` pack."""
    rules = (result.report.extras or {}).get("rules") or {}
    for pack in rules.get("packs", []):
        if pack.get("id") == "crma":
            data = pack.get("data") or {}
            return list(data.get("assessment", []))
    return None


def _pct(value: Any) -> str:
    return "" if value is None else f"{100 * float(value):.1f}%"


def rows(result: AuditResult) -> list[list[str]]:
    """One row per material and stage (extraction, processing, recycling)."""
    out: list[list[str]] = []
    for item in assessment(result) or []:
        controls = "; ".join(c["measure"] for c in item["export_controls"]) or "none in force"
        vulnerability = item["vulnerability"]
        common = [controls, str(vulnerability["lines"]), _pct(vulnerability["spend_share"])]
        for stage, info in item["stages"].items():
            label = "extraction" if stage == "mining" else stage
            out.append(
                [
                    item["name"],
                    label,
                    info["top_third_country"] or "no data",
                    _pct(info["share"]),
                    "yes" if info["above_benchmark"] else "no",
                    str(info["basis"] or ""),
                    f"{info['source'] or ''} ({info['year'] or ''})",
                    *common,
                ]
            )
        recycling = item["recycling"]
        share = recycling.get("share")
        out.append(
            [
                item["name"],
                "recycling",
                "",
                _pct(share),
                "",
                "BOM recycled share" if share is not None else recycling.get("note", ""),
                "",
                *common,
            ]
        )
    return out


def render_markdown(result: AuditResult) -> str:
    from exposure_audit.report.markdown_text import md, table

    r = result.report
    head = [
        f"## EU CRMA Art. 24 supply-risk assessment: {md(r.input.path)}\n",
        f"_Pre-filled by exposure-audit from the BOM and the bundled shares (reference "
        f"{r.reference.version}, policy as of {r.policy.as_of}). {DISCLAIMER}_\n",
    ]
    if assessment(result) is None:
        return "\n".join([*head, "Run the audit with `--rules crma` to fill this assessment.\n"])
    body = table(HEADERS, [[md(c) for c in row] for row in rows(result)])
    notes = (
        "\nShares are world output (a proxy for the EU's supply); a share over 65% from one "
        "third country is over the CRMA benchmark. The company's stocks, alternative suppliers "
        "and substitution options are for the assessor to add.\n"
    )
    return "\n".join([*head, body, notes])


def render_xlsx(result: AuditResult) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from exposure_audit.report.base import safe_cell

    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook's one sheet (`active` is typed Optional)
    sheet.title = "CRMA Art. 24"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(result):
        sheet.append([safe_cell(v) for v in row])
    notes = book.create_sheet("Notes")
    notes.append([f"BOM: {safe_cell(result.report.input.path)}"])
    notes.append([DISCLAIMER])
    if assessment(result) is None:
        notes.append(["Run the audit with --rules crma to fill this assessment."])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class CrmaFormatter:
    name = "crma"
    suffixes = (".crma.md",)
    binary = False

    def render(self, result: AuditResult) -> str:
        return render_markdown(result)


class CrmaXlsxFormatter:
    name = "crma-xlsx"
    suffixes = (".crma.xlsx",)
    binary = True

    def render(self, result: AuditResult) -> bytes:
        return render_xlsx(result)
