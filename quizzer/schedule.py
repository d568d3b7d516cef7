"""Spaced repetition: a thin wrapper over the `fsrs` scheduler.

The rest of quizzer sees plain frozen `CardState` values and `Grade`s (quizzer.model); only this
module talks to fsrs. Time is always timezone-aware UTC and passed in, never read from the system
clock here. fsrs is imported when a Scheduler is made, not with this module, so that commands
that only read review state (`quizzer stats`) never load it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from quizzer.model import CardState, Grade, Phase

if TYPE_CHECKING:
    import fsrs

Clock = Callable[[], datetime]  # what the engines read the time from: utc_now, or a test's
DEFAULT_RETENTION = 0.9
RETENTION_RANGE = (0.7, 0.99)  # outside it fsrs gives intervals no one would want
_FSRS_CARD_ID = 1  # fsrs wants an int id; quizzer's identity is (deck, id), kept by the store


class Scheduler:
    """Turns a card's state and a grade into its next state, as fsrs schedules it."""

    def __init__(
        self, desired_retention: float = DEFAULT_RETENTION, *, fuzzing: bool = True
    ) -> None:
        import fsrs

        low, high = RETENTION_RANGE
        if not low <= desired_retention <= high:
            raise ValueError(f"desired retention must be in [{low}, {high}]")
        self._fsrs = fsrs.Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzzing)

    @property
    def desired_retention(self) -> float:
        return self._fsrs.desired_retention

    @property
    def fuzzing(self) -> bool:
        return self._fsrs.enable_fuzzing

    def review(self, state: CardState | None, grade: Grade, now: datetime) -> CardState:
        """The state after grading a card (`state` None: a new card) at `now`."""
        import fsrs

        _check_utc(now)
        card = _to_fsrs(state, now)
        reviewed, _log = self._fsrs.review_card(card, fsrs.Rating(int(grade)), now)
        return _from_fsrs(reviewed)

    def outcomes(self, state: CardState | None, now: datetime) -> dict[Grade, CardState]:
        """The state each grade would give at `now`, computed once so that the interval shown
        for a grade is the one applied (fuzzing is random)."""
        return {grade: self.review(state, grade, now) for grade in Grade}

    def retrievability(self, state: CardState | None, now: datetime) -> float | None:
        """The chance, as fsrs models it, of recalling the card at `now` (None: a new card)."""
        if state is None or state.stability is None:
            return None
        _check_utc(now)
        return float(self._fsrs.get_card_retrievability(_to_fsrs(state, now), now))


def utc_now() -> datetime:
    """The real clock, in UTC: the default clock of the engines."""
    return datetime.now(UTC)


def _check_utc(moment: datetime) -> None:
    if moment.utcoffset() != timedelta(0):
        raise ValueError(f"{moment!r} is not a UTC time")


def _to_fsrs(state: CardState | None, now: datetime) -> fsrs.Card:
    import fsrs

    if state is None:
        return fsrs.Card(card_id=_FSRS_CARD_ID, due=_as_utc(now))
    return fsrs.Card(
        card_id=_FSRS_CARD_ID,
        state=fsrs.State(int(state.phase)),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=_as_utc(state.due),
        last_review=_as_utc(state.last_review) if state.last_review else None,
    )


def _from_fsrs(card: fsrs.Card) -> CardState:
    return CardState(
        phase=Phase(int(card.state)),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def _as_utc(moment: datetime) -> datetime:
    # fsrs compares tzinfo with `is UTC`-like equality; normalise every UTC offset.
    return moment.astimezone(UTC)
