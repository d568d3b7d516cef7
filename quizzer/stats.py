"""What `quizzer stats` reports: counts, what falls due, true retention, and the chart series.

"Due" is quizzer.due's, the one study uses, so the two always agree. Only the store is read:
no scheduler (fsrs) is loaded for stats.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta

from quizzer.due import LEARNING_PHASES, Today, day_after, start_of_day
from quizzer.model import Card, Grade, Phase
from quizzer.store import Store

RETENTION_WINDOW = timedelta(days=30)
FORECAST_DAYS = 7  # the days listed after "Due in the next days" (JSON `due_next_days`)
CHART_DAYS = 30  # the forecast chart: today and the 29 days after
HISTORY_DAYS = 91  # reviews per day: the last 13 weeks, today included
RETENTION_WEEKS = 12  # true retention by week


@dataclass(frozen=True)
class Counts:
    """Study numbers of a group of cards (a section, or all of them)."""

    cards: int = 0
    new: int = 0
    learning: int = 0  # learning or relearning
    review: int = 0
    due_review: int = 0  # review cards due today, overdue included
    due_learning: int = 0  # learning cards due now
    learning_later: int = 0  # learning cards due later today
    reviews: int = 0
    mature_reviews: int = 0  # reviews in the retention window of cards in the review phase
    recalled: int = 0  # ... of which were not graded Again

    @property
    def due(self) -> int:
        """What study would show now before new cards: review cards due today and learning
        cards due now."""
        return self.due_review + self.due_learning

    @property
    def retention(self) -> float | None:
        """True retention over the window: recalled / mature reviews (None: no such review)."""
        return self.recalled / self.mature_reviews if self.mature_reviews else None

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def to_dict(self) -> dict[str, object]:
        retention = self.retention
        return {
            "cards": self.cards,
            "new": self.new,
            "learning": self.learning,
            "review": self.review,
            "due": self.due,
            "reviews": self.reviews,
            "retention_30d": round(retention, 4) if retention is not None else None,
            "due_review": self.due_review,
            "due_learning": self.due_learning,
            "learning_later_today": self.learning_later,
        }


@dataclass(frozen=True)
class WeekRetention:
    """True retention of one week: reviews of cards in review, and how many were recalled."""

    start: datetime
    reviews: int
    recalled: int

    @property
    def retention(self) -> float | None:
        return self.recalled / self.reviews if self.reviews else None


@dataclass(frozen=True)
class Stats:
    """What `quizzer stats` reports."""

    total: Counts
    review_rows: int  # every review row in the database, of every deck
    forecast: list[tuple[datetime, int]]  # (start of day, cards due that day), the next days
    sections: list[tuple[str, str, Counts]]  # (deck, section, counts)
    due_by_day: list[tuple[datetime, int]]  # today (overdue included) and the 29 days after
    reviews_by_day: list[tuple[datetime, int]]  # the last HISTORY_DAYS days, today last
    retention_by_week: list[WeekRetention]  # the last RETENTION_WEEKS weeks, this one last

    def to_dict(self) -> dict[str, object]:
        return {
            **self.total.to_dict(),
            "reviews": self.review_rows,
            "due_next_days": _days(self.forecast, "due"),
            "sections": [
                {"deck": deck, "section": section, **counts.to_dict()}
                for deck, section, counts in self.sections
            ],
            "forecast": _days(self.due_by_day, "due"),
            "reviews_per_day": _days(self.reviews_by_day, "reviews"),
            "retention_by_week": [
                {
                    "week": _date(week.start),
                    "reviews": week.reviews,
                    "retention": round(r, 4) if (r := week.retention) is not None else None,
                }
                for week in self.retention_by_week
            ],
        }


def study_stats(cards: Sequence[Card], store: Store, now: datetime) -> Stats:
    """Counts of new, learning and review cards, what falls due, true retention, and the
    series of the charts."""
    decks = {card.deck for card in cards}
    records = store.records_of(card.key for card in cards)
    reviews = store.card_counts(decks, now - RETENTION_WINDOW)
    today = Today.at(now)
    start = start_of_day(now)
    # days[n] starts the n-th day from today; a due time before days[1] is due today.
    days = [day_after(start, n) for n in range(CHART_DAYS + 1)]
    bounds = [day.timestamp() for day in days]
    due_by_day = [0] * CHART_DAYS
    sections: dict[tuple[str, str], Counts] = {}
    for card in cards:
        record, counted = records.get(card.key), reviews.get(card.key)
        state = record.state if record else None
        if state is not None:
            day = bisect_right(bounds, state.due.timestamp()) - 1
            if day < CHART_DAYS:
                due_by_day[max(0, day)] += 1
        learning = state is not None and state.phase in LEARNING_PHASES
        counts = Counts(
            cards=1,
            new=int(state is None),
            learning=int(learning),
            review=int(state is not None and state.phase == Phase.REVIEW),
            due_review=int(state is not None and not learning and today.is_due(state)),
            due_learning=int(learning and state is not None and today.is_due(state)),
            learning_later=int(state is not None and today.is_learning_later_today(state)),
            reviews=counted.reviews if counted else 0,
            mature_reviews=counted.recent_mature if counted else 0,
            recalled=counted.recent_recalled if counted else 0,
        )
        place = (card.deck, card.section)
        sections[place] = sections.get(place, Counts()) + counts
    reviews_by_day, retention_by_week = _history(store, decks, start)
    return Stats(
        total=sum(sections.values(), Counts()),
        review_rows=store.review_count(),
        forecast=list(zip(days[1 : FORECAST_DAYS + 1], due_by_day[1:], strict=False)),
        sections=[(deck, section, counts) for (deck, section), counts in sections.items()],
        due_by_day=list(zip(days[:CHART_DAYS], due_by_day, strict=True)),
        reviews_by_day=reviews_by_day,
        retention_by_week=retention_by_week,
    )


def _history(
    store: Store, decks: set[str], today: datetime
) -> tuple[list[tuple[datetime, int]], list[WeekRetention]]:
    """Reviews per study day, and true retention per week (weeks end with today)."""
    days = [day_after(today, n) for n in range(1 - HISTORY_DAYS, 2)]
    weeks = [day_after(today, 1 - 7 * n) for n in range(RETENTION_WEEKS, -1, -1)]
    since = min(days[0], weeks[0])
    day_bounds = [day.timestamp() for day in days]
    week_bounds = [week.timestamp() for week in weeks]
    per_day = [0] * HISTORY_DAYS
    mature = [0] * RETENTION_WEEKS
    recalled = [0] * RETENTION_WEEKS
    for reviewed_at, phase_before, grade in store.review_log(decks, since):
        day = bisect_right(day_bounds, reviewed_at) - 1
        if 0 <= day < HISTORY_DAYS:
            per_day[day] += 1
        week = bisect_right(week_bounds, reviewed_at) - 1
        if 0 <= week < RETENTION_WEEKS and phase_before == Phase.REVIEW:
            mature[week] += 1
            recalled[week] += grade > Grade.AGAIN
    return (
        list(zip(days[:HISTORY_DAYS], per_day, strict=True)),
        [WeekRetention(weeks[n], mature[n], recalled[n]) for n in range(RETENTION_WEEKS)],
    )


def _date(day: datetime) -> str:
    return day.astimezone().date().isoformat()


def _days(series: Sequence[tuple[datetime, int]], name: str) -> list[dict[str, object]]:
    return [{"date": _date(day), name: value} for day, value in series]
