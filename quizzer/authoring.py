"""The authoring engine: the dialogues of `quizzer add` and `quizzer edit`.

`add` asks for each field not given as an option, has the program written until it runs in the
sandbox, and offers what it printed as the card's output. `edit` opens a card's TOML table in the
user's editor until what they wrote passes the card's check, keeping their text between tries.
Like the study and test engines, both talk to the user only through a protocol
(`quizzer.prompts.AuthoringPrompts`), so they are tested without a terminal; what is checked,
and how a card is saved, is the commands' (with quizzer.verify and quizzer.deck_writer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from quizzer.errors import QuizzerError
from quizzer.model import ANSWER_SLOT, Kind, Match, Run, Verdict
from quizzer.prompts import AuthoringPrompts

T = TypeVar("T")

WRITE_TEMPLATE = f"""\
import asyncio


async def main():
    {ANSWER_SLOT}


asyncio.run(main())
"""
PREDICT_TEMPLATE = """\
import asyncio


async def main():
    print("hello")


asyncio.run(main())
"""


class Abandoned(Exception):
    """The user chose not to go on; nothing is saved."""


@dataclass
class CardFields:
    """What the user gave for a new card; None for what is still to be asked."""

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


# -- add: ask for what is missing --------------------------------------------------------------


def ask_fields(fields: CardFields, section_names: list[str], ui: AuthoringPrompts) -> None:
    """Ask for every field of `fields` not given yet; raises Abandoned when the user gives up."""
    if fields.section is None:
        fields.section = ui.choose_section(section_names)
    if fields.kind is None:
        fields.kind = ui.choose_kind()
    if fields.front is None:
        fields.front = ui.ask_line("Front (the question)")
    if fields.back is None and fields.kind != Kind.PREDICT:
        write = fields.kind == Kind.WRITE
        fields.back = ui.ask_line("The answer: code that replaces {{answer}}" if write else "Back")
    if fields.program is None and (
        fields.kind != Kind.RECALL
        or ui.confirm("Add a program that uses the answer?", default=False)
    ):
        fields.program = template(fields.kind)
        if fields.output is None:
            fields.output = _ask_program_and_output(fields, ui, edit_first=True)
        else:
            fields.program = _ask_program(fields.kind, fields.program, ui)
    elif fields.program is not None and fields.output is None:
        fields.output = _ask_program_and_output(fields, ui, edit_first=False)
    if fields.back is None:  # a predict card: its answer is what the program prints
        fields.back = ui.ask_text(
            "Back (what the user should answer)", default=fields.output or "", required=True
        )
    if not fields.tags:
        fields.tags = ui.ask_tags()


def _ask_program_and_output(fields: CardFields, ui: AuthoringPrompts, *, edit_first: bool) -> str:
    """Have the program written (or fixed) until it runs; return the output the user accepts."""
    assert fields.kind is not None and fields.program is not None
    if edit_first:
        fields.program = _ask_program(fields.kind, fields.program, ui)
    while True:
        run = run_card_program(fields)
        ui.show_run(run)
        if run.verdict == Verdict.OK:
            break
        if not ui.confirm("The program failed. Edit it again?", default=True):
            raise Abandoned
        fields.program = _ask_program(fields.kind, fields.program, ui)
    printed = output_value(run.stdout)
    if ui.confirm("Use what it printed as the card's output?", default=True):
        return printed
    return ui.ask_text("Expected output", default=printed)


def _ask_program(kind: Kind, program: str, ui: AuthoringPrompts) -> str:
    """Edit `program` until it fits the kind of card ({{answer}} where it belongs)."""
    from quizzer.deck import card_problems

    while True:
        program = ui.edit_code("The card's program", program, kind)
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
        ui.tell(f"The program does not fit a {kind} card: {'; '.join(problems)}")


def run_card_program(fields: CardFields) -> Run:
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


def output_value(stdout: str) -> str:
    """What a program printed, as a card's output: one line without its newline."""
    if stdout.count("\n") == 1 and stdout.endswith("\n"):
        return stdout[:-1]
    return stdout


def template(kind: Kind | None) -> str:
    """The program a new card of `kind` starts from."""
    return PREDICT_TEMPLATE if kind == Kind.PREDICT else WRITE_TEMPLATE


# -- edit: the card's text in the editor until it passes ---------------------------------------


@dataclass(frozen=True)
class Edited(Generic[T]):
    """How an edit ended: what `accept` made of the user's text (None: not accepted)."""

    accepted: T | None
    text: str  # the user's last text, accepted or not
    problem: str | None = None  # why the last text was refused
    unchanged: bool = False  # the user left the text as it was


def edit_until_accepted(
    text: str, note: str, accept: Callable[[str], T], ui: AuthoringPrompts, *, can_ask: bool
) -> Edited[T]:
    """Open `text` in the user's editor (with `note` above it) until `accept` takes what they
    wrote.

    `accept` raises QuizzerError (the reason, told to the user) to refuse a text; then the
    user is offered to edit it again, from their own text, when `can_ask` (a terminal).
    """
    original = text
    while True:
        text = ui.edit_text(text, note)
        if text.strip() == original.strip():
            return Edited(None, text, unchanged=True)
        try:
            return Edited(accept(text), text)
        except QuizzerError as error:
            problem = str(error)
        ui.tell(problem)
        try:
            again = can_ask and ui.confirm("Edit it again?", default=True)
        except EOFError:  # Ctrl-D at the question: no
            again = False
        if not again:
            return Edited(None, text, problem)
