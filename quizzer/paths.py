"""Where quizzer keeps the user's decks and review database."""

from __future__ import annotations

import os
from pathlib import Path

from quizzer.errors import QuizzerError

HOME_ENV = "QUIZZER_HOME"


def data_home() -> Path:
    """The user's quizzer folder: $QUIZZER_HOME, else the platform's user data dir."""
    override = os.environ.get(HOME_ENV)
    if override:
        try:
            home = Path(override).expanduser()
        except RuntimeError:  # ~name of no user here
            raise QuizzerError(f"{HOME_ENV}={override}: no such user's home to expand") from None
        if home.exists() and not home.is_dir():
            raise QuizzerError(f"{HOME_ENV}={override}: not a folder")
        return home
    import platformdirs

    return Path(platformdirs.user_data_dir("quizzer", appauthor=False))


def user_decks_dir() -> Path:
    """The folder holding the user's own decks, one subfolder each."""
    return data_home() / "decks"


def own_deck_dir() -> Path:
    """The user's default deck, where `quizzer add` writes."""
    return user_decks_dir() / "mine"


def database_path() -> Path:
    """The SQLite file holding review state."""
    return data_home() / "reviews.sqlite3"


def anki_stamp_path() -> Path:
    """The time of the last Anki export, which the next one must pass."""
    return data_home() / "last-anki-export"


def cache_dir() -> Path:
    """Where parsed decks are cached: under $QUIZZER_HOME, else the platform's cache dir."""
    if os.environ.get(HOME_ENV):
        return data_home() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("quizzer", appauthor=False))


def builtin_deck_dir() -> Path:
    """The asyncio deck shipped with quizzer (inside the wheel, or cards/ in a checkout)."""
    package_dir = Path(__file__).resolve().parent
    shipped = package_dir / "cards"
    if shipped.is_dir():
        return shipped
    return package_dir.parent / "cards"
