"""The built wheel carries the built-in deck and works away from the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from quizzer import paths

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_ships_the_deck_and_runs_from_an_install(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
    )
    [wheel] = (tmp_path / "dist").glob("quizzer-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    deck_files = sorted(p.name for p in (ROOT / "cards").glob("*.toml"))
    assert deck_files, "the source tree has no cards"
    assert {f"quizzer/cards/{name}" for name in deck_files} <= names

    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site), "QUIZZER_HOME": str(tmp_path / "home")}
    where = subprocess.run(
        [sys.executable, "-c", "import quizzer.paths as p; print(p.builtin_deck_dir())"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()) == site / "quizzer" / "cards"
    listed = subprocess.run(
        [sys.executable, "-m", "quizzer", "sections", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    sections = json.loads(listed.stdout)
    assert len(sections) == len(deck_files)
    source_cards = subprocess.run(
        [
            sys.executable,
            "-m",
            "quizzer",
            "sections",
            "--json",
            "--deck",
            str(paths.builtin_deck_dir()),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert sum(s["cards"] for s in sections) == sum(
        s["cards"] for s in json.loads(source_cards.stdout)
    )
