"""The study engine: the due queue, the daily new-card limit, judging answers, recording grades.

It takes the UI (`quizzer.prompts.Prompts`), the store, the scheduler and the clock as
arguments and has no I/O of its own. Answers are judged by running them in the sandbox, through
quizzer.judge; nothing typed ever runs in this process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, time, timedelta

from quizzer.judge import judge_answer, runs_answers
from quizzer.model import Card, CardState, Grade, Phase
from quizzer.prompts import Command, GradeOption, Judgement, Position, Prompts
from quizzer.schedule import DEFAULT_RETENTION, RETENTION_RANGE, Scheduler, utc_now
from quizzer.store import Key, Record, StaleRecord, StorageError, Store

Clock = Callable[[], datetime]
DEFAULT_NEW_PER_DAY = 20
DAY_STARTS_AT = time(hour=4)  # local time at which a study day starts


@dataclass(frozen=True)
class StudySummary:
    """How a study session went."""

    reviewed: int
    right: int  # graded better than Again
    seconds: float
    next_due: datetime | None  # the earliest due time among the session's cards, after it
    stopped: bool  # ended by the user before the queue ran out
    left: int  # cards that were still waiting

    def to_dict(self) -> dict[str, object]:
        return {
            "reviewed": self.reviewed,
            "right": self.right,
            "seconds": round(self.seconds, 1),
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "stopped": self.stopped,
            "left": self.left,
        }


@dataclass(frozen=True)
class _Graded:
    card: Card
    review_id: int
    right: bool


def start_of_day(now: datetime) -> datetime:
    """The start of the study day that contains `now`, in UTC: DAY_STARTS_AT, local time.

    As in Anki, a day starts at 4 in the morning, so a session past midnight still counts
    towards the evening's daily new-card limit.
    """
    local = now.astimezone()
    day = local.date() - timedelta(days=int(local.hour < DAY_STARTS_AT.hour))
    # A naive local time, so the offset is the one in force on that day (DST-safe).
    return datetime.combine(day, DAY_STARTS_AT).astimezone().astimezone(UTC)


def due_queue(
    cards: Sequence[Card],
    records: dict[Key, Record],
    now: datetime,
    *,
    new_allowed: int,
    limit: int | None = None,
) -> list[Card]:
    """The cards to study at `now`: due ones, most overdue first, then up to `new_allowed` new
    ones in deck order; at most `limit` in all. Cards with no record are new."""
    due = [card for card in cards if card.key in records and records[card.key].state.due <= now]
    due.sort(key=lambda card: records[card.key].state.due)  # stable: ties keep deck order
    new = [card for card in cards if card.key not in records][: max(0, new_allowed)]
    queue = due + new
    return queue if limit is None else queue[:limit]


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


class StudySession:
    """One sitting of `quizzer study` over `cards`."""

    def __init__(
        self,
        cards: Sequence[Card],
        store: Store,
        scheduler: Scheduler,
        ui: Prompts,
        *,
        clock: Clock = utc_now,
        limit: int | None = None,
        new_per_day: int = DEFAULT_NEW_PER_DAY,
    ) -> None:
        self.cards = list(cards)
        self.store = store
        self.scheduler = scheduler
        self.ui = ui
        self.clock = clock
        self.limit = limit
        self.new_per_day = new_per_day
        self._records: dict[Key, Record] = {}
        self._queue: deque[Card] = deque()
        self._done: list[_Graded] = []

    def run(self) -> StudySummary:
        """Study until the queue is empty, the limit is reached, or the user quits."""
        started = self.clock()
        keys = [card.key for card in self.cards]
        decks = {card.deck for card in self.cards}
        self._records = self.store.records(decks)
        # The new-card limit is per day across the decks, whichever section was studied.
        introduced = self.store.introduced_since(decks, start_of_day(started))
        self._queue = deque(
            due_queue(
                self.cards,
                self._records,
                started,
                new_allowed=self.new_per_day - introduced,
                limit=self.limit,
            )
        )
        stopped = False
        try:
            while True:
                if not self._queue:
                    self._queue.extend(self._due_again())
                if not self._queue or (self.limit is not None and len(self._done) >= self.limit):
                    break
                step = self._study(self._queue[0])
                if step is Command.QUIT:
                    stopped = True
                    break
                if step is Command.UNDO:
                    self._undo()
                    continue
                assert isinstance(step, _Graded)
                self._queue.popleft()
                self._done.append(step)
        except KeyboardInterrupt:
            stopped = True
        except StorageError as error:  # another quizzer holds it, the disk is full...
            # Every grade before this one is saved; end with the summary, not a lost session.
            self.ui.notice(f"{error} (the grade of the card on screen was not saved)")
            stopped = True
        return StudySummary(
            reviewed=len(self._done),
            right=sum(graded.right for graded in self._done),
            seconds=(self.clock() - started).total_seconds(),
            next_due=self._next_due(keys),
            stopped=stopped and bool(self._queue),
            left=len(self._queue),
        )

    def _study(self, card: Card) -> _Graded | Command:
        shown = self.clock()
        self.ui.show_card(card, self._position())
        if runs_answers(card):
            answer = self.ui.read_answer(card)
            if isinstance(answer, Command):
                return answer
            judgement = judge_answer(card, answer)
        else:
            command = self.ui.wait_reveal()
            if command is not None:
                return command
            judgement = Judgement(card, "", None)
        self.ui.show_judgement(judgement)

        now = self.clock()
        before = self._records.get(card.key)
        outcomes = self.scheduler.outcomes(before.state if before else None, now)
        options = [GradeOption(grade, outcomes[grade].due - now) for grade in Grade]
        suggested = Grade.AGAIN if judgement.right is False else Grade.GOOD
        grade = self.ui.choose_grade(options, suggested)
        if isinstance(grade, Command):
            return grade
        review_id, record = record_grade(
            self.store,
            self.scheduler,
            card.key,
            before,
            grade,
            now,
            outcome=outcomes[grade],
            duration_ms=_milliseconds(self.clock() - shown),
        )
        self._records[card.key] = record
        return _Graded(card, review_id, grade > Grade.AGAIN)

    def _undo(self) -> None:
        if not self._done:
            self.ui.notice("Nothing to undo yet.")
            return
        last = self._done[-1]
        try:
            restored = self.store.undo(last.review_id)
        except StaleRecord as error:
            self.ui.notice(str(error))
            return
        self._done.pop()
        if restored is None:
            self._records.pop(last.card.key, None)
        else:
            self._records[last.card.key] = restored
        while last.card in self._queue:
            self._queue.remove(last.card)
        self._queue.appendleft(last.card)
        self.ui.notice(f"Undone: the grade of {last.card.id!r}; here it is again.")

    def _due_again(self) -> list[Card]:
        """Cards graded in this session that are due again already (learning steps)."""
        now, seen, found = self.clock(), set(), []
        for graded in self._done:
            card = graded.card
            record = self._records.get(card.key)
            if card.key not in seen and record is not None and record.state.due <= now:
                found.append(card)
            seen.add(card.key)
        return found

    def _position(self) -> Position:
        waiting = list(self._queue)[1:]
        due = sum(1 for card in waiting if card.key in self._records)
        return Position(
            number=len(self._done) + 1,
            total=len(self._done) + len(self._queue),
            due_left=due,
            new_left=len(waiting) - due,
        )

    def _next_due(self, keys: Collection[Key]) -> datetime | None:
        dues = [self._records[key].state.due for key in keys if key in self._records]
        return min(dues, default=None)


def _milliseconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


RETENTION_SETTING = "desired_retention"
RETENTION_WINDOW = timedelta(days=30)
FORECAST_DAYS = 7


def desired_retention(store: Store, override: float | None = None) -> float:
    """The desired retention: `override` (then kept for later sessions), else the stored one."""
    if override is not None:
        store.set_setting(RETENTION_SETTING, repr(override))
        return override
    try:
        stored = float(store.setting(RETENTION_SETTING) or DEFAULT_RETENTION)
    except ValueError:
        return DEFAULT_RETENTION
    low, high = RETENTION_RANGE
    # A value edited in by hand (or nan) must not stop every later session.
    return stored if low <= stored <= high else DEFAULT_RETENTION


@dataclass(frozen=True)
class Counts:
    """Study numbers of a group of cards (a section, or all of them)."""

    cards: int = 0
    new: int = 0
    learning: int = 0  # learning or relearning
    review: int = 0
    due: int = 0  # due by the end of today, overdue included
    reviews: int = 0
    mature_reviews: int = 0  # reviews in the retention window of cards in the review phase
    recalled: int = 0  # ... of which were not graded Again

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
        }


@dataclass(frozen=True)
class Stats:
    """What `quizzer stats` reports."""

    total: Counts
    review_rows: int  # every review row in the database, of every deck
    forecast: list[tuple[datetime, int]]  # (start of day, cards due that day), the next days
    sections: list[tuple[str, str, Counts]]  # (deck, section, counts)

    def to_dict(self) -> dict[str, object]:
        return {
            **self.total.to_dict(),
            "reviews": self.review_rows,
            "due_next_days": [
                {"date": day.astimezone().date().isoformat(), "due": due}
                for day, due in self.forecast
            ],
            "sections": [
                {"deck": deck, "section": section, **counts.to_dict()}
                for deck, section, counts in self.sections
            ],
        }


def study_stats(cards: Sequence[Card], store: Store, now: datetime) -> Stats:
    """Counts of new, learning and review cards, what falls due, and true retention."""
    decks = {card.deck for card in cards}
    records = store.records(decks)
    reviews = store.card_counts(decks, now - RETENTION_WINDOW)
    today = start_of_day(now)
    days = [_day_after(today, n) for n in range(FORECAST_DAYS + 2)]
    forecast = [0] * FORECAST_DAYS
    sections: dict[tuple[str, str], Counts] = {}
    for card in cards:
        record, counted = records.get(card.key), reviews.get(card.key)
        due = 0
        if record is not None:
            if record.state.due < days[1]:
                due = 1
            for n in range(FORECAST_DAYS):
                if days[n + 1] <= record.state.due < days[n + 2]:
                    forecast[n] += 1
        phase = record.state.phase if record else None
        counts = Counts(
            cards=1,
            new=int(record is None),
            learning=int(phase in (Phase.LEARNING, Phase.RELEARNING)),
            review=int(phase == Phase.REVIEW),
            due=due,
            reviews=counted.reviews if counted else 0,
            mature_reviews=counted.recent_mature if counted else 0,
            recalled=counted.recent_recalled if counted else 0,
        )
        place = (card.deck, card.section)
        sections[place] = sections.get(place, Counts()) + counts
    return Stats(
        total=sum(sections.values(), Counts()),
        review_rows=store.review_count(),
        forecast=list(zip(days[1 : FORECAST_DAYS + 1], forecast, strict=True)),
        sections=[(deck, section, counts) for (deck, section), counts in sections.items()],
    )


def _day_after(start: datetime, days: int) -> datetime:
    """The start of the local day `days` after the day starting at `start` (DST-safe)."""
    return start_of_day(start + timedelta(days=days, hours=12))
