"""`quizzer add`: write a card of your own, run in the sandbox before it is saved."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from quizzer.commands.common import deck_roots, echo_json, json_option, warn_if_unsandboxed
from quizzer.errors import QuizzerError
from quizzer.model import ANSWER_SLOT, Kind, Match, Run, Verdict
from quizzer.ui.text import visible

if TYPE_CHECKING:
    from quizzer.deck_writer import DeckTarget
    from quizzer.verify import Check

_WRITE_TEMPLATE = f"""\
import asyncio


async def main():
    {ANSWER_SLOT}


asyncio.run(main())
"""
_PREDICT_TEMPLATE = """\
import asyncio


async def main():
    print("hello")


asyncio.run(main())
"""


@dataclass
class CardFields:
    """What the user gave for the new card; None for what is still to be asked."""

    section: str | None
    front: str | None
    back: str | None
    kind: Kind | None
    card_id: str | None
    tags: list[str] = field(default_factory=list)
    program: str | None = None
    output: str | None = None
    match: Match = Match.EXACT
    wrong: list[str] = field(default_factory=list)
    right: list[str] = field(default_factory=list)
    sheet: dict[str, str] = field(default_factory=dict)  # sheet-program, sheet-error/-output

    def missing(self) -> list[str]:
        """The options that must be given (or asked for) before the card can be built."""
        needed = {"--section": self.section, "--front": self.front, "--back": self.back}
        return [option for option, value in needed.items() if value is None]

    def table(self) -> dict[str, Any]:
        """The card as a TOML table, without the fields left at their defaults."""
        table: dict[str, Any] = {
            "front": self.front,
            "back": self.back,
            "kind": str(self.kind or Kind.RECALL),
        }
        if self.card_id is not None:
            table["id"] = self.card_id
        if self.tags:
            table["tags"] = list(self.tags)
        if self.program is not None:
            table["program"] = self.program
        if self.output is not None:
            table["output"] = self.output
        if self.match != Match.EXACT:
            table["match"] = str(self.match)
        if self.wrong:
            table["wrong"] = list(self.wrong)
        if self.right:
            table["right"] = list(self.right)
        table.update(self.sheet)
        return table


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
            ask_fields(fields, target)
        assert fields.section is not None
        table, existing = deck_writer.check_addition(target, fields.section, fields.table())
        card = card_from_table(table, target.name, existing or fields.section.strip())
        if interactive:
            from quizzer.ui import add_prompts

            if not add_prompts.confirm_card(card):
                raise click.Abort
    except EOFError:  # Ctrl-D at a prompt: the same as Ctrl-C, nothing is saved
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
        reason = "its output differs from --output (diff above)"
    else:
        reason = check.detail
    raise QuizzerError(
        f"card {check.card.id!r} fails its check: {reason}; nothing was written "
        "(fix it, or save anyway with --no-verify)",
        exit_code=1,
    )


def ask_fields(fields: CardFields, target: DeckTarget) -> None:
    """Ask in the terminal for every field not given as an option."""
    from quizzer.ui import add_prompts as ask

    if fields.section is None:
        fields.section = ask.choose_section(target.section_names())
    if fields.kind is None:
        fields.kind = ask.choose_kind()
    if fields.front is None:
        fields.front = ask.ask_line("Front (the question)")
    if fields.back is None and fields.kind != Kind.PREDICT:
        write = fields.kind == Kind.WRITE
        fields.back = ask.ask_line("The answer: code that replaces {{answer}}" if write else "Back")
    if fields.program is None and (
        fields.kind != Kind.RECALL
        or ask.confirm("Add a program that uses the answer?", default=False)
    ):
        fields.program = _template(fields.kind)
        if fields.output is None:
            fields.output = _ask_program_and_output(fields, edit_first=True)
        else:
            fields.program = _ask_program(fields.kind, fields.program)
    elif fields.program is not None and fields.output is None:
        fields.output = _ask_program_and_output(fields, edit_first=False)
    if fields.back is None:  # a predict card: its answer is what the program prints
        fields.back = ask.ask_text(
            "Back (what the user should answer)", default=fields.output or "", required=True
        )
    if not fields.tags:
        fields.tags = ask.ask_tags()


def _ask_program_and_output(fields: CardFields, *, edit_first: bool) -> str:
    """Have the program written (or fixed) until it runs; return the output the user accepts."""
    from quizzer.ui import add_prompts as ask

    assert fields.kind is not None and fields.program is not None
    if edit_first:
        fields.program = _ask_program(fields.kind, fields.program)
    while True:
        run = _run_card_program(fields)
        ask.show_run(run)
        if run.verdict == Verdict.OK:
            break
        if not ask.confirm("The program failed. Edit it again?", default=True):
            raise click.Abort
        fields.program = _ask_program(fields.kind, fields.program)
    printed = _output_value(run.stdout)
    if ask.confirm("Use what it printed as the card's output?", default=True):
        return printed
    return ask.ask_text("Expected output", default=printed)


def _ask_program(kind: Kind, program: str) -> str:
    """Edit `program` until it fits the kind of card ({{answer}} where it belongs)."""
    from quizzer.deck import card_problems
    from quizzer.ui import add_prompts as ask

    while True:
        program = ask.edit_code("The card's program", program, kind)
        placeholder = {
            "id": "new",
            "front": "-",
            "back": "-",
            "kind": str(kind),
            "program": program,
            "output": "",
        }
        problems = card_problems(placeholder)
        if not problems:
            return program
        ask.tell(f"The program does not fit a {kind} card: {'; '.join(problems)}")


def _run_card_program(fields: CardFields) -> Run:
    """Run the card's program in the sandbox, with its answer in place, as verify would."""
    from quizzer import judge
    from quizzer.deck import card_from_table

    # The card so far: a predict card's back (and every card's id) is not known yet.
    draft = {
        **fields.table(),
        "id": fields.card_id or "new",
        "front": fields.front or "",
        "back": fields.back or "",
    }
    card = card_from_table(draft, "new", fields.section or "")
    return judge.reference(card, 0).result().run


def _output_value(stdout: str) -> str:
    """What a program printed, as a card's output: one line without its newline."""
    if stdout.count("\n") == 1 and stdout.endswith("\n"):
        return stdout[:-1]
    return stdout


def _template(kind: Kind | None) -> str:
    return _PREDICT_TEMPLATE if kind == Kind.PREDICT else _WRITE_TEMPLATE
