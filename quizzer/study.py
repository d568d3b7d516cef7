"""The study engine: one sitting of `quizzer study`, as Anki runs one.

Due cards come first (most overdue first), then new ones up to the daily limit. A card graded
Again (or still in its learning steps) comes back within the session when it falls due; when
nothing else is left, a learning card due within the learn-ahead limit is shown rather than
ending. The session ends when nothing is due within the limit.

It takes the UI (`quizzer.prompts.Prompts`), the store, the scheduler and the clock as arguments
and has no I/O of its own. Answers are judged by running them in the sandbox; nothing typed ever
runs in this process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from quizzer.due import LEARNING_PHASES, due_queue, start_of_day
from quizzer.grading import Gradebook
from quizzer.judge import judge_answer, prepare, runs_answers
from quizzer.model import Card, Grade
from quizzer.prompts import Command, GradeOption, Judgement, Position, Prompts
from quizzer.schedule import Clock, Scheduler, utc_now
from quizzer.settings import DEFAULT_LEARN_AHEAD_MINUTES
from quizzer.store import Key, StaleRecord, StorageError, Store

DEFAULT_NEW_PER_DAY = 20
DEFAULT_LEARN_AHEAD = timedelta(minutes=DEFAULT_LEARN_AHEAD_MINUTES)


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


class StudySession:
    """One sitting of `quizzer study` over `cards`.

    `limit` counts cards, not reviews: a card that comes back within the session is the same
    card. `learn_ahead` is how far ahead a learning card is shown when nothing else is left.
    """

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
        learn_ahead: timedelta = DEFAULT_LEARN_AHEAD,
    ) -> None:
        self.cards = list(cards)
        self.store = store
        self.scheduler = scheduler
        self.ui = ui
        self.clock = clock
        self.limit = limit
        self.new_per_day = new_per_day
        self.learn_ahead = learn_ahead
        self._book: Gradebook | None = None
        self._pending: deque[Card] = deque()  # chosen at the start, not shown yet
        self._again: deque[Card] = deque()  # undone: shown next, most recent first
        self._returning: dict[Key, Card] = {}  # cards that may come back when due
        self._done: list[_Graded] = []

    @property
    def book(self) -> Gradebook:
        assert self._book is not None, "run() opens the gradebook"
        return self._book

    def run(self) -> StudySummary:
        """Study until nothing is due within the learn-ahead limit, or the user quits."""
        started = self.clock()
        decks = {card.deck for card in self.cards}
        self._book = Gradebook(self.store, self.scheduler, (card.key for card in self.cards))
        records = self.book.records
        # The new-card limit is per day across the decks, whichever section was studied.
        introduced = self.store.introduced_since(decks, start_of_day(started))
        self._pending = deque(
            due_queue(
                self.cards,
                records,
                started,
                new_allowed=self.new_per_day - introduced,
                limit=self.limit,
            )
        )
        if self.limit is None:
            # Learning cards not due yet come back when they are; with a limit, only the
            # session's own cards do, so the limit holds.
            self._returning = {
                card.key: card
                for card in self.cards
                if card.key in records and records[card.key].state.phase in LEARNING_PHASES
            }
        stopped = False
        try:
            while (card := self._next_card()) is not None:
                step = self._study(card)
                if step is Command.QUIT:
                    stopped = True
                    break
                if step is Command.UNDO:
                    self._undo()
                    continue
                assert isinstance(step, _Graded)
                self._take(card)
                self._done.append(step)
        except KeyboardInterrupt:
            stopped = True
        except StorageError as error:  # another quizzer holds it, the disk is full...
            # Every grade before this one is saved; end with the summary, not a lost session.
            self.ui.notice(f"{error} (the grade of the card on screen was not saved)")
            stopped = True
        left = len(self._waiting(self.clock()))
        return StudySummary(
            reviewed=len(self._done),
            right=sum(graded.right for graded in self._done),
            seconds=(self.clock() - started).total_seconds(),
            next_due=self._next_due(),
            stopped=stopped and left > 0,
            left=left,
        )

    def _next_card(self) -> Card | None:
        """An undone card first; then a card coming back that is due; then the next of the
        queue; when nothing else is left, a card coming back within the learn-ahead limit."""
        if self._again:
            return self._again[0]
        now = self.clock()
        return (
            self._coming_back(now)
            or (self._pending[0] if self._pending else None)
            or self._coming_back(now + self.learn_ahead)
        )

    def _coming_back(self, until: datetime) -> Card | None:
        """The earliest-due card of those that come back, if it is due by `until`."""
        waiting = {card.key for card in self._pending}
        dues = [
            (record.state.due, card)
            for key, card in self._returning.items()
            if key not in waiting and (record := self.book.get(key)) is not None
        ]
        due, card = min(dues, key=lambda pair: pair[0], default=(None, None))
        return card if due is not None and due <= until else None

    def _take(self, card: Card) -> None:
        """`card` was graded: it leaves the queue, and may come back when it falls due."""
        if self._again and self._again[0] == card:
            self._again.popleft()
        elif card in self._pending:
            self._pending.remove(card)
        self._returning[card.key] = card

    def _waiting(self, now: datetime) -> list[Card]:
        """The cards still to show, as far as known at `now` (learning ones within the limit)."""
        cards = [*self._again, *(card for card in self._pending if card not in self._again)]
        for key, card in self._returning.items():
            record = self.book.get(key)
            if card in cards or record is None:
                continue
            if record.state.due <= now + self.learn_ahead:
                cards.append(card)
        return cards

    def _study(self, card: Card) -> _Graded | Command:
        shown = self.clock()
        self.ui.show_card(card, self._position(card, shown))
        if runs_answers(card):
            prepare(card)  # the reference runs while the answer is typed
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
        before = self.book.get(card.key)
        outcomes = self.scheduler.outcomes(before.state if before else None, now)
        options = [GradeOption(grade, outcomes[grade].due - now) for grade in Grade]
        suggested = Grade.AGAIN if judgement.right is False else Grade.GOOD
        grade = self.ui.choose_grade(options, suggested)
        if isinstance(grade, Command):
            return grade
        review_id = self.book.grade(
            card.key,
            grade,
            now,
            outcome=outcomes[grade],
            duration_ms=_milliseconds(self.clock() - shown),
        )
        return _Graded(card, review_id, grade > Grade.AGAIN)

    def _undo(self) -> None:
        if not self._done:
            self.ui.notice("Nothing to undo yet.")
            return
        last = self._done[-1]
        try:
            self.book.undo(last.card.key, last.review_id)
        except StaleRecord as error:
            self.ui.notice(str(error))
            return
        self._done.pop()
        while last.card in self._again:
            self._again.remove(last.card)
        self._again.appendleft(last.card)
        self.ui.notice(f"Undone: the grade of {last.card.id!r}; here it is again.")

    def _position(self, card: Card, now: datetime) -> Position:
        waiting = [other for other in self._waiting(now) if other != card]
        due = sum(1 for other in waiting if self.book.get(other.key) is not None)
        return Position(
            number=len(self._done) + 1,
            total=len(self._done) + 1 + len(waiting),
            due_left=due,
            new_left=len(waiting) - due,
        )

    def _next_due(self) -> datetime | None:
        dues = [
            record.state.due
            for card in self.cards
            if (record := self.book.get(card.key)) is not None
        ]
        return min(dues, default=None)


def _milliseconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))
