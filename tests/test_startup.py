"""`quizzer --help` and `--version` stay light: no heavy library is imported for them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from quizzer.cli import COMMANDS

HEAVY = [
    "questionary",
    "prompt_toolkit",
    "genanki",
    "fsrs",
    "tomlkit",
    "sqlite3",
    "pygments",
    "rich",
    "anki",
    "plotext",
]

PROBE = """
import json, sys
from quizzer.cli import cli
try:
    cli(sys.argv[1:], prog_name="quizzer")
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(sys.modules)))
"""


def imported_by(*args: str, env: dict[str, str] | None = None) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True, env=env
    )
    modules: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["list", "--help"]])
def test_help_and_version_import_no_heavy_library(args: list[str]) -> None:
    assert imported_by(*args) & set(HEAVY) == set()


def test_every_command_has_help_without_heavy_imports() -> None:
    for name in COMMANDS:
        assert (
            imported_by(name, "--help")
            & {"questionary", "prompt_toolkit", "genanki", "fsrs", "anki", "plotext"}
            == set()
        ), name


def test_stats_reads_review_state_without_loading_fsrs(home: Path) -> None:
    # The store and the review-state types need no scheduler: only study and test load fsrs.
    loaded = imported_by("stats", "--json", env={**os.environ, "QUIZZER_HOME": str(home)})
    assert "sqlite3" in loaded  # it did open the review database
    assert "fsrs" not in loaded
