"""Formatters never crash and never let BOM text through raw, whatever the BOM says."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from exposure_audit.errors import ExposureAuditError
from exposure_audit.report import all_formatters

from support import toy_audit

cell = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FF)
        | st.sampled_from(
            ["=", "+", "-", "@", "\t", "\r", "<", ">", "|", "&", "\x1b", "\x00", "\x07"]
        ),
        max_size=12,
    ),
    st.sampled_from(
        [
            "<img src=x onerror=alert(1)>",
            "<script>alert(1)</script>",
            '=HYPERLINK("http://x")',
            "[a](javascript:x)",
            "@channel",
        ]
    ),
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(part=cell, description=cell, supplier=cell, remark=cell)
def test_every_format_renders_any_bom_text(tmp_path, part, description, supplier, remark):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "Part Number",
            "Description",
            "Material",
            "Qty",
            "Country of Origin",
            "Supplier",
            "Buyer Remark",
        ]
    )
    writer.writerow([part, description, "N42SH", 2, "Japan", supplier, remark])
    writer.writerow(["P-2", "Housing", "ABS housing", 1, "Mexico", "Acme", ""])
    path = tmp_path / "bom.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        result = toy_audit(path)
    except ExposureAuditError:
        assume(False)
    for name, formatter in all_formatters().items():
        out = formatter.render(result)
        assert out, name
        if name in ("json", "sarif"):
            json.loads(out)
    tags = _Tags()
    tags.feed(all_formatters()["html"].render(result))
    assert tags.seen <= HTML_TAGS, tags.seen - HTML_TAGS
    assert not [a for a in tags.attributes if a.startswith("on")]
    assert all(href.startswith("#source-") for href in tags.hrefs), tags.hrefs


HTML_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "main",
    "h1",
    "h2",
    "h3",
    "p",
    "section",
    "div",
    "b",
    "span",
    "svg",
    "rect",
    "text",
    "line",
    "table",
    "caption",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "ul",
    "ol",
    "li",
    "details",
    "summary",
    "strong",
    "br",
    # the executive summary's share bars (<i>) and numbered source notes (<sup><a href="#source-N">)
    "i",
    "sup",
    "a",
    "script",
}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.seen: set[str] = set()
        self.attributes: set[str] = set()
        self.hrefs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.seen.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self.hrefs.update(value or "" for name, value in attrs if name == "href")
