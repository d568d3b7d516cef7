"""The fsrs wrapper: grades move due dates exactly as fsrs schedules them, with a fixed clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import fsrs
import pytest

from quizzer.model import CardState, Grade, Phase
from quizzer.schedule import Scheduler

NOON = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def test_new_card_grades_match_fsrs() -> None:
    reference = fsrs.Scheduler(enable_fuzzing=False)
    ours = Scheduler(fuzzing=False)
    for grade in Grade:
        expected, _ = reference.review_card(
            fsrs.Card(card_id=1, due=NOON), fsrs.Rating(grade), NOON
        )
        state = ours.review(None, grade, NOON)
        assert state.due == expected.due
        assert state.stability == expected.stability
        assert state.difficulty == expected.difficulty
        assert int(state.phase) == int(expected.state)


def test_a_run_of_reviews_over_days_follows_fsrs_step_by_step() -> None:
    reference = fsrs.Scheduler(enable_fuzzing=False)
    ours = Scheduler(fuzzing=False)
    card = fsrs.Card(card_id=1, due=NOON)
    state: CardState | None = None
    now = NOON
    for grade in (Grade.GOOD, Grade.GOOD, Grade.AGAIN, Grade.GOOD, Grade.EASY, Grade.HARD):
        card, _ = reference.review_card(card, fsrs.Rating(grade), now)
        state = ours.review(state, grade, now)
        assert (state.due, state.phase, state.step) == (card.due, Phase(card.state), card.step)
        now = card.due  # review each time the card falls due
    assert state is not None and state.phase == Phase.REVIEW
    assert state.due - NOON > timedelta(days=10)


def test_better_grades_give_longer_intervals() -> None:
    scheduler = Scheduler(fuzzing=False)
    reviewed = scheduler.review(
        scheduler.review(None, Grade.GOOD, NOON), Grade.GOOD, NOON + timedelta(days=1)
    )
    later = NOON + timedelta(days=5)
    outcomes = scheduler.outcomes(reviewed, later)
    dues = [outcomes[grade].due for grade in Grade]
    assert dues == sorted(dues) and len(set(dues)) == 4
    assert outcomes[Grade.AGAIN].phase == Phase.RELEARNING


def test_outcomes_are_what_review_gives() -> None:
    scheduler = Scheduler(fuzzing=False)
    outcomes = scheduler.outcomes(None, NOON)
    assert set(outcomes) == set(Grade)
    assert all(outcomes[grade] == scheduler.review(None, grade, NOON) for grade in Grade)


def test_higher_desired_retention_schedules_sooner() -> None:
    def interval(retention: float) -> timedelta:
        scheduler = Scheduler(retention, fuzzing=False)
        state = scheduler.review(None, Grade.GOOD, NOON)
        state = scheduler.review(state, Grade.GOOD, state.due)
        return scheduler.review(state, Grade.GOOD, state.due).due - state.due

    assert interval(0.97) < interval(0.9) < interval(0.8)


@pytest.mark.parametrize("retention", [0.5, 1.0, 0.995])
def test_desired_retention_out_of_range_is_refused(retention: float) -> None:
    with pytest.raises(ValueError, match="desired retention"):
        Scheduler(retention)


def test_fuzzing_is_on_by_default_and_seeded_fuzz_repeats() -> None:
    assert Scheduler().fuzzing and not Scheduler(fuzzing=False).fuzzing
    plain = Scheduler(fuzzing=False)
    state = plain.review(plain.review(None, Grade.EASY, NOON), Grade.EASY, NOON + timedelta(8))
    fuzzed = Scheduler()
    random.seed(7)
    first = fuzzed.review(state, Grade.GOOD, NOON + timedelta(days=40))
    random.seed(7)
    again = fuzzed.review(state, Grade.GOOD, NOON + timedelta(days=40))
    unfuzzed = plain.review(state, Grade.GOOD, NOON + timedelta(days=40))
    assert first.due == again.due
    assert abs(first.due - unfuzzed.due) <= 0.1 * (unfuzzed.due - NOON - timedelta(days=40))


def test_a_time_that_is_not_utc_is_refused() -> None:
    with pytest.raises(ValueError, match="not a UTC time"):
        Scheduler().review(None, Grade.GOOD, datetime(2025, 3, 10, 12))
    with pytest.raises(ValueError, match="not a UTC time"):
        Scheduler().review(None, Grade.GOOD, NOON.astimezone(timezone(timedelta(hours=2))))


def test_card_state_round_trips_through_a_dict() -> None:
    state = Scheduler(fuzzing=False).review(None, Grade.HARD, NOON)
    assert CardState.from_dict(state.to_dict()) == state
