"""The workbook's building blocks: cells made safe, human column headers, and a streaming
worksheet with a frozen, filtered, repeated header row, typed columns and print set-up.

The workbook is written by xlsxwriter in constant-memory mode: each row goes to disk as it is
written, so a 100k-line BOM never holds a cell object per value. Rows must therefore be written
in order, once; everything else (filters, conditional formats, charts, print settings) may be
set at any time.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from typing import Any

from exposure_audit.report.base import STAGES, excel_money_format, safe_cell


def _worksheet_base() -> type:
    from xlsxwriter.worksheet import Worksheet

    return Worksheet


EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767
PCT = "0.0%"
MASS = "0.000000"
NUMBER = "#,##0.###"
INTEGER = "#,##0"
MONEY = "money"  # stands for the BOM's currency format (`excel_money_format`)
TIER_FILLS = {
    "critical": ("#9C0006", "#FFC7CE"),
    "high": ("#9C5700", "#FFD8B1"),
    "medium": ("#7F6000", "#FFEB9C"),
    "low": ("#006100", "#C6EFCE"),
}
SEVERITY_FILLS = {**TIER_FILLS, "info": ("#3F3F3F", "#EDEDED")}
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# Human headers for the machine column names (JSON and CSV keep the machine names). A share
# holds a fraction shown as a percentage; "(%)" says so.
_LABELS: dict[str, str] = {
    "row": "BOM row",
    "part_number": "Part number",
    "description": "Description",
    "material": "Material",
    "quantity": "Quantity",
    "supplier": "Supplier",
    "supplier_country": "Supplier country (ISO)",
    "archetype": "Material archetype",
    "match_method": "Match method",
    "match_confidence": "Match confidence (%)",
    "line_exposure": "Line exposure (%)",
    "line_tier": "Line tier",
    "line_driver": "Line driver",
    "mineral": "Mineral",
    "name": "Name",
    "mass_kg": "Mass (kg)",
    "mass_estimated": "Mass estimated",
    "china_touch": "China touch (%)",
    "aligned_chain": "Aligned chain (%)",
    "actions": "Actions",
    "lines": "Lines",
    "export_controls_active": "Export controls active",
    "export_controls_suspended": "Export controls suspended",
    "export_controls": "Export controls",
    "waiver_reason": "Waiver reason",
    "waiver_expires": "Waiver expires",
    "affected_rows": "Affected BOM rows",
    "cut_share": "Cut share (%)",
    "rows": "BOM rows",
    "id": "ID",
    "as_of": "As of",
    "url": "URL",
    "weight_share": "Weight share (%)",
}
for _s in STAGES:
    _LABELS |= {
        f"china_{_s}": f"China {_s} (%)",
        f"aligned_{_s}": f"Aligned {_s} (%)",
        f"feoc_{_s}": f"FEOC {_s} (%)",
        f"unknown_{_s}": f"Unknown {_s} (%)",
        f"hhi_{_s}": f"HHI {_s} (0-10,000)",
        f"top_{_s}": f"Top countries, {_s}",
        f"basis_{_s}": f"Basis, {_s}",
        f"source_{_s}": f"Source, {_s}",
    }
_MONEY_LABELS = {
    "spend": "Spend",
    "affected_spend": "Affected spend",
    "value_at_risk": "Value at risk",
}


def header_label(name: str, currency: str | None = None) -> str:
    """The header a person reads for column `name`: words and units, the currency for money."""
    if name.startswith("extra:"):
        return name[len("extra:") :]
    if name in _MONEY_LABELS:
        unit = f" ({currency})" if currency else ""
        return _MONEY_LABELS[name] + unit
    if name in _LABELS:
        return _LABELS[name]
    return name.replace("_", " ").capitalize()


def clean_cell(value: Any) -> Any:
    """A value as the workbook should store it: numbers as numbers (NaN empty), text
    neutralised and free of characters XML cannot hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, int | dt.date):
        return value
    text = str(value)
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if len(text) > EXCEL_MAX_TEXT:
        text = text[: EXCEL_MAX_TEXT - 1] + "…"
    return safe_cell(text)


def col_name(index: int) -> str:
    """Column letters of a 0-based index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Book:
    """The workbook and its shared cell formats (xlsxwriter wants each format made once)."""

    def __init__(self, workbook: Any, currency: str | None):
        self.workbook = workbook
        self.currency = currency
        self._formats: dict[tuple[tuple[str, Any], ...], Any] = {}
        self.header = self.format(bold=True, bg_color="#DDEBF7", bottom=1, text_wrap=True)
        self.bold = self.format(bold=True, valign="top")
        self.wrap = self.format(text_wrap=True, valign="top")
        self.title = self.format(bold=True, font_size=14)

    def format(self, **props: Any) -> Any:
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(props)
        return self._formats[key]

    def number(self, num_format: str | None) -> Any:
        """The cell format of a number format name (MONEY: the BOM's currency)."""
        if num_format is None:
            return None
        if num_format == MONEY:
            num_format = excel_money_format(self.currency)
        return self.format(num_format=num_format)


class Sheet:
    """A streaming worksheet: a header row of human labels over typed columns (machine names
    kept for looking columns up), rows appended in order, then `finish` for the trimmings."""

    def __init__(
        self,
        book: Book,
        title: str,
        headers: Sequence[str],
        formats: dict[str, str] | None = None,
        widths: dict[str, float] | None = None,
    ):
        self.book = book
        self.ws = book.workbook.add_worksheet(title, worksheet_class=_Worksheet)
        self.title = title
        self.headers = list(headers)
        formats = formats or {}
        self._format_at = [book.number(formats.get(name)) for name in self.headers]
        # Style numbers of the formats, fixed now: `write_columns` writes them as XML.
        self._xf_at = [f._get_xf_index() if f is not None else None for f in self._format_at]
        self.rows = 1
        labels = [header_label(name, book.currency) for name in self.headers]
        header_lines = 1
        for i, label in enumerate(labels):
            # Headers wrap, so a number column is as wide as its numbers, not its label: wide
            # sheets then print legibly at one page wide.
            default = 11.0 if formats.get(self.headers[i]) else max(10.0, min(len(label), 24))
            width = (widths or {}).get(self.headers[i], default)
            self.ws.set_column(i, i, width)
            longest = max((len(w) for w in label.split()), default=0)
            lines = math.ceil(len(label) / max(width - 1, 1)) + (longest > width)
            header_lines = max(header_lines, lines)
        self.ws.set_row(0, 15.0 * min(header_lines, 4))
        self.ws.write_row(0, 0, labels, book.header)
        self.ws.freeze_panes(1, 0)

    def append(self, values: Sequence[Any]) -> None:
        self.write_values(self.rows, values)
        self.rows += 1

    def write_values(self, row: int, values: Sequence[Any]) -> None:
        """One row of values; None, NaN and infinities stay empty cells."""
        ws = self.ws
        formats = self._format_at
        for col, raw in enumerate(values):
            value = clean_cell(raw)
            if value is None:
                continue
            if isinstance(value, bool):
                ws.write_boolean(row, col, value)
            elif isinstance(value, int | float):
                ws.write_number(row, col, value, formats[col] if col < len(formats) else None)
            elif isinstance(value, dt.date):
                ws.write_string(row, col, value.isoformat())
            else:
                ws.write_string(row, col, value)

    def write_columns(self, columns: Sequence[Any], limit: int) -> None:
        """Rows from whole columns (pandas Series), at most `limit` of them, after the rows
        written so far and before any written later.

        NOTE: xlsxwriter's per-cell writer costs ~5-10 us a cell, minutes for the ~9M cells
        of a 100k-line BOM. Here each column's cells are made as XML at once (text escaped
        once per distinct value) and the worksheet copies them into its sheetData
        (`_Worksheet`); the cells are those xlsxwriter would write (typed, the column's
        number format, inline strings)."""
        n = min(len(columns[0]), limit) if columns else 0
        if n == 0:
            return
        first = self.rows
        prepared = [
            _Column(series.iloc[:n], col_name(col), self._xf_at[col])
            for col, series in enumerate(columns)
        ]

        def rows(chunk: int = 2048) -> Iterable[str]:
            # Made while the workbook is written, a chunk at a time: never all in memory.
            for start in range(0, n, chunk):
                stop = min(start + chunk, n)
                numbers = [str(first + 1 + i) for i in range(start, stop)]
                cells = [c.xml(start, stop, numbers) for c in prepared]
                yield "".join(
                    [
                        f'<row r="{r}">{"".join(row)}</row>'
                        for r, row in zip(numbers, zip(*cells, strict=True), strict=True)
                    ]
                )

        self.ws.add_xml_rows(rows(), first + n - 1, len(columns) - 1)
        self.rows += n

    def column(self, name: str) -> int:
        return self.headers.index(name)

    def finish(
        self,
        shares: Iterable[str] = (),
        tiers: Iterable[str] = (),
        severities: Iterable[str] = (),
        aligned: Iterable[str] = (),
        filter_rows: int | None = None,
    ) -> None:
        """Filter, colour scales, tier colours and print set-up over the rows written."""
        last = max(self.rows, 2) - 1
        end = len(self.headers) - 1
        self.ws.autofilter(0, 0, (filter_rows or self.rows) - 1, end)
        for name in shares:
            col = self.column(name)
            self.ws.conditional_format(
                1,
                col,
                last,
                col,
                {
                    "type": "3_color_scale",
                    "min_type": "num",
                    "min_value": 0,
                    "min_color": "#FFFFFF",
                    "mid_type": "num",
                    "mid_value": 0.5,
                    "mid_color": "#FFEB84",
                    "max_type": "num",
                    "max_value": 1,
                    "max_color": "#F8696B",
                },
            )
        for name in aligned:
            col = self.column(name)
            self.ws.conditional_format(
                1,
                col,
                last,
                col,
                {
                    "type": "2_color_scale",
                    "min_type": "num",
                    "min_value": 0,
                    "min_color": "#FFFFFF",
                    "max_type": "num",
                    "max_value": 1,
                    "max_color": "#63BE7B",
                },
            )
        for names, fills in ((tiers, TIER_FILLS), (severities, SEVERITY_FILLS)):
            for name in names:
                col = self.column(name)
                for value, (font, background) in fills.items():
                    fmt = self.book.format(
                        font_color=font, bold=value == "critical", bg_color=background
                    )
                    self.ws.conditional_format(
                        1,
                        col,
                        last,
                        col,
                        {"type": "cell", "criteria": "==", "value": f'"{value}"', "format": fmt},
                    )
        print_setup(self.ws, self.rows - 1, end, header=True)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Column:
    """One column's values, ready to be written as `<c>` elements a slice at a time, as
    xlsxwriter writes them: numbers with the column's style, booleans, inline strings."""

    def __init__(self, series: Any, letter: str, xf: int | None):
        import pandas as pd

        self.letter = letter
        self.style = f' s="{xf}"' if xf is not None else ""
        self.numeric = pd.api.types.is_float_dtype(series) or pd.api.types.is_integer_dtype(series)
        if self.numeric:
            self.values = series.to_numpy()
        else:
            self.values = series.to_numpy(dtype=object)
        self.cache: dict[str, str] = {}  # text repeats (a row per mineral): escape it once

    def xml(self, start: int, stop: int, numbers: list[str]) -> list[str]:
        import numpy as np

        letter, style = self.letter, self.style
        chunk = self.values[start:stop]
        if self.numeric:
            finite = np.isfinite(chunk).tolist() if chunk.dtype.kind == "f" else None
            return [
                f'<c r="{letter}{r}"{style}><v>{v:.16G}</v></c>'  # xlsxwriter's number format
                if finite is None or finite[i]
                else ""
                for i, (r, v) in enumerate(zip(numbers, chunk.tolist(), strict=True))
            ]
        cache = self.cache
        out = []
        for r, value in zip(numbers, chunk.tolist(), strict=True):
            if type(value) is str:
                body = cache.get(value)
                if body is None:
                    body = cache[value] = _text_body(clean_cell(value))
                out.append(f'<c r="{letter}{r}" t="inlineStr">{body}</c>')
                continue
            value = clean_cell(value)
            if value is None:
                out.append("")
            elif isinstance(value, bool):
                out.append(f'<c r="{letter}{r}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float):
                out.append(f'<c r="{letter}{r}"{style}><v>{value:.16G}</v></c>')
            else:
                out.append(f'<c r="{letter}{r}" t="inlineStr">{_text_body(str(value))}</c>')
        return out


_EXCEL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")


def _text_body(text: str) -> str:
    """An inline string as xlsxwriter writes one: a literal "_x0041_" (which Excel would read
    as an escaped character) has its underscore escaped, and so have Unicode non-characters."""
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(r"_x005F\1", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<is><t{space}>{_escape(text)}</t></is>"


class _Worksheet(_worksheet_base()):  # type: ignore[misc]
    """xlsxwriter's worksheet, taking rows also as ready XML (`add_xml_rows`): they follow the
    rows written through its own API in sheetData."""

    def __init__(self) -> None:
        super().__init__()
        self._xml_rows: list[Iterable[str]] = []

    def add_xml_rows(self, rows: Iterable[str], last_row: int, last_col: int) -> None:
        self._xml_rows.append(rows)
        self._check_dimensions(last_row, last_col)  # the sheet's dimension covers them

    def _write_optimized_sheet_data(self) -> None:
        if not self._xml_rows:
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.row_data_fh.seek(0)
        shutil.copyfileobj(self.row_data_fh, self.fh)
        self.row_data_fh.close()
        os.unlink(self.row_data_filename)
        for rows in self._xml_rows:
            for chunk in rows:
                self.fh.write(chunk)
        self._xml_rows = []
        self._xml_end_tag("sheetData")


def print_setup(ws: Any, last_row: int, last_col: int, header: bool, one_page: bool = False):
    """Landscape, one page wide (and one tall with `one_page`), the header row on every page,
    the rows written as the print area, the sheet name and page number in the footer."""
    ws.set_landscape()
    ws.set_paper(9)  # A4; Letter users get the same fit-to-width scaling
    ws.fit_to_pages(1, 1 if one_page else 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.print_area(0, 0, max(last_row, 0), last_col)
    if header:
        ws.repeat_rows(0)
    ws.set_footer("&L&A&RPage &P of &N")
