"""The study engine, driven through a scripted UI with a fixed clock and the real store."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import fill_the_disk, write_deck
from fake_ui import ENTER, INTERRUPT, FakeClock, FakeUI

from quizzer.deck import load_deck
from quizzer.due import due_queue, start_of_day
from quizzer.grading import record_grade
from quizzer.judge import judge_answer
from quizzer.model import Card, Grade, Phase
from quizzer.prompts import Command
from quizzer.schedule import Scheduler
from quizzer.store import Key, Record, Store, open_store
from quizzer.study import StudySession, StudySummary
from quizzer.ui.text import format_duration, format_interval

SCHEDULER = Scheduler(fuzzing=False)

RECALL_DECK = """
deck = "pets"
section = "Cats"
{cards}
"""
RECALL_CARD = """
[[card]]
id = "{id}"
front = "What does {id} do?"
back = "{id}()"
"""

CODE_DECK = '''
deck = "code"
section = "Running"

[[card]]
id = "sum-list"
front = "Print the sum of the list `numbers`"
back = "print(sum(numbers))"
kind = "write"
program = """
numbers = [1, 2, 3]
{{answer}}
"""
output = "6"

[[card]]
id = "predict-join"
front = "What does this print?"
back = "a-b"
kind = "predict"
program = """
print("-".join(["a", "b"]))
"""
output = "a-b"
'''


def recall_cards(tmp_path: Path, *ids: str) -> list[Card]:
    text = RECALL_DECK.format(cards="".join(RECALL_CARD.format(id=i) for i in ids))
    file = write_deck(tmp_path / "deck", "cats.toml", text)
    return list(load_deck(file).cards)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "reviews.sqlite3") as db:
        yield db


def stored(store: Store, key: Key) -> Record:
    record = store.record(key)
    assert record is not None, f"{key} has no record"
    return record


def study(
    cards: list[Card],
    store: Store,
    *responses: object,
    clock: FakeClock | None = None,
    **options: object,
) -> tuple[FakeUI, StudySummary]:
    ui = FakeUI(list(responses))
    # Without learn-ahead a card graded Good (due in 10 minutes) is not shown again, so these
    # tests see each card once; the learn-ahead tests below pass their own limit.
    options.setdefault("learn_ahead", timedelta(0))
    session = StudySession(cards, store, SCHEDULER, ui, clock=clock or FakeClock(), **options)  # type: ignore[arg-type]
    summary = session.run()
    assert ui.responses == [], "the session ended before the script did"
    return ui, summary


def test_a_session_can_be_walked_with_enter_and_saves_every_grade(
    tmp_path: Path, store: Store
) -> None:
    cards = recall_cards(tmp_path, "a", "b", "c")
    clock = FakeClock()
    ui, summary = study(cards, store, *[ENTER] * 6, clock=clock)
    assert ui.shown_ids == ["a", "b", "c"]
    assert [suggested for _, suggested in ui.grade_prompts] == [Grade.GOOD] * 3
    records = store.records({"pets"})
    expected = SCHEDULER.review(None, Grade.GOOD, clock.now)
    assert {key: record.state for key, record in records.items()} == {
        ("pets", i): expected for i in "abc"
    }
    assert store.review_count() == 3
    assert summary.reviewed == 3 and summary.right == 3 and not summary.stopped
    assert summary.next_due == expected.due


def test_the_grades_offered_show_the_intervals_fsrs_gives(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, "a")
    clock = FakeClock()
    ui, _ = study(cards, store, ENTER, Grade.EASY, clock=clock)
    options, _ = ui.grade_prompts[0]
    assert [option.grade for option in options] == list(Grade)
    for option in options:
        assert option.interval == SCHEDULER.review(None, option.grade, clock.now).due - clock.now
    assert stored(store, ("pets", "a")).state == SCHEDULER.review(None, Grade.EASY, clock.now)


def test_due_cards_come_first_most_overdue_first_then_new(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, "new1", "due-late", "due-early", "new2", "not-due")
    clock = FakeClock()
    start = clock.now - timedelta(days=30)
    for card_id, days, grade in (
        ("due-late", 0, Grade.GOOD),
        ("due-early", 3, Grade.GOOD),
        ("not-due", 29, Grade.EASY),
    ):  # Easy: due in days, not minutes
        record_grade(store, SCHEDULER, ("pets", card_id), None, grade, start + timedelta(days=days))
    records = store.records({"pets"})
    queue = due_queue(cards, records, clock.now, new_allowed=5)
    assert [card.id for card in queue] == ["due-late", "due-early", "new1", "new2"]
    assert [c.id for c in due_queue(cards, records, clock.now, new_allowed=1, limit=2)] == [
        "due-late",
        "due-early",
    ]
    ui, _ = study(cards, store, *[ENTER] * 8, clock=clock)
    assert ui.shown_ids == ["due-late", "due-early", "new1", "new2"]
    first = ui.shown[0][1]
    assert (first.number, first.total, first.due_left, first.new_left) == (1, 4, 1, 2)


def test_limit_caps_the_cards_of_one_session(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, "a", "b", "c", "d")
    ui, summary = study(cards, store, *[ENTER] * 4, limit=2)
    assert ui.shown_ids == ["a", "b"]
    assert summary.left == 0 and store.review_count() == 2


def test_the_daily_new_card_limit_holds_across_sessions(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, "a", "b", "c", "d", "e")
    clock = FakeClock()
    ui, _ = study(cards, store, *[ENTER] * 4, clock=clock, new_per_day=2)
    assert ui.shown_ids == ["a", "b"]
    clock.now += timedelta(minutes=1)  # a second session, the same day
    ui, summary = study(cards, store, clock=clock, new_per_day=2)
    assert ui.shown_ids == [] and summary.reviewed == 0
    clock.now += timedelta(days=1)  # tomorrow: a and b are due, and two more new ones
    ui, _ = study(cards, store, *[ENTER] * 8, clock=clock, new_per_day=2)
    assert ui.shown_ids == ["a", "b", "c", "d"]


@pytest.fixture
def local_time_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is central European (UTC+1, and +2 from the last Sunday of March at 02:00),
    as a POSIX rule: no time zone database needed."""
    monkeypatch.setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("now", "start"),  # in UTC; the local times are in the comments
    [
        ("2025-03-10 11:00", "2025-03-10 03:00"),  # 12:00 local: the day began at 04:00
        ("2025-03-10 03:00", "2025-03-10 03:00"),  # 04:00 sharp
        ("2025-03-11 00:30", "2025-03-10 03:00"),  # 01:30 past midnight: still the evening's day
        ("2025-03-11 02:59", "2025-03-10 03:00"),  # 03:59
        ("2025-03-30 10:00", "2025-03-30 02:00"),  # 12:00 on the day clocks go forward
        ("2025-03-30 01:30", "2025-03-29 03:00"),  # 03:30 summer time: a day of winter time
        ("2025-03-31 00:00", "2025-03-30 02:00"),  # 02:00 the day after
    ],
)
def test_a_study_day_starts_at_four_in_the_morning(
    local_time_zone: None, now: str, start: str
) -> None:
    found = start_of_day(datetime.fromisoformat(now).replace(tzinfo=UTC))
    assert found.tzinfo == UTC
    assert found == datetime.fromisoformat(start).replace(tzinfo=UTC)


def test_a_session_after_midnight_counts_towards_the_evenings_new_limit(
    tmp_path: Path, store: Store, local_time_zone: None
) -> None:
    cards = recall_cards(tmp_path, "a", "b", "c", "d", "e")
    clock = FakeClock(now=datetime(2025, 3, 10, 22, 0, tzinfo=UTC))  # 23:00 local
    ui, _ = study(cards, store, *[ENTER] * 4, clock=clock, new_per_day=2)
    assert ui.shown_ids == ["a", "b"]
    clock.now += timedelta(hours=2)  # 01:00: the same study day, no new cards left
    ui, _ = study(cards, store, *[ENTER] * 4, clock=clock, new_per_day=2)
    assert ui.shown_ids == ["a", "b"]  # due again, but no new card
    clock.now += timedelta(hours=3)  # 04:00: a new day
    ui, _ = study(cards, store, *[ENTER] * 4, clock=clock, new_per_day=2)
    assert ui.shown_ids == ["c", "d"]  # a and b graduated to days at 01:00


def test_the_daily_new_limit_counts_every_section_of_the_deck(tmp_path: Path, store: Store) -> None:
    cats = recall_cards(tmp_path, "a", "b", "c")
    dogs_text = RECALL_DECK.replace("Cats", "Dogs").format(
        cards="".join(RECALL_CARD.format(id=i) for i in ("x", "y"))
    )
    dogs = list(load_deck(write_deck(tmp_path / "dogs", "dogs.toml", dogs_text)).cards)
    clock = FakeClock()
    ui, _ = study(cats, store, *[ENTER] * 4, clock=clock, new_per_day=2)
    assert ui.shown_ids == ["a", "b"]
    ui, _ = study(dogs, store, clock=clock, new_per_day=2)  # same deck, same day: none left
    assert ui.shown_ids == []
    ui, _ = study(dogs, store, *[ENTER] * 2, clock=clock, new_per_day=3)
    assert ui.shown_ids == ["x"]


def test_a_card_removed_from_its_deck_is_hidden_but_its_rows_are_kept(
    tmp_path: Path, store: Store
) -> None:
    cards = recall_cards(tmp_path, "kept", "removed")
    clock = FakeClock()
    study(cards, store, *[ENTER] * 4, clock=clock)
    clock.now += timedelta(days=30)
    ui, summary = study([c for c in cards if c.id == "kept"], store, ENTER, ENTER, clock=clock)
    assert ui.shown_ids == ["kept"]
    assert store.record(("pets", "removed")) is not None
    assert store.review_count() == 3
    # The next due time speaks of the cards studied, not of the removed one.
    assert summary.next_due == stored(store, ("pets", "kept")).state.due


def test_a_changed_card_keeps_its_history(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, "a")
    clock = FakeClock()
    study(cards, store, ENTER, ENTER, clock=clock)
    text = (tmp_path / "deck" / "cats.toml").read_text().replace("What does a do?", "Say a!")
    (tmp_path / "deck" / "cats.toml").write_text(text)
    changed = list(load_deck(tmp_path / "deck").cards)
    assert changed[0].front == "Say a!"
    clock.now += timedelta(days=1)
    ui, _ = study(changed, store, ENTER, ENTER, clock=clock)
    assert ui.shown_ids == ["a"] and stored(store, ("pets", "a")).reps == 2


def test_undo_takes_back_the_last_grade_and_shows_the_card_again(
    tmp_path: Path, store: Store
) -> None:
    cards = recall_cards(tmp_path, "a", "b")
    clock = FakeClock()
    ui, summary = study(
        cards,
        store,
        ENTER,
        ENTER,  # a: reveal, Good
        Command.UNDO,  # at b's reveal: take back a's grade
        ENTER,
        Grade.AGAIN,  # a again, graded Again this time
        ENTER,
        Command.UNDO,  # b revealed; at its grade prompt, undo a once more
        ENTER,
        Grade.HARD,  # a
        ENTER,
        ENTER,  # b
        clock=clock,
    )
    assert ui.shown_ids == ["a", "b", "a", "b", "a", "b"]
    assert store.review_count() == 2
    assert stored(store, ("pets", "a")).state == SCHEDULER.review(None, Grade.HARD, clock.now)
    assert summary.reviewed == 2
    assert sum("Undone" in notice for notice in ui.notices) == 2


def test_undo_with_nothing_graded_says_so(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, "a")
    ui, _ = study(cards, store, Command.UNDO, ENTER, ENTER)
    assert ui.notices == ["Nothing to undo yet."] and store.review_count() == 1


@pytest.mark.parametrize("stop", [Command.QUIT, INTERRUPT])
def test_quitting_keeps_every_grade_given(tmp_path: Path, store: Store, stop: object) -> None:
    cards = recall_cards(tmp_path, "a", "b", "c")
    ui, summary = study(cards, store, ENTER, ENTER, ENTER, stop)
    assert ui.shown_ids == ["a", "b"]
    assert store.review_count() == 1
    assert summary.stopped and summary.reviewed == 1 and summary.left == 2


def test_a_card_due_again_within_the_session_comes_back(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, "a")
    clock = FakeClock(step=timedelta(seconds=30))  # every look at the clock takes 30 s
    ui, _ = study(cards, store, ENTER, Grade.AGAIN, ENTER, Grade.GOOD, clock=clock)
    assert ui.shown_ids == ["a", "a"]
    assert store.review_count() == 2


def code_cards(tmp_path: Path) -> dict[str, Card]:
    file = write_deck(tmp_path / "code", "running.toml", CODE_DECK)
    return {card.id: card for card in load_deck(file).cards}


def test_a_write_answer_is_judged_by_running_it(tmp_path: Path, store: Store) -> None:
    card = code_cards(tmp_path)["sum-list"]
    ui, _ = study(
        [card], store, "total = 0\nfor n in numbers:\n    total += n\nprint(total)", ENTER
    )
    judgement = ui.judgements[0]
    assert judgement.right is True and judgement.output == "6\n"
    assert ui.grade_prompts[0][1] == Grade.GOOD


def test_a_wrong_write_answer_shows_the_diff_and_suggests_again(
    tmp_path: Path, store: Store
) -> None:
    card = code_cards(tmp_path)["sum-list"]
    clock = FakeClock()
    ui, summary = study([card], store, "print(max(numbers))", ENTER, clock=clock)
    judgement = ui.judgements[0]
    assert judgement.right is False and "-6" in judgement.detail and "+3" in judgement.detail
    assert ui.grade_prompts[0][1] == Grade.AGAIN
    assert stored(store, card.key).state == SCHEDULER.review(None, Grade.AGAIN, clock.now)
    assert summary.right == 0


def test_an_empty_answer_means_show_me(tmp_path: Path, store: Store) -> None:
    card = code_cards(tmp_path)["sum-list"]
    ui, _ = study([card], store, ENTER, ENTER)
    assert ui.judgements[0].right is False and ui.judgements[0].answer == ""
    assert ui.grade_prompts[0][1] == Grade.AGAIN
    assert stored(store, card.key).state.phase == Phase.LEARNING


def test_the_user_can_override_a_suggested_grade(tmp_path: Path, store: Store) -> None:
    card = code_cards(tmp_path)["sum-list"]
    clock = FakeClock()
    ui, _ = study([card], store, "print(6.0)", Grade.GOOD, clock=clock)
    assert ui.grade_prompts[0][1] == Grade.AGAIN
    assert stored(store, card.key).state == SCHEDULER.review(None, Grade.GOOD, clock.now)


def test_a_prediction_is_judged_against_what_the_program_prints(tmp_path: Path) -> None:
    card = code_cards(tmp_path)["predict-join"]
    right = judge_answer(card, "a-b\n")
    wrong = judge_answer(card, "a b")
    assert right.right is True and right.output == "a-b\n"
    assert wrong.right is False and "+a b" in wrong.detail
    assert judge_answer(card, "   ").right is False


def test_typed_code_runs_in_the_sandbox_not_in_this_process(tmp_path: Path) -> None:
    card = code_cards(tmp_path)["sum-list"]
    judgement = judge_answer(card, "import os\nprint(os.getpid())")
    assert judgement.right is False and judgement.output is not None
    assert int(judgement.output) != os.getpid()


def test_another_session_grading_the_same_card_is_not_lost(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, "a")
    clock = FakeClock()
    record_grade(store, SCHEDULER, ("pets", "a"), None, Grade.GOOD, clock.now - timedelta(days=9))

    class OtherSessionGrades(FakeUI):
        def choose_grade(self, options: object, suggested: Grade) -> Grade:  # type: ignore[override]
            # While this session waits for a grade, another one reviews the same card.
            with open_store(store.path) as other:
                record_grade(
                    other,
                    SCHEDULER,
                    ("pets", "a"),
                    other.record(("pets", "a")),
                    Grade.HARD,
                    clock.now,
                )
            return Grade.GOOD

    ui = OtherSessionGrades([ENTER])
    StudySession(cards, store, SCHEDULER, ui, clock=clock).run()
    assert store.review_count() == 3 and stored(store, ("pets", "a")).reps == 3
    first = SCHEDULER.review(None, Grade.GOOD, clock.now - timedelta(days=9))
    other = SCHEDULER.review(first, Grade.HARD, clock.now)
    assert stored(store, ("pets", "a")).state == SCHEDULER.review(other, Grade.GOOD, clock.now)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0s"),
        (59.4, "59s"),
        (59.6, "1m"),
        (600, "10m"),
        (3570, "1h"),
        (86400 * 0.99, "1d"),
        (86400 * 8, "8d"),
        (86400 * 45, "1.5mo"),
        (86400 * 400, "1.1y"),
    ],
)
def test_intervals_are_shown_short_and_rounded(seconds: float, shown: str) -> None:
    assert format_interval(timedelta(seconds=seconds)) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0s"), (59.4, "59s"), (59.6, "1m 00s"), (187, "3m 07s")]
)
def test_session_durations_read_as_minutes_and_seconds(seconds: float, shown: str) -> None:
    assert format_duration(seconds) == shown


def test_a_database_locked_by_another_quizzer_ends_the_session_with_its_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    import quizzer.store as store_module

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 200)  # give up after 0.2 s, not 10 s
    cards = recall_cards(tmp_path, "a", "b")
    path = tmp_path / "locked.sqlite3"
    with open_store(path) as store:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # a second quizzer, mid-review, holds the write lock
        try:
            ui, summary = study(cards, store, ENTER, ENTER)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert store.review_count() == 0
    assert summary.stopped and summary.reviewed == 0 and summary.left == 2
    assert ui.notices == [
        f"{path}: another quizzer is using the review database; try again"
        " (the grade of the card on screen was not saved)"
    ]


def test_a_full_disk_ends_the_session_with_its_summary(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, *(f"c{n}" for n in range(150)))
    fill_the_disk(store)
    ui = FakeUI([ENTER] * 300)
    summary = StudySession(cards, store, SCHEDULER, ui, clock=FakeClock(), new_per_day=150).run()
    assert summary.stopped and summary.reviewed == store.review_count() < 150
    assert ui.notices == [
        f"{store.path}: cannot use the review database: the disk is full"
        " (the grade of the card on screen was not saved)"
    ]


# -- learning cards within the session, as in Anki ------------------------------------------

LEARN_AHEAD = timedelta(minutes=20)


def test_an_again_card_comes_back_within_the_session_until_it_graduates(
    tmp_path: Path, store: Store
) -> None:
    cards = recall_cards(tmp_path, "a", "b")
    clock = FakeClock()  # the clock stands still: every return is learning ahead
    ui, summary = study(
        cards,
        store,
        *(ENTER, Grade.AGAIN),  # a: due again in a minute
        *(ENTER, Grade.EASY),  # b: days away; nothing else is left...
        *(ENTER, Grade.GOOD),  # ... so a, due within the limit, comes back: Good, 10 minutes
        *(ENTER, Grade.GOOD),  # a again, and it graduates to days
        clock=clock,
        learn_ahead=LEARN_AHEAD,
    )
    assert ui.shown_ids == ["a", "b", "a", "a"]
    assert stored(store, ("pets", "a")).state.phase == Phase.REVIEW
    assert summary.reviewed == 4 and summary.left == 0 and not summary.stopped
    # The summary says when the next card is due: days away, past the learn-ahead limit.
    assert summary.next_due == min(stored(store, ("pets", i)).state.due for i in "ab")
    assert summary.next_due - clock.now > LEARN_AHEAD


def test_a_card_due_again_comes_before_the_rest_of_the_queue(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, "a", "b", "c")
    clock = FakeClock()

    def two_minutes_later(*_: object) -> str:
        clock.now += timedelta(minutes=2)
        return ENTER

    ui, _ = study(
        cards,
        store,
        *(ENTER, Grade.AGAIN),  # a, due in a minute
        *(two_minutes_later, Grade.EASY),  # b: meanwhile a fell due
        *(ENTER, Grade.EASY),  # a, before c
        *(ENTER, Grade.EASY),  # c
        clock=clock,
        learn_ahead=LEARN_AHEAD,
    )
    assert ui.shown_ids == ["a", "b", "a", "c"]


def test_the_session_ends_when_nothing_is_due_within_the_limit(
    tmp_path: Path, store: Store
) -> None:
    cards = recall_cards(tmp_path, "a")
    clock = FakeClock()
    # Good on a new card: due in 10 minutes, past a 5-minute limit.
    ui, summary = study(
        cards, store, ENTER, Grade.GOOD, clock=clock, learn_ahead=timedelta(minutes=5)
    )
    assert ui.shown_ids == ["a"]
    due = stored(store, ("pets", "a")).state.due
    assert due - clock.now == timedelta(minutes=10)
    assert summary.next_due == due and summary.left == 0 and not summary.stopped
    # Ten minutes on, the learning card is due: a new session shows it.
    clock.now += timedelta(minutes=10)
    ui, _ = study(cards, store, ENTER, Grade.EASY, clock=clock, learn_ahead=timedelta(0))
    assert ui.shown_ids == ["a"]


def test_a_learning_card_of_an_earlier_session_is_learnt_ahead(
    tmp_path: Path, store: Store
) -> None:
    cards = recall_cards(tmp_path, "a", "b")
    clock = FakeClock()
    record_grade(store, SCHEDULER, ("pets", "a"), None, Grade.GOOD, clock.now)  # due in 10m
    clock.now += timedelta(minutes=1)
    ui, _ = study(
        cards, store, ENTER, Grade.EASY, ENTER, Grade.EASY, clock=clock, learn_ahead=LEARN_AHEAD
    )
    assert ui.shown_ids == ["b", "a"]  # the new card first: a is not due yet


def test_limit_counts_cards_not_reviews(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, "a", "b", "c")
    ui, summary = study(
        cards,
        store,
        *(ENTER, Grade.AGAIN),  # a comes back...
        *(ENTER, Grade.EASY),
        *(ENTER, Grade.EASY),  # ... and is still one card of the two
        limit=2,
        learn_ahead=LEARN_AHEAD,
    )
    assert ui.shown_ids == ["a", "b", "a"]
    assert summary.reviewed == 3 and summary.left == 0


def test_quitting_counts_a_learning_card_within_the_limit_as_left(
    tmp_path: Path, store: Store
) -> None:
    cards = recall_cards(tmp_path, "a")
    ui, summary = study(cards, store, ENTER, Grade.AGAIN, Command.QUIT, learn_ahead=LEARN_AHEAD)
    assert ui.shown_ids == ["a", "a"]
    assert summary.stopped and summary.left == 1 and summary.reviewed == 1


def test_undo_of_a_card_that_came_back_shows_it_again(tmp_path: Path, store: Store) -> None:
    cards = recall_cards(tmp_path, "a")
    clock = FakeClock()
    ui, _ = study(
        cards,
        store,
        *(ENTER, Grade.AGAIN),
        *(ENTER, Grade.GOOD),  # a came back; Good
        Command.UNDO,  # at a's third showing: take back the Good
        *(ENTER, Grade.EASY),
        clock=clock,
        learn_ahead=LEARN_AHEAD,
    )
    assert ui.shown_ids == ["a", "a", "a", "a"]
    assert store.review_count() == 2
    again = SCHEDULER.review(None, Grade.AGAIN, clock.now)
    assert stored(store, ("pets", "a")).state == SCHEDULER.review(again, Grade.EASY, clock.now)
