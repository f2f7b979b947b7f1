"""`FastTable`: a rich `Table` that measures and renders its plain-text cells itself.

rich renders every cell through `Padding`, `Console.render_lines`, `Text.wrap`, `Text.render`
and two rounds of `Segment` cropping, and measures it through as many layers: ~100 µs a cell,
and the terminal report of a large BOM has a thousand cells. A cell that is a plain `Text` (one
style, no spans, printable characters) gets the same measurement and the same lines here from a
few string operations. Every other cell, and any table using a feature this class does not
reproduce (footers, row styles, lines between rows, top or bottom padding ...), is left to rich.

The output is byte-identical to `rich.table.Table`, colour on or off (tests/report/
test_fast_table.py renders both at many widths); only the segments differ: each run of unstyled
segments is one segment, which a console writes as the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from rich._wrap import divide_line
from rich.cells import cell_len, set_cell_size
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Row, Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.table import Column

_JUSTIFY = frozenset({"left", "right", "center"})
_OVERFLOW = frozenset({"fold", "crop", "ellipsis"})
_TRAILING_SPACE = re.compile(r"\s+$")  # as Text.rstrip_end finds it
_WORD = re.compile(r"\s*\S+\s*")  # as rich._wrap.words finds them


# Characters one cell wide: printable ASCII, and punctuation the reports use, as rich measures
# it (checked on first use). Text made only of these is as many cells wide as it is long.
_PUNCTUATION = "–—…·‘’“”•"
_one_cell: frozenset[str] = frozenset()


def _single_width(text: str) -> bool:
    """Whether every character of `text` is one cell wide (see _one_cell)."""
    global _one_cell
    if not _one_cell:
        ascii_printable = (chr(c) for c in range(0x20, 0x7F))
        _one_cell = frozenset([*ascii_printable, *(c for c in _PUNCTUATION if cell_len(c) == 1)])
    return _one_cell.issuperset(text)


def _width(text: str) -> int:
    """`cell_len`, without its lookups for text of one-cell characters."""
    return len(text) if _single_width(text) else cell_len(text)


def _joins(text: str) -> bool:
    """Whether `text` holds a zero-width joiner or an emoji selector, the characters whose
    width rich does not add up one by one."""
    return "\u200d" in text or "\ufe0f" in text


def _plain_str(value: Any) -> bool:
    """A str that Console.render_str turns into `Text(value)` as it is, markup or not, emoji or
    not: no "[" to start markup, not two ":" to hold an emoji code."""
    return type(value) is str and "[" not in value and value.count(":") < 2


class _Cell:
    """A cell's text, its measurement (Text.__rich_measure__), and whether `_lines` renders it:
    a plain Text with printable characters (and line breaks) and no per-cell settings. Without
    colour a Text's spans (styles only) change nothing written, and do not count."""

    __slots__ = ("fast", "low", "original", "plain", "style", "text", "tmax", "tmin")

    def __init__(self, original: Any, text: Text, colour: bool = True) -> None:
        self.original = original
        self.text = text
        plain = self.plain = text.plain
        self.style = text.style
        printable = plain.isprintable()  # then one line, and " " its only whitespace
        if printable:
            self.tmax = _width(plain)
        else:
            lines = plain.splitlines()
            self.tmax = max(map(_width, lines)) if lines else 0
        words = plain.split() if not printable or " " in plain else None
        if words:
            self.tmin = max(map(len if _single_width(plain) else _width, words))
        else:
            self.tmin = self.tmax
        self.low = min(self.tmin, self.tmax)
        self.fast = (
            (printable or plain.replace("\n", "").isprintable())
            and not (text.spans and colour)
            and text.end == "\n"
            and text.justify is None
            and text.overflow is None
            and text.no_wrap is None
            and not _joins(plain)
        )


def _measure(tmin: int, tmax: int, extra: int, width: int) -> tuple[int, int]:
    """`Measurement.get(console, options, Padding(text, ...))` for `options.max_width` `width`
    (at least 1), a text measuring (tmin, tmax) and `extra` cells of padding: its normalising
    and capping worked out, for lengths that are never negative."""
    if width - extra < 1:  # Padding.__rich_measure__ gives the cell the whole width
        return width, width
    return min(min(tmin, tmax) + extra, width), min(tmax + extra, width)


class FastTable(Table):
    """A `rich.table.Table` (same constructor and methods) that renders plain cells quickly."""

    _fast: list[list[_Cell]] | None = None

    def add_row(self, *renderables: Any, style: Any = None, end_section: bool = False) -> None:
        """`Table.add_row`; a row of str and Text cells, one per column, skips its checks."""
        columns = self.columns
        if style is not None or end_section or len(renderables) != len(columns):
            return super().add_row(*renderables, style=style, end_section=end_section)
        for renderable in renderables:
            if type(renderable) is not Text and type(renderable) is not str:
                return super().add_row(*renderables, style=style, end_section=end_section)
        for column, renderable in zip(columns, renderables, strict=True):
            column._cells.append(renderable)
        self.rows.append(Row())
        return None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self._fast = self._prepare(console, options)
        title, caption = self.title, self.caption
        # NOTE: a plain str title is the Text that Console.render_str would make of it, made
        # here without its emoji lookup (loading rich's emoji table costs ~3 ms).
        if _plain_str(title):
            self.title = Text(title, style=Style.pick_first(self.title_style, "table.title"))
        if _plain_str(caption):
            style = Style.pick_first(self.caption_style, "table.caption")
            self.caption = Text(caption, style=style)
        try:
            yield from super().__rich_console__(console, options)
        finally:
            self._fast = None
            self.title, self.caption = title, caption

    def _prepare(self, console: Console, options: ConsoleOptions) -> list[list[_Cell]] | None:
        """Each column's cells (header first) as `_Cell`s, or None when rich must render the
        whole table itself."""
        top, _, bottom, _ = self.padding
        if (
            top
            or bottom
            or self.show_footer
            or self.show_lines
            or self.leading
            or self.row_styles
            or self.collapse_padding
            or any(row.style is not None or row.end_section for row in self.rows)
        ):
            return None
        columns: list[list[_Cell]] = []
        render_str = console.render_str
        markup = options.markup
        colour = console.color_system is not None or console.record  # as in `_rows`
        for column in self.columns:
            if (
                column.highlight
                or column.vertical != "top"
                or column.justify not in _JUSTIFY
                or column.overflow not in _OVERFLOW
            ):
                return None
            cells = []
            for cell in (column.header, *column._cells) if self.show_header else column._cells:
                if type(cell) is Text:
                    text = cell
                elif _plain_str(cell):
                    text = Text(cell)  # what Console.render_str makes of it
                elif type(cell) is str:
                    # As Measurement.get and Console.render turn a str cell into Text.
                    text = render_str(cell, markup=markup, highlight=False)
                else:
                    return None
                cells.append(_Cell(cell, text, colour))
            columns.append(cells)
        return columns

    def _edges(self, index: int) -> tuple[int, int]:
        """Left and right padding of the cells of column `index` (as Table._get_cells pads)."""
        _, right, _, left = self.padding
        if not self.pad_edge:
            if index == 0:
                left = 0
            if index == len(self.columns) - 1:
                right = 0
        return left, right

    def _measure_column(
        self, console: Console, options: ConsoleOptions, column: Column
    ) -> Measurement:
        """`Table._measure_column`: the largest `Measurement.get` of its padded cells."""
        fast = self._fast
        width = options.max_width
        if fast is None or column.width is not None or width < 1:
            return super()._measure_column(console, options, column)
        cells = fast[column._index]
        left, right = self._edges(column._index)
        extra = left + right
        if cells:
            # Both bounds of `_measure` grow with the text's: the column's (the largest of its
            # cells') is the measure of the largest.
            low = max(c.low for c in cells)
            measurement = Measurement(*_measure(low, max(c.tmax for c in cells), extra, width))
        else:
            measurement = Measurement(1, width)
        padding_width = self._get_padding_width(column._index)
        return measurement.with_maximum(width).clamp(
            None if column.min_width is None else column.min_width + padding_width,
            None if column.max_width is None else column.max_width + padding_width,
        )

    def _render(
        self, console: Console, options: ConsoleOptions, widths: list[int]
    ) -> Iterable[Segment]:
        fast = self._fast
        edges = [self._edges(i) for i in range(len(self.columns))]
        if fast is None or any(
            w - left - right < 1 for w, (left, right) in zip(widths, edges, strict=True)
        ):
            yield from super()._render(console, options, widths)
            return
        yield from self._rows(console, options, widths, fast, edges)

    def _rows(
        self,
        console: Console,
        options: ConsoleOptions,
        widths: list[int],
        fast: list[list[_Cell]],
        edges: list[tuple[int, int]],
    ) -> Iterator[Segment]:
        """`Table._render` for the tables `_prepare` accepts, plain cells through `_lines`."""
        get_style = console.get_style
        styled = _Styles(console)
        # NOTE: without colour (not a terminal, NO_COLOR) and not recording, a console writes
        # every segment's text alone: styles can be left out, each line is one segment.
        colour = console.color_system is not None or console.record
        border_style = get_style(self.style or "") + get_style(self.border_style or "")
        box = self.box
        if box:
            safe = self.safe_box if self.safe_box is not None else console.safe_box
            box = box.substitute(options, safe=safe)
            if not self.show_header:
                box = box.get_plain_headed_box()
        show_header = self.show_header
        show_edge = self.show_edge
        columns = self.columns
        edge_pieces = []
        if box:
            edge_pieces = [
                [
                    _piece(Segment(part, border_style), colour)
                    for part in (getattr(box, f"{row}_left"), getattr(box, f"{row}_right"))
                ]
                + [getattr(box, f"{row}_vertical")]
                for row in ("head", "mid", "foot")
            ]
            if show_edge:
                top = Segment(box.get_top(widths), border_style)
                yield from _joined([_piece(top, colour), "\n"])
        plain_edges = all(type(p) is str for row in edge_pieces for p in row[:2])
        header_styles = [
            get_style(self.header_style or "") + get_style(column.header_style)
            for column in columns
        ]
        body_styles = [get_style(column.style or "") for column in columns]
        n_rows = len(fast[0]) if fast else 0
        for index in range(n_rows):
            first, last = index == 0, index == n_rows - 1
            header_row = first and show_header
            if header_row:
                row_style = Style.null()
                cell_styles = header_styles
            else:
                row_style = get_style(
                    self.get_row_style(console, index - 1 if show_header else index)
                )
                cell_styles = body_styles
            cells: list[list[list[str | Segment]]] = []
            styles = []
            plain_row = plain_edges  # every piece of the row's lines is unstyled text
            for col, (width, column) in enumerate(zip(widths, columns, strict=True)):
                cell = fast[col][index]
                style = cell_styles[col] + row_style if row_style else cell_styles[col]
                styles.append(style)
                plain_row = plain_row and cell.fast and not (colour and (style or cell.style))
                edge = edges[col]
                if cell.fast:
                    cells.append(_lines(console, cell, width, column, edge, style, styled, colour))
                else:
                    cells.append(
                        _text_lines(console, cell.text, width, column, edge, style, colour)
                    )
            height = max(len(lines) for lines in cells)
            for lines, width, style in zip(cells, widths, styles, strict=True):
                if len(lines) < height:
                    blank: list[list[str | Segment]] = [
                        [_piece(Segment(" " * width, style), colour)]
                    ]
                    # Table._render aligns the header row to the bottom, the others to the top.
                    blanks = blank * (height - len(lines))
                    lines[:] = blanks + lines if header_row else lines + blanks
            left_edge: list[str | Segment] = []
            right_edge: list[str | Segment] = ["\n"]
            divider: list[str | Segment] = []
            if box:
                left, right, divider_text = edge_pieces[0 if first else (2 if last else 1)]
                if show_edge:
                    left_edge, right_edge = [left], [right, "\n"]
                divider_style = (
                    border_style
                    if divider_text.strip()
                    else row_style.background_style + border_style
                )
                divider = [_piece(Segment(divider_text, divider_style), colour)]
            plain_row = plain_row and all(type(p) is str for p in divider)
            for line_no in range(height):
                pieces = left_edge.copy()
                for col, lines in enumerate(cells):
                    if col:
                        pieces += divider
                    pieces += lines[line_no]
                pieces += right_edge
                if plain_row:
                    yield Segment("".join(pieces))  # type: ignore[arg-type]
                else:
                    yield from _joined(pieces)
            if box and header_row:
                head = Segment(box.get_row(widths, "head", edge=show_edge), border_style)
                yield from _joined([_piece(head, colour), "\n"])
        if box and show_edge:
            bottom = Segment(box.get_bottom(widths), border_style)
            yield from _joined([_piece(bottom, colour), "\n"])


def _piece(segment: Segment, colour: bool = True) -> str | Segment:
    """A segment as `_rows` passes it on: its text when it is unstyled, or styles are not
    written (safe to join)."""
    text, style, control = segment
    return segment if (style and colour) or control or _joins(text) else text


def _joined(pieces: list[str | Segment]) -> Iterator[Segment]:
    """One line's segments from its pieces: each run of unstyled text as one segment."""
    run: list[str] = []
    for piece in pieces:
        if type(piece) is str:
            run.append(piece)
        else:
            if run:
                yield Segment("".join(run))
                run = []
            yield piece  # type: ignore[misc]
    if run:
        yield Segment("".join(run))


class _Styles:
    """The styles a table's plain cells need, each looked up once."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.pad = console.get_style("none")  # Padding's own style
        self.texts: dict[Any, Style] = {}

    def text(self, style: Any) -> Style:
        """The style Text.render gives a line whose base style is `style`."""
        found = self.texts.get(style)
        if found is None:
            found = self.texts[style] = self.console.get_style(style, default=Style.null())
        return found


def _lines(
    console: Console,
    cell: _Cell,
    width: int,
    column: Column,
    edges: tuple[int, int],
    style: Style,
    styles: _Styles,
    colour: bool = True,
) -> list[list[str | Segment]]:
    """The lines of a plain cell, as `console.render_lines(Padding(text, ...), ...)` renders
    them in `Table._render`: the text wrapped and justified inside the padding."""
    left, right = edges
    inner = width - left - right
    plain = cell.plain
    justify = column.justify
    if "\n" not in plain and len(plain) <= inner and (size := cell.tmax) <= inner:
        # One line that fits: Text.wrap only justifies it.
        if justify == "left":
            texts = [plain + " " * (inner - size)]
        else:
            stripped = plain.rstrip()
            if stripped != plain:
                size = _width(stripped)
            if justify == "right":
                texts = [" " * (inner - size) + stripped]
            else:
                before = (inner - size) // 2
                texts = [" " * before + stripped + " " * (inner - size - before)]
    else:
        texts = _wrap(plain, inner, justify, column.overflow, column.no_wrap)
    # Text.render styles the whole line, padding included, with the text's style.
    text_style = styles.text(cell.style) if cell.style and colour else None
    if (not style or not colour) and text_style is None:
        before_text, after_text = " " * left, " " * right
        return [[before_text + text + after_text] for text in texts]
    pad_style = styles.pad
    if style:  # Console.render_lines(..., style=) adds the cell's style to every segment
        text_style = style + text_style
        pad_style = style + pad_style
    before = [_piece(Segment(" " * left, pad_style))] if left else []
    after = [_piece(Segment(" " * right, pad_style))] if right else []
    return [[*before, _piece(Segment(text, text_style)), *after] for text in texts]


def _text_lines(
    console: Console,
    text: Text,
    width: int,
    column: Column,
    edges: tuple[int, int],
    style: Style,
    colour: bool = True,
) -> list[list[str | Segment]]:
    """The lines of any Text cell, as `console.render_lines(Padding(text, ...), ...)` renders
    them in `Table._render`: `Text.__rich_console__` (wrap, join, render), then the padding,
    without the layers of renderables in between."""
    left, right = edges
    inner = width - left - right
    tab_size = console.tab_size if text.tab_size is None else text.tab_size
    wrapped = text.wrap(
        console,
        inner,
        justify=text.justify or column.justify or "default",
        overflow=text.overflow or column.overflow or "fold",
        tab_size=tab_size or 8,
        no_wrap=column.no_wrap if text.no_wrap is None else text.no_wrap,
    )
    segments = Text("\n").join(wrapped).render(console, end=text.end)
    pad_style = console.get_style("none")  # Padding's own style
    lines = Segment.split_and_crop_lines(
        segments, inner, style=pad_style, pad=True, include_new_lines=False
    )
    before = [Segment(" " * left, pad_style)] if left else []
    after = [Segment(" " * right, pad_style)] if right else []
    if style and colour:  # Console.render_lines(..., style=) adds the cell's style to all
        return [
            [
                _piece(Segment(t, None if control else style + s, control))
                for t, s, control in [*before, *line, *after]
            ]
            for line in lines
        ]
    return [[_piece(s, colour) for s in [*before, *line, *after]] for line in lines]


def _wrap(plain: str, width: int, justify: str, overflow: str, no_wrap: bool) -> list[str]:
    """`Text(plain).wrap(console, width, justify=, overflow=, no_wrap=)` as the lines' strings,
    for a printable text without spans (`_Cell.fast`)."""
    ellipsis = overflow == "ellipsis"
    result = []
    for line in plain.split("\n"):  # Text.split("\n", allow_blank=True)
        if no_wrap:
            pieces = [line]
        else:
            offsets = _divide(line, width, overflow == "fold")
            bounds = [0, *offsets, len(line)]
            pieces = (
                [line[a:b] for a, b in zip(bounds, bounds[1:], strict=False)] if offsets else [line]
            )
            for i, piece in enumerate(pieces):  # Text.rstrip_end, which counts characters
                excess = len(piece) - width
                if excess > 0 and (match := _TRAILING_SPACE.search(piece)):
                    pieces[i] = piece[: -min(len(match.group(0)), excess)]
        if _single_width(line):  # as below, a character a cell
            result += [_justify_single(piece, width, justify, ellipsis) for piece in pieces]
            continue
        for piece in pieces:  # Lines.justify, then Text.truncate
            if justify == "left":
                piece = _truncate(piece, width, ellipsis, pad=True)
            else:
                piece = _truncate(piece.rstrip(), width, ellipsis)
                if justify == "right":
                    piece = " " * (width - _width(piece)) + piece
                else:
                    piece = " " * ((width - _width(piece)) // 2) + piece
                    piece += " " * (width - _width(piece))
            result.append(_truncate(piece, width, ellipsis))
    return result


def _justify_single(piece: str, width: int, justify: str, ellipsis: bool) -> str:
    """Lines.justify and Text.truncate on one line of one-cell characters."""
    if justify != "left":
        piece = piece.rstrip()
    size = len(piece)
    if size > width:
        piece = piece[: width - 1] + "…" if ellipsis else piece[:width]
        size = width
    if justify == "left":
        return piece + " " * (width - size)
    if justify == "right":
        return " " * (width - size) + piece
    before = (width - size) // 2
    return " " * before + piece + " " * (width - size - before)


def _divide(text: str, width: int, fold: bool) -> list[int]:
    """`rich._wrap.divide_line`: the offsets where wrapping `text` at `width` breaks it; for
    text of one-cell characters without its per-word cell-width lookups."""
    if not _single_width(text):
        return divide_line(text, width, fold=fold)
    if len(text) <= width:
        return []
    breaks: list[int] = []
    offset = position = 0
    for word in _WORD.findall(text):  # the words tile the text: each starts where one ends
        size = len(word)
        length = len(word.rstrip())
        if width - offset >= length:  # fits on this line
            offset += size
        elif length > width:  # fits on no line: folded, or cropped
            start = position
            if fold:
                pieces = [word[i : i + width] for i in range(0, size, width)]
                for piece in pieces[:-1]:
                    if start:
                        breaks.append(start)
                    start += len(piece)
                if start:
                    breaks.append(start)
                offset = len(pieces[-1])
            else:
                if start:
                    breaks.append(start)
                offset = size
        elif offset and position:  # on the next line
            breaks.append(position)
            offset = size
        position += size
    return breaks


def _truncate(text: str, width: int, ellipsis: bool, pad: bool = False) -> str:
    """`Text.truncate` on a string."""
    length = _width(text)
    if length > width:
        text = set_cell_size(text, width - 1) + "…" if ellipsis else set_cell_size(text, width)
    if pad and length < width:
        text += " " * (width - length)
    return text
