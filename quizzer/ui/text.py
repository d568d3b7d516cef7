"""Plain-text formatting shared by both UIs and the commands: intervals, durations, grades.

No UI library here, so the plain UI and the commands' summaries can use it without rich.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from quizzer.model import ANSWER_SLOT, Card

if TYPE_CHECKING:
    from quizzer.prompts import GradeOption

SLOT_MARK = "▶ your code here"

# Every control character but tab and newline, as its escape. What a program prints is
# untrusted: it must not drive the terminal (colours, clearing it, setting its title).
_CONTROLS = (*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))
_ESCAPES = {code: f"\\x{code:02x}" for code in _CONTROLS}


def visible(text: str) -> str:
    """`text` with its control characters (but tab and newline) shown as escapes."""
    return text.translate(_ESCAPES)


def format_interval(interval: timedelta) -> str:
    """A short human interval: 45s, 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = round(max(0.0, interval.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if round(seconds / 60) < 60:
        return f"{round(seconds / 60)}m"
    if round(seconds / 3600) < 24:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if round(days) < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")


def format_duration(seconds: float) -> str:
    """How long a session took: '45s', or '3m 07s'."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest}s"


def format_percent(value: float | None) -> str:
    """'87%', or '-' when there is nothing to measure."""
    return "-" if value is None else f"{value:.0%}"


def program_with_slot(card: Card) -> str:
    """The card's program with its {{answer}} line shown as the place the user's code goes."""
    program = (card.program or "").strip("\n")
    return program.replace(ANSWER_SLOT, SLOT_MARK)


def grade_hints(options: Sequence[GradeOption]) -> list[str]:
    """['1 Again 1m', '2 Hard 6m', '3 Good 10m', '4 Easy 8d']."""
    return [f"{int(o.grade)} {o.grade.label} {format_interval(o.interval)}" for o in options]


def grade_help(options: Sequence[GradeOption]) -> str:
    """'1 Again 1m · 2 Hard 6m · 3 Good 10m · 4 Easy 8d'."""
    return " · ".join(grade_hints(options))


def fit_hint(parts: Sequence[str], width: int, separator: str = " · ") -> list[str]:
    """`parts` joined by `separator` into as few lines as fit in `width` columns; a part is
    never split (one longer than `width` has a line of its own)."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(separator) + len(part) <= width:
            lines[-1] += separator + part
        else:
            lines.append(part)
    return lines
