"""Rich renderings of cards, runs, check results and stats, shared by the commands.

Deck text, paths and program output are never read as rich markup: they go in as Text, so a
section called "Queues [advanced]" shows as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import COLOR_SYSTEMS, Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.panel import Panel
from rich.rule import Rule
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from quizzer.model import Card, Run, Verdict
from quizzer.ui.text import fit_hint, format_percent, visible

if TYPE_CHECKING:
    from quizzer.stats import Stats
    from quizzer.verify import Check

_TITLE_FRAME = 6  # columns a panel's top border takes around its title: "╭─ " and " ─╮"
_RULE_FRAME = 4  # columns a rule needs beside its title
CARD_WIDTH = 100  # columns: a card wider than this is hard to read on a wide terminal
HANGING = 2  # extra indent of the continuation of a wrapped code line
WIDE_STATS = 72  # columns from which the stats table has room for the count of reviews
MIN_NAME_WIDTH = 14  # columns a section name keeps in the stats table

_console: Console | None = None
_error_console: Console | None = None


class VisibleConsole(Console):
    """A rich Console that shows control characters in what it prints as escapes (`visible`).

    Deck text, file names and program output all go through it, whichever renderable holds
    them; rich's own styles and cursor moves (control segments) are kept as they are.
    """

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(visible(segment.text), segment.style)
            for segment in buffer
        )


def console() -> Console:
    """The console for results (stdout); rich honours NO_COLOR and pipes by itself."""
    global _console
    if _console is None:
        _console = VisibleConsole(highlight=False)
    return _console


def error_console() -> Console:
    """The console for progress and warnings (stderr), so stdout stays clean for pipes."""
    global _error_console
    if _error_console is None:
        _error_console = VisibleConsole(stderr=True, highlight=False)
    return _error_console


def card_width(out: Console) -> int:
    """The width of a card panel: the terminal's, up to a readable measure."""
    return min(out.width, CARD_WIDTH)


def code(text: str, *, language: str = "python") -> Code:
    """Code highlighted for the terminal (control characters shown as escapes)."""
    return Code(visible(text.strip("\n")), language)


class Code:
    """Highlighted code whose long lines wrap under their own indent, not at column 0."""

    def __init__(self, text: str, language: str) -> None:
        self.text = text
        self.syntax = Syntax(text, language, theme="ansi_dark", background_color="default")

    def __rich_console__(self, out: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        highlighted = self.syntax.highlight(self.text)
        highlighted.rstrip()
        for line in highlighted.split("\n"):
            plain = line.plain
            indent = len(plain) - len(plain.lstrip(" "))
            if line.cell_len <= width or indent >= width // 2:
                yield from line.wrap(out, width) if line.cell_len > width else [line]
                continue
            # A continuation goes two columns further in, so it does not pass for a line.
            body = line[indent:]
            pieces = body.wrap(out, width - indent - HANGING, overflow="fold")
            for number, piece in enumerate(pieces):
                piece.rstrip()
                yield Text(" " * (indent + HANGING * (number > 0))) + piece

    def __rich_measure__(self, out: Console, options: ConsoleOptions) -> Measurement:
        widest = max((cell_len(line) for line in self.text.splitlines()), default=0)
        return Measurement(min(widest, 20), widest).with_maximum(options.max_width)


def card_panel(card: Card, *, answer: bool = True) -> CardPanel:
    """A card with its front, and (when `answer`) its back, program, output and note.

    Print it with `width=card_width(console)`, so a wide terminal does not stretch it."""
    parts: list[RenderableType] = [Text(card.front, style="bold")]
    if answer:
        parts += [Text("\nAnswer", style="green bold"), code(card.back)]
        if card.program:
            parts += [Text("\nProgram", style="cyan bold"), code(card.program)]
        if card.output is not None:
            parts += [Text("\nPrints", style="cyan bold"), Text(card.output)]
        if card.note:
            parts += [Text("\nNote", style="yellow bold"), Text(card.note)]
        if card.source and card.source.strip() != card.back.strip():
            parts += [Text("\nThe sheet writes", style="dim bold"), code(card.source)]
    return CardPanel(card, parts)


def card_status(status: Mapping[str, Any], now: datetime) -> Group:
    """A card's state, schedule and memory, and its review history, under its panel."""
    from quizzer.ui.text import format_interval

    parts: list[RenderableType] = []
    if status.get("overridden"):
        parts.append(
            Text("Overridden: your edited copy of this built-in card is used in its place.")
        )
    line = Text("State: ", style="bold").append(str(status["state"]), style="cyan")
    due = status.get("due")
    if isinstance(due, str):
        when = datetime.fromisoformat(due)
        told = "now" if when <= now else f"in {format_interval(when - now)}"
        line.append(f" · due {told} ({when.astimezone():%Y-%m-%d %H:%M})")
    for key, label in (("stability", "stability"), ("difficulty", "difficulty")):
        value = status.get(key)
        if isinstance(value, float):
            line.append(f" · {label} {value:.2f}")
    retrievability = status.get("retrievability")
    if isinstance(retrievability, float):
        line.append(f" · retrievability now {format_percent(retrievability)}")
    parts.append(line)
    reviews = status.get("reviews")
    if not isinstance(reviews, list) or not reviews:
        parts.append(Text("No reviews yet.", style="dim"))
        return Group(*parts)
    table = Table("date", "grade", "interval", "time", "", box=None, header_style="bold")
    for review in reviews:
        date = datetime.fromisoformat(review["date"]).astimezone()
        days = review["interval_days"]
        interval = format_interval(timedelta(days=days)) if days is not None else "-"
        seconds = review["seconds"]
        took = f"{seconds:.0f}s" if seconds is not None else "-"
        notes = [review["source"]] + (["before a reset"] if review["before_reset"] else [])
        table.add_row(f"{date:%Y-%m-%d %H:%M}", review["grade"], interval, took, ", ".join(notes))
    parts += [Text("\nReviews", style="bold"), table]
    return Group(*parts)


def card_title(card: Card) -> Text:
    """'deck · section · id', as plain text."""
    return Text(f"{card.deck} · {card.section} · {card.id}")


class CardPanel:
    """A card's panel: `parts` framed, titled 'deck · section · id' and subtitled its kind.

    A title the top border cannot hold whole goes inside the panel, wrapped, instead of being
    cut (rich crops it), so the card id always shows.
    """

    def __init__(self, card: Card, parts: Sequence[RenderableType], **panel: Any) -> None:
        self.card = card
        self.parts = list(parts)
        self.panel = panel

    def __rich_console__(self, out: Console, options: ConsoleOptions) -> RenderResult:
        title = card_title(self.card)
        fits = title.cell_len + _TITLE_FRAME <= options.max_width
        parts = self.parts if fits else [Text(title.plain, style="dim"), *self.parts]
        yield Panel(
            Group(*parts),
            title=title if fits else None,
            subtitle=Text(str(self.card.kind)),
            title_align="left",
            **self.panel,
        )


def progress_rule(text: str) -> RenderableType:
    """`text` on a rule, or, where the width cannot hold it whole, as dim wrapped text."""
    return _ProgressRule(text)


class _ProgressRule:
    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, out: Console, options: ConsoleOptions) -> RenderResult:
        if cell_len(self.text) + _RULE_FRAME <= options.max_width:
            yield Rule(Text(self.text, style="dim"), align="left", style="dim")
        else:
            yield Text(self.text, style="dim")


def card_rows(cards: Sequence[Card], out: Console) -> str:
    """The cards as aligned text columns (id, kind, section, front), one line each.

    Built line by line rather than as a rich Table, whose layout measures every cell: a
    10,000-card deck lists in a fraction of a second. On a terminal each line is cut to its width.
    """
    rows = [("id", "kind", "section", "front")]
    # A front of several lines is listed on one.
    rows += [
        (card.id, str(card.kind), card.section, " ".join(card.front.split())) for card in cards
    ]
    widths = [max(len(row[column]) for row in rows) + 2 for column in range(3)]
    starts = [0, widths[0], widths[0] + widths[1], sum(widths)]
    color = COLOR_SYSTEMS.get(out.color_system or "") if out.is_terminal else None
    bold, cyan, dim, plain = (Style.parse(name) for name in ("bold", "cyan", "dim", "none"))
    column_styles = (bold, plain if out.no_color else cyan, dim, plain)  # NO_COLOR keeps bold, dim

    def line(row: tuple[str, ...], styles: Sequence[Style]) -> str:
        text = "".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        text += row[3]
        if out.is_terminal and len(text) > out.width:
            text = text[: out.width - 1] + "…"
        if not color:
            return text
        ends = [*starts[1:], len(text)]
        return "".join(
            style.render(text[start:end], color_system=color)
            for style, start, end in zip(styles, starts, ends, strict=True)
        )

    lines = [line(rows[0], (bold,) * 4)] + [line(row, column_styles) for row in rows[1:]]
    return "\n".join(lines)


def sections_table(rows: Sequence[tuple[str, str, int]]) -> Table:
    """(deck, section, card count) rows as a table."""
    table = Table("section", "cards", "deck", box=None, header_style="bold")
    for deck, name, count in rows:
        table.add_row(Text(name), str(count), Text(deck))
    return table


def stats_report(report: Stats, width: int) -> Group:
    """What `quizzer stats` prints: the totals, the days ahead, a table of sections, and the
    charts (the forecast, reviews per day, true retention by week), all within `width`."""
    from quizzer.ui import charts

    total = report.total
    days = [f"{day.astimezone():%a} {due}" for day, due in report.forecast]
    parts: list[RenderableType] = [
        Text(
            f"{total.cards} cards: {total.new} new, {total.learning} learning, "
            f"{total.review} in review. {report.review_rows} "
            f"review{'s' * (report.review_rows != 1)} in all."
        ),
        Text(
            f"Due now: {total.due} ({total.due_review} review, {total.due_learning} learning);"
            f" later today: {total.learning_later} learning."
        ),
        Text(f"True retention, last 30 days: {format_percent(total.retention)}."),
        # A day and its count stay on one line.
        Text("\n".join(fit_hint(["Due in the next days:", *days], width, separator="  "))),
        Text(""),
        _sections_table(report, width),
    ]
    if width < charts.MIN_CHART_WIDTH:
        return Group(*parts)
    due = [count for _, count in report.due_by_day]
    if any(due):
        ticks = [(0, "today"), *((n, f"+{n}d") for n in range(7, len(due), 7))]
        parts += [Text(""), charts.bar_chart("Reviews due, the next 30 days", due, ticks, width)]
    if any(count for _, count in report.reviews_by_day):
        parts += [Text(""), charts.heatmap("Reviews per day", report.reviews_by_day, width)]
    weeks = report.retention_by_week
    if any(week.reviews for week in weeks):
        rows = [(f"{w.start.astimezone():%d %b}", w.retention, w.reviews) for w in weeks]
        title = "True retention by week (reviews of cards in review)"
        parts += [Text(""), charts.percent_bars(title, rows, width)]
    return Group(*parts)


def _sections_table(report: Stats, width: int) -> Table:
    # The deck column only says something when there is more than one deck; the count of
    # reviews gives way on a narrow terminal, so that section names keep room to be read.
    several_decks = len({deck for deck, _, _ in report.sections}) > 1
    headers = ["new", "learning", "review", "due", "later", "reviews", "retention"]
    if width < WIDE_STATS:
        headers.remove("reviews")
    # Below that, the columns the lines above the table also give way, least needed first,
    # so that the section column keeps room for its header and its names.
    decks = max((len(deck) + 1 for deck, _, _ in report.sections), default=0)
    names = MIN_NAME_WIDTH + (decks if several_decks else 0)
    for header in ("later", "learning", "review"):
        if width - sum(len(h) + 1 for h in headers) >= names:
            break
        headers.remove(header)
    # Numbers never wrap nor shrink their headers; a long section name wraps instead.
    table = Table(box=None, header_style="bold", pad_edge=False, collapse_padding=True)
    table.add_column("section", overflow="fold")
    if several_decks:
        table.add_column("deck", overflow="fold")
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    for deck, section, counts in report.sections:
        cells = {
            "new": counts.new,
            "learning": counts.learning,
            "review": counts.review,
            "due": counts.due,
            "later": counts.learning_later,
            "reviews": counts.reviews,
            "retention": format_percent(counts.retention),
        }
        table.add_row(
            Text(section),
            *([Text(deck)] if several_decks else []),
            *(str(cells[header]) for header in headers),
        )
    return table


def verdict_text(verdict: Verdict | None) -> Text:
    if verdict is None:
        return Text("-", style="dim")
    return Text(str(verdict), style="green" if verdict == Verdict.OK else "red bold")


def run_report(run: Run) -> Group:
    """What a program printed, then its verdict, exit code and time."""
    parts: list[RenderableType] = []
    if run.stdout:
        parts.append(Text(visible(run.stdout.rstrip("\n"))))
    if run.stderr:
        parts.append(Text(visible(run.stderr.rstrip("\n")), style="red"))
    parts.append(run_summary(run))
    return Group(*parts)


def run_summary(run: Run) -> Text:
    """A run's verdict, exit code and time, in one line."""
    return Text.assemble(
        ("verdict ", "dim"),
        verdict_text(run.verdict),
        (f"  exit {run.exit_code}  {run.seconds:.2f}s", "dim"),
        (" (output truncated)" if run.truncated else "", "yellow"),
    )


def failures_table(checks: Sequence[Check]) -> Table:
    """The failed checks, each with why, or the diff of its output."""
    table = Table("card", "section", "verdict", "detail", box=None, header_style="bold")
    for check in checks:
        detail = code(check.detail, language="diff")
        table.add_row(
            Text(check.card.id), Text(check.card.section), verdict_text(check.verdict), detail
        )
    return table


def isolation_warning(isolation: str) -> str | None:
    """A one-line warning when programs run without a namespace sandbox, else None."""
    if isolation.startswith("none"):
        return f"warning: card programs are not sandboxed ({isolation.removeprefix('none: ')})"
    return None
