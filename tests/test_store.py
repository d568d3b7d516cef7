"""The review database: reviews and undo, migrations, concurrent sessions, and kills."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import fill_the_disk

from quizzer import paths
from quizzer import store as store_module
from quizzer.cli import cli
from quizzer.errors import QuizzerError
from quizzer.model import CardState, Grade, Phase
from quizzer.schedule import Scheduler
from quizzer.store import (
    SCHEMA_VERSION,
    DatabaseBusy,
    Record,
    StaleRecord,
    StorageError,
    Store,
    connect,
    migrate,
    open_store,
)

NOON = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
SCHEDULER = Scheduler(fuzzing=False)
KEY = ("asyncio", "create-task")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "reviews.sqlite3") as db:
        yield db


def review(store: Store, key: tuple[str, str], grade: Grade, now: datetime) -> int:
    before = store.record(key)
    after = SCHEDULER.review(before.state if before else None, grade, now)
    review_id, _ = store.record_review(key, before, after, grade, now)
    return review_id


def raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def test_a_new_database_has_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "reviews.sqlite3"
    with open_store(path):
        pass
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(path, "PRAGMA journal_mode") == [("wal",)]


def test_a_review_stores_the_state_and_one_log_row(store: Store) -> None:
    expected = SCHEDULER.review(None, Grade.GOOD, NOON)
    review_id, record = store.record_review(KEY, None, expected, Grade.GOOD, NOON, duration_ms=1500)
    assert store.record(KEY) == record
    assert record.state == expected and record.reps == 1 and record.introduced == NOON
    assert store.records({"asyncio"}) == {KEY: record}
    assert store.records({"other"}) == {}
    assert store.review_count() == 1
    rows = raw(store.path, "SELECT id, grade, duration_ms, phase_before, source FROM review")
    assert rows == [(review_id, 3, 1500, None, "study")]


def test_undo_restores_the_state_before_and_deletes_the_log_row(store: Store) -> None:
    review(store, KEY, Grade.GOOD, NOON)
    before = store.record(KEY)
    second = review(store, KEY, Grade.AGAIN, NOON + timedelta(minutes=10))
    assert store.record(KEY) != before
    assert store.undo(second) == before
    assert store.record(KEY) == before
    assert store.review_count() == 1


def test_undo_of_the_first_review_makes_the_card_new_again(store: Store) -> None:
    first = review(store, KEY, Grade.GOOD, NOON)
    assert store.undo(first) is None
    assert store.record(KEY) is None
    assert store.review_count() == 0


def test_undo_is_refused_once_the_card_was_reviewed_again(store: Store) -> None:
    first = review(store, KEY, Grade.GOOD, NOON)
    review(store, KEY, Grade.GOOD, NOON + timedelta(minutes=10))
    with pytest.raises(StaleRecord, match="reviewed again since"):
        store.undo(first)
    assert store.review_count() == 2


def test_a_review_from_a_stale_record_is_refused_and_changes_nothing(store: Store) -> None:
    stale = None  # read before another session reviewed the card
    review(store, KEY, Grade.GOOD, NOON)
    after = SCHEDULER.review(stale, Grade.EASY, NOON)
    with pytest.raises(StaleRecord):
        store.record_review(KEY, stale, after, Grade.EASY, NOON)
    assert store.review_count() == 1 and store.record(KEY).reps == 1  # type: ignore[union-attr]


def test_a_stale_review_is_rescheduled_from_the_record_read_under_the_write_lock(
    store: Store,
) -> None:
    review(store, KEY, Grade.GOOD, NOON)  # another session, after this one read None
    seen: list[Record | None] = []

    def reschedule(fresh: Record | None) -> CardState:
        seen.append(fresh)
        return SCHEDULER.review(fresh.state if fresh else None, Grade.EASY, NOON)

    stale_after = SCHEDULER.review(None, Grade.EASY, NOON)
    _, record = store.record_review(KEY, None, stale_after, Grade.EASY, NOON, reschedule=reschedule)
    assert len(seen) == 1 and seen[0] is not None and seen[0].reps == 1
    assert record.reps == 2
    assert record.state == SCHEDULER.review(seen[0].state, Grade.EASY, NOON)
    assert store.record(KEY) == record and store.review_count() == 2


def test_introduced_since_counts_first_reviews_in_the_given_decks(store: Store) -> None:
    review(store, ("asyncio", "a"), Grade.GOOD, NOON - timedelta(days=1))
    review(store, ("asyncio", "b"), Grade.GOOD, NOON)
    review(store, ("asyncio", "a"), Grade.GOOD, NOON)  # not a first review
    review(store, ("other", "c"), Grade.GOOD, NOON)
    assert store.introduced_since({"asyncio"}, NOON - timedelta(hours=1)) == 1
    assert store.introduced_since({"asyncio"}, NOON - timedelta(days=2)) == 2
    assert store.introduced_since({"asyncio", "other"}, NOON - timedelta(days=2)) == 3
    assert store.introduced_since(set(), NOON - timedelta(days=2)) == 0


def test_settings_are_kept(store: Store) -> None:
    assert store.setting("desired_retention") is None
    store.set_setting("desired_retention", "0.85")
    store.set_setting("desired_retention", "0.8")
    assert store.setting("desired_retention") == "0.8"


# The schema of version 1, as quizzer 0.1 development builds wrote it: no `source` column, no
# settings table. Kept literally here, so that the migration is tested against real old data.
def write_version_1_database(path: Path) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, target=1)
    connection.execute(
        "INSERT INTO card_state VALUES ('asyncio', 'old-card', 2, NULL, 12.5, 5.0, ?, ?, ?, 3)",
        (
            NOON.timestamp(),
            (NOON - timedelta(days=12)).timestamp(),
            (NOON - timedelta(days=20)).timestamp(),
        ),
    )
    for days in (20, 19, 12):
        connection.execute(
            "INSERT INTO review (deck, card_id, grade, reviewed_at, duration_ms, phase_before,"
            " previous) VALUES ('asyncio', 'old-card', 3, ?, 900, NULL, NULL)",
            ((NOON - timedelta(days=days)).timestamp(),),
        )
    connection.close()


def test_a_version_1_database_is_migrated_and_keeps_its_history(tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite3"
    write_version_1_database(path)
    assert raw(path, "PRAGMA user_version") == [(1,)]
    with open_store(path) as store:
        record = store.record(("asyncio", "old-card"))
        assert record is not None
        assert (record.state.phase, record.state.stability, record.reps) == (Phase.REVIEW, 12.5, 3)
        assert record.state.due == NOON
        assert store.review_count() == 3
        store.set_setting("desired_retention", "0.9")  # the table version 2 added
        review(store, ("asyncio", "old-card"), Grade.GOOD, NOON)
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(path, "SELECT DISTINCT source FROM review") == [("study",)]
    indexes = {row[0] for row in raw(path, "SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"review_time", "card_state_introduced", "review_card"} <= indexes


def test_a_failed_migration_leaves_the_old_version_untouched(tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite3"
    write_version_1_database(path)
    # A table in the way of version 2's CREATE TABLE makes the step fail half-way.
    raw(path, "CREATE TABLE setting (x)")
    with pytest.raises(QuizzerError, match="not a usable review database"):
        connect(path)
    assert raw(path, "PRAGMA user_version") == [(1,)]
    assert [row[1] for row in raw(path, "PRAGMA table_info(review)")][-1] == "previous"


def test_a_database_from_a_newer_quizzer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(QuizzerError, match="newer than this quizzer"):
        connect(path)


def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite3"
    path.write_bytes(b"these are my notes, not a database" * 100)
    with pytest.raises(QuizzerError, match="not a usable review database") as caught:
        connect(path)
    assert "\n" not in str(caught.value)
    assert path.read_bytes().startswith(b"these are my notes")


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on a held lock after 0.2 s, not 10 s (the lock itself is real)."""
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 200)


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another connection holding the write lock, as a second quizzer mid-review does."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


@pytest.mark.usefixtures("short_busy_timeout")
def test_a_review_while_another_process_holds_the_lock_is_one_clear_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "reviews.sqlite3"
    with open_store(path) as store:
        with write_lock_held(path), pytest.raises(DatabaseBusy) as caught:
            review(store, KEY, Grade.GOOD, NOON)
        assert str(caught.value) == (
            f"{path}: another quizzer is using the review database; try again"
        )
        assert isinstance(caught.value, QuizzerError)
        # Nothing was half-written, and once the lock is free the same store takes the review.
        assert store.review_count() == 0
        review(store, KEY, Grade.GOOD, NOON)
        assert store.review_count() == 1


def test_a_full_disk_is_one_clear_error_and_keeps_what_was_saved(store: Store) -> None:
    fill_the_disk(store)
    saved = 0
    with pytest.raises(StorageError) as caught:
        for minute in range(10_000):  # until the room left in the last pages is gone too
            review(store, KEY, Grade.GOOD, NOON + timedelta(minutes=minute))
            saved += 1
    assert str(caught.value) == f"{store.path}: cannot use the review database: the disk is full"
    assert not isinstance(caught.value, DatabaseBusy)
    # Every review before the failing one is there, whole; the failing one left nothing.
    assert store.review_count() == saved
    assert store.record(KEY).reps == saved  # type: ignore[union-attr]


@pytest.mark.usefixtures("short_busy_timeout")
def test_opening_while_another_process_holds_the_lock_is_one_clear_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "reviews.sqlite3"
    with open_store(path):
        pass
    with write_lock_held(path), pytest.raises(DatabaseBusy, match="another quizzer is using"):
        connect(path)


@pytest.mark.usefixtures("short_busy_timeout")
def test_stats_while_the_database_is_locked_exits_2_with_one_line(runner: CliRunner) -> None:
    path = paths.database_path()
    with open_store(path):
        pass
    with write_lock_held(path):
        result = runner.invoke(cli, ["stats"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: another quizzer is using the review database; try again\n"
    )


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from quizzer.model import Grade
    from quizzer.schedule import Scheduler
    from quizzer.grading import record_grade
    from quizzer.store import open_store

    path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    scheduler = Scheduler(fuzzing=False)
    now = datetime(2025, 3, 10, 12, tzinfo=UTC)
    with open_store(path) as store:
        print("ready", flush=True)
        for n in range(count):
            # half the cards are shared by both writers, half are their own
            key = ("asyncio", f"shared-{n % 5}" if n % 2 else f"{name}-{n % 7}")
            record_grade(store, scheduler, key, store.record(key), Grade.GOOD,
                         now + timedelta(seconds=n))
    """
)


def invariant_problems(path: Path) -> list[str]:
    """Where a card's stored review count disagrees with its log rows (a torn review)."""
    rows = raw(
        path,
        "SELECT s.deck, s.card_id, s.reps, COUNT(r.id) FROM card_state s"
        " LEFT JOIN review r ON r.deck = s.deck AND r.card_id = s.card_id"
        " GROUP BY s.deck, s.card_id",
    )
    orphans = raw(
        path,
        "SELECT COUNT(*) FROM review r WHERE NOT EXISTS"
        " (SELECT 1 FROM card_state s WHERE s.deck = r.deck AND s.card_id = r.card_id)",
    )
    problems = [
        f"{deck}/{card}: reps {reps} != {count} rows"
        for deck, card, reps, count in rows
        if reps != count
    ]
    return problems + ([f"{orphans[0][0]} orphan reviews"] if orphans[0][0] else [])


def test_two_sessions_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite3"
    with open_store(path):
        pass
    command = [sys.executable, "-c", WRITER, str(path)]
    writers = [
        subprocess.Popen([*command, name, "120"], stdout=subprocess.PIPE, text=True)
        for name in ("one", "two")
    ]
    for writer in writers:
        assert writer.wait(timeout=60) == 0
    assert raw(path, "PRAGMA integrity_check") == [("ok",)]
    assert raw(path, "SELECT COUNT(*) FROM review") == [(240,)]
    assert invariant_problems(path) == []
    # Both writers graded the shared cards: each one's reps counts both sessions' reviews.
    assert raw(path, "SELECT SUM(reps) FROM card_state WHERE card_id LIKE 'shared-%'") == [(120,)]


def test_a_session_killed_mid_review_leaves_the_database_sound(tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite3"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "solo", "100000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and raw(path, "SELECT COUNT(*) FROM review")[0][0] < 30:
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert raw(path, "PRAGMA integrity_check") == [("ok",)]
    assert raw(path, "SELECT COUNT(*) FROM review")[0][0] >= 30
    assert invariant_problems(path) == []
    with open_store(path) as store:  # and it opens and takes reviews as before
        review(store, ("asyncio", "after-kill"), Grade.GOOD, NOON)


def test_suspend_and_unsuspend_hold_a_card_until_undone(store: Store) -> None:
    other = ("asyncio", "gather")
    assert store.set_suspended([KEY], True) == 1
    assert store.set_suspended([KEY], True) == 0  # already suspended: nothing changes
    assert store.holds({"asyncio"}, NOON) == {KEY: store_module.Hold.SUSPENDED}
    assert store.holds({"asyncio"}, NOON + timedelta(days=400)) == {
        KEY: store_module.Hold.SUSPENDED
    }
    assert store.set_suspended([KEY, other], False) == 1
    assert store.holds({"asyncio"}, NOON) == {}


def test_a_buried_card_is_held_until_the_time_given(store: Store) -> None:
    store.bury([KEY], NOON + timedelta(hours=6))
    assert store.holds({"asyncio"}, NOON) == {KEY: store_module.Hold.BURIED}
    assert store.holds({"asyncio"}, NOON + timedelta(hours=6)) == {}
    assert store.holds({"other-deck"}, NOON) == {}


def test_reset_makes_a_card_new_and_keeps_its_reviews_marked(store: Store) -> None:
    review(store, KEY, Grade.GOOD, NOON)
    last = review(store, KEY, Grade.GOOD, NOON + timedelta(days=1))
    assert store.reset([KEY], NOON + timedelta(days=2)) == 1
    assert store.record(KEY) is None
    log = store.reviews(KEY)
    assert [r.grade for r in log] == [Grade.GOOD, Grade.GOOD]
    assert all(r.reset_at == NOON + timedelta(days=2) for r in log)
    assert log[0].interval is not None and log[1].interval is None
    with pytest.raises(StaleRecord):  # a review from before the reset is not undone
        store.undo(last)
    review(store, KEY, Grade.AGAIN, NOON + timedelta(days=3))
    log = store.reviews(KEY)
    assert [r.reset_at is None for r in log] == [False, False, True]
    assert log[2].interval is not None and log[2].interval < timedelta(hours=1)


def test_the_review_log_gives_each_review_its_interval(store: Store) -> None:
    review(store, KEY, Grade.GOOD, NOON)
    review(store, KEY, Grade.GOOD, NOON + timedelta(days=1))
    log = store.reviews(KEY)
    record = store.record(KEY)
    assert record is not None
    assert log[1].interval == record.state.due - (NOON + timedelta(days=1))
    assert log[0].to_dict()["grade"] == "Good" and log[0].to_dict()["before_reset"] is False


def test_a_renamed_card_takes_its_history_and_holds_with_it(store: Store) -> None:
    new = ("asyncio", "create-task-2")
    review(store, KEY, Grade.GOOD, NOON)
    store.set_suspended([KEY], True)
    store.rename_card(KEY, new)
    assert store.record(KEY) is None and not store.has_history(KEY)
    assert store.record(new) is not None and len(store.reviews(new)) == 1
    assert store.holds({"asyncio"}, NOON) == {new: store_module.Hold.SUSPENDED}
    review(store, KEY, Grade.GOOD, NOON)
    with pytest.raises(QuizzerError, match="already has a review history"):
        store.rename_card(new, KEY)
    assert len(store.reviews(new)) == 1  # nothing moved


def test_records_of_reads_only_the_keys_asked_for_in_batches(store: Store) -> None:
    state = SCHEDULER.review(None, Grade.GOOD, NOON)
    asked = [("asyncio", f"card-{n}") for n in range(1200)]  # more than one query's worth
    for key in [*asked[::3], ("asyncio", "removed"), ("other", "card-0")]:
        store.record_review(key, None, state, Grade.GOOD, NOON)
    found = store.records_of([*asked, ("other", "card-0")])
    assert set(found) == {*asked[::3], ("other", "card-0")}
    assert all(record.state == state for record in found.values())
    assert store.records_of([]) == {}
