"""Delimited text parsed by pyarrow: string columns on all cores, field columns hashed in C++.

No pandas here; `read.py` turns the table into the raw frame.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from exposure_audit.bom import sniff


@dataclass
class TextTable:
    """A delimited text file's body as a pyarrow Table of string columns, with its layout."""

    layout: sniff.TextLayout
    table: object
    encoded: dict[str, object]
    """The columns a BOM field would come from, dictionary-encoded (by header)."""


def file_sha256(path: Path) -> str:
    """The file's sha256, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_arrow(path: Path, layout: sniff.TextLayout) -> TextTable:
    """The body below the header as string columns (blank cells are ""), parsed by pyarrow on
    all cores, with the columns a BOM field comes from dictionary-encoded: the hashing that
    cleaning starts with, done in C++. Raises pyarrow's errors for ragged rows or bad UTF-8."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv

    from exposure_audit.bom.columns import match_columns

    columns = match_columns(layout.headers)
    fields = {*columns.fields.values(), *(h for hs in columns.text.values() for h in hs)}
    part_number = columns.header("part_number")
    names = [f"f{i}" for i in range(len(layout.headers))]
    # Large strings are what pandas keeps: taken as they are, not cast (0.3 s at 1M lines).
    # Field columns are encoded by the parser, block by block on all cores, except the part
    # number: a value per line, whose blocks' dictionaries would cost more to merge than to
    # hash the column once.
    types = {
        name: pa.dictionary(pa.int32(), pa.large_string())
        if header in fields and header != part_number
        else pa.large_string()
        for name, header in zip(names, layout.headers, strict=True)
    }
    table = csv.read_csv(
        path,
        # The byte-order mark, if any, sits on a line we skip.
        read_options=csv.ReadOptions(skip_rows=layout.header_idx + 1, column_names=names),
        parse_options=csv.ParseOptions(delimiter=layout.delimiter, ignore_empty_lines=False),
        convert_options=csv.ConvertOptions(
            column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    encoded: dict[str, object] = {}
    for i, header in enumerate(layout.headers):
        if header in fields and header != part_number:
            encoded[header] = table.column(i).combine_chunks()  # merges the blocks' dictionaries
            # ... which pandas would otherwise merge again when it makes the frame.
            table = table.set_column(i, names[i], encoded[header])
    if part_number is None:
        return TextTable(layout, table, encoded)
    # One chunk: cleaning takes a few cells of it by position (rows to skip), slow across the
    # parser's blocks.
    at = layout.headers.index(part_number)
    column = table.column(at).combine_chunks()
    table = table.set_column(at, names[at], column)
    encoded[part_number] = pc.dictionary_encode(column)
    return TextTable(layout, table, encoded)
