"""`quizzer suspend`, `unsuspend`, `bury` and `reset`: hold cards back, or start them afresh.

Each changes only the review database; the decks themselves are never written here.
"""

from __future__ import annotations

from pathlib import Path

import click

from quizzer import paths
from quizzer.commands.common import (
    all_cards,
    complete_card_id,
    complete_section,
    deck_option,
    echo_json,
    find_card,
    json_option,
    selected_decks,
)
from quizzer.deck import cards_in_section
from quizzer.errors import QuizzerError
from quizzer.model import Card

card_ids_argument = click.argument("card_ids", nargs=-1, shell_complete=complete_card_id)
section_option = click.option(
    "--section",
    shell_complete=complete_section,
    help="Every card of this section (a unique prefix will do).",
)


def chosen_cards(
    deck_path: Path | None, card_ids: tuple[str, ...], section: str | None, every: bool = False
) -> list[Card]:
    """The cards named by id, of `section`, or all of them with `every`; at least one."""
    decks = selected_decks(deck_path)
    cards = all_cards(decks)
    if every:
        return cards
    chosen = [find_card(cards, wanted) for wanted in card_ids]
    if section is not None:
        chosen += cards_in_section(decks, section)
    if not chosen:
        raise QuizzerError("name the cards: CARD_ID..., or --section" + (", or --all" * every))
    return list(dict.fromkeys(chosen))  # each once, in the order given


def report(action: str, cards: list[Card], changed: int, as_json: bool, **extra: object) -> None:
    """What was done to `cards`: one line, or JSON for scripts."""
    if as_json:
        echo_json(
            {
                "action": action,
                "cards": [f"{c.deck}/{c.id}" for c in cards],
                "changed": changed,
                **extra,
            }
        )
        return
    names = ", ".join(card.id for card in cards[:5]) + (" ..." if len(cards) > 5 else "")
    plural = "s" * (len(cards) != 1)
    click.echo(f"{action.capitalize()} {len(cards)} card{plural} ({names}); {changed} changed.")


def _set_suspended(
    deck_path: Path | None,
    card_ids: tuple[str, ...],
    section: str | None,
    as_json: bool,
    suspended: bool,
) -> None:
    from quizzer.store import open_store

    cards = chosen_cards(deck_path, card_ids, section)
    with open_store(paths.database_path()) as store:
        changed = store.set_suspended([card.key for card in cards], suspended)
    report("suspended" if suspended else "unsuspended", cards, changed, as_json)


@click.command()
@card_ids_argument
@section_option
@deck_option
@json_option
def suspend(
    card_ids: tuple[str, ...], section: str | None, deck_path: Path | None, as_json: bool
) -> None:
    """Keep cards out of study and test until they are unsuspended.

    CARD_ID is a card's id, or DECK/ID where two decks share an id. Their
    schedule and history are kept.
    """
    _set_suspended(deck_path, card_ids, section, as_json, True)


@click.command()
@card_ids_argument
@section_option
@deck_option
@json_option
def unsuspend(
    card_ids: tuple[str, ...], section: str | None, deck_path: Path | None, as_json: bool
) -> None:
    """Let suspended cards back into study and test."""
    _set_suspended(deck_path, card_ids, section, as_json, False)


@click.command()
@card_ids_argument
@deck_option
@json_option
def bury(card_ids: tuple[str, ...], deck_path: Path | None, as_json: bool) -> None:
    """Hide cards from study and test until the next study day (4 am).

    CARD_ID is a card's id, or DECK/ID where two decks share an id.
    """
    from quizzer.due import day_after, start_of_day
    from quizzer.schedule import utc_now
    from quizzer.store import open_store

    cards = chosen_cards(deck_path, card_ids, None)
    until = day_after(start_of_day(utc_now()), 1)  # the start of the next study day
    with open_store(paths.database_path()) as store:
        store.bury([card.key for card in cards], until)
    report("buried", cards, len(cards), as_json, until=until.isoformat())
    if not as_json:
        click.echo(f"They come back on {until.astimezone():%a %d %b at %H:%M}.")


@click.command()
@card_ids_argument
@section_option
@click.option("--all", "every", is_flag=True, help="Every card of the decks.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@deck_option
@json_option
def reset(
    card_ids: tuple[str, ...],
    section: str | None,
    every: bool,
    yes: bool,
    deck_path: Path | None,
    as_json: bool,
) -> None:
    """Forget the scheduling of cards: they become new again.

    Their past reviews stay in the review log, marked as from before a reset.
    Asks first, unless --yes is given.
    """
    import sys

    from quizzer.schedule import utc_now
    from quizzer.store import open_store

    if every and (card_ids or section):
        raise click.UsageError("--all resets every card: give it without CARD_ID or --section")
    cards = chosen_cards(deck_path, card_ids, section, every)
    if not yes:
        if not sys.stdin.isatty():
            raise QuizzerError(
                f"resetting {len(cards)} card(s) needs confirmation: pass --yes "
                "(stdin is not a terminal, so nothing can be asked)"
            )
        plural = "s" * (len(cards) != 1)
        click.confirm(
            f"Reset {len(cards)} card{plural}, making them new again?", abort=True, err=True
        )
    with open_store(paths.database_path()) as store:
        changed = store.reset([card.key for card in cards], utc_now())
    report("reset", cards, changed, as_json)
