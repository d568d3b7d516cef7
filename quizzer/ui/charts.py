"""The pictures of `quizzer stats`: bar charts drawn by plotext, and a calendar heatmap.

plotext is imported inside the functions that draw, so nothing else pays for it. A chart is
built as plain text with ANSI colours and handed to rich, which drops the colours under
NO_COLOR or in a pipe; the shapes (bars, shades) say everything without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text

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
    *,
    top: float | None = None,
) -> Text:
    """Vertical bars of `values` (one per x position), `ticks` labelling some positions; the
    y axis runs from 0 to `top` (default: the largest value)."""
    import plotext as plt

    highest = top if top is not None else max(values, default=0)
    highest = max(highest, 1)
    plt.clf()
    plt.plotsize(min(width, MAX_CHART_WIDTH), CHART_HEIGHT)
    plt.theme("clear")
    plt.bar(list(range(len(values))), list(values), width=0.5, color="cyan")
    plt.ylim(0, highest)
    plt.yticks(_round_ticks(highest) if top is None else [0, top / 2, top])
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
