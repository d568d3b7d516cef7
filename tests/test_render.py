"""Renderings that commands print: the card listing."""

from __future__ import annotations

import io

from rich.console import Console

from quizzer.model import Card, Kind
from quizzer.ui.render import card_rows

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
