"""The engine of `quizzer test`: one scored pass over the cards of a section.

Write cards are judged by running the answer, predict cards against the program's real output,
recall cards as multiple choice among the backs of similar cards of the same deck (or
self-graded when the deck has no good distractors). Like the study engine it takes the UI, the
clock and the random source as arguments and has no I/O of its own.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from quizzer.grading import Gradebook
from quizzer.judge import judge_answer, prepare, runs_answers
from quizzer.model import Card, Grade
from quizzer.prompts import Command, Judgement, Position, Prompts
from quizzer.schedule import Clock, Scheduler, utc_now
from quizzer.store import StaleRecord, StorageError, Store

CHOICES = 4  # the right answer and up to three distractors
MIN_DISTRACTORS = 2  # fewer than this and the card is self-graded
MAX_LINES_RATIO = 3  # a distractor far longer or shorter than the answer gives it away
TEST_SOURCE = "test"  # the `source` of review rows that --record writes

_CALL = re.compile(r"([A-Za-z_][\w.]*)\s*\(")
_WORD = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class Answer:
    """How one card of a test was answered."""

    card: Card
    right: bool
    how: str  # "run" (write), "output" (predict), "choice" (multiple choice), "self" (self-graded)
    given: str  # what the user typed or picked; "" when they asked to be shown

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.card.id,
            "deck": self.card.deck,
            "right": self.right,
            "how": self.how,
            "given": self.given,
        }

    def missed_dict(self) -> dict[str, object]:
        """The card as a missed one: its front and the right answer."""
        return {
            "id": self.card.id,
            "deck": self.card.deck,
            "front": self.card.front,
            "answer": self.card.back,
            "given": self.given,
        }


@dataclass(frozen=True)
class TestResult:
    """The score of a test, and what was missed."""

    __test__ = False  # not a pytest test class, despite its name

    section: str
    answers: tuple[Answer, ...]
    total: int  # cards in the test, answered or not
    seconds: float
    stopped: bool  # ended by the user before the last card
    recorded: bool  # whether the answers went into the study schedule

    @property
    def right(self) -> int:
        return sum(answer.right for answer in self.answers)

    @property
    def percent(self) -> float:
        return 100.0 * self.right / len(self.answers) if self.answers else 0.0

    @property
    def missed(self) -> list[Answer]:
        return [answer for answer in self.answers if not answer.right]

    def to_dict(self) -> dict[str, object]:
        return {
            "section": self.section,
            "score": f"{self.right}/{len(self.answers)}",
            "right": self.right,
            "answered": len(self.answers),
            "total": self.total,
            "percent": round(self.percent, 1),
            "seconds": round(self.seconds, 1),
            "stopped": self.stopped,
            "recorded": self.recorded,
            "missed": [answer.missed_dict() for answer in self.missed],
            "cards": [answer.to_dict() for answer in self.answers],
        }


def distractors(card: Card, pool: Sequence[Card], count: int = CHOICES - 1) -> list[str]:
    """Up to `count` wrong answers for `card`: backs of other cards of the same deck, the most
    similar first (same section, same calls, shared words), none equal to the right answer
    (whitespace aside) nor to each other."""
    seen = {_normal(card.back)}
    candidates = [other for other in pool if other.deck == card.deck and other.key != card.key]
    likeness = _likeness_to(card)
    candidates.sort(key=likeness, reverse=True)  # stable
    found: list[str] = []
    for other in candidates:
        back = _normal(other.back)
        if back in seen or not back or not _similar_size(card.back, other.back):
            continue
        seen.add(back)
        found.append(other.back)
        if len(found) == count:
            break
    return found


class Recorder:
    """Turns test answers into reviews of the study schedule (--record): Good or Again."""

    def __init__(self, store: Store, scheduler: Scheduler, cards: Sequence[Card]) -> None:
        self.book = Gradebook(store, scheduler, (card.key for card in cards))

    def record(self, card: Card, right: bool, clock: Clock) -> int:
        """Save the answer as a review; returns the review's id."""
        grade = Grade.GOOD if right else Grade.AGAIN
        return self.book.grade(card.key, grade, clock(), source=TEST_SOURCE)

    def undo(self, card: Card, review_id: int) -> None:
        self.book.undo(card.key, review_id)


def run_test(
    cards: Sequence[Card],
    pool: Sequence[Card],
    ui: Prompts,
    *,
    section: str,
    clock: Clock = utc_now,
    rng: random.Random | None = None,
    recorder: Recorder | None = None,
) -> TestResult:
    """Ask every card of `cards` once, in the given order; `pool` is where distractors come from.

    `u` takes back the last answer (and its review), `q` or Ctrl-C stops with the partial score.
    """
    rng = rng or random.Random()
    started = clock()
    answers: list[tuple[Answer, int | None]] = []  # with the review id when recorded
    stopped = False
    try:
        while len(answers) < len(cards):
            card = cards[len(answers)]
            right_so_far = sum(answer.right for answer, _ in answers)
            ui.show_card(card, Position(len(answers) + 1, len(cards), right_so_far=right_so_far))
            answer = _ask(card, pool, ui, rng)
            if answer is Command.QUIT:
                stopped = True
                break
            if answer is Command.UNDO:
                _undo(answers, ui, recorder)
                continue
            assert isinstance(answer, Answer)
            review_id = recorder.record(card, answer.right, clock) if recorder else None
            answers.append((answer, review_id))
    except KeyboardInterrupt:
        stopped = True
    except StorageError as error:  # --record cannot write: keep the score of what was recorded
        ui.notice(f"{error} (the last answer was not recorded)")
        stopped = True
    return TestResult(
        section=section,
        answers=tuple(answer for answer, _ in answers),
        total=len(cards),
        seconds=(clock() - started).total_seconds(),
        stopped=stopped and len(answers) < len(cards),
        recorded=recorder is not None,
    )


def _ask(card: Card, pool: Sequence[Card], ui: Prompts, rng: random.Random) -> Answer | Command:
    if runs_answers(card):
        prepare(card)  # the reference runs while the answer is typed
        typed = ui.read_answer(card)
        if isinstance(typed, Command):
            return typed
        judgement = judge_answer(card, typed)
        ui.show_judgement(judgement)
        return Answer(card, judgement.right is True, "run" if card.has_slot else "output", typed)
    wrong = distractors(card, pool)
    if len(wrong) >= MIN_DISTRACTORS:
        choices = [card.back, *wrong]
        rng.shuffle(choices)
        picked = ui.choose_answer(card, choices)
        if isinstance(picked, Command):
            return picked
        given = choices[picked] if picked is not None else ""
        right = picked is not None and choices[picked] == card.back
        ui.show_judgement(Judgement(card, given, right))
        return Answer(card, right, "choice", given)
    command = ui.wait_reveal()
    if command is not None:
        return command
    ui.show_judgement(Judgement(card, "", None))
    knew = ui.confirm_right()
    if isinstance(knew, Command):
        return knew
    return Answer(card, knew, "self", "")


def _undo(answers: list[tuple[Answer, int | None]], ui: Prompts, recorder: Recorder | None) -> None:
    if not answers:
        ui.notice("Nothing to undo yet.")
        return
    answer, review_id = answers[-1]
    if recorder is not None and review_id is not None:
        try:
            recorder.undo(answer.card, review_id)
        except StaleRecord as error:  # another session reviewed the card since: keep the answer
            ui.notice(str(error))
            return
    answers.pop()
    ui.notice(f"Undone: the answer to {answer.card.id!r}; here it is again.")


def _likeness_to(card: Card) -> Callable[[Card], tuple[bool, float, float]]:
    """How alike another card's answer is to `card`'s: same section first, then shared calls,
    then shared words. `card`'s calls and words are found once, not once per candidate."""
    calls, words = _calls(card.back), _words(card.back)

    def likeness(other: Card) -> tuple[bool, float, float]:
        return (
            other.section == card.section,
            _overlap(calls, _calls(other.back)),
            _overlap(words, _words(other.back)),
        )

    return likeness


def _calls(code: str) -> set[str]:
    """What the code calls, with each dotted prefix: 'asyncio.gather' gives it and 'asyncio'."""
    names: set[str] = set()
    for name in _CALL.findall(code):
        parts = name.split(".")
        names.update(".".join(parts[: n + 1]) for n in range(len(parts)))
    return names


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text))


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _similar_size(answer: str, other: str) -> bool:
    lines, others = len(answer.strip().splitlines()), len(other.strip().splitlines())
    return max(lines, others) <= MAX_LINES_RATIO * max(1, min(lines, others))


def _normal(text: str) -> str:
    return " ".join(text.split())
