"""Fuzz the whole audit past the reader: hostile BOMs (long fields, huge and ambiguous numbers,
control characters, formula text, huge sheets, lying zips) are read, cleaned, mapped, scored and
rendered by every writer. An audit must end in a result or a `BomReadError`; a result's
JSON holds only finite numbers, its score lies in 0..100, and every formatter renders it.

    python fuzz/fuzz_pipeline.py --examples 10000      # the long run (record it in the note)
    python fuzz/fuzz_pipeline.py --examples 20         # what the test suite runs, briefly

Driven by hypothesis, so a failure is shrunk to a small input and printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import struct
import tempfile
import time
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exposure_audit.api import Options, audit
from exposure_audit.errors import BomReadError
from exposure_audit.report import all_formatters

AS_OF = dt.date(2026, 11, 28)
HEADERS = [
    "Part Number",
    "Description",
    "Material",
    "Qty",
    "Unit Mass (g)",
    "Mass (kg)",
    "Country of Origin",
    "Unit Price",
    "Extended Cost",
    "Supplier",
    "Mineral",
    "Smelter Country",
]
WORDS = [
    "NdFeB magnet N42SH",
    "SAC305 solder",
    "GaN HEMT",
    "tantalum capacitor",
    "LCO cell 18650",
    "copper busbar",
    "tungsten carbide insert",
    "0402 MLCC X7R",
    "China",
    "PRC",
    "Japan",
    "Türkiye",
    "Atlantis",
    '=HYPERLINK("http://x")',
    "\x1b[31mred\x1b[0m",
    "<script>alert(1)</script>",
    "| pipe | cell |",
    "\u202etxt.exe",
    "\x00",
    "",
]
NUMBERS = [
    "1",
    "0",
    "-3",
    "1,000",
    "1,5",
    "1.500",
    "1.234,5",
    "1,234.50",
    "$42.53",
    "3,10 €",
    "(5)",
    "12 g",
    "1e308",
    "-1e308",
    "1e15",
    "1e16",
    "9" * 400,
    "nan",
    "inf",
    "2026-01-01",
]
cells = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(NUMBERS),
    st.text(max_size=12),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
long_cells = st.one_of(cells, st.text(min_size=2000, max_size=6000))
rows = st.lists(st.lists(long_cells, min_size=1, max_size=12), min_size=1, max_size=10)
# NOTE: pdf is the html writer's page printed by a browser (seconds per page): html is fuzzed.
FORMATTERS = sorted(name for name in all_formatters() if name != "pdf")


def finite_json(text: str) -> object:
    """The JSON report parsed, refusing NaN and Infinity (not JSON, and not a number)."""

    def refuse(name: str) -> object:
        raise AssertionError(f"the JSON report holds {name}")

    return json.loads(text, parse_constant=refuse)


def check(path: Path, writers: list[str]) -> bool:
    """Whether the audit gave a result (False: the BOM was refused with a `BomReadError`; any
    other error, a broken reference set included, fails the run)."""
    try:
        result = audit(path, Options(as_of=AS_OF))
    except BomReadError:
        return False
    formatters = all_formatters()
    report = finite_json(formatters["json"].render(result))
    score = report["summary"]["score"]  # type: ignore[index]
    assert score is None or 0 <= score <= 100, score
    for name in writers:
        rendered = formatters[name].render(result)
        if not isinstance(rendered, str | bytes):
            rendered = b"".join(p if isinstance(p, bytes) else p.encode() for p in rendered)
        assert rendered, name
    return True


def csv_bytes(header: list[str], body: list[list[str]], sep: str, encoding: str) -> bytes:
    lines = [sep.join(header), *(sep.join(r) for r in body)]
    return "\n".join(lines).encode(encoding, errors="replace")


def xlsx_bytes(header: list[str], body: list[list[str]], far_cell: bool) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for r, row in enumerate([header, *body], start=1):
        for c, value in enumerate(row, start=1):
            clean = "".join(ch for ch in value if ch >= " " or ch in "\t\n")[:32000]
            sheet.cell(row=r, column=c, value=_typed(clean))
    if far_cell:
        sheet["XFD1048576"] = "x"  # a 1.9 KB sheet that spans 17 billion cells
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _typed(text: str) -> object:
    try:
        return float(text) if text.strip() and text.strip()[0].isdigit() else text
    except ValueError:
        return text


def lying_zip(data: bytes, declared: int) -> bytes:
    """The workbook with its first sheet's declared size replaced by `declared` (both in the
    local header and in the central directory)."""
    buffer = bytearray(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    for info in archive.infolist():
        if info.filename.endswith("sheet1.xml"):
            struct.pack_into("<L", buffer, info.header_offset + 22, declared)
    at = bytes(buffer).find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", buffer, at + 28)[0]
        if bytes(buffer[at + 46 : at + 46 + length]).endswith(b"sheet1.xml"):
            struct.pack_into("<L", buffer, at + 24, declared)
        at = bytes(buffer).find(b"PK\x01\x02", at + 4)
    return bytes(buffer)


def run(examples: int, derandomize: bool = False) -> tuple[int, int]:
    """Fuzz the pipeline on `examples` inputs; returns (inputs run, audits with a result)."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-pipeline-"))
    count = audited = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        header=st.lists(st.sampled_from(HEADERS), min_size=2, max_size=9),
        body=rows,
        container=st.sampled_from(["csv"] * 6 + ["xlsx", "xlsx-far", "xlsx-lying"]),
        sep=st.sampled_from([",", ";", "\t"]),
        encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "gbk"]),
        writers=st.lists(st.sampled_from(FORMATTERS), min_size=1, max_size=2, unique=True),
        declared=st.integers(0, 4096),
    )
    def fuzz(header, body, container, sep, encoding, writers, declared):
        nonlocal count, audited
        count += 1
        if container == "csv":
            path = folder / "bom.csv"
            path.write_bytes(csv_bytes(header, body, sep, encoding))
        else:
            path = folder / "bom.xlsx"
            data = xlsx_bytes(header, body, far_cell=container == "xlsx-far")
            path.write_bytes(lying_zip(data, declared) if container == "xlsx-lying" else data)
        audited += check(path, writers)

    fuzz()
    return count, audited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500)
    args = parser.parse_args()
    start = time.monotonic()
    count, audited = run(args.examples)
    print(
        f"fuzz_pipeline: {count} examples in {time.monotonic() - start:.0f} s: {audited} "
        f"audited and rendered, {count - audited} refused with a BomReadError; "
        "no other exception"
    )


if __name__ == "__main__":
    main()
