"""Renderings that commands print: the card listing."""

from __future__ import annotations

import io

from rich.console import Console

from quizzer.model import Card, Kind, Run, Verdict
from quizzer.ui.render import CARD_WIDTH, card_panel, card_rows, card_width, code, run_report
from quizzer.ui.text import fit_hint, visible

CARDS = [
    Card("d", "Task", "create-task", "Create a task from a coroutine object", "t", Kind.WRITE),
    Card("d", "Queues", "q", "Make a queue", "q", Kind.PREDICT),
]


def test_card_rows_align_columns_for_a_pipe() -> None:
    pipe = Console(file=io.StringIO(), width=30)
    assert card_rows(CARDS, pipe).splitlines() == [
        "id           kind     section  front",
        "create-task  write    Task     Create a task from a coroutine object",
        "q            predict  Queues   Make a queue",
    ]


def test_card_rows_fit_a_terminal_and_carry_styles() -> None:
    terminal = Console(file=io.StringIO(), width=40, force_terminal=True, color_system="standard")
    lines = card_rows(CARDS, terminal).splitlines()
    assert "\x1b[" in lines[1]
    plain = Console(file=io.StringIO(), width=40, force_terminal=True, color_system=None)
    row = card_rows(CARDS, plain).splitlines()[1]
    assert row == "create-task  write    Task     Create a…" and len(row) == 40


def test_card_rows_honour_no_color() -> None:
    terminal = Console(
        file=io.StringIO(), width=80, force_terminal=True, color_system="standard", no_color=True
    )
    listing = card_rows(CARDS, terminal)
    assert "\x1b[36m" not in listing  # no cyan kind
    assert "\x1b[1m" in listing  # bold stays: NO_COLOR is about colour only


def test_a_front_of_several_lines_is_listed_on_one() -> None:
    card = Card("d", "Task", "multi", "First line\n  second line", "t", Kind.RECALL)
    pipe = Console(file=io.StringIO(), width=80)
    assert card_rows([card], pipe).splitlines()[1].endswith("Task     First line second line")


def test_control_characters_are_shown_as_escapes() -> None:
    assert visible("\x1b]0;title\x07 \x1b[2J\x9b\r\n") == "\\x1b]0;title\\x07 \\x1b[2J\\x9b\\x0d\n"
    assert visible("tab\tnewline\né → ✓") == "tab\tnewline\né → ✓"


def test_what_a_program_printed_cannot_drive_the_terminal() -> None:
    run = Run(Verdict.OK, 0, "\x1b]0;owned\x07hello\n", "\x1b[2J", 0.1, False, "bwrap")
    out = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="standard")
    out.print(run_report(run))
    shown = out.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b]0;" not in shown and "\x1b[2J" not in shown
    assert "\\x1b]0;owned\\x07hello" in shown


LONG_LINE = (
    "async def main():\n"
    "    result = await asyncio.wait_for(fetch(first_argument, second_argument), timeout=5)\n"
    "    print(result)"
)


def test_a_wrapped_code_line_keeps_its_indent() -> None:
    screen = io.StringIO()
    Console(file=screen, width=40).print(code(LONG_LINE))
    lines = screen.getvalue().splitlines()
    assert lines[0] == "async def main():" and lines[-1] == "    print(result)"
    wrapped = lines[1:-1]
    assert len(wrapped) >= 2 and all(len(line) <= 40 for line in lines)
    assert wrapped[0].startswith("    result = ")
    # The continuation goes in further than its line, never back to column 0.
    assert all(line.startswith("      ") and line[6] != " " for line in wrapped[1:])
    assert "".join(line.strip() for line in wrapped).replace(" ", "") == (
        LONG_LINE.splitlines()[1].replace(" ", "")
    )


def test_card_panels_are_capped_at_a_readable_width() -> None:
    screen = io.StringIO()
    wide = Console(file=screen, width=220)
    wide.print(card_panel(CARDS[0]), width=card_width(wide))
    assert max(len(line) for line in screen.getvalue().splitlines()) == CARD_WIDTH
    narrow = Console(file=io.StringIO(), width=60)
    assert card_width(narrow) == 60


def test_a_hint_is_fitted_to_the_width_without_splitting_a_part() -> None:
    parts = ["1 Again 1m", "2 Hard 6m", "3 Good 10m", "4 Easy 8d", "Enter: Good", "q: quit"]
    lines = fit_hint(parts, 30)
    assert all(len(line) <= 30 for line in lines)
    assert " · ".join(lines).split(" · ") == parts
    assert fit_hint(parts, 200) == [" · ".join(parts)]
