"""`quizzer study` (spaced repetition in the terminal) and `quizzer stats`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quizzer import paths
from quizzer.commands.common import (
    FiniteFloatRange,
    complete_section,
    deck_option,
    echo_json,
    json_option,
    selected_decks,
    start_sandbox,
    tag_options,
    without_held,
)
from quizzer.deck import cards_in_section, filter_tags
from quizzer.schedule import RETENTION_RANGE
from quizzer.settings import DEFAULT_LEARN_AHEAD_MINUTES, LEARN_AHEAD_RANGE

if TYPE_CHECKING:
    from quizzer.study import StudySummary


@click.command()
@deck_option
@click.option(
    "--section",
    shell_complete=complete_section,
    help="Only this section (a unique prefix will do).",
)
@tag_options
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="At most this many cards in this session; it counts cards, not reviews (a card "
    "graded Again that comes back counts once) [default: no limit].",
)
@click.option(
    "--new",
    "new_per_day",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="New cards a day (days start at 4 am); those seen earlier count.",
)
@click.option(
    "--retention",
    type=FiniteFloatRange(*RETENTION_RANGE),
    help="Desired retention: the chance of still knowing a card when it falls due; "
    "kept for later sessions [default: the last one given, else 0.9].",
)
@click.option(
    "--learn-ahead",
    "learn_ahead_minutes",
    type=click.IntRange(*LEARN_AHEAD_RANGE),
    metavar="MINUTES",
    help="When nothing else is left, show a learning card due within this many minutes "
    "rather than ending; kept for later sessions "
    f"[default: the last one given, else {DEFAULT_LEARN_AHEAD_MINUTES}].",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the summary as JSON on stdout (the cards go to stderr).",
)
def study(
    deck_path: Path | None,
    section: str | None,
    tags: tuple[str, ...],
    skip_tags: tuple[str, ...],
    limit: int | None,
    new_per_day: int,
    retention: float | None,
    learn_ahead_minutes: int | None,
    as_json: bool,
) -> None:
    """Study the cards that are due, then new ones (spaced repetition).

    Write cards are judged by running your code in the sandbox, predict cards
    by running their program. As in Anki, a card graded Again comes back in
    the session, which ends when nothing is due within the learn-ahead limit.
    Keys: Space or Enter shows the answer; 1-4 grade at once; Enter takes the
    suggested grade; u undoes the last grade; q or Ctrl-C ends the session.
    Every grade is saved the moment it is given. Suspended and buried cards
    are left out.
    """
    from quizzer.schedule import Scheduler, utc_now
    from quizzer.settings import desired_retention, learn_ahead
    from quizzer.store import open_store
    from quizzer.study import StudySession
    from quizzer.ui import open_prompts

    cards = filter_tags(cards_in_section(selected_decks(deck_path), section), tags, skip_tags)
    ui = open_prompts(to_stderr=as_json)
    start_sandbox()
    with open_store(paths.database_path()) as store:
        cards = without_held(cards, store, utc_now())  # suspended and buried cards sit out
        scheduler = Scheduler(desired_retention(store, retention))
        session = StudySession(
            cards,
            store,
            scheduler,
            ui,
            limit=limit,
            new_per_day=new_per_day,
            learn_ahead=learn_ahead(store, learn_ahead_minutes),
        )
        summary = session.run()
    if as_json:
        echo_json(summary.to_dict())
    else:
        for line in summary_lines(summary, utc_now()):
            click.echo(line)
    if summary.error is not None:  # a grade was not saved: not a session a script can trust
        raise SystemExit(1)


@click.command()
@deck_option
@json_option
def stats(deck_path: Path | None, as_json: bool) -> None:
    """Show new, learning and review cards, what is due, and retention."""
    from quizzer.schedule import utc_now
    from quizzer.stats import study_stats
    from quizzer.store import open_store

    cards = cards_in_section(selected_decks(deck_path), None)
    with open_store(paths.database_path()) as store:
        report = study_stats(cards, store, utc_now())
    if as_json:
        echo_json(report.to_dict())
        return
    from quizzer.ui import render

    out = render.console()
    out.print(render.stats_report(report, out.width))


def summary_lines(summary: StudySummary, now: datetime) -> list[str]:
    """The end-of-session summary, as lines of text."""
    from quizzer.ui.text import format_duration

    lines = []
    if summary.reviewed or summary.stopped:
        # --limit counts cards; a card that came back is one card of several reviews.
        reviews = f" {summary.reviewed} reviews," if summary.reviewed != summary.cards else ""
        lines.append(
            f"Reviewed {summary.cards} card{'s' * (summary.cards != 1)},{reviews} "
            f"{summary.right} right, in {format_duration(summary.seconds)}."
        )
        if summary.left:
            lines.append(f"{summary.left} left for later.")
    else:
        lines.append("Nothing to study now.")
    if summary.next_due is None:
        lines.append("No card is scheduled yet: new ones come next session.")
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
