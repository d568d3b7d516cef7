"""`quizzer export anki` and `quizzer export tsv`: decks for Anki."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from quizzer.commands.common import (
    complete_section,
    deck_option,
    echo_json,
    json_option,
    selected_decks,
)
from quizzer.deck import cards_in_section
from quizzer.model import Card, Deck

if TYPE_CHECKING:
    from quizzer.export import Exported, Target

_UNSAFE_IN_NAMES = re.compile(r"[^\w.-]+")


def _refuse_empty(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value == "":
        raise click.BadParameter("an empty path names no file; name one, or - for stdout")
    return value


def _export_options(suffix: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options both formats take; `suffix` is the default output file's."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(
            [
                deck_option,
                click.option(
                    "--section",
                    shell_complete=complete_section,
                    help="Only this section (a unique prefix will do).",
                ),
                click.option(
                    "-o",
                    "--output",
                    # A str, not a Path: Path("./-") is "-", and that must stay a file's name.
                    type=click.Path(dir_okay=False, allow_dash=True),
                    callback=_refuse_empty,
                    help=f"The file to write, or - for stdout (the summary then goes to stderr) "
                    f"[default: DECK{suffix} in the current folder].",
                ),
                click.option("--force", is_flag=True, help="Overwrite the output file."),
                json_option,
            ]
        ):
            function = option(function)
        return function

    return decorate


@click.group()
def export() -> None:
    """Export decks for Anki: an .apkg package or a .tsv file.

    Each section becomes the Anki deck "Deck::Section". Notes keep their
    identity, so importing a later export updates them instead of adding
    copies.
    """


@export.command("anki")
@_export_options(".apkg")
def anki(
    deck_path: Path | None, section: str | None, output: str | None, force: bool, as_json: bool
) -> None:
    """Write an Anki package with quizzer's own note type.

    Import it in Anki with File > Import. A note's back shows the answer,
    the card's program, what it prints and the card's note.
    """
    from quizzer import paths
    from quizzer.export.anki import export_stamp, write_package

    decks = selected_decks(deck_path)
    cards = cards_in_section(decks, section)
    target = _target(output, cards, section, ".apkg", force)
    stamp = export_stamp(paths.anki_stamp_path())
    written = write_package(
        cards, target, descriptions=_descriptions(decks), now=stamp, overwrite=force
    )
    _report(written, as_json)


@export.command("tsv")
@_export_options(".tsv")
def tsv(
    deck_path: Path | None, section: str | None, output: str | None, force: bool, as_json: bool
) -> None:
    """Write the cards as a text file for Anki's File > Import.

    The notes use Anki's Basic note type: the program, output and note go on
    the back. The header lines name the separator and the guid, deck and tags
    columns, so the import needs no settings.
    """
    from quizzer.export.tsv import write_tsv

    cards = cards_in_section(selected_decks(deck_path), section)
    target = _target(output, cards, section, ".tsv", force)
    _report(write_tsv(cards, target, overwrite=force), as_json)


def _target(
    output: str | None, cards: list[Card], section: str | None, suffix: str, force: bool
) -> Target:
    """Where to write: stdout for "-", else the file `output` or one named after the deck (and
    section); never a surprise overwrite, and never anything but a regular file replaced."""
    from quizzer.export import check_output

    if output == "-":
        return sys.stdout.buffer
    path = Path(output) if output is not None else Path(_default_stem(cards, section) + suffix)
    check_output(path, overwrite=force)  # before any work; the writer checks again
    return path


def _default_stem(cards: list[Card], section: str | None) -> str:
    deck_names = list(dict.fromkeys(card.deck for card in cards))
    stem = deck_names[0] if len(deck_names) == 1 else "quizzer"
    if section is not None and cards:
        stem += f"-{cards[0].section}"
    return _UNSAFE_IN_NAMES.sub("-", stem).strip("-.") or "quizzer"


def _descriptions(decks: list[Deck]) -> dict[str, str]:
    """Each section's `about`, keyed by its Anki deck name."""
    from quizzer.export import anki_deck_name

    return {anki_deck_name(deck.name, s.name): s.about for deck in decks for s in deck.sections}


def _report(written: Exported, as_json: bool) -> None:
    """The summary, or its JSON: on stderr when the export itself went to stdout."""
    to_stderr = written.path is None
    if as_json:
        echo_json(written.to_dict(), err=to_stderr)
    else:
        from quizzer.ui.text import visible

        click.echo(visible(written.summary()), err=to_stderr)  # it names the file
