"""`quizzer study` (spaced repetition in the terminal) and `quizzer stats`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quizzer import paths
from quizzer.commands.common import deck_option, echo_json, json_option, selected_decks
from quizzer.deck import cards_in_section

if TYPE_CHECKING:
    from quizzer.prompts import Prompts
    from quizzer.session import StudySummary


@click.command()
@deck_option
@click.option("--section", help="Only this section (a unique prefix will do).")
@click.option("--limit", type=click.IntRange(min=1),
              help="At most this many cards in this session [default: no limit].")  # fmt: skip
@click.option("--new", "new_per_day", type=click.IntRange(min=0), default=20, show_default=True,
              help="New cards a day; those first seen earlier today count.")  # fmt: skip
@click.option("--retention", type=click.FloatRange(0.7, 0.99),
              help="Desired retention: the chance of still knowing a card when it falls due; "
                   "kept for later sessions [default: the last one given, else 0.9].")  # fmt: skip
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as JSON on stdout (the cards go to stderr).")  # fmt: skip
def study(deck_path: Path | None, section: str | None, limit: int | None, new_per_day: int,
          retention: float | None, as_json: bool) -> None:  # fmt: skip
    """Study the cards that are due, then new ones (spaced repetition).

    Write cards are judged by running your code in the sandbox, predict cards
    by running their program. Enter alone always moves on (show the answer,
    accept the suggested grade); u undoes the last grade; q or Ctrl-C ends
    the session. Every grade is saved the moment it is given.
    """
    from quizzer.schedule import Scheduler, utc_now
    from quizzer.session import StudySession, desired_retention
    from quizzer.store import open_store
    from quizzer.ui import open_prompts

    cards = cards_in_section(selected_decks(deck_path), section)
    ui = open_prompts(to_stderr=as_json)
    start_sandbox(ui)
    with open_store(paths.database_path()) as store:
        scheduler = Scheduler(desired_retention(store, retention))
        session = StudySession(cards, store, scheduler, ui, limit=limit, new_per_day=new_per_day)
        summary = session.run()
    if as_json:
        echo_json(summary.to_dict())
        return
    for line in summary_lines(summary, utc_now()):
        click.echo(line)


@click.command()
@deck_option
@json_option
def stats(deck_path: Path | None, as_json: bool) -> None:
    """Show new, learning and review cards, what is due, and retention."""
    from quizzer.schedule import utc_now
    from quizzer.session import study_stats
    from quizzer.store import open_store

    cards = cards_in_section(selected_decks(deck_path), None)
    with open_store(paths.database_path()) as store:
        report = study_stats(cards, store, utc_now())
    if as_json:
        echo_json(report.to_dict())
        return
    from rich.table import Table

    from quizzer.ui import render

    total = report.total
    out = render.console()
    out.print(f"{total.cards} cards: {total.new} new, {total.learning} learning, "
              f"{total.review} in review. {report.review_rows} reviews in all.")  # fmt: skip
    out.print(f"Due today: {total.due}. True retention, last 30 days: "
              f"{_percent(total.retention)}.")  # fmt: skip
    days = "  ".join(f"{day.astimezone():%a} {due}" for day, due in report.forecast)
    out.print(f"Due in the next days: {days}")
    table = Table("section", "deck", "new", "learning", "review", "due today", "reviews",
                  "retention", box=None, header_style="bold")  # fmt: skip
    for deck, section, counts in report.sections:
        numbers = (counts.new, counts.learning, counts.review, counts.due, counts.reviews)
        table.add_row(section, deck, *map(str, numbers), _percent(counts.retention))
    out.print(table)


def start_sandbox(ui: Prompts) -> None:
    """Warn when programs run unsandboxed, and let the sandbox warm up while the user reads."""
    from quizzer import sandbox
    from quizzer.ui import render

    warning = render.isolation_warning(sandbox.isolation())
    if warning:
        render.error_console().print(warning, style="yellow", markup=False)
    sandbox.warm_up()  # the fork server starts in the background while the first card shows


def summary_lines(summary: StudySummary, now: datetime) -> list[str]:
    """The end-of-session summary, as lines of text."""
    lines = []
    if summary.reviewed or summary.stopped:
        lines.append(f"Reviewed {summary.reviewed} card{'s' * (summary.reviewed != 1)}, "
                     f"{summary.right} right, in {_duration(summary.seconds)}.")  # fmt: skip
        if summary.left:
            lines.append(f"{summary.left} left for later.")
    else:
        lines.append("Nothing to study now.")
    if summary.next_due is None:
        lines.append("No card is scheduled yet: new cards come at the next session.")
    else:
        lines.append(f"The next card is due {describe_due(summary.next_due, now)}.")
    return lines


def describe_due(due: datetime, now: datetime) -> str:
    """'now', or 'in 3h (Tue 14:05)'."""
    from quizzer.ui.text import format_interval

    if due <= now:
        return "now"
    local = due.astimezone()
    when = f"{local:%H:%M}" if due - now < timedelta(hours=20) else f"{local:%a %d %b %H:%M}"
    return f"in {format_interval(due - now)} ({when})"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest}s"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"
