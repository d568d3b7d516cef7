"""Review state in SQLite: one row per reviewed card, one row per review.

Cards are keyed on (deck, card id), so a card whose text changes keeps its history, and a card
removed from its deck keeps its rows (the engines only ask for the cards they were given).
Each review is one transaction; WAL mode and a busy timeout let two sessions share the file, and a
process killed at any moment leaves the database as it was before or after a whole review.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from quizzer.errors import QuizzerError
from quizzer.model import CardState, Grade, Phase

Key = tuple[str, str]  # (deck, card id)

BUSY_TIMEOUT_MS = 10_000

# MIGRATIONS[n] takes a database from schema version n-1 to n (PRAGMA user_version).
# Never edit a shipped step: add the next one.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE card_state (
            deck TEXT NOT NULL,
            card_id TEXT NOT NULL,
            phase INTEGER NOT NULL,
            step INTEGER,
            stability REAL,
            difficulty REAL,
            due REAL NOT NULL,             -- unix seconds, UTC
            last_review REAL,
            introduced REAL NOT NULL,      -- when the card was first reviewed
            reps INTEGER NOT NULL,         -- reviews so far: detects a concurrent session
            PRIMARY KEY (deck, card_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE review (
            id INTEGER PRIMARY KEY,
            deck TEXT NOT NULL,
            card_id TEXT NOT NULL,
            grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 4),
            reviewed_at REAL NOT NULL,
            duration_ms INTEGER,
            phase_before INTEGER,          -- NULL: the card was new
            previous TEXT                  -- the card_state row before, as JSON, for undo
        )""",
        "CREATE INDEX review_card ON review (deck, card_id)",
    ),
    2: (
        "ALTER TABLE review ADD COLUMN source TEXT NOT NULL DEFAULT 'study'",
        "CREATE TABLE setting (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        "CREATE INDEX review_time ON review (reviewed_at)",
        "CREATE INDEX card_state_introduced ON card_state (deck, introduced)",
    ),
    3: (
        # A card held out of study and test: suspended until unsuspended, or buried until a time.
        # Apart from card_state: a new card (no state yet) can be held too.
        """CREATE TABLE card_hold (
            deck TEXT NOT NULL,
            card_id TEXT NOT NULL,
            suspended INTEGER NOT NULL DEFAULT 0,
            buried_until REAL,             -- unix seconds, UTC; NULL: not buried
            PRIMARY KEY (deck, card_id)
        ) WITHOUT ROWID""",
        # When the card was reset after this review (NULL: it counts towards its schedule).
        "ALTER TABLE review ADD COLUMN reset_at REAL",
    ),
}
SCHEMA_VERSION = max(MIGRATIONS)
_KEYS_PER_QUERY = 500  # bound parameters per query: well under SQLite's oldest limit (999)


@dataclass(frozen=True)
class Record:
    """A reviewed card as stored: its scheduler state, when it was first seen, its reviews."""

    state: CardState
    introduced: datetime
    reps: int

    def to_dict(self) -> dict[str, object]:
        return {
            **self.state.to_dict(),
            "introduced": self.introduced.isoformat(),
            "reps": self.reps,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        return cls(
            CardState.from_dict(data), datetime.fromisoformat(data["introduced"]), int(data["reps"])
        )


class Hold(StrEnum):
    """Why a card is kept out of study and test."""

    SUSPENDED = "suspended"  # until unsuspended
    BURIED = "buried"  # until the time it was buried to


@dataclass(frozen=True)
class LoggedReview:
    """One row of a card's review log, for `quizzer show`."""

    reviewed_at: datetime
    grade: Grade
    interval: timedelta | None  # from the review to the due time it gave (None: not known)
    duration_ms: int | None
    source: str  # "study" or "test"
    reset_at: datetime | None  # when the card was reset after this review, if it was

    def to_dict(self) -> dict[str, object]:
        return {
            "date": self.reviewed_at.isoformat(),
            "grade": self.grade.label,
            "interval_days": (
                round(self.interval.total_seconds() / 86400, 4) if self.interval else None
            ),
            "seconds": self.duration_ms / 1000 if self.duration_ms is not None else None,
            "source": self.source,
            "before_reset": self.reset_at is not None,
        }


@dataclass(frozen=True)
class CardCounts:
    """Review numbers of one card for `stats`."""

    reviews: int
    recent_mature: int  # reviews in the window of a card in the review phase
    recent_recalled: int  # ... of which were not graded Again


# Schedules a review again from the card's fresh record (None: never reviewed).
Reschedule = Callable[[Record | None], CardState]


class StaleRecord(QuizzerError):
    """Another session reviewed the card since its record was read."""


class StorageError(QuizzerError):
    """The review database cannot be read or written here (a full disk, permissions, I/O)."""


class DatabaseBusy(StorageError):
    """Another process held the database's write lock for longer than the busy timeout."""


class Store:
    """An open review database. Use `open_store` to get one."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    def close(self) -> None:
        self._db.close()

    # -- reading -------------------------------------------------------------------------

    def records(self, decks: Collection[str]) -> dict[Key, Record]:
        """Every stored card of `decks`, in one query."""
        if not decks:
            return {}
        marks = ",".join("?" * len(decks))
        rows = self._db.execute(
            f"SELECT deck, card_id, phase, step, stability, difficulty, due, last_review,"
            f" introduced, reps FROM card_state WHERE deck IN ({marks})",
            tuple(decks),
        )
        return {(row[0], row[1]): _record_from_row(row[2:]) for row in rows}

    def records_of(self, keys: Iterable[Key]) -> dict[Key, Record]:
        """The stored records of `keys`, looked up by primary key (a key never reviewed has
        none). Unlike `records`, it never reads the rows of cards no longer in a deck, which a
        long history piles up."""
        by_deck: dict[str, list[str]] = {}
        for deck, card_id in keys:
            by_deck.setdefault(deck, []).append(card_id)
        found: dict[Key, Record] = {}
        for deck, ids in by_deck.items():
            for start in range(0, len(ids), _KEYS_PER_QUERY):
                batch = ids[start : start + _KEYS_PER_QUERY]
                rows = self._db.execute(
                    f"SELECT card_id, phase, step, stability, difficulty, due, last_review,"
                    f" introduced, reps FROM card_state"
                    f" WHERE deck = ? AND card_id IN ({','.join('?' * len(batch))})",
                    (deck, *batch),
                )
                found.update(((deck, row[0]), _record_from_row(row[1:])) for row in rows)
        return found

    def record(self, key: Key) -> Record | None:
        """The stored card `key`, or None when it was never reviewed."""
        row = self._db.execute(
            "SELECT phase, step, stability, difficulty, due, last_review, introduced, reps"
            " FROM card_state WHERE deck = ? AND card_id = ?",
            key,
        ).fetchone()
        return _record_from_row(row) if row else None

    def holds(self, decks: Collection[str], now: datetime) -> dict[Key, Hold]:
        """The cards of `decks` kept out of study and test at `now`, and why."""
        if not decks:
            return {}
        rows = self._db.execute(
            f"SELECT deck, card_id, suspended FROM card_hold"
            f" WHERE (suspended OR buried_until > ?) AND deck IN ({','.join('?' * len(decks))})",
            (now.timestamp(), *decks),
        )
        return {(row[0], row[1]): Hold.SUSPENDED if row[2] else Hold.BURIED for row in rows}

    def reviews(self, key: Key) -> list[LoggedReview]:
        """The review log of card `key`, oldest first, reviews from before a reset included."""
        rows = self._db.execute(
            "SELECT reviewed_at, grade, duration_ms, source, reset_at, previous FROM review"
            " WHERE deck = ? AND card_id = ? ORDER BY id",
            key,
        ).fetchall()
        current = self.record(key)
        found = []
        for index, (reviewed_at, grade, duration_ms, source, reset_at, _) in enumerate(rows):
            # The due time a review gave is the state the next review started from, or, for
            # the last review since a reset, the card's state now.
            later = rows[index + 1][5] if index + 1 < len(rows) else None
            due: datetime | None = None
            if later is not None:
                due = Record.from_dict(json.loads(later)).state.due
            elif index + 1 == len(rows) and reset_at is None and current is not None:
                due = current.state.due
            when = _from_timestamp(reviewed_at)
            found.append(
                LoggedReview(
                    reviewed_at=when,
                    grade=Grade(grade),
                    interval=due - when if due is not None else None,
                    duration_ms=duration_ms,
                    source=source,
                    reset_at=_from_timestamp(reset_at) if reset_at is not None else None,
                )
            )
        return found

    def introduced_since(
        self, decks: Collection[str], since: datetime, until: datetime | None = None
    ) -> int:
        """How many cards of `decks` were first reviewed at or after `since` (and before
        `until`: a clock that was once set ahead leaves cards introduced in the future)."""
        if not decks:
            return 0
        end = until.timestamp() if until is not None else float("inf")
        count: int = self._db.execute(
            f"SELECT COUNT(*) FROM card_state WHERE introduced >= ? AND introduced < ?"
            f" AND deck IN ({','.join('?' * len(decks))})",
            (since.timestamp(), end, *decks),
        ).fetchone()[0]
        return count

    def review_count(self) -> int:
        """The number of review rows, of every deck."""
        count: int = self._db.execute("SELECT COUNT(*) FROM review").fetchone()[0]
        return count

    def card_counts(
        self, decks: Collection[str], since: datetime, until: datetime | None = None
    ) -> dict[Key, CardCounts]:
        """Per card of `decks`: reviews in all, and its mature reviews from `since` to `until`
        (a clock once set ahead leaves reviews dated in the future)."""
        if not decks:
            return {}
        marks = ",".join("?" * len(decks))
        window = "reviewed_at >= ? AND reviewed_at <= ?"
        bounds = (since.timestamp(), until.timestamp() if until is not None else float("inf"))
        rows = self._db.execute(
            f"SELECT deck, card_id, COUNT(*),"
            f" COUNT(CASE WHEN {window} AND phase_before = {int(Phase.REVIEW)} THEN 1 END),"
            f" COUNT(CASE WHEN {window} AND phase_before = {int(Phase.REVIEW)}"
            f"     AND grade > {int(Grade.AGAIN)} THEN 1 END)"
            f" FROM review WHERE deck IN ({marks}) GROUP BY deck, card_id",
            (*bounds, *bounds, *decks),
        )
        return {(row[0], row[1]): CardCounts(row[2], row[3], row[4]) for row in rows}

    def review_log(
        self, decks: Collection[str], since: datetime
    ) -> list[tuple[float, int | None, int]]:
        """(reviewed_at as a timestamp, phase_before, grade) of every review of `decks` since
        `since`: the history `stats` draws."""
        if not decks:
            return []
        rows = self._db.execute(
            f"SELECT reviewed_at, phase_before, grade FROM review WHERE reviewed_at >= ?"
            f" AND deck IN ({','.join('?' * len(decks))})",
            (since.timestamp(), *decks),
        )
        return [(float(row[0]), row[1], int(row[2])) for row in rows]

    def setting(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM setting WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    # -- writing: each method is one transaction -----------------------------------------

    def set_setting(self, name: str, value: str) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO setting (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    def set_suspended(self, keys: Collection[Key], suspended: bool) -> int:
        """Suspend (or unsuspend) the cards `keys`; returns how many changed."""
        changed = 0
        with self._transaction():
            for key in keys:
                if suspended:
                    cursor = self._db.execute(
                        "INSERT INTO card_hold (deck, card_id, suspended) VALUES (?, ?, 1)"
                        " ON CONFLICT (deck, card_id) DO UPDATE SET suspended = 1"
                        " WHERE NOT suspended",
                        key,
                    )
                else:
                    cursor = self._db.execute(
                        "UPDATE card_hold SET suspended = 0"
                        " WHERE deck = ? AND card_id = ? AND suspended",
                        key,
                    )
                changed += cursor.rowcount
            self._forget_empty_holds()
        return changed

    def bury(self, keys: Collection[Key], until: datetime) -> None:
        """Keep the cards `keys` out of study and test until `until`."""
        with self._transaction():
            for key in keys:
                self._db.execute(
                    "INSERT INTO card_hold (deck, card_id, buried_until) VALUES (?, ?, ?)"
                    " ON CONFLICT (deck, card_id)"
                    " DO UPDATE SET buried_until = excluded.buried_until",
                    (*key, until.timestamp()),
                )

    def reset(self, keys: Collection[Key], now: datetime) -> int:
        """Make the cards `keys` new again; returns how many had a schedule to forget.

        Their review rows stay, marked with the time of the reset, so no review is lost.
        """
        changed = 0
        with self._transaction():
            for key in keys:
                cursor = self._db.execute(
                    "DELETE FROM card_state WHERE deck = ? AND card_id = ?", key
                )
                changed += cursor.rowcount
                self._db.execute(
                    "UPDATE review SET reset_at = ? WHERE deck = ? AND card_id = ?"
                    " AND reset_at IS NULL",
                    (now.timestamp(), *key),
                )
        return changed

    def rename_card(self, old: Key, new: Key) -> None:
        """Move the state, holds and review log of card `old` to `new` (a renamed card).

        Refused when `new` has rows of its own: two histories are never merged.
        """
        with self._transaction():
            if self.has_history(new):
                raise QuizzerError(
                    f"card {new[0]}/{new[1]} already has a review history; choose another id"
                )
            for table in ("card_state", "card_hold", "review"):
                self._db.execute(
                    f"UPDATE {table} SET deck = ?, card_id = ? WHERE deck = ? AND card_id = ?",
                    (*new, *old),
                )

    def has_history(self, key: Key) -> bool:
        """Whether card `key` has any row: a state, a hold or a review."""
        return any(
            self._db.execute(
                f"SELECT 1 FROM {table} WHERE deck = ? AND card_id = ?", key
            ).fetchone()
            for table in ("card_state", "card_hold", "review")
        )

    def _forget_empty_holds(self) -> None:
        self._db.execute("DELETE FROM card_hold WHERE NOT suspended AND buried_until IS NULL")

    def record_review(
        self,
        key: Key,
        before: Record | None,
        after: CardState,
        grade: Grade,
        reviewed_at: datetime,
        *,
        duration_ms: int | None = None,
        source: str = "study",
        reschedule: Reschedule | None = None,
    ) -> tuple[int, Record]:
        """Log one review and store the card's new state; returns the review's id and the
        card's new record.

        When the stored card is no longer `before` (another session reviewed it meanwhile),
        `reschedule` gives the new state from the fresh record, read under the same write lock
        so no third session can slip in; without it, StaleRecord is raised.
        """
        with self._transaction():
            if self._current_reps(key) != (before.reps if before else None):
                if reschedule is None:
                    raise StaleRecord(f"card {key[0]}/{key[1]} was reviewed by another session")
                before = self.record(key)
                after = reschedule(before)
            cursor = self._db.execute(
                "INSERT INTO review (deck, card_id, grade, reviewed_at, duration_ms, phase_before,"
                " previous, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    int(grade),
                    reviewed_at.timestamp(),
                    duration_ms,
                    int(before.state.phase) if before else None,
                    json.dumps(before.to_dict()) if before else None,
                    source,
                ),
            )
            introduced = before.introduced if before else reviewed_at
            reps = before.reps + 1 if before else 1
            self._db.execute(
                "INSERT OR REPLACE INTO card_state (deck, card_id, phase, step, stability,"
                " difficulty, due, last_review, introduced, reps)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*key, *_state_columns(after), introduced.timestamp(), reps),
            )
            review_id = cursor.lastrowid
        assert review_id is not None
        return review_id, Record(after, introduced, reps)

    def undo(self, review_id: int) -> Record | None:
        """Take back review `review_id`: its row goes, the card's state before it returns.

        Returns the restored record (None: the card is new again). Refuses, with StaleRecord,
        when the card has been reviewed again since.
        """
        with self._transaction():
            row = self._db.execute(
                "SELECT deck, card_id, previous, reset_at FROM review WHERE id = ?", (review_id,)
            ).fetchone()
            if row is None:
                raise QuizzerError(f"no review {review_id} to undo")
            key, previous = (row[0], row[1]), row[2]
            if row[3] is not None:
                raise StaleRecord(f"card {key[0]}/{key[1]} was reset since; not undone")
            later = self._db.execute(
                "SELECT COUNT(*) FROM review WHERE deck = ? AND card_id = ? AND id > ?",
                (*key, review_id),
            ).fetchone()[0]
            if later:
                raise StaleRecord(f"card {key[0]}/{key[1]} was reviewed again since; not undone")
            self._db.execute("DELETE FROM review WHERE id = ?", (review_id,))
            if previous is None:
                self._db.execute("DELETE FROM card_state WHERE deck = ? AND card_id = ?", key)
                return None
            restored = Record.from_dict(json.loads(previous))
            self._db.execute(
                "UPDATE card_state SET phase = ?, step = ?, stability = ?, difficulty = ?,"
                " due = ?, last_review = ?, introduced = ?, reps = ?"
                " WHERE deck = ? AND card_id = ?",
                (
                    *_state_columns(restored.state),
                    restored.introduced.timestamp(),
                    restored.reps,
                    *key,
                ),
            )
            return restored

    def _current_reps(self, key: Key) -> int | None:
        row = self._db.execute(
            "SELECT reps FROM card_state WHERE deck = ? AND card_id = ?", key
        ).fetchone()
        return int(row[0]) if row else None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so a second session waits (busy timeout)
        # instead of failing half-way through a review.
        with _storage_errors_reported(self.path):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise


@contextmanager
def open_store(path: Path) -> Iterator[Store]:
    """Open (creating or migrating as needed) the review database at `path`."""
    store = Store(connect(path), path)
    try:
        yield store
    finally:
        store.close()


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the database at `path`, migrated to the current schema."""
    _refuse_links(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: quizzer issues BEGIN/COMMIT itself, one per review.
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except (OSError, sqlite3.Error) as error:
        raise QuizzerError(f"{path}: cannot open the review database: {error}") from None
    try:
        with _storage_errors_reported(path):
            connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
            connection.execute("PRAGMA journal_mode = WAL")
            # FULL: a review that was reported saved survives even a power cut, not just a kill.
            connection.execute("PRAGMA synchronous = FULL")
            migrate(connection)
    except sqlite3.DatabaseError as error:
        connection.close()
        raise QuizzerError(f"{path}: not a usable review database ({error})") from None
    except BaseException:
        connection.close()
        raise
    return connection


def _refuse_links(path: Path) -> None:
    """Refuse a database (or its journal) that is a symlink: SQLite would follow it and
    create or change a database wherever it points, outside the data folder."""
    for name in (path.name, *(path.name + suffix for suffix in ("-wal", "-shm", "-journal"))):
        candidate = path.with_name(name)
        if candidate.is_symlink():
            raise QuizzerError(
                f"{candidate} is a symbolic link; the review database must be a regular file"
            )


def migrate(connection: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema up to version `target`, all steps in one transaction; returns it."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise QuizzerError(
                f"the review database has schema version {version}, newer than this quizzer"
                f" knows ({SCHEMA_VERSION}); upgrade quizzer"
            )
        for step in range(version + 1, target + 1):
            for statement in MIGRATIONS[step]:
                connection.execute(statement)
        if target > version:
            connection.execute(f"PRAGMA user_version = {int(target)}")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return max(version, target)


# What the machine, not the file, is to blame for: each is said in words, not as corruption.
_STORAGE_PROBLEMS = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "it is read-only here",
    sqlite3.SQLITE_CANTOPEN: "it cannot be opened (check the folder exists and is writable)",
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_IOERR: "the disk failed to read or write it (is it full?)",
}


@contextmanager
def _storage_errors_reported(path: Path) -> Iterator[None]:
    """Turn "database is locked" (another process kept the write lock past the busy timeout)
    into DatabaseBusy, and a full disk or a read-only folder into StorageError, so the user
    sees one line instead of an internal error."""
    try:
        yield
    except sqlite3.OperationalError as error:
        code = error.sqlite_errorcode & 0xFF  # the primary code of an extended one
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise DatabaseBusy(
                f"{path}: another quizzer is using the review database; try again"
            ) from None
        if code in _STORAGE_PROBLEMS:
            raise StorageError(
                f"{path}: cannot use the review database: {_STORAGE_PROBLEMS[code]}"
            ) from None
        raise


def _state_columns(state: CardState) -> tuple[object, ...]:
    return (
        int(state.phase),
        state.step,
        state.stability,
        state.difficulty,
        state.due.timestamp(),
        state.last_review.timestamp() if state.last_review else None,
    )


def _record_from_row(row: Sequence[Any]) -> Record:
    phase, step, stability, difficulty, due, last_review, introduced, reps = row
    try:
        state = CardState(
            phase=Phase(phase),
            step=step,
            stability=stability,
            difficulty=difficulty,
            due=_from_timestamp(due),
            last_review=_from_timestamp(last_review) if last_review is not None else None,
        )
        return Record(state, _from_timestamp(introduced), int(reps))
    except (TypeError, ValueError, OverflowError, OSError):
        # A hand edit gone wrong (a time past year 9999, text where a number belongs): say so,
        # rather than report an internal error.
        raise QuizzerError(
            "the review database is damaged: a card's state holds a value out of range or of"
            f" the wrong type: {tuple(row)!r}"
        ) from None


def _from_timestamp(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)
