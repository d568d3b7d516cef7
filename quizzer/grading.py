"""Record a grade and take it back: the one piece of review bookkeeping study and test share.

A `Gradebook` holds the stored records of a session's cards, schedules each grade with the
scheduler, saves it as one review in the store, and undoes the last one when asked. The study
engine (quizzer.study) and the test engine's --record (quizzer.quiz) both go through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from quizzer.model import CardState, Grade
from quizzer.schedule import Scheduler
from quizzer.store import Key, Record, Store


def record_grade(
    store: Store,
    scheduler: Scheduler,
    key: Key,
    before: Record | None,
    grade: Grade,
    now: datetime,
    *,
    outcome: CardState | None = None,
    duration_ms: int | None = None,
    source: str = "study",
) -> tuple[int, Record]:
    """Schedule and save one review; returns its id and the card's new record.

    When another session reviewed the card meanwhile, the grade is applied to the fresh state.
    """

    def reschedule(fresh: Record | None) -> CardState:
        return scheduler.review(fresh.state if fresh else None, grade, now)

    return store.record_review(
        key,
        before,
        outcome or reschedule(before),
        grade,
        now,
        duration_ms=duration_ms,
        source=source,
        reschedule=reschedule,
    )


class Gradebook:
    """The records of the cards `keys`, kept current as grades are given and undone."""

    def __init__(self, store: Store, scheduler: Scheduler, keys: Iterable[Key]) -> None:
        self.store = store
        self.scheduler = scheduler
        self.records: dict[Key, Record] = store.records_of(keys)

    def get(self, key: Key) -> Record | None:
        """The card's record, or None while it is new."""
        return self.records.get(key)

    def grade(
        self,
        key: Key,
        grade: Grade,
        now: datetime,
        *,
        outcome: CardState | None = None,
        duration_ms: int | None = None,
        source: str = "study",
    ) -> int:
        """Save `grade` for the card (scheduled as `outcome` when given); returns the review id."""
        review_id, record = record_grade(
            self.store,
            self.scheduler,
            key,
            self.records.get(key),
            grade,
            now,
            outcome=outcome,
            duration_ms=duration_ms,
            source=source,
        )
        self.records[key] = record
        return review_id

    def undo(self, key: Key, review_id: int) -> None:
        """Take back review `review_id` of the card; StaleRecord when it was reviewed since."""
        restored = self.store.undo(review_id)
        if restored is None:
            self.records.pop(key, None)
        else:
            self.records[key] = restored
