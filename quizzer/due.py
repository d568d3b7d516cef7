"""What is due, and when: the one definition of "due" that study and stats share.

As in Anki, a study day starts at 4 am local time, a card in review is due for the whole study
day its due time falls in (its intervals are days), and a card in learning or relearning is due
at its due time to the minute. When nothing else is left, a session shows a learning card due
within the learn-ahead limit rather than ending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from quizzer.model import Card, CardState, Phase
from quizzer.store import Key, Record

DAY_STARTS_AT = time(hour=4)  # local time at which a study day starts
LEARNING_PHASES = frozenset({Phase.LEARNING, Phase.RELEARNING})


def start_of_day(now: datetime) -> datetime:
    """The start of the study day that contains `now`, in UTC: DAY_STARTS_AT, local time.

    As in Anki, a day starts at 4 in the morning, so a session past midnight still counts
    towards the evening's daily new-card limit.
    """
    local = now.astimezone()
    day = local.date() - timedelta(days=int(local.hour < DAY_STARTS_AT.hour))
    # A naive local time, so the offset is the one in force on that day (DST-safe).
    return datetime.combine(day, DAY_STARTS_AT).astimezone().astimezone(UTC)


def day_after(start: datetime, days: int) -> datetime:
    """The start of the study day `days` after the day starting at `start` (DST-safe)."""
    return start_of_day(start + timedelta(days=days, hours=12))


@dataclass(frozen=True)
class Today:
    """A moment and the end of its study day: what "due" is measured against."""

    now: datetime
    ends: datetime  # the start of the next study day

    @classmethod
    def at(cls, now: datetime) -> Today:
        return cls(now, day_after(start_of_day(now), 1))

    def is_due(self, state: CardState) -> bool:
        """Whether a reviewed card is due now: a learning one when its time has come, a
        review one on the day it falls due (overdue ones included)."""
        if state.phase in LEARNING_PHASES:
            return state.due <= self.now
        return state.due < self.ends

    def is_learning_later_today(self, state: CardState) -> bool:
        """A learning card that is not due yet but will be before the day ends."""
        return state.phase in LEARNING_PHASES and self.now < state.due < self.ends


def due_queue(
    cards: Sequence[Card],
    records: Mapping[Key, Record],
    now: datetime,
    *,
    new_allowed: int,
    limit: int | None = None,
) -> list[Card]:
    """The cards to study at `now`: due ones, most overdue first, then up to `new_allowed` new
    ones in deck order; at most `limit` in all. Cards with no record are new."""
    today = Today.at(now)
    due = [card for card in cards if card.key in records and today.is_due(records[card.key].state)]
    due.sort(key=lambda card: records[card.key].state.due)  # stable: ties keep deck order
    new = [card for card in cards if card.key not in records][: max(0, new_allowed)]
    queue = due + new
    return queue if limit is None else queue[:limit]
