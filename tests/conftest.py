"""Fixtures shared by the test files: an isolated QUIZZER_HOME for every test, a CLI runner."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizzer import paths
from quizzer.store import Store


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own quizzer home, so none touches a real one."""
    folder = tmp_path / "quizzer-home"
    monkeypatch.setenv(paths.HOME_ENV, str(folder))
    monkeypatch.delenv("NO_COLOR", raising=False)
    yield folder


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def builtin_deck() -> Path:
    return paths.builtin_deck_dir()


def write_deck(folder: Path, name: str, text: str) -> Path:
    """Write one deck file under `folder` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / name
    file.write_text(text, encoding="utf-8")
    return file


def fill_the_disk(store: Store) -> None:
    """Let the database grow no further, and use up the room left in it: a full disk."""
    connection = store._db  # the limit is the connection's own: set it where quizzer writes
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")
    with contextlib.suppress(sqlite3.OperationalError):
        for n in range(10_000):
            connection.execute(
                "INSERT INTO setting (name, value) VALUES (?, ?)", (f"filler-{n}", "x" * 500)
            )
