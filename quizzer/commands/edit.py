"""`quizzer edit CARD_ID`: change a card in the user's editor, checked as `add` checks it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quizzer import paths
from quizzer.commands.common import (
    all_cards,
    complete_card_id,
    deck_option,
    deck_roots,
    echo_json,
    find_card,
    json_option,
    selected_decks,
    warn_if_unsandboxed,
)
from quizzer.errors import QuizzerError

if TYPE_CHECKING:
    from quizzer.model import Card


@click.command()
@click.argument("card_id", shell_complete=complete_card_id)
@click.option(
    "--rename",
    is_flag=True,
    help="Let the edit change the card's id; its review history moves to the new id.",
)
@click.option("--no-verify", is_flag=True, help="Save without running the card's program first.")
@deck_option
@json_option
def edit(
    card_id: str, rename: bool, no_verify: bool, deck_path: Path | None, as_json: bool
) -> None:
    """Edit a card in $EDITOR, checked as add checks it before it is saved.

    The card's TOML table opens in $VISUAL, else $EDITOR, else a default
    editor, with its comments. When you close it, the card is checked as
    `quizzer add` checks a new one (its program run in the sandbox); it is
    saved only if it passes (or with --no-verify). A card that fails can be
    edited again from your text; a card not saved exits 1.

    CARD_ID is a card's id, or DECK/ID. The review history stays with the
    card: changing its id needs --rename. A built-in card is never written:
    your edit is saved as an override in your own decks, used in its place.
    """
    from quizzer import deck_writer
    from quizzer.authoring import edit_until_accepted
    from quizzer.ui.add_prompts import TerminalAuthoring

    roots = deck_roots(deck_path)
    cards = all_cards(selected_decks(deck_path))
    card = find_card(cards, card_id)
    builtin = card.path is None or deck_writer.in_builtin(card.path)
    before = deck_writer.card_text(card)
    note = f"Card {card.id!r} of deck {card.deck!r}, section {card.section!r} ({card.path})."
    if builtin:
        note += "\nA built-in card: your edit is saved as an override in your own decks."
    note += "\nSave and close to check it; these lines are left out."
    if not no_verify:
        warn_if_unsandboxed()
    others = {c.id for c in cards if c.deck == card.deck}
    others.discard(card.id)

    fixed_id = builtin or card.overridden  # an override stands for a built-in card, id and all

    def accept(text: str) -> Card:
        return checked_edit(
            card, text, others, fixed_id=fixed_id, rename=rename, verify=not no_verify
        )

    edited = edit_until_accepted(
        before, note, accept, TerminalAuthoring(), can_ask=sys.stdin.isatty()
    )
    if edited.unchanged:
        click.echo(f"No change: card {card.id!r} is as it was.", err=True)
        return
    new_card = edited.accepted
    if new_card is None:
        kept = keep_unsaved(card, edited.text)
        raise QuizzerError(
            f"card {card.id!r} was not saved; your text is kept in {kept}", exit_code=1
        )
    try:
        if builtin:
            file = deck_writer.write_override(card, edited.text, roots)
        else:
            file = deck_writer.replace_card(card, edited.text, before, roots)
    except QuizzerError as error:
        kept = keep_unsaved(card, edited.text)
        raise QuizzerError(f"{error}; your text is kept in {kept}", exit_code=1) from None
    if new_card.id != card.id:
        from quizzer.store import open_store

        with open_store(paths.database_path()) as store:
            store.rename_card(card.key, new_card.key)
    report(card, new_card, file, verified=not no_verify, override=builtin, as_json=as_json)


def checked_edit(
    card: Card, text: str, others: set[str], *, fixed_id: bool, rename: bool, verify: bool
) -> Card:
    """The card `text` describes, checked as `add` checks a new card; raises QuizzerError with
    the reason when it does not pass (the diff or the error shown first)."""
    from quizzer import deck_writer
    from quizzer.commands.add import refuse
    from quizzer.deck import card_from_table, card_problems

    table = deck_writer.parse_card_text(text)
    new_id = table.get("id")
    if isinstance(new_id, str) and new_id != card.id:
        if fixed_id:
            raise QuizzerError(
                f"a built-in card keeps its id: change {new_id!r} back to {card.id!r}"
            )
        if not rename:
            raise QuizzerError(
                f"the id changed from {card.id!r} to {new_id!r}; the review history is kept"
                " under the id, so pass --rename to move it, or keep the id"
            )
        if new_id in others:
            raise QuizzerError(f"duplicate id {new_id!r}: deck {card.deck!r} already has it")
        _refuse_taken_history(card, new_id)
    deck_writer.refuse_meaningless(table)
    problems = card_problems(table)
    if problems:
        raise QuizzerError(f"card {table.get('id', card.id)!s}: {'; '.join(problems)}")
    new_card = card_from_table(table, card.deck, card.section, card.path, card.line)
    if verify:
        from quizzer.verify import check_card

        check = check_card(new_card)
        if not check.ok:
            refuse(check)
    return new_card


def _refuse_taken_history(card: Card, new_id: str) -> None:
    """Raise when `new_id` already has review history (from a card removed since)."""
    from quizzer.store import open_store

    with open_store(paths.database_path()) as store:
        if store.has_history((card.deck, new_id)):
            raise QuizzerError(
                f"id {new_id!r} already has a review history in deck {card.deck!r}"
                " (of a card removed since); choose another id"
            )


def keep_unsaved(card: Card, text: str) -> str:
    """Write the user's text of a card that was not saved where they can take it up again;
    where that is, in words for the user."""
    from quizzer import atomic
    from quizzer.deck_writer import slugify

    folder = paths.data_home() / "unsaved"
    file = folder / f"{slugify(card.deck)}-{card.id}.toml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(file, text.encode("utf-8"))
    except OSError as error:
        return f"nowhere: {folder} cannot be written ({error.strerror})"
    return str(file)


def report(
    old: Card, card: Card, file: Path, *, verified: bool, override: bool, as_json: bool
) -> None:
    """What was saved: one line, or JSON for scripts."""
    if as_json:
        echo_json(
            {
                "id": card.id,
                "deck": card.deck,
                "section": card.section,
                "file": str(file),
                "verified": verified,
                "override": override,
                "renamed_from": old.id if old.id != card.id else None,
            }
        )
        return
    if not verified:
        click.echo("Warning: saved without running the card (--no-verify)", err=True)
    from quizzer.ui.text import visible

    what = "an override of the built-in card" if override else "card"
    status = "verified" if verified else "not verified"
    renamed = f", renamed from {old.id!r} (its history moved)" if old.id != card.id else ""
    click.echo(visible(f"Saved {what} {card.id!r} to {file} ({status}{renamed})"))
