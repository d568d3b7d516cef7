"""The questions `quizzer add` and `quizzer edit` ask in a terminal (questionary and $EDITOR),
and what they show: the terminal's side of quizzer.prompts.AuthoringPrompts.

Which field is asked when, and running or checking the card, is the authoring engine's
(quizzer.authoring); this module only asks and shows. Every question raises KeyboardInterrupt on
Ctrl-C and EOFError on Ctrl-D, as questionary's unsafe_ask does.
"""

from __future__ import annotations

import os
import re

import click
import questionary

from quizzer.model import ANSWER_SLOT, Card, Kind, Run
from quizzer.ui import render
from quizzer.ui.text import visible

EDITOR_NOTE = "# quizzer:"  # lines of the editor's template that are removed afterwards
MULTILINE_HINT = "(Esc then Enter to finish)"
NEW_SECTION = "+ a new section"
KIND_TITLES = {
    Kind.RECALL: "recall: shown, recalled and graded by you",
    Kind.WRITE: "write: the answer is code, run inside a program and judged by its output",
    Kind.PREDICT: "predict: say what a program prints",
}


def _not_blank(text: str) -> bool | str:
    return bool(text.strip()) or "Must not be empty"


def without_notes(text: str) -> str:
    """`text` less the editor's note lines (those starting with EDITOR_NOTE)."""
    return "".join(
        line for line in text.splitlines(keepends=True) if not line.startswith(EDITOR_NOTE)
    )


class TerminalAuthoring:
    """The authoring dialogues in a terminal."""

    def choose_section(self, names: list[str]) -> str:
        """One of the deck's sections, or the name of a new one."""
        if names:
            chosen: str = questionary.select("Section", choices=[*names, NEW_SECTION]).unsafe_ask()
            if chosen != NEW_SECTION:
                return chosen
        return self.ask_line("Name of the new section")

    def choose_kind(self) -> Kind:
        choices = [questionary.Choice(text, value=str(kind)) for kind, text in KIND_TITLES.items()]
        return Kind(questionary.select("Kind of card", choices=choices).unsafe_ask())

    def ask_line(self, message: str, default: str = "") -> str:
        """One line of text that is not blank, stripped."""
        answer: str = questionary.text(message, default=default, validate=_not_blank).unsafe_ask()
        return answer.strip()

    def ask_text(self, message: str, default: str = "", *, required: bool = False) -> str:
        """Text of any number of lines, as typed; not blank when `required`."""
        typed: str = questionary.text(
            message,
            default=default,
            multiline=True,
            instruction=MULTILINE_HINT,
            validate=_not_blank if required else None,
        ).unsafe_ask()
        return typed

    def ask_tags(self) -> list[str]:
        typed: str = questionary.text("Tags (optional; spaces or commas between)").unsafe_ask()
        return [tag for tag in re.split(r"[,\s]+", typed) if tag]

    def confirm(self, message: str, *, default: bool) -> bool:
        answer: bool = questionary.confirm(message, default=default).unsafe_ask()
        return answer

    def edit_code(self, message: str, code: str, kind: Kind) -> str:
        """Multi-line code: in $VISUAL/$EDITOR when one is set, else in a multi-line prompt."""
        if os.environ.get("VISUAL") or os.environ.get("EDITOR"):
            where = (
                f"Put {ANSWER_SLOT} alone on the line where the answer goes."
                if (kind != Kind.PREDICT)
                else "The user will be asked what it prints."
            )
            header = f"{EDITOR_NOTE} {message}. {where}\n{EDITOR_NOTE} These lines are removed.\n"
            edited = click.edit(header + code, extension=".py", require_save=False)
            lines = (edited or "").splitlines()
            body = "\n".join(line for line in lines if not line.startswith(EDITOR_NOTE))
            return body.strip("\n") + "\n"
        return self.ask_text(message, default=code).strip("\n") + "\n"

    def edit_text(self, text: str, note: str) -> str:
        """`text` as the user leaves it in $VISUAL, else $EDITOR, else a default editor; `note`
        is shown above it, in comment lines that are removed again."""
        header = "".join(f"{EDITOR_NOTE} {line}\n" for line in note.splitlines())
        edited = click.edit(header + text, extension=".toml", require_save=False)
        return without_notes(edited if edited is not None else header + text)

    def show_run(self, run: Run) -> None:
        """What the card's program did: its output, or how it failed."""
        render.console().print(render.run_report(run))

    def tell(self, message: str) -> None:
        """A line for the user that is not a question (on stderr, as plain text)."""
        click.echo(visible(message), err=True)  # it may quote a file name or a program

    def confirm_card(self, card: Card) -> bool:
        """Show the card as it will be saved; whether to save it."""
        out = render.console()
        out.print(render.card_panel(card), width=render.card_width(out))
        return self.confirm("Save this card?", default=True)
