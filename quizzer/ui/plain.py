"""Line-by-line prompts for when stdin is not a terminal: scripts and pipes can drive a session.

Every answer is one line, except code and predicted output, which end at the first empty line;
one that must hold empty lines goes between a line `<<<` and a line `>>>`. End of input counts as
`q`, so a script that stops writing ends the session cleanly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from quizzer.model import Card, Grade, Kind
from quizzer.prompts import Command, GradeOption, Judgement, Position
from quizzer.ui.text import grade_help, program_with_slot, visible

_GRADE_WORDS = {grade.name.lower(): grade for grade in Grade} | {
    grade.name[0].lower(): grade for grade in Grade
}
_COMMANDS = {str(command): command for command in Command}
BLOCK_START, BLOCK_END = "<<<", ">>>"  # around an answer that holds empty lines


class PlainPrompts:
    """The `Prompts` protocol over a text input and output, with no colour or cursor tricks."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self._in = stdin
        self._out = stdout

    def notice(self, text: str) -> None:
        self._say(text)

    def show_card(self, card: Card, position: Position) -> None:
        self._say()
        where = f"{card.deck} · {card.section} · {card.id} ({card.kind})"
        self._say(f"── {position.describe()} · {where}")
        self._say(card.front)
        if card.kind == Kind.WRITE and card.has_slot:
            self._say("Your code goes into this program:")
            self._say(_indent(program_with_slot(card)))
        elif card.kind == Kind.PREDICT and card.program:
            self._say(_indent(card.program.strip("\n")))

    def wait_reveal(self) -> Command | None:
        line = self._ask("[Enter] show the answer · u undo · q quit > ")
        if line is None:
            return Command.QUIT
        return _COMMANDS.get(line.strip().lower())

    def read_answer(self, card: Card) -> str | Command:
        what = "your code" if card.kind == Kind.WRITE else "what it prints"
        self._say(
            f"Type {what}; an empty line ends it, or put it between lines {BLOCK_START}"
            f" and {BLOCK_END} to keep empty lines (nothing: show me · u undo · q quit)."
        )
        lines: list[str] = []
        block = False  # between <<< and >>>: empty lines are part of the answer
        while True:
            line = self._ask("> " if not lines and not block else ". ")
            if line is None:
                return Command.QUIT if not lines and not block else "\n".join(lines)
            if block:
                if line.rstrip() == BLOCK_END:
                    return "\n".join(lines)
                lines.append(line)
                continue
            if not line.strip():
                return "\n".join(lines)
            if not lines and line.rstrip() == BLOCK_START:
                block = True
                continue
            if not lines and line.strip().lower() in _COMMANDS:
                return _COMMANDS[line.strip().lower()]
            lines.append(line)

    def show_judgement(self, judgement: Judgement) -> None:
        card = judgement.card
        if judgement.right is True:
            self._say("Right.")
        elif judgement.right is False and judgement.answer:
            self._say("Not right.")
            if judgement.detail:
                self._say(_indent(visible(judgement.detail)))
        if card.kind == Kind.PREDICT and judgement.output is not None:
            self._say("It prints:")
            self._say(_indent(visible(judgement.output.rstrip("\n")) or "(nothing)"))
        else:
            self._say("Answer:")
            self._say(_indent(card.back.strip("\n")))
        if card.note:
            self._say(f"Note: {card.note}")

    def choose_grade(self, options: Sequence[GradeOption], suggested: Grade) -> Grade | Command:
        prompt = f"Grade: {grade_help(options)} [Enter: {suggested.label} · u undo · q quit] > "
        while True:
            line = self._ask(prompt)
            if line is None:
                return Command.QUIT
            word = line.strip().lower()
            if not word:
                return suggested
            if word in _COMMANDS:
                return _COMMANDS[word]
            if word.isdigit() and 1 <= int(word) <= len(Grade):
                return Grade(int(word))
            if word in _GRADE_WORDS:
                return _GRADE_WORDS[word]
            self._say("Type 1-4 (or again, hard, good, easy), Enter, u or q.")

    def choose_answer(self, card: Card, choices: Sequence[str]) -> int | Command | None:
        for number, choice in enumerate(choices, start=1):
            first, *rest = choice.strip("\n").splitlines() or [""]
            self._say(f"  {number}) {first}")
            for more in rest:
                self._say(f"     {more}")
        while True:
            line = self._ask(f"Your choice (1-{len(choices)}; Enter: show me · u undo · q quit) > ")
            if line is None:
                return Command.QUIT
            word = line.strip().lower()
            if not word:
                return None
            if word in _COMMANDS:
                return _COMMANDS[word]
            if word.isdigit() and 1 <= int(word) <= len(choices):
                return int(word) - 1
            self._say(f"Type a number from 1 to {len(choices)}, Enter, u or q.")

    def confirm_right(self) -> bool | Command:
        while True:
            line = self._ask("Did you know it? [Y/n · q quit] > ")
            if line is None:
                return Command.QUIT
            word = line.strip().lower()
            if word in ("", "y", "yes"):
                return True
            if word in ("n", "no"):
                return False
            if word in _COMMANDS:
                return _COMMANDS[word]
            self._say("Type y or n (Enter: yes), or q.")

    def _say(self, text: str = "") -> None:
        self._out.write(visible(text) + "\n")
        self._out.flush()

    def _ask(self, prompt: str) -> str | None:
        """One line of input without its newline; None at end of input."""
        self._out.write(prompt)
        self._out.flush()
        line = self._in.readline()
        if not line:
            self._out.write("\n")
            return None
        return line.rstrip("\r\n")


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())
