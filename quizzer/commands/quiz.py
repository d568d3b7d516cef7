"""`quizzer test [SECTION]...`: a scored quiz over sections, or the whole deck."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from quizzer import paths
from quizzer.commands.common import (
    all_cards,
    complete_section,
    deck_option,
    echo_json,
    selected_decks,
    start_sandbox,
    tag_options,
    without_held,
)
from quizzer.deck import cards_in_sections, filter_tags
from quizzer.errors import QuizzerError

if TYPE_CHECKING:
    from quizzer.model import Card
    from quizzer.quiz import TestResult


@click.command("test")
@click.argument("sections", nargs=-1, metavar="[SECTION]...", shell_complete=complete_section)
@deck_option
@tag_options
@click.option(
    "--count",
    type=click.IntRange(min=1),
    help="Ask only this many of the cards [default: all].",
)
@click.option(
    "--shuffle/--no-shuffle",
    default=True,
    show_default=True,
    help="Ask the cards in random order, or in deck order.",
)
@click.option(
    "--record",
    is_flag=True,
    help="Count each answer as a review in your study schedule "
    "(Good when right, Again when wrong).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the score as JSON on stdout (the questions go to stderr).",
)
def test(
    sections: tuple[str, ...],
    deck_path: Path | None,
    tags: tuple[str, ...],
    skip_tags: tuple[str, ...],
    count: int | None,
    shuffle: bool,
    record: bool,
    as_json: bool,
) -> None:
    """Take a scored test over the SECTIONs named, or over the whole deck.

    A section is named in full or by a unique prefix.
    Every card once (or --count of them): write cards are judged by running
    your code, predict cards against what the program prints, recall cards
    are multiple choice (or self-graded). Suspended and buried cards sit out.
    Enter alone always moves on; q or Ctrl-C stops with the partial score.
    Your study schedule is untouched unless --record is given.
    """
    import random
    from contextlib import ExitStack

    from quizzer.quiz import Recorder, run_test
    from quizzer.schedule import Scheduler, utc_now
    from quizzer.settings import desired_retention
    from quizzer.store import open_store
    from quizzer.ui import open_prompts

    decks = selected_decks(deck_path)
    cards = filter_tags(cards_in_sections(decks, sections), tags, skip_tags)
    with ExitStack() as stack:
        database = paths.database_path()
        # Without --record a test writes nothing: no database is made just to read holds.
        store = stack.enter_context(open_store(database)) if record or database.exists() else None
        if store is not None:
            cards = without_held(cards, store, utc_now())  # suspended and buried cards sit out
        if not cards:
            raise QuizzerError(
                "no card to test: none is left by the sections and tags given, "
                "or they are suspended or buried"
            )
        rng = random.Random()
        if shuffle:
            rng.shuffle(cards)
        cards = cards[:count]
        ui = open_prompts(to_stderr=as_json)
        start_sandbox()
        recorder = None
        if store is not None and record:
            recorder = Recorder(store, Scheduler(desired_retention(store)), cards)
        result = run_test(
            cards, all_cards(decks), ui, section=_title(cards), rng=rng, recorder=recorder
        )
    if as_json:
        echo_json(result.to_dict())
        return
    for line in result_lines(result):
        click.echo(line)


def _title(cards: list[Card]) -> str:
    """What the test was over: its one section, or its sections, joined."""
    return ", ".join(dict.fromkeys(card.section for card in cards))


def result_lines(result: TestResult) -> list[str]:
    """The score, the time, and each missed card with its right answer."""
    from quizzer.ui.text import format_duration

    answered = len(result.answers)
    took = format_duration(result.seconds)
    lines = [f"Score: {result.right}/{answered} ({result.percent:.0f}%) in {took}."]
    if result.stopped:
        lines.append(f"Stopped after {answered} of {result.total} cards.")
    if result.missed:
        lines.append("Missed:")
        for answer in result.missed:
            lines.append(f"  {answer.card.id}: {answer.card.front}")
            lines.extend(f"      {line}" for line in answer.card.back.strip("\n").splitlines())
    if result.recorded:
        lines.append(f"Recorded {answered} review{'s' * (answered != 1)} in your study schedule.")
    return lines
