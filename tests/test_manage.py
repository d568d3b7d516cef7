"""Managing cards: suspend, bury and reset; search and tag filters; `show` with the card's
history; `test` over several sections or the whole deck; shell completion."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner
from conftest import write_deck

from quizzer import paths
from quizzer.cli import cli

BASICS = """
deck = "demo"
section = "Basics"

[[card]]
id = "alpha"
front = "First letter"
back = "alpha = 1"
tags = ["greek", "sheet"]

[[card]]
id = "beta"
front = "Second letter"
back = "beta = 2"
tags = ["greek", "beyond-sheet"]
note = "Comes after Alpha"

[[card]]
id = "gamma"
front = "Third letter"
back = "gamma = 3"
"""

MORE = """
deck = "demo"
section = "More"

[[card]]
id = "delta"
front = "Fourth letter"
back = "delta = 4"
program = '''
print("DELTA rising")
'''
"""


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    write_deck(folder, "basics.toml", BASICS)
    write_deck(folder, "more.toml", MORE)
    return folder


def run(runner: CliRunner, *args: str, input: str = "") -> str:
    """Run quizzer; its stdout, after checking it exited 0."""
    result = runner.invoke(cli, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def studied(runner: CliRunner, deck: Path) -> list[str]:
    """Walk a study session with Enter; the ids of the cards it asked (each once, though a
    learning card comes back in the session), from the review log."""
    before = _review_ids()
    run(runner, "study", "--deck", str(deck), input="\n" * 40)
    return list(dict.fromkeys(_review_ids()[len(before) :]))


def asked_in_test(runner: CliRunner, deck: Path, *args: str) -> list[str]:
    """Walk a test with Enter; the ids of the cards it asked."""
    out = run(runner, "test", *args, "--deck", str(deck), "--no-shuffle", "--json", input="\n" * 20)
    return [card["id"] for card in json.loads(out)["cards"]]


def _review_ids() -> list[str]:
    if not paths.database_path().exists():
        return []
    with closing(sqlite3.connect(paths.database_path())) as connection:
        return [row[0] for row in connection.execute("SELECT card_id FROM review ORDER BY id")]


def test_a_suspended_card_is_never_shown_by_study_or_test(runner: CliRunner, deck: Path) -> None:
    out = run(runner, "suspend", "beta", "--deck", str(deck))
    assert "Suspended 1 card (beta); 1 changed." in out
    assert asked_in_test(runner, deck) == ["alpha", "gamma", "delta"]
    assert studied(runner, deck) == ["alpha", "gamma", "delta"]
    run(runner, "unsuspend", "beta", "--deck", str(deck))
    assert asked_in_test(runner, deck, "basics") == ["alpha", "beta", "gamma"]


def test_suspend_a_whole_section(runner: CliRunner, deck: Path) -> None:
    data = json.loads(run(runner, "suspend", "--section", "bas", "--deck", str(deck), "--json"))
    assert data == {
        "action": "suspended",
        "cards": ["demo/alpha", "demo/beta", "demo/gamma"],
        "changed": 3,
    }
    assert asked_in_test(runner, deck) == ["delta"]


def test_a_buried_card_is_hidden_until_the_next_study_day(runner: CliRunner, deck: Path) -> None:
    from datetime import datetime, timedelta

    from quizzer.due import start_of_day

    data = json.loads(run(runner, "bury", "alpha", "gamma", "--deck", str(deck), "--json"))
    until = datetime.fromisoformat(data["until"])
    now = datetime.now(until.tzinfo)
    assert until == start_of_day(now + timedelta(days=1, hours=1)) or until > now
    assert timedelta(hours=1) <= until - start_of_day(now) <= timedelta(hours=25)
    assert studied(runner, deck) == ["beta", "delta"]
    assert asked_in_test(runner, deck) == ["beta", "delta"]
    shown = json.loads(run(runner, "show", "alpha", "--deck", str(deck), "--json"))
    assert shown["state"] == "buried"


def test_reset_makes_a_card_new_and_keeps_its_old_reviews(runner: CliRunner, deck: Path) -> None:
    studied(runner, deck)
    before = json.loads(run(runner, "show", "alpha", "--deck", str(deck), "--json"))
    assert before["state"] in ("learning", "review") and before["reviews"]
    assert 0 < before["retrievability"] <= 1 and before["stability"] > 0
    reviewed = len(before["reviews"])

    refused = runner.invoke(cli, ["reset", "alpha", "--deck", str(deck)], input="")
    assert refused.exit_code == 2 and "--yes" in refused.stderr  # no terminal: nothing asked
    out = run(runner, "reset", "alpha", "--deck", str(deck), "--yes")
    assert "Reset 1 card (alpha); 1 changed." in out

    after = json.loads(run(runner, "show", "alpha", "--deck", str(deck), "--json"))
    assert (after["state"], after["due"], after["stability"]) == ("new", None, None)
    assert [r["before_reset"] for r in after["reviews"]] == [True] * reviewed  # all kept
    assert after["reviews"][0]["grade"] == "Good"
    assert studied(runner, deck) == ["alpha"]  # new again, so studied again today
    log = json.loads(run(runner, "show", "alpha", "--deck", str(deck), "--json"))["reviews"]
    assert [r["before_reset"] for r in log[:reviewed]] == [True] * reviewed
    assert len(log) > reviewed and not any(r["before_reset"] for r in log[reviewed:])


def test_reset_all_and_its_usage_errors(runner: CliRunner, deck: Path) -> None:
    studied(runner, deck)
    data = json.loads(run(runner, "reset", "--all", "--yes", "--json", "--deck", str(deck)))
    assert data["changed"] == 4
    nothing = runner.invoke(cli, ["reset", "--yes", "--deck", str(deck)])
    assert nothing.exit_code == 2 and "name the cards" in nothing.stderr
    both = runner.invoke(cli, ["reset", "alpha", "--all", "--yes", "--deck", str(deck)])
    assert both.exit_code == 2 and "--all" in both.stderr
    unknown = runner.invoke(cli, ["suspend", "omega", "--deck", str(deck)])
    assert unknown.exit_code == 2 and "no card 'omega'" in unknown.stderr


def test_show_json_gives_state_schedule_and_reviews(runner: CliRunner, deck: Path) -> None:
    data = json.loads(run(runner, "show", "gamma", "--deck", str(deck), "--json"))
    for key in ("state", "due", "stability", "difficulty", "retrievability", "reviews"):
        assert key in data
    assert (data["state"], data["reviews"], data["overridden"]) == ("new", [], False)
    studied(runner, deck)
    text = run(runner, "show", "gamma", "--deck", str(deck))
    assert ("State: learning" in text or "State: review" in text) and "due in " in text
    assert "retrievability now 100%" in text  # reviewed a moment ago
    assert "Reviews" in text and "Good" in text and "study" in text


def test_search_matches_every_field_case_insensitively(runner: CliRunner, deck: Path) -> None:
    def found(*args: str) -> list[str]:
        out = run(runner, "search", *args, "--deck", str(deck), "--json")
        return [card["id"] for card in json.loads(out)]

    assert found("LETTER") == ["alpha", "beta", "gamma", "delta"]  # the front
    assert found("gamma = 3") == ["gamma"]  # the back
    assert found("delta rising") == ["delta"]  # the program
    assert found("after alpha") == ["beta"]  # the note
    assert found("GREEK") == ["alpha", "beta"]  # the tags
    assert found("^(alpha|delta) =", "--regex") == ["alpha", "delta"]
    assert found("letter", "--tag", "greek", "--section", "basics") == ["alpha", "beta"]
    assert found("a = 1") == ["alpha"] and found("a.=", "--regex", "--section", "more") == ["delta"]
    text = run(runner, "search", "third", "--deck", str(deck))
    assert "gamma" in text and "Third letter" in text and "alpha" not in text
    bad = runner.invoke(cli, ["search", "(", "--regex", "--deck", str(deck)])
    assert bad.exit_code == 2 and "not a valid regular expression" in bad.stderr


def test_tags_choose_the_cards_of_list_study_and_test(runner: CliRunner, deck: Path) -> None:
    listed = json.loads(
        run(
            runner, "list", "--tag", "sheet", "--tag", "BEYOND-sheet", "--deck", str(deck), "--json"
        )
    )
    assert [card["id"] for card in listed] == ["alpha", "beta"]
    listed = json.loads(
        run(runner, "list", "--skip-tag", "beyond-sheet", "--deck", str(deck), "--json")
    )
    assert [card["id"] for card in listed] == ["alpha", "gamma", "delta"]
    assert asked_in_test(runner, deck, "--tag", "greek", "--skip-tag", "sheet") == ["beta"]
    assert studied(runner, deck) != []  # sanity: the session below starts from a clean log
    run(runner, "reset", "--all", "--yes", "--deck", str(deck))
    before = len(_review_ids())
    run(runner, "study", "--tag", "greek", "--deck", str(deck), input="\n" * 40)
    assert list(dict.fromkeys(_review_ids()[before:])) == ["alpha", "beta"]


def test_test_takes_several_sections_or_the_whole_deck(runner: CliRunner, deck: Path) -> None:
    assert asked_in_test(runner, deck) == ["alpha", "beta", "gamma", "delta"]
    assert asked_in_test(runner, deck, "more", "basics") == ["alpha", "beta", "gamma", "delta"]
    assert asked_in_test(runner, deck, "more") == ["delta"]
    out = run(runner, "test", "--deck", str(deck), "--count", "2", "--json", input="\n" * 10)
    data = json.loads(out)
    assert data["total"] == 2 and len({card["id"] for card in data["cards"]}) == 2
    none = runner.invoke(cli, ["test", "--tag", "nope", "--deck", str(deck)], input="")
    assert none.exit_code == 2 and "no card to test" in none.stderr


def complete(runner: CliRunner, words: str) -> list[str]:
    """What the shell would be offered for the last of `words`, through click's completion
    environment (as bash asks for it)."""
    parts = words.split(" ")
    env = {
        "_QUIZZER_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }
    result = runner.invoke(cli, [], env=env, prog_name="quizzer")
    assert result.exit_code == 0, result.output
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


def test_completion_offers_section_names_card_ids_and_commands(
    runner: CliRunner, deck: Path
) -> None:
    assert complete(runner, f"quizzer test --deck {deck} Ba") == ["Basics"]
    assert complete(runner, "quizzer test Que") == ["Queues"]  # the built-in deck
    assert complete(runner, f"quizzer list --deck {deck} m") == ["More"]
    assert complete(runner, f"quizzer show --deck {deck} ga") == ["gamma"]
    assert "create-task" in complete(runner, "quizzer suspend create-t")
    assert complete(runner, f"quizzer study --deck {deck} --tag gr") == ["greek"]
    assert complete(runner, "quizzer sus") == ["suspend"]


def test_add_warns_when_another_card_has_the_same_front(runner: CliRunner) -> None:
    add = ["add", "--section", "Mine", "--back", "x = 1", "--front"]
    first = runner.invoke(cli, [*add, "Sum two numbers"])
    assert first.exit_code == 0 and "same front" not in first.stderr
    second = runner.invoke(cli, [*add, "sum TWO   numbers"])  # case and spacing aside
    assert second.exit_code == 0, second.output
    assert "Warning: card 'sum-two-numbers'" in second.stderr
    assert "has the same front" in second.stderr
    other = runner.invoke(cli, [*add, "Sum three numbers"])
    assert other.exit_code == 0 and "same front" not in other.stderr


def test_section_options_of_search_verify_and_export_complete_too(runner: CliRunner) -> None:
    assert complete(runner, "quizzer search x --section Que") == ["Queues"]
    assert complete(runner, "quizzer verify --section Loc") == ["Locks"]
    assert complete(runner, "quizzer export anki --section Str") == ["Streams"]


def test_show_makes_no_database(runner: CliRunner, deck: Path) -> None:
    data = json.loads(run(runner, "show", "alpha", "--deck", str(deck), "--json"))
    assert (data["state"], data["reviews"]) == ("new", [])
    assert not paths.database_path().exists()


@pytest.mark.terminal
def test_reset_asks_first_in_a_terminal(runner: CliRunner, deck: Path) -> None:
    studied(runner, deck)

    def reset(answer: str) -> tuple[str, int | None]:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "quizzer", "reset", "alpha", "--deck", str(deck)],
            env={**os.environ, "NO_COLOR": "1"},
            encoding="utf-8",
            timeout=30,
        )
        child.expect(r"Reset 1 card, making them new again\? \[y/N\]")
        child.sendline(answer)
        child.expect(pexpect.EOF)
        child.close()
        return child.before or "", child.exitstatus

    said, status = reset("n")
    assert status == 1 and "Aborted" in said
    assert json.loads(run(runner, "show", "alpha", "--deck", str(deck), "--json"))["state"] != "new"
    said, status = reset("y")
    assert status == 0 and "Reset 1 card (alpha); 1 changed." in said
    assert json.loads(run(runner, "show", "alpha", "--deck", str(deck), "--json"))["state"] == "new"


def test_completion_after_an_unknown_command_is_no_error(runner: CliRunner) -> None:
    # Once an error with a traceback in the middle of the user's command line.
    assert "suspend" in complete(runner, "quizzer sux ")  # click offers the commands again
    assert "--deck" not in complete(runner, "quizzer sux --de")
