"""`quizzer add`: write a card of your own, run in the sandbox before it is saved."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quizzer.commands.common import deck_roots, echo_json, json_option, warn_if_unsandboxed
from quizzer.errors import QuizzerError
from quizzer.model import Kind, Match, Verdict
from quizzer.ui.text import visible

if TYPE_CHECKING:
    from collections.abc import Iterable

    from quizzer.model import Card
    from quizzer.verify import Check


@click.command()
@click.option(
    "--deck",
    "deck_path",
    type=click.Path(path_type=Path),
    help="The deck to add to: a deck folder or one section TOML file "
    "[default: your own deck, 'mine', in the quizzer home].",
)
@click.option("--section", help="The section; a name the deck lacks starts a new section file.")
@click.option("--front", help="The question side of the card.")
@click.option("--back", help="The answer (for a write card: the code that replaces {{answer}}).")
@click.option(
    "--kind",
    type=click.Choice([str(kind) for kind in Kind]),
    help="recall: self-graded; write: the answer is code run in --program; "
    "predict: the user says what --program prints [default: recall].",
)
@click.option("--id", "card_id", help="The card's id [default: a slug of the front, made unique].")
@click.option("--tag", "tags", multiple=True, help="A tag for the card (repeat for several).")
@click.option(
    "--program", help="The card's program: for a write card with {{answer}} alone on a line."
)
@click.option("--output", help="What the program prints (with --back in place of {{answer}}).")
@click.option(
    "--match",
    type=click.Choice([str(rule) for rule in Match]),
    default=str(Match.EXACT),
    show_default=True,
    help="How the program's output is compared with --output.",
)
@click.option(
    "--wrong",
    "wrong",
    multiple=True,
    help="An answer the judge must refuse (code for a write card, a prediction for a predict "
    "card); repeat for several.",
)
@click.option(
    "--right",
    "right",
    multiple=True,
    help="Another answer the judge must accept; repeat for several.",
)
@click.option(
    "--sheet-program",
    help="For a sheet-fix card: the sheet's own text in a runnable program.",
)
@click.option("--sheet-error", help="The exception class --sheet-program raises (SyntaxError).")
@click.option("--sheet-output", help="Or what --sheet-program really prints.")
@click.option("--no-verify", is_flag=True, help="Save without running the card's program first.")
@json_option
def add(
    deck_path: Path | None,
    section: str | None,
    front: str | None,
    back: str | None,
    kind: str | None,
    card_id: str | None,
    tags: tuple[str, ...],
    program: str | None,
    output: str | None,
    match: str,
    wrong: tuple[str, ...],
    right: tuple[str, ...],
    sheet_program: str | None,
    sheet_error: str | None,
    sheet_output: str | None,
    no_verify: bool,
    as_json: bool,
) -> None:
    """Add a card to a deck of yours, checked before it is saved.

    With --section, --front and --back given, nothing is asked. Otherwise, in
    a terminal, the missing fields are asked for; the program opens in $EDITOR
    when it is set, and what the program really prints is offered as its output.

    The card is run as `quizzer verify` runs it, its --wrong and --right
    answers judged as study would; a card that fails is not saved (exit 1)
    unless --no-verify is given.
    """
    from quizzer import deck_writer
    from quizzer.authoring import Abandoned, CardFields, ask_fields
    from quizzer.deck import card_from_table

    target = deck_writer.find_target(deck_path)
    if target.is_file and section is None:
        section = target.section_names()[0]
    text = _lf_text  # every text given is stored with LF line ends, so it reads back the same
    fields = CardFields(
        text(section),
        text(front),
        text(back),
        Kind(kind) if kind else None,
        text(card_id),
        [deck_writer.normalize_newlines(tag) for tag in tags],
        text(program),
        text(output),
        Match(match),
        [deck_writer.normalize_newlines(answer) for answer in wrong],
        [deck_writer.normalize_newlines(answer) for answer in right],
        {
            key: deck_writer.normalize_newlines(value)
            for key, value in (
                ("sheet-program", sheet_program),
                ("sheet-error", sheet_error),
                ("sheet-output", sheet_output),
            )
            if value is not None
        },
    )
    deck_writer.refuse_empty_fields(fields.table())  # before asking for the rest
    interactive = bool(fields.missing())
    if interactive and not sys.stdin.isatty():
        raise QuizzerError(
            f"missing {', '.join(fields.missing())} (stdin is not a terminal, so nothing can be"
            " asked)"
        )
    # The decks the default commands read, merged by name: the new card must fit in them too.
    target = deck_writer.merged_target(target, deck_roots(None))
    if interactive or not no_verify:  # the card's program may run: to show or to check it
        warn_if_unsandboxed()
    try:
        if interactive:
            from quizzer.ui.add_prompts import TerminalAuthoring

            ui = TerminalAuthoring()
            ask_fields(fields, target.section_names(), ui)
        assert fields.section is not None
        table, existing = deck_writer.check_addition(target, fields.section, fields.table())
        card = card_from_table(table, target.name, existing or fields.section.strip())
        warn_same_front(card, target.merged_cards().values())
        if interactive and not ui.confirm_card(card):
            raise click.Abort
    except (EOFError, Abandoned):  # Ctrl-D at a prompt, or "no": nothing is saved
        raise click.Abort from None

    warning = "saved without running the card (--no-verify); `quizzer verify` will check it"
    if not no_verify:
        from quizzer.verify import check_card

        check = check_card(card)
        if not check.ok:
            refuse(check)
        warning = (
            f"saved without running it here: the card {check.detail}" if (check.skipped) else ""
        )

    added = deck_writer.add_card(
        deck_path, fields.section, fields.table(), merged_roots=deck_roots(None)
    )
    verified = not warning
    if warning:
        click.echo(visible(f"Warning: {warning}"), err=True)  # it quotes the program
    card = added.card
    if as_json:
        echo_json(
            {
                "id": card.id,
                "deck": card.deck,
                "section": card.section,
                "file": str(added.file),
                "verified": verified,
            }
        )
        return
    where = "a new section file " if added.new_section else ""
    status = "verified" if verified else "not verified"
    click.echo(visible(f"Added card {card.id!r} to {where}{added.file} ({card.section}; {status})"))


def _lf_text(value: str | None) -> str | None:
    """An option's text with CRLF and CR line ends made LF, as the card will store it."""
    from quizzer.deck_writer import normalize_newlines

    return None if value is None else normalize_newlines(value)


def warn_same_front(card: Card, others: Iterable[Card]) -> None:
    """Warn (on stderr) when another card of the deck asks the same question."""
    from quizzer.ui.text import visible

    same = " ".join(card.front.split()).casefold()
    for other in others:
        if other.id != card.id and " ".join(other.front.split()).casefold() == same:
            where = f" ({other.path}:{other.line})" if other.path else ""
            warning = f"Warning: card {other.id!r}{where} has the same front: {card.front!r}"
            click.echo(visible(warning), err=True)  # the path is the user's, and may hold any


def refuse(check: Check) -> None:
    """Show why the card failed its check (the diff or the error), then raise (exit 1)."""
    from quizzer.ui import render

    errors = render.error_console()
    missed = [example.message for example in check.examples if not example.ok]
    if check.sheet is not None and not check.sheet.ok:
        missed.insert(0, check.sheet.detail)
    if missed:
        reason = "; ".join(missed)
    elif check.run is not None and check.run.verdict != Verdict.OK:
        errors.print(render.run_report(check.run))
        reason = check.detail
    elif check.run is not None:
        errors.print(render.code(check.detail, language="diff"))
        reason = "its output differs from the output the card gives (diff above)"
    else:
        reason = check.detail
    raise QuizzerError(
        f"card {check.card.id!r} fails its check: {reason}; nothing was written "
        "(fix it, or save anyway with --no-verify)",
        exit_code=1,
    )
