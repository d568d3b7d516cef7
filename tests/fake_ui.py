"""A scripted stand-in for the terminal, implementing quizzer.prompts.Prompts for the engines.

It answers each prompt with the next scripted response (ENTER is Enter alone) and records what
the engine showed, so a test can drive a whole session and check what the user saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from quizzer.model import Card, Grade, Kind, Run
from quizzer.prompts import Command, GradeOption, Judgement, Position

ENTER = ""
INTERRUPT = "<ctrl-c>"  # the user presses Ctrl-C at this prompt


@dataclass
class FakeClock:
    """A clock that stands still, or moves `step` forward each time it is read."""

    now: datetime = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    step: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


@dataclass
class FakeUI:
    responses: list[object]
    shown: list[tuple[Card, Position]] = field(default_factory=list)
    judgements: list[Judgement] = field(default_factory=list)
    grade_prompts: list[tuple[list[GradeOption], Grade]] = field(default_factory=list)
    choice_prompts: list[tuple[Card, list[str]]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def shown_ids(self) -> list[str]:
        return [card.id for card, _ in self.shown]

    def _next(self, *prompt: object) -> object:
        """The next scripted response; a callable one is called with what the prompt shows."""
        if not self.responses:
            raise AssertionError("the engine asked for more input than the test scripted")
        response = self.responses.pop(0)
        if callable(response):
            response = response(*prompt)
        if response == INTERRUPT:
            raise KeyboardInterrupt
        return response

    def notice(self, text: str) -> None:
        self.notices.append(text)

    def show_card(self, card: Card, position: Position) -> None:
        self.shown.append((card, position))

    def wait_reveal(self) -> Command | None:
        response = self._next()
        assert response == ENTER or isinstance(response, Command), response
        return response if isinstance(response, Command) else None

    def read_answer(self, card: Card) -> str | Command:
        response = self._next()
        assert isinstance(response, str | Command), response
        return response

    def show_judgement(self, judgement: Judgement) -> None:
        self.judgements.append(judgement)

    def choose_grade(self, options: Sequence[GradeOption], suggested: Grade) -> Grade | Command:
        self.grade_prompts.append((list(options), suggested))
        response = self._next()
        if response == ENTER:
            return suggested
        assert isinstance(response, Grade | Command), response
        return response

    def choose_answer(self, card: Card, choices: Sequence[str]) -> int | Command | None:
        self.choice_prompts.append((card, list(choices)))
        response = self._next(card, list(choices))
        if response == ENTER:
            return None
        assert isinstance(response, int | Command), response
        return response

    def confirm_right(self) -> bool | Command:
        response = self._next()
        if response == ENTER:
            return True
        assert isinstance(response, bool | Command), response
        return response


@dataclass
class FakeAuthoring:
    """A scripted stand-in for quizzer.prompts.AuthoringPrompts: each question takes the next
    answer of `answers` (in the order asked); each editor session applies the next function of
    `edits` to the text it is given. What was told and edited is recorded."""

    answers: list[object] = field(default_factory=list)
    edits: list[object] = field(default_factory=list)
    told: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    edited_from: list[str] = field(default_factory=list)  # the text each editor session opened
    runs: list[object] = field(default_factory=list)

    def _next(self, question: str) -> object:
        self.asked.append(question)
        assert self.answers, f"nothing scripted for {question!r}"
        return self.answers.pop(0)

    def choose_section(self, names: list[str]) -> str:
        return str(self._next("section"))

    def choose_kind(self) -> Kind:
        return Kind(str(self._next("kind")))

    def ask_line(self, message: str, default: str = "") -> str:
        return str(self._next(message))

    def ask_text(self, message: str, default: str = "", *, required: bool = False) -> str:
        answer = self._next(message)
        return default if answer == ENTER else str(answer)

    def ask_tags(self) -> list[str]:
        return list(self._next("tags"))  # type: ignore[call-overload]

    def confirm(self, message: str, *, default: bool) -> bool:
        answer = self._next(message)
        return default if answer == ENTER else bool(answer)

    def edit_code(self, message: str, code: str, kind: Kind) -> str:
        return self.edit_text(code, message)

    def edit_text(self, text: str, note: str) -> str:
        self.edited_from.append(text)
        assert self.edits, "no editor session scripted"
        change = self.edits.pop(0)
        return change(text) if callable(change) else str(change)

    def show_run(self, run: Run) -> None:
        self.runs.append(run)

    def tell(self, message: str) -> None:
        self.told.append(message)

    def confirm_card(self, card: Card) -> bool:
        return bool(self._next("save"))
