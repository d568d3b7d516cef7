"""The interactive terminal UI: cards drawn with rich, answers read with questionary.

Enter alone always moves on. As in Anki, revealing a card and grading it take one key each
(Space or Enter reveals; 1-4 grade at once, Enter takes the suggested grade; u undoes; q quits).
Code is typed in a multi-line editor that submits on Enter at an empty line (or Esc then Enter
at any point), so an empty answer ("show me") is one Enter.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import questionary
from prompt_toolkit.application import Application
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout import Layout, Window
from prompt_toolkit.layout.controls import FormattedTextControl
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import Output, create_output
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from quizzer.model import Card, Grade, Kind
from quizzer.prompts import Command, GradeOption, Judgement, Position
from quizzer.ui import render
from quizzer.ui.text import fit_hint, format_interval, grade_hints, program_with_slot, visible

CODE_HINTS = ["an empty line or Esc Enter submits", "nothing: show me", "u: undo", "q: quit"]
_SHOW_ME = "show-me"  # questionary treats a None value as "use the title"
_COMMANDS = {str(command): command for command in Command}
_COMMAND_KEYS = {"u": Command.UNDO, "U": Command.UNDO, "q": Command.QUIT, "Q": Command.QUIT}
_COMMAND_HINTS = ["u: undo", "q: quit"]
_T = TypeVar("_T")


class TerminalPrompts:
    """The `Prompts` protocol in a real terminal. `stderr=True` keeps stdout free for --json."""

    def __init__(self, *, stderr: bool = False) -> None:
        self.console = render.error_console() if stderr else render.console()
        self._prompt_options: dict[str, Any] = {}
        self._output: Output | None = None
        if stderr:
            self._output = create_output(stdout=sys.stderr)
            self._prompt_options["output"] = self._output

    def notice(self, text: str) -> None:
        self.console.print(text, style="yellow", markup=False)

    def show_card(self, card: Card, position: Position) -> None:
        width = render.card_width(self.console)
        self.console.print()
        rule = Rule(Text(position.describe(), style="dim"), align="left", style="dim")
        self.console.print(rule, width=width)
        parts: list[RenderableType] = [Text(card.front, style="bold")]
        if card.kind == Kind.WRITE and card.has_slot:
            parts += [
                Text("\nYour code goes into this program:", style="dim"),
                render.code(program_with_slot(card)),
            ]
        elif card.kind == Kind.PREDICT and card.program:
            # The front asks the question; the program follows it, not a second question.
            parts += [Text(""), render.code(card.program)]
        self.console.print(
            Panel(
                Group(*parts),
                title=render.card_title(card),
                subtitle=Text(str(card.kind)),
                title_align="left",
                width=width,
            )
        )

    def wait_reveal(self) -> Command | None:
        keys: dict[str, None] = {"enter": None, " ": None}
        hints = ["Space/Enter: show the answer", *_COMMAND_HINTS]
        return self._read_key([hints], keys, lambda _: "answer shown")

    def read_answer(self, card: Card) -> str | Command:
        code = card.kind == Kind.WRITE
        hint = fit_hint(CODE_HINTS, max(20, self.console.width - 2))
        question = questionary.text(
            "Your code" if code else "Its output",
            multiline=True,
            instruction="\n  ".join(["", *hint]) + "\n> ",
            qmark="›",
            lexer=PygmentsLexer.from_filename("answer.py") if code else None,
            key_bindings=_submit_on_empty_line(),
            **self._prompt_options,
        )
        answer = _ask(question)
        if isinstance(answer, Command):
            return answer
        text = str(answer).rstrip()
        command = _COMMANDS.get(text.strip().lower())
        return command if command is not None and "\n" not in text else text

    def show_judgement(self, judgement: Judgement) -> None:
        card = judgement.card
        parts: list[RenderableType] = []
        if judgement.right is True:
            parts.append(Text("✓ Right", style="green bold"))
        elif judgement.right is False and judgement.answer:
            parts.append(Text("✗ Not right", style="red bold"))
            if judgement.detail:
                parts.append(render.code(judgement.detail, language="diff"))
        if card.kind == Kind.PREDICT and judgement.output is not None:
            parts += [
                Text("It prints", style="cyan bold"),
                Text(visible(judgement.output.rstrip("\n")) or "(nothing)"),
            ]
        else:
            parts += [Text("Answer", style="green bold"), render.code(card.back)]
        if card.note:
            parts += [Text("Note", style="yellow bold"), Text(card.note)]
        self.console.print(
            Panel(Group(*parts), border_style="dim", width=render.card_width(self.console))
        )

    def choose_grade(self, options: Sequence[GradeOption], suggested: Grade) -> Grade | Command:
        hints = grade_hints(options)
        hints[0] = f"Grade: {hints[0]}"
        commands = [f"Enter: {suggested.label}", *_COMMAND_HINTS]
        keys = {str(int(o.grade)): o.grade for o in options} | {"enter": suggested}
        intervals = {o.grade: format_interval(o.interval) for o in options}
        return self._read_key(
            [hints, commands], keys, lambda grade: f"Grade: {grade.label} ({intervals[grade]})"
        )

    def choose_answer(self, card: Card, choices: Sequence[str]) -> int | Command | None:
        for number, choice in enumerate(choices, start=1):
            self.console.print(Text(f"{number})", style="bold"), render.code(choice))
        picks = [
            questionary.Choice(str(number), value=number - 1, shortcut_key=str(number))
            for number in range(1, len(choices) + 1)
        ]
        show_me = questionary.Choice("show me", value=_SHOW_ME, shortcut_key="s")
        answer = _ask(
            questionary.select(
                "Which one is it?",
                choices=[show_me, *picks, *_command_choices()],
                default=show_me,
                use_shortcuts=True,
                qmark="›",
                instruction=f"(1-{len(choices)} or arrows, then Enter; Enter alone: show me)",
                **self._prompt_options,
            )
        )
        if answer == _SHOW_ME:
            return None
        return answer if isinstance(answer, Command) else int(answer)

    def confirm_right(self) -> bool | Command:
        yes = questionary.Choice("yes", value=True, shortcut_key="y")
        answer = _ask(
            questionary.select(
                "Did you know it?",
                choices=[
                    yes,
                    questionary.Choice("no", value=False, shortcut_key="n"),
                    *_command_choices(),
                ],
                default=yes,
                use_shortcuts=True,
                qmark="›",
                instruction="(y/n, then Enter; Enter alone: yes)",
                **self._prompt_options,
            )
        )
        return answer if isinstance(answer, Command) else bool(answer)

    def _read_key(
        self,
        hints: Sequence[Sequence[str]],
        keys: Mapping[str, _T],
        done: Callable[[_T], str],
    ) -> _T | Command:
        """Wait for one of `keys`, or u or q (no Enter after it); return what it stands for.

        Each group of hints starts a line and is fitted to the terminal's width; once a key is
        pressed they give way to one line that says what it did (`done`). Ctrl-D is
        Command.QUIT; Ctrl-C raises KeyboardInterrupt, as in the other prompts.
        """
        width = max(20, self.console.width - 2)
        lines = [line for group in hints for line in fit_hint(group, width)]
        said: list[str] = []

        def text() -> StyleAndTextTuples:
            if said:
                return [("fg:ansicyan", "› "), ("", said[0])]
            parts: StyleAndTextTuples = [("fg:ansicyan", "› "), ("bold", lines[0])]
            parts += [("fg:ansibrightblack", f"\n  {line}") for line in lines[1:]]
            return parts

        def finish(event: KeyPressEvent, value: _T | Command) -> None:
            said.append(str(value.name.lower()) if isinstance(value, Command) else done(value))
            event.app.exit(result=value)

        bindings = KeyBindings()
        every: dict[str, _T | Command] = {**keys, **_COMMAND_KEYS}
        for key, value in every.items():
            bindings.add(key)(lambda event, value=value: finish(event, value))
        bindings.add("c-d")(lambda event: finish(event, Command.QUIT))

        @bindings.add("c-c")
        def _interrupt(event: KeyPressEvent) -> None:
            event.app.exit(exception=KeyboardInterrupt())

        control = FormattedTextControl(text, show_cursor=False)
        app: Application[_T | Command] = Application(
            layout=Layout(Window(control, dont_extend_height=True, wrap_lines=True)),
            key_bindings=bindings,
            output=self._output,
        )
        return app.run()


def _ask(question: questionary.Question) -> Any:
    """The answer, or Command.QUIT for Ctrl-D (end of input), as the plain UI takes it.

    Ctrl-C is left to raise KeyboardInterrupt, which the engines catch.
    """
    try:
        return question.unsafe_ask()
    except EOFError:
        return Command.QUIT


def _command_choices() -> list[questionary.Choice]:
    return [
        questionary.Choice("undo the last grade", value=Command.UNDO, shortcut_key="u"),
        questionary.Choice(
            "quit (every grade given is saved)", value=Command.QUIT, shortcut_key="q"
        ),
    ]


def _submit_on_empty_line() -> KeyBindings:
    """Enter submits when the text is empty or the cursor ends on a blank line; else it opens
    a new line, indented like the last one (one level more after a colon)."""
    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        document = buffer.document
        at_end = document.is_cursor_at_the_end
        line = document.current_line
        if not buffer.text.strip() or (at_end and not line.strip()):
            buffer.text = buffer.text.rstrip()
            buffer.validate_and_handle()
            return
        if at_end and buffer.text.strip().lower() in _COMMANDS and "\n" not in buffer.text:
            buffer.validate_and_handle()
            return
        indent = line[: len(line) - len(line.lstrip())]
        if line.rstrip().endswith(":"):
            indent += "    "
        buffer.insert_text("\n" + indent)

    return bindings
