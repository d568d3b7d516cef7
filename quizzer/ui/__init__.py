"""Terminal rendering (rich) and prompts (questionary), with a plain mode for pipes."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quizzer.prompts import Prompts


def open_prompts(*, to_stderr: bool = False) -> Prompts:
    """The terminal UI when stdin and the output are terminals, else the plain line-by-line one.

    `to_stderr` sends everything the UI writes to stderr, so stdout carries only --json.
    """
    output = sys.stderr if to_stderr else sys.stdout
    if sys.stdin.isatty() and output.isatty():
        from quizzer.ui.terminal import TerminalPrompts

        return TerminalPrompts(stderr=to_stderr)
    from quizzer.ui.plain import PlainPrompts

    return PlainPrompts(sys.stdin, output)
