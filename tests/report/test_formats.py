"""Every report format, read back: xlsx with openpyxl, HTML with html.parser, SARIF against the
2.1.0 required fields, CSV through pandas, Markdown as text. The BOM behind `hostile_result`
tries formula injection, HTML, Markdown links and mentions."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import jsonschema
import openpyxl
import pandas as pd
import pytest

from exposure_audit.report import all_formatters
from exposure_audit.report.base import FLAT_COLUMNS, flatten, safe_cell
from exposure_audit.report.model import STAGE_ASSUMPTION
from exposure_audit.report.xlsx_sheet import header_label

SHEETS = ["Summary", "Minerals", "Lines", "Findings", "Unmapped", "Sources"]
ASSUMPTION_START = STAGE_ASSUMPTION.split(":")[0]


def render(result, name):
    return all_formatters()[name].render(result)


# --------------------------------------------------------------------------- xlsx


@pytest.fixture(scope="module")
def workbook_bytes(hostile_result):
    return render(hostile_result, "xlsx")


@pytest.fixture(scope="module")
def workbook(workbook_bytes):
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes))


def test_xlsx_sheets_headers_and_filters(workbook):
    assert [n for n in workbook.sheetnames if n in SHEETS] == SHEETS
    for name in SHEETS[1:]:  # the Summary is a page to read, not a table to filter
        ws = workbook[name]
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        assert ws.cell(1, 1).font.bold, name
    assert workbook["Summary"].cell(1, 1).font.bold


def test_xlsx_has_native_charts(workbook):
    assert len(workbook["Minerals"]._charts) >= 1
    assert len(workbook["Summary"]._charts) >= 1
    kinds = {type(c).__name__ for ws in workbook for c in ws._charts}
    assert "BarChart" in kinds


def test_xlsx_lines_sheet_is_the_flat_table_under_human_headers(workbook, hostile_result):
    ws = workbook["Lines"]
    header = [c.value for c in ws[1]]
    flat = flatten(hostile_result)
    assert header == [header_label(c, hostile_result.report.currency) for c in flat.columns]
    assert "China touch (%)" in header and "Mass (kg)" in header
    assert not [h for h in header if "_" in h and not h.startswith("extra")], header
    assert ws.max_row == len(flat) + 1
    # numbers stay numbers, with percent formats on shares
    column = header.index("China touch (%)") + 1
    cell = ws.cell(2, column)
    assert isinstance(cell.value, int | float) and "%" in cell.number_format
    assert ws.conditional_formatting  # colour scales and tier colours


def test_xlsx_neutralises_formula_injection(workbook):
    texts = [
        c for ws in workbook for row in ws.iter_rows() for c in row if isinstance(c.value, str)
    ]
    assert not [c.coordinate for c in texts if c.data_type == "f"]
    values = {c.value for c in texts}
    assert '\'=HYPERLINK("http://evil.example/x","click")' in values
    assert "'@SUM(1)" in values
    assert "'+Wire Co" in values and "'-2+3" in values
    assert not [v for v in values if v[:1] in ("=", "+", "-", "@")]


def test_xlsx_states_provenance(workbook, hostile_result):
    items = {row[0]: row[1] for row in workbook["Summary"].iter_rows(min_row=2, values_only=True)}
    assert items["Headline"] and items["Coverage status"] and items["Data date"]
    report = hostile_result.report
    assert items["Reference data"] == report.reference.version
    assert items["Policy as of (--as-of)"] == "2026-03-01"
    assert items["Aligned groups"] == "toy_aligned"
    assert items["Assumption 1"] == STAGE_ASSUMPTION
    sources = list(workbook["Sources"].iter_rows(min_row=2, values_only=True))
    assert any(row[1] == "test fixture" for row in sources)


def test_xlsx_bytes_are_stable(hostile_result, workbook_bytes, workbook):
    assert render(hostile_result, "xlsx") == workbook_bytes
    assert workbook.properties.created.date().isoformat() == "2026-03-01"


# --------------------------------------------------------------------------- html


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def page(hostile_result):
    return render(hostile_result, "html")


@pytest.fixture(scope="module")
def parsed(page):
    collector = _Collector()
    collector.feed(page)
    collector.close()
    return collector


def test_html_is_self_contained(page, parsed):
    tags = [t for t, _ in parsed.tags]
    assert tags.count("table") >= 4
    assert "svg" in tags
    scripts = [a for t, a in parsed.tags if t == "script"]
    assert len(scripts) == 1 and "src" not in scripts[0]
    assert "link" not in tags and "img" not in tags and "iframe" not in tags
    for _, attrs in parsed.tags:
        for key, value in attrs.items():
            assert not re.match(r"(?i)\s*(https?:|//)", value or ""), (key, value)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert re.search(r"(?i)\b(src|href)\s*=\s*[\"']?\s*https?:", page) is None


def test_html_escapes_bom_text(page, parsed):
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" in "".join(parsed.text)  # shown as text
    assert 'href="http://evil.example' not in page


def test_html_tables_are_sortable_and_state_provenance(page, hostile_result):
    assert 'class="sortable"' in page and "addEventListener('click'" in page
    assert hostile_result.report.reference.version in page
    assert ASSUMPTION_START in page
    assert "toy_aligned" in page and "2026-03-01" in page


# --------------------------------------------------------------------------- sarif

SARIF_REQUIRED = {
    "type": "object",
    "required": ["version", "$schema", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "pattern": "sarif"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "shortDescription"],
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "ruleId",
                                "level",
                                "message",
                                "locations",
                                "partialFingerprints",
                            ],
                            "properties": {
                                "level": {"enum": ["error", "warning", "note", "none"]},
                                "message": {"type": "object", "required": ["text"]},
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation", "region"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "required": ["startLine"],
                                                        "properties": {
                                                            "startLine": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            }
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def sarif(hostile_result):
    return json.loads(render(hostile_result, "sarif"))


def test_sarif_required_fields(sarif):
    jsonschema.validate(sarif, SARIF_REQUIRED)
    assert sarif["runs"][0]["tool"]["driver"]["name"] == "exposure-audit"


def test_sarif_levels_rules_and_locations(sarif, hostile_result):
    run = sarif["runs"][0]
    results = run["results"]
    findings = hostile_result.report.findings
    assert len(results) == len(findings)
    levels = {
        "critical": "error",
        "high": "error",
        "medium": "warning",
        "low": "note",
        "info": "note",
    }
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for finding, result in zip(findings, results, strict=True):
        assert result["level"] == levels[finding.severity]
        assert result["ruleId"] == finding.rule
        assert rule_ids[result["ruleIndex"]] == finding.rule
        line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert line == (finding.rows[0] if finding.rows else hostile_result.report.input.header_row)
    assert {"product-exposure", "covered-nation-supplier"} <= set(rule_ids)
    assert run["properties"]["referenceVersion"] == hostile_result.report.reference.version
    assert run["properties"]["assumptions"][0] == STAGE_ASSUMPTION


def test_sarif_fingerprints_are_stable_and_distinct(sarif, hostile_result):
    prints = [r["partialFingerprints"]["exposureAudit/v1"] for r in sarif["runs"][0]["results"]]
    assert len(set(prints)) == len(prints)
    again = json.loads(render(hostile_result, "sarif"))
    assert prints == [
        r["partialFingerprints"]["exposureAudit/v1"] for r in again["runs"][0]["results"]
    ]


def test_sarif_uri_relative_paths_stay_relative():
    from exposure_audit.report.sarif import artifact_uri

    assert artifact_uri("boms/motor v2.xlsx") == ("boms/motor%20v2.xlsx", "%SRCROOT%")
    assert artifact_uri("./bom.csv") == ("bom.csv", "%SRCROOT%")
    assert artifact_uri("/data/bom.csv") == ("file:///data/bom.csv", None)
    assert artifact_uri("C:\\boms\\bom.xlsx") == ("file:///C:/boms/bom.xlsx", None)


# --------------------------------------------------------------------------- csv


@pytest.fixture(scope="module")
def csv_frame(hostile_result):
    return pd.read_csv(io.StringIO(render(hostile_result, "csv")))


def test_csv_round_trips_one_row_per_line_and_mineral(csv_frame, hostile_result):
    per_line = hostile_result.line_minerals.groupby("line").size()
    expected = sum(max(1, int(per_line.get(i, 0))) for i in hostile_result.lines.index)
    assert len(csv_frame) == expected
    assert list(csv_frame.columns[: len(FLAT_COLUMNS)]) == list(FLAT_COLUMNS)
    assert pd.api.types.is_numeric_dtype(csv_frame["china_touch"])
    assert pd.api.types.is_numeric_dtype(csv_frame["row"])
    magnet = csv_frame[csv_frame["part_number"] == "M-100"]
    assert sorted(magnet["mineral"]) == ["dysprosium", "neodymium"]
    unmapped = csv_frame[csv_frame["part_number"] == "X-500"]
    assert len(unmapped) == 1 and unmapped["mineral"].isna().all()


def test_csv_matches_the_flat_table(csv_frame, hostile_result):
    flat = flatten(hostile_result)
    assert len(csv_frame) == len(flat)
    assert csv_frame["row"].tolist() == flat["row"].tolist()
    assert (
        csv_frame["china_touch"].fillna(-1).round(9).tolist()
        == flat["china_touch"].fillna(-1).round(9).tolist()
    )


def test_csv_neutralises_injection_and_states_provenance(csv_frame, hostile_result):
    text_cells = [
        v for c in csv_frame.columns if csv_frame[c].dtype == object for v in csv_frame[c].dropna()
    ]
    assert not [v for v in text_cells if str(v)[:1] in ("=", "+", "-", "@")]
    assert "'@SUM(1)" in set(csv_frame["extra:Buyer Remark"].dropna())
    assert set(csv_frame["reference_version"]) == {hostile_result.report.reference.version}
    assert set(csv_frame["policy_as_of"]) == {"2026-03-01"}
    assert set(csv_frame["aligned_groups"]) == {"toy_aligned"}
    assert csv_frame["notes"].iloc[0].startswith(ASSUMPTION_START)


# --------------------------------------------------------------------------- markdown


@pytest.fixture(scope="module")
def markdown(hostile_result):
    return render(hostile_result, "markdown")


def test_markdown_has_the_summary_table(markdown, hostile_result):
    assert "| score | tier | exposure | value at risk |" in markdown
    s = hostile_result.summary
    assert f"| {s.score} | {s.tier} |" in markdown
    assert "### Findings" in markdown and "### Minerals" in markdown


def test_markdown_escapes_bom_text(markdown):
    lines = [line for line in markdown.splitlines() if "S-400" in line]
    assert lines and all(line.count("|") - line.count("\\|") == 9 for line in lines)
    assert "<script>" not in markdown
    assert "@team" not in markdown and "&#64;team" in markdown
    assert "\\[link\\]" in markdown and re.search(r"(?<!\\)\]\(", markdown) is None


def test_markdown_states_provenance(markdown, hostile_result):
    assert hostile_result.report.reference.version in markdown
    assert ASSUMPTION_START.replace("_", "\\_") in markdown
    assert "toy\\_aligned" in markdown and "Policy as of 2026-03-01" in markdown


def test_markdown_lines_use_flat_columns_in_order(markdown):
    header = next(line for line in markdown.splitlines() if line.startswith("| row |"))
    names = [c.strip() for c in header.strip("|").split("|")]
    order = list(FLAT_COLUMNS)
    assert all(n in order for n in names)
    assert [order.index(n) for n in names] == sorted(order.index(n) for n in names)


# --------------------------------------------------------------------------- all


@pytest.mark.parametrize(
    "name", sorted(n for n, f in all_formatters().items() if not getattr(f, "binary", False))
)
def test_text_formats_name_reference_and_policy(hostile_result, name):
    text = render(hostile_result, name)
    assert isinstance(text, str)
    assert hostile_result.report.reference.version in text
    assert "2026-03-01" in text


def test_safe_cell():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("\t=x") == "'\t=x"
    assert safe_cell("\rx") == "'\rx"
    assert safe_cell("plain") == "plain"
    assert safe_cell(-3) == -3
    assert safe_cell(None) is None
