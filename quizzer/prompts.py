"""The small protocols between the engines and a user interface.

The engines (quizzer.study, quizzer.quiz) define `Prompts` here, call its methods and never
print or read anything themselves; `quizzer.ui.terminal` (rich + questionary) and
`quizzer.ui.plain` (line by line, for pipes and scripts) implement it. `AuthoringPrompts` is the
same for the dialogues of `add` and `edit` (quizzer.authoring), implemented by
`quizzer.ui.add_prompts`. This module imports no UI library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from quizzer.model import Card, Grade, Kind, Run
from quizzer.model import Judgement as Judgement  # the engines' verdict, shown by a UI


class Command(StrEnum):
    """What a user can type instead of an answer, anywhere in a session."""

    UNDO = "u"  # take back the last grade
    QUIT = "q"  # end the session; everything graded is already saved


@dataclass(frozen=True)
class Position:
    """Where the session is, for the progress line."""

    number: int  # this card's place, from 1
    total: int  # cards in the session, as far as known now
    due_left: int | None = None  # due cards waiting after this one (study)
    new_left: int | None = None  # new cards waiting after this one (study)
    right_so_far: int | None = None  # right answers before this card (test)
    learning_left: int = 0  # learning cards not due yet that come back in this session (study)

    def describe(self) -> str:
        """The progress line: "card 3 of 10 · 4 due and 2 new after this" (", 2 new and 1
        learning" when learning cards come back later in the session)."""
        text = f"card {self.number} of {self.total}"
        if self.due_left is not None and self.learning_left:
            text += (
                f" · {self.due_left} due, {self.new_left} new"
                f" and {self.learning_left} learning after this"
            )
        elif self.due_left is not None:
            text += f" · {self.due_left} due and {self.new_left} new after this"
        if self.right_so_far is not None:
            text += f" · {self.right_so_far} right so far"
        return text


@dataclass(frozen=True)
class GradeOption:
    """One grade the user can give, with the interval it would schedule."""

    grade: Grade
    interval: timedelta


class Prompts(Protocol):
    """What the engines need from a user interface.

    Every prompt returns a Command when the user typed `u` or `q`; Enter alone always moves on
    (reveal, accept the suggestion). End of input (Ctrl-D) is Command.QUIT; Ctrl-C raises
    KeyboardInterrupt, which the engines catch.
    """

    def notice(self, text: str) -> None:
        """Show one line of information."""

    def show_card(self, card: Card, position: Position) -> None:
        """Show the question side of `card` (with its program for write and predict cards)."""

    def wait_reveal(self) -> Command | None:
        """Wait for Enter before the answer is shown (None), or a command."""

    def read_answer(self, card: Card) -> str | Command:
        """Read code (write) or predicted output (predict); "" means "show me"."""

    def show_judgement(self, judgement: Judgement) -> None:
        """Show whether the answer was right, the diff, and the card's answer."""

    def choose_grade(self, options: Sequence[GradeOption], suggested: Grade) -> Grade | Command:
        """Ask for a grade; Enter alone gives `suggested`."""

    def choose_answer(self, card: Card, choices: Sequence[str]) -> int | Command | None:
        """Multiple choice: the index picked, or None ("show me", what Enter alone gives)."""

    def confirm_right(self) -> bool | Command:
        """Ask whether a self-graded answer was right; Enter alone means yes."""


class AuthoringPrompts(Protocol):
    """What the authoring engine (quizzer.authoring: the dialogues of `add` and `edit`) needs
    from a user interface. Ctrl-C raises KeyboardInterrupt and Ctrl-D EOFError, from any of them.
    """

    def choose_section(self, names: list[str]) -> str:
        """One of the deck's sections `names`, or the name of a new one."""

    def choose_kind(self) -> Kind:
        """The kind of the new card."""

    def ask_line(self, message: str, default: str = "") -> str:
        """One line of text that is not blank, stripped."""

    def ask_text(self, message: str, default: str = "", *, required: bool = False) -> str:
        """Text of any number of lines, as typed; not blank when `required`."""

    def ask_tags(self) -> list[str]:
        """The card's tags (none is fine)."""

    def confirm(self, message: str, *, default: bool) -> bool:
        """A yes or no question."""

    def edit_code(self, message: str, code: str, kind: Kind) -> str:
        """The card's program, as the user writes or fixes it from `code`."""

    def edit_text(self, text: str, note: str) -> str:
        """`text` (a card's TOML table) as the user leaves it in their editor, where `note`
        (lines that say what is edited) is shown above it, then taken out again."""

    def show_run(self, run: Run) -> None:
        """What the card's program did: its output, or how it failed."""

    def tell(self, message: str) -> None:
        """A line for the user that is not a question."""

    def confirm_card(self, card: Card) -> bool:
        """Show the card as it will be saved; whether to save it."""
