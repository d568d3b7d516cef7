"""`quizzer sections`, `quizzer list` and `quizzer show`: look at decks."""

from __future__ import annotations

from pathlib import Path

import click

from quizzer.commands.common import all_cards, deck_option, echo_json, json_option, selected_decks
from quizzer.deck import cards_in_section
from quizzer.errors import QuizzerError
from quizzer.model import Card


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
@click.argument("section", required=False)
@deck_option
@json_option
def list_cards(section: str | None, deck_path: Path | None, as_json: bool) -> None:
    """List the cards (of one SECTION: a unique prefix will do)."""
    cards = cards_in_section(selected_decks(deck_path), section)
    if as_json:
        echo_json([_summary(card) for card in cards])
        return
    from quizzer.ui import render

    out = render.console()
    click.echo(render.card_rows(cards, out), color=out.is_terminal)


@click.command()
@click.argument("card_id")
@deck_option
@json_option
def show(card_id: str, deck_path: Path | None, as_json: bool) -> None:
    """Show one card in full: front, answer, program, output and note.

    CARD_ID is a card's id, or DECK/ID where two decks share an id.
    """
    card = find_card(all_cards(selected_decks(deck_path)), card_id)
    if as_json:
        echo_json(card.to_dict())
        return
    from quizzer.ui import render

    out = render.console()
    out.print(render.card_panel(card), width=render.card_width(out))


def find_card(cards: list[Card], wanted: str) -> Card:
    """The card called `wanted` ("id" or "deck/id")."""
    deck, _, card_id = wanted.rpartition("/")
    found = [c for c in cards if c.id == card_id and (not deck or c.deck == deck)]
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(f"{c.deck}/{c.id}" for c in found)
        raise QuizzerError(f"{wanted!r} is in several decks; name one: {names}")
    raise QuizzerError(f"no card {wanted!r} (see `quizzer list`)")


def _summary(card: Card) -> dict[str, object]:
    return {
        "id": card.id,
        "deck": card.deck,
        "section": card.section,
        "kind": str(card.kind),
        "front": card.front,
        "tags": list(card.tags),
    }
