"""`quizzer add`: write a card of your own, run in the sandbox before it is saved."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from quizzer.commands.common import echo_json, json_option
from quizzer.errors import QuizzerError
from quizzer.model import ANSWER_SLOT, Card, Kind, Match, Verdict

if TYPE_CHECKING:
    from quizzer.deck_writer import DeckTarget
    from quizzer.model import Run
    from quizzer.verify import Check

EDITOR_NOTE = "# quizzer:"  # lines of the editor's template that are removed afterwards
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
_KIND_TITLES = {
    Kind.RECALL: "recall: shown, recalled and graded by you",
    Kind.WRITE: "write: the answer is code, run inside a program and judged by its output",
    Kind.PREDICT: "predict: say what a program prints",
}
_NEW_SECTION = "+ a new section"


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

    def missing(self) -> list[str]:
        """The options that must be given (or asked for) before the card can be built."""
        needed = {"--section": self.section, "--front": self.front, "--back": self.back}
        return [option for option, value in needed.items() if value is None]

    def table(self) -> dict[str, Any]:
        """The card as a TOML table, without the fields left at their defaults."""
        table: dict[str, Any] = {"front": self.front, "back": self.back,
                                 "kind": str(self.kind or Kind.RECALL)}  # fmt: skip
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
@click.option("--no-verify", is_flag=True, help="Save without running the card's program first.")
@json_option
def add(deck_path: Path | None, section: str | None, front: str | None, back: str | None,
        kind: str | None, card_id: str | None, tags: tuple[str, ...], program: str | None,
        output: str | None, match: str, no_verify: bool, as_json: bool) -> None:  # fmt: skip
    """Add a card to a deck of yours, checked before it is saved.

    With --section, --front and --back given, nothing is asked. Otherwise, in
    a terminal, the missing fields are asked for; the program opens in $EDITOR
    when it is set, and what the program really prints is offered as its output.

    The card is run as `quizzer verify` runs it; a card that fails is not
    saved (exit 1) unless --no-verify is given.
    """
    from quizzer import deck_writer
    from quizzer.deck import card_from_table

    target = deck_writer.find_target(deck_path)
    if target.is_file and section is None:
        section = target.section_names()[0]
    fields = CardFields(section, front, back, Kind(kind) if kind else None, card_id,
                        list(tags), program, output, Match(match))  # fmt: skip
    missing = fields.missing()
    if missing:
        if not sys.stdin.isatty():
            raise QuizzerError(
                f"missing {', '.join(missing)} (stdin is not a terminal, so nothing can be asked)"
            )
        try:
            ask_fields(fields, target)
        except EOFError:  # Ctrl-D at a prompt: the same as Ctrl-C, nothing is saved
            raise click.Abort from None
    assert fields.section is not None
    table, _existing = deck_writer.check_addition(target, fields.section, fields.table())

    warning = "saved without running the card (--no-verify); `quizzer verify` will check it"
    if not no_verify:
        from quizzer.verify import check_card

        check = check_card(card_from_table(table, target.name, fields.section))
        if not check.ok:
            refuse(check)
        warning = f"saved without running it here: the card {check.detail}" if (
            check.skipped) else ""  # fmt: skip

    added = deck_writer.add_card(deck_path, fields.section, fields.table())
    verified = not warning
    if warning:
        click.echo(f"Warning: {warning}", err=True)
    card = added.card
    if as_json:
        echo_json({"id": card.id, "deck": card.deck, "section": card.section,
                   "file": str(added.file), "verified": verified})  # fmt: skip
        return
    where = "a new section file " if added.new_section else ""
    status = "verified" if verified else "not verified"
    click.echo(f"Added card {card.id!r} to {where}{added.file} ({card.section}; {status})")


def refuse(check: Check) -> None:
    """Show why the card failed its check (the diff or the error), then raise (exit 1)."""
    from quizzer.ui import render

    errors = render.error_console()
    if check.run is not None and check.run.verdict != Verdict.OK:
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
    """Ask in the terminal for every field not given as an option, then confirm the card."""
    import questionary

    from quizzer.ui import render

    if fields.section is None:
        fields.section = _ask_section(target.section_names())
    if fields.kind is None:
        choices = [questionary.Choice(text, value=str(kind)) for kind, text in _KIND_TITLES.items()]
        fields.kind = Kind(questionary.select("Kind of card", choices=choices).unsafe_ask())
    if fields.front is None:
        fields.front = _ask_line("Front (the question)")
    if fields.back is None and fields.kind != Kind.PREDICT:
        write = fields.kind == Kind.WRITE
        fields.back = _ask_line("The answer: code that replaces {{answer}}" if write else "Back")
    if fields.program is None and (
        fields.kind != Kind.RECALL
        or questionary.confirm("Add a program that uses the answer?", default=False).unsafe_ask()
    ):  # fmt: skip
        fields.program = _template(fields.kind)
        if fields.output is None:
            fields.output = _ask_program_and_output(fields, edit_first=True)
        else:
            fields.program = _ask_program(fields.kind, fields.program)
    elif fields.program is not None and fields.output is None:
        fields.output = _ask_program_and_output(fields, edit_first=False)
    if fields.back is None:  # a predict card: its answer is what the program prints
        fields.back = questionary.text(
            "Back (what the user should answer)", default=fields.output or "", multiline=True,
            instruction="(Esc then Enter to finish)",
        ).unsafe_ask()  # fmt: skip
    if not fields.tags:
        typed = questionary.text("Tags (optional; spaces or commas between)").unsafe_ask()
        fields.tags = [tag for tag in re.split(r"[,\s]+", typed) if tag]
    preview = _preview(fields, target.name)
    if fields.card_id is None:
        from quizzer.deck_writer import slugify, unique_id

        taken = [card.id for card in target.deck.cards] if target.deck else []
        preview = replace(preview, id=unique_id(slugify(preview.front), taken))
    render.console().print(render.card_panel(preview))
    if not questionary.confirm("Save this card?", default=True).unsafe_ask():
        raise click.Abort


def _ask_section(names: list[str]) -> str:
    import questionary

    if names:
        chosen: str = questionary.select("Section", choices=[*names, _NEW_SECTION]).unsafe_ask()
        if chosen != _NEW_SECTION:
            return chosen
    return _ask_line("Name of the new section")


def _ask_line(message: str, default: str = "") -> str:
    import questionary

    answer: str = questionary.text(
        message, default=default, validate=lambda text: bool(text.strip()) or "Must not be empty"
    ).unsafe_ask()
    return answer.strip()


def _ask_program_and_output(fields: CardFields, *, edit_first: bool) -> str:
    """Have the program written (or fixed) until it runs; return the output the user accepts."""
    import questionary

    from quizzer.ui import render

    assert fields.kind is not None and fields.program is not None
    if edit_first:
        fields.program = _ask_program(fields.kind, fields.program)
    while True:
        run = _run_card_program(fields)
        render.console().print(render.run_report(run))
        if run.verdict == Verdict.OK:
            break
        again = questionary.confirm("The program failed. Edit it again?", default=True)
        if not again.unsafe_ask():
            raise click.Abort
        fields.program = _ask_program(fields.kind, fields.program)
    printed = _output_value(run.stdout)
    if questionary.confirm("Use what it printed as the card's output?", default=True).unsafe_ask():
        return printed
    edited: str = questionary.text(
        "Expected output", default=printed, multiline=True,
        instruction="(Esc then Enter to finish)",
    ).unsafe_ask()  # fmt: skip
    return edited


def _ask_program(kind: Kind, program: str) -> str:
    """Edit `program` until it fits the kind of card ({{answer}} where it belongs)."""
    from quizzer.deck import card_problems

    while True:
        program = _edit_code("The card's program", program, kind)
        placeholder = {"id": "new", "front": "-", "back": "-", "kind": str(kind),
                       "program": program, "output": ""}  # fmt: skip
        problems = card_problems(placeholder)
        if not problems:
            return program
        click.echo(f"The program does not fit a {kind} card: {'; '.join(problems)}", err=True)


def _edit_code(message: str, code: str, kind: Kind) -> str:
    """Multi-line code, typed in $VISUAL/$EDITOR when one is set, else in a multi-line prompt."""
    if os.environ.get("VISUAL") or os.environ.get("EDITOR"):
        where = f"Put {ANSWER_SLOT} alone on the line where the answer goes." if (
            kind != Kind.PREDICT) else "The user will be asked what it prints."  # fmt: skip
        header = f"{EDITOR_NOTE} {message}. {where}\n{EDITOR_NOTE} These lines are removed.\n"
        edited = click.edit(header + code, extension=".py", require_save=False)
        lines = (edited or "").splitlines()
        body = "\n".join(line for line in lines if not line.startswith(EDITOR_NOTE))
        return body.strip("\n") + "\n"
    import questionary

    typed: str = questionary.text(
        message, default=code, multiline=True, instruction="(Esc then Enter to finish)"
    ).unsafe_ask()
    return typed.strip("\n") + "\n"


def _run_card_program(fields: CardFields) -> Run:
    """Run the card's program in the sandbox, with its answer in place, as verify would."""
    from quizzer.verify import judge_program

    card = _preview(fields, "new")
    check = judge_program(card, card.back)
    assert check.run is not None
    return check.run


def _preview(fields: CardFields, deck: str) -> Card:
    return Card(
        deck=deck, section=fields.section or "", id=fields.card_id or "new",
        front=fields.front or "", back=fields.back or "", kind=fields.kind or Kind.RECALL,
        tags=tuple(fields.tags), program=fields.program, output=fields.output,
        match=fields.match,
    )  # fmt: skip


def _output_value(stdout: str) -> str:
    """What a program printed, as a card's output: one line without its newline."""
    if stdout.count("\n") == 1 and stdout.endswith("\n"):
        return stdout[:-1]
    return stdout


def _template(kind: Kind | None) -> str:
    return _PREDICT_TEMPLATE if kind == Kind.PREDICT else _WRITE_TEMPLATE
