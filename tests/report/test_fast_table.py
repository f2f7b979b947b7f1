"""`FastTable` renders exactly what `rich.table.Table` renders: the same text, and with colour
on the same escape codes, at every width, for every kind of cell the terminal report uses and
for the cells it hands back to rich."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

import exposure_audit.report.table as terminal
from exposure_audit.report.fast_table import FastTable, _measure

from report_helpers import HEADER, HOSTILE_ROWS
from support import toy_audit, write_csv

WIDTHS = (1, 2, 5, 9, 14, 20, 31, 40, 57, 80, 100, 131, 160)


def render(renderable, width: int, color: bool) -> str:
    buffer = io.StringIO()
    Console(
        file=buffer,
        width=width,
        color_system="truecolor" if color else None,
        force_terminal=color,
        highlight=False,
        legacy_windows=False,
    ).print(renderable)
    return buffer.getvalue()


def both(build, widths=WIDTHS) -> None:
    """`build(cls)` builds a table with `cls`; FastTable's output must equal Table's."""
    for width in widths:
        for color in (False, True):
            expected = render(build(Table), width, color)
            assert render(build(FastTable), width, color) == expected, (width, color)


WORDS = st.sampled_from(
    [
        "",
        " ",
        "a",
        "word",
        "two words",
        "  padded  ",
        "trailing   ",
        "Neodymium",
        "export-control-active:antimony",
        "–",
        "100%",
        "…",
        "1.17e+06 kg",
        "line\nbreak",
        "\n",
        "tab\there",
        "wide 全角文字",
        "e\u0301",  # a combining accent: two characters, one cell
        "👩\u200d🔬",  # a zero-width joiner sequence
        "❤\ufe0f",
        "[bold]markup[/bold]",
        ":smile:",
        "bell\x07",
        "supercalifragilisticexpialidocious",
    ]
)
TITLES = [None, "Findings (3)", "Minerals: by stake", "two :smile: codes :x:", "[bold]Title[/]", ""]
STYLES = st.sampled_from(["", "bold", "red", "bold white on red", "dim", "none", "cyan"])


@st.composite
def cells(draw):
    kind = draw(st.sampled_from(["str", "text", "styled", "spans", "none"]))
    words = " ".join(draw(st.lists(WORDS, min_size=0, max_size=5)))
    if kind == "str":
        return words
    if kind == "none":
        return None
    if kind == "spans":
        text = Text()
        for part in draw(st.lists(st.tuples(WORDS, STYLES), min_size=1, max_size=3)):
            text.append(*part)
        return text
    return Text(words, style=draw(STYLES) if kind == "styled" else "")


@st.composite
def tables(draw):
    columns = [
        {
            "header": draw(st.sampled_from(["", "mineral", "China\ntouch", "export\ncontrols"])),
            "justify": draw(st.sampled_from(["left", "right", "center"])),
            "overflow": draw(st.sampled_from(["fold", "ellipsis", "crop"])),
            "no_wrap": draw(st.booleans()),
            "max_width": draw(st.sampled_from([None, None, 4, 12, 40])),
            "min_width": draw(st.sampled_from([None, None, 3, 10])),
        }
        for _ in range(draw(st.integers(1, 5)))
    ]
    options = {
        "box": draw(st.sampled_from([box.SIMPLE_HEAD, box.ROUNDED, box.ASCII, None])),
        "pad_edge": draw(st.booleans()),
        "show_header": draw(st.booleans()),
        "show_edge": draw(st.booleans()),
        "title": draw(st.sampled_from(TITLES)),
        "caption": draw(st.sampled_from(TITLES)),
        "title_style": draw(st.sampled_from([None, "bold"])),
        "border_style": draw(st.sampled_from([None, "blue"])),
        "header_style": draw(st.sampled_from(["table.header", "bold red"])),
    }
    rows = draw(
        st.lists(
            st.lists(cells(), min_size=len(columns), max_size=len(columns)), min_size=0, max_size=6
        )
    )

    def build(cls):
        table = cls(**options)
        for column in columns:
            table.add_column(column["header"], **{k: v for k, v in column.items() if k != "header"})
        for row in rows:
            table.add_row(*row)
        return table

    return build


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from(WIDTHS))
def test_fast_table_renders_like_rich(build, width):
    both(build, widths=(width,))


def test_features_it_does_not_reproduce_go_to_rich():
    def build(cls):
        table = cls(show_lines=True, row_styles=["", "dim"], show_footer=True, padding=(1, 2))
        table.add_column("a", footer="sum")
        table.add_column("b", style="cyan", vertical="middle")
        table.add_row("one", Text("two\nlines", style="bold"))
        table.add_row("three", "four", end_section=True)
        table.add_row(Group("x", "y"), "5")  # a renderable that is not text
        return table

    both(build)


def test_measurement_matches_padding_and_text():
    """`_measure` is Measurement.get(Padding(text)) reduced to integers."""
    from rich.measure import Measurement
    from rich.padding import Padding

    console = Console(width=200)
    plains = ("", " ", "a", "abc", "ab cdefgh", "abcdefgh ij", "a b c d", "x" * 13, "ab\ncd")
    for plain in plains:
        text = Text(plain)
        tmin, tmax = text.__rich_measure__(console, console.options)
        for extra in (0, 1, 2, 3):
            for width in range(1, 16):
                options = console.options.update_width(width)
                expected = Measurement.get(console, options, Padding(text, (0, extra, 0, 0)))
                assert _measure(tmin, tmax, extra, width) == tuple(expected), (plain, extra, width)


@pytest.fixture(scope="module")
def hostile_result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fast-table")
    return toy_audit(write_csv(folder / "bom.csv", HEADER, *HOSTILE_ROWS))


@pytest.mark.parametrize("color", [False, True])
def test_terminal_report_is_the_same_as_with_rich_tables(monkeypatch, hostile_result, color):
    for width in (20, 40, 60, 79, 80, 100, 120, 160, 200):
        fast = terminal.render_text(hostile_result, width, color)
        monkeypatch.setattr(terminal, "Table", Table)
        slow = terminal.render_text(hostile_result, width, color)
        monkeypatch.setattr(terminal, "Table", FastTable)
        assert fast == slow, width


def test_recorded_styles_are_kept():
    """Without colour the table leaves styles out of its segments, unless the console records
    them for export."""

    def build(cls):
        table = cls(title="Findings")
        table.add_column("severity")
        table.add_column("message", overflow="fold")
        table.add_row(Text("high", style="bold red"), "a message that is long enough to wrap")
        table.add_row(Text("low", style="cyan"), Text("x", style="dim"))
        return table

    def exported(cls) -> str:
        console = Console(file=io.StringIO(), width=30, record=True, color_system=None)
        console.print(build(cls))
        return console.export_html(inline_styles=True)

    assert exported(FastTable) == exported(Table)
    assert "font-weight: bold" in exported(FastTable)
