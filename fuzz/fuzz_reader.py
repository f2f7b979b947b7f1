"""Fuzz the BOM reader: random and mutated CSV and xlsx files must read or fail with
`BomReadError` — any other exception is a bug.

    python fuzz/fuzz_reader.py --seconds 600      # a long local run
    python fuzz/fuzz_reader.py --examples 200     # what the test suite runs, briefly

Driven by hypothesis, so a failure is shrunk to a small input and printed.
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exposure_audit.bom.clean import clean_bom
from exposure_audit.bom.columns import match_columns
from exposure_audit.bom.read import read_bom
from exposure_audit.errors import ExposureAuditError

HEADERS = [
    "Part Number",
    "Description",
    "Material",
    "Qty",
    "Unit Mass (g)",
    "Country of Origin",
    "Unit Price",
    "Total",
    "Mineral",
    "CAS",
    "Supplier",
]
cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "1",
            "-3",
            "1,234.5",
            "3,10 €",
            "$42.53",
            "(5)",
            "nan",
            "inf",
            "12 g",
            "PRC",
            "Atlantis",
            "N52",
            "Total",
            "=1+1",
            "\x1b[31m",
            "\x00",
            "é",
            "\ufeff",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
rows = st.lists(st.lists(cells, max_size=9), max_size=12)
SEED_XLSX: bytes | None = None


def _seed_xlsx() -> bytes:
    global SEED_XLSX
    if SEED_XLSX is None:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(HEADERS[:6])
        sheet.append(["P1", "NdFeB magnet", "N42", 2, 5, "Japan"])
        buffer = io.BytesIO()
        book.save(buffer)
        SEED_XLSX = buffer.getvalue()
    return SEED_XLSX


def check(path: Path) -> None:
    try:
        raw = read_bom(path)
        clean_bom(raw, match_columns(raw.headers))
    except ExposureAuditError:
        pass


def csv_case(header: list[str], body: list[list[str]], sep: str, encoding: str) -> bytes:
    lines = [sep.join(header), *(sep.join(r) for r in body)]
    return "\n".join(lines).encode(encoding, errors="replace")


def xlsx_mutation(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    buffer = bytearray(data)
    for position, value in flips:
        buffer[position % len(buffer)] = value
    return bytes(buffer)


def xlsx_member_mutation(data: bytes, member_text: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                body = body[: len(body) // 2] + member_text.encode() + body[len(body) // 2 :]
            target.writestr(info, body)
    return out.getvalue()


def run(examples: int, derandomize: bool = False) -> None:
    """Fuzz both readers; `derandomize` fixes the seed (the test suite's short run)."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-reader-"))

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8),
        rows,
        st.sampled_from([",", ";", "\t", "|"]),
        st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    )
    def fuzz_csv(header, body, sep, encoding):
        path = folder / "bom.csv"
        path.write_bytes(csv_case(header, body, sep, encoding))
        check(path)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6),
        st.text(max_size=40),
    )
    def fuzz_xlsx(flips, text):
        path = folder / "bom.xlsx"
        path.write_bytes(xlsx_mutation(_seed_xlsx(), flips))
        check(path)
        path.write_bytes(xlsx_member_mutation(_seed_xlsx(), text))
        check(path)

    fuzz_csv()
    fuzz_xlsx()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500, help="examples per round")
    parser.add_argument("--seconds", type=float, default=0, help="keep going this long")
    args = parser.parse_args()
    deadline = time.monotonic() + args.seconds
    rounds = 0
    while True:
        random.seed(rounds)
        run(args.examples)
        rounds += 1
        if time.monotonic() >= deadline:
            break
    print(f"fuzz: {rounds} round(s) of {args.examples} examples each, no unexpected exception")


if __name__ == "__main__":
    main()
