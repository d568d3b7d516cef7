"""Fixtures shared by the test files: an isolated QUIZZER_HOME for every test, a CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizzer import paths


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
