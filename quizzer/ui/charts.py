"""The pictures of `quizzer stats`: a bar chart drawn by plotext, a calendar heatmap, and
rich's own horizontal bars.

plotext is imported inside the function that draws, so nothing else pays for it. Its chart is
built as plain text with ANSI colours and handed to rich, which drops the colours under
NO_COLOR or in a pipe; the shapes (bars, shades) say everything without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.bar import Bar
from rich.table import Table
from rich.text import Text

from quizzer.ui.text import format_percent

CHART_HEIGHT = 10  # rows of a bar chart, its axes and labels included
MAX_CHART_WIDTH = 80  # a wider chart says nothing more
MIN_CHART_WIDTH = 30  # below this a chart is unreadable: stats leaves it out
SHADES = "·░▒▓█"  # no reviews, then quarters of the busiest day
_WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")  # every other row labelled


def bar_chart(
    title: str,
    values: Sequence[float],
    ticks: Sequence[tuple[int, str]],
    width: int,
) -> Text:
    """Vertical bars of `values` (one per x position), `ticks` labelling some positions; the
    y axis runs from 0 to the largest value."""
    import plotext as plt

    highest = max(*values, 1)
    plt.clf()
    plt.plotsize(min(width, MAX_CHART_WIDTH), CHART_HEIGHT)
    plt.theme("clear")
    plt.bar(list(range(len(values))), list(values), width=0.5, color="cyan")
    plt.ylim(0, highest)
    plt.yticks(_round_ticks(highest))
    plt.xticks([x for x, _ in ticks], [label for _, label in ticks])
    plt.title(title)
    return Text.from_ansi(plt.build().rstrip("\n"))


def _round_ticks(top: float) -> list[float]:
    """Three or four whole-number y ticks from 0 to `top`."""
    step = max(1, round(top / 3))
    return [float(n) for n in range(0, int(top) + 1, step)]


def heatmap(title: str, days: Sequence[tuple[datetime, int]]) -> Table:
    """A calendar of reviews per day, a column per week, Monday on top, as GitHub and Anki
    draw it: the darker the shade, the busier the day."""
    busiest = max((count for _, count in days), default=0)
    table = Table(title=title, title_justify="left", box=None, show_header=False, padding=0)
    table.add_column(width=4)
    if not days:
        return table
    first = days[0][0].astimezone().date()
    offset = first.weekday()  # empty cells before the first day, in its week
    weeks = (offset + len(days) + 6) // 7
    for _ in range(weeks):
        table.add_column(width=2)
    cells: list[list[Text]] = [[Text("  ") for _ in range(weeks)] for _ in range(7)]
    for number, (_, count) in enumerate(days):
        place = offset + number
        cells[place % 7][place // 7] = _shade(count, busiest)
    for weekday, row in enumerate(cells):
        table.add_row(Text(_WEEKDAYS[weekday], style="dim"), *row)
    table.caption = Text.assemble(
        ("less ", "dim"), *(_shade_of(n) for n in range(5)), ("more", "dim")
    )
    table.caption_justify = "left"
    return table


def _shade(count: int, busiest: int) -> Text:
    if count <= 0 or busiest <= 0:
        return _shade_of(0)
    return _shade_of(min(4, 1 + (count * 4 - 1) // busiest))


def _shade_of(level: int) -> Text:
    styles = ("dim", "green", "green", "green bold", "bright_green bold")
    return Text(SHADES[level] + " ", style=styles[level])


def percent_bars(title: str, rows: Sequence[tuple[str, float | None, int]], width: int) -> Table:
    """One horizontal bar per row of (label, fraction or None, count): the fraction as a bar
    and a percentage, the count after it ("-" and no bar when there is nothing to measure)."""
    table = Table(title=title, title_justify="left", box=None, show_header=False, pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(justify="right", no_wrap=True, style="dim")
    label_width = max((len(label) for label, _, _ in rows), default=0)
    bar_width = max(10, min(MAX_CHART_WIDTH, width) - label_width - 20)
    for label, fraction, count in rows:
        bar = Bar(1.0, 0.0, fraction or 0.0, width=bar_width, color="cyan", bgcolor="grey23")
        table.add_row(label, bar, format_percent(fraction), f"{count}")
    return table
