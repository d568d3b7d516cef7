"""Stats: one definition of "due" with study, the chart series, and the screen at any width."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_deck
from fake_ui import FakeClock, FakeUI

from quizzer import paths
from quizzer.cli import cli
from quizzer.deck import load_deck
from quizzer.model import Card, CardState, Grade, Phase
from quizzer.prompts import Command
from quizzer.schedule import Scheduler
from quizzer.stats import CHART_DAYS, HISTORY_DAYS, RETENTION_WEEKS, study_stats
from quizzer.store import Store, open_store
from quizzer.study import StudySession

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)  # 13:00 in Paris; the study day ends at 03:00 UTC

DECK = """
deck = "pets"
section = "Cats"
{cards}
"""
CARD = """
[[card]]
id = "{id}"
front = "What does {id} do?"
back = "{id}()"
"""


@pytest.fixture(autouse=True)
def paris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def cards_of(folder: Path, *ids: str) -> list[Card]:
    text = DECK.format(cards="".join(CARD.format(id=i) for i in ids))
    return list(load_deck(write_deck(folder, "cats.toml", text)).cards)


def put(store: Store, card_id: str, phase: Phase, due: datetime) -> None:
    learning = phase != Phase.REVIEW
    state = CardState(phase, 0 if learning else None, 2.0, 5.0, due, NOW - timedelta(days=3))
    store.record_review(("pets", card_id), None, state, Grade.GOOD, NOW - timedelta(days=3))


@pytest.fixture
def mixed(tmp_path: Path) -> Iterator[tuple[list[Card], Store]]:
    """Two review cards due today (one overdue, one due this evening), one due tomorrow, a
    learning card due now, one due later today, one tomorrow morning, and two new cards."""
    ids = ("r-old", "r-evening", "r-tomorrow", "l-now", "l-later", "l-tomorrow", "n1", "n2")
    cards = cards_of(tmp_path / "deck", *ids)
    with open_store(tmp_path / "reviews.sqlite3") as store:
        put(store, "r-old", Phase.REVIEW, NOW - timedelta(days=2))
        put(store, "r-evening", Phase.REVIEW, NOW + timedelta(hours=9))  # 22:00 in Paris
        put(store, "r-tomorrow", Phase.REVIEW, NOW + timedelta(hours=20))  # 09:00 tomorrow
        put(store, "l-now", Phase.RELEARNING, NOW - timedelta(minutes=5))
        put(store, "l-later", Phase.LEARNING, NOW + timedelta(hours=2))
        put(store, "l-tomorrow", Phase.LEARNING, NOW + timedelta(hours=16))  # 05:00 tomorrow
        yield cards, store


def test_study_and_stats_agree_on_what_is_due(mixed: tuple[list[Card], Store]) -> None:
    cards, store = mixed
    ui = FakeUI([Command.QUIT])
    session = StudySession(cards, store, Scheduler(), ui, clock=FakeClock(NOW))
    session.run()
    first, position = ui.shown[0]
    study_due = position.due_left + 1  # the card on screen is a due one
    assert first.id == "r-old" and position.new_left == 2

    stats = study_stats(cards, store, NOW).total
    assert study_due == stats.due == 3  # r-old, r-evening, l-now
    assert (stats.due_review, stats.due_learning, stats.learning_later) == (2, 1, 1)
    assert stats.new == 2 and stats.learning == 3 and stats.review == 3


def test_the_forecast_counts_each_card_on_the_day_it_falls_due(
    mixed: tuple[list[Card], Store],
) -> None:
    cards, store = mixed
    stats = study_stats(cards, store, NOW)
    due = [count for _, count in stats.due_by_day]
    assert len(due) == CHART_DAYS
    assert due[:3] == [4, 2, 0]  # today: everything before 03:00 UTC; tomorrow: the two others
    assert sum(due) == 6
    days = [day.astimezone().date().isoformat() for day, _ in stats.due_by_day[:2]]
    assert days == ["2025-03-10", "2025-03-11"]
    data = stats.to_dict()
    assert data["forecast"][1] == {"date": "2025-03-11", "due": 2}
    assert [d["due"] for d in data["due_next_days"]] == due[1:8]


def test_reviews_per_day_and_retention_by_week(tmp_path: Path) -> None:
    cards = cards_of(tmp_path / "deck", "a")
    # Three reviews of a card in review today (one forgotten), one 8 days ago.
    later = [(1, Grade.GOOD), (2, Grade.AGAIN), (3, Grade.GOOD), (8 * 24, Grade.HARD)]
    with open_store(tmp_path / "reviews.sqlite3") as store:
        review = CardState(Phase.REVIEW, None, 10.0, 5.0, NOW, NOW - timedelta(days=40))
        store.record_review(("pets", "a"), None, review, Grade.EASY, NOW - timedelta(days=40))
        for hours, grade in later:
            before = store.record(("pets", "a"))
            assert before is not None
            store.record_review(("pets", "a"), before, review, grade, NOW - timedelta(hours=hours))
        stats = study_stats(cards, store, NOW)
    per_day = [count for _, count in stats.reviews_by_day]
    assert len(per_day) == HISTORY_DAYS and per_day[-1] == 3 and per_day[-9] == 1
    assert per_day[-41] == 1 and sum(per_day) == 5
    weeks = stats.retention_by_week
    assert len(weeks) == RETENTION_WEEKS
    assert (weeks[-1].reviews, weeks[-1].recalled) == (3, 2)
    assert (weeks[-2].reviews, weeks[-2].recalled) == (1, 1)
    assert weeks[-3].retention is None
    # The first review was of a new card: no retention to measure.
    assert sum(week.reviews for week in weeks) == 4
    data = stats.to_dict()
    assert data["retention_by_week"][-1] == {
        "week": "2025-03-04",
        "reviews": 3,
        "retention": 0.6667,
    }
    assert data["reviews_per_day"][-1] == {"date": "2025-03-10", "reviews": 3}


LONG_SECTIONS = ("Semaphores, Events and Conditions", "Async Generators and Iterators")
HEADERS = ["section", "new", "learning", "review", "due", "later", "retention"]


@pytest.fixture
def reviewed_home(tmp_path: Path, home: Path) -> Path:
    """A deck of two long-named sections whose cards have five weeks of reviews; returns it."""
    folder = tmp_path / "long"
    for number, section in enumerate(LONG_SECTIONS):
        cards = "".join(CARD.format(id=f"c{number}-{n}") for n in range(4))
        text = DECK.replace("Cats", section).format(cards=cards)
        write_deck(folder, f"s{number}.toml", text)
    now = datetime.now(UTC)
    with open_store(paths.database_path()) as store:
        for card in load_deck(folder).cards:
            first = CardState(Phase.REVIEW, None, 5.0, 5.0, now, now - timedelta(days=40))
            store.record_review(card.key, None, first, Grade.EASY, now - timedelta(days=40))
            for week in range(5):
                before = store.record(card.key)
                assert before is not None
                due = now + timedelta(days=1 + week * 3 + len(card.id))
                state = CardState(Phase.REVIEW, None, 9.0, 5.0, due, now)
                grade = Grade.AGAIN if week == 2 else Grade.GOOD
                store.record_review(card.key, before, state, grade, now - timedelta(days=7 * week))
    return folder


def stats_output(folder: Path, home: Path, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "quizzer", "stats", "--deck", str(folder)],
        capture_output=True,
        text=True,
        env={**os.environ, paths.HOME_ENV: str(home), **env},
        check=True,
    )
    return result.stdout


def test_stats_at_60_columns_fit_and_keep_their_headers(reviewed_home: Path, home: Path) -> None:
    output = stats_output(reviewed_home, home, COLUMNS="60")
    lines = output.splitlines()
    too_long = [line for line in lines if len(line) > 60]
    assert too_long == []
    assert "…" not in output
    header = next(line for line in lines if line.startswith("section"))
    assert header.split() == HEADERS
    # The long section names wrap at words, whole.
    assert any(line.startswith("Semaphores, Events") for line in lines)
    for title in ("Reviews due, the next 30 days", "Reviews per day", "True retention by week"):
        assert title in output


def test_stats_at_80_columns_also_count_reviews(reviewed_home: Path, home: Path) -> None:
    output = stats_output(reviewed_home, home, COLUMNS="80")
    header = next(line for line in output.splitlines() if line.startswith("section"))
    assert header.split() == [*HEADERS[:-1], "reviews", "retention"]
    assert max(len(line) for line in output.splitlines()) <= 80


_COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|9[0-7])[;m]")


def test_no_color_keeps_the_charts_and_drops_the_colours(reviewed_home: Path, home: Path) -> None:
    coloured = stats_output(reviewed_home, home, COLUMNS="80", FORCE_COLOR="1")
    assert _COLOUR.search(coloured)
    plain = stats_output(reviewed_home, home, COLUMNS="80", FORCE_COLOR="1", NO_COLOR="1")
    assert not _COLOUR.search(plain)
    assert "Reviews due, the next 30 days" in plain and "█" in plain


def test_stats_json_keeps_its_keys_and_adds_the_series(
    reviewed_home: Path, home: Path, runner: CliRunner
) -> None:
    result = runner.invoke(cli, ["stats", "--deck", str(reviewed_home), "--json"])
    data = json.loads(result.stdout)
    kept = ["cards", "new", "learning", "review", "due", "reviews", "retention_30d"]
    assert list(data)[: len(kept)] == kept
    assert {"due_next_days", "sections", "forecast", "reviews_per_day", "retention_by_week"} <= set(
        data
    )
    assert len(data["forecast"]) == CHART_DAYS and len(data["reviews_per_day"]) == HISTORY_DAYS
    assert sum(day["reviews"] for day in data["reviews_per_day"]) == 8 * 6
    weeks = data["retention_by_week"]
    assert len(weeks) == RETENTION_WEEKS
    assert sum(week["reviews"] for week in weeks) == 8 * 5  # the first review was of a new card
    forgotten = [week for week in weeks if week["retention"] == 0.0]
    assert len(forgotten) == 1 and forgotten[0]["reviews"] == 8
