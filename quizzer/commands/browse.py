"""`quizzer sections`, `list`, `search` and `show`: look at decks and at a card's history."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quizzer.commands.common import (
    all_cards,
    complete_card_id,
    complete_section,
    deck_option,
    echo_json,
    find_card,
    json_option,
    selected_decks,
    tag_options,
)
from quizzer.deck import cards_in_section, filter_tags
from quizzer.errors import QuizzerError
from quizzer.model import Card

if TYPE_CHECKING:
    from datetime import datetime

    from quizzer.store import Store

SEARCHED_FIELDS = ("front", "back", "program", "note", "tags")


@click.command()
@deck_option
@json_option
def sections(deck_path: Path | None, as_json: bool) -> None:
    """List the sections of the decks, with their card counts."""
    decks = selected_decks(deck_path)
    rows = [(deck.name, s.name, len(s.cards)) for deck in decks for s in deck.sections]
    if as_json:
        echo_json([{"name": name, "cards": count, "deck": deck} for deck, name, count in rows])
        return
    from quizzer.ui import render

    render.console().print(render.sections_table(rows))


@click.command("list")
@click.argument("section", required=False, shell_complete=complete_section)
@deck_option
@tag_options
@json_option
def list_cards(
    section: str | None,
    deck_path: Path | None,
    tags: tuple[str, ...],
    skip_tags: tuple[str, ...],
    as_json: bool,
) -> None:
    """List the cards (of one SECTION: a unique prefix will do)."""
    cards = filter_tags(cards_in_section(selected_decks(deck_path), section), tags, skip_tags)
    print_cards(cards, as_json)


@click.command()
@click.argument("text")
@click.option("--regex", is_flag=True, help="TEXT is a Python regular expression.")
@click.option(
    "--section",
    shell_complete=complete_section,
    help="Only this section (a unique prefix will do).",
)
@deck_option
@tag_options
@json_option
def search(
    text: str,
    regex: bool,
    section: str | None,
    deck_path: Path | None,
    tags: tuple[str, ...],
    skip_tags: tuple[str, ...],
    as_json: bool,
) -> None:
    """Find the cards whose front, back, program, note or tags contain TEXT.

    TEXT matches case-insensitively; with --regex it is a regular expression.
    """
    try:
        pattern = re.compile(text if regex else re.escape(text), re.IGNORECASE)
    except re.error as error:
        raise QuizzerError(f"{text!r} is not a valid regular expression: {error}") from None
    cards = filter_tags(cards_in_section(selected_decks(deck_path), section), tags, skip_tags)
    print_cards([card for card in cards if matches(card, pattern)], as_json)


def matches(card: Card, pattern: re.Pattern[str]) -> bool:
    """Whether `pattern` is found in one of the card's searched fields (tags one by one)."""
    texts = [card.front, card.back, card.program or "", card.note or "", *card.tags]
    return any(pattern.search(text) for text in texts)


def print_cards(cards: list[Card], as_json: bool) -> None:
    """The cards as `list` prints them: a line each, or JSON."""
    if as_json:
        echo_json([_summary(card) for card in cards])
        return
    from quizzer.ui import render

    out = render.console()
    click.echo(render.card_rows(cards, out), color=out.is_terminal)


@click.command()
@click.argument("card_id", shell_complete=complete_card_id)
@deck_option
@json_option
def show(card_id: str, deck_path: Path | None, as_json: bool) -> None:
    """Show one card in full, with its state, schedule and review history.

    The front, answer, program, output and note; then whether it is new,
    learning, in review, suspended or buried, when it is due, its stability,
    difficulty and retrievability now, and every review it had.

    CARD_ID is a card's id, or DECK/ID where two decks share an id.
    """
    from quizzer import paths
    from quizzer.schedule import utc_now
    from quizzer.store import open_store

    card = find_card(all_cards(selected_decks(deck_path)), card_id)
    now = utc_now()
    if paths.database_path().exists():
        with open_store(paths.database_path()) as store:
            status = card_status(card, store, now)
    else:  # nothing reviewed yet: a look at a card makes no database
        status = card_status(card, None, now)
    if as_json:
        echo_json({**card.to_dict(), **status})
        return
    from quizzer.ui import render

    out = render.console()
    out.print(render.card_panel(card), width=render.card_width(out))
    out.print(render.card_status(status, now))


def card_status(card: Card, store: Store | None, now: datetime) -> dict[str, object]:
    """The card's state, due time, memory (stability, difficulty, retrievability now), whether
    it is the user's override of a built-in card, and its reviews: the keys of `show --json`."""
    from quizzer.model import Phase
    from quizzer.schedule import Scheduler

    record = store.record(card.key) if store else None
    hold = store.holds({card.deck}, now).get(card.key) if store else None
    if hold is not None:
        state = str(hold)
    elif record is None:
        state = "new"
    else:
        state = "review" if record.state.phase == Phase.REVIEW else "learning"
    retrievability = Scheduler().retrievability(record.state if record else None, now)
    return {
        "state": state,
        "due": record.state.due.isoformat() if record else None,
        "stability": record.state.stability if record else None,
        "difficulty": record.state.difficulty if record else None,
        "retrievability": round(retrievability, 4) if retrievability is not None else None,
        "overridden": card.overridden,
        "reviews": [review.to_dict() for review in store.reviews(card.key)] if store else [],
    }


def _summary(card: Card) -> dict[str, object]:
    return {
        "id": card.id,
        "deck": card.deck,
        "section": card.section,
        "kind": str(card.kind),
        "front": card.front,
        "tags": list(card.tags),
    }
