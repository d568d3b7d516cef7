"""`quizzer study` and `quizzer stats` through the CLI, in plain mode (stdin is not a terminal)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_deck

from quizzer import paths
from quizzer.cli import cli
from quizzer.due import start_of_day
from quizzer.grading import record_grade
from quizzer.model import CardState, Grade, Phase
from quizzer.schedule import Scheduler, utc_now
from quizzer.store import open_store

DECK = '''
deck = "demo"
section = "Numbers"

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
id = "list"
front = "An empty list"
back = "[]"
'''

WORDS = """
deck = "demo"
section = "Words"

[[card]]
id = "upper"
front = "Upper-case s"
back = "s.upper()"
"""


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    folder = tmp_path / "deck"
    write_deck(folder, "numbers.toml", DECK)
    write_deck(folder, "words.toml", WORDS)
    return folder


def reviews() -> list[tuple[str, int, str]]:
    """The review log as (card id, grade, source), read straight from the database file."""
    with closing(sqlite3.connect(paths.database_path())) as connection:
        rows = connection.execute("SELECT card_id, grade, source FROM review ORDER BY id")
        return [(str(card_id), int(grade), str(source)) for card_id, grade, source in rows]


def test_a_session_walked_with_enter_saves_a_grade_per_card(runner: CliRunner, deck: Path) -> None:
    # double: empty answer (show me), Enter accepts Again; list, upper: reveal, accept Good.
    result = runner.invoke(cli, ["study", "--deck", str(deck)], input="\n" * 6)
    assert result.exit_code == 0, result.output
    assert "── card 1 of 3" in result.output and "Answer:\n    y = x * 2" in result.output
    assert "Reviewed 3 cards, 2 right" in result.output
    assert reviews() == [("double", 1, "study"), ("list", 3, "study"), ("upper", 3, "study")]


def test_a_typed_answer_is_run_and_judged(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(
        cli,
        ["study", "--deck", str(deck), "--section", "num", "--limit", "1"],
        input="y = 0\nfor _ in range(2):\n    y += x\n\n\n",
    )
    assert result.exit_code == 0, result.output
    assert "Right." in result.output and "Enter: Good" in result.output
    assert reviews() == [("double", 3, "study")]


def predict_deck(tmp_path: Path, card_id: str, *, program: str, output: str) -> Path:
    """A deck of one predict card; `program` and `output` as TOML basic-string text."""
    return write_deck(
        tmp_path / card_id,
        f"{card_id}.toml",
        f"""
deck = "{card_id}"
section = "Predictions"

[[card]]
id = "{card_id}"
front = "What does it print?"
back = "its output"
kind = "predict"
program = "{program}"
output = "{output}"
""",
    )


def test_a_predicted_output_with_empty_lines_goes_between_markers(
    runner: CliRunner, tmp_path: Path
) -> None:
    deck = predict_deck(
        tmp_path, "gap", program="print('a')\\nprint()\\nprint('b')", output="a\\n\\nb\\n"
    )
    result = runner.invoke(cli, ["study", "--deck", str(deck)], input="<<<\na\n\nb\n>>>\n\n")
    assert result.exit_code == 0, result.output
    assert "Right." in result.output
    assert reviews() == [("gap", 3, "study")]


def test_a_wrong_answer_shows_the_diff(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(cli, ["study", "--deck", str(deck), "--limit", "1"], input="y = x\n\n\n")
    assert "Not right." in result.output and "-42" in result.output and "+21" in result.output
    assert reviews() == [("double", 1, "study")]


def test_end_of_input_ends_the_session_and_keeps_the_grades(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(cli, ["study", "--deck", str(deck)], input="\n\n")
    assert result.exit_code == 0
    # The card graded Again (due in a minute, within the learn-ahead limit) is waiting too.
    assert "Reviewed 1 card, 0 right" in result.output and "3 left for later" in result.output
    assert len(reviews()) == 1


def test_undo_and_quit_typed_as_letters(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(
        cli, ["study", "--deck", str(deck), "--section", "Numbers"], input="\n3\nu\n\n4\nq\n"
    )
    assert result.exit_code == 0, result.output
    assert "Undone: the grade of 'double'" in result.output
    assert reviews() == [("double", 4, "study")]


def test_nothing_due_says_when_the_next_card_is(runner: CliRunner, deck: Path) -> None:
    # No learn-ahead: the card graded Again (due in a minute) is not shown again...
    runner.invoke(cli, ["study", "--deck", str(deck), "--learn-ahead", "0"], input="\n" * 6)
    # ... in this session either: the limit given last time is kept.
    result = runner.invoke(cli, ["study", "--deck", str(deck)], input="")
    assert result.exit_code == 0
    assert "Nothing to study now." in result.output
    assert "The next card is due in 1m" in result.output  # double, graded Again


def test_the_daily_new_limit_comes_from_new(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(
        cli, ["study", "--deck", str(deck), "--new", "1", "--learn-ahead", "0"], input="\n" * 6
    )
    assert "Reviewed 1 card" in result.output and len(reviews()) == 1


def test_json_summary_is_alone_on_stdout(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(
        cli,
        ["study", "--deck", str(deck), "--json", "--section", "words", "--learn-ahead", "0"],
        input="\n\n",
    )
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["reviewed"] == 1 and summary["right"] == 1 and summary["left"] == 0
    assert "Upper-case s" in result.stderr


def test_what_a_program_prints_reaches_the_screen_escaped(
    runner: CliRunner, tmp_path: Path
) -> None:
    deck = predict_deck(
        tmp_path, "clear", program="print('\\\\x1b[2J\\\\x1b]0;owned\\\\x07hi')", output="hi"
    )
    result = runner.invoke(cli, ["study", "--deck", str(deck)], input="hi\n\n\n")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "\\x1b[2J\\x1b]0;owned\\x07hi" in result.stdout


def test_desired_retention_is_kept_for_later_sessions(runner: CliRunner, deck: Path) -> None:
    runner.invoke(cli, ["study", "--deck", str(deck), "--retention", "0.8"], input="")
    with open_store(paths.database_path()) as store:
        assert store.setting("desired_retention") == "0.8"


@pytest.mark.parametrize("stored", ["nan", "1.5", "high", ""])
def test_a_bad_stored_retention_falls_back_to_the_default(
    runner: CliRunner, deck: Path, stored: str
) -> None:
    with open_store(paths.database_path()) as store:
        store.set_setting("desired_retention", stored)
    result = runner.invoke(cli, ["study", "--deck", str(deck), "--json"], input="\n\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["reviewed"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--section", "nope"], "no section 'nope'; sections are: Numbers; Words"),
        (["--limit", "0"], "Invalid value for '--limit'"),
        (["--new", "-1"], "Invalid value for '--new'"),
        (["--new", "many"], "'many' is not a valid integer"),
        (["--retention", "1.5"], "Invalid value for '--retention'"),
        (["--retention", "nan"], "Invalid value for '--retention': 'nan' is not a number"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    runner: CliRunner, deck: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(cli, ["study", "--deck", str(deck), *args], input="")
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not paths.database_path().exists() or reviews() == []


def test_a_damaged_database_is_one_clear_error(runner: CliRunner, deck: Path) -> None:
    paths.database_path().parent.mkdir(parents=True)
    paths.database_path().write_text("not sqlite " * 200)
    result = runner.invoke(cli, ["study", "--deck", str(deck)], input="")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "not a usable review database" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_stats_counts_cards_due_days_and_retention(runner: CliRunner, deck: Path) -> None:
    scheduler = Scheduler(fuzzing=False)
    now = utc_now()
    with open_store(paths.database_path()) as store:
        # double: into review 20 days ago, recalled 10 days ago; list: same, then forgotten.
        for card_id, second in (("double", Grade.GOOD), ("list", Grade.AGAIN)):
            key = ("demo", card_id)
            _, first = record_grade(
                store, scheduler, key, None, Grade.EASY, now - timedelta(days=20)
            )
            assert first.state.phase == Phase.REVIEW
            record_grade(store, scheduler, key, first, second, now - timedelta(days=10))
        # A card no longer in the deck: its reviews count as rows, nowhere else.
        record_grade(store, scheduler, ("demo", "gone"), None, Grade.GOOD, now)
        # upper falls due the day after tomorrow.
        due = start_of_day(now) + timedelta(days=2, hours=12)
        state = CardState(Phase.REVIEW, None, 10.0, 5.0, due, now - timedelta(days=1))
        store.record_review(("demo", "upper"), None, state, Grade.GOOD, now - timedelta(days=1))
    result = runner.invoke(cli, ["stats", "--deck", str(deck), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["reviews"] == 6
    assert (data["new"], data["learning"], data["review"]) == (0, 1, 2)
    assert data["due"] == 1  # list, relearning since 10 days
    assert [day["due"] for day in data["due_next_days"]] == [0, 1, 0, 0, 0, 0, 0]
    assert data["retention_30d"] == 0.5
    sections = {s["section"]: s for s in data["sections"]}
    assert sections["Numbers"]["reviews"] == 4 and sections["Words"]["reviews"] == 1
    assert sections["Numbers"]["retention_30d"] == 0.5
    assert sections["Words"]["retention_30d"] is None

    table = runner.invoke(cli, ["stats", "--deck", str(deck)])
    assert "3 cards: 0 new, 1 learning, 2 in review. 6 reviews in all." in table.output
    assert "True retention, last 30 days: 50%" in table.output


def test_stats_names_the_deck_of_each_section_only_when_there_are_several(
    runner: CliRunner,
    deck: Path,
) -> None:
    def header(folder: Path) -> list[str]:
        output = runner.invoke(cli, ["stats", "--deck", str(folder)]).output
        return next(line for line in output.splitlines() if "section" in line).split()

    assert header(deck)[:2] == ["section", "new"]
    write_deck(deck, "other.toml", WORDS.replace('deck = "demo"', 'deck = "other"'))
    assert header(deck)[:3] == ["section", "deck", "new"]


def test_stats_of_a_fresh_home_are_all_new(runner: CliRunner, deck: Path) -> None:
    data = json.loads(runner.invoke(cli, ["stats", "--deck", str(deck), "--json"]).stdout)
    assert (data["reviews"], data["due"], data["new"], data["retention_30d"]) == (0, 0, 3, None)
    assert [s["cards"] for s in data["sections"]] == [2, 1]


@pytest.mark.parametrize("command", [["study"], ["test", "numbers"]])
def test_unsandboxed_programs_are_warned_about_once(
    runner: CliRunner, deck: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("QUIZZER_SANDBOX", "none")
    result = runner.invoke(cli, [*command, "--deck", str(deck)], input="q\n")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: card programs are not sandboxed (turned off by QUIZZER_SANDBOX=none)"
    ]
