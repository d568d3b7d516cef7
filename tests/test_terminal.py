"""quizzer in a real terminal: tmux runs it in a pseudo-terminal, the test reads the screen and
presses keys, then checks the review database."""

from __future__ import annotations

import itertools
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from conftest import write_deck

from quizzer import paths

TMUX = shutil.which("tmux") or "/usr/bin/tmux"
pytestmark = [
    pytest.mark.terminal,
    pytest.mark.skipif(not Path(TMUX).exists(), reason="needs tmux"),
]
_sockets = itertools.count()

DECK = '''
deck = "term"
section = "Basics"

[[card]]
id = "empty-list"
front = "Make an empty list"
back = "[]"

[[card]]
id = "double"
front = "Set y to twice x"
back = "y = x * 2"
kind = "write"
program = """
x = 21
{{answer}}
print(y)
"""
output = "42"

[[card]]
id = "add"
front = "What does this print?"
back = "3"
kind = "predict"
program = """
print(1 + 2)
"""
output = "3"
'''


class Terminal:
    """One program running in a detached tmux session of its own (a private tmux server)."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        # A private server on a socket in the test's folder: no clash, nothing left behind.
        self.socket = str(cwd / f"tmux-{next(_sockets)}.sock")
        command = " ".join(shlex.quote(a) for a in args)
        # Keep the pane open after the program ends, so its last words and exit code stay.
        shell = f"{command}; echo EXIT=$?; sleep 60"
        # The pane is sized before the program starts (a new session's first command can start
        # at 80x24 and be resized under it), and tall enough that nothing scrolls: a prompt
        # redrawn after a scroll would show up twice in the scrollback.
        self._tmux(
            "new-session", "-d", "-x", "110", "-y", "300", "-s", "main", "-c", str(cwd), "sleep 60"
        )
        self._tmux("respawn-pane", "-k", "-t", "main", "-c", str(cwd), shell)

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(
            [TMUX, "-S", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def screen(self) -> str:
        """Everything the program wrote, scrollback included."""
        return self._tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "main")

    def wait_for(self, text: str, count: int = 1, timeout: float = 20) -> str:
        """Wait until `text` has appeared `count` times; returns the screen."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if screen.count(text) >= count:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} x{count} never appeared; the screen:\n{screen}")
            time.sleep(0.05)

    def press(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "main", *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "main", "-l", text)

    def close(self) -> None:
        subprocess.run([TMUX, "-S", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    return write_deck(tmp_path / "deck", "basics.toml", DECK).parent


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    started: list[Terminal] = []
    yield started
    for terminal in started:
        terminal.close()


def quizzer(terminals: list[Terminal], tmp_path: Path, *args: str) -> Terminal:
    env = ["env", f"{paths.HOME_ENV}={paths.data_home()}", "TERM=xterm-256color"]
    terminal = Terminal([*env, sys.executable, "-m", "quizzer", *args], tmp_path)
    terminals.append(terminal)
    return terminal


def review_rows() -> list[tuple[str, int]]:
    with closing(sqlite3.connect(paths.database_path())) as connection:
        rows = connection.execute("SELECT card_id, grade FROM review ORDER BY id").fetchall()
    return [(str(card_id), int(grade)) for card_id, grade in rows]


def test_a_study_session_walked_with_enter_is_saved(
    terminals: list[Terminal], tmp_path: Path, deck: Path
) -> None:
    term = quizzer(terminals, tmp_path, "study", "--deck", str(deck), "--learn-ahead", "0")
    term.wait_for("Enter: show the answer")
    assert "card 1 of 3" in term.screen()
    term.press("Enter")  # reveal the recall card
    term.wait_for("Grade")
    term.press("Enter")  # accept Good
    term.wait_for("› Your code")  # the write card
    assert "▶ your code here" in term.screen()
    term.press("Enter")  # nothing typed: show me
    screen = term.wait_for("Grade", count=2)
    assert "y = x * 2" in screen and "Enter: Again" in screen
    term.press("Enter")  # accept Again
    screen = term.wait_for("› Its output")
    assert screen.count("What does this print?") == 1  # the front asks, nothing else does
    term.type("3")
    term.press("Enter")
    term.press("Enter")  # an empty line submits
    screen = term.wait_for("Grade", count=3)
    assert "✓ Right" in screen
    term.press("Enter")
    screen = term.wait_for("EXIT=")
    assert "Reviewed 3 cards, 2 right" in screen and "EXIT=0" in screen
    assert review_rows() == [("empty-list", 3), ("double", 1), ("add", 3)]


def test_typed_code_undo_and_ctrl_c(terminals: list[Terminal], tmp_path: Path, deck: Path) -> None:
    term = quizzer(terminals, tmp_path, "study", "--deck", str(deck), "--learn-ahead", "0")
    term.wait_for("Enter: show the answer")
    term.press("Enter")
    term.wait_for("Grade")
    term.press("4")  # Easy
    term.wait_for("› Your code")
    term.type("if x:")
    term.press("Enter")  # a new line, indented after the colon
    term.type("y = x + x")
    term.press("Enter", "Enter")
    screen = term.wait_for("Grade", count=2)
    assert "✓ Right" in screen
    term.press("u")  # undo the Easy of the first card instead of grading this one
    term.wait_for("card 1 of 3", count=2)
    # The first reveal prompt now says what it did; this one is the only hint on screen.
    screen = term.wait_for("Enter: show the answer")
    assert "Undone: the grade of 'empty-list'" in screen
    assert review_rows() == []
    term.press("Enter")
    term.wait_for("Grade", count=2)  # the grade undone says "undo" now
    term.press("2")  # Hard, this time
    term.wait_for("› Your code", count=2)  # the prompt itself: Ctrl-C before it may be lost
    term.press("C-c")
    screen = term.wait_for("EXIT=")
    assert "Reviewed 1 card, 1 right" in screen and "2 left for later" in screen
    assert "EXIT=0" in screen and "Traceback" not in screen
    assert review_rows() == [("empty-list", 2)]


def test_single_keys_grade_and_an_again_card_comes_back(
    terminals: list[Terminal], tmp_path: Path, deck: Path
) -> None:
    term = quizzer(terminals, tmp_path, "study", "--deck", str(deck))
    term.wait_for("Enter: show the answer")
    term.press("Space")  # reveal
    term.wait_for("Grade:")
    term.press("1")  # Again, at once: no Enter
    term.wait_for("› Your code")
    term.type("y = x * 2")
    term.press("Enter", "Enter")
    screen = term.wait_for("Grade:", count=2)  # the first grade's line, and this prompt
    assert "✓ Right" in screen
    term.press("3")  # Good
    term.wait_for("› Its output")
    term.type("3")
    term.press("Enter", "Enter")
    term.wait_for("Grade:", count=3)
    term.press("4")  # Easy
    # Nothing else is left: the Again card, due within the learn-ahead limit, comes back.
    screen = term.wait_for("card 4 of 5")
    assert "Make an empty list" in screen.split("card 4 of 5")[1]
    term.wait_for("Enter: show the answer")  # the first one says "answer shown" now
    term.press("q")  # quits at once
    screen = term.wait_for("EXIT=")
    assert "Reviewed 3 cards, 2 right" in screen and "2 left for later" in screen
    assert "EXIT=0" in screen and "Traceback" not in screen
    assert review_rows() == [("empty-list", 1), ("double", 3), ("add", 4)]


def test_a_scored_test_in_the_terminal(
    terminals: list[Terminal], tmp_path: Path, deck: Path
) -> None:
    term = quizzer(terminals, tmp_path, "test", "basic", "--deck", str(deck), "--no-shuffle")
    screen = term.wait_for("Which one is it?")  # the recall card, as multiple choice
    assert "1)" in screen and "3)" in screen and "Enter alone: show me" in screen
    term.press("Enter")  # show me: counted as missed
    term.wait_for("› Your code")
    term.type("y = 2 * x")
    term.press("Enter", "Enter")
    term.wait_for("› Its output")
    term.type("3")
    term.press("Enter", "Enter")
    screen = term.wait_for("EXIT=")
    assert "Score: 2/3 (67%)" in screen and "EXIT=0" in screen
    assert "Missed:" in screen and "empty-list: Make an empty list" in screen
    assert not paths.database_path().exists()  # a test leaves the study schedule alone


def test_ctrl_d_ends_a_study_session_like_q(
    terminals: list[Terminal], tmp_path: Path, deck: Path
) -> None:
    term = quizzer(terminals, tmp_path, "study", "--deck", str(deck), "--learn-ahead", "0")
    term.wait_for("Enter: show the answer")
    term.press("Enter")
    term.wait_for("Grade")
    term.press("Enter")  # Good
    term.wait_for("› Your code")
    term.press("C-d")  # at an empty code prompt: end of input
    screen = term.wait_for("EXIT=")
    assert "Reviewed 1 card, 1 right" in screen and "2 left for later" in screen
    assert "EXIT=0" in screen and "internal error" not in screen and "Traceback" not in screen
    assert review_rows() == [("empty-list", 3)]


def test_ctrl_d_stops_a_test_with_the_partial_score(
    terminals: list[Terminal], tmp_path: Path, deck: Path
) -> None:
    term = quizzer(terminals, tmp_path, "test", "basic", "--deck", str(deck), "--no-shuffle")
    term.wait_for("Which one is it?")
    term.press("Enter")  # show me
    term.wait_for("› Your code")
    term.press("C-d")
    screen = term.wait_for("EXIT=")
    assert "Score: 0/1" in screen and "Stopped after 1 of 3 cards." in screen
    assert "EXIT=0" in screen and "internal error" not in screen and "Traceback" not in screen
