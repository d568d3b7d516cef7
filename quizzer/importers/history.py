"""Imported review history (Anki's revlog) into quizzer's review store.

Each card's state is rebuilt by replaying its reviews, oldest first, through quizzer's own FSRS
scheduler (quizzer.schedule), so the card goes on from where its history leaves it, scheduled
as every other card. Anki's own scheduling numbers (its intervals, ease factors, FSRS memory
state) are not carried over. Reviews at or before a card's last stored review are skipped, so a
second import adds only what is new and never rewrites history.
"""

from __future__ import annotations

from collections.abc import Iterable

from quizzer.importers import ImportedReview
from quizzer.schedule import Scheduler
from quizzer.store import Store

SOURCE = "anki"  # the review log's `source` column for imported reviews


def new_reviews(store: Store, deck: str, cards: Iterable[tuple[str, list[ImportedReview]]]) -> int:
    """How many of the reviews `import_reviews` would add (for a dry run); nothing is written."""
    count = 0
    for card_id, reviews in cards:
        record = store.record((deck, card_id))
        last = record.state.last_review if record else None
        count += sum(1 for review in reviews if last is None or review.reviewed_at > last)
    return count


def import_reviews(
    store: Store,
    deck: str,
    cards: Iterable[tuple[str, list[ImportedReview]]],
    *,
    retention: float,
) -> int:
    """Add the reviews of each (card id, reviews) of `deck` that the store does not have yet;
    returns how many were added."""
    scheduler = Scheduler(retention, fuzzing=False)  # replayed, so the same on every machine
    added = 0
    for card_id, reviews in cards:
        key = (deck, card_id)
        record = store.record(key)
        last = record.state.last_review if record else None
        for review in sorted(reviews, key=lambda r: r.reviewed_at):
            if last is not None and review.reviewed_at <= last:
                continue
            after = scheduler.review(
                record.state if record else None, review.grade, review.reviewed_at
            )
            _id, record = store.record_review(
                key,
                record,
                after,
                review.grade,
                review.reviewed_at,
                duration_ms=review.duration_ms,
                source=SOURCE,
            )
            last = review.reviewed_at
            added += 1
    return added
