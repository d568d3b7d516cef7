"""`quizzer edit`: a card changed through $EDITOR (a fake editor script here), checked before it
is saved, its comments and history kept; built-in cards get an override instead."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner
from conftest import write_deck

from quizzer import deck_writer, paths
from quizzer.cli import cli

DECK = '''\
# my notes (this comment stays)
deck = "notes"
section = "Basics"

[[card]]
id = "sum"          # the id: keep it
front = "Sum two numbers"
back = "total = 1 + 2"
kind = "write"
program = """
{{answer}}
print(total)
"""
output = "3"

# the next card
[[card]]
id = "upper"
front = "Upper-case s"
back = "s.upper()"
'''


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    return write_deck(tmp_path / "notes", "basics.toml", DECK)


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake $EDITOR: replaces $EDIT_FROM with $EDIT_TO in the file it opens (each run takes
    the next pair, split on '|', the last one again when they run out), and adds what it was
    given to $EDIT_SEEN."""
    script = tmp_path / "fake-editor"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, pathlib, sys\n"
        "file = pathlib.Path(sys.argv[1])\n"
        "text = file.read_text()\n"
        "seen = pathlib.Path(os.environ['EDIT_SEEN'])\n"
        "runs = seen.read_text().count('\\0') if seen.exists() else 0\n"
        "seen.write_text((seen.read_text() if seen.exists() else '') + text + '\\0')\n"
        "olds, news = os.environ['EDIT_FROM'].split('|'), os.environ['EDIT_TO'].split('|')\n"
        "old, new = olds[min(runs, len(olds) - 1)], news[min(runs, len(news) - 1)]\n"
        "file.write_text(text.replace(old, new))\n"
    )
    script.chmod(0o755)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.setenv("EDIT_SEEN", str(tmp_path / "seen"))
    return tmp_path / "seen"


def change(monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    """What the fake editor does from now on (its count of sessions starts again)."""
    Path(os.environ["EDIT_SEEN"]).unlink(missing_ok=True)
    monkeypatch.setenv("EDIT_FROM", old)
    monkeypatch.setenv("EDIT_TO", new)


def edit(runner: CliRunner, deck: Path | None, *args: str) -> tuple[int, str, str]:
    where = ["--deck", str(deck)] if deck else []
    result = runner.invoke(cli, ["edit", *args, *where])
    return result.exit_code, result.stdout, result.stderr


def test_a_change_that_passes_is_saved_and_the_rest_of_the_file_kept(
    runner: CliRunner, deck: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    change(monkeypatch, "Sum two numbers", "Add one and two")
    code, out, err = edit(runner, deck, "sum")
    assert code == 0, err
    assert f"Saved card 'sum' to {deck} (verified)" in out
    seen = editor.read_text()
    assert '[[card]]\nid = "sum"          # the id: keep it' in seen  # the table, comments kept
    assert "# quizzer: Card 'sum' of deck 'notes'" in seen and "upper" not in seen
    assert deck.read_text() == DECK.replace("Sum two numbers", "Add one and two")


def test_a_change_that_fails_its_check_is_not_saved(
    runner: CliRunner, deck: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    change(monkeypatch, 'output = "3"', 'output = "4"')
    code, out, err = edit(runner, deck, "sum")
    assert code == 1
    assert "fails its check" in err and "was not saved; your text is kept in" in err
    assert "Edit it again" not in err + out  # stdin is not a terminal: nothing is offered
    assert deck.read_text() == DECK
    kept = paths.data_home() / "unsaved" / "notes-sum.toml"
    assert 'output = "4"' in kept.read_text()  # the user's text is not lost


def test_an_invalid_card_is_not_saved_even_with_no_verify(
    runner: CliRunner, deck: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    change(monkeypatch, 'kind = "write"', 'kind = "writ"')
    code, _, err = edit(runner, deck, "sum", "--no-verify")
    assert code == 1 and "unknown kind 'writ'" in err
    change(monkeypatch, 'output = "3"', 'output = "4"')
    code, out, err = edit(runner, deck, "sum", "--no-verify")
    assert code == 0 and "not verified" in out
    assert 'output = "4"' in deck.read_text()


def test_an_unchanged_card_is_left_alone(
    runner: CliRunner, deck: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    change(monkeypatch, "nothing-there", "x")
    code, _, err = edit(runner, deck, "sum")
    assert code == 0 and "No change" in err and deck.read_text() == DECK


def _review(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(cli, ["study", "--deck", str(deck)], input="total = 1 + 2\n\n\n\n\n")
    assert result.exit_code == 0, result.output


def _reviews(runner: CliRunner, deck: Path, card_id: str) -> list[object]:
    result = runner.invoke(cli, ["show", card_id, "--deck", str(deck), "--json"])
    assert result.exit_code == 0, result.output
    reviews: list[object] = json.loads(result.stdout)["reviews"]
    return reviews


def test_the_history_stays_with_an_edited_card(
    runner: CliRunner, deck: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _review(runner, deck)
    assert len(_reviews(runner, deck, "sum")) == 1
    change(monkeypatch, "Sum two numbers", "Add one and two")
    assert edit(runner, deck, "sum")[0] == 0
    assert len(_reviews(runner, deck, "sum")) == 1


def test_an_id_change_needs_rename_which_moves_the_history(
    runner: CliRunner, deck: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _review(runner, deck)
    change(monkeypatch, 'id = "sum"', 'id = "add"')
    code, _, err = edit(runner, deck, "sum")
    assert code == 1 and "pass --rename" in err and deck.read_text() == DECK
    code, out, err = edit(runner, deck, "sum", "--rename")
    assert code == 0, err
    assert "renamed from 'sum' (its history moved)" in out
    assert len(_reviews(runner, deck, "add")) == 1
    assert runner.invoke(cli, ["show", "sum", "--deck", str(deck)]).exit_code == 2
    change(monkeypatch, 'id = "add"', 'id = "upper"')  # an id the deck has: refused
    code, _, err = edit(runner, deck, "add", "--rename")
    assert code == 1 and "duplicate id 'upper'" in err


def test_a_builtin_card_is_never_written_an_override_is(
    runner: CliRunner, editor: Path, monkeypatch: pytest.MonkeyPatch, builtin_deck: Path
) -> None:
    before = {p: p.read_bytes() for p in builtin_deck.glob("*.toml")}
    change(monkeypatch, 'front = "', 'front = "EDITED: ')
    code, out, err = edit(runner, None, "create-task")
    assert code == 0, err
    assert "Saved an override of the built-in card 'create-task'" in out
    assert {p: p.read_bytes() for p in builtin_deck.glob("*.toml")} == before
    override = paths.user_decks_dir() / "overrides" / "asyncio.toml"
    assert "override = true" in override.read_text()

    shown = json.loads(runner.invoke(cli, ["show", "create-task", "--json"]).stdout)
    assert shown["front"].startswith("EDITED: ") and shown["overridden"] is True
    assert shown["section"] == "Task" and shown["path"] == str(override)
    assert "Overridden" in runner.invoke(cli, ["show", "create-task"]).stdout
    listed = json.loads(runner.invoke(cli, ["list", "--json"]).stdout)
    assert [c["id"] for c in listed].count("create-task") == 1

    change(monkeypatch, "EDITED: ", "AGAIN: ")  # the override itself is edited in place
    assert edit(runner, None, "create-task")[0] == 0
    assert override.read_text().count("[[card]]") == 1 and "AGAIN: " in override.read_text()
    change(monkeypatch, 'id = "create-task"', 'id = "made-task"')
    code, _, err = edit(runner, None, "create-task", "--rename")
    assert code == 1 and "keeps its id" in err


@pytest.mark.terminal
def test_edit_in_a_real_terminal_offers_to_edit_again(
    deck: Path, editor: Path, tmp_path: Path
) -> None:
    env = {key: value for key, value in os.environ.items() if key != "VISUAL"}
    # First the output is broken, then the user fixes it.
    env.update(
        NO_COLOR="1",
        TERM="xterm",
        EDIT_FROM='output = "3"|output = "4"',
        EDIT_TO='output = "4"|output = "3"\nnote = "fixed"',
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "quizzer", "edit", "sum", "--deck", str(deck)],
        env=env,
        dimensions=(50, 120),
        encoding="utf-8",
        timeout=60,
    )
    child.expect("fails its check")
    child.expect("Edit it again")
    child.send("y")
    child.expect("Saved card 'sum'")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert 'output = "3"\nnote = "fixed"' in deck.read_text()
    assert not any(p.name.endswith(".lock") for p in deck.parent.rglob("*"))
    assert deck_writer.lock_path(deck.parent).parent == paths.data_home() / "locks"


def test_an_edit_is_judged_with_its_wrong_answers_as_add_is(
    runner: CliRunner, deck: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "total = 3" prints 3 as the reference does: the judge accepts it, so it cannot be wrong.
    change(monkeypatch, 'output = "3"', 'output = "3"\nwrong = ["total = 3"]')
    code, _, err = edit(runner, deck, "sum")
    assert code == 1 and "fails its check" in err and deck.read_text() == DECK
    change(monkeypatch, 'output = "3"', 'output = "3"\nwrong = ["total = 1 - 2"]')
    code, _, err = edit(runner, deck, "sum")
    assert code == 0, err
    assert 'wrong = ["total = 1 - 2"]' in deck.read_text()
